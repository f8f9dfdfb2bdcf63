package lake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/bits"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// The cloudtrail shape is written straight from a record's JSON text: one
// pass over the record puts each member's value in its column, where
// decoding the record (event.Unmarshal), filling a CloudTrailRow and
// writing that by reflection read and copied everything three times, a
// third of an export's processor time. The direct path takes the records
// CloudTrail writes: the known members, each of the type the model reads.
// Any other record (an unknown or repeated key, a value of another type, a
// time in another layout, the rarely seen members kept as re-encoded JSON:
// edgeDeviceDetails, insightDetails, eventContext) goes the decoding way,
// and the two give the same column values (TestDirectMatchesRows).

// A directObject says where the members of one JSON object go.
type directObject struct {
	fields []directField
	def    int             // definition level of its columns when it is present
	lo, hi int             // its leaf columns
	nulls  []parquet.Value // its columns' nulls at def
	// echo is set for the objects the ocsf shape writes back as JSON
	// text: tlsDetails and addendum.
	echo bool
}

type directKind uint8

const (
	directString directKind = iota // a JSON string; "" is null
	directRaw                      // any JSON value, as text
	directTime                     // CloudTrail's time layout, as milliseconds
	directBool                     // true or false
	directObj                      // an object: a group
	directList                     // an array of objects: a list of groups
	directNot                      // a member the direct path leaves to decoding
)

type directField struct {
	key  string
	kind directKind
	col  int // leaf column
	def  int // leaf's definition level when set
	obj  *directObject
	// head and tail are key's first and last eight bytes, when it has
	// 8 to 16: is compares them instead of calling memequal.
	head, tail uint64
}

func newDirectField(key string, kind directKind) directField {
	f := directField{key: key, kind: kind}
	if n := len(key); n >= 8 && n <= 16 {
		f.head, f.tail = load64(key, 0), load64(key, n-8)
	}
	return f
}

// is reports whether key is f's.
func (f *directField) is(key string) bool {
	return len(key) == len(f.key) && f.same(key)
}

// same reports whether key, as long as f's, is f's.
func (f *directField) same(key string) bool {
	if f.head != 0 {
		return load64(key, 0) == f.head && load64(key, len(key)-8) == f.tail
	}
	return key == f.key
}

// load64 returns the eight bytes of s at i, little-endian.
func load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), len(s))[i:])
}

// Members of the cloudtrail shape that are not JSON strings.
var directKinds = map[string]directKind{
	"requestParameters":   directRaw,
	"responseElements":    directRaw,
	"additionalEventData": directRaw,
	"serviceEventDetails": directRaw,
	"userIdentity.sessionContext.webIdFederationData.attributes": directRaw,
	"eventTime":         directTime,
	"readOnly":          directBool,
	"managementEvent":   directBool,
	"edgeDeviceDetails": directNot,
	"insightDetails":    directNot,
	"eventContext":      directNot,
	"extraFields":       directNot, // a column, not a member
}

// cloudTrailDirect is the plan of the cloudtrail shape's schema.
var (
	directColumns    = map[string]int{} // leaf columns by path, "userIdentity.arn"
	cloudTrailDirect = func() *directObject {
		s := schemaOf[CloudTrailRow]()
		col := 0
		return directGroup(s, "", 0, &col)
	}()
)

// directGroup plans group n, whose columns start at *col and whose
// definition level, present, is def.
func directGroup(n parquet.Node, path string, def int, col *int) *directObject {
	o := &directObject{def: def, lo: *col}
	for _, f := range n.Fields() {
		name := f.Name()
		p := path + name
		df := newDirectField(name, directKinds[p])
		switch {
		case f.Leaf():
			df.col, df.def = *col, def+1
			directColumns[p] = df.col
			*col++
		case len(f.Fields()) == 1 && f.Fields()[0].Repeated():
			// A LIST: optional group, repeated group "list", required
			// group "element".
			df.kind = directList
			df.obj = directGroup(f.Fields()[0].Fields()[0], p+".", def+2, col)
		default:
			df.kind = directObj
			df.obj = directGroup(f, p+".", def+1, col)
			df.obj.echo = p == "tlsDetails" || p == "addendum"
		}
		if df.kind != directNot {
			o.fields = append(o.fields, df)
		}
	}
	o.hi = *col
	o.nulls = make([]parquet.Value, o.hi-o.lo)
	for c := o.lo; c < o.hi; c++ {
		o.nulls[c-o.lo] = parquet.NullValue().Level(0, def, c)
	}
	return o
}

