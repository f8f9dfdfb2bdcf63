package jsonscan

// Squeezer removes insignificant whitespace from JSON text in place, a
// piece at a time, so that a value can be held without it: whitespace does
// not count toward size limits. Unlike AppendCompact it takes any text,
// valid or not, and keeps its meaning and its validity: a run of whitespace
// between two bytes that are not structural ("1 2", "tru e") is kept as one
// space. The zero value starts outside a string, before a value.
type Squeezer struct {
	inString bool
	escape   bool // the previous byte was a backslash inside a string
	space    bool // a run of whitespace is pending, written as one ' '
	prev     byte // the last byte written outside that run
	begun    bool // a byte was written: prev is one
}

// Squeeze compacts b[from:] in place and returns the new end of the text,
// continuing in the state the previous call on the same text ended in
// (from is then the end that call returned, followed by new bytes). marks
// are offsets into b, in ascending order; those at from or later are moved
// with the bytes they point at (a mark in a removed run points at the byte
// after it).
func (z *Squeezer) Squeeze(b []byte, from int, marks []int) int {
	d, k := from, 0
	for k < len(marks) && marks[k] < from {
		k++
	}
	for i := from; i < len(b); i++ {
		c := b[i]
		ws := !z.inString && (c == ' ' || c == '\t' || c == '\n' || c == '\r')
		if z.space && !z.inString && !ws {
			z.space = false
			if structural(c) {
				d-- // the pending space goes
			}
		}
		for k < len(marks) && marks[k] == i {
			marks[k] = d
			k++
		}
		switch {
		case ws:
			if !z.space && z.begun && !structural(z.prev) {
				b[d] = ' '
				d++
				z.space = true
			}
			continue
		case z.inString:
			switch {
			case z.escape:
				z.escape = false
			case c == '\\':
				z.escape = true
			case c == '"':
				z.inString = false
			}
		case c == '"':
			z.inString = true
		}
		b[d] = c
		d++
		z.prev, z.begun = c, true
	}
	for ; k < len(marks); k++ {
		if marks[k] >= len(b) {
			marks[k] = d
		}
	}
	return d
}

// structural reports whether whitespace next to c is insignificant: c is
// punctuation of JSON or a quote.
func structural(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':', '"':
		return true
	}
	return false
}
