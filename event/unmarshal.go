package event

import "bytes"

// Unmarshal decodes one record from data. It copies data, so data may be
// reused afterwards; the record's strings and raw values share that one copy.
// Nothing is lost: Unmarshal then AppendJSON gives the same JSON value, with
// keys in the same order and numbers with the same text.
func Unmarshal(data []byte, r *Record) error {
	return unmarshalOwned(bytes.Clone(data), 0, r)
}

// UnmarshalJSON implements json.Unmarshaler with Unmarshal.
func (r *Record) UnmarshalJSON(data []byte) error { return Unmarshal(data, r) }

// unmarshalOwned decodes from a buffer the record may keep. base is the
// offset of buf in the input, for errors.
func unmarshalOwned(buf []byte, base int64, r *Record) error {
	*r = Record{}
	p := newParser(buf, base)
	if err := decodeObject(&p, r); err != nil {
		return err
	}
	return p.End("the record")
}
