package event

import "github.com/trailkit/trailkit/internal/jsonscan"

// SyntaxError reports malformed JSON at a byte offset. It wraps a sentinel
// of the condition when there is one (nesting beyond 512 levels).
type SyntaxError = jsonscan.SyntaxError

// parser is the shared JSON scanner (internal/jsonscan) with the record
// model's field readers (decode.go) as methods. Strings without escapes are
// substrings of the buffer: it must not change while anything decoded from
// it is in use.
type parser struct{ jsonscan.Parser }

func newParser(buf []byte, base int64) parser {
	return parser{jsonscan.New(buf, base)}
}

func appendString(b []byte, s string) []byte { return jsonscan.AppendString(b, s) }
