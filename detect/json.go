package detect

import (
	"unsafe"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// This file reads JSON text in place: records come as valid JSON (from
// event.Scanner or from a decoded record's free-form parts), so a lookup
// only needs to skip values and compare keys. Malformed text never panics:
// a lookup on it finds nothing.

// ws returns the index of the first non-space byte of b at or after i.
func ws(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t') {
		i++
	}
	return i
}

// stringStop marks the bytes that stop a scan through a string.
var stringStop = [256]bool{'"': true, '\\': true}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; ; {
		for i+4 <= len(b) && !stringStop[b[i]] && !stringStop[b[i+1]] && !stringStop[b[i+2]] && !stringStop[b[i+3]] {
			i += 4
		}
		for i < len(b) && !stringStop[b[i]] {
			i++
		}
		if i >= len(b) {
			return -1
		}
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // a backslash and the byte it escapes
	}
}

// skip returns the index after the value starting at b[i], or -1.
func skip(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				if i < 0 {
					return -1
				}
				i--
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
		}
		return -1
	}
	for ; i < len(b); i++ {
		switch b[i] {
		case ',', '}', ']', ' ', '\n', '\r', '\t':
			return i
		}
	}
	return i
}

// members calls fn with each key (raw, without quotes) and value of the
// object b until fn returns false.
func eachMember(b []byte, fn func(key, v []byte) bool) {
	i := ws(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = ws(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		end := skipString(b, i)
		if end < 0 {
			return
		}
		key := b[i+1 : end-1]
		i = ws(b, end)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = ws(b, i+1)
		vend := skip(b, i)
		if vend < 0 {
			return
		}
		if !fn(key, b[i:vend]) {
			return
		}
		i = ws(b, vend)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

// keyIs reports whether the raw key (JSON string contents) is k.
func keyIs(raw []byte, k string) bool {
	if len(raw) <= len(k) {
		// An escape is longer than the character it stands for, so a raw
		// key no longer than k is k only if it is k byte for byte.
		return len(raw) == len(k) && string(raw) == k
	}
	for _, c := range raw {
		if c == '\\' {
			s, ok := unescape(raw)
			return ok && s == k
		}
	}
	return false
}

// member returns the value of key in the object b, or nil. The first
// member wins when a key occurs twice, as in package event.
func member(b []byte, key string) []byte {
	i := ws(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil
	}
	i++
	for {
		i = ws(b, i)
		if i >= len(b) || b[i] != '"' {
			return nil
		}
		end := skipString(b, i)
		if end < 0 {
			return nil
		}
		k := b[i+1 : end-1]
		i = ws(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil
		}
		i = ws(b, i+1)
		vend := skip(b, i)
		if vend < 0 {
			return nil
		}
		if keyIs(k, key) {
			return b[i:vend]
		}
		i = ws(b, vend)
		if i >= len(b) || b[i] != ',' {
			return nil
		}
		i++
	}
}

// nextElement returns the element of the array b starting at or after i
// (the index just after '[' or after the previous element) and the index
// after it; ok is false at the end of the array.
func nextElement(b []byte, i int) (v []byte, next int, ok bool) {
	i = ws(b, i)
	if i < len(b) && b[i] == ',' {
		i = ws(b, i+1)
	}
	if i >= len(b) || b[i] == ']' {
		return nil, 0, false
	}
	end := skip(b, i)
	if end < 0 {
		return nil, 0, false
	}
	return b[i:end], end, true
}

// arrayStart returns the index after '[' when b is an array, or -1.
func arrayStart(b []byte) int {
	i := ws(b, 0)
	if i >= len(b) || b[i] != '[' {
		return -1
	}
	return i + 1
}

// element returns element n of the array b, or nil.
func element(b []byte, n int) []byte {
	i := arrayStart(b)
	if i < 0 {
		return nil
	}
	for k := 0; ; k++ {
		v, next, ok := nextElement(b, i)
		if !ok {
			return nil
		}
		if k == n {
			return v
		}
		i = next
	}
}

// unescape returns the text of a JSON string's contents (without quotes),
// read by the shared scanner: without escapes it aliases raw, which lives
// as long as the record being evaluated.
func unescape(raw []byte) (string, bool) {
	q := make([]byte, 0, len(raw)+2)
	q = append(append(append(q, '"'), raw...), '"')
	return quoted(q)
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
