package event

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// DefaultMaxRecordBytes bounds one record (and any top-level value that is
// not a log file's Records array), counted without its insignificant
// whitespace. CloudTrail records are at most 256 KB in trails and 1 MB in
// event data stores; anything far larger is not a record, and reading it
// whole would cost unbounded memory.
const DefaultMaxRecordBytes = 16 << 20

// MaxPayloadDepth bounds how deep CloudWatch Logs payloads ({"awslogs":
// {"data":...}}) may nest in each other. CloudWatch Logs delivers one level
// (a Lambda event wrapping a payload is the deepest real form); each
// level holds a decompressor and a buffer, so deeper nesting is an error
// naming the offset rather than unbounded memory.
const MaxPayloadDepth = 2

// Scanner reads CloudTrail records from a stream, one at a time, in constant
// memory. It recognises the form by content:
//
//   - gzip-compressed or plain input;
//   - a log file, {"Records":[...]}, wherever the Records key stands;
//   - JSON Lines, or any sequence of the forms here, and a JSON array of records;
//   - a single record;
//   - an EventBridge event ("AWS API Call via CloudTrail" and the like) with
//     the record under "detail";
//   - a CloudWatch Logs subscription payload: base64 gzip text, the same
//     wrapped as {"awslogs":{"data":...}}, or its decoded JSON with the
//     records in logEvents[].message;
//   - what `aws cloudtrail lookup-events` (and `trailkit lookup --output
//     json`) prints, {"Events":[...],"NextToken":...}, one page or many
//     concatenated, with each record in Events[].CloudTrailEvent.
//
// Each record is validated as JSON (UTF-8, nesting, syntax) before Scan
// returns it, and so is everything around it: separators, the other members
// of a log file's object. Gzip input with bytes after the compressed stream
// is an error, as it is for the AWS CLI. Nothing is dropped silently: a
// second Records array in one object is read too; only CloudWatch Logs
// CONTROL_MESSAGE payloads, which hold no records, yield nothing.
type Scanner struct {
	// Name names the input in errors, such as its file name or object key.
	Name string
	// IndexNested names the top-level members (userIdentity, say) in
	// which the Scanner records, with a record's members, where the
	// objects nested in them and their members lie: see Nested.
	IndexNested []string
	// Compact has each record of a log file or array read first by a
	// parser of JSON without whitespace between tokens, the form
	// CloudTrail writes, in half the instructions of the general one
	// (see jsonscan's CompactObjectMembers); a record that holds such
	// whitespace, or is invalid, is then read again from its start by
	// the general parser, so what Scan returns is the same. It is for
	// input that is mostly CloudTrail's own log files (lake's Export);
	// IndexNested overrides it.
	Compact bool
	// MaxRecordBytes bounds one record; DefaultMaxRecordBytes when zero.
	// Whitespace between tokens does not count: a pretty-printed record is
	// held with it squeezed out once it fills the buffer, and error
	// offsets inside such a record count it without that whitespace.
	MaxRecordBytes int

	raw    io.Reader
	src    io.Reader
	closer io.Closer
	buf    []byte
	r, p   int   // buf[r:] is kept (the value being framed starts at r); p is the scan position
	w      int   // end of valid data in buf
	off    int64 // input offset of buf[0]
	eof    bool
	srcErr error

	state   scanState
	elems   int    // elements read of the current array
	spans   []span // members of the top-level object being read
	envKeys bool   // that object has a key of an envelope
	started bool
	closed  bool     // Close released the buffers: nothing more is read
	sub     *Scanner // reads an embedded CloudWatch Logs payload
	subOff  int64    // input offset of that payload
	pending [][]byte
	depth   int // of this scanner's payload in CloudWatch Logs payloads

	rec     []byte
	recOff  int64
	members []Member // of rec, when indexed
	indexed bool
	tree    jsonscan.Tree  // the objects nested in rec, with IndexNested
	nested  *jsonscan.Tree // &tree, or the embedded payload's
	index   int
	scratch []byte
	err     error

	// Whitespace does not count toward MaxRecordBytes: a value that fills
	// the largest buffer has it squeezed out (see squeeze).
	sq        jsonscan.Squeezer
	sqOn      bool
	sqKey     int64 // off+r of the value being squeezed, which names it
	sqFrom    int   // end of its squeezed text, relative to r
	sqAt      int   // buffer offset from which input offsets are exact
	shift     int64 // whitespace bytes removed from the input so far
	sqBase    int64 // shift before the value being squeezed
	noSqueeze bool  // base64 text is being read, where a space ends it
	marks     []int
}

