package event

import (
	"io"
	"sync"
)

// asyncReader reads its source on another goroutine, a chunk ahead of the
// consumer, so that decompressing and parsing a log file use two cores.
type asyncReader struct {
	full  chan chunk
	free  chan []byte
	done  chan struct{}
	once  sync.Once
	cur   chunk
	rest  []byte
	ended bool
}

type chunk struct {
	b   []byte
	err error
}

const (
	asyncChunk   = 256 << 10
	asyncBuffers = 4
)

// newAsyncReader reads src on a goroutine, which releases src when it ends.
func newAsyncReader(src *gzipStream) *asyncReader {
	a := &asyncReader{
		full: make(chan chunk, asyncBuffers),
		free: make(chan []byte, asyncBuffers),
		done: make(chan struct{}),
	}
	for range asyncBuffers {
		a.free <- make([]byte, asyncChunk)
	}
	go a.run(src)
	return a
}

func (a *asyncReader) run(src *gzipStream) {
	defer src.release()
	for {
		var b []byte
		select {
		case b = <-a.free:
		case <-a.done:
			return
		}
		n, err := io.ReadFull(src, b)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case a.full <- chunk{b: b[:n], err: err}:
		case <-a.done:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *asyncReader) Read(p []byte) (int, error) {
	for len(a.rest) == 0 {
		if a.ended {
			return 0, a.cur.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:cap(a.cur.b)]
			a.cur.b = nil
		}
		a.cur = <-a.full
		a.rest = a.cur.b
		if a.cur.err != nil {
			a.ended = true
		}
	}
	n := copy(p, a.rest)
	a.rest = a.rest[n:]
	return n, nil
}

// Close stops the reading goroutine.
func (a *asyncReader) Close() error {
	a.once.Do(func() { close(a.done) })
	return nil
}
