package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/trailkit/trailkit/internal/jsonscan"
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
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrTooLarge, len(data), MaxBytes)
	}
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid UTF-8 at byte %d", invalidUTF8(data))
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	dc := &decoder{d: d}
	v, err := dc.value(topMember)
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

// Limits on what is decoded and validated: the validator holds every
// value decoded, and for each invalid one an error of about a kilobyte, so
// these bound its memory (a 15 MB hostile record took 9.4 GB before). The
// opaque members of records are read past and count for their bytes only.
const (
	// MaxBytes bounds a document.
	MaxBytes = 64 << 20
	// MaxRecordBytes bounds a record: CloudTrail's largest (event data
	// stores) are 1 MB; trails deliver at most 256 KB.
	MaxRecordBytes = 1 << 20
	// MaxValues bounds the JSON values (objects, arrays, scalars) decoded
	// from a record (each record of a log file's Records counts on its
	// own) or another document, outside the opaque members of records. A
	// digest of five thousand log files holds about 40,000.
	MaxValues = 50_000
	// MaxDepth bounds how deep arrays and objects nest.
	MaxDepth = 64
)

// ErrTooLarge is wrapped by the error for a document over one of the
// limits above.
var ErrTooLarge = errors.New("document too large to validate")

// opaque lists the record members the record schema checks for their JSON
// type only.
var opaque = map[string]bool{
	"requestParameters":   true,
	"responseElements":    true,
	"additionalEventData": true,
	"serviceEventDetails": true,
}

// decoder decodes values, counting them and their depth against the
// limits.
type decoder struct {
	d          *json.Decoder
	depth      int
	values     int
	perElement bool // the array about to be read holds records: count each apart
}

// memberFunc decodes the value of the object member named key.
type memberFunc func(dc *decoder, key string) (any, error)

// topMember decodes a member of the top-level object, which may be a record
// or a log file.
func topMember(dc *decoder, key string) (any, error) {
	if key == "Records" {
		return dc.array(recordMember)
	}
	return recordMember(dc, key)
}

// recordMember decodes a member of a record.
func recordMember(dc *decoder, key string) (any, error) {
	if opaque[key] {
		var raw json.RawMessage
		if err := dc.d.Decode(&raw); err != nil {
			return nil, err
		}
		return standIn(raw), nil
	}
	return dc.value(plainMember)
}

func plainMember(dc *decoder, _ string) (any, error) { return dc.value(plainMember) }

// next reads the next token, counting it as a value when it starts one.
func (dc *decoder) next() (json.Token, error) {
	tok, err := dc.d.Token()
	if err != nil {
		return nil, err
	}
	if dl, ok := tok.(json.Delim); !ok || dl == '{' || dl == '[' {
		if dc.values++; dc.values > MaxValues {
			return nil, fmt.Errorf("%w: more than %d JSON values (at byte %d)", ErrTooLarge, MaxValues, dc.d.InputOffset())
		}
	}
	return tok, nil
}

// value decodes the next value, an object's members with member.
func (dc *decoder) value(member memberFunc) (any, error) {
	tok, err := dc.next()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('{'):
		return dc.members(member)
	case json.Delim('['):
		return dc.elements(plainMember)
	}
	return tok, nil // a string, json.Number, bool or nil; the decoder reports a stray '}' or ']'
}

// array decodes the next value, the members of each object element with
// member.
func (dc *decoder) array(member memberFunc) (any, error) {
	tok, err := dc.next()
	if err != nil {
		return nil, err
	}
	switch tok {
	case json.Delim('['):
		dc.perElement = true // each element is a record, with its own MaxValues
		defer func() { dc.perElement = false }()
		return dc.elements(member)
	case json.Delim('{'):
		return dc.members(plainMember)
	}
	return tok, nil
}

// enter counts a level of nesting.
func (dc *decoder) enter() error {
	if dc.depth++; dc.depth > MaxDepth {
		return fmt.Errorf("%w: nested more than %d deep (at byte %d)", ErrTooLarge, MaxDepth, dc.d.InputOffset())
	}
	return nil
}

func (dc *decoder) members(member memberFunc) (map[string]any, error) {
	if err := dc.enter(); err != nil {
		return nil, err
	}
	m := map[string]any{}
	for dc.d.More() {
		tok, err := dc.d.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string) // the decoder returns only strings for keys
		v, err := member(dc, key)
		if err != nil {
			return nil, err
		}
		m[key] = v // of a repeated key the last stays, as in encoding/json
	}
	_, err := dc.d.Token() // '}'
	dc.depth--
	return m, err
}

// elements decodes the rest of an array whose '[' has been read, object
// elements member by member.
func (dc *decoder) elements(member memberFunc) ([]any, error) {
	if err := dc.enter(); err != nil {
		return nil, err
	}
	out := []any{}
	perElement := dc.perElement
	dc.perElement = false
	for dc.d.More() {
		if perElement {
			dc.values = 0
		}
		v, err := dc.value(member)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	_, err := dc.d.Token() // ']'
	dc.depth--
	return out, err
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

// firstByte returns the first non-space byte of data, or 0.
func firstByte(data []byte) byte {
	p := jsonscan.New(data, 0)
	return p.Peek()
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
