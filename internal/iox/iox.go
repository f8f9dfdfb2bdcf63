// Package iox holds small io helpers the trailkit packages share.
package iox

import "io"

// ErrReader reads R and remembers its first error other than io.EOF, so
// that a reader of a stream decoded from R (gunzipped, parsed) can tell a
// source that failed (a store's connection dropped) from a stream that is
// not valid.
type ErrReader struct {
	R   io.Reader
	Err error
}

func (e *ErrReader) Read(p []byte) (int, error) {
	n, err := e.R.Read(p)
	if err != nil && err != io.EOF && e.Err == nil {
		e.Err = err
	}
	return n, err
}
