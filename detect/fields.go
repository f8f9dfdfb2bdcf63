package detect

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

// value is one JSON value a rule reads from a record.
type value struct {
	kind event.Kind
	// s is a string's text; for other kinds the value's JSON text.
	s string
}

func rawValue(b []byte) value {
	i := ws(b, 0)
	if i >= len(b) {
		return value{}
	}
	b = bytes.TrimRight(b[i:], " \t\r\n")
	switch c := b[0]; {
	case c == '"':
		if len(b) < 2 {
			return value{}
		}
		s, ok := unescape(b[1 : len(b)-1])
		if !ok {
			return value{}
		}
		return value{kind: event.String, s: s}
	case c == 'n':
		return value{kind: event.Null, s: "null"}
	case c == 't' || c == 'f':
		return value{kind: event.Boolean, s: bytesString(b)}
	case c == '{':
		return value{kind: event.Object, s: bytesString(b)}
	case c == '[':
		return value{kind: event.Array, s: bytesString(b)}
	}
	return value{kind: event.Number, s: bytesString(b)}
}

// seg is one step of a field path: an object key, or an array index when
// index >= 0.
type seg struct {
	key   string
	index int
}

// fieldPath is a compiled field reference: CloudWatch's $.a.b[0] or
// Sigma's a.b.
type fieldPath struct {
	text string
	segs []seg
	// fanout makes a key step on an array apply to each element (Sigma);
	// CloudWatch names array elements by index.
	fanout bool
	// typed reads the field from a decoded record's typed fields; nil
	// when the path needs the record's JSON.
	typed func(r *event.Record) (value, bool)
	// part and rest read a free-form part of a decoded record.
	part func(r *event.Record) json.RawMessage
	rest []seg
}

// doc is the record a rule set is evaluating: a decoded record or its
// JSON text. It is reused from record to record.
type doc struct {
	rec  *event.Record
	json []byte // the record's JSON: as read, or rec encoded on demand
	enc  []byte // buffer for encoding rec
	// top indexes the top-level members of json, built on first use.
	top     []topMember
	topDone bool
	vals    []value
	refVals []value
	exp     []value
	hits    []int32
	fold    []byte
}

type topMember struct {
	key []byte
	v   []byte
}

func (d *doc) setRecord(r *event.Record) {
	d.rec, d.json, d.top, d.topDone = r, nil, d.top[:0], false
}

func (d *doc) setJSON(b []byte) {
	d.rec, d.json, d.top, d.topDone = nil, b, d.top[:0], false
}

// text returns the record's JSON text, encoding a decoded record once.
func (d *doc) text() []byte {
	if d.json == nil && d.rec != nil {
		d.enc = d.rec.AppendJSON(d.enc[:0])
		d.json = d.enc
	}
	return d.json
}

// topLevel returns the top-level member key of the record's JSON.
func (d *doc) topLevel(key string) []byte {
	if !d.topDone {
		d.topDone = true
		eachMember(d.text(), func(k, v []byte) bool {
			d.top = append(d.top, topMember{k, v})
			return true
		})
	}
	for i := range d.top {
		if keyIs(d.top[i].key, key) {
			return d.top[i].v
		}
	}
	return nil
}

// lookup returns the values at p: none when the field is missing, more
// than one when a Sigma path crosses an array. The slice is reused by the
// next lookup.
func (d *doc) lookup(p *fieldPath) []value {
	d.vals = d.lookupTo(p, d.vals[:0])
	return d.vals
}

// typed reads a typed field of a decoded record; ok is false when the
// field must be looked up.
func (d *doc) typed(p *fieldPath) (value, bool) {
	if p.typed == nil || d.json != nil || d.rec == nil {
		return value{}, false
	}
	return p.typed(d.rec)
}

// lookupTo appends the values at p to out.
func (d *doc) lookupTo(p *fieldPath, out []value) []value {
	if d.rec != nil && d.json == nil {
		if p.typed != nil {
			if v, ok := p.typed(d.rec); ok {
				if v.kind != event.Missing {
					out = append(out, v)
				}
				return out
			}
		} else if p.part != nil {
			if part := p.part(d.rec); part != nil {
				out = walk(part, p.rest, p.fanout, out)
				return out
			} else if len(d.rec.Extra) == 0 {
				return out
			}
		}
	}
	// The generic path: the record's JSON text.
	first := d.topLevel(p.segs[0].key)
	if first == nil {
		return out
	}
	out = walk(first, p.segs[1:], p.fanout, out)
	return out
}

