package detect

import (
	"errors"
	"unsafe"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// This file reads JSON text in place through the shared scanner,
// internal/jsonscan, so that a rule reads a record as every other reader
// in trailkit does: the last copy of a repeated key wins (as with
// encoding/json) and nesting beyond jsonscan.MaxDepth is malformed.
// Malformed text never panics: a lookup on it finds nothing.

// errStop ends a walk through an array early; it never leaves this file.
var errStop = errors.New("stop")

// firstByte returns the first non-space byte of b, or 0.
func firstByte(b []byte) byte {
	p := jsonscan.New(b, 0)
	return p.Peek()
}

// eachElement calls fn with each element of the array b until fn returns
// false, and reports whether b is an array whose elements up to there are
// well-formed.
func eachElement(b []byte, fn func(v []byte) bool) bool {
	p := jsonscan.New(b, 0)
	if p.Peek() != '[' {
		return false
	}
	err := p.Elements(func(int) error {
		start, err := p.Skip()
		if err != nil {
			return err
		}
		if !fn(b[start:p.Pos]) {
			return errStop
		}
		return nil
	})
	return err == nil || err == errStop
}

// element returns element n of the array b, or nil.
func element(b []byte, n int) []byte {
	var v []byte
	i := 0
	if !eachElement(b, func(e []byte) bool {
		if i == n {
			v = e
			return false
		}
		i++
		return true
	}) {
		return nil
	}
	return v
}

// quoted returns the value of the JSON string q, quotes included, read by
// the shared scanner; it aliases q unless q holds escapes.
func quoted(q []byte) (string, bool) {
	p := jsonscan.New(q, 0)
	s, err := p.Str()
	return s, err == nil && p.Pos == len(q)
}

// bytesString views b as a string without copying. The callers only read
// the string while the record it comes from is being evaluated, and
// evaluation never writes to the record's bytes.
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// stringBytes views s as bytes without copying; the bytes are only read.
func stringBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
