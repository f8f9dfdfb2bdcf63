package lake

import (
	"bytes"
	"io"
	"reflect"
	"slices"
	"unsafe"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
)

// The optional and repeated string columns are buffered in a column
// buffer of our own (optColumn) that a table installs in parquet-go's
// column writer: parquet-go's (an optional or repeated buffer around one
// of values or dictionary indexes) kept a row index per value (or row)
// besides the levels, found runs of nulls and values, or each row's, and
// wrote each run or row through interface calls. The pages are those parquet-go's buffer makes, cut at the
// same sizes (optColumn.Size counts the same), so the files are the same
// bytes. parquet-go v0.32.1 gives no way to choose a column's buffer:
// installColumn sets the column writer's fields by reflection, and a table
// whose column writers do not have them as expected keeps parquet-go's
// buffers (TestOptColumnInstalled fails then).

// optColumn is the buffer of an optional or repeated byte-array column: a
// definition level per value (and a repetition level, in a list), and the
// values of those at the maximum definition level, as bytes (plain) or as
// indexes of dict.
type optColumn struct {
	// nil: the methods parquet-go keeps to itself, which only its writing
	// of Go values and its reading of row groups call (see dictBuffer).
	parquet.ColumnBuffer
	typ    parquet.Type
	column int
	maxDef byte
	maxRep byte
	limit  int64 // the Size at which the column writer writes a page
	levels []byte
	reps   []byte // repetition levels, when maxRep > 0
	rows   int    // rows, when maxRep > 0 (else len(levels))
	// plain: the bytes of the values and the offset of each in data.
	data    []byte
	offsets []uint32
	// dictionary-encoded: the indexes, in a dictBuffer for its pages,
	// of values in d.
	dict *dictBuffer
	d    *dict
}

func (c *optColumn) Type() parquet.Type { return c.typ }
func (c *optColumn) Column() int        { return c.column }
func (c *optColumn) Cap() int           { return cap(c.levels) }
func (c *optColumn) NumValues() int64   { return int64(len(c.levels)) }

func (c *optColumn) Len() int {
	if c.maxRep > 0 {
		return c.rows
	}
	return len(c.levels)
}

func (c *optColumn) Dictionary() parquet.Dictionary {
	if c.dict != nil {
		return c.dict.typ.d
	}
	return nil
}

// Size is what parquet-go's buffer reports for the same values: for an
// optional column a row index (4 bytes) and a level per row, for a
// repeated one a row's offsets (8 bytes) per row and two levels per
// value; then its values' buffer's: the bytes and an offset per value, or
// an index per value.
func (c *optColumn) Size() int64 {
	n := 5 * int64(len(c.levels))
	if c.maxRep > 0 {
		n = 8*int64(c.rows) + 2*int64(len(c.levels))
	}
	if c.dict != nil {
		return n + c.dict.Size()
	}
	return n + int64(len(c.data)) + 4*int64(len(c.offsets))
}

func (c *optColumn) Reset() {
	c.levels, c.reps, c.rows = c.levels[:0], c.reps[:0], 0
	c.data, c.offsets = c.data[:0], c.offsets[:0]
	if c.dict != nil {
		c.dict.Reset()
	}
}

// add appends v: its levels, and its bytes when it is at the column's
// definition level (not a null).
func (c *optColumn) add(v *parquet.Value) { c.put(v.RepetitionLevel(), v.DefinitionLevel(), v) }

// put appends a value at levels rep and def: v's bytes when def is the
// column's maximum (v is not used otherwise).
func (c *optColumn) put(rep, def int, v *parquet.Value) {
	if c.maxRep > 0 {
		c.reps = append(c.reps, byte(rep))
		if rep == 0 {
			c.rows++
		}
	}
	c.levels = append(c.levels, byte(def))
	if byte(def) == c.maxDef {
		c.value(v)
	}
}

// value appends the bytes of v, the value whose levels were appended last.
func (c *optColumn) value(v *parquet.Value) {
	if c.dict != nil {
		c.dict.indexes = append(c.dict.indexes, c.d.index(v.ByteArray()))
		return
	}
	c.offsets = append(c.offsets, uint32(len(c.data)))
	c.data = append(c.data, v.ByteArray()...)
}

// WriteValues writes values, of whole rows: ColumnWriter.WriteRowValues
// calls it, and a table for the values it stages.
func (c *optColumn) WriteValues(values []parquet.Value) (int, error) {
	if c.maxRep > 0 {
		for i := range values {
			c.add(&values[i])
		}
		return len(values), nil
	}
	levels := slices.Grow(c.levels, len(values))
	for i := range values {
		// add, inlined outside lists.
		def := byte(values[i].DefinitionLevel())
		levels = append(levels, def)
		if def == c.maxDef {
			c.value(&values[i])
		}
	}
	c.levels = levels
	return len(values), nil
}

