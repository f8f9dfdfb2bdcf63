package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/trailkit/trailkit/event"
)

func init() {
	register("cat", "print records as JSON Lines, or count them", runCat)
}

func runCat(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "cat", "[--count] [--selectors FILE] [--sqs-queue-url URL [--follow]] PATH...\n\nPATH is a log file (.json, .json.gz, .jsonl, any form CloudTrail records come in), a directory\n(every file under it, in key order), s3://bucket/prefix, or - for standard input.")
	count := fl.Bool("count", false, "print only the number of records")
	selectors := fl.String("selectors", "", "print only records a trail with these event selectors logs (JSON as get-event-selectors prints it)")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// paths (or AWS_ENDPOINT_URL_S3)")
	queueURL := fl.String("sqs-queue-url", "", "also read the log files this SQS queue's messages announce, deleting each message once its files are printed")
	follow := fl.Bool("follow", false, "with --sqs-queue-url: keep polling until interrupted (SIGINT, SIGTERM)")
	lenient := fl.Bool("lenient", false, "print every JSON object, also those that are not shaped like a record (eventVersion, eventTime, and eventName, eventSource or eventType)")
	if err := fl.parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() == 0 && *queueURL == "":
		return usagef("no PATH given")
	case *follow && *queueURL == "":
		return usagef("--follow is for --sqs-queue-url")
	}
	match, err := loadMatcher(*selectors)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(e.stdout, 256<<10)
	defer out.Flush()
	c := &catter{ctx: ctx, match: match, count: *count, lenient: *lenient}
	var n int64
	for _, path := range fl.Args() {
		err := walkInput(ctx, e, path, *endpoint, nil, func(name string, r io.Reader) error {
			k, err := c.read(name, r, out)
			n += k
			return err
		}, func(files []inputFile) error {
			k, err := c.readFiles(ctx, files, out)
			n += k
			return err
		})
		if err != nil {
			return err
		}
	}
	if *queueURL != "" {
		if err := catQueue(ctx, e, *queueURL, *endpoint, *follow, match, out, &n, *count); err != nil {
			return err
		}
	}
	if *count {
		fmt.Fprintln(out, n)
	}
	return out.Flush()
}

// catter prints (or counts) the records of its inputs.
type catter struct {
	ctx     context.Context          // the command's: a signal stops reading
	match   func(*event.Record) bool // nil: every record
	count   bool
	lenient bool // print values that are not record-shaped too
}

// read copies the records of one input to w, one compact JSON record a
// line, and returns how many it printed (or would have).
func (c *catter) read(name string, r io.Reader, w io.Writer) (int64, error) {
	sc := event.NewScanner(r)
	sc.Name = name
	defer sc.Close()
	var rec event.Record
	var n int64
	for sc.Scan() {
		if err := stopped(c.ctx, sc.Index()); err != nil {
			return n, err
		}
		if !c.lenient {
			if err := scannedShape(sc); err != nil {
				return n, &event.ReadError{Name: name, Index: sc.Index(), Offset: sc.Offset(), Err: err}
			}
		}
		if c.match != nil {
			if err := event.Unmarshal(sc.Bytes(), &rec); err != nil {
				return n, &event.ReadError{Name: name, Index: sc.Index(), Offset: sc.Offset(), Err: err}
			}
			if !c.match(&rec) {
				continue
			}
		}
		n++
		if !c.count {
			// The Scanner's bytes are the record as read, compacted:
			// printing them is lossless and needs no encoding.
			w.Write(sc.Bytes())
			if _, err := w.Write(newline); err != nil {
				return n, fmt.Errorf("write: %w", err)
			}
		}
	}
	return n, sc.Err()
}

var newline = []byte{'\n'}

// catBufferLimit bounds what one file read ahead may print into memory; a
// file that prints more is read again, in its turn, straight to the output.
const catBufferLimit = 16 << 20

// catCountAhead is how many files cat --count reads ahead of the one it
// adds next: each costs a count.
const catCountAhead = 256

// errCatBuffer is what a file read ahead that prints too much stops with.
var errCatBuffer = errors.New("output larger than the read-ahead buffer")

// catResult is one file read ahead: its output and count, or the error
// that stopped it (errCatBuffer: read it again in turn).
type catResult struct {
	out *bytes.Buffer
	n   int64
	err error
}

var catBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// readFiles prints the records of files in their order, reading a few
// files ahead on as many goroutines as there are processors: many small
// log files are read at the speed of decompressing them, while the output
// stays what reading them one by one gives.
func (c *catter) readFiles(ctx context.Context, files []inputFile, w io.Writer) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	results := make([]chan catResult, len(files))
	for i := range results {
		results[i] = make(chan catResult, 1)
	}
	// slots bounds the files read and not yet printed. A file read ahead
	// holds its output (up to catBufferLimit), so few are; counting holds
	// none, and a longer way ahead keeps every processor busy while the
	// file to print next waits on one the system has paused (on a busy
	// machine, for a whole time slice, in which the others run dry).
	ahead := 2 * workers
	if c.count {
		ahead = catCountAhead
	}
	slots := make(chan struct{}, ahead)
	var next atomic.Int64
	var wg sync.WaitGroup
	defer wg.Wait()
	for range min(workers, len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case slots <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				results[i] <- c.readAhead(files[i])
			}
		}()
	}
	var n int64
	for i, f := range files {
		var res catResult
		select {
		case res = <-results[i]:
		case <-ctx.Done():
			return n, ctx.Err()
		}
		<-slots
		if res.err == errCatBuffer {
			catBuffers.Put(res.out)
			res.out, res.err = nil, catFile(f, func(name string, r io.Reader) error {
				var err error
				res.n, err = c.read(name, r, w)
				return err
			})
		}
		if res.out != nil {
			_, werr := w.Write(res.out.Bytes())
			res.out.Reset()
			catBuffers.Put(res.out)
			if werr != nil {
				return n, fmt.Errorf("write: %w", werr)
			}
		}
		n += res.n
		if res.err != nil {
			return n, res.err
		}
	}
	return n, nil
}

// readAhead reads one file into memory, up to catBufferLimit of output.
func (c *catter) readAhead(f inputFile) catResult {
	var res catResult
	var w io.Writer = io.Discard
	if !c.count {
		res.out = catBuffers.Get().(*bytes.Buffer)
		w = &limitedBuffer{b: res.out}
	}
	res.err = catFile(f, func(name string, r io.Reader) error {
		var err error
		res.n, err = c.read(name, r, w)
		if errors.Is(err, errCatBuffer) {
			err = errCatBuffer
		}
		return err
	})
	return res
}

// limitedBuffer fails with errCatBuffer rather than grow past
// catBufferLimit.
type limitedBuffer struct{ b *bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if l.b.Len()+len(p) > catBufferLimit {
		return 0, errCatBuffer
	}
	return l.b.Write(p)
}

// eachInput calls fn for each input PATH names: stdin, a file, every file
// under a directory in key order, or every object under an S3 prefix.
func eachInput(ctx context.Context, e *env, path, endpoint string, fn func(name string, r io.Reader) error) error {
	return eachInputIf(ctx, e, path, endpoint, nil, fn)
}

// eachInputIf is eachInput for the inputs keep accepts (all when nil),
// asked before an input is opened.
func eachInputIf(ctx context.Context, e *env, path, endpoint string, keep func(name string) bool, fn func(name string, r io.Reader) error) error {
	return walkInput(ctx, e, path, endpoint, keep, fn, func(files []inputFile) error {
		for _, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := catFile(f, fn); err != nil {
				return err
			}
		}
		return nil
	})
}

