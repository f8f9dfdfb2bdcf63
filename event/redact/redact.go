package redact

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// Hidden is what a redacted value is written as, the string CloudTrail writes
// for values it will not show (a mistyped user name in a failed console
// sign-in, for example).
const Hidden = event.HiddenValue

// Redactor hides the values at a set of paths in records. It is safe for
// concurrent use.
type Redactor struct {
	root  *node
	typed bool // a path needs the whole record rewritten (see New)
	paths []string
	raw   map[string]*rawPlan // free-form field -> how to redact it
	top   []string            // typed top-level strings hidden in place
	ident []string            // userIdentity strings hidden in place
}

// rawPlan is how one free-form field is redacted.
type rawPlan struct {
	node *node
	// needles are the quoted member names that must occur in the field for
	// a path to match: the last name of each path. always is set when a
	// path ends in "*" or in a name that JSON escapes, so that no needle
	// can stand for it.
	needles [][]byte
	always  bool
}

// rawFields are the record's free-form fields, kept as raw JSON: paths into
// them are applied to those bytes alone.
var rawFields = map[string]func(*event.Record) *json.RawMessage{
	"requestParameters":   func(r *event.Record) *json.RawMessage { return &r.RequestParameters },
	"responseElements":    func(r *event.Record) *json.RawMessage { return &r.ResponseElements },
	"additionalEventData": func(r *event.Record) *json.RawMessage { return &r.AdditionalEventData },
	"serviceEventDetails": func(r *event.Record) *json.RawMessage { return &r.ServiceEventDetails },
}

// New returns a Redactor for paths in a record, such as
// "requestParameters.password", "responseElements.credentials.secretAccessKey"
// or "userIdentity.accessKeyId". A path is a dotted list of member names;
// "*" stands for any member, and arrays are looked through, so
// "requestParameters.users.password" hides the password of every user in a
// users array. A member name cannot contain '.'; reach such a member with
// "*".
func New(paths ...string) (*Redactor, error) {
	x := &Redactor{root: &node{}, paths: append([]string(nil), paths...), raw: map[string]*rawPlan{}}
	for _, p := range paths {
		segs, err := parsePath(p)
		if err != nil {
			return nil, err
		}
		switch {
		case rawFields[segs[0]] != nil:
			plan := x.raw[segs[0]]
			if plan == nil {
				plan = &rawPlan{}
				x.raw[segs[0]] = plan
			}
			last := segs[len(segs)-1]
			if len(segs) == 1 || last == "*" || !plainName(last) {
				plan.always = true
			} else {
				plan.needles = append(plan.needles, []byte(`"`+last+`"`))
			}
		case len(segs) == 1 && topStrings[segs[0]] != nil:
			x.top = append(x.top, segs[0])
		case len(segs) == 2 && segs[0] == "userIdentity" && identityStrings[segs[1]] != nil:
			x.ident = append(x.ident, segs[1])
		default:
			x.typed = true
		}
		x.root.add(segs)
	}
	x.root.seal()
	for name, plan := range x.raw {
		plan.node = x.root.kids[name]
	}
	return x, nil
}

// plainName reports whether a member name is written in JSON as it is (no
// character that needs an escape), so that its quoted form can be searched
// for in the bytes.
func plainName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c == '/' || c >= 0x80 {
			return false
		}
	}
	return true
}

// Typed string fields that paths can name directly: they are hidden in
// place, without rewriting the whole record.
var topStrings = map[string]func(*event.Record) *string{
	"sourceIPAddress": func(r *event.Record) *string { return &r.SourceIPAddress },
	"userAgent":       func(r *event.Record) *string { return &r.UserAgent },
	"errorMessage":    func(r *event.Record) *string { return &r.ErrorMessage },
	"requestID":       func(r *event.Record) *string { return &r.RequestID },
	"annotation":      func(r *event.Record) *string { return &r.Annotation },
}

var identityStrings = map[string]func(*event.UserIdentity) *string{
	"principalId":      func(u *event.UserIdentity) *string { return &u.PrincipalID },
	"arn":              func(u *event.UserIdentity) *string { return &u.ARN },
	"accountId":        func(u *event.UserIdentity) *string { return &u.AccountID },
	"accessKeyId":      func(u *event.UserIdentity) *string { return &u.AccessKeyID },
	"userName":         func(u *event.UserIdentity) *string { return &u.UserName },
	"invokedBy":        func(u *event.UserIdentity) *string { return &u.InvokedBy },
	"identityProvider": func(u *event.UserIdentity) *string { return &u.IdentityProvider },
	"credentialId":     func(u *event.UserIdentity) *string { return &u.CredentialID },
}

// MustNew is New for paths known when the program is written; it panics on
// an invalid path.
func MustNew(paths ...string) *Redactor {
	x, err := New(paths...)
	if err != nil {
		panic(err)
	}
	return x
}

