package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestProgressDrawsOnlyOnATerminal(t *testing.T) {
	var stderr bytes.Buffer
	p := newProgress(&env{stderr: &stderr}, false)
	p.add(1, 10, 100)
	p.done()
	assert.Empty(t, stderr.String(), "a buffer is not a terminal")
}

func TestProgressLine(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &progress{w: &out, start: now, every: time.Second, now: func() time.Time { return now }}
	p.setTotal(4)
	now = now.Add(2 * time.Second)
	p.add(1, 1000, 2_000_000)
	assert.Equal(t, "\r\x1b[K1/4 files  1000 records  2.0 MB  1.0 MB/s  ETA 6s", out.String())

	out.Reset()
	p.add(1, 1, 1) // within the redraw interval: nothing drawn
	assert.Empty(t, out.String())
	p.done()
	assert.Equal(t, "\r\x1b[K", out.String(), "done clears the line")
}
