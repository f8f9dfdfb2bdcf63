package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// decode reads exactly one JSON value, numbers as json.Number.
//
// encoding/json would replace invalid UTF-8 with U+FFFD without a word, so
// that is checked first: JSON text is UTF-8, and a validator must not pass
// what it silently changed.
//
// The members of a record that the schema checks for their JSON type only
// (opaque) are most of a record's bytes; they are read past and stand in as
// an empty value of their type, instead of being built into maps that the
// validator would walk for nothing. The stand-ins are placed wherever such a
// member may be a record's: at the top level and in the objects of a Records
// array. The log file and digest schemas do not look at those names, so the
// same decoded value serves every kind.
func decode(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8(data))
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	v, err := decodeValue(d, topMember)
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the JSON value at byte %d", d.InputOffset())
	}
	return v, nil
}

// opaque lists the record members the record schema checks for their JSON
// type only.
var opaque = map[string]bool{
	"requestParameters":   true,
	"responseElements":    true,
	"additionalEventData": true,
	"serviceEventDetails": true,
}

// memberFunc decodes the value of the object member named key.
type memberFunc func(d *json.Decoder, key string) (any, error)

// topMember decodes a member of the top-level object, which may be a record
// or a log file.
func topMember(d *json.Decoder, key string) (any, error) {
	if key == "Records" {
		return decodeArray(d, recordMember)
	}
	return recordMember(d, key)
}

// recordMember decodes a member of a record.
func recordMember(d *json.Decoder, key string) (any, error) {
	if opaque[key] {
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, err
		}
		return standIn(raw), nil
	}
	var v any
	err := d.Decode(&v)
	return v, err
}

// decodeValue decodes the next value, an object's members with member.
func decodeValue(d *json.Decoder, member memberFunc) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		return decodeMembers(d, member)
	case json.Delim('['):
		return decodeElements(d, nil)
	}
	return tok, nil // a string, json.Number, bool or nil; the decoder reports a stray '}' or ']'
}

// decodeArray decodes the next value, the members of each object element
// with member.
func decodeArray(d *json.Decoder, member memberFunc) (any, error) {
	tok, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		return decodeElements(d, member)
	case json.Delim('{'):
		return decodeMembers(d, plainMember)
	}
	return tok, nil
}

func decodeMembers(d *json.Decoder, member memberFunc) (map[string]any, error) {
	m := map[string]any{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // the decoder returns only strings for keys
		v, err := member(d, key)
		if err != nil {
			return nil, err
		}
		m[key] = v // of a repeated key the last stays, as in encoding/json
	}
	_, err := d.Token() // '}'
	return m, err
}

// decodeElements decodes the rest of an array whose '[' has been read; with
// a member func, object elements are decoded member by member.
func decodeElements(d *json.Decoder, member memberFunc) ([]any, error) {
	out := []any{}
	for d.More() {
		var v any
		var err error
		if member != nil {
			v, err = decodeValue(d, member)
		} else {
			err = d.Decode(&v)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	_, err := d.Token() // ']'
	return out, err
}

func plainMember(d *json.Decoder, _ string) (any, error) {
	var v any
	err := d.Decode(&v)
	return v, err
}

// standIn returns an empty value of raw's JSON type; raw is valid JSON.
func standIn(raw json.RawMessage) any {
	switch firstByte(raw) {
	case '{':
		return map[string]any{}
	case '[':
		return []any{}
	case '"':
		return ""
	case 't', 'f':
		return false
	case 'n':
		return nil
	}
	return json.Number("0")
}

func firstByte(data []byte) byte {
	for _, c := range data {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

func invalidUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
