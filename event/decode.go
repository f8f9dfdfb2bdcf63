package event

import (
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// object is implemented by every type of the record model. The methods are
// written out per type in fields_gen.go (generated from fields.txt); decodeObject and appendObject are the
// machinery they share.
type object interface {
	keys() *keys
	fields() (*[]Field, *objectMeta)
	// decodeField reads known field i at the parser's position. It reports
	// false, having consumed nothing, when the value has another JSON type
	// than the model's; the value is then kept in Extra.
	decodeField(p *parser, i int) (bool, error)
	present(i int) bool
	appendField(b []byte, i int) []byte
	clearField(i int)
}

// keys is the table of one type's known keys.
type keys struct {
	names  []string
	quoted [][]byte // `"name":`
	slots  [128][]uint8
}

func newKeys(names ...string) keys {
	k := keys{names: names}
	for i, n := range names {
		k.quoted = append(k.quoted, []byte(`"`+n+`":`))
		h := keyHash(n)
		k.slots[h] = append(k.slots[h], uint8(i))
	}
	return k
}

func keyHash(s string) int {
	if s == "" {
		return 0
	}
	return (len(s)*31 + int(s[0])*7 + int(s[len(s)-1])) & 127
}

// index returns the field index of key, or -1.
func (k *keys) index(key string) int {
	for _, i := range k.slots[keyHash(key)] {
		if k.names[i] == key {
			return int(i)
		}
	}
	return -1
}

// decodeObject reads a JSON object into o. Of a key that occurs twice the
// last copy wins, as in encoding/json: it is the one in the typed field,
// and the earlier copies are kept in Extra, in their places.
func decodeObject(p *parser, o object) error {
	if err := p.Expect('{'); err != nil {
		return err
	}
	open := p.Pos - 1
	if err := p.Enter(); err != nil {
		return err
	}
	k := o.keys()
	extra, meta := o.fields()
	var orderBuf [48]uint32
	order := orderBuf[:0]
	var seen uint64
	inOrder, last := true, -1
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
		i := k.index(key)
		ok := false
		if i >= 0 && seen&(1<<i) != 0 {
			if err := shadow(p, open, o, order, i); err != nil {
				return err
			}
			seen &^= 1 << i
			inOrder = false
		}
		if i >= 0 {
			start, depth := p.Pos, p.Depth
			if ok, err = o.decodeField(p, i); err != nil {
				return err
			}
			if ok {
				seen |= 1 << i
				order = append(order, uint32(i))
				inOrder = inOrder && i > last
				last = i
			} else {
				p.Pos, p.Depth = start, depth
				o.clearField(i)
			}
		}
		if !ok {
			v, err := p.Raw()
			if err != nil {
				return err
			}
			*extra = append(*extra, Field{Key: key, Value: v})
			order = append(order, uint32(extraBase+len(*extra)-1))
			inOrder = false
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case '}':
			p.Pos++
			p.Depth--
			if !inOrder {
				meta.order = append([]uint32(nil), order...)
			}
			return nil
		default:
			return p.Unexpected("',' or '}'")
		}
	}
}

// shadow moves known field i of o, read from the object that starts at
// open, to Extra: a later copy of its key is being read. order is the
// object's member order so far; the field's entry in it becomes the Extra
// entry's, so the earlier copy keeps its place. This is the rare path of
// duplicate keys, so the earlier copy's text is found by reading the object
// again.
func shadow(p *parser, open int, o object, order []uint32, i int) error {
	at := -1 // the field's member index
	for n, e := range order {
		if e == uint32(i) {
			at = n
		}
	}
	if at < 0 {
		return p.Errorf("duplicate key: no earlier copy of field %d", i) // cannot happen
	}
	q := newParser(p.Buf[:p.Pos], p.Base)
	q.Pos = open
	var raw []byte
	n := 0
	_ = q.Members(func(string) error {
		v, err := q.Raw()
		if n == at {
			raw = v
			return errStop
		}
		n++
		return err
	})
	extra, meta := o.fields()
	// Extra keeps document order: the copy goes before the Extra members
	// that come after it.
	j := 0
	for _, e := range order[:at] {
		if e >= extraBase {
			j++
		}
	}
	for n, e := range order {
		if e >= extraBase && int(e-extraBase) >= j {
			order[n] = e + 1
		}
	}
	order[at] = uint32(extraBase + j)
	*extra = slices.Insert(*extra, j, Field{Key: o.keys().names[i], Value: raw})
	o.clearField(i)
	meta.empty &^= 1 << i
	return nil
}

