package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/schema"
)

func init() {
	register("schema", "check records and digest files against trailkit's JSON Schemas", runSchema)
}

const schemaHelp = `Usage: trailkit schema SUBCOMMAND [flags] [args]

Subcommands:
  validate PATH...   check every record, and every digest file, against the schemas
  show KIND          print a schema: record, logfile or digest

Run 'trailkit schema SUBCOMMAND --help' for a subcommand's flags.
`

func runSchema(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no subcommand given: validate or show")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "validate":
		return subUsage("validate", runSchemaValidate(ctx, e, rest))
	case "show":
		return subUsage("show", runSchemaShow(e, rest))
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, schemaHelp)
		return flag.ErrHelp
	default:
		return usagef("unknown subcommand %q: validate or show", sub)
	}
}

// subUsage words a subcommand's usage error so that it names the
// subcommand and points at its help; still exit status 2.
func subUsage(sub string, err error) error {
	var ue usageError
	if errors.As(err, &ue) {
		return exitError{code: 2, err: fmt.Errorf("%s: %s (run 'trailkit schema %s --help')", sub, ue.msg, sub)}
	}
	return err
}

func runSchemaShow(e *env, args []string) error {
	fl := newFlags(e, "schema show", "record|logfile|digest\n\nPrints the JSON Schema (draft 2020-12) of a record, a log file or a digest file.")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return usagef("want one KIND: record, logfile or digest")
	}
	kinds := map[string]schema.Kind{"record": schema.Record, "logfile": schema.LogFile, "digest": schema.Digest}
	k, ok := kinds[fl.Arg(0)]
	if !ok {
		return usagef("unknown KIND %q: record, logfile or digest", fl.Arg(0))
	}
	data, err := schema.FS.ReadFile(k.File())
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(data)
	return err
}

const schemaValidateUsage = `[--quiet] [--json] [--endpoint-url URL] PATH...

Checks every record against trailkit's JSON Schema for CloudTrail records
('trailkit schema show record'), and every digest file against the digest
schema. PATH is a file in any form records come in (.json, .json.gz, .jsonl,
...), a directory (every log and digest file under it, in key order),
s3://bucket/prefix, or - for standard input. A digest file is recognised by
its name (_CloudTrail-Digest_) or by its content.

Prints one line per invalid record or digest file, naming the file, the
record's index and byte offset and each violation's JSON pointer and
message, then a summary line. Inputs that cannot be read are reported on
standard error and the rest are still checked.

Exit status: 0 when everything is valid, 1 when anything is invalid or
unreadable, 2 for usage errors.`

// schemaTally counts what schema validate saw.
type schemaTally struct {
	Records        int64 `json:"records"`
	InvalidRecords int64 `json:"invalidRecords"`
	Digests        int64 `json:"digests"`
	InvalidDigests int64 `json:"invalidDigests"`
	Unreadable     int64 `json:"unreadable"`
}

// schemaReport writes the findings of schema validate as text or JSON Lines.
type schemaReport struct {
	out    *bufio.Writer
	stderr io.Writer
	json   bool
	quiet  bool
	bar    *progress
	tally  schemaTally
}

// schemaFinding is one invalid record or digest in --json output.
type schemaFinding struct {
	Type       string            `json:"type"` // "invalid"
	File       string            `json:"file"`
	Kind       string            `json:"kind"` // "record" or "digest"
	Index      int               `json:"index"`
	Offset     int64             `json:"offset"`
	Violations []schemaViolation `json:"violations"`
}

type schemaViolation struct {
	Pointer string `json:"pointer"`
	Keyword string `json:"keyword"`
	Message string `json:"message"`
}