// lookup returns the field of key, or nil, looking first from the one
// after the last found: fields come in the order CloudTrail writes
// members, so a miss there is a member absent, and the key is further on.
func (o *directObject) lookup(key string, next *int) *directField {
	for i := *next; i < len(o.fields); i++ {
		if o.fields[i].is(key) {
			*next = i + 1
			return &o.fields[i]
		}
	}
	for i := range min(*next, len(o.fields)) {
		if o.fields[i].is(key) {
			*next = i + 1
			return &o.fields[i]
		}
	}
	return nil
}

// lookupAt is lookup of the key whose text starts at s[i], in a plain
// record: a field's key is there when it is followed by the quote that
// ends the key, found without scanning for it.
func (o *directObject) lookupAt(s string, i int, next *int) *directField {
	at := func(f *directField) bool {
		n := i + len(f.key)
		return n < len(s) && s[n] == '"' && f.same(s[i:n])
	}
	for j := *next; j < len(o.fields); j++ {
		if at(&o.fields[j]) {
			*next = j + 1
			return &o.fields[j]
		}
	}
	for j := range min(*next, len(o.fields)) {
		if at(&o.fields[j]) {
			*next = j + 1
			return &o.fields[j]
		}
	}
	return nil
}

// directRecord is one record's column values, as read by scan.
type directRecord struct {
	plan    *directObject
	vals    []parquet.Value   // a value per column outside lists
	lists   [][]parquet.Value // the values of the columns in lists
	inList  []bool
	listed  []int           // the columns in lists
	nulls   []parquet.Value // each column's null at level 0
	region  string
	account string
	time    string // eventTime, YYYY-MM-DDThh:mm:ssZ
	dir     []byte // partition directory
	// echoes is cleared when tlsDetails or addendum has members out of
	// CloudTrail's order, or empty strings, which a Record keeps as read.
	echoes bool
	// plain is set while scan reads a record as the Scanner returned it
	// (validated and compact) that holds no backslash: its strings are
	// their text, and end at the next quote.
	plain bool
}

func newDirectRecord(plan *directObject) *directRecord {
	n := plan.hi
	d := &directRecord{plan: plan, vals: make([]parquet.Value, n), lists: make([][]parquet.Value, n),
		inList: make([]bool, n), nulls: make([]parquet.Value, n)}
	for c := range d.nulls {
		d.nulls[c] = parquet.NullValue().Level(0, 0, c)
	}
	var mark func(o *directObject, in bool)
	mark = func(o *directObject, in bool) {
		for _, f := range o.fields {
			if f.obj != nil {
				mark(f.obj, in || f.kind == directList)
			}
		}
		if in {
			for c := o.lo; c < o.hi; c++ {
				d.inList[c] = true
			}
		}
	}
	mark(plan, false)
	for c, in := range d.inList {
		if in {
			d.listed = append(d.listed, c)
		}
	}
	return d
}

// scan reads the record b, whose top-level members are ms when not nil
// (as the Scanner found them: then b holds no whitespace between tokens),
// into d and reports whether it could: false leaves the record to the
// decoding path.
func (d *directRecord) scan(b []byte, ms []event.Member) bool {
	copy(d.vals, d.nulls)
	for _, c := range d.listed {
		d.lists[c] = d.lists[c][:0]
	}
	d.region, d.account, d.time = "", "", ""
	d.echoes = true
	d.plain = ms != nil && bytes.IndexByte(b, '\\') < 0
	p := jsonscan.New(b, 0)
	if ms != nil {
		if !d.members(&p, ms) {
			return false
		}
	} else if !d.object(&p, d.plan, -1) || !p.AtEnd() {
		return false
	}
	for _, c := range d.listed {
		if len(d.lists[c]) == 0 {
			d.lists[c] = append(d.lists[c], d.nulls[c])
		}
	}
	return true
}