type scanState uint8

const (
	stTop          scanState = iota // between top-level values
	stRecords                       // inside {"Records":[ ... ]}
	stArray                         // inside a top-level [ ... ]
	stAfterRecords                  // after the Records array, inside its object
)

// NewScanner returns a Scanner reading r.
func NewScanner(r io.Reader) *Scanner { return &Scanner{raw: r} }

// ReadError locates a failure in the input.
type ReadError struct {
	Name   string // the input's name, if it has one
	Index  int    // the record's index in the input, from 0
	Offset int64  // byte offset of the record in the (decompressed) input
	Err    error
}

func (e *ReadError) Error() string {
	var b strings.Builder
	if e.Name != "" {
		b.WriteString(e.Name)
		b.WriteString(": ")
	}
	fmt.Fprintf(&b, "record %d at byte %d: %v", e.Index, e.Offset, e.Err)
	return b.String()
}

func (e *ReadError) Unwrap() error { return e.Err }

// ErrTrailingData is wrapped when bytes follow a gzip stream: by Scanner
// for a log file read, and by the digest package for a log file validated.
var ErrTrailingData = errors.New("bytes after the end of the gzip stream")

// Scan advances to the next record and reports whether there is one.
func (s *Scanner) Scan() bool {
	if s.err != nil || s.closed {
		return false
	}
	s.indexed = false
	if !s.started {
		s.started = true
		if err := s.open(); err != nil {
			s.fail(err)
			return false
		}
	}
	for {
		if s.sub != nil {
			if s.sub.Scan() {
				// Records of an embedded payload are located by the
				// payload's offset: their own offsets are in its
				// decompressed text.
				s.rec, s.recOff = s.sub.rec, s.subOff
				s.members, s.indexed, s.nested = s.sub.members, s.sub.indexed, s.sub.nested
				s.index++
				return true
			}
			err := s.sub.Err()
			s.sub.Close()
			s.sub = nil
			if err != nil {
				s.err = &ReadError{Name: s.Name, Index: s.index, Offset: s.subOff,
					Err: fmt.Errorf("CloudWatch Logs payload: %w", err)}
				return false
			}
			continue
		}
		if len(s.pending) > 0 {
			s.rec, s.pending = s.pending[0], s.pending[1:]
			if !s.validate(s.rec) {
				return false
			}
			s.index++
			return true
		}
		var ok bool
		var err error
		switch s.state {
		case stTop:
			ok, err = s.top()
		case stRecords, stArray:
			ok, err = s.element()
		case stAfterRecords:
			err = s.afterRecords()
		}
		if err != nil {
			if err != io.EOF {
				s.fail(err)
			} else {
				s.Close()
			}
			return false
		}
		if s.err != nil {
			return false // a record failed validation
		}
		if ok {
			s.index++
			return true
		}
	}
}

// Bytes returns the current record as compact JSON. The slice is valid until
// the next call to Scan. Its capacity ends at its length, so appending to it
// copies rather than overwriting the input that follows.
func (s *Scanner) Bytes() []byte { return s.rec[:len(s.rec):len(s.rec)] }

// Member locates a top-level member of a record in its bytes: with b the
// record, b[Key:KeyEnd] is the member's key (a JSON string, quotes
// included) and b[Value:End] its value.
type Member = jsonscan.Member

// Members returns where the current record's top-level members lie in
// Bytes, in the order written (a repeated key each time; the last is the
// value), as the Scanner found them while validating the record, so that a
// reader looking for a few members need not read the record again. It
// returns nil when the Scanner did not record them: for a record it had to
// compact, or one that is not an element of an array (a log file's
// Records, a JSON array of records). The slice is valid until the next
// call to Scan.
func (s *Scanner) Members() []Member {
	if !s.indexed {
		return nil
	}
	return s.members[:len(s.members):len(s.members)]
}