func runSchemaValidate(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "schema validate", schemaValidateUsage)
	quiet := fl.Bool("quiet", false, "print no progress bar and no summary line")
	asJSON := fl.Bool("json", false, "print JSON Lines: one object per invalid record or digest, per unreadable input, and a summary")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// paths (or AWS_ENDPOINT_URL_S3)")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("no PATH given")
	}
	rep := &schemaReport{
		out:    bufio.NewWriterSize(e.stdout, 64<<10),
		stderr: e.stderr,
		json:   *asJSON,
		quiet:  *quiet,
		bar:    newProgress(e, *quiet || *asJSON),
	}
	defer rep.out.Flush()

	inputs := make([]schemaInput, 0, fl.NArg())
	total, known := int64(0), true
	for _, path := range fl.Args() {
		in := schemaInput{path: path}
		if path != "-" && !strings.HasPrefix(path, "s3://") {
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				in.dir = true
				in.files, in.err = schemaFiles(path)
				total += int64(len(in.files))
				if len(in.files) > 0 {
					defer in.files[0].tree.Close() // they open beneath it
				}
			} else {
				total++
			}
		} else {
			known = false // stdin and S3 prefixes: unknown until read
		}
		inputs = append(inputs, in)
	}
	if known {
		rep.bar.setTotal(total)
	}

	pipe := newSchemaPipeline(rep, runtime.GOMAXPROCS(0))
	err := checkSchemaInputs(ctx, e, inputs, *endpoint, pipe)
	pipe.close()
	if err != nil {
		return err
	}
	rep.bar.done()
	rep.summary()
	if err := rep.out.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	t := rep.tally
	if t.InvalidRecords+t.InvalidDigests+t.Unreadable > 0 {
		return exitError{code: 1, err: errors.New("")} // the report has said why
	}
	return nil
}

// checkSchemaInputs reads every input into the pipeline. An input that
// cannot be read is reported, and the next one is read.
func checkSchemaInputs(ctx context.Context, e *env, inputs []schemaInput, endpoint string, pipe *schemaPipeline) error {
	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !in.dir {
			if err := eachInput(ctx, e, in.path, endpoint, pipe.read); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				pipe.fail(in.path, err)
			}
			continue
		}
		for _, f := range in.files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := catFile(f, pipe.read); err != nil {
				pipe.fail(f.name, err)
			}
		}
		if in.err != nil {
			pipe.fail(in.path, in.err) // what could be listed was checked
		}
	}
	return nil
}

// schemaInput is one PATH argument; a directory is listed up front so that
// the progress bar knows how many files there are.
type schemaInput struct {
	path  string
	dir   bool
	files []inputFile // a directory's files, in key order
	err   error       // why the directory could not be listed, or not all of it
}

// schemaFiles lists the log and digest files under dir, in key order,
// skipping hidden trees (metadata), walked through an os.Root that the
// files' tree holds open (they open beneath it) until it is closed.
func schemaFiles(dir string) ([]inputFile, error) {
	t, err := openTree(dir)
	if err != nil {
		return nil, err
	}
	var files []inputFile
	err = fs.WalkDir(t.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, p), err)
		}
		if d.IsDir() && p != "." && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		if d.Type().IsRegular() && (isLogName(d.Name()) || isDigestName(d.Name())) {
			files = append(files, t.file(p))
		}
		return nil
	})
	if len(files) == 0 {
		t.Close()
	}
	slices.SortFunc(files, func(a, b inputFile) int { return strings.Compare(a.name, b.name) })
	if testHookWalked != nil {
		testHookWalked(files)
	}
	return files, err
}