// members reads the top-level members ms of the record p reads.
func (d *directRecord) members(p *jsonscan.Parser, ms []event.Member) bool {
	o := d.plan
	var seen uint64
	next := 0
	for _, m := range ms {
		if m.Escaped {
			return false
		}
		f := o.lookup(p.S[m.Key+1:m.KeyEnd-1], &next)
		if f == nil || seen&(1<<(next-1)) != 0 {
			return false
		}
		seen |= 1 << (next - 1)
		if f.kind == directRaw {
			// Validated, and without whitespace: as Raw would return it.
			v := parquet.ByteArrayValue(p.Buf[m.Value:m.End:m.End])
			v.SetDefinitionLevel(f.def)
			v.SetColumnIndex(f.col)
			d.vals[f.col] = v
			continue
		}
		if d.plain {
			if f.kind == directString && p.Buf[m.Value] == '"' {
				d.setString(f, p.S[m.Value+1:m.End-1], -1, true)
				continue
			}
			if d.plainMember(p, int(m.Value), f, -1, true) != int(m.End) {
				return false
			}
			continue
		}
		p.Pos = int(m.Value)
		if !d.member(p, f, -1, true) {
			return false
		}
	}
	return true
}

// A plain record (see directRecord.plain) is read without a Parser:
// it was validated, it has no whitespace between tokens and no
// backslash, so a key is followed by ':', a string ends at the next
// quote, and a 't' or 'f' starts true or false. Checking tokens again,
// byte by byte, was a quarter of the direct path's instructions.

// plainObject reads the object at b[i] of a plain record into o's columns,
// as object does, and returns the offset after it, or -1 when the direct
// path does not take it.
func (d *directRecord) plainObject(p *jsonscan.Parser, i int, o *directObject, elem int) int {
	b := p.Buf
	if byteAt(b, i) != '{' {
		return -1
	}
	d.open(o, elem)
	i++
	if byteAt(b, i) == '}' {
		return i + 1
	}
	var seen uint64
	next := 0
	for {
		if byteAt(b, i) != '"' {
			return -1
		}
		prev := next
		f := o.lookupAt(p.S, i+1, &next)
		if f == nil || seen&(1<<(next-1)) != 0 {
			return -1 // unknown or repeated: Extra
		}
		end := i + 1 + len(f.key)
		if byteAt(b, end+1) != ':' {
			return -1
		}
		seen |= 1 << (next - 1)
		if i = d.plainMember(p, end+2, f, elem, false); i < 0 {
			return -1
		}
		if o.echo && (next <= prev || f.kind == directString && d.vals[f.col].IsNull()) {
			d.echoes = false // out of order, or "": see record
		}
		switch byteAt(b, i) {
		case ',':
			i++
		case '}':
			return i + 1
		default:
			return -1
		}
	}
}

// plainMember reads the value at b[i] of a plain record, of field f, as
// member does, and returns the offset after it, or -1.
func (d *directRecord) plainMember(p *jsonscan.Parser, i int, f *directField, elem int, top bool) int {
	b := p.Buf
	c := byteAt(b, i)
	switch f.kind {
	case directString:
		if c != '"' {
			return -1
		}
		end := quoteAt(b, i+1)
		if end >= len(b) {
			return -1
		}
		d.setString(f, p.S[i+1:end], elem, top)
		return end + 1
	case directObj:
		return d.plainObject(p, i, f.obj, elem)
	case directList:
		if c != '[' {
			return -1
		}
		i++
		if byteAt(b, i) == ']' {
			return i + 1
		}
		for k := 0; ; k++ {
			if i = d.plainObject(p, i, f.obj, k); i < 0 {
				return -1
			}
			switch byteAt(b, i) {
			case ',':
				i++
			case ']':
				return i + 1
			default:
				return -1
			}
		}
	case directBool:
		switch {
		case c == 't' && i+4 <= len(b):
			d.set(f, parquet.BooleanValue(true), elem)
			return i + 4
		case c == 'f' && i+5 <= len(b):
			d.set(f, parquet.BooleanValue(false), elem)
			return i + 5
		}
		return -1
	}
	// Times and JSON text: as member reads them.
	p.Pos = i
	if !d.member(p, f, elem, top) {
		return -1
	}
	return p.Pos
}

