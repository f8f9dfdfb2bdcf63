package lake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
)

// Format is the shape of the rows a Writer writes.
type Format string

// The formats.
const (
	CloudTrail Format = "cloudtrail" // CloudTrailRow: CloudTrail's fields and names
	OCSF       Format = "ocsf"       // OCSFRow: OCSF 1.1.0, as Security Lake writes CloudTrail
)

// Defaults of Options.
const (
	DefaultRowGroupRows     = 32768    // about 50 MB of records: a scan task each, bounded memory
	DefaultMaxFileBytes     = 32 << 20 // compressed; a file is built in memory before its put
	DefaultMaxBufferedBytes = 64 << 20 // the whole memory of the open files: keeps an export under 256 MiB
	// idleRows is how many rows a lane writes to other partitions before
	// it puts a partition's file: records come about in time order, so a
	// day's partition is complete soon after the next day starts. It
	// depends on positions only, so a re-run puts the same files.
	idleRows = 16384
)

// ErrFormat is wrapped by NewWriter for a Format it does not know.
var ErrFormat = errors.New("unknown format")

// Options configure a Writer. The zero value writes the cloudtrail shape at
// the root of the sink.
type Options struct {
	Format Format // CloudTrail when empty
	// Prefix goes before the partition directories, such as
	// "ext/mysource/" for a Security Lake custom source.
	Prefix string
	// RowGroupRows is the number of rows of a row group
	// (DefaultRowGroupRows when 0).
	RowGroupRows int64
	// MaxFileBytes cuts a partition's file when it reaches this size, and
	// starts the next part (DefaultMaxFileBytes when 0).
	MaxFileBytes int64
	// MaxBufferedBytes bounds the memory held for all open files: their
	// bytes, the pages and values of their row groups not yet written, and
	// their encoders (partBase each); beyond it the file holding most
	// is put (DefaultMaxBufferedBytes when 0). An input whose records fall
	// in many partitions at once gets smaller files, not more memory.
	MaxBufferedBytes int64
}

// A Writer writes the records of one input (a log file, a stream) as Parquet
// objects to a sink, one per partition the records fall in:
//
//	[Prefix]region=<awsRegion>/accountId=<recipientAccountId>/eventDay=<YYYYMMDD>/<name>.parquet
//
// name is derived from the input's name alone (Name), so writing the same
// input again replaces the same objects instead of adding rows. A partition
// whose file is cut (MaxFileBytes, MaxBufferedBytes) goes on in <name>_1,
// <name>_2, …, which a second run over the same input cuts the same way.
// Export encodes a large input on two goroutines, the second writing its
// rows of a partition to <name>_p1.parquet (then <name>_p1_1, …): which
// records go there depends on their position in the input only. Objects
// are put when cut and at Close; a Writer is not safe for concurrent use.
type Writer struct {
	dst     sink.Sink
	input   string
	name    string
	opts    Options
	newPart func() part
	// partBase is the memory of a part's encoders once a row is
	// written (partBase).
	partBase int64
	lanes    []*lane
}

// A lane writes its share of the records to files of its own. Write and
// Close use lane 0; Export adds lanes to encode on more than one core.
type lane struct {
	w      *Writer
	name   string // the Writer's name, then the lane's suffix
	budget int64  // MaxBufferedBytes of this lane
	parts  map[string]*open
	seq    map[string]int
	x      extras
	keys   []string
	direct *directRecord // Export's direct path
	recent recentPart    // the direct path's last partition
	rows   int64
	// crowded is where lane 0 says, during Export, whether its open
	// files are too many for two lanes (see Writer.scan).
	crowded chan<- bool
}

type open struct {
	key  string // partition directory
	p    part
	last int64 // the lane's rows when this file was last written
}

// part is one Parquet file being written.
type part interface {
	add(r *event.Record, x *extras) error
	size() int64   // bytes of the file so far
	memory() int64 // bytes held: the file, its row group's pages and values, its encoders
	finish() ([]byte, error)
}

