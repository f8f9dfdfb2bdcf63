package jsonscan_test

import (
	"errors"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// refString validates the string whose opening quote is b[0] one byte at a
// time, as the JSON grammar reads: it returns the offset after the closing
// quote, or the offset of the byte that makes it invalid.
func refString(b []byte) (end int, errAt int) {
	for i := 1; i < len(b); {
		c := b[i]
		switch {
		case c == '"':
			return i + 1, -1
		case c == '\\':
			if i+1 >= len(b) {
				return 0, i
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			default:
				return 0, i // no \u in these inputs
			}
		case c < 0x20:
			return 0, i
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				return 0, i
			}
			i += size
		}
	}
	return 0, len(b)
}

// checkString compares SkipString and Str on b with refString.
func checkString(t *testing.T, b []byte) {
	t.Helper()
	end, errAt := refString(b)
	for _, read := range []func(p *jsonscan.Parser) error{
		(*jsonscan.Parser).SkipString,
		func(p *jsonscan.Parser) error { _, err := p.Str(); return err },
	} {
		p := jsonscan.New(b, 100)
		err := read(&p)
		var se *jsonscan.SyntaxError
		switch {
		case errAt < 0 && err != nil:
			t.Fatalf("%q: %v, want the string to end at %d", b, err, end)
		case errAt < 0 && p.Pos != end:
			t.Fatalf("%q: ended at %d, want %d", b, p.Pos, end)
		case errAt >= 0 && !errors.As(err, &se):
			t.Fatalf("%q: error %v, want one at byte %d", b, err, errAt)
		case errAt >= 0 && se.Offset != int64(100+errAt):
			t.Fatalf("%q: %v, want it at byte %d", b, err, 100+errAt)
		}
	}
}

// TestStringEveryByteEveryPosition checks the string scan, which tests
// eight bytes at a time, on each byte value at each position of the first
// 24 (three eight-byte lanes and the bytes after them), alone, and the
// bytes that matter followed by a second one.
func TestStringEveryByteEveryPosition(t *testing.T) {
	stops := []byte{0x00, 0x1f, '"', '\\', 'n', 0x7f, 0x80, 0xc3, 0xa9, 0xff, ' ', '!', '#', '[', ']', 'a'}
	for n := 0; n < 24; n++ {
		for at := 0; at < n; at++ {
			for c := range 256 {
				b := make([]byte, 0, n+2)
				b = append(b, '"')
				for i := range n {
					b = append(b, 'a'+byte(i%26))
				}
				b[1+at] = byte(c)
				checkString(t, append(b, '"'))
				checkString(t, b) // unterminated
				if !slices.Contains(stops, byte(c)) {
					continue
				}
				for _, d := range stops {
					for at2 := at + 1; at2 < n; at2++ {
						b2 := append([]byte(nil), b...)
						b2[1+at2] = d
						checkString(t, append(b2, '"'))
					}
				}
			}
		}
	}
}