// byteAt returns b[i], or 0 past the end.
func byteAt(b []byte, i int) byte {
	if uint(i) < uint(len(b)) {
		return b[i]
	}
	return 0
}

// object reads the object at p's position into o's columns; elem is the
// index of the list element it is, or -1.
func (d *directRecord) object(p *jsonscan.Parser, o *directObject, elem int) bool {
	if p.Peek() != '{' {
		return false
	}
	p.Pos++
	if o != d.plan {
		d.open(o, elem)
	}
	if p.Peek() == '}' {
		p.Pos++
		return true
	}
	var seen uint64
	next := 0
	for {
		if p.Peek() != '"' {
			return false
		}
		key, ok := d.text(p)
		if !ok || p.Expect(':') != nil {
			return false
		}
		prev := next
		f := o.lookup(key, &next)
		if f == nil || seen&(1<<(next-1)) != 0 {
			return false // unknown or repeated: Extra
		}
		seen |= 1 << (next - 1)
		if !d.member(p, f, elem, o == d.plan) {
			return false
		}
		if o.echo && (next <= prev || f.kind == directString && d.vals[f.col].IsNull()) {
			d.echoes = false // out of order, or "": see record
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case '}':
			p.Pos++
			return true
		default:
			return false
		}
	}
}

// open sets the columns of o, an object found, to its nulls: in element
// elem of their lists, or outside lists when elem < 0.
func (d *directRecord) open(o *directObject, elem int) {
	if elem >= 0 {
		for c := o.lo; c < o.hi; c++ {
			null := o.nulls[c-o.lo]
			if elem > 0 {
				null.SetRepetitionLevel(1)
			}
			d.lists[c] = append(d.lists[c], null)
		}
	} else if !d.inList[o.lo] {
		copy(d.vals[o.lo:o.hi], o.nulls)
	}
}

// member reads the value of field f.
func (d *directRecord) member(p *jsonscan.Parser, f *directField, elem int, top bool) bool {
	c := p.Peek()
	var v parquet.Value
	switch f.kind {
	case directObj:
		return d.object(p, f.obj, elem)
	case directList:
		if c != '[' {
			return false
		}
		p.Pos++
		if p.Peek() == ']' {
			p.Pos++
			return true
		}
		for i := 0; ; i++ {
			if !d.object(p, f.obj, i) {
				return false
			}
			switch p.Peek() {
			case ',':
				p.Pos++
			case ']':
				p.Pos++
				return true
			default:
				return false
			}
		}
	case directString:
		if c != '"' {
			return false
		}
		s, ok := d.text(p)
		if !ok {
			return false
		}
		d.setString(f, s, elem, top)
		return true
	case directRaw:
		raw, err := p.Raw()
		if err != nil {
			return false
		}
		v = parquet.ByteArrayValue(raw)
	case directTime:
		if c != '"' {
			return false
		}
		s, ok := d.text(p)
		if !ok {
			return false
		}
		t, ok := event.ParseTime(s)
		if !ok || t.IsZero() {
			return false // the zero time is a record without one
		}
		d.time = s
		v = parquet.Int64Value(t.UnixMilli())
	case directBool:
		switch c {
		case 't':
			if p.Literal("true") != nil {
				return false
			}
			v = parquet.BooleanValue(true)
		case 'f':
			if p.Literal("false") != nil {
				return false
			}
			v = parquet.BooleanValue(false)
		default:
			return false
		}
	default:
		return false
	}
	d.set(f, v, elem)
	return true
}