// NewWriter returns a Writer for the input called input (a file path or an
// object key).
func NewWriter(dst sink.Sink, input string, opts Options) (*Writer, error) {
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = DefaultRowGroupRows
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	if opts.MaxBufferedBytes <= 0 {
		opts.MaxBufferedBytes = DefaultMaxBufferedBytes
	}
	if opts.Prefix != "" && !strings.HasSuffix(opts.Prefix, "/") {
		opts.Prefix += "/"
	}
	w := &Writer{dst: dst, input: input, name: Name(input), opts: opts}
	w.lanes = []*lane{w.newLane("", opts.MaxBufferedBytes)}
	meta := parquet.KeyValueMetadata("trailkit.input", input)
	var (
		schema    *parquet.Schema
		values    func(*directTable, *event.Record, *extras)
		pageBytes int
	)
	switch opts.Format {
	case CloudTrail, "":
		w.opts.Format = CloudTrail
		schema, values, pageBytes = schemaOf[CloudTrailRow](), cloudTrailValues, cloudTrailPageBytes
	case OCSF:
		schema, values, pageBytes = schemaOf[OCSFRow](), ocsfValues, ocsfPageBytes
	default:
		return nil, fmt.Errorf("lake: format %q: %w (want cloudtrail or ocsf)", opts.Format, ErrFormat)
	}
	w.partBase = partBase(schema, pageBytes)
	w.newPart = func() part {
		return newDirectTable(schema, values, opts.RowGroupRows, pageBytes, w.partBase, meta)
	}
	return w, nil
}

// Name is the base name of the objects written for an input: the input's
// file name without its extensions, then 8 hex digits of the SHA-256 of the
// whole input name, so that inputs with one file name in two directories do
// not collide.
func Name(input string) string {
	base := path.Base(strings.ReplaceAll(input, "\\", "/"))
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	base = escape(base)
	if len(base) > 160 {
		base = base[:160]
	}
	sum := sha256.Sum256([]byte(input))
	return base + "_" + hex.EncodeToString(sum[:4])
}

// Partition returns the partition directory of r: region, account and day,
// Hive-style, each escaped as Hive escapes path values; a missing value is
// Hive's default partition.
func Partition(r *event.Record) string {
	day := ""
	if !r.EventTime.IsZero() {
		day = r.EventTime.UTC().Format("20060102")
	}
	return "region=" + partValue(r.AWSRegion) + "/accountId=" + partValue(r.RecipientAccountID) + "/eventDay=" + partValue(day) + "/"
}

// NullPartition is Hive's name for a partition whose value is null.
const NullPartition = "__HIVE_DEFAULT_PARTITION__"

func partValue(s string) string {
	if s == "" {
		return NullPartition
	}
	return escape(s)
}