// Paths returns the paths the Redactor was made with.
func (x *Redactor) Paths() []string { return append([]string(nil), x.paths...) }

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4<<10); return &b }}

// Record hides the selected values of r in place. A free-form field (or an
// Extra member) that is not valid JSON cannot be searched, so it is hidden
// whole and the error names it: redaction fails closed, never leaking what
// it could not read.
func (x *Redactor) Record(r *event.Record) error {
	if x == nil || r == nil {
		return nil
	}
	if x.typed || !x.inPlace(r) {
		return x.wholeRecord(r)
	}
	x.strings(r)
	var first error
	for name, plan := range x.raw {
		field := rawFields[name](r)
		if *field == nil {
			continue
		}
		if plan.node.hide {
			*field = json.RawMessage(hidden)
			continue
		}
		if !plan.needed(*field) {
			continue
		}
		// The rewriter validates as it goes: what cannot be read is hidden
		// rather than passed on.
		out, err := plan.node.rewrite(make([]byte, 0, len(*field)+len(hidden)), *field)
		if err != nil {
			*field = json.RawMessage(hidden)
			if first == nil {
				first = fmt.Errorf("redact %s: %w", name, err)
			}
			continue
		}
		*field = out
	}
	return first
}

// needed reports whether a path could match in field: a needle occurs in
// it, or it holds an escape (which could spell a member name differently).
func (p *rawPlan) needed(field []byte) bool {
	if p.always || bytes.IndexByte(field, '\\') >= 0 {
		return true
	}
	for _, n := range p.needles {
		if bytes.Contains(field, n) {
			return true
		}
	}
	return false
}

// inPlace reports whether the typed strings the paths name can be hidden in
// place: not when the record also holds a member of the same name in Extra
// (a duplicate key read from JSON), which only the whole rewrite reaches.
func (x *Redactor) inPlace(r *event.Record) bool {
	for _, f := range r.Extra {
		if topStrings[f.Key] != nil || (f.Key == "userIdentity" && len(x.ident) > 0) {
			return false
		}
	}
	if u := r.UserIdentity; u != nil && len(x.ident) > 0 {
		for _, f := range u.Extra {
			if identityStrings[f.Key] != nil {
				return false
			}
		}
	}
	return true
}

// strings hides the typed strings the paths name. The identity is copied
// first: it may be shared (an Identity function can return the same value
// for many requests), and only this record's copy must change.
func (x *Redactor) strings(r *event.Record) {
	for _, name := range x.top {
		if s := topStrings[name](r); *s != "" {
			*s = Hidden
		}
	}
	if u := r.UserIdentity; u != nil && len(x.ident) > 0 {
		c := *u
		for _, name := range x.ident {
			if s := identityStrings[name](&c); *s != "" {
				*s = Hidden
			}
		}
		r.UserIdentity = &c
	}
}

// wholeRecord applies the paths to the record's JSON and decodes it back;
// the event package's encoding is lossless, so nothing else changes.
func (x *Redactor) wholeRecord(r *event.Record) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	src := r.AppendJSON((*bp)[:0])
	*bp = src
	var out []byte
	err := errors.New("not valid JSON")
	if valid(src) {
		out, err = x.root.rewrite(nil, src)
	}
	if err != nil {
		// Only a free-form field can hold invalid JSON: hide those whole,
		// then try again.
		for name, get := range rawFields {
			if f := get(r); *f != nil && !valid(*f) {
				*f = json.RawMessage(hidden)
				err = fmt.Errorf("redact %s: not valid JSON: %w", name, err)
			}
		}
		for i, f := range r.Extra {
			if !valid(f.Value) {
				r.Extra[i].Value = json.RawMessage(hidden)
				err = fmt.Errorf("redact %s: not valid JSON: %w", f.Key, err)
			}
		}
		src = r.AppendJSON(src[:0])
		*bp = src
		if !valid(src) {
			return fmt.Errorf("redact record: not valid JSON even with its free-form fields hidden (an Extra member?)")
		}
		var again error
		if out, again = x.root.rewrite(nil, src); again != nil {
			return fmt.Errorf("redact record: %w", again)
		}
	}
	var clean event.Record
	if uerr := event.Unmarshal(out, &clean); uerr != nil {
		return fmt.Errorf("redact record: %w", uerr)
	}
	*r = clean
	return err
}

// JSON returns src, one JSON value, with the values at the paths hidden;
// paths here start inside the value ("password", not
// "requestParameters.password"). The result is compact.
func (x *Redactor) JSON(src []byte) (json.RawMessage, error) {
	if x == nil {
		return src, nil
	}
	if x.root.hide {
		return json.RawMessage(hidden), nil
	}
	out, err := x.root.rewrite(make([]byte, 0, len(src)), src)
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return out, nil
}

// valid reports whether v is JSON as the event package reads it: the rules
// of the shared scanner, nesting limit included.
func valid(v []byte) bool { return jsonscan.Valid(v) == nil }
