package event

import (
	"encoding/json"
	"iter"
	"strconv"
	"strings"
	"time"
)

// Kind is the JSON type of a Value.
type Kind uint8

// The kinds of JSON value. Missing is the kind of a Value that is not there.
const (
	Missing Kind = iota
	Null
	Boolean
	Number
	String
	Object
	Array
)

var kindNames = [...]string{"missing", "null", "boolean", "number", "string", "object", "array"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one JSON value inside a free-form part of a record
// (requestParameters, responseElements, additionalEventData,
// serviceEventDetails, …), read in place: looking a value up neither decodes
// the whole part nor allocates, except to unescape a string that holds
// escapes. The zero Value is Missing.
//
//	bucket, _ := event.Get(rec.RequestParameters, "bucketName").Text()
//	mfa, _ := event.Get(rec.AdditionalEventData, "MFAUsed").Text()
type Value struct{ raw []byte }

// Get returns the value at path in raw. Each path element is an object key
// or, in an array, a decimal index. The last member wins when a key occurs
// twice, as in encoding/json and the rest of trailkit. Get returns a
// Missing Value when the path leads nowhere or raw is malformed before the
// value. It reads an object to its end, to find a later copy of the key,
// and an array as far as the element: values of a decoded record are
// valid JSON.
func Get(raw json.RawMessage, path ...string) Value {
	return Value{raw: raw}.Get(path...)
}

// Get returns the value at path below v, as the function Get does.
func (v Value) Get(path ...string) Value {
	cur := v.raw
	for _, key := range path {
		p := newParser(cur, 0)
		switch p.Peek() {
		case '{':
			cur = member(&p, key)
		case '[':
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 {
				return Value{}
			}
			cur = element(&p, i)
		default:
			return Value{}
		}
		if cur == nil {
			return Value{}
		}
	}
	if len(path) == 0 && v.Kind() == Missing {
		return Value{}
	}
	return Value{raw: cur}
}

// member returns the value of key in the object at p, the last one when
// key occurs more than once, or nil. It is written out, not built on
// eachMember, so that lookups do not allocate.
func member(p *parser, key string) []byte {
	if p.Expect('{') != nil || p.Peek() == '}' {
		return nil
	}
	var found []byte
	for {
		if p.Peek() != '"' {
			return found
		}
		k, err := p.Str()
		if err != nil || p.Expect(':') != nil {
			return found
		}
		start, err := p.Skip()
		if err != nil {
			return found
		}
		if k == key {
			found = p.Buf[start:p.Pos:p.Pos]
		}
		if p.Peek() != ',' {
			return found
		}
		p.Pos++
	}
}

// element returns element i of the array at p, or nil.
func element(p *parser, i int) []byte {
	if p.Expect('[') != nil || p.Peek() == ']' {
		return nil
	}
	for n := 0; ; n++ {
		start, err := p.Skip()
		if err != nil {
			return nil
		}
		if n == i {
			return p.Buf[start:p.Pos:p.Pos]
		}
		if p.Peek() != ',' {
			return nil
		}
		p.Pos++
	}
}

// eachMember calls fn for the members of the object at p until fn returns
// false. It stops at the first syntax error.
func eachMember(p *parser, fn func(key string, v []byte) bool) error {
	if err := p.Expect('{'); err != nil {
		return err
	}
	if p.Peek() == '}' {
		return nil
	}
	for {
		if p.Peek() != '"' {
			return p.Unexpected("a string key")
		}
		k, err := p.Str()
		if err != nil {
			return err
		}
		if err := p.Expect(':'); err != nil {
			return err
		}
		start, err := p.Skip()
		if err != nil {
			return err
		}
		if !fn(k, p.Buf[start:p.Pos:p.Pos]) {
			return nil
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case '}':
			return nil
		default:
			return p.Unexpected("',' or '}'")
		}
	}
}

// eachElement calls fn for the elements of the array at p until fn returns
// false. It stops at the first syntax error.
func eachElement(p *parser, fn func(v []byte) bool) error {
	if err := p.Expect('['); err != nil {
		return err
	}
	if p.Peek() == ']' {
		return nil
	}
	for {
		start, err := p.Skip()
		if err != nil {
			return err
		}
		if !fn(p.Buf[start:p.Pos:p.Pos]) {
			return nil
		}
		switch p.Peek() {
		case ',':
			p.Pos++
		case ']':
			return nil
		default:
			return p.Unexpected("',' or ']'")
		}
	}
}

// Exists reports whether the value is there (it may be null).
func (v Value) Exists() bool { return v.Kind() != Missing }

// Kind returns the value's JSON type.
func (v Value) Kind() Kind {
	p := newParser(v.raw, 0)
	switch c := p.Peek(); {
	case c == 'n':
		return Null
	case c == 't' || c == 'f':
		return Boolean
	case c == '"':
		return String
	case c == '{':
		return Object
	case c == '[':
		return Array
	case c == '-' || '0' <= c && c <= '9':
		return Number
	}
	return Missing
}

// Raw returns the value's JSON text, nil when it is Missing.
func (v Value) Raw() json.RawMessage {
	if !v.Exists() {
		return nil
	}
	return json.RawMessage(v.raw)
}

// Text returns the value of a JSON string; ok is false for any other kind.
// (Strings inside requestParameters often hold JSON documents, such as
// policies: Text gives the document to decode.)
func (v Value) Text() (s string, ok bool) {
	if v.Kind() != String {
		return "", false
	}
	p := newParser(v.raw, 0)
	p.WS()
	s, err := p.Str()
	if err != nil {
		return "", false
	}
	return strings.Clone(s), true // s may alias raw, which callers may reuse
}

// Number returns a JSON number's text, which keeps every digit.
func (v Value) Number() (json.Number, bool) {
	if v.Kind() != Number {
		return "", false
	}
	p := newParser(v.raw, 0)
	p.WS()
	n, err := p.Number()
	if err != nil {
		return "", false
	}
	return json.Number(strings.Clone(n)), true
}

// Int returns a JSON number that is an integer in int64's range.
func (v Value) Int() (int64, bool) {
	n, ok := v.Number()
	if !ok {
		return 0, false
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	return i, err == nil
}

// Float returns a JSON number as the nearest float64.
func (v Value) Float() (float64, bool) {
	n, ok := v.Number()
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(n), 64)
	return f, err == nil
}

// Bool returns a JSON boolean; ok is false for any other kind.
func (v Value) Bool() (b, ok bool) {
	p := newParser(v.raw, 0)
	switch p.Peek() {
	case 't':
		return true, p.Literal("true") == nil
	case 'f':
		return false, p.Literal("false") == nil
	}
	return false, false
}

// Members yields the members of an object in the order they were written,
// a key that occurs twice included; nothing for any other kind.
func (v Value) Members() iter.Seq2[string, Value] {
	return func(yield func(string, Value) bool) {
		if v.Kind() != Object {
			return
		}
		p := newParser(v.raw, 0)
		_ = eachMember(&p, func(k string, raw []byte) bool {
			return yield(k, Value{raw: raw})
		})
	}
}

// Elements yields the elements of an array; nothing for any other kind.
func (v Value) Elements() iter.Seq[Value] {
	return func(yield func(Value) bool) {
		if v.Kind() != Array {
			return
		}
		p := newParser(v.raw, 0)
		_ = eachElement(&p, func(raw []byte) bool { return yield(Value{raw: raw}) })
	}
}

// Decode decodes the value into dst with encoding/json.
func (v Value) Decode(dst any) error {
	if !v.Exists() {
		return &ShapeError{Field: "value", Reason: "missing"}
	}
	return json.Unmarshal(v.raw, dst)
}

// Typed readers for the members whose JSON type varies in real records.

// MFA reports whether the session was authenticated with MFA. CloudTrail
// writes the string "true" or "false"; some records carry a JSON boolean,
// which decoding keeps in Extra and MFA reads as well. ok is false when
// neither is there.
func (a *SessionAttributes) MFA() (mfa, ok bool) {
	if a == nil {
		return false, false
	}
	switch a.MFAAuthenticated {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	if f, ok := lastField(a.Extra, "mfaAuthenticated"); ok {
		return Value{raw: f.Value}.Bool()
	}
	return false, false
}

// Created returns when the session's credentials were issued. CloudTrail
// writes creationDate as 2020-01-10T14:38:30Z; older records also use the
// basic form 20131102T010628Z.
func (a *SessionAttributes) Created() (time.Time, bool) {
	if a == nil {
		return time.Time{}, false
	}
	if t, ok := parseTime(a.CreationDate); ok {
		return t, true
	}
	t, err := time.Parse("20060102T150405Z", a.CreationDate)
	return t, err == nil
}

// ID returns the device id, whichever spelling the record used (deviceId
// or deviceID).
func (d *EdgeDeviceDetails) ID() string {
	if d == nil {
		return ""
	}
	if d.DeviceID != "" {
		return d.DeviceID
	}
	if f, ok := lastField(d.Extra, "deviceID"); ok {
		s, _ := Value{raw: f.Value}.Text()
		return s
	}
	return ""
}

// FromConsole reports whether the request was made with credentials of a
// console session (sessionCredentialFromConsole is the string "true").
func (r *Record) FromConsole() bool { return r.SessionCredentialFromConsole == "true" }

// Version returns eventVersion's major and minor numbers, which compare
// numerically ("1.10" is later than "1.09"); ok is false when eventVersion
// is not of the form major.minor.
func (r *Record) Version() (major, minor int, ok bool) {
	if !validVersion(r.EventVersion) {
		return 0, 0, false
	}
	for i := 0; i < len(r.EventVersion); i++ {
		if r.EventVersion[i] == '.' {
			ma, err1 := strconv.Atoi(r.EventVersion[:i])
			mi, err2 := strconv.Atoi(r.EventVersion[i+1:])
			return ma, mi, err1 == nil && err2 == nil
		}
	}
	return 0, 0, false
}

// Lookup returns a top-level member the model keeps in Extra, such as a
// key CloudTrail added after this package was written or a value of an
// unexpected type ("resources" written as a string); the last one when
// the key occurs more than once.
func (r *Record) Lookup(key string) (Value, bool) {
	f, ok := r.extra(key)
	return Value{raw: f.Value}, ok
}