// escape %-encodes the bytes that are not letters, digits, '-' or '_', as
// Hive does for partition values (and sink keys allow).
func escape(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if !plain(s[i]) {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if plain(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func plain(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

func (w *Writer) newLane(suffix string, budget int64) *lane {
	return &lane{w: w, name: w.name + suffix, budget: budget, parts: map[string]*open{}, seq: map[string]int{}}
}

// Write adds r to its partition's file. The Writer keeps r until the file
// is put: the caller must not change it.
func (w *Writer) Write(ctx context.Context, r *event.Record) error {
	return w.lanes[0].write(ctx, r)
}

func (l *lane) write(ctx context.Context, r *event.Record) error {
	o := l.open(Partition(r))
	return l.wrote(ctx, o, o.p.add(r, &l.x))
}

// open returns the open file of partition dir, which it opens if need be.
func (l *lane) open(dir string) *open {
	o := l.parts[dir]
	if o == nil {
		o = &open{key: dir, p: l.w.newPart()}
		l.parts[dir] = o
	}
	return o
}

// wrote counts a row written to o, with err, and puts files as they
// become due.
func (l *lane) wrote(ctx context.Context, o *open, err error) error {
	if err != nil {
		return fmt.Errorf("lake: write %s: %w", l.w.opts.Prefix+o.key+l.name, err)
	}
	l.rows++
	o.last = l.rows
	if o.p.size() >= l.w.opts.MaxFileBytes {
		return l.put(ctx, o)
	}
	if l.rows%1024 == 0 {
		return l.bound(ctx)
	}
	return nil
}

// bound puts the files not written for idleRows rows, then the one that
// holds most memory while all of them hold more than the lane's budget.
func (l *lane) bound(ctx context.Context) error {
	var idle []*open
	for _, o := range l.parts {
		if l.rows-o.last >= idleRows {
			idle = append(idle, o)
		}
	}
	slices.SortFunc(idle, func(a, b *open) int { return strings.Compare(a.key, b.key) })
	for _, o := range idle {
		if err := l.put(ctx, o); err != nil {
			return err
		}
	}
	for {
		var total, most int64
		var big *open
		for _, o := range l.parts {
			m := o.p.memory()
			total += m
			if big == nil || m > most || m == most && o.key < big.key {
				big, most = o, m
			}
		}
		if total <= l.budget || big == nil {
			return nil
		}
		if err := l.put(ctx, big); err != nil {
			return err
		}
	}
}

// put finishes o's file and puts it under its partition.
func (l *lane) put(ctx context.Context, o *open) error {
	delete(l.parts, o.key)
	if l.recent.o == o {
		l.recent.o = nil
	}
	body, err := o.p.finish()
	key := l.w.opts.Prefix + o.key + l.name
	if n := l.seq[o.key]; n > 0 {
		key += "_" + strconv.Itoa(n)
	}
	l.seq[o.key]++
	key += ".parquet"
	if err != nil {
		return fmt.Errorf("lake: write %s: %w", key, err)
	}
	if err := l.w.dst.Put(ctx, sink.Object{Key: key, Body: body, ContentType: "application/vnd.apache.parquet"}); err != nil {
		return err // the sink's error names the operation and key
	}
	l.keys = append(l.keys, key)
	return nil
}

// Close puts the open files, in key order, and returns the first error.
func (w *Writer) Close(ctx context.Context) error {
	for _, l := range w.lanes {
		if err := l.close(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (l *lane) close(ctx context.Context) error {
	dirs := make([]string, 0, len(l.parts))
	for d := range l.parts {
		dirs = append(dirs, d)
	}
	slices.Sort(dirs)
	for _, d := range dirs {
		if err := l.put(ctx, l.parts[d]); err != nil {
			return err
		}
	}
	return nil
}

// Keys returns the keys of the objects put so far, in order.
func (w *Writer) Keys() []string {
	var keys []string
	for _, l := range w.lanes {
		keys = append(keys, l.keys...)
	}
	slices.Sort(keys)
	return keys
}

// Rows returns the number of records written.
func (w *Writer) Rows() int64 {
	var n int64
	for _, l := range w.lanes {
		n += l.rows
	}
	return n
}

// tableOptions are the options of every part's writer, after opts.
func tableOptions(schema *parquet.Schema, rowGroupRows int64, pageBytes int, opts []parquet.WriterOption) []parquet.WriterOption {
	opts = append(opts,
		parquet.Compression(textCodec),
		schema,
		parquet.MaxRowsPerRowGroup(rowGroupRows),
		parquet.PageBufferSize(pageBytes),
		parquet.CreatedBy("trailkit", "", ""),
	)
	for _, path := range schema.Columns() {
		if unbounded(strings.Join(path, ".")) {
			// Page headers' statistics too: parquet-go computes
			// bounds for either.
			opts = append(opts, parquet.SkipPageBounds(path...), parquet.SkipPageStatistics(path...))
		}
	}
	return opts
}

// The values of a column buffered before they are encoded as a page, by
// shape. zstd compresses each page alone, and in a real trail the
// free-form JSON of calls of one API names the same resources again and
// again: the larger a page, the more of those repeats one page holds.
// From 256 KiB to 2 MiB, the cloudtrail shape's files shrink by 13% (the
// generated 200,000 records: 28.44 MB to 24.81 MB; 20,000 records: 2.908
// MB to 2.552 MB, for 1% fewer instructions). The ocsf shape keeps 256
// KiB: parquet-go gives each of its required columns a page's worth of
// values up front (partBase), so that at 1 MiB an open file held 12.3 MB
// instead of 3.3 MB, and an export whose records fall in 96 partitions
// put 9,214 files instead of 8,535, with 34% more CPU time. Its JSON text
// of requests and responses, most of its bytes, has pages of 4 MiB all
// the same (textPageBytes). The cloudtrail shape has no required column:
// an open file holds the same.
const (
	cloudTrailPageBytes = 2 << 20
	ocsfPageBytes       = 256 << 10
)

// fileBuffer holds a file being written, in chunks of fileChunk bytes:
// a file that grew by reallocation was copied about five times over, into
// memory the kernel had to fault in and clear each time. Its bytes are
// copied once, when bytes joins them.
type fileBuffer struct {
	chunks [][]byte
	n      int64 // bytes written
}

const fileChunk = 256 << 10

func (f *fileBuffer) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		last := len(f.chunks) - 1
		if last < 0 || len(f.chunks[last]) == fileChunk {
			f.chunks = append(f.chunks, make([]byte, 0, fileChunk))
			last++
		}
		c := f.chunks[last]
		k := copy(c[len(c):fileChunk], p)
		f.chunks[last] = c[:len(c)+k]
		p = p[k:]
	}
	f.n += int64(n)
	return n, nil
}

// held is the memory of the chunks.
func (f *fileBuffer) held() int64 { return int64(len(f.chunks)) * fileChunk }

// bytes returns the file in one slice of its size, and drops the chunks.
func (f *fileBuffer) bytes() []byte {
	b := make([]byte, 0, f.n)
	for _, c := range f.chunks {
		b = append(b, c...)
	}
	f.chunks, f.n = nil, 0
	return b
}
