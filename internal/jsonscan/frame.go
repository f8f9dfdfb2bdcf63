package jsonscan

import "bytes"

// Framer finds where a JSON value ends in input that arrives in pieces. It
// follows strings and nesting only; a Parser validates the framed value
// afterwards. Its zero value is ready to frame one value.
type Framer struct {
	depth    int
	inString bool
}

// Next scans b from i, where the value (or the part of it not yet scanned)
// starts. It returns the offset just past the value and true when the value
// ended, or len(b) and false when it needs more input: call it again with
// b extended (positions unchanged) and i the offset it returned. A scalar
// ends at the first ',', ']', '}' or whitespace; at the end of the input
// only the caller can end it (see AtScalarEnd). b must hold the value from
// its start: the bytes before a quote are looked at to tell whether it is
// escaped.
//
// Nesting beyond MaxDepth returns ErrTooDeep with the offset of the bracket.
func (f *Framer) Next(b []byte, i int) (end int, done bool, err error) {
	for i < len(b) {
		if f.inString {
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				return len(b), false, nil
			}
			q := i + j
			bs := 0
			for k := q - 1; k >= 0 && b[k] == '\\'; k-- {
				bs++
			}
			i = q + 1
			if bs%2 == 1 {
				continue // an escaped quote
			}
			f.inString = false
			if f.depth == 0 {
				return i, true, nil
			}
			continue
		}
		switch b[i] {
		case '"':
			f.inString = true
		case '{', '[':
			f.depth++
			if f.depth > MaxDepth {
				return i, false, ErrTooDeep
			}
		case '}', ']':
			if f.depth == 0 {
				return i, true, nil // the end of a scalar inside its container
			}
			f.depth--
			if f.depth == 0 {
				return i + 1, true, nil
			}
		case ',', ' ', '\n', '\r', '\t':
			if f.depth == 0 {
				return i, true, nil
			}
		default:
		}
		i++
	}
	return i, false, nil
}

// AtScalarEnd reports whether the end of the input ends the value framed
// so far: a scalar outside any string or container.
func (f *Framer) AtScalarEnd() bool { return f.depth == 0 && !f.inString }
