package httpaudit

import (
	"io"
	"sync"
)

// Body is what a Decoder sees of the request body: the bytes the handler
// read, up to Options.MaxBodyBytes. The middleware never reads the body
// itself, so the handler's reading is unchanged (including its own limits
// and a refusal to read at all, which leaves Bytes empty).
type Body struct {
	Bytes []byte // valid only during the Decoder call
	// Truncated reports that the handler read more than MaxBodyBytes: Bytes
	// is only the start of the body.
	Truncated bool
}

// bodyRecorder keeps a bounded copy of what the handler reads.
type bodyRecorder struct {
	rc        io.ReadCloser
	buf       []byte
	max       int
	truncated bool
	pooled    *[]byte
}

var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

func (b *bodyRecorder) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if n > 0 {
		if b.pooled == nil {
			b.pooled = bodyPool.Get().(*[]byte)
			b.buf = (*b.pooled)[:0]
		}
		room := b.max - len(b.buf)
		take := min(room, n)
		b.buf = append(b.buf, p[:take]...)
		if n > room {
			b.truncated = true
		}
	}
	return n, err
}

func (b *bodyRecorder) Close() error { return b.rc.Close() }

// release returns the buffer to the pool once the Decoder is done with it.
func (b *bodyRecorder) release() {
	if b.pooled != nil {
		if cap(b.buf) <= 1<<20 { // keep the pool from holding huge buffers
			*b.pooled = b.buf[:0]
			bodyPool.Put(b.pooled)
		}
		b.pooled, b.buf = nil, nil
	}
}