// walk appends the values at path below b.
func walk(b []byte, path []seg, fanout bool, out []value) []value {
	if len(path) == 0 {
		return append(out, rawValue(b))
	}
	s := path[0]
	if s.index >= 0 {
		if v := element(b, s.index); v != nil {
			return walk(v, path[1:], fanout, out)
		}
		return out
	}
	i := ws(b, 0)
	if i >= len(b) {
		return out
	}
	switch b[i] {
	case '{':
		if v := member(b, s.key); v != nil {
			return walk(v, path[1:], fanout, out)
		}
	case '[':
		if !fanout {
			return out
		}
		for j := i + 1; ; {
			v, next, ok := nextElement(b, j)
			if !ok {
				break
			}
			out = walk(v, path, fanout, out)
			j = next
		}
	}
	return out
}

// compilePath attaches the decoded-record readers to a path.
func compilePath(p *fieldPath) {
	if len(p.segs) == 0 || p.segs[0].index >= 0 {
		return
	}
	if part, ok := rawParts[p.segs[0].key]; ok {
		p.part, p.rest = part, p.segs[1:]
		return
	}
	keys := make([]string, 0, len(p.segs))
	for _, s := range p.segs {
		if s.index >= 0 {
			return
		}
		keys = append(keys, s.key)
	}
	if g, ok := typedFields[strings.Join(keys, ".")]; ok {
		p.typed = g
	}
}

// The typed readers answer (value, true) when the decoded record says
// for certain what the field is, and (_, false) when only its JSON can
// (a member the model keeps in Extra).

func str(s string, extra []event.Field) (value, bool) {
	if s != "" {
		return value{kind: event.String, s: s}, true
	}
	// An empty typed field is absent, unless the JSON value had another
	// type and went to Extra.
	return value{}, len(extra) == 0
}

func boolPtr(b *bool, extra []event.Field) (value, bool) {
	if b == nil {
		return value{}, len(extra) == 0
	}
	return value{kind: event.Boolean, s: strconv.FormatBool(*b)}, true
}

var rawParts = map[string]func(r *event.Record) json.RawMessage{
	"requestParameters":   func(r *event.Record) json.RawMessage { return r.RequestParameters },
	"responseElements":    func(r *event.Record) json.RawMessage { return r.ResponseElements },
	"additionalEventData": func(r *event.Record) json.RawMessage { return r.AdditionalEventData },
	"serviceEventDetails": func(r *event.Record) json.RawMessage { return r.ServiceEventDetails },
}

func topString(get func(r *event.Record) string) func(r *event.Record) (value, bool) {
	return func(r *event.Record) (value, bool) { return str(get(r), r.Extra) }
}

func identity(get func(u *event.UserIdentity) string) func(r *event.Record) (value, bool) {
	return func(r *event.Record) (value, bool) {
		if r.UserIdentity == nil {
			return value{}, len(r.Extra) == 0
		}
		return str(get(r.UserIdentity), r.UserIdentity.Extra)
	}
}

// sessionOf returns the record's session context, or nil and whether its
// absence is certain (nothing about it went to Extra).
func sessionOf(r *event.Record) (*event.SessionContext, bool) {
	switch u := r.UserIdentity; {
	case u == nil:
		return nil, len(r.Extra) == 0
	case u.SessionContext == nil:
		return nil, len(u.Extra) == 0
	default:
		return u.SessionContext, true
	}
}

func session(get func(c *event.SessionContext) string) func(r *event.Record) (value, bool) {
	return func(r *event.Record) (value, bool) {
		c, known := sessionOf(r)
		if c == nil {
			return value{}, known
		}
		return str(get(c), c.Extra)
	}
}

func issuer(get func(u *event.SessionIssuer) string) func(r *event.Record) (value, bool) {
	return func(r *event.Record) (value, bool) {
		c, known := sessionOf(r)
		switch {
		case c == nil:
			return value{}, known
		case c.SessionIssuer == nil:
			return value{}, len(c.Extra) == 0
		}
		return str(get(c.SessionIssuer), c.SessionIssuer.Extra)
	}
}

func attribute(get func(a *event.SessionAttributes) string) func(r *event.Record) (value, bool) {
	return func(r *event.Record) (value, bool) {
		c, known := sessionOf(r)
		switch {
		case c == nil:
			return value{}, known
		case c.Attributes == nil:
			return value{}, len(c.Extra) == 0
		}
		return str(get(c.Attributes), c.Attributes.Extra)
	}
}