// setString sets field f to the string s; top tells a top-level member.
func (d *directRecord) setString(f *directField, s string, elem int, top bool) {
	if top {
		switch f.key {
		case "awsRegion":
			d.region = s
		case "recipientAccountId":
			d.account = s
		}
	}
	if s != "" {
		d.set(f, parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s))), elem)
	}
}

// set sets field f to v, in element elem of its list, or outside lists
// when elem < 0.
func (d *directRecord) set(f *directField, v parquet.Value, elem int) {
	v.SetDefinitionLevel(f.def)
	v.SetColumnIndex(f.col)
	if elem > 0 {
		v.SetRepetitionLevel(1)
	}
	if elem >= 0 {
		l := d.lists[f.col]
		l[len(l)-1] = v
	} else {
		d.vals[f.col] = v
	}
}

// text reads the string at p's position: in a plain record, the text up
// to the next quote, which Str would check byte by byte again.
func (d *directRecord) text(p *jsonscan.Parser) (string, bool) {
	if d.plain {
		start := p.Pos + 1
		if end := quoteAt(p.Buf, start); end < len(p.Buf) {
			p.Pos = end + 1
			return p.S[start:end], true
		}
	}
	s, err := p.Str()
	return s, err == nil
}

// quoteAt returns the offset of the first quote of b at or after i, or
// len(b). It tests eight bytes at a time: the strings are short, for
// which this loop beats bytes.IndexByte.
func quoteAt(b []byte, i int) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(b); i += 8 {
		q := binary.LittleEndian.Uint64(b[i:]) ^ (ones * '"')
		// q-ones&^q marks q's zero bytes; the lowest mark is exact.
		if m := (q - ones) &^ q & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] != '"' {
		i++
	}
	return i
}

// partition returns the partition directory of the record scanned, as
// Partition would; it is valid until the next call.
func (d *directRecord) partition() []byte {
	d.dir = append(d.dir[:0], "region="...)
	d.dir = appendPartValue(d.dir, d.region)
	d.dir = append(d.dir, "/accountId="...)
	d.dir = appendPartValue(d.dir, d.account)
	d.dir = append(d.dir, "/eventDay="...)
	if t := d.time; t != "" {
		d.dir = append(append(append(d.dir, t[0:4]...), t[5:7]...), t[8:10]...)
	} else {
		d.dir = append(d.dir, NullPartition...)
	}
	d.dir = append(d.dir, '/')
	return d.dir
}

func appendPartValue(b []byte, s string) []byte {
	if s == "" {
		return append(b, NullPartition...)
	}
	for i := 0; i < len(s); i++ {
		if !plain(s[i]) {
			return append(b, escape(s)...)
		}
	}
	return append(b, s...)
}

// directTable is a part whose rows are written as column values, without
// reflection: those of scanned records (addDirect, the cloudtrail shape),
// and those of decoded ones (add), which emit turns into values. The string
// columns' values go into their optColumns as rows come (their bytes
// copied); the other columns' are kept and written to the columns every
// directRows rows, and at the latest when the records they point into may
// change (flush), when an optColumn's full page is written too.
type directTable struct {
	buf       fileBuffer
	pw        *parquet.GenericWriter[any]
	schema    *parquet.Schema
	emit      func(t *directTable, r *event.Record, x *extras)
	cols      [][]parquet.Value
	ocsf      ocsfRows // the ocsf shape's rows whose values are staged
	row       parquet.Row
	pending   int
	groupRows int64
	maxGroup  int64
	base      int64 // memory of the encoders once a row is written (partBase)
	// text holds the values of the largeTextColumns until they fill a
	// page of textPageBytes, when the table's pages are smaller.
	text []textColumn
	// opt holds the optColumn of each column that has one, else nil.
	// The values of those columns are added to them as rows come: from
	// a scanned record (addDirect), the ocsf shape's emitter, or cols
	// (add, and flush for the ocsf shape's staged columns); the others'
	// are kept in cols until flush.
	opt []*optColumn
	// direct are the optColumns, kept are the other columns but the
	// columns in lists: the values of a scanned record each goes to.
	direct []*optColumn
	kept   []int
}