func isDigestName(name string) bool {
	return strings.Contains(name, "_CloudTrail-Digest_") &&
		(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json"))
}

// schemaPipeline checks records on every core while the input is read,
// and reports them in input order. The reader fills batches of records;
// each batch goes both to the workers and, in order, to the reporter, which
// waits for a batch to be checked before it reports it. The channels'
// capacity bounds the batches in flight, and so the memory.
type schemaPipeline struct {
	rep      *schemaReport
	work     chan *schemaBatch
	ordered  chan *schemaBatch
	workers  sync.WaitGroup
	reported chan struct{}
	cur      *schemaBatch
	free     sync.Pool
}

// schemaBatch is a run of values from one input, copied end to end into buf.
type schemaBatch struct {
	name    string
	byName  bool // the input's name says digest file
	buf     []byte
	items   []schemaItem
	readErr error // why the input could not be read to its end; reported last
	done    chan struct{}
}

type schemaItem struct {
	index      int
	offset     int64
	start, end int // the value is buf[start:end]
	kind       schema.Kind
	err        error
}

// A batch is sent when it holds this many values or bytes.
const (
	schemaBatchItems = 256
	schemaBatchBytes = 1 << 20
)

func newSchemaPipeline(rep *schemaReport, workers int) *schemaPipeline {
	p := &schemaPipeline{
		rep:      rep,
		work:     make(chan *schemaBatch, workers),
		ordered:  make(chan *schemaBatch, 2*workers),
		reported: make(chan struct{}),
	}
	for range workers {
		p.workers.Add(1)
		go func() {
			defer p.workers.Done()
			for b := range p.work {
				b.check()
				close(b.done)
			}
		}()
	}
	go func() {
		defer close(p.reported)
		for b := range p.ordered {
			<-b.done
			p.report(b)
			b.buf, b.items, b.readErr = b.buf[:0], b.items[:0], nil
			p.free.Put(b)
		}
	}()
	return p
}

// read puts every value of one input into batches.
func (p *schemaPipeline) read(name string, in io.Reader) error {
	byName := isDigestName(filepath.Base(name))
	sc := event.NewScanner(&countingReader{r: in, bar: p.rep.bar})
	sc.Name = name
	defer sc.Close()
	for sc.Scan() {
		b := p.batch(name, byName)
		start := len(b.buf)
		b.buf = append(b.buf, sc.Bytes()...)
		b.items = append(b.items, schemaItem{index: sc.Index(), offset: sc.Offset(), start: start, end: len(b.buf)})
		if len(b.items) >= schemaBatchItems || len(b.buf) >= schemaBatchBytes {
			p.send()
		}
	}
	if err := sc.Err(); err != nil {
		p.batch(name, byName).readErr = err
	}
	p.send()
	p.rep.bar.add(1, 0, 0)
	return nil
}

// fail reports an input that could not be opened or listed.
func (p *schemaPipeline) fail(name string, err error) {
	p.batch(name, false).readErr = err
	p.send()
}

// batch returns the batch being filled, starting one if need be.
func (p *schemaPipeline) batch(name string, byName bool) *schemaBatch {
	if p.cur != nil && p.cur.name != name {
		p.send()
	}
	if p.cur == nil {
		b, _ := p.free.Get().(*schemaBatch)
		if b == nil {
			b = &schemaBatch{}
		}
		b.name, b.byName, b.done = name, byName, make(chan struct{})
		p.cur = b
	}
	return p.cur
}

// send hands the batch being filled to the reporter and the workers.
func (p *schemaPipeline) send() {
	b := p.cur
	if b == nil {
		return
	}
	p.cur = nil
	p.ordered <- b
	if len(b.items) == 0 {
		close(b.done) // nothing to check: only a read error to report
		return
	}
	p.work <- b
}

// close sends what is left, then waits for every batch to be reported.
func (p *schemaPipeline) close() {
	p.send()
	close(p.work)
	close(p.ordered)
	p.workers.Wait()
	<-p.reported
}

// check validates each value of the batch: as a digest when the input is
// named as one, else as what the value is.
func (b *schemaBatch) check() {
	for i := range b.items {
		it := &b.items[i]
		v := b.buf[it.start:it.end]
		if b.byName {
			it.kind, it.err = schema.Digest, schema.ValidateDigest(v)
		} else if it.kind, it.err = schema.Validate(v); it.kind == schema.LogFile {
			// The scanner streams a log file's Records, so this is a
			// value with a member named Records but no eventVersion:
			// check it as the record it stands in place of.
			it.kind, it.err = schema.Record, schema.ValidateRecord(v)
		}
	}
}

func (p *schemaPipeline) report(b *schemaBatch) {
	for _, it := range b.items {
		p.rep.count(it.kind, it.err != nil)
		if it.err != nil {
			p.rep.invalid(b.name, it.kind, it.index, it.offset, it.err)
		}
	}
	if b.readErr != nil {
		p.rep.unreadable(b.name, b.readErr)
	}
}

func (r *schemaReport) count(k schema.Kind, invalid bool) {
	if k == schema.Digest {
		r.tally.Digests++
		if invalid {
			r.tally.InvalidDigests++
		}
	} else {
		r.tally.Records++
		if invalid {
			r.tally.InvalidRecords++
		}
	}
	r.bar.add(0, 1, 0)
}

// invalid reports one invalid record or digest.
func (r *schemaReport) invalid(name string, k schema.Kind, index int, offset int64, err error) {
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		// The scanner checked the JSON; this is a failure of the
		// validator itself, reported as it is.
		ve = &schema.ValidationError{Kind: k, Violations: []schema.Violation{{Message: err.Error()}}}
	}
	r.bar.done()
	if r.json {
		f := schemaFinding{Type: "invalid", File: name, Kind: "record", Index: index, Offset: offset}
		if k == schema.Digest {
			f.Kind = "digest"
		}
		for _, v := range ve.Violations {
			f.Violations = append(f.Violations, schemaViolation(v))
		}
		r.writeJSON(f)
	} else {
		// Numbered from 1 here, as editors number lines; the JSON output
		// keeps the 0-based index.
		what := fmt.Sprintf("record %d", index+1)
		if k == schema.Digest {
			what = "digest file"
		}
		fmt.Fprintf(r.out, "%s: %s at byte %d: ", name, what, offset)
		for i, v := range ve.Violations {
			if i > 0 {
				r.out.WriteString("; ")
			}
			r.out.WriteString(v.String())
		}
		r.out.WriteByte('\n')
	}
	if r.bar.w != nil {
		r.out.Flush() // before the bar draws again on the same terminal
	}
}