func (c *optColumn) Page() parquet.Page {
	var base parquet.Page
	if c.dict != nil {
		base = c.dict.Page()
	} else {
		offsets := append(c.offsets, uint32(len(c.data)))
		base = &bytesPage{typ: c.typ, column: c.column, data: c.data, offsets: offsets}
	}
	p := &optPage{base: base, levels: c.levels, maxDef: c.maxDef, rows: len(c.levels)}
	if c.maxRep > 0 {
		p.reps, p.rows = c.reps, c.rows
	}
	return p
}

func (c *optColumn) Pages() parquet.Pages { return &dictPages{page: c.Page()} }

// optPage is a page of an optColumn: its levels, and the page of its values.
type optPage struct {
	base   parquet.Page
	levels []byte
	reps   []byte // nil outside lists
	rows   int
	maxDef byte
}

func (p *optPage) Type() parquet.Type                        { return p.base.Type() }
func (p *optPage) Column() int                               { return p.base.Column() }
func (p *optPage) Dictionary() parquet.Dictionary            { return p.base.Dictionary() }
func (p *optPage) NumRows() int64                            { return int64(p.rows) }
func (p *optPage) NumValues() int64                          { return int64(len(p.levels)) }
func (p *optPage) NumNulls() int64                           { return int64(len(p.levels)) - p.base.NumValues() }
func (p *optPage) Bounds() (min, max parquet.Value, ok bool) { return p.base.Bounds() }
func (p *optPage) Size() int64                               { return int64(len(p.reps)+len(p.levels)) + p.base.Size() }
func (p *optPage) RepetitionLevels() []byte                  { return p.reps }
func (p *optPage) DefinitionLevels() []byte                  { return p.levels }
func (p *optPage) Data() encoding.Values                     { return p.base.Data() }
func (p *optPage) Values() parquet.ValueReader               { return &optPageValues{page: p} }

// Slice returns the page of rows i to j.
func (p *optPage) Slice(i, j int64) parquet.Page {
	from, to := p.rowStart(int(i)), p.rowStart(int(j))
	lo := countDefined(p.levels[:from], p.maxDef)
	hi := lo + countDefined(p.levels[from:to], p.maxDef)
	s := &optPage{base: p.base.Slice(int64(lo), int64(hi)), levels: p.levels[from:to:to], rows: int(j - i), maxDef: p.maxDef}
	if p.reps != nil {
		s.reps = p.reps[from:to:to]
	}
	return s
}

// rowStart returns the index of the first value of row i.
func (p *optPage) rowStart(i int) int {
	if p.reps == nil {
		return i
	}
	for k, r := range p.reps {
		if r == 0 {
			if i == 0 {
				return k
			}
			i--
		}
	}
	return len(p.reps)
}

// countDefined returns how many of levels are maxDef.
func countDefined(levels []byte, maxDef byte) int {
	n := 0
	for _, l := range levels {
		if l == maxDef {
			n++
		}
	}
	return n
}

type optPageValues struct {
	page   *optPage
	values parquet.ValueReader
	i      int
}

func (r *optPageValues) ReadValues(out []parquet.Value) (int, error) {
	if r.values == nil {
		r.values = r.page.base.Values()
	}
	p := r.page
	n := 0
	for ; n < len(out) && r.i < len(p.levels); n++ {
		rep, def := 0, int(p.levels[r.i])
		if p.reps != nil {
			rep = int(p.reps[r.i])
		}
		if def != int(p.maxDef) {
			out[n] = parquet.NullValue().Level(rep, def, p.Column())
		} else {
			var v [1]parquet.Value
			if k, err := r.values.ReadValues(v[:]); k == 0 {
				if err == nil {
					err = io.ErrUnexpectedEOF
				}
				return n, err
			}
			out[n] = v[0].Level(rep, def, p.Column())
		}
		r.i++
	}
	if r.i == len(p.levels) {
		return n, io.EOF
	}
	return n, nil
}

// bytesPage is a page of byte arrays: value i is data[offsets[i]:offsets[i+1]].
type bytesPage struct {
	typ     parquet.Type
	column  int
	data    []byte
	offsets []uint32
}

func (p *bytesPage) Type() parquet.Type             { return p.typ }
func (p *bytesPage) Column() int                    { return p.column }
func (p *bytesPage) Dictionary() parquet.Dictionary { return nil }
func (p *bytesPage) NumRows() int64                 { return int64(len(p.offsets) - 1) }
func (p *bytesPage) NumValues() int64               { return int64(len(p.offsets) - 1) }
func (p *bytesPage) NumNulls() int64                { return 0 }
func (p *bytesPage) Size() int64                    { return int64(len(p.data)) + 4*int64(len(p.offsets)) }
func (p *bytesPage) RepetitionLevels() []byte       { return nil }
func (p *bytesPage) DefinitionLevels() []byte       { return nil }
func (p *bytesPage) Data() encoding.Values          { return encoding.ByteArrayValues(p.data, p.offsets) }
func (p *bytesPage) Values() parquet.ValueReader    { return &bytesPageValues{page: p} }