// walkInput is eachInputIf giving the files under a directory that keep
// accepts, in key order, to files, which opens each beneath the
// directory (inputFile.open).
func walkInput(ctx context.Context, e *env, path, endpoint string, keep func(name string) bool, fn func(name string, r io.Reader) error, files func([]inputFile) error) error {
	switch {
	case path == "-":
		r, stop := interruptible(ctx, e.stdin)
		defer stop()
		return fn("stdin", r)
	case strings.HasPrefix(path, "s3://"):
		return eachS3Object(ctx, e, path, endpoint, keep, fn)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return catFile(inputFile{name: path}, fn)
	}
	// The tree is walked through an os.Root, and its files opened beneath
	// it: a link that leads out of it is an error naming the path, never a
	// file read elsewhere.
	t, err := openTree(path)
	if err != nil {
		return err
	}
	defer t.Close()
	var list []inputFile
	err = fs.WalkDir(t.root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		full := filepath.Join(path, p)
		if err != nil {
			return fmt.Errorf("%s: %w", full, err)
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "CloudTrail-Digest") {
			return fs.SkipDir // hidden trees hold metadata, digest trees digests: no records
		}
		if d.IsDir() || !isLogName(d.Name()) {
			return nil
		}
		mode := d.Type()
		if mode&fs.ModeSymlink != 0 {
			fi, err := t.root.Stat(p) // follows the link, within the tree only
			if err != nil {
				return fmt.Errorf("%s: %w", full, err)
			}
			mode = fi.Mode().Type()
		}
		if !mode.IsRegular() {
			// A FIFO would block the read, a device never end.
			fmt.Fprintf(e.stderr, "trailkit: skipping %s: not a regular file (%v)\n", full, mode)
			return nil
		}
		list = append(list, t.file(p))
		return nil
	})
	if err != nil {
		return err
	}
	// S3 key order: paths compare byte by byte, '/' included.
	slices.SortFunc(list, func(a, b inputFile) int { return strings.Compare(a.name, b.name) })
	if keep != nil {
		list = slices.DeleteFunc(list, func(f inputFile) bool { return !keep(f.name) })
	}
	if testHookWalked != nil {
		testHookWalked(list)
	}
	return files(list)
}

// isLogName reports whether a file in a directory tree holds records: log
// files, not digests.
func isLogName(name string) bool {
	if strings.Contains(name, "_CloudTrail-Digest_") {
		return false
	}
	for _, ext := range []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// stopped returns ctx's error every 256 records: a long input stops soon
// after a signal.
func stopped(ctx context.Context, index int) error {
	if index&255 != 0 {
		return nil
	}
	return ctx.Err()
}

// interruptible returns a reader of r whose Read returns when ctx ends,
// with its cause, although a read of r (a terminal, a pipe) may wait
// forever: a signal stops a command reading standard input. The read in
// progress is left to the process's exit.
func interruptible(ctx context.Context, r io.Reader) (io.Reader, func()) {
	pr, pw := io.Pipe()
	go func() {
		_, err := io.Copy(pw, r)
		pw.CloseWithError(err)
	}()
	stop := context.AfterFunc(ctx, func() { pw.CloseWithError(context.Cause(ctx)) })
	return pr, func() { stop(); pr.Close() }
}

// scannedShape is checkShape for the Scanner's current record, from the
// top-level members the Scanner located while validating it, when it did
// (without reading the record again).
func scannedShape(sc *event.Scanner) error {
	raw, ms := sc.Bytes(), sc.Members()
	if ms == nil {
		return checkShape(raw)
	}
	var version, time, what bool
	for _, m := range ms {
		if m.Escaped {
			return checkShape(raw) // a key spelt with escapes: decode it
		}
		switch string(raw[m.Key:m.KeyEnd]) {
		case `"eventVersion"`:
			version = true
		case `"eventTime"`:
			time = true
		case `"eventName"`, `"eventSource"`, `"eventType"`:
			what = true
		}
	}
	if version && time && what {
		return nil
	}
	return checkShape(raw) // which says what is missing
}

// checkShape reports a value that is not shaped like a CloudTrail record:
// an object with eventVersion, eventTime, and one of eventName, eventSource
// and eventType. Counting {"foo":1} as a record would hide a wrong input.
func checkShape(raw []byte) error {
	v := event.Get(raw)
	if v.Kind() != event.Object {
		return fmt.Errorf("not a CloudTrail record: a JSON %v, not an object (--lenient prints it anyway)", v.Kind())
	}
	var version, time, what bool
	for k := range v.Members() {
		switch k {
		case "eventVersion":
			version = true
		case "eventTime":
			time = true
		case "eventName", "eventSource", "eventType":
			what = true
		}
		if version && time && what {
			break // CloudTrail writes them first: the rest need not be read
		}
	}
	var missing []string
	if !version {
		missing = append(missing, "eventVersion")
	}
	if !time {
		missing = append(missing, "eventTime")
	}
	if !what {
		missing = append(missing, "eventName, eventSource or eventType")
	}
	if len(missing) > 0 {
		return fmt.Errorf("not a CloudTrail record: no %s (--lenient prints it anyway)", strings.Join(missing, ", "))
	}
	return nil
}