// unreadable reports an input that could not be read, or read to its end.
func (r *schemaReport) unreadable(name string, err error) {
	r.tally.Unreadable++
	r.bar.done()
	msg := err.Error()
	var re *event.ReadError
	if !r.json && errors.As(err, &re) && re.Index >= 0 {
		// The text output numbers records from 1.
		msg = fmt.Sprintf("%s: record %d at byte %d: %v", re.Name, re.Index+1, re.Offset, re.Err)
	}
	if !strings.Contains(msg, name) {
		msg = name + ": " + msg
	}
	if r.json {
		r.writeJSON(struct {
			Type  string `json:"type"`
			File  string `json:"file"`
			Error string `json:"error"`
		}{"error", name, msg})
		return
	}
	r.out.Flush() // keep the order of stdout and stderr lines on a terminal
	fmt.Fprintf(r.stderr, "trailkit schema validate: %s\n", msg)
}

func (r *schemaReport) summary() {
	t := r.tally
	if r.json {
		r.writeJSON(struct {
			Type string `json:"type"`
			schemaTally
		}{"summary", t})
		return
	}
	if r.quiet {
		return
	}
	fmt.Fprintf(r.out, "%d records: %d valid, %d invalid", t.Records, t.Records-t.InvalidRecords, t.InvalidRecords)
	if t.Digests > 0 {
		fmt.Fprintf(r.out, "; %d digest files: %d valid, %d invalid", t.Digests, t.Digests-t.InvalidDigests, t.InvalidDigests)
	}
	if t.Unreadable > 0 {
		fmt.Fprintf(r.out, "; %d unreadable", t.Unreadable)
	}
	r.out.WriteByte('\n')
}

func (r *schemaReport) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"type":"error","error":` + fmt.Sprintf("%q", err.Error()) + `}`)
	}
	r.out.Write(b)
	r.out.WriteByte('\n')
}

// countingReader feeds the bytes read to the progress bar.
type countingReader struct {
	r   io.Reader
	bar *progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.bar.add(0, 0, int64(n))
	}
	return n, err
}