// typedFields are the fields rules read most, read from a decoded record
// without encoding it. Any other field is read from the record's JSON.
var typedFields = map[string]func(r *event.Record) (value, bool){
	"eventVersion":         topString(func(r *event.Record) string { return r.EventVersion }),
	"eventSource":          topString(func(r *event.Record) string { return r.EventSource }),
	"eventName":            topString(func(r *event.Record) string { return r.EventName }),
	"awsRegion":            topString(func(r *event.Record) string { return r.AWSRegion }),
	"sourceIPAddress":      topString(func(r *event.Record) string { return r.SourceIPAddress }),
	"userAgent":            topString(func(r *event.Record) string { return r.UserAgent }),
	"errorCode":            topString(func(r *event.Record) string { return r.ErrorCode }),
	"errorMessage":         topString(func(r *event.Record) string { return r.ErrorMessage }),
	"requestID":            topString(func(r *event.Record) string { return r.RequestID }),
	"eventID":              topString(func(r *event.Record) string { return r.EventID }),
	"eventType":            topString(func(r *event.Record) string { return r.EventType }),
	"apiVersion":           topString(func(r *event.Record) string { return r.APIVersion }),
	"recipientAccountId":   topString(func(r *event.Record) string { return r.RecipientAccountID }),
	"sharedEventID":        topString(func(r *event.Record) string { return r.SharedEventID }),
	"vpcEndpointId":        topString(func(r *event.Record) string { return r.VPCEndpointID }),
	"vpcEndpointAccountId": topString(func(r *event.Record) string { return r.VPCEndpointAccountID }),
	"eventCategory":        topString(func(r *event.Record) string { return r.EventCategory }),
	"sessionCredentialFromConsole": topString(func(r *event.Record) string {
		return r.SessionCredentialFromConsole
	}),
	"eventTime": func(r *event.Record) (value, bool) {
		if r.EventTime.IsZero() {
			return value{}, len(r.Extra) == 0
		}
		return value{kind: event.String, s: r.EventTime.UTC().Format(time.RFC3339)}, true
	},
	"readOnly":        func(r *event.Record) (value, bool) { return boolPtr(r.ReadOnly, r.Extra) },
	"managementEvent": func(r *event.Record) (value, bool) { return boolPtr(r.ManagementEvent, r.Extra) },

	"userIdentity.type":             identity(func(u *event.UserIdentity) string { return u.Type }),
	"userIdentity.principalId":      identity(func(u *event.UserIdentity) string { return u.PrincipalID }),
	"userIdentity.arn":              identity(func(u *event.UserIdentity) string { return u.ARN }),
	"userIdentity.accountId":        identity(func(u *event.UserIdentity) string { return u.AccountID }),
	"userIdentity.accessKeyId":      identity(func(u *event.UserIdentity) string { return u.AccessKeyID }),
	"userIdentity.userName":         identity(func(u *event.UserIdentity) string { return u.UserName }),
	"userIdentity.invokedBy":        identity(func(u *event.UserIdentity) string { return u.InvokedBy }),
	"userIdentity.identityProvider": identity(func(u *event.UserIdentity) string { return u.IdentityProvider }),
	"userIdentity.credentialId":     identity(func(u *event.UserIdentity) string { return u.CredentialID }),

	"userIdentity.sessionContext.sessionIssuer.type":        issuer(func(s *event.SessionIssuer) string { return s.Type }),
	"userIdentity.sessionContext.sessionIssuer.principalId": issuer(func(s *event.SessionIssuer) string { return s.PrincipalID }),
	"userIdentity.sessionContext.sessionIssuer.arn":         issuer(func(s *event.SessionIssuer) string { return s.ARN }),
	"userIdentity.sessionContext.sessionIssuer.accountId":   issuer(func(s *event.SessionIssuer) string { return s.AccountID }),
	"userIdentity.sessionContext.sessionIssuer.userName":    issuer(func(s *event.SessionIssuer) string { return s.UserName }),
	"userIdentity.sessionContext.sourceIdentity":            session(func(c *event.SessionContext) string { return c.SourceIdentity }),
	"userIdentity.sessionContext.ec2RoleDelivery":           session(func(c *event.SessionContext) string { return c.EC2RoleDelivery }),
	"userIdentity.sessionContext.attributes.creationDate":   attribute(func(a *event.SessionAttributes) string { return a.CreationDate }),
	"userIdentity.sessionContext.attributes.mfaAuthenticated": attribute(func(a *event.SessionAttributes) string {
		return a.MFAAuthenticated
	}),
}
