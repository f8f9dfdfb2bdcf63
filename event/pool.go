package event

import (
	"bufio"
	"io"
	"io/fs"
	"sync"

	"github.com/klauspost/compress/gzip"
)

// Reading many small log files one after another (a trail's directory, a
// lookup over thousands of files) would otherwise allocate a Scanner's
// buffer, a bufio.Reader and a gzip decompressor's window and tables for
// each file: more bytes than most of the files hold. They are pooled.

// scanBufSize is the size of a Scanner's buffer, and of the ones pooled.
const scanBufSize = 256 << 10

var scanBufs = sync.Pool{New: func() any { b := make([]byte, scanBufSize); return &b }}

func getScanBuf() []byte { return *scanBufs.Get().(*[]byte) }

// putScanBuf returns a buffer of the pooled size; a grown one is left to
// the garbage collector.
func putScanBuf(b []byte) {
	if cap(b) == scanBufSize {
		b = b[:scanBufSize]
		scanBufs.Put(&b)
	}
}

var gzipStreams sync.Pool // of *gzipStream

// newGzipStream returns a gzipStream reading r, pooled: release it when
// done.
func newGzipStream(r io.Reader) (*gzipStream, error) {
	g, _ := gzipStreams.Get().(*gzipStream)
	if g == nil {
		g = &gzipStream{br: bufio.NewReaderSize(r, 64<<10)}
	} else {
		g.br.Reset(r)
	}
	var err error
	if g.zr == nil {
		g.zr, err = gzip.NewReader(g.br)
	} else {
		err = g.zr.Reset(g.br)
	}
	if err != nil {
		g.release()
		return nil, gzipErr(err)
	}
	g.zr.Multistream(false)
	return g, nil
}

// release returns the stream to the pool; it must not be used after.
func (g *gzipStream) release() {
	g.br.Reset(nil)
	gzipStreams.Put(g)
}

// asyncMinBytes is the compressed size from which a Scanner decompresses on
// a goroutine of its own. Below it, starting the goroutine and its buffers
// costs more than the overlap saves; a caller reading many small files
// gets its parallelism by reading several at once.
const asyncMinBytes = 1 << 20

// smallInput reports whether r is known to hold fewer than asyncMinBytes:
// a bytes.Reader or the like, or a regular file.
func smallInput(r io.Reader) bool {
	switch v := r.(type) {
	case interface{ Len() int }:
		return v.Len() < asyncMinBytes
	case interface{ Stat() (fs.FileInfo, error) }:
		fi, err := v.Stat()
		return err == nil && fi.Mode().IsRegular() && fi.Size() < asyncMinBytes
	}
	return false
}

// syncGzip is a gzipStream read on the caller's goroutine; Close releases
// it.
type syncGzip struct{ *gzipStream }

func (s syncGzip) Close() error {
	s.release()
	return nil
}