// textPageBytes is the page size of the ocsf shape's largeTextColumns. On
// the generated 200,000-record trail, pages of 256 KiB (the shape's
// other columns'), 2 MiB and 4 MiB make its files 27.65, 23.70 and 23.00
// MB, for fewer instructions (fewer pages to encode) and about the same
// peak RSS: zstd compresses a page alone and finds more repeats in a
// larger one. A page is larger than the zstd window (codecWindow), so a
// repeat more than 2 MiB back is not found; a window of 4 MiB would make
// these files 22.83 MB, but every encoder would keep twice the history.
// The same pages for the cloudtrail shape's requestParameters and
// responseElements (pages of 2 MiB, as its other columns) would save 4%
// more, but its open files hold 2 MiB per column already, and with the
// kept values on top an input of one partition is cut in files of half
// the size.
const textPageBytes = 4 << 20

// largeTextColumns are the columns, by path, given pages of textPageBytes:
// the JSON text of requests and responses, 60% of the ocsf shape's bytes.
var largeTextColumns = map[string]bool{"api.request.data": true, "api.response.data": true}

// A textColumn is the values of a large text column not written yet,
// with their bytes, copied from the records (which are reused) into
// chunks that are reused in turn.
type textColumn struct {
	col    int
	vals   []parquet.Value
	chunks [][]byte // chunk i holds textChunk(i) bytes
	used   int      // chunks used, the last of them maybe in part
	bytes  int
}

// textChunk is the size of chunk i of a textColumn: small first, so that
// a file of a few records (one of many partitions) holds little.
func textChunk(i int) int { return min(16<<10<<min(i, 8), maxTextChunk) }

const maxTextChunk = 256 << 10

// textColumns returns the largeTextColumns of schema, when its pages of
// pageBytes are smaller than textPageBytes. parquet-go cuts a column's
// page once it holds pageBytes after a write, but writes all the values
// of one write (ColumnWriter.WriteRowValues) to that page: a table gives
// those columns larger pages by writing them a page's worth at a time.
// (Giving every column larger pages costs memory up front: see
// ocsfPageBytes.)
func textColumns(schema *parquet.Schema, pageBytes int) []textColumn {
	if pageBytes >= textPageBytes {
		return nil
	}
	var text []textColumn
	for c, path := range schema.Columns() {
		if largeTextColumns[strings.Join(path, ".")] {
			text = append(text, textColumn{col: c})
		}
	}
	return text
}

// add keeps vals, whole rows, copying their bytes, after writing the
// values kept before to w if the page would grow past textPageBytes.
func (tc *textColumn) add(w *parquet.ColumnWriter, vals []parquet.Value) error {
	n := 0
	for _, v := range vals {
		n += len(v.ByteArray())
	}
	if tc.bytes > 0 && tc.bytes+n > textPageBytes {
		if err := tc.write(w); err != nil {
			return err
		}
	}
	for _, v := range vals {
		if b := v.ByteArray(); len(b) > 0 {
			v = parquet.ByteArrayValue(tc.copy(b)).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		}
		tc.vals = append(tc.vals, v)
	}
	tc.bytes += n
	return nil
}

// copy returns a copy of b in the chunks.
func (tc *textColumn) copy(b []byte) []byte {
	if len(b) > maxTextChunk {
		return bytes.Clone(b)
	}
	for tc.used == 0 || len(tc.chunks[tc.used-1])+len(b) > cap(tc.chunks[tc.used-1]) {
		if tc.used == len(tc.chunks) {
			tc.chunks = append(tc.chunks, make([]byte, 0, textChunk(tc.used)))
		}
		tc.chunks[tc.used] = tc.chunks[tc.used][:0]
		tc.used++
	}
	c := &tc.chunks[tc.used-1]
	at := len(*c)
	*c = append(*c, b...)
	return (*c)[at:len(*c):len(*c)]
}

