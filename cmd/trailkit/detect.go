package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"

	"github.com/trailkit/trailkit/detect"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

func init() {
	register("detect", "evaluate Sigma rules, CloudWatch filter patterns or the CIS alarms on records", runDetect)
}

const detectUsage = `[--rules FILE|DIR]... [--pattern PATTERN]... [--cis] [--output json|ocsf] [--fail-on-findings] INPUT...

Prints one JSON object a line per finding: rule_id (the Sigma id, the CIS
control, or pattern-N for the N-th --pattern), title, level, source (sigma,
cis or pattern), author, eventID, eventTime, eventName and the record. With
--output ocsf, each finding is an OCSF 1.1 Detection Finding (class 2004).

INPUT is what 'trailkit cat' reads: a log file, a directory, s3://bucket/prefix
or - for standard input. Exit status: 0 when it ran, 1 with --fail-on-findings
when there were findings, 2 for a usage error, a bad rule or unreadable input.`

func runDetect(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "detect", detectUsage)
	var rulePaths, patterns stringsFlag
	fl.Var(&rulePaths, "rules", "a Sigma rule file, or a directory of them (repeatable)")
	fl.Var(&patterns, "pattern", "a CloudWatch Logs filter pattern (repeatable)")
	cis := fl.Bool("cis", false, "the CloudTrail alarms of the CIS AWS Foundations Benchmark v"+detect.CISVersion)
	output := fl.String("output", "json", "json, or ocsf for OCSF 1.1 Detection Findings")
	failOn := fl.Bool("fail-on-findings", false, "exit 1 when there are findings")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// paths (or AWS_ENDPOINT_URL_S3)")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("no INPUT given")
	}
	if len(rulePaths) == 0 && len(patterns) == 0 && !*cis {
		return usagef("no rules: give --rules, --pattern or --cis")
	}
	if *output != "json" && *output != "ocsf" {
		return usagef("--output must be json or ocsf, not %q", *output)
	}
	set, err := loadRules(rulePaths, patterns, *cis)
	if err != nil {
		return exitError{code: 2, err: err}
	}
	growPipe(e.stdout, 1<<20)
	w := newFindingWriter(e.stdout, *output == "ocsf")
	defer w.close()
	var inputErr error
	for _, path := range fl.Args() {
		inputErr = eachInput(ctx, e, path, *endpoint, func(name string, r io.Reader) error {
			sc := event.NewScanner(r)
			sc.Name = name
			// Many rules read userIdentity's members, on every record;
			// the few that read requestParameters.x are tried on a few
			// eventNames, and have detect locate them when they do.
			sc.IndexNested = []string{"userIdentity"}
			defer sc.Close()
			// Matched on the goroutine that scans: the Scanner
			// decompresses on one of its own, and a third stage costs
			// more in copying and hand-overs than it gains.
			for n := 0; sc.Scan(); n++ {
				if n&4095 == 4095 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				nested, objects := sc.Nested()
				set.MatchNested(sc.Bytes(), sc.Members(), nested, objects, w.write)
				if w.err != nil {
					return w.err // stop reading input that cannot be reported
				}
			}
			return sc.Err()
		})
		if inputErr != nil {
			break
		}
	}
	switch {
	case w.err != nil:
		return w.err
	case errors.Is(inputErr, context.Canceled):
		return inputErr
	case inputErr != nil:
		return exitError{code: 2, err: inputErr}
	}
	if err := w.close(); err != nil {
		return err
	}
	if *failOn && w.n > 0 {
		return exitError{code: 1, err: fmt.Errorf("%d findings", w.n)}
	}
	return nil
}