// errStop ends a walk early.
var errStop = errors.New("stop")

// decodeObjectField reads an object into a newly allocated *T.
func decodeObjectField[T any, PT interface {
	*T
	object
}](p *parser, dst **T) (bool, error) {
	if p.Peek() != '{' {
		return false, nil
	}
	v := PT(new(T))
	if err := decodeObject(p, v); err != nil {
		return false, err
	}
	*dst = (*T)(v)
	return true, nil
}

// decodeObjects reads an array of objects. An array holding anything else is
// not of the model's type.
func decodeObjects[T any, PT interface {
	*T
	object
}](p *parser, dst *[]T) (bool, error) {
	if p.Peek() != '[' {
		return false, nil
	}
	if err := p.Enter(); err != nil {
		return false, err
	}
	p.Pos++
	out := make([]T, 0, 2)
	if p.Peek() == ']' {
		p.Pos++
		p.Depth--
		*dst = out
		return true, nil
	}
	for {
		if p.Peek() != '{' {
			return false, nil
		}
		out = append(out, *new(T))
		if err := decodeObject(p, PT(&out[len(out)-1])); err != nil {
			return false, err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case ']':
			p.Pos++
			p.Depth--
			*dst = out
			return true, nil
		default:
			return false, p.Unexpected("',' or ']'")
		}
	}
}

func (p *parser) strField(dst *string, meta *objectMeta, i int) (bool, error) {
	if p.Peek() != '"' {
		return false, nil
	}
	v, err := p.Str()
	if err != nil {
		return false, err
	}
	*dst = v
	if v == "" {
		meta.empty |= 1 << i
	}
	return true, nil
}

func (p *parser) rawField(dst *json.RawMessage) (bool, error) {
	v, err := p.Raw()
	if err != nil {
		return false, err
	}
	*dst = v
	return true, nil
}

func (p *parser) numField(dst *json.Number) (bool, error) {
	if c := p.Peek(); c != '-' && (c < '0' || c > '9') {
		return false, nil
	}
	v, err := p.Number()
	*dst = json.Number(v)
	return err == nil, err
}

func (p *parser) boolField(dst **bool, store *bool) (bool, error) {
	switch p.Peek() {
	case 't':
		*store = true
		*dst = store
		return true, p.Literal("true")
	case 'f':
		*store = false
		*dst = store
		return true, p.Literal("false")
	}
	return false, nil
}

// timeField accepts only CloudTrail's own form, YYYY-MM-DDThh:mm:ssZ; any
// other text is kept as it was (in Extra), so nothing is lost, and Check
// reports it.
func (p *parser) timeField(dst *time.Time) (bool, error) {
	if p.Peek() != '"' {
		return false, nil
	}
	v, err := p.Str()
	if err != nil {
		return false, err
	}
	t, ok := parseTime(v)
	if !ok {
		return false, nil
	}
	*dst = t
	return true, nil
}

// parseTime parses YYYY-MM-DDThh:mm:ssZ without allocating.
func parseTime(s string) (time.Time, bool) {
	if len(s) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != 'Z' {
		return time.Time{}, false
	}
	num := func(a, b int) (int, bool) {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 7)
	d, ok3 := num(8, 10)
	h, ok4 := num(11, 13)
	mi, ok5 := num(14, 16)
	sec, ok6 := num(17, 19)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC)
	if t.Day() != d { // 31 February and the like
		return time.Time{}, false
	}
	return t, true
}

// ParseTime parses a time as a Record's EventTime is read: CloudTrail's
// layout, YYYY-MM-DDThh:mm:ssZ, and no other. ok is false for any other
// text (which Unmarshal keeps in Extra).
func ParseTime(s string) (t time.Time, ok bool) { return parseTime(s) }
