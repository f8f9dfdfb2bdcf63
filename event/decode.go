package event

import (
	"encoding/json"
	"time"
)

// object is implemented by every type of the record model. The methods are
// written out per type in fields.go; decodeObject and appendObject are the
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

// decodeObject reads a JSON object into o.
func decodeObject(p *parser, o object) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if err := p.enter(); err != nil {
		return err
	}
	k := o.keys()
	extra, meta := o.fields()
	var orderBuf [48]uint32
	order := orderBuf[:0]
	var seen uint64
	inOrder, last := true, -1
	if p.peek() == '}' {
		p.pos++
		p.depth--
		return nil
	}
	for {
		if p.peek() != '"' {
			return p.unexpected("a string key")
		}
		key, err := p.str()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		p.ws()
		i := k.index(key)
		ok := false
		if i >= 0 && seen&(1<<i) == 0 {
			start, depth := p.pos, p.depth
			if ok, err = o.decodeField(p, i); err != nil {
				return err
			}
			if ok {
				seen |= 1 << i
				order = append(order, uint32(i))
				inOrder = inOrder && i > last
				last = i
			} else {
				p.pos, p.depth = start, depth
				o.clearField(i)
			}
		}
		if !ok {
			v, err := p.raw()
			if err != nil {
				return err
			}
			*extra = append(*extra, Field{Key: key, Value: v})
			order = append(order, uint32(extraBase+len(*extra)-1))
			inOrder = false
		}
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.depth--
			if !inOrder {
				meta.order = append([]uint32(nil), order...)
			}
			return nil
		default:
			return p.unexpected("',' or '}'")
		}
	}
}

// decodeObjectField reads an object into a newly allocated *T.
func decodeObjectField[T any, PT interface {
	*T
	object
}](p *parser, dst **T) (bool, error) {
	if p.peek() != '{' {
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
	if p.peek() != '[' {
		return false, nil
	}
	if err := p.enter(); err != nil {
		return false, err
	}
	p.pos++
	out := make([]T, 0, 2)
	if p.peek() == ']' {
		p.pos++
		p.depth--
		*dst = out
		return true, nil
	}
	for {
		if p.peek() != '{' {
			return false, nil
		}
		out = append(out, *new(T))
		if err := decodeObject(p, PT(&out[len(out)-1])); err != nil {
			return false, err
		}
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.depth--
			*dst = out
			return true, nil
		default:
			return false, p.unexpected("',' or ']'")
		}
	}
}

func (p *parser) strField(dst *string, meta *objectMeta, i int) (bool, error) {
	if p.peek() != '"' {
		return false, nil
	}
	v, err := p.str()
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
	v, err := p.raw()
	if err != nil {
		return false, err
	}
	*dst = v
	return true, nil
}

func (p *parser) numField(dst *json.Number) (bool, error) {
	if c := p.peek(); c != '-' && (c < '0' || c > '9') {
		return false, nil
	}
	v, err := p.number()
	*dst = json.Number(v)
	return err == nil, err
}

func (p *parser) boolField(dst **bool, store *bool) (bool, error) {
	switch p.peek() {
	case 't':
		*store = true
		*dst = store
		return true, p.literal("true")
	case 'f':
		*store = false
		*dst = store
		return true, p.literal("false")
	}
	return false, nil
}

// timeField accepts only CloudTrail's own form, YYYY-MM-DDThh:mm:ssZ; any
// other text is kept as it was (in Extra), so nothing is lost, and Check
// reports it.
func (p *parser) timeField(dst *time.Time) (bool, error) {
	if p.peek() != '"' {
		return false, nil
	}
	v, err := p.str()
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
