package event

import (
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// maxDepth bounds JSON nesting. CloudTrail records nest a few levels; free-form
// request parameters rarely more than twenty. Deeper input is rejected rather
// than risking the stack.
const maxDepth = 512

// SyntaxError reports malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int64 // byte offset in the input (decompressed)
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// errTooDeep is returned for nesting beyond maxDepth.
var errTooDeep = errors.New("nested deeper than 512 levels")

// strClass marks bytes that end the fast path of a string scan: the quote,
// the backslash, control characters and non-ASCII bytes.
var strClass = func() (t [256]bool) {
	for i := 0; i < 0x20; i++ {
		t[i] = true
	}
	for i := 0x80; i < 0x100; i++ {
		t[i] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// parser reads JSON from a complete buffer. Strings without escapes are
// returned as substrings of s, which aliases buf: buf must not change while
// anything decoded from it is in use.
type parser struct {
	buf   []byte
	s     string
	pos   int
	base  int64 // offset of buf[0] in the whole input, for errors
	depth int
	// sawSpace is set when whitespace was skipped inside a value, so a raw
	// value must be compacted before it is written on one line.
	sawSpace bool
}

func newParser(buf []byte, base int64) parser {
	return parser{buf: buf, s: unsafe.String(unsafe.SliceData(buf), len(buf)), base: base}
}

func (p *parser) errorf(format string, args ...any) error {
	return &SyntaxError{Offset: p.base + int64(p.pos), Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) ws() {
	for p.pos < len(p.buf) {
		switch p.buf[p.pos] {
		case ' ', '\n', '\r', '\t':
			p.pos++
			p.sawSpace = true
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end.
func (p *parser) peek() byte {
	p.ws()
	if p.pos < len(p.buf) {
		return p.buf[p.pos]
	}
	return 0
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		return p.unexpected(fmt.Sprintf("%q", c))
	}
	p.pos++
	return nil
}

func (p *parser) unexpected(want string) error {
	if p.pos >= len(p.buf) {
		return p.errorf("unexpected end of input, want %s", want)
	}
	return p.errorf("unexpected %q, want %s", p.buf[p.pos], want)
}

// str reads a string at pos (which must hold '"') and returns its value.
func (p *parser) str() (string, error) {
	start := p.pos + 1
	i := start
	for i < len(p.buf) && !strClass[p.buf[i]] {
		i++
	}
	if i < len(p.buf) && p.buf[i] == '"' {
		p.pos = i + 1
		return p.s[start:i], nil
	}
	end, escaped, err := p.scanString(i)
	if err != nil {
		return "", err
	}
	p.pos = end
	if !escaped {
		return p.s[start : end-1], nil
	}
	return unescape(p.buf[start : end-1]), nil
}

// skipString validates the string at pos (which must hold '"') and moves
// past it without building its value, so skipping allocates nothing.
func (p *parser) skipString() error {
	i := p.pos + 1
	for i < len(p.buf) && !strClass[p.buf[i]] {
		i++
	}
	if i < len(p.buf) && p.buf[i] == '"' {
		p.pos = i + 1
		return nil
	}
	end, _, err := p.scanString(i)
	if err != nil {
		return err
	}
	p.pos = end
	return nil
}

// scanString validates the rest of a string from i, past its fast-path
// prefix, and returns the offset after the closing quote.
func (p *parser) scanString(i int) (end int, escaped bool, err error) {
	for i < len(p.buf) {
		c := p.buf[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(p.buf) {
				p.pos = i
				return 0, false, p.errorf("unterminated string")
			}
			switch p.buf[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(p.buf) || !isHex4(p.buf[i+2:i+6]) {
					p.pos = i
					return 0, false, p.errorf("invalid \\u escape in string")
				}
				i += 6
			default:
				p.pos = i
				return 0, false, p.errorf("invalid escape \\%c in string", p.buf[i+1])
			}
		case c < 0x20:
			p.pos = i
			return 0, false, p.errorf("control character 0x%02x in string", c)
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(p.buf[i:])
			if r == utf8.RuneError && size <= 1 {
				p.pos = i
				return 0, false, p.errorf("invalid UTF-8 in string")
			}
			i += size
		}
	}
	p.pos = i
	return 0, false, p.errorf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unescape decodes a validated string body that contains escapes.
func unescape(b []byte) string {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			i++
			continue
		}
		switch b[i+1] {
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r := rune(hex4(b[i+2:]))
			i += 6
			if utf16.IsSurrogate(r) {
				if i+6 <= len(b) && b[i] == '\\' && b[i+1] == 'u' {
					if r2 := rune(hex4(b[i+2:])); utf16.DecodeRune(r, r2) != utf8.RuneError {
						out = utf8.AppendRune(out, utf16.DecodeRune(r, r2))
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default: // '"', '\\', '/'
			out = append(out, b[i+1])
		}
		i += 2
	}
	return string(out)
}

func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b[:4] {
		v <<= 4
		switch {
		case c <= '9':
			v |= uint16(c - '0')
		case c >= 'a':
			v |= uint16(c - 'a' + 10)
		default:
			v |= uint16(c - 'A' + 10)
		}
	}
	return v
}

// number validates a JSON number at pos and returns its text.
func (p *parser) number() (string, error) {
	start, i := p.pos, p.pos
	b := p.buf
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
	default:
		p.pos = i
		return "", p.unexpected("a digit")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return "", p.unexpected("a digit after '.'")
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			p.pos = i
			return "", p.unexpected("a digit in exponent")
		}
	}
	p.pos = i
	return p.s[start:i], nil
}

func (p *parser) literal(word string) error {
	if len(p.buf)-p.pos < len(word) || p.s[p.pos:p.pos+len(word)] != word {
		return p.unexpected(strconv.Quote(word))
	}
	p.pos += len(word)
	return nil
}

// skip validates and passes over one value, returning where it started.
func (p *parser) skip() (start int, err error) {
	p.ws()
	start = p.pos
	return start, p.skipValue()
}

func (p *parser) skipValue() error {
	if p.pos >= len(p.buf) {
		return p.unexpected("a value")
	}
	switch c := p.buf[p.pos]; c {
	case '"':
		return p.skipString()
	case '{':
		return p.skipObject()
	case '[':
		return p.skipArray()
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			_, err := p.number()
			return err
		}
		return p.unexpected("a value")
	}
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > maxDepth {
		return &SyntaxError{Offset: p.base + int64(p.pos), Msg: errTooDeep.Error()}
	}
	return nil
}

func (p *parser) skipObject() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '{'
	if p.peek() == '}' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.unexpected("a string key")
		}
		if err := p.skipString(); err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		p.ws()
		if err := p.skipValue(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			return nil
		default:
			return p.unexpected("',' or '}'")
		}
	}
}

func (p *parser) skipArray() error {
	if err := p.enter(); err != nil {
		return err
	}
	p.pos++ // '['
	if p.peek() == ']' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		p.ws()
		if err := p.skipValue(); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			return nil
		default:
			return p.unexpected("',' or ']'")
		}
	}
}

// raw validates the value at pos and returns it, compacted when it held
// whitespace so that it can be written on one line.
func (p *parser) raw() ([]byte, error) {
	p.ws()
	saw := p.sawSpace
	p.sawSpace = false
	start, err := p.skip()
	if err != nil {
		return nil, err
	}
	v := p.buf[start:p.pos:p.pos]
	if p.sawSpace {
		v = compact(v)
	}
	p.sawSpace = saw || p.sawSpace
	return v, nil
}

// compact removes insignificant whitespace from valid JSON.
func compact(v []byte) []byte {
	out := make([]byte, 0, len(v))
	return appendCompact(out, v)
}

// AppendCompact appends v, which must be valid JSON, to out without its
// insignificant whitespace. Packages that rewrite free-form parts of
// records, such as redact, use it to keep records compact.
func AppendCompact(out, v []byte) []byte { return appendCompact(out, v) }

func appendCompact(out, v []byte) []byte {
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