// loadRules compiles every rule the flags name, reporting every bad one.
func loadRules(paths, patterns []string, cis bool) (*detect.Set, error) {
	var rules []*detect.Rule
	var errs []error
	for _, p := range paths {
		rs, err := detect.LoadSigma(p)
		rules = append(rules, rs...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	for i, p := range patterns {
		r, err := detect.ParsePattern("pattern-"+strconv.Itoa(i+1), p)
		if err != nil {
			errs = append(errs, fmt.Errorf("--pattern %s", err))
			continue
		}
		rules = append(rules, r)
	}
	if cis {
		rules = append(rules, detect.CIS()...)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return detect.NewSet(rules...), nil
}

// findingWriter prints findings, one JSON object a line. It encodes them
// into a buffer of its own, and hands the buffer to a goroutine that
// writes it out when it holds findingBuffer bytes: each record is copied
// once, into the buffer (a bufio.Writer would copy it a second time, from
// its available buffer onto itself), and scanning goes on while the
// buffer before is being written, rather than waiting for a pipe's reader
// to make room. The buffers come back to be filled again, findingBuffers
// of them in all, so that a slow reader holds the scanning back at a
// bounded memory.
type findingWriter struct {
	buf  []byte // findings not handed over yet
	ocsf bool
	n    int
	err  error // the first write error, as the scanning goroutine saw it
	// heads are each rule's members of a finding, encoded.
	heads map[*detect.Rule][]byte

	full   chan []byte // buffers to write, in order
	free   chan []byte // buffers written, to fill again
	done   chan struct{}
	werr   atomic.Pointer[error] // set by the writing goroutine
	closed bool
}

// findingBuffer is how many bytes of findings are written at once, and
// findingBuffers how many buffers of them there are: one being filled,
// the others queued or being written.
const (
	findingBuffer  = 256 << 10
	findingBuffers = 3
)

func newFindingWriter(out io.Writer, ocsf bool) *findingWriter {
	w := &findingWriter{ocsf: ocsf, buf: newFindingBuffer(),
		full: make(chan []byte, findingBuffers-1), free: make(chan []byte, findingBuffers),
		done: make(chan struct{})}
	for range findingBuffers - 1 {
		w.free <- newFindingBuffer()
	}
	go w.run(out)
	return w
}

func newFindingBuffer() []byte { return make([]byte, 0, findingBuffer+64<<10) }

// run writes the buffers handed to it until full is closed. After a write
// error it writes nothing more but still gives the buffers back, so that
// the scanning goroutine never waits for one.
func (w *findingWriter) run(out io.Writer) {
	defer close(w.done)
	failed := false
	for b := range w.full {
		if !failed {
			if _, err := out.Write(b); err != nil {
				err = fmt.Errorf("write: %w", err)
				w.werr.Store(&err)
				failed = true
			}
		}
		if cap(b) > 4*findingBuffer {
			b = newFindingBuffer() // grown by a huge record: not kept
		}
		w.free <- b[:0]
	}
}

func (w *findingWriter) write(f detect.JSONFinding) {
	w.n++
	r := f.Rule
	b := w.buf
	if w.ocsf {
		b = f.AppendOCSF(b)
	} else {
		b = append(b, w.head(r)...)
		b = append(b, `,"eventID":`...)
		b = jsonscan.AppendString(b, f.EventID)
		b = append(b, `,"eventTime":`...)
		b = jsonscan.AppendString(b, f.EventTime)
		b = append(b, `,"eventName":`...)
		b = jsonscan.AppendString(b, f.EventName)
		b = append(b, `,"record":`...)
		b = append(b, f.Record...)
		b = append(b, '}')
	}
	w.buf = append(b, '\n')
	if len(w.buf) >= findingBuffer {
		w.handOver()
	}
}

// handOver queues the buffer for writing and takes an empty one, and
// notes a write error the writing goroutine has met.
func (w *findingWriter) handOver() {
	w.full <- w.buf
	w.buf = <-w.free
	if err := w.werr.Load(); err != nil && w.err == nil {
		w.err = *err
	}
}

// close writes the findings still buffered, waits for every write, and
// returns the first write error. Only the first call does anything.
func (w *findingWriter) close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if len(w.buf) > 0 {
		w.full <- w.buf
	}
	close(w.full)
	<-w.done
	if err := w.werr.Load(); err != nil && w.err == nil {
		w.err = *err
	}
	return w.err
}

// head returns the members of a finding that come from its rule, encoded
// once per rule: a rule that matches often is not encoded again each time.
func (w *findingWriter) head(r *detect.Rule) []byte {
	if h, ok := w.heads[r]; ok {
		return h
	}
	b := append([]byte(nil), `{"rule_id":`...)
	b = jsonscan.AppendString(b, r.ID)
	b = append(b, `,"title":`...)
	b = jsonscan.AppendString(b, r.Title)
	b = append(b, `,"level":`...)
	b = jsonscan.AppendString(b, r.Level)
	b = append(b, `,"source":`...)
	b = jsonscan.AppendString(b, r.Source)
	if r.Author != "" {
		b = append(b, `,"author":`...)
		b = jsonscan.AppendString(b, r.Author)
	}
	if w.heads == nil {
		w.heads = map[*detect.Rule][]byte{}
	}
	w.heads[r] = b
	return b
}
