package sink

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/trailkit/trailkit/event"
)

// WriterOptions configures a Writer.
type WriterOptions struct {
	// Bucket is the name Bucket returns, recorded by digests as where the
	// objects went. Default: "stdout".
	Bucket string
}

// writerBuffer is how much of one object's output a Writer prepares before
// taking its turn at the destination: objects up to this size are decoded
// in parallel and written in one piece; larger ones stream the rest while
// holding the destination.
const writerBuffer = 4 << 20

// Writer is a write-only Sink that prints each record of each log file it
// is given as one line of compact JSON (JSON Lines), for development and for
// piping delivered records into other tools. A log file is any object the
// event.Scanner reads, gzipped or not. Objects that hold no records are
// skipped without error: digest files (keys containing "CloudTrail-Digest")
// and empty bodies.
//
// Put is safe for concurrent use, and the lines of one object are never
// interleaved with another's. A record that cannot be read is an error and
// nothing of the object is printed, except that for an object whose output
// exceeds 4 MiB the lines before the fault may already have been written.
type Writer struct {
	w      io.Writer
	bucket string
	turn   chan struct{} // holds a token while a Put writes to w
}

var _ Sink = (*Writer)(nil)

// NewWriter returns a Writer printing to w, such as os.Stdout.
func NewWriter(w io.Writer, opts WriterOptions) *Writer {
	bucket := opts.Bucket
	if bucket == "" {
		bucket = "stdout"
	}
	return &Writer{w: w, bucket: bucket, turn: make(chan struct{}, 1)}
}

// Bucket returns WriterOptions.Bucket or "stdout".
func (w *Writer) Bucket() string { return w.bucket }

// isDigestKey reports whether key names a digest file, which holds no
// records.
func isDigestKey(key string) bool { return strings.Contains(key, "CloudTrail-Digest") }

// Put prints the records of a log file object, one per line.
func (w *Writer) Put(ctx context.Context, obj Object) error {
	if err := ctx.Err(); err != nil {
		return w.fail(obj.Key, err)
	}
	if isDigestKey(obj.Key) || len(obj.Body) == 0 {
		return nil
	}
	sc := event.NewScanner(bytes.NewReader(obj.Body))
	sc.Name = obj.Key
	defer sc.Close()
	var out bytes.Buffer
	more := fillLines(sc, &out)
	if err := sc.Err(); err != nil {
		return w.fail(obj.Key, err)
	}
	if out.Len() == 0 {
		return nil
	}

	select {
	case w.turn <- struct{}{}:
	case <-ctx.Done():
		return w.fail(obj.Key, ctx.Err())
	}
	defer func() { <-w.turn }()
	for {
		if _, err := w.w.Write(out.Bytes()); err != nil {
			return w.fail(obj.Key, err)
		}
		if !more {
			return nil
		}
		out.Reset()
		more = fillLines(sc, &out)
		if err := sc.Err(); err != nil {
			return w.fail(obj.Key, err)
		}
	}
}

// fillLines appends records from sc to out as lines until the input ends
// or out holds writerBuffer bytes; it reports whether records may remain.
func fillLines(sc *event.Scanner, out *bytes.Buffer) bool {
	for sc.Scan() {
		out.Write(sc.Bytes())
		out.WriteByte('\n')
		if out.Len() >= writerBuffer {
			return true
		}
	}
	return false
}

func (w *Writer) fail(key string, err error) error {
	return fmt.Errorf("put %s to %s: %w", quoteKey(key), w.bucket, err)
}
