package trail

import (
	"hash"
	"io"
	"sync"
)

// chunkSize is the size of the pieces an open log file is kept in.
const chunkSize = 256 << 10

type chunk [chunkSize]byte

var chunkPool = sync.Pool{New: func() any { return new(chunk) }}

// chunks holds a log file's uncompressed bytes in fixed-size pieces from a
// pool: growing a file never copies it, and its memory is what it holds
// (rounded up to one chunk), so the buffer budget counts it truly.
type chunks struct {
	list []*chunk
	n    int // bytes held
}

func (c *chunks) len() int { return c.n }

func (c *chunks) write(p []byte) {
	for len(p) > 0 {
		off := c.n % chunkSize
		if off == 0 && c.n/chunkSize == len(c.list) {
			c.list = append(c.list, chunkPool.Get().(*chunk))
		}
		k := copy(c.list[c.n/chunkSize][off:], p)
		c.n += k
		p = p[k:]
	}
}

func (c *chunks) writeString(s string) {
	for len(s) > 0 {
		off := c.n % chunkSize
		if off == 0 && c.n/chunkSize == len(c.list) {
			c.list = append(c.list, chunkPool.Get().(*chunk))
		}
		k := copy(c.list[c.n/chunkSize][off:], s)
		c.n += k
		s = s[k:]
	}
}

// each calls fn with the bytes held, piece by piece.
func (c *chunks) each(fn func([]byte)) {
	for i, ch := range c.list {
		end := chunkSize
		if i == len(c.list)-1 {
			end = c.n - i*chunkSize
		}
		fn(ch[:end])
	}
}

// writeTo writes the bytes to w and to h.
func (c *chunks) writeTo(w io.Writer, h hash.Hash) error {
	var err error
	c.each(func(p []byte) {
		h.Write(p)
		if err == nil {
			_, err = w.Write(p)
		}
	})
	return err
}

// release returns the pieces to the pool.
func (c *chunks) release() {
	for i, ch := range c.list {
		chunkPool.Put(ch)
		c.list[i] = nil
	}
	c.list, c.n = c.list[:0], 0
}