// NestedObject locates an object nested in a record's members in its bytes:
// with b the record, b[Start:End] is the object, and its own members are
// members[From:To] of the list Nested returns with it.
type NestedObject = jsonscan.Object

// Nested returns where the objects nested in the current record's
// members that IndexNested names lie (through members at any depth, not
// in arrays), each after those nested in it, and their members, located
// in Bytes as Members' are, in the same pass. It returns nil, nil when
// Members does, or without IndexNested. The slices are valid until the
// next call to Scan.
func (s *Scanner) Nested() (members []Member, objects []NestedObject) {
	if !s.indexed || len(s.IndexNested) == 0 || s.nested == nil {
		return nil, nil
	}
	t := s.nested
	return t.Members[:len(t.Members):len(t.Members)], t.Objects[:len(t.Objects):len(t.Objects)]
}

// Offset returns the byte offset of the current record in the input.
func (s *Scanner) Offset() int64 { return s.recOff }

// Index returns the index of the current record, from 0.
func (s *Scanner) Index() int { return s.index - 1 }

// Err returns the first error that stopped the scan, or nil at a clean end.
func (s *Scanner) Err() error { return s.err }

// Close releases the decompressor. Scan calls it at the end of the input;
// call it when stopping early.
func (s *Scanner) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	if s.sub != nil {
		s.sub.Close()
	}
	var err error
	if s.closer != nil {
		err = s.closer.Close()
		s.closer = nil
	}
	s.src = nil
	if s.buf != nil {
		putScanBuf(s.buf)
		s.buf, s.r, s.p, s.w = nil, 0, 0, 0
	}
	return err
}

// Records yields the records of the input, decoded. A record that is valid
// JSON but not shaped like a CloudTrail record comes with a *ReadError
// wrapping a *ShapeError, and reading goes on; an input error ends the
// sequence with a *ReadError.
func (s *Scanner) Records() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		defer s.Close()
		for s.Scan() {
			r := new(Record)
			err := unmarshalOwned(bytes.Clone(s.rec), s.recOff, r)
			if err == nil {
				err = r.Check()
			}
			if err != nil {
				err = &ReadError{Name: s.Name, Index: s.Index(), Offset: s.recOff, Err: err}
			}
			if !yield(r, err) {
				return
			}
		}
		if err := s.Err(); err != nil {
			yield(nil, err)
		}
	}
}

// Read yields the records in r, in any form Scanner recognises.
func Read(r io.Reader) iter.Seq2[*Record, error] { return NewScanner(r).Records() }

// ReadFile yields the records of the file at path, in any form Scanner
// recognises; errors name the file. The file is closed when the sequence
// ends or the loop stops.
func ReadFile(path string) iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		f, err := os.Open(path)
		if err != nil {
			yield(nil, err)
			return
		}
		defer f.Close()
		sc := NewScanner(f)
		sc.Name = path
		sc.Records()(yield)
	}
}

func (s *Scanner) fail(err error) {
	var re *ReadError
	if errors.As(err, &re) {
		s.err = err
	} else {
		s.err = &ReadError{Name: s.Name, Index: s.index, Offset: s.at(s.p), Err: err}
	}
	s.Close()
}

func (s *Scanner) maxBytes() int {
	if s.MaxRecordBytes > 0 {
		return s.MaxRecordBytes
	}
	return DefaultMaxRecordBytes
}