// write writes the values kept to w, as one page.
func (tc *textColumn) write(w *parquet.ColumnWriter) error {
	if len(tc.vals) == 0 {
		return nil
	}
	_, err := w.WriteRowValues(tc.vals)
	clear(tc.vals)
	tc.vals, tc.used, tc.bytes = tc.vals[:0], 0, 0
	return err
}

// held is the memory of the chunks.
func (tc *textColumn) held() int64 {
	var n int64
	for _, c := range tc.chunks {
		n += int64(cap(c))
	}
	return n
}

// partBase is the memory a part's encoders hold once a row is written,
// which pw.Size does not count: a column writer per leaf column with its
// dictionary's first buffer and the first pooled buffers of its values
// and levels (about 11 KB together), and, for a required column, values
// sized from the page size (pageBytes) from the start (half a page on
// average over the ocsf shape's columns). Checked against the heap by
// TestPartBase, with parquet-go v0.32.1.
func partBase(schema *parquet.Schema, pageBytes int) int64 {
	var n int64
	for _, path := range schema.Columns() {
		leaf, _ := schema.Lookup(path...)
		n += 11 << 10
		if !leaf.Node.Optional() && !leaf.Node.Repeated() {
			n += int64(pageBytes) / 2
		}
	}
	return n
}

const directRows = 64 // as parquet-go's own writes: a row never spans pages

// newDirectTable returns a table of schema's rows, whose values emit
// writes, in pages of pageBytes; base is partBase(schema, pageBytes).
func newDirectTable(schema *parquet.Schema, emit func(*directTable, *event.Record, *extras), rowGroupRows int64, pageBytes int, base int64, opts ...parquet.WriterOption) *directTable {
	t := &directTable{schema: schema, emit: emit, maxGroup: rowGroupRows, cols: make([][]parquet.Value, len(schema.Columns())),
		base: base, text: textColumns(schema, pageBytes)}
	t.pw = parquet.NewGenericWriter[any](&t.buf, tableOptions(schema, rowGroupRows, pageBytes, opts)...)
	t.installColumns()
	return t
}

// installColumns gives the optional and repeated string columns an
// optColumn each, but for the text columns, which are written a page at a
// time.
func (t *directTable) installColumns() {
	ws := t.pw.ColumnWriters()
	t.opt = make([]*optColumn, len(ws))
	for c, path := range t.schema.Columns() {
		leaf, _ := t.schema.Lookup(path...)
		if !largeTextColumns[strings.Join(path, ".")] || t.text == nil {
			t.opt[c] = installColumn(ws[c], leaf)
		}
		switch {
		case leaf.MaxRepetitionLevel > 0:
			// A column in a list: a scanned record's values are in
			// its lists, which addDirect writes.
		case t.opt[c] != nil:
			t.direct = append(t.direct, t.opt[c])
		default:
			t.kept = append(t.kept, c)
		}
	}
}

func (t *directTable) add(r *event.Record, x *extras) error {
	t.ocsf.emit(t.emitter()) // the rows before r
	// The optColumns take the values kept before r's, which the ocsf
	// shape puts straight in them, then r's cloudtrail values: those of
	// the rows added after (addDirect) go straight to them.
	t.stageAll()
	t.emit(t, r, x)
	t.stageAll()
	return t.added()
}

// emitter returns the emitter of t's columns.
func (t *directTable) emitter() emitter { return emitter{t.cols, t.opt} }

// stageAll adds the values kept of every optColumn to it.
func (t *directTable) stageAll() {
	for c, o := range t.opt {
		if o != nil && len(t.cols[c]) > 0 {
			t.stage(c)
		}
	}
}

// stage adds the values of column c kept in cols to its optColumn.
func (t *directTable) stage(c int) {
	t.opt[c].WriteValues(t.cols[c])
	clear(t.cols[c])
	t.cols[c] = t.cols[c][:0]
}

