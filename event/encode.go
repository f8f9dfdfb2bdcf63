package event

import "time"

// AppendJSON appends the record as compact JSON to b. Keys come in the order
// they were read, or in CloudTrail's order for records built in Go; strings
// are escaped as CloudTrail escapes them (only what JSON requires, so '<',
// '&' and non-ASCII text stay as they are).
func (r *Record) AppendJSON(b []byte) []byte { return appendObject(b, r) }

// MarshalJSON encodes the record as AppendJSON does.
func (r *Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil), nil }

// insightOrder is the order CloudTrail writes the top-level keys of an
// Insights event in.
var insightOrder = []uint32{0, 2, 5, 14, 17, 20, 22, 30, 26}

func canonicalOrder(o object) []uint32 {
	if r, ok := o.(*Record); ok && r.EventType == TypeInsight {
		return insightOrder
	}
	return nil
}

func appendObject(b []byte, o object) []byte {
	k := o.keys()
	extra, meta := o.fields()
	b = append(b, '{')
	n0 := len(b)
	var done uint64
	writeKnown := func(i int) {
		if done&(1<<i) != 0 || !o.present(i) {
			return
		}
		done |= 1 << i
		if len(b) > n0 {
			b = append(b, ',')
		}
		b = append(b, k.quoted[i]...)
		b = o.appendField(b, i)
	}
	writeExtra := func(f Field) {
		if len(b) > n0 {
			b = append(b, ',')
		}
		b = appendString(b, f.Key)
		b = append(b, ':')
		b = append(b, f.Value...)
	}
	nextExtra := 0
	for _, e := range meta.order {
		if e < extraBase {
			writeKnown(int(e))
		} else if j := int(e - extraBase); j < len(*extra) {
			writeExtra((*extra)[j])
			nextExtra = max(nextExtra, j+1)
		}
	}
	for _, i := range canonicalOrder(o) {
		writeKnown(int(i))
	}
	for i := range k.names {
		writeKnown(i)
	}
	for _, f := range (*extra)[nextExtra:] {
		writeExtra(f)
	}
	return append(b, '}')
}

func appendObjects[T any, PT interface {
	*T
	object
}](b []byte, list []T) []byte {
	b = append(b, '[')
	for i := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendObject(b, PT(&list[i]))
	}
	return append(b, ']')
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

func appendTime(b []byte, t time.Time) []byte {
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"')
}