func (p *bytesPage) value(i int) []byte {
	j, k := p.offsets[i], p.offsets[i+1]
	return p.data[j:k:k]
}

// Bounds returns the least and greatest value, as parquet-go's page of
// byte arrays does.
func (p *bytesPage) Bounds() (min, max parquet.Value, ok bool) {
	n := len(p.offsets) - 1
	if n <= 0 {
		return min, max, false
	}
	lo := p.value(0)
	hi := lo
	for i := 1; i < n; i++ {
		switch v := p.value(i); {
		case bytes.Compare(v, lo) < 0:
			lo = v
		case bytes.Compare(v, hi) > 0:
			hi = v
		}
	}
	return parquet.ByteArrayValue(lo).Level(0, 0, p.column), parquet.ByteArrayValue(hi).Level(0, 0, p.column), true
}

func (p *bytesPage) Slice(i, j int64) parquet.Page {
	return &bytesPage{typ: p.typ, column: p.column, data: p.data, offsets: p.offsets[i : j+1 : j+1]}
}

type bytesPageValues struct {
	page *bytesPage
	i    int
}

func (r *bytesPageValues) ReadValues(out []parquet.Value) (int, error) {
	n := 0
	for ; n < len(out) && r.i < len(r.page.offsets)-1; n++ {
		out[n] = parquet.ByteArrayValue(r.page.value(r.i)).Level(0, 0, r.page.column)
		r.i++
	}
	if r.i == len(r.page.offsets)-1 {
		return n, io.EOF
	}
	return n, nil
}

// optColumns is cleared by a test that compares the files written with
// parquet-go's buffers.
var optColumns = true

// installColumn makes an optColumn the buffer of w, the writer of leaf
// column col, when it is an optional or repeated byte-array column whose
// buffer parquet-go has not made yet, and returns it; nil when not.
func installColumn(w *parquet.ColumnWriter, col parquet.LeafColumn) *optColumn {
	if !optColumns || col.MaxDefinitionLevel == 0 || col.Node.Type().Kind() != parquet.ByteArray {
		return nil
	}
	f := columnWriterFields(w)
	if f == nil || !f.buffer.IsNil() || !f.original.IsNil() {
		return nil
	}
	c := &optColumn{typ: f.typ.Interface().(parquet.Type), column: col.ColumnIndex, maxDef: byte(col.MaxDefinitionLevel),
		maxRep: byte(col.MaxRepetitionLevel), limit: f.bufferSize}
	if !f.dictionary.IsNil() {
		d, ok := f.dictionary.Interface().(*dict)
		if !ok {
			return nil
		}
		c.dict, c.d = &dictBuffer{typ: d.typ, column: col.ColumnIndex}, d
	}
	f.buffer.Set(reflect.ValueOf(c))
	f.original.Set(reflect.ValueOf(c))
	return c
}

// installed reports whether c is still w's buffer: parquet-go replaces
// it only when a dictionary outgrows its limit, which the tables do not
// set.
func installed(w *parquet.ColumnWriter, c *optColumn) bool {
	f := columnWriterFields(w)
	return f != nil && !f.buffer.IsNil() && f.buffer.Interface() == parquet.ColumnBuffer(c)
}

// writerFields are the fields of a ColumnWriter installColumn reads
// and sets.
type writerFields struct {
	buffer, original, typ, dictionary reflect.Value
	bufferSize                        int64 // the size of a full page's buffer
}

func columnWriterFields(w *parquet.ColumnWriter) *writerFields {
	v := reflect.ValueOf(w).Elem()
	field := func(name string, t reflect.Type) (reflect.Value, bool) {
		f := v.FieldByName(name)
		if !f.IsValid() || f.Type() != t {
			return reflect.Value{}, false
		}
		return reflect.NewAt(t, unsafe.Pointer(f.UnsafeAddr())).Elem(), true
	}
	var f writerFields
	var ok [4]bool
	f.buffer, ok[0] = field("columnBuffer", reflect.TypeFor[parquet.ColumnBuffer]())
	f.original, ok[1] = field("originalColumnBuffer", reflect.TypeFor[parquet.ColumnBuffer]())
	f.typ, ok[2] = field("columnType", reflect.TypeFor[parquet.Type]())
	f.dictionary, ok[3] = field("dictionary", reflect.TypeFor[parquet.Dictionary]())
	size, ok4 := field("bufferSize", reflect.TypeFor[int32]())
	if ok != [4]bool{true, true, true, true} || !ok4 || f.typ.IsNil() {
		return nil
	}
	f.bufferSize = size.Int()
	return &f
}
