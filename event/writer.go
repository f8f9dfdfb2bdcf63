package event

import (
	"crypto/sha256"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"
)

// LogWriter streams records into a CloudTrail log file: gzip-compressed
// {"Records":[...]}, compact, keys in CloudTrail's order for records built in
// Go and in their own order for records that were read. It also hashes the
// uncompressed bytes, which a digest file records.
type LogWriter struct {
	zw   *gzip.Writer
	sum  hash.Hash
	buf  []byte
	n    int
	err  error
	done bool
}

// LogWriterOptions configure a LogWriter.
type LogWriterOptions struct {
	// Level is the gzip level; gzip.DefaultCompression when zero.
	Level int
}

// NewLogWriter returns a LogWriter writing to w. Close must be called to
// finish the file.
func NewLogWriter(w io.Writer, opts LogWriterOptions) (*LogWriter, error) {
	level := opts.Level
	if level == 0 {
		level = gzip.DefaultCompression
	}
	zw, err := gzip.NewWriterLevel(w, level)
	if err != nil {
		return nil, err
	}
	lw := &LogWriter{zw: zw, sum: sha256.New(), buf: make([]byte, 0, 64<<10)}
	lw.buf = append(lw.buf, `{"Records":[`...)
	return lw, nil
}

// Write adds a record.
func (lw *LogWriter) Write(r *Record) error {
	lw.sep()
	lw.buf = r.AppendJSON(lw.buf)
	return lw.flushIfFull()
}

// WriteRaw adds a record that is already encoded as compact JSON, such as
// Scanner.Bytes returns.
func (lw *LogWriter) WriteRaw(rec []byte) error {
	lw.sep()
	lw.buf = append(lw.buf, rec...)
	return lw.flushIfFull()
}

func (lw *LogWriter) sep() {
	if lw.n > 0 {
		lw.buf = append(lw.buf, ',')
	}
	lw.n++
}

// Len returns the number of records written.
func (lw *LogWriter) Len() int { return lw.n }

func (lw *LogWriter) flushIfFull() error {
	if len(lw.buf) < 32<<10 {
		return lw.err
	}
	return lw.flush()
}

func (lw *LogWriter) flush() error {
	if lw.err != nil {
		return lw.err
	}
	lw.sum.Write(lw.buf)
	_, lw.err = lw.zw.Write(lw.buf)
	lw.buf = lw.buf[:0]
	return lw.err
}

// Close ends the Records array and the gzip stream. It does not close the
// underlying writer.
func (lw *LogWriter) Close() error {
	if lw.done {
		return lw.err
	}
	lw.done = true
	lw.buf = append(lw.buf, "]}"...)
	if err := lw.flush(); err != nil {
		return err
	}
	lw.err = lw.zw.Close()
	return lw.err
}

// SHA256 returns the SHA-256 of the uncompressed file; valid after Close.
func (lw *LogWriter) SHA256() (sum [sha256.Size]byte) {
	lw.sum.Sum(sum[:0])
	return sum
}

// LinesWriter writes records as JSON Lines: one compact record a line.
type LinesWriter struct {
	w   io.Writer
	buf []byte
}

// NewLinesWriter returns a LinesWriter writing to w.
func NewLinesWriter(w io.Writer) *LinesWriter { return &LinesWriter{w: w} }

// Write writes one record and a newline.
func (lw *LinesWriter) Write(r *Record) error {
	lw.buf = append(r.AppendJSON(lw.buf[:0]), '\n')
	_, err := lw.w.Write(lw.buf)
	return err
}
