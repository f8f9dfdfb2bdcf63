package event

import (
	"time"
	"unicode/utf8"
)

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

const hexDigits = "0123456789abcdef"

// AppendString appends s to b as a JSON string, escaped as trailkit
// writes every string of a record: only what JSON requires, with invalid
// UTF-8 (possible only in strings set from Go) written as U+FFFD, as
// encoding/json does. Other CloudTrail files, such as digests, use it too.
func AppendString(b []byte, s string) []byte { return appendString(b, s) }

func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if !strClass[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