// cloudTrailValues emits r's row of the cloudtrail shape, deconstructed by
// the schema: the rare records the direct path does not take.
func cloudTrailValues(t *directTable, r *event.Record, x *extras) {
	var row CloudTrailRow
	cloudTrailRow(&row, r, x)
	t.row = t.schema.Deconstruct(t.row[:0], &row)
	for _, v := range t.row {
		c := v.Column()
		t.cols[c] = append(t.cols[c], v)
	}
}

func (t *directTable) addDirect(d *directRecord) error {
	vals := d.vals[:len(t.cols)]
	for _, o := range t.direct {
		// o.add, with the null values' part inlined.
		v := &vals[o.column]
		def := byte(v.DefinitionLevel())
		o.levels = append(o.levels, def)
		if def == o.maxDef {
			o.value(v)
		}
	}
	for _, c := range t.kept {
		t.cols[c] = append(t.cols[c], vals[c])
	}
	// A column in a list has its values in lists.
	for _, c := range d.listed {
		if o := t.opt[c]; o != nil {
			for i := range d.lists[c] {
				o.add(&d.lists[c][i])
			}
		} else {
			t.cols[c] = append(t.cols[c], d.lists[c]...)
		}
	}
	return t.added()
}

func (t *directTable) added() error {
	t.pending++
	t.groupRows++
	if t.pending < directRows && t.groupRows < t.maxGroup {
		return nil
	}
	if err := t.flush(); err != nil {
		return err
	}
	if t.groupRows >= t.maxGroup {
		t.groupRows = 0
		if err := t.writeText(); err != nil {
			return err
		}
		return t.pw.Flush()
	}
	return nil
}

// writeText writes the values of the free-form columns kept.
func (t *directTable) writeText() error {
	ws := t.pw.ColumnWriters()
	for i := range t.text {
		if err := t.text[i].write(ws[t.text[i].col]); err != nil {
			return err
		}
	}
	return nil
}

// flush writes the pending values to the columns.
func (t *directTable) flush() error {
	if t.pending == 0 {
		return nil
	}
	t.ocsf.emit(t.emitter())
	ws := t.pw.ColumnWriters()
	for i := range t.text {
		tc := &t.text[i]
		if err := tc.add(ws[tc.col], t.cols[tc.col]); err != nil {
			return err
		}
		clear(t.cols[tc.col])
		t.cols[tc.col] = t.cols[tc.col][:0]
	}
	for c, w := range ws {
		if o := t.opt[c]; o != nil {
			// As WriteRowValues, without its calls through interfaces.
			if len(t.cols[c]) > 0 {
				t.stage(c)
			}
			if err := t.flushPage(w, o); err != nil {
				return err
			}
			continue
		}
		if len(t.cols[c]) == 0 {
			continue // a text column, kept
		}
		if _, err := w.WriteRowValues(t.cols[c]); err != nil {
			return err
		}
		clear(t.cols[c])
		t.cols[c] = t.cols[c][:0]
	}
	t.pending = 0
	return nil
}

// flushPage writes o's page if it is full, as WriteRowValues does.
func (t *directTable) flushPage(w *parquet.ColumnWriter, o *optColumn) error {
	if o.Size() < o.limit {
		return nil
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if !installed(w, o) {
		return errColumnBuffer
	}
	return nil
}

// errColumnBuffer is returned if parquet-go replaced an optColumn.
var errColumnBuffer = errors.New("parquet-go replaced a column's buffer")

func (t *directTable) size() int64 { return t.buf.n }

// memory is what t holds: its encoders (base), its file's buffer, and the
// current row group: pages encoded, values buffered, dictionaries, which
// pw.Size counts after the bytes written to the file.
func (t *directTable) memory() int64 {
	m := t.base + t.buf.held() + t.pw.Size() - t.buf.n
	for i := range t.text {
		m += t.text[i].held()
	}
	return m
}

func (t *directTable) finish() ([]byte, error) {
	if err := t.flush(); err != nil {
		return nil, err
	}
	if err := t.writeText(); err != nil {
		return nil, err
	}
	if err := t.pw.Close(); err != nil {
		return nil, err
	}
	return t.buf.bytes(), nil
}