// open detects gzip by its magic bytes and, unless the input is known to
// be small, starts decompressing on another goroutine, so that parsing and
// decompression overlap.
func (s *Scanner) open() error {
	s.buf = getScanBuf()
	s.src = s.raw
	var magic [2]byte
	n, err := io.ReadFull(s.raw, magic[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	head := io.MultiReader(bytes.NewReader(magic[:n]), s.raw)
	if n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gs, err := newGzipStream(head)
		if err != nil {
			return err
		}
		if smallInput(s.raw) {
			s.src, s.closer = gs, syncGzip{gs}
			return nil
		}
		ar := newAsyncReader(gs)
		s.src, s.closer = ar, ar
		return nil
	}
	s.src = head
	return nil
}

// gzipStream decompresses one gzip member after another and fails on
// anything else after the last one, where a plain multistream reader would
// report a confusing header error or none at all.
type gzipStream struct {
	br *bufio.Reader
	zr *gzip.Reader
}

func gzipErr(err error) error { return fmt.Errorf("gzip: %w", err) }

func (g *gzipStream) Read(p []byte) (int, error) {
	for {
		n, err := g.zr.Read(p)
		if err != io.EOF {
			if err != nil {
				err = fmt.Errorf("gzip: %w", err)
			}
			return n, err
		}
		next, perr := g.br.Peek(2)
		switch {
		case len(next) == 0 && perr == io.EOF:
			return n, io.EOF
		case len(next) == 2 && next[0] == 0x1f && next[1] == 0x8b:
			if err := g.zr.Reset(g.br); err != nil {
				return n, fmt.Errorf("gzip: %w", err)
			}
			g.zr.Multistream(false)
		default:
			return n, fmt.Errorf("gzip: %w", ErrTrailingData)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// fill reads more input, keeping buf[s.r:]. It returns false at the end of
// the input or on a read error (kept in s.srcErr).
func (s *Scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.r > 0 {
		n := copy(s.buf, s.buf[s.r:s.w])
		s.off += int64(s.r)
		s.p -= s.r
		s.sqAt -= s.r
		s.w = n
		s.r = 0
	}
	limit := s.maxBytes() + 64<<10
	if s.w == len(s.buf) && len(s.buf) >= limit && !s.squeeze() {
		s.srcErr = &ReadError{Name: s.Name, Index: s.index, Offset: s.at(0),
			Err: fmt.Errorf("value is larger than %d bytes", s.maxBytes())}
		s.eof = true
		return false
	}
	if s.w == len(s.buf) {
		// Grow fourfold: a value near the limit then leaves less garbage
		// behind (256K, 1M, 4M) than doubling would, which keeps the peak
		// memory of refusing a huge record low.
		next := 4 * len(s.buf)
		if 2*next > limit {
			next = limit // rather than one step short of it and then the limit
		}
		nb := make([]byte, next)
		copy(nb, s.buf[:s.w])
		s.buf = nb
	}
	for {
		n, err := s.src.Read(s.buf[s.w:])
		s.w += n
		if err != nil {
			s.eof = true
			if err != io.EOF {
				s.srcErr = err
			}
			return n > 0
		}
		if n > 0 {
			return true
		}
	}
}

// squeeze removes the insignificant whitespace from the value being read,
// buf[r:w], in place, and reports whether the value, so squeezed, is within
// MaxRecordBytes. Each byte is squeezed once: a value that fills the buffer
// again is squeezed from where the last call stopped. The scan position
// and the spans of the members framed so far move with their bytes.
//
// Input offsets stay exact after the squeezed text; inside it, they count
// the value without the whitespace removed before them.
func (s *Scanner) squeeze() bool {
	if s.noSqueeze {
		return false
	}
	if key := s.off + int64(s.r); !s.sqOn || key != s.sqKey {
		s.sq, s.sqOn, s.sqKey, s.sqFrom, s.sqBase = jsonscan.Squeezer{}, true, key, 0, s.shift
	}
	marks := s.marks[:0]
	for _, sp := range s.spans {
		marks = append(marks, s.r+sp.start, s.r+sp.end)
	}
	marks = append(marks, s.p)
	end := s.sq.Squeeze(s.buf[:s.w], s.r+s.sqFrom, marks)
	for i := range s.spans {
		s.spans[i] = span{marks[2*i] - s.r, marks[2*i+1] - s.r}
	}
	s.p = marks[len(marks)-1]
	s.marks = marks
	s.shift += int64(s.w - end)
	s.w, s.sqFrom, s.sqAt = end, end-s.r, end
	return s.w-s.r <= s.maxBytes()
}

// at returns the input offset of buf[i].
func (s *Scanner) at(i int) int64 {
	if i >= s.sqAt {
		return s.off + int64(i) + s.shift
	}
	return s.off + int64(i) + s.sqBase
}

// need makes sure buf[s.p] is readable; false at the end of the input.
func (s *Scanner) need() bool {
	for s.p >= s.w {
		if !s.fill() {
			return false
		}
	}
	return true
}

// endErr is the error for input that ended inside a value.
func (s *Scanner) endErr() error {
	if s.srcErr != nil {
		return s.srcErr
	}
	return &SyntaxError{Offset: s.at(s.p), Msg: "unexpected end of input"}
}

// skipSpace moves p past whitespace and reports the next byte (0 at the end).
func (s *Scanner) skipSpace() byte {
	for s.need() {
		switch c := s.buf[s.p]; c {
		case ' ', '\n', '\r', '\t':
			s.p++
		default:
			return c
		}
	}
	return 0
}

// frame moves p past the value starting at p with the shared framer: it
// only tracks strings and nesting; the value is validated afterwards as a
// whole.
func (s *Scanner) frame() error {
	if !s.need() {
		return s.endErr()
	}
	var f jsonscan.Framer
	for {
		end, done, err := f.Next(s.buf[s.r:s.w], s.p-s.r)
		s.p = s.r + end
		if err != nil {
			return &SyntaxError{Offset: s.at(s.p), Msg: err.Error(), Err: err}
		}
		if done {
			return nil
		}
		if !s.need() {
			if f.AtScalarEnd() && s.srcErr == nil {
				return nil // a scalar ending the input
			}
			return s.endErr()
		}
	}
}

// validate checks a framed record fully and compacts it if needed.
func (s *Scanner) validate(v []byte) bool {
	p := newParser(v, s.recOff)
	if p.Peek() != '{' {
		s.fail(&ReadError{Name: s.Name, Index: s.index, Offset: s.recOff, Err: errors.New("a record must be a JSON object")})
		return false
	}
	if err := p.SkipValue(); err != nil {
		s.fail(&ReadError{Name: s.Name, Index: s.index, Offset: s.recOff, Err: err})
		return false
	}
	s.accept(v, p.SawSpace)
	return true
}

// top reads the next top-level value.
func (s *Scanner) top() (bool, error) {
	s.spans = s.spans[:0] // those of the last object are done with
	s.r = s.p
	c := s.skipSpace()
	s.r = s.p
	switch {
	case c == 0 && s.p >= s.w: // the end, not a NUL byte
		if s.srcErr != nil {
			return false, s.srcErr
		}
		return false, io.EOF
	case c == '[':
		s.p++
		s.state = stArray
		s.elems = 0
		return false, nil
	case c == '{':
		return s.topObject()
	case c == 'H': // base64 of a gzip stream: a raw CloudWatch Logs payload
		s.noSqueeze = true
		for s.need() && !isSpace(s.buf[s.p]) {
			s.p++
		}
		s.noSqueeze = false
		if s.srcErr != nil {
			return false, s.srcErr
		}
		return false, s.embed(s.buf[s.r:s.p])
	}
	return false, &SyntaxError{Offset: s.at(s.p), Msg: fmt.Sprintf("unexpected %q at the start of a value", c)}
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\r' || c == '\t' }

// topObject reads a top-level object. A Records array inside it is streamed;
// any other object is kept whole and classified. The members around a
// Records array are framed as they come and validated once the object turns
// out to be a log file (an object without Records is validated whole by
// classify), so that no byte of the input goes unchecked.
func (s *Scanner) topObject() (bool, error) {
	s.p++ // '{'
	s.spans = s.spans[:0]
	s.envKeys = false
	if s.skipSpace() == '}' {
		s.p++
		return s.classify(s.buf[s.r:s.p])
	}
	for {
		if c := s.skipSpace(); c != '"' {
			return false, s.endErrOr("a key")
		}
		// Spans are relative to r, which stays put while fill moves the
		// buffer; a span is kept before its value is framed, so that
		// squeeze moves its start too.
		s.spans = append(s.spans, span{s.p - s.r, s.p - s.r})
		if err := s.frame(); err != nil {
			return false, err
		}
		sp := &s.spans[len(s.spans)-1]
		sp.end = s.p - s.r
		key := s.buf[s.r+sp.start : s.p]
		isRecords := string(key) == `"Records"`
		s.envKeys = s.envKeys || envelopeKeys[string(key)]
		if s.skipSpace() != ':' {
			return false, s.endErrOr("':'")
		}
		s.p++
		if s.skipSpace() == '[' && isRecords {
			for _, sp := range s.spans {
				if err := s.checkValue(sp.start, sp.end); err != nil {
					return false, err
				}
			}
			s.enterRecords()
			return false, nil
		}
		s.spans = append(s.spans, span{s.p - s.r, s.p - s.r})
		if err := s.frame(); err != nil {
			return false, err
		}
		s.spans[len(s.spans)-1].end = s.p - s.r
		switch s.skipSpace() {
		case ',':
			s.p++
		case '}':
			s.p++
			return s.classify(s.buf[s.r:s.p])
		default:
			return false, s.endErrOr("',' or '}'")
		}
	}
}

// span locates a framed value relative to s.r.
type span struct{ start, end int }

// checkValue validates the framed value buf[r+start:r+end] as JSON.
func (s *Scanner) checkValue(start, end int) error {
	p := newParser(s.buf[s.r+start:s.r+end], s.at(s.r+start))
	if err := p.SkipValue(); err != nil {
		return err
	}
	if p.Pos != len(p.Buf) {
		return p.Errorf("unexpected %q after a value", p.Buf[p.Pos])
	}
	return nil
}

// enterRecords starts streaming the elements of a Records array; p is past
// its '['.
func (s *Scanner) enterRecords() {
	s.spans = s.spans[:0] // checked
	s.p++
	s.r = s.p
	s.state = stRecords
	s.elems = 0
}

func (s *Scanner) endErrOr(want string) error {
	if !s.need() {
		return s.endErr()
	}
	return &SyntaxError{Offset: s.at(s.p), Msg: fmt.Sprintf("unexpected %q, want %s", s.buf[s.p], want)}
}

// element reads the next element of a Records array or top-level array.
func (s *Scanner) element() (bool, error) {
	s.r = s.p
	c := s.skipSpace()
	if c == ']' && s.elems == 0 {
		s.endArray()
		return false, nil
	}
	if s.elems > 0 {
		switch c {
		case ']':
			s.endArray()
			return false, nil
		case ',':
			s.p++
			c = s.skipSpace()
		default:
			return false, s.endErrOr("',' or ']'")
		}
	}
	s.r = s.p
	switch {
	case c == 0 && s.p >= s.w:
		return false, s.endErr()
	case c == ',' || c == ']' || c == 0:
		return false, &SyntaxError{Offset: s.at(s.p), Msg: fmt.Sprintf("unexpected %q, want a value", c)}
	}
	s.recOff = s.at(s.p)
	if c != '{' {
		if err := s.frame(); err != nil {
			return false, err
		}
		s.elems++
		return s.validate(s.buf[s.r:s.p]), nil
	}
	if err := s.parseRecord(); err != nil {
		return false, err
	}
	s.elems++
	return true, nil
}

// parseRecord reads the record object starting at p in one validating
// pass, the hot path of reading a log file. The parser works on what the
// buffer holds; when it fails near the end of that (the record goes on
// beyond it), the buffer is filled and the record parsed again from its
// start. Records are small next to the buffer, so that is rare.
func (s *Scanner) parseRecord() error {
	for {
		p := newParser(s.buf[s.p:s.w], s.recOff)
		var err error
		switch {
		case len(s.IndexNested) > 0:
			s.tree.Within = s.IndexNested
			s.members, err = p.SkipObjectTree(s.members[:0], &s.tree)
			s.nested = &s.tree
		case s.Compact:
			var ok bool
			if s.members, ok = p.CompactObjectMembers(s.members[:0]); ok {
				break
			}
			if len(p.Buf)-p.Pos <= 8 && !s.eof {
				s.fill() // the record goes on beyond the buffer, most likely
				continue
			}
			p.Pos = 0
			fallthrough
		default:
			s.members, err = p.SkipObjectMembers(s.members[:0])
		}
		if err == nil {
			v := s.buf[s.p : s.p+p.Pos : s.p+p.Pos]
			s.p += p.Pos
			s.accept(v, p.SawSpace)
			// Compacting moves the members: only offsets into v hold.
			s.indexed = !p.SawSpace
			return nil
		}
		if len(p.Buf)-p.Pos > 8 || s.eof {
			// A real error, or the input ended inside the record.
			if s.eof && s.srcErr != nil && len(p.Buf)-p.Pos <= 8 {
				err = s.srcErr // say why the input ended (truncated gzip, …)
			}
			var re *ReadError
			if errors.As(err, &re) {
				return err
			}
			return &ReadError{Name: s.Name, Index: s.index, Offset: s.recOff, Err: err}
		}
		s.fill()
	}
}

// accept makes v, a validated record, the current one, compacted if it
// holds whitespace.
func (s *Scanner) accept(v []byte, sawSpace bool) {
	if sawSpace {
		s.scratch = jsonscan.AppendCompact(s.scratch[:0], v)
		s.rec = s.scratch
		return
	}
	s.rec = v
}

func (s *Scanner) endArray() {
	s.p++
	if s.state == stRecords {
		s.state = stAfterRecords
	} else {
		s.state = stTop
	}
}

// afterRecords reads the members that follow a Records array. A second
// Records array (CloudTrail never writes one) is streamed too rather than
// dropped; anything else is validated and passed over.
func (s *Scanner) afterRecords() error {
	for {
		s.r = s.p
		switch s.skipSpace() {
		case '}':
			s.p++
			s.state = stTop
			return nil
		case ',':
			s.p++
		default:
			return s.endErrOr("',' or '}'")
		}
		if s.skipSpace() != '"' {
			return s.endErrOr("a key")
		}
		s.r = s.p
		if err := s.frame(); err != nil {
			return err
		}
		kend := s.p - s.r
		if err := s.checkValue(0, kend); err != nil {
			return err
		}
		isRecords := string(s.buf[s.r:s.p]) == `"Records"`
		if s.skipSpace() != ':' {
			return s.endErrOr("':'")
		}
		s.p++
		if s.skipSpace() == '[' && isRecords {
			s.enterRecords()
			return nil
		}
		s.spans = append(s.spans[:0], span{s.p - s.r, s.p - s.r}) // moved by squeeze
		err := s.frame()
		v0 := s.spans[0].start
		s.spans = s.spans[:0]
		if err != nil {
			return err
		}
		if err := s.checkValue(v0, s.p-s.r); err != nil {
			return err
		}
	}
}

// classify decides what a whole top-level object is.
func (s *Scanner) classify(v []byte) (bool, error) {
	s.recOff = s.at(s.r)
	p := newParser(v, s.recOff)
	if err := p.SkipValue(); err != nil {
		return false, &ReadError{Name: s.Name, Index: s.index, Offset: s.recOff, Err: err}
	}
	if !s.envKeys {
		// A record: the common case of JSON Lines, read in one pass.
		s.accept(v, p.SawSpace)
		return true, nil
	}
	var env envelope
	if err := env.read(v, s.recOff); err != nil {
		return false, err
	}
	switch {
	case env.detail != nil && env.detailType != "":
		s.recOff += int64(env.detailOff)
		return s.validate(env.detail), nil
	case env.awslogsData != "":
		return false, s.embed([]byte(env.awslogsData))
	case env.messageType == "CONTROL_MESSAGE":
		// CloudWatch Logs checks that a destination is reachable with
		// these; their log events are not records.
		return false, nil
	case env.messageType != "", env.lookupEvents:
		s.pending = env.messages
		return false, nil
	}
	s.accept(v, p.SawSpace)
	return true, nil
}

// envelopeKeys are the top-level keys that mark an object as an envelope
// (EventBridge event, CloudWatch Logs payload) rather than a record.
var envelopeKeys = map[string]bool{`"detail"`: true, `"detail-type"`: true, `"awslogs"`: true, `"messageType"`: true, `"logEvents"`: true, `"Events"`: true}

// embed starts a sub-scanner on base64 gzip text found at input offset
// s.off+s.r. The text may alias s.buf: Scan reads nothing more into the
// buffer until the sub-scanner is done.
func (s *Scanner) embed(b64 []byte) error {
	if s.depth >= MaxPayloadDepth {
		// Each level holds its own buffers: an input nesting payloads
		// without end would take unbounded memory.
		return fmt.Errorf("CloudWatch Logs payload nested more than %d deep", MaxPayloadDepth)
	}
	s.subOff = s.at(s.r)
	dec := base64.NewDecoder(base64.StdEncoding, bytes.NewReader(b64))
	s.sub = &Scanner{MaxRecordBytes: s.MaxRecordBytes, IndexNested: s.IndexNested, raw: dec, depth: s.depth + 1}
	return nil
}

// envelope holds the top-level members that tell the non-record forms apart.
type envelope struct {
	detailType  string
	detail      []byte
	detailOff   int
	awslogsData string
	messageType string
	messages    [][]byte // the records of logEvents[].message or Events[].CloudTrailEvent
	// lookupEvents is set for LookupEvents output: an Events array.
	lookupEvents bool
}

func (e *envelope) read(v []byte, base int64) error {
	p := newParser(v, base)
	p.Pos++ // '{'
	for p.Peek() != '}' {
		if p.Buf[p.Pos] == ',' {
			p.Pos++
			p.WS()
		}
		key, _ := p.Str()
		p.Peek()
		p.Pos++ // ':'
		p.WS()
		start := p.Pos
		switch key {
		case "detail-type":
			if p.Peek() == '"' {
				e.detailType, _ = p.Str()
				continue
			}
		case "detail":
			if p.Peek() == '{' {
				_ = p.SkipValue()
				e.detail, e.detailOff = v[start:p.Pos], start
				continue
			}
		case "awslogs":
			if p.Peek() == '{' {
				if err := e.readAWSLogs(&p); err != nil {
					return err
				}
				continue
			}
		case "messageType":
			if p.Peek() == '"' {
				e.messageType, _ = p.Str()
				continue
			}
		case "logEvents":
			if p.Peek() == '[' {
				if err := e.readEmbedded(&p, "message", "a log event object"); err != nil {
					return err
				}
				continue
			}
		case "Events":
			if p.Peek() == '[' {
				if err := e.readEmbedded(&p, "CloudTrailEvent", "an event object"); err != nil {
					return err
				}
				e.lookupEvents = true
				continue
			}
		}
		if err := p.SkipValue(); err != nil {
			return err
		}
	}
	return nil
}

func (e *envelope) readAWSLogs(p *parser) error {
	p.Pos++
	for p.Peek() != '}' {
		if p.Buf[p.Pos] == ',' {
			p.Pos++
			p.WS()
		}
		key, _ := p.Str()
		p.Peek()
		p.Pos++
		if key == "data" && p.Peek() == '"' {
			e.awslogsData, _ = p.Str()
			continue
		}
		p.WS()
		if err := p.SkipValue(); err != nil {
			return err
		}
	}
	p.Pos++
	return nil
}

// readEmbedded reads an array of objects whose member key is a record
// written as a JSON string: CloudWatch Logs' logEvents[].message, or
// LookupEvents' Events[].CloudTrailEvent.
func (e *envelope) readEmbedded(p *parser, key, what string) error {
	p.Pos++
	for p.Peek() != ']' {
		if p.Buf[p.Pos] == ',' {
			p.Pos++
			p.WS()
		}
		if p.Peek() != '{' {
			return p.Unexpected(what)
		}
		found := false
		p.Pos++
		for p.Peek() != '}' {
			if p.Buf[p.Pos] == ',' {
				p.Pos++
				p.WS()
			}
			k, _ := p.Str()
			p.Peek()
			p.Pos++
			if k == key && p.Peek() == '"' {
				m, _ := p.Str()
				e.messages = append(e.messages, []byte(m))
				found = true
				continue
			}
			p.WS()
			if err := p.SkipValue(); err != nil {
				return err
			}
		}
		if !found {
			// Nothing is dropped silently: an element without its record
			// is an error, not an element skipped.
			return p.Errorf("%s without a %q string", what, key)
		}
		p.Pos++
	}
	p.Pos++
	return nil
}
