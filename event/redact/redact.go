package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/trailkit/trailkit/event"
)

// Hidden is what a redacted value is written as, the string CloudTrail writes
// for values it will not show (a mistyped user name in a failed console
// sign-in, for example).
const Hidden = event.HiddenValue

// Redactor hides the values at a set of paths in records. It is safe for
// concurrent use.
type Redactor struct {
	root  *node
	typed bool // a path starts outside the free-form fields
	paths []string
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
	x := &Redactor{root: &node{}, paths: append([]string(nil), paths...)}
	for _, p := range paths {
		segs, err := parsePath(p)
		if err != nil {
			return nil, err
		}
		if rawFields[segs[0]] == nil {
			x.typed = true
		}
		x.root.add(segs)
	}
	x.root.seal()
	return x, nil
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
	if x.typed {
		return x.wholeRecord(r)
	}
	var first error
	for name, n := range x.root.kids {
		field := rawFields[name](r)
		if *field == nil {
			continue
		}
		if n.hide {
			*field = json.RawMessage(hidden)
			continue
		}
		// The rewriter checks structure, not every detail of JSON (number
		// syntax): check the whole first, so that what cannot be read is
		// hidden rather than passed on.
		if !json.Valid(*field) {
			*field = json.RawMessage(hidden)
			if first == nil {
				first = fmt.Errorf("redact %s: not valid JSON", name)
			}
			continue
		}
		out, err := n.rewrite(nil, *field)
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

// wholeRecord applies the paths to the record's JSON and decodes it back;
// the event package's encoding is lossless, so nothing else changes.
func (x *Redactor) wholeRecord(r *event.Record) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	src := r.AppendJSON((*bp)[:0])
	*bp = src
	var out []byte
	err := errors.New("not valid JSON")
	if json.Valid(src) {
		out, err = x.root.rewrite(nil, src)
	}
	if err != nil {
		// Only a free-form field can hold invalid JSON: hide those whole,
		// then try again.
		for name, get := range rawFields {
			if f := get(r); *f != nil && !json.Valid(*f) {
				*f = json.RawMessage(hidden)
				err = fmt.Errorf("redact %s: not valid JSON: %w", name, err)
			}
		}
		for i, f := range r.Extra {
			if !json.Valid(f.Value) {
				r.Extra[i].Value = json.RawMessage(hidden)
				err = fmt.Errorf("redact %s: not valid JSON: %w", f.Key, err)
			}
		}
		src = r.AppendJSON(src[:0])
		*bp = src
		if !json.Valid(src) {
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
	if !json.Valid(src) {
		return nil, errors.New("redact: not valid JSON")
	}
	out, err := x.root.rewrite(make([]byte, 0, len(src)), src)
	if err != nil {
		return nil, fmt.Errorf("redact: %w", err)
	}
	return out, nil
}
