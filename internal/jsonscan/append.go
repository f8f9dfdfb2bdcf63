package jsonscan

import (
	"unicode/utf8"
	"unsafe"
)

// Compact returns a copy of v, which must be valid JSON, without its
// insignificant whitespace.
func Compact(v []byte) []byte {
	return AppendCompact(make([]byte, 0, len(v)), v)
}

// AppendCompact appends v, which must be valid JSON, to out without its
// insignificant whitespace.
func AppendCompact(out, v []byte) []byte {
	in := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if in {
			out = append(out, c)
			switch c {
			case '\\':
				i++
				out = append(out, v[i])
			case '"':
				in = false
			}
			continue
		}
		switch c {
		case ' ', '\n', '\r', '\t':
		case '"':
			in = true
			out = append(out, c)
		default:
			out = append(out, c)
		}
	}
	return out
}

const hexDigits = "0123456789abcdef"

// AppendString appends s to b as a JSON string, escaped as trailkit writes
// every string: only what JSON requires, so '<', '&' and non-ASCII text
// stay as they are, with invalid UTF-8 (possible only in strings set from
// Go) written as U+FFFD, as encoding/json does.
func AppendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	sb := unsafe.Slice(unsafe.StringData(s), len(s)) // only read
	for i := 0; i < len(s); {
		// Most strings need no escape: skip eight bytes at a time
		// to the next one that might.
		if i = plainEnd(sb, i); i >= len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
