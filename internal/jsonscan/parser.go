package jsonscan

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth bounds the nesting of arrays and objects. CloudTrail records
// nest a few levels; free-form request parameters rarely more than twenty.
// Deeper input is rejected rather than risking the stack.
const MaxDepth = 512

// ErrTooDeep is wrapped by the *SyntaxError for nesting beyond MaxDepth.
var ErrTooDeep = errors.New("nested deeper than 512 levels")

// SyntaxError reports malformed JSON at a byte offset.
type SyntaxError struct {
	Offset int64 // byte offset in the input (decompressed)
	Msg    string
	Err    error // the condition, when it has a sentinel (ErrTooDeep)
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// Unwrap returns the condition's sentinel, if any.
func (e *SyntaxError) Unwrap() error { return e.Err }

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

// Parser reads JSON from a complete buffer. Strings without escapes are
// returned as substrings of S, which aliases Buf: Buf must not change while
// anything read from it is in use.
//
// The fields are the parser's state, open to the packages that build their
// decoders on it: Pos is where reading goes on, Depth the nesting at Pos.
type Parser struct {
	Buf   []byte
	S     string // Buf as a string
	Pos   int
	Base  int64 // offset of Buf[0] in the whole input, for errors
	Depth int
	// SawSpace is set when whitespace was skipped inside a value, so a raw
	// value must be compacted before it is written on one line.
	SawSpace bool
}

// New returns a Parser reading buf, whose first byte is at offset base of
// the input.
func New(buf []byte, base int64) Parser {
	return Parser{Buf: buf, S: unsafe.String(unsafe.SliceData(buf), len(buf)), Base: base}
}

// Errorf returns a *SyntaxError at the current position.
func (p *Parser) Errorf(format string, args ...any) error {
	return &SyntaxError{Offset: p.Base + int64(p.Pos), Msg: fmt.Sprintf(format, args...)}
}

// WS moves past whitespace.
func (p *Parser) WS() {
	for p.Pos < len(p.Buf) {
		switch p.Buf[p.Pos] {
		case ' ', '\n', '\r', '\t':
			p.Pos++
			p.SawSpace = true
		default:
			return
		}
	}
}

// Peek returns the next non-space byte, or 0 at the end. A 0 can also be a
// NUL byte of the input: use AtEnd to tell the end.
func (p *Parser) Peek() byte {
	p.WS()
	if p.Pos < len(p.Buf) {
		return p.Buf[p.Pos]
	}
	return 0
}

// AtEnd reports whether only whitespace is left.
func (p *Parser) AtEnd() bool {
	p.WS()
	return p.Pos >= len(p.Buf)
}

// End checks that nothing but whitespace follows the value just read; what
// names the value in the error.
func (p *Parser) End(what string) error {
	if p.AtEnd() {
		return nil
	}
	return p.Errorf("unexpected %q after %s", p.Buf[p.Pos], what)
}

// Expect moves past c, the next non-space byte.
func (p *Parser) Expect(c byte) error {
	if p.Peek() != c {
		return p.Unexpected(fmt.Sprintf("%q", c))
	}
	p.Pos++
	return nil
}

// Unexpected returns the error for the byte at Pos where want was wanted.
func (p *Parser) Unexpected(want string) error {
	if p.Pos >= len(p.Buf) {
		return p.Errorf("unexpected end of input, want %s", want)
	}
	return p.Errorf("unexpected %q, want %s", p.Buf[p.Pos], want)
}

// plainEnd returns the offset of the first byte of b at or after i that
// ends the fast path of a string scan (a strClass byte), or len(b). It
// tests eight bytes at a time: string contents are most of a record's
// bytes, and this loop is most of the time spent validating them.
func plainEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := stopBytes(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && !strClass[b[i]] {
		i++
	}
	return i
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// stopBytes sets the high bit of each byte of x (eight bytes, the first
// lowest) that is a quote, a backslash, a control character or non-ASCII.
// Bytes above the first such one may be marked wrongly (a borrow carries
// into them), so only the lowest mark is to be trusted.
func stopBytes(x uint64) uint64 {
	q := x ^ (ones * '"')
	bs := x ^ (ones * '\\')
	// v-ones&^v marks zero bytes; x-0x20 marks bytes below 0x20, and
	// x itself those of 0x80 and above.
	return ((q-ones)&^q | (bs-ones)&^bs | (x - ones*0x20) | x) & highs
}

// Str reads the string at Pos (which must hold '"') and returns its value.
func (p *Parser) Str() (string, error) {
	start := p.Pos + 1
	i := plainEnd(p.Buf, start)
	if i < len(p.Buf) && p.Buf[i] == '"' {
		p.Pos = i + 1
		return p.S[start:i], nil
	}
	end, escaped, err := p.scanString(i)
	if err != nil {
		return "", err
	}
	p.Pos = end
	if !escaped {
		return p.S[start : end-1], nil
	}
	return unescape(p.Buf[start : end-1]), nil
}

// SkipString validates the string at Pos (which must hold '"') and moves
// past it without building its value, so skipping allocates nothing.
func (p *Parser) SkipString() error {
	i := plainEnd(p.Buf, p.Pos+1)
	if i < len(p.Buf) && p.Buf[i] == '"' {
		p.Pos = i + 1
		return nil
	}
	end, _, err := p.scanString(i)
	if err != nil {
		return err
	}
	p.Pos = end
	return nil
}

// scanString validates the rest of a string from i, past its fast-path
// prefix, and returns the offset after the closing quote.
func (p *Parser) scanString(i int) (end int, escaped bool, err error) {
	for i < len(p.Buf) {
		c := p.Buf[i]
		switch {
		case c == '"':
			return i + 1, escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(p.Buf) {
				p.Pos = i
				return 0, false, p.Errorf("unterminated string")
			}
			switch p.Buf[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(p.Buf) || !isHex4(p.Buf[i+2:i+6]) {
					p.Pos = i
					return 0, false, p.Errorf("invalid \\u escape in string")
				}
				i += 6
			default:
				p.Pos = i
				return 0, false, p.Errorf("invalid escape \\%c in string", p.Buf[i+1])
			}
		case c < 0x20:
			p.Pos = i
			return 0, false, p.Errorf("control character 0x%02x in string", c)
		case c < utf8.RuneSelf:
			i = plainEnd(p.Buf, i+1)
		default:
			r, size := utf8.DecodeRune(p.Buf[i:])
			if r == utf8.RuneError && size <= 1 {
				p.Pos = i
				return 0, false, p.Errorf("invalid UTF-8 in string")
			}
			i += size
		}
	}
	p.Pos = i
	return 0, false, p.Errorf("unterminated string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// unescape decodes a validated string body that contains escapes. A lone
// surrogate becomes U+FFFD, as with encoding/json.
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

// Number validates the JSON number at Pos and returns its text.
func (p *Parser) Number() (string, error) {
	start, i := p.Pos, p.Pos
	b := p.Buf
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
		p.Pos = i
		return "", p.Unexpected("a digit")
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == d {
			p.Pos = i
			return "", p.Unexpected("a digit after '.'")
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
			p.Pos = i
			return "", p.Unexpected("a digit in exponent")
		}
	}
	p.Pos = i
	return p.S[start:i], nil
}

// Literal moves past word (true, false or null) at Pos.
func (p *Parser) Literal(word string) error {
	if len(p.Buf)-p.Pos < len(word) || p.S[p.Pos:p.Pos+len(word)] != word {
		return p.Unexpected(strconv.Quote(word))
	}
	p.Pos += len(word)
	return nil
}

// Skip validates and passes over one value, returning where it started.
func (p *Parser) Skip() (start int, err error) {
	p.WS()
	start = p.Pos
	return start, p.SkipValue()
}

// SkipValue validates and passes over the value at Pos.
func (p *Parser) SkipValue() error {
	if p.Pos >= len(p.Buf) {
		return p.Unexpected("a value")
	}
	switch c := p.Buf[p.Pos]; c {
	case '"':
		return p.SkipString()
	case '{':
		return p.SkipObject()
	case '[':
		return p.SkipArray()
	case 't':
		return p.Literal("true")
	case 'f':
		return p.Literal("false")
	case 'n':
		return p.Literal("null")
	default:
		if c == '-' || '0' <= c && c <= '9' {
			_, err := p.Number()
			return err
		}
		return p.Unexpected("a value")
	}
}

// Enter counts one level of nesting at Pos; the caller decrements Depth
// when the array or object ends.
func (p *Parser) Enter() error {
	p.Depth++
	if p.Depth > MaxDepth {
		return &SyntaxError{Offset: p.Base + int64(p.Pos), Msg: ErrTooDeep.Error(), Err: ErrTooDeep}
	}
	return nil
}

// SkipObject validates and passes over the object at Pos.
func (p *Parser) SkipObject() error {
	if err := p.Enter(); err != nil {
		return err
	}
	p.Pos++ // '{'
	if p.Peek() == '}' {
		p.Pos++
		p.Depth--
		return nil
	}
	for {
		if p.Peek() != '"' {
			return p.Unexpected("a string key")
		}
		if err := p.SkipString(); err != nil {
			return err
		}
		if err := p.Expect(':'); err != nil {
			return err
		}
		p.WS()
		if err := p.SkipValue(); err != nil {
			return err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case '}':
			p.Pos++
			p.Depth--
			return nil
		default:
			return p.Unexpected("',' or '}'")
		}
	}
}

// Member locates one member of an object in a Parser's Buf: its key,
// quotes included, is Buf[Key:KeyEnd] and its value Buf[Value:End].
// Escaped is set when the key holds escapes, so that a reader compares
// the text between the quotes with a key as it is, unless Escaped.
// Offsets are int32 so that a record's members are small to copy.
type Member struct {
	Key, KeyEnd, Value, End int32
	Escaped                 bool
}

// SkipObjectMembers validates and passes over the object at Pos as
// SkipObject does and, in the same pass, appends where each of its own
// members lies (not those of nested objects) to ms, in the order written,
// a repeated key each time: a reader then finds a member without reading
// the object again. A Buf of 2 GiB or more is not indexed: ms comes back
// unchanged. (SkipObject does not share this loop: the extra bookkeeping
// cost every nested object of every record 20% more instructions.)
func (p *Parser) SkipObjectMembers(ms []Member) ([]Member, error) {
	if len(p.Buf) > math.MaxInt32 {
		return ms, p.SkipObject()
	}
	return p.objectMembers(ms, nil, 0)
}

// Object locates an object nested in the members of another, as
// SkipObjectTree records it: Buf[Start:End] is its text and its own
// members are Members[From:To] of the Tree that holds it.
type Object struct {
	Start, End, From, To int32
}

// Tree is where SkipObjectTree records the objects nested in an
// object's members, to be reused from object to object.
type Tree struct {
	// Within, when not empty, limits the tree to the objects in the
	// top-level members of these names (keys without escapes): a reader
	// that looks into userIdentity on every record does not pay for
	// recording requestParameters.
	Within []string
	// Objects are the nested objects, each after those nested in it;
	// Members their members, each object's together.
	Objects []Object
	Members []Member
	stack   [][]Member // members of the objects being read, by depth
}

// within reports whether the tree records the object in the member
// whose key is Buf[m.Key:m.KeyEnd], at depth (1: a top-level member).
func (t *Tree) within(p *Parser, m *Member, depth int) bool {
	if depth > 1 || len(t.Within) == 0 {
		return true
	}
	if m.Escaped {
		return false
	}
	key := p.S[m.Key+1 : m.KeyEnd-1]
	for _, w := range t.Within {
		if w == key {
			return true
		}
	}
	return false
}

// SkipObjectTree is SkipObjectMembers that also records in t, reset
// first, where the members of every object nested in the object lie,
// through members at any depth (not the elements of arrays), or of those
// in the members t.Within names: a reader of
// userIdentity.sessionContext.sessionIssuer.type then finds it without
// reading the record again. Offsets are in Buf, as the top-level
// members' are.
func (p *Parser) SkipObjectTree(ms []Member, t *Tree) ([]Member, error) {
	t.Objects, t.Members = t.Objects[:0], t.Members[:0]
	if len(p.Buf) > math.MaxInt32 {
		return ms, p.SkipObject()
	}
	return p.objectMembers(ms, t, 0)
}

// objectMembers is the loop of SkipObjectMembers and SkipObjectTree: it
// records the members of nested objects in t unless t is nil.
func (p *Parser) objectMembers(ms []Member, t *Tree, depth int) ([]Member, error) {
	if err := p.Enter(); err != nil {
		return ms, err
	}
	p.Pos++ // '{'
	if p.Peek() == '}' {
		p.Pos++
		p.Depth--
		return ms, nil
	}
	for {
		if p.Peek() != '"' {
			return ms, p.Unexpected("a string key")
		}
		m := Member{Key: int32(p.Pos)}
		i := plainEnd(p.Buf, p.Pos+1)
		if i < len(p.Buf) && p.Buf[i] == '"' {
			p.Pos = i + 1
		} else {
			end, escaped, err := p.scanString(i)
			if err != nil {
				return ms, err
			}
			p.Pos, m.Escaped = end, escaped
		}
		m.KeyEnd = int32(p.Pos)
		if err := p.Expect(':'); err != nil {
			return ms, err
		}
		p.WS()
		m.Value = int32(p.Pos)
		if t != nil && p.Pos < len(p.Buf) && p.Buf[p.Pos] == '{' && t.within(p, &m, depth+1) {
			if err := p.nestedObject(t, depth+1); err != nil {
				return ms, err
			}
		} else if err := p.SkipValue(); err != nil {
			return ms, err
		}
		m.End = int32(p.Pos)
		ms = append(ms, m)
		switch p.Peek() {
		case ',':
			p.Pos++
		case '}':
			p.Pos++
			p.Depth--
			return ms, nil
		default:
			return ms, p.Unexpected("',' or '}'")
		}
	}
}

// nestedObject reads the object at Pos, at depth in the tree, into t.
func (p *Parser) nestedObject(t *Tree, depth int) error {
	for len(t.stack) <= depth {
		t.stack = append(t.stack, nil)
	}
	start := p.Pos
	own, err := p.objectMembers(t.stack[depth][:0], t, depth)
	t.stack[depth] = own
	if err != nil {
		return err
	}
	from := len(t.Members)
	t.Members = append(t.Members, own...)
	t.Objects = append(t.Objects, Object{Start: int32(start), End: int32(p.Pos), From: int32(from), To: int32(len(t.Members))})
	return nil
}

// SkipArray validates and passes over the array at Pos.
func (p *Parser) SkipArray() error {
	if err := p.Enter(); err != nil {
		return err
	}
	p.Pos++ // '['
	if p.Peek() == ']' {
		p.Pos++
		p.Depth--
		return nil
	}
	for {
		p.WS()
		if err := p.SkipValue(); err != nil {
			return err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case ']':
			p.Pos++
			p.Depth--
			return nil
		default:
			return p.Unexpected("',' or ']'")
		}
	}
}

// Value validates the value at Pos and returns its text, which aliases Buf,
// and whether it holds insignificant whitespace.
func (p *Parser) Value() (v []byte, spaced bool, err error) {
	p.WS()
	saw := p.SawSpace
	p.SawSpace = false
	start := p.Pos
	if err := p.SkipValue(); err != nil {
		return nil, false, err
	}
	spaced = p.SawSpace
	p.SawSpace = saw || spaced
	return p.Buf[start:p.Pos:p.Pos], spaced, nil
}

// Raw validates the value at Pos and returns it, compacted (a copy) when it
// held whitespace so that it can be written on one line.
func (p *Parser) Raw() ([]byte, error) {
	v, spaced, err := p.Value()
	if err != nil {
		return nil, err
	}
	if spaced {
		v = Compact(v)
	}
	return v, nil
}

// Members reads the object at Pos, calling member with each key; member
// must read the key's value. Keys come in the order written, a repeated key
// each time: a caller that assigns in member gets the last value.
func (p *Parser) Members(member func(key string) error) error {
	if err := p.Expect('{'); err != nil {
		return err
	}
	if err := p.Enter(); err != nil {
		return err
	}
	if p.Peek() == '}' {
		p.Pos++
		p.Depth--
		return nil
	}
	for {
		if p.Peek() != '"' {
			return p.Unexpected("a string key")
		}
		key, err := p.Str()
		if err != nil {
			return err
		}
		if err := p.Expect(':'); err != nil {
			return err
		}
		p.WS()
		if err := member(key); err != nil {
			return err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case '}':
			p.Pos++
			p.Depth--
			return nil
		default:
			return p.Unexpected("',' or '}'")
		}
	}
}

// Elements reads the array at Pos, calling elem for each element, which
// elem must read.
func (p *Parser) Elements(elem func(i int) error) error {
	if err := p.Expect('['); err != nil {
		return err
	}
	if err := p.Enter(); err != nil {
		return err
	}
	if p.Peek() == ']' {
		p.Pos++
		p.Depth--
		return nil
	}
	for i := 0; ; i++ {
		p.WS()
		if err := elem(i); err != nil {
			return err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case ']':
			p.Pos++
			p.Depth--
			return nil
		default:
			return p.Unexpected("',' or ']'")
		}
	}
}

// Valid validates data as exactly one JSON value, whitespace around it
// allowed.
func Valid(data []byte) error {
	p := New(data, 0)
	if _, err := p.Skip(); err != nil {
		return err
	}
	return p.End("the value")
}
