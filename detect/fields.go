package detect

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// value is one JSON value a rule reads from a record.
type value struct {
	kind event.Kind
	// s is a string's text; for other kinds the value's JSON text.
	s string
}

// rawValue reads the JSON value b, which the scanner located exactly
// (no whitespace around it) and validated: a string without escapes is
// then its text between the quotes.
func rawValue(b []byte) value {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b[1:len(b)-1], '\\') < 0 {
		return value{kind: event.String, s: bytesString(b[1 : len(b)-1])}
	}
	return checkedValue(b)
}

// checkedValue is rawValue for text nothing validated: a decoded
// record's raw part as the user gave it, which may have whitespace
// around it and be malformed.
func checkedValue(b []byte) value {
	if len(b) > 0 && (isSpace(b[0]) || isSpace(b[len(b)-1])) {
		b = bytes.Trim(b, " \t\r\n")
	}
	if len(b) == 0 {
		return value{}
	}
	switch c := b[0]; {
	case c == '"':
		if len(b) < 2 {
			return value{}
		}
		s, ok := quoted(b)
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
	// code names the decoded record's typed field; fNone when the path
	// needs the record's JSON.
	code fieldCode
	// part and rest read a free-form part of a decoded record.
	part func(r *event.Record) json.RawMessage
	rest []seg
	// top is the first step's key, numbered for doc's cache.
	top topKey
}

// A topKey is the name of a top-level member that rules read, numbered
// so that each record looks it up once however many rules read it. Its
// zero id is a key without a number, looked up each time.
type topKey struct {
	name string
	id   int
}

var topKeys = struct {
	sync.Mutex
	ids map[string]int
}{ids: map[string]int{}}

// newTopKey numbers name; the same name always gets the same number.
func newTopKey(name string) topKey {
	topKeys.Lock()
	defer topKeys.Unlock()
	id, ok := topKeys.ids[name]
	if !ok {
		id = len(topKeys.ids) + 1
		topKeys.ids[name] = id
		topTab.Store(newTopTable(topKeys.ids))
	}
	return topKey{name, id}
}

// topTable numbers the top-level keys rules read, looked up by their text
// without a lock: a record's members are read into doc.tops in one pass
// (see fillTops). newTopKey publishes a new table with each new key.
type topTable struct {
	// first[topHash(name)] is the number of a key with that hash, 0 for
	// none, and next[id] the number of the next key of the same hash: a
	// record's key that no rule reads (most of them) costs a hash of
	// three of its bytes and one load, and one that a rule reads one
	// string comparison.
	first [topSlots]int32
	next  []int32
	names []string // names[id] is key id's text
	n     int      // the keys numbered 1 to n are in the table
}

const topSlots = 512 // a power of two

var topTab atomic.Pointer[topTable]

// topHash hashes a key by its length and its first, middle and last
// bytes: CloudTrail's top-level keys all differ in those.
func topHash(s string) uint {
	n := len(s)
	if n == 0 {
		return 0
	}
	return (uint(n)<<3 ^ uint(s[0])<<1 ^ uint(s[n>>1])<<2 ^ uint(s[n-1])) & (topSlots - 1)
}

func newTopTable(ids map[string]int) *topTable {
	t := &topTable{n: len(ids), next: make([]int32, len(ids)+1), names: make([]string, len(ids)+1)}
	for name, id := range ids {
		h := topHash(name)
		t.names[id], t.next[id], t.first[h] = name, t.first[h], int32(id)
	}
	return t
}

// find returns the number of key, or 0.
func (t *topTable) find(key string) int {
	for id := t.first[topHash(key)]; id != 0; id = t.next[id] {
		if t.names[id] == key {
			return int(id)
		}
	}
	return 0
}

// The members every finding reads.
var (
	keyEventSource = newTopKey("eventSource")
	keyEventName   = newTopKey("eventName")
	keyEventID     = newTopKey("eventID")
	keyEventTime   = newTopKey("eventTime")
	keyAWSRegion   = newTopKey("awsRegion")
)

// doc is the record a rule set is evaluating: a decoded record or its
// JSON text. It is reused from record to record.
type doc struct {
	rec  *event.Record
	json []byte // the record's JSON: as read, or rec encoded on demand
	enc  []byte // buffer for encoding rec
	// objs are the objects of json whose members are located in
	// members: the record itself (objs[0] once topDone), then the nested
	// objects that rules look into, each indexed on first use.
	objs    []objIndex
	members []jsonscan.Member
	stack   [][]jsonscan.Member // members of the objects being indexed, by depth
	top     int                 // objs[top] is the record's, once topDone
	topDone bool
	filled  bool // fillTops has read the record's members into tops
	filledN int  // the keys fillTops could read: numbered 1 to filledN
	// scanned are the record's top-level members as the scanner located
	// them, or nil; nested and nestedObjs the objects nested in them and
	// their members, when the scanner located those too.
	scanned    []jsonscan.Member
	nested     []jsonscan.Member
	nestedObjs []jsonscan.Object
	// tops caches top-level members by topKey.id: an entry whose gen is
	// not gen is from an earlier record.
	tops []topSlot
	gen  uint32
	// paths caches the values of typed fields' paths read from the JSON,
	// by fanout and fieldCode, as tops does top-level members.
	paths   [2][fieldCodes]pathSlot
	vals    []value
	refVals []value
	exp     []value
	hits    []int32
	keys    []value // values of an indexed field
	tried   []int32 // rules of an indexed field to evaluate
	fold    []byte
}

func (d *doc) setRecord(r *event.Record) {
	d.rec, d.json, d.scanned, d.nested, d.nestedObjs = r, nil, nil, nil, nil
	d.resetTop()
}

// setJSON makes b the record; members, when not nil, locate its
// top-level members (as event.Scanner.Members gives them), and nested and
// objects the objects nested in them (as event.Scanner.Nested does).
func (d *doc) setJSON(b []byte, members, nested []jsonscan.Member, objects []jsonscan.Object) {
	d.rec, d.json, d.scanned = nil, b, members
	d.nested, d.nestedObjs = nil, nil
	if members != nil {
		d.nested, d.nestedObjs = nested, objects
	}
	d.resetTop()
}

func (d *doc) resetTop() {
	d.topDone, d.filled = false, false
	d.objs, d.members = d.objs[:0], d.members[:0]
	d.gen++
	if d.gen == 0 { // wrapped: entries of old records could pass for new
		clear(d.tops)
		d.paths = [2][fieldCodes]pathSlot{}
		d.gen = 1
	}
}

// topSlot is a top-level member's value (nil when absent) found while
// evaluating the record of generation gen.
type topSlot struct {
	gen uint32
	v   []byte
}

// text returns the record's JSON text, encoding a decoded record once.
func (d *doc) text() []byte {
	if d.json == nil && d.rec != nil {
		d.enc = d.rec.AppendJSON(d.enc[:0])
		d.json = d.enc
	}
	return d.json
}

// topLevel returns the top-level member key of the record's JSON, the
// last copy when the key is repeated. The members are those the scanner
// located, or else are located once per record, on the first lookup.
func (d *doc) topLevel(key topKey) []byte {
	if key.id == 0 {
		return d.findTop(key.name)
	}
	if !d.filled {
		d.fillTops()
	}
	if key.id <= d.filledN {
		if t := &d.tops[key.id]; t.gen == d.gen {
			return t.v
		}
		return nil // the record has no such member
	}
	// A key numbered since fillTops read the table: looked up alone.
	if key.id < len(d.tops) {
		if t := &d.tops[key.id]; t.gen == d.gen {
			return t.v
		}
	} else {
		d.tops = append(d.tops, make([]topSlot, key.id+1-len(d.tops))...)
	}
	v := d.findTop(key.name)
	d.tops[key.id] = topSlot{d.gen, v}
	return v
}

// fillTops reads the record's top-level members into d.tops, in one pass
// for all the keys rules read: the last copy of a key wins.
func (d *doc) fillTops() {
	d.filled = true
	tab := topTab.Load()
	if tab == nil {
		d.filledN = 0
		return
	}
	d.filledN = tab.n
	if len(d.tops) <= tab.n {
		d.tops = append(d.tops, make([]topSlot, tab.n+1-len(d.tops))...)
	}
	o := d.topObject()
	for i := range o.ms {
		m := &o.ms[i]
		name := bytesString(o.obj[m.Key+1 : m.KeyEnd-1])
		if m.Escaped {
			var ok bool
			if name, ok = quoted(o.obj[m.Key:m.KeyEnd]); !ok {
				continue
			}
		}
		if id := tab.find(name); id != 0 {
			d.tops[id] = topSlot{d.gen, o.obj[m.Value:m.End]}
		}
	}
}

// findTop looks a top-level member up.
func (d *doc) findTop(key string) []byte {
	return d.topObject().get(key)
}

// topObject returns the record's index, locating its members on first
// use unless the scanner did.
func (d *doc) topObject() *objIndex {
	if !d.topDone {
		d.topDone = true
		b := d.text()
		if d.scanned != nil {
			d.objs = append(d.objs, objIndex{obj: b, text: b, ms: d.scanned})
			d.top = len(d.objs) - 1
		} else {
			d.index(b)
			d.top = len(d.objs) - 1 // nested objects come first
		}
	}
	return &d.objs[d.top]
}

// index locates the members of the object b, and in the same pass those
// of every object nested in it (rules that read userIdentity.type read
// userIdentity.sessionContext.sessionIssuer.type too), and returns b's
// objIndex. An object that is not well-formed gets no members, so that a
// lookup on malformed text finds nothing.
func (d *doc) index(b []byte) *objIndex {
	p := jsonscan.New(b, 0)
	if p.Peek() == '{' {
		if o, ok := d.indexTree(&p, 0); ok && p.AtEnd() {
			return &d.objs[o]
		}
	}
	d.objs = append(d.objs, objIndex{obj: b, text: b})
	return &d.objs[len(d.objs)-1]
}

// indexTree indexes the object at p.Pos and the objects nested in it,
// each in an objIndex of its own, and returns the index in d.objs of the
// object's. Nested objects are indexed before the object that holds them;
// the members of an object gather in d.stack[depth] until it ends.
func (d *doc) indexTree(p *jsonscan.Parser, depth int) (int, bool) {
	start := p.Pos
	if p.Enter() != nil {
		return 0, false
	}
	p.Pos++ // '{'
	if depth == len(d.stack) {
		d.stack = append(d.stack, nil)
	}
	d.stack[depth] = d.stack[depth][:0]
	if p.Peek() == '}' {
		p.Pos++
	} else {
		for {
			if p.Peek() != '"' {
				return 0, false
			}
			m := jsonscan.Member{Key: int32(p.Pos - start)}
			key, err := p.Str()
			if err != nil {
				return 0, false
			}
			m.KeyEnd = int32(p.Pos - start)
			m.Escaped = len(key) != int(m.KeyEnd-m.Key)-2 // escapes only lengthen
			if p.Expect(':') != nil {
				return 0, false
			}
			p.WS()
			m.Value = int32(p.Pos - start)
			if p.Peek() == '{' {
				if _, ok := d.indexTree(p, depth+1); !ok {
					return 0, false
				}
			} else if p.SkipValue() != nil {
				return 0, false
			}
			m.End = int32(p.Pos - start)
			d.stack[depth] = append(d.stack[depth], m)
			if c := p.Peek(); c == '}' {
				p.Pos++
				break
			} else if c != ',' {
				return 0, false
			}
			p.Pos++
		}
	}
	p.Depth--
	from := len(d.members)
	d.members = append(d.members, d.stack[depth]...)
	obj := p.Buf[start:p.Pos]
	d.objs = append(d.objs, objIndex{obj: obj, text: obj, ms: d.members[from:len(d.members):len(d.members)]})
	return len(d.objs) - 1, true
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
	if p.code == fNone || d.json != nil || d.rec == nil {
		return value{}, false
	}
	return typedValue(d.rec, p.code)
}

// lookupTo appends the values at p to out.
func (d *doc) lookupTo(p *fieldPath, out []value) []value {
	if d.rec != nil && d.json == nil {
		if p.code != fNone {
			if v, ok := typedValue(d.rec, p.code); ok {
				if v.kind != event.Missing {
					out = append(out, v)
				}
				return out
			}
		} else if p.part != nil {
			if part := p.part(d.rec); part != nil {
				if len(p.rest) == 0 {
					return append(out, checkedValue(part))
				}
				out = d.walk(part, p.rest, p.fanout, out)
				return out
			} else if len(d.rec.Extra) == 0 {
				return out
			}
		}
	}
	// The generic path: the record's JSON text. A typed field's path is
	// read by several rules and indexes (userIdentity.type by the field
	// index and then by the rules it selects): its value is kept for the
	// rest of the record.
	var c *pathSlot
	if p.code != fNone && len(p.segs) > 1 {
		c = &d.paths[b2i(p.fanout)][p.code]
		if c.gen == d.gen {
			if c.found {
				out = append(out, c.v)
			}
			return out
		}
	}
	from := len(out)
	top := p.top
	if top.id == 0 {
		top.name = p.segs[0].key
	}
	if first := d.topLevel(top); first != nil {
		out = d.walk(first, p.segs[1:], p.fanout, out)
	}
	if c != nil && len(out)-from <= 1 { // more than one value: not kept
		*c = pathSlot{gen: d.gen, found: len(out) > from}
		if c.found {
			c.v = out[from]
		}
	}
	return out
}

// pathSlot is the value of a typed field's path (found false: none) in
// the record of generation gen.
type pathSlot struct {
	gen   uint32
	found bool
	v     value
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// walk appends the values at path below b.
func (d *doc) walk(b []byte, path []seg, fanout bool, out []value) []value {
	if len(path) == 0 {
		return append(out, rawValue(b))
	}
	s := path[0]
	if s.index >= 0 {
		if v := element(b, s.index); v != nil {
			return d.walk(v, path[1:], fanout, out)
		}
		return out
	}
	switch firstByte(b) {
	case '{':
		if v := d.member(b, s.key); v != nil {
			return d.walk(v, path[1:], fanout, out)
		}
	case '[':
		if !fanout {
			return out
		}
		eachElement(b, func(v []byte) bool {
			out = d.walk(v, path, fanout, out)
			return true
		})
	}
	return out
}

// member returns the value of key in the object b, the last copy when
// the key is repeated. Objects that several rules look into
// (userIdentity, requestParameters) are indexed once per record, not
// scanned again for each field.
func (d *doc) member(b []byte, key string) []byte {
	if len(b) == 0 {
		return nil
	}
	for i := range d.objs {
		if o := &d.objs[i]; len(o.text) == len(b) && &o.text[0] == &b[0] {
			return o.get(key)
		}
	}
	// An object the scanner located, as it read the record.
	for _, o := range d.nestedObjs {
		if int(o.End-o.Start) == len(b) && o.Start >= 0 && int(o.End) <= len(d.json) && &d.json[o.Start] == &b[0] {
			d.objs = append(d.objs, objIndex{obj: d.json, text: b, ms: d.nested[o.From:o.To:o.To]})
			return d.objs[len(d.objs)-1].get(key)
		}
	}
	return d.index(b).get(key)
}

// objIndex is an object of the record and where its members lie: text
// is the object, and the members' offsets are in obj (text itself, or
// the record that holds it).
type objIndex struct {
	obj  []byte
	text []byte
	ms   []jsonscan.Member
}

// get returns the value of the last member named key, or nil. A key is
// compared as written unless it holds escapes.
func (o *objIndex) get(key string) []byte {
	n, head := int32(len(key))+2, head8(key)
	for i := len(o.ms) - 1; i >= 0; i-- {
		m := &o.ms[i]
		if m.Escaped {
			if s, ok := quoted(o.obj[m.Key:m.KeyEnd]); ok && s == key {
				return o.obj[m.Value:m.End]
			}
			continue
		}
		// CloudTrail's keys often share a length (eventName, eventTime,
		// errorCode, awsRegion): their first eight bytes tell most apart.
		if m.KeyEnd-m.Key == n {
			if k := bytesString(o.obj[m.Key+1 : m.KeyEnd-1]); head8(k) == head && k == key {
				return o.obj[m.Value:m.End]
			}
		}
	}
	return nil
}

// head8 returns the first eight bytes of s (fewer when s is shorter) as a
// word.
func head8(s string) uint64 {
	if len(s) >= 8 {
		return binary.LittleEndian.Uint64(stringBytes(s[:8]))
	}
	var w uint64
	for i := len(s) - 1; i >= 0; i-- {
		w = w<<8 | uint64(s[i])
	}
	return w
}

// compilePath attaches the decoded-record readers to a path.
func compilePath(p *fieldPath) {
	if len(p.segs) == 0 {
		return
	}
	p.top = newTopKey(p.segs[0].key)
	if p.segs[0].index >= 0 {
		return
	}
	if part, ok := rawParts[p.segs[0].key]; ok {
		p.part, p.rest = part, p.segs[1:]
		return
	}
	keys := make([]string, 0, len(p.segs))
	for _, s := range p.segs {
		// A key holding a dot ($['a.b'].c) is not the typed field a.b.c.
		if s.index >= 0 || strings.Contains(s.key, ".") {
			return
		}
		keys = append(keys, s.key)
	}
	p.code = typedFields[strings.Join(keys, ".")]
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

// fieldCode names a field typedValue reads from a decoded record.
type fieldCode uint8

const (
	fNone fieldCode = iota
	fEventVersion
	fEventSource
	fEventName
	fAWSRegion
	fSourceIPAddress
	fUserAgent
	fErrorCode
	fErrorMessage
	fRequestID
	fEventID
	fEventType
	fAPIVersion
	fRecipientAccountID
	fSharedEventID
	fVPCEndpointID
	fVPCEndpointAccountID
	fEventCategory
	fSessionCredentialFromConsole
	fEventTime
	fReadOnly
	fManagementEvent
	fUserType
	fUserPrincipalID
	fUserARN
	fUserAccountID
	fUserAccessKeyID
	fUserName
	fUserInvokedBy
	fUserIdentityProvider
	fUserCredentialID
	fIssuerType
	fIssuerPrincipalID
	fIssuerARN
	fIssuerAccountID
	fIssuerUserName
	fSourceIdentity
	fEC2RoleDelivery
	fCreationDate
	fMFAAuthenticated
	fieldCodes // the number of codes
)

// typedFields are the fields rules read most, read from a decoded record
// without encoding it. Any other field is read from the record's JSON.
var typedFields = map[string]fieldCode{
	"eventVersion":                  fEventVersion,
	"eventSource":                   fEventSource,
	"eventName":                     fEventName,
	"awsRegion":                     fAWSRegion,
	"sourceIPAddress":               fSourceIPAddress,
	"userAgent":                     fUserAgent,
	"errorCode":                     fErrorCode,
	"errorMessage":                  fErrorMessage,
	"requestID":                     fRequestID,
	"eventID":                       fEventID,
	"eventType":                     fEventType,
	"apiVersion":                    fAPIVersion,
	"recipientAccountId":            fRecipientAccountID,
	"sharedEventID":                 fSharedEventID,
	"vpcEndpointId":                 fVPCEndpointID,
	"vpcEndpointAccountId":          fVPCEndpointAccountID,
	"eventCategory":                 fEventCategory,
	"sessionCredentialFromConsole":  fSessionCredentialFromConsole,
	"eventTime":                     fEventTime,
	"readOnly":                      fReadOnly,
	"managementEvent":               fManagementEvent,
	"userIdentity.type":             fUserType,
	"userIdentity.principalId":      fUserPrincipalID,
	"userIdentity.arn":              fUserARN,
	"userIdentity.accountId":        fUserAccountID,
	"userIdentity.accessKeyId":      fUserAccessKeyID,
	"userIdentity.userName":         fUserName,
	"userIdentity.invokedBy":        fUserInvokedBy,
	"userIdentity.identityProvider": fUserIdentityProvider,
	"userIdentity.credentialId":     fUserCredentialID,
	"userIdentity.sessionContext.sessionIssuer.type":          fIssuerType,
	"userIdentity.sessionContext.sessionIssuer.principalId":   fIssuerPrincipalID,
	"userIdentity.sessionContext.sessionIssuer.arn":           fIssuerARN,
	"userIdentity.sessionContext.sessionIssuer.accountId":     fIssuerAccountID,
	"userIdentity.sessionContext.sessionIssuer.userName":      fIssuerUserName,
	"userIdentity.sessionContext.sourceIdentity":              fSourceIdentity,
	"userIdentity.sessionContext.ec2RoleDelivery":             fEC2RoleDelivery,
	"userIdentity.sessionContext.attributes.creationDate":     fCreationDate,
	"userIdentity.sessionContext.attributes.mfaAuthenticated": fMFAAuthenticated,
}

// typedValue reads field c of a decoded record. It answers (value, true)
// when the typed fields say for certain what the field is, and (_, false)
// when only the record's JSON can (a member the model kept in Extra). One
// switch, so that a rule's test costs one jump, not a chain of closures.
func typedValue(r *event.Record, c fieldCode) (value, bool) {
	switch c {
	case fEventVersion:
		return str(r.EventVersion, r.Extra)
	case fEventSource:
		return str(r.EventSource, r.Extra)
	case fEventName:
		return str(r.EventName, r.Extra)
	case fAWSRegion:
		return str(r.AWSRegion, r.Extra)
	case fSourceIPAddress:
		return str(r.SourceIPAddress, r.Extra)
	case fUserAgent:
		return str(r.UserAgent, r.Extra)
	case fErrorCode:
		return str(r.ErrorCode, r.Extra)
	case fErrorMessage:
		return str(r.ErrorMessage, r.Extra)
	case fRequestID:
		return str(r.RequestID, r.Extra)
	case fEventID:
		return str(r.EventID, r.Extra)
	case fEventType:
		return str(r.EventType, r.Extra)
	case fAPIVersion:
		return str(r.APIVersion, r.Extra)
	case fRecipientAccountID:
		return str(r.RecipientAccountID, r.Extra)
	case fSharedEventID:
		return str(r.SharedEventID, r.Extra)
	case fVPCEndpointID:
		return str(r.VPCEndpointID, r.Extra)
	case fVPCEndpointAccountID:
		return str(r.VPCEndpointAccountID, r.Extra)
	case fEventCategory:
		return str(r.EventCategory, r.Extra)
	case fSessionCredentialFromConsole:
		return str(r.SessionCredentialFromConsole, r.Extra)
	case fEventTime:
		if r.EventTime.IsZero() {
			return value{}, len(r.Extra) == 0
		}
		return value{kind: event.String, s: r.EventTime.UTC().Format(time.RFC3339)}, true
	case fReadOnly:
		return boolPtr(r.ReadOnly, r.Extra)
	case fManagementEvent:
		return boolPtr(r.ManagementEvent, r.Extra)
	}
	if c <= fUserCredentialID {
		u := r.UserIdentity
		if u == nil {
			return value{}, len(r.Extra) == 0
		}
		switch c {
		case fUserType:
			return str(u.Type, u.Extra)
		case fUserPrincipalID:
			return str(u.PrincipalID, u.Extra)
		case fUserARN:
			return str(u.ARN, u.Extra)
		case fUserAccountID:
			return str(u.AccountID, u.Extra)
		case fUserAccessKeyID:
			return str(u.AccessKeyID, u.Extra)
		case fUserName:
			return str(u.UserName, u.Extra)
		case fUserInvokedBy:
			return str(u.InvokedBy, u.Extra)
		case fUserIdentityProvider:
			return str(u.IdentityProvider, u.Extra)
		}
		return str(u.CredentialID, u.Extra)
	}
	sc, known := sessionOf(r)
	if sc == nil {
		return value{}, known
	}
	switch c {
	case fSourceIdentity:
		return str(sc.SourceIdentity, sc.Extra)
	case fEC2RoleDelivery:
		return str(sc.EC2RoleDelivery, sc.Extra)
	case fCreationDate, fMFAAuthenticated:
		a := sc.Attributes
		if a == nil {
			return value{}, len(sc.Extra) == 0
		}
		if c == fCreationDate {
			return str(a.CreationDate, a.Extra)
		}
		return str(a.MFAAuthenticated, a.Extra)
	}
	si := sc.SessionIssuer
	if si == nil {
		return value{}, len(sc.Extra) == 0
	}
	switch c {
	case fIssuerType:
		return str(si.Type, si.Extra)
	case fIssuerPrincipalID:
		return str(si.PrincipalID, si.Extra)
	case fIssuerARN:
		return str(si.ARN, si.Extra)
	case fIssuerAccountID:
		return str(si.AccountID, si.Extra)
	}
	return str(si.UserName, si.Extra)
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

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
