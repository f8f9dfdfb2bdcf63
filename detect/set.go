package detect

import (
	"encoding/binary"
	"maps"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/trailkit/trailkit/event"
)

var docs = sync.Pool{New: func() any { return new(doc) }}

func getDoc() *doc { return docs.Get().(*doc) }

func putDoc(d *doc) {
	d.release()
	docs.Put(d)
}

// release drops what d holds of the record it evaluated, and a buffer
// grown for a huge one.
func (d *doc) release() {
	d.rec, d.json, d.scanned, d.nested, d.nestedObjs = nil, nil, nil, nil, nil
	if cap(d.enc) > 1<<20 {
		d.enc = nil
	}
}

// Set is a compiled set of rules, indexed so that a record is tested only
// against the rules that can match it: a rule that names the eventName
// (or, failing that, the eventSource, or the value of another typed field
// such as userIdentity.type) it matches is looked up by it, and only the
// rules that name none are tried on every record. A Set is
// safe for concurrent use.
type Set struct {
	rules    []*Rule
	byName   hindex // foldHash(eventName) → rule indexes
	bySource hindex // foldHash(eventSource) → rule indexes
	byField  []fieldIndex
	always   []int32
	// needs[k] is a field that always[k] cannot match without (nil:
	// none known): tested once, rather than the rule's leaves each
	// finding it missing (CIS 4.1 reads errorCode twice).
	needs []*fieldPath
	// gates[k] is a leaf always[k] cannot match without that a decoded
	// record's typed fields decide without a doc (nil: none), so that a
	// live trail's record that fails it costs no doc at all.
	gates []*sigmaField
	// spare is a doc kept for the next evaluation: cheaper to take than
	// one from the pool. A Set evaluated on several goroutines at once
	// falls back to the pool.
	spare atomic.Pointer[doc]
}

// fieldIndex indexes the rules that name neither eventName nor
// eventSource but require another field to have one of a few values
// (userIdentity.type: Root).
type fieldIndex struct {
	path  fieldPath // read as a Sigma rule reads it: every value it has
	rules hindex    // foldHash(value) → rule indexes
}

// NewSet indexes rules. Findings come in the order of rules.
func NewSet(rules ...*Rule) *Set {
	s := &Set{rules: rules}
	byName, bySource := map[uint64][]int32{}, map[uint64][]int32{}
	byField := map[string]map[uint64][]int32{}
	var nameLens, sourceLens uint64 // lenBit of each index's values
	fieldLens := map[string]uint64{}
	add := func(m map[uint64][]int32, lens *uint64, values []string, i int) {
		for _, v := range values {
			h := foldHash(v)
			*lens |= lenBit(v)
			if !slices.Contains(m[h], int32(i)) {
				m[h] = append(m[h], int32(i))
			}
		}
	}
	for i, r := range rules {
		c := constraints(r.root)
		if vals, ok := c["eventName"]; ok {
			add(byName, &nameLens, vals, i)
		} else if vals, ok := c["eventSource"]; ok {
			add(bySource, &sourceLens, vals, i)
		} else if f := fieldKey(c); f != "" {
			if byField[f] == nil {
				byField[f] = map[uint64][]int32{}
			}
			lens := fieldLens[f]
			add(byField[f], &lens, c[f], i)
			fieldLens[f] = lens
		} else {
			s.always = append(s.always, int32(i))
			s.needs = append(s.needs, required(r.root))
			s.gates = append(s.gates, gateOf(r.root))
		}
	}
	s.byName, s.bySource = newHindex(byName, nameLens), newHindex(bySource, sourceLens)
	for _, f := range slices.Sorted(maps.Keys(byField)) {
		fi := fieldIndex{path: fieldPath{text: f, fanout: true}, rules: newHindex(byField[f], fieldLens[f])}
		for _, k := range strings.Split(f, ".") {
			fi.path.segs = append(fi.path.segs, seg{key: k, index: -1})
		}
		compilePath(&fi.path)
		s.byField = append(s.byField, fi)
	}
	return s
}

// fieldKey chooses the field other than eventName and eventSource to
// index a rule under: one of the typed fields (read without decoding on a
// live trail), with the fewest values, the shallowest of those, or "".
func fieldKey(c map[string][]string) string {
	best := ""
	depth := func(f string) int { return strings.Count(f, ".") }
	for _, f := range slices.Sorted(maps.Keys(c)) {
		if typedFields[f] == fNone {
			continue
		}
		if best == "" || len(c[f]) < len(c[best]) || len(c[f]) == len(c[best]) && depth(f) < depth(best) {
			best = f
		}
	}
	return best
}

// hindex is a small open-addressing table from a foldHash to rule
// indexes: cheaper to probe than a Go map, which matters on Emit's path.
type hindex struct {
	mask  uint64
	slots []hslot
	// lens has lenBit(v) of every value v indexed: a value of another
	// length is answered without hashing it (a quiet record's
	// userIdentity.type and userAgent, most often).
	lens uint64
}

// lenBit is the bit of lens for a value of s's length; lengths from 63
// on share one.
func lenBit(s string) uint64 { return 1 << min(len(s), 63) }

// lookup returns the rules indexed under the value s.
func (x *hindex) lookup(s string) []int32 {
	if x.lens&lenBit(s) == 0 {
		return nil
	}
	return x.get(foldHash(s))
}

type hslot struct {
	h     uint64 // 0 marks an empty slot (foldHash never returns 0)
	rules []int32
}

func newHindex(m map[uint64][]int32, lens uint64) hindex {
	if len(m) == 0 {
		return hindex{}
	}
	n := 8
	for n < 2*len(m) {
		n *= 2
	}
	x := hindex{mask: uint64(n - 1), slots: make([]hslot, n), lens: lens}
	for h, rules := range m {
		i := h & x.mask
		for x.slots[i].h != 0 {
			i = (i + 1) & x.mask
		}
		x.slots[i] = hslot{h, rules}
	}
	return x
}

func (x *hindex) get(h uint64) []int32 {
	if x.slots == nil {
		return nil
	}
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		switch x.slots[i].h {
		case h:
			return x.slots[i].rules
		case 0:
			return nil
		}
	}
}

// Rules returns the set's rules.
func (s *Set) Rules() []*Rule { return s.rules }

// Match calls fn with each rule that matches the decoded record rec.
func (s *Set) Match(rec *event.Record, fn func(*Rule)) {
	// The rules that can match are found from the typed fields alone, so
	// that a record no rule's index holds (most records, on a live trail)
	// takes no doc.
	var buf [16]int32
	cand, ok := s.candidates(rec, buf[:0])
	if ok && len(cand) == 0 {
		return
	}
	d := s.takeDoc()
	d.setRecord(rec)
	if ok {
		hits := d.hits[:0]
		for _, i := range cand {
			if s.rules[i].root.eval(d) {
				hits = append(hits, i)
			}
		}
		d.hits = hits
		s.report(hits, fn)
	} else {
		s.match(d, rec.EventSource, rec.EventName, fn)
	}
	s.giveDoc(d) // not deferred: Emit's path; a panicking handler only loses d
}

// candidates appends to out the rules that may match the decoded record
// rec, as match would try them, reading only its typed fields. ok is false
// when they cannot tell (a field the model keeps in Extra) or out has no
// room: match must then find the rules itself.
func (s *Set) candidates(rec *event.Record, out []int32) (_ []int32, ok bool) {
	add := func(rules []int32) bool {
		if len(rules) == 0 {
			return true
		}
		if len(out)+len(rules) > cap(out) {
			return false
		}
		out = append(out, rules...)
		return true
	}
	for k := range s.always {
		if p := s.needs[k]; p != nil && p.code != fNone {
			if v, known := typedValue(rec, p.code); known && v.kind == event.Missing {
				continue
			}
		}
		if g := s.gates[k]; g != nil {
			if v, known := typedValue(rec, g.path.code); known && !g.matchTyped(nil, v) {
				continue
			}
		}
		if !add(s.always[k : k+1]) {
			return out, false
		}
	}
	if s.bySource.slots != nil && !add(s.bySource.lookup(rec.EventSource)) {
		return out, false
	}
	if !add(s.byName.lookup(rec.EventName)) {
		return out, false
	}
	for f := range s.byField {
		fi := &s.byField[f]
		v, known := typedValue(rec, fi.path.code)
		if !known {
			return out, false
		}
		if v.kind != event.Missing && !add(fi.rules.lookup(v.s)) {
			return out, false
		}
	}
	return out, true
}

// takeDoc returns a doc to evaluate with: the set's spare, or one from
// the pool.
func (s *Set) takeDoc() *doc {
	if d := s.spare.Swap(nil); d != nil {
		return d
	}
	return getDoc()
}

// giveDoc is putDoc, keeping d as the set's spare when it has none.
func (s *Set) giveDoc(d *doc) {
	d.release()
	if !s.spare.CompareAndSwap(nil, d) {
		docs.Put(d)
	}
}

// JSONFinding is a rule that matched a record's JSON text, with the
// record's identifying members ("" when absent or not strings), read while
// the rules were.
type JSONFinding struct {
	Rule      *Rule
	Record    []byte // the JSON text given to MatchJSON
	EventID   string
	EventName string
	EventTime string
	AWSRegion string
}

// MatchJSON calls fn with each rule that matches the record whose JSON
// text is b (one record, as event.Scanner.Bytes gives it). The finding's
// strings may alias b.
func (s *Set) MatchJSON(b []byte, fn func(JSONFinding)) {
	s.MatchScanned(b, nil, fn)
}

// MatchScanned is MatchJSON for a record whose top-level members the
// scanner has located, as event.Scanner.Members gives them, so that the
// rules find the members they read without reading the record again.
// members nil is MatchJSON.
func (s *Set) MatchScanned(b []byte, members []event.Member, fn func(JSONFinding)) {
	s.MatchNested(b, members, nil, nil, fn)
}

// MatchNested is MatchScanned for a record whose nested objects the
// scanner has located too, as event.Scanner.Nested gives them (with
// IndexNested set): rules that read userIdentity.type or
// requestParameters.x find them without reading those objects again.
func (s *Set) MatchNested(b []byte, members, nested []event.Member, objects []event.NestedObject, fn func(JSONFinding)) {
	d := s.takeDoc()
	defer s.giveDoc(d)
	d.setJSON(b, members, nested, objects)
	src, name := d.topText(keyEventSource), d.topText(keyEventName)
	var f JSONFinding
	s.match(d, src, name, func(r *Rule) {
		if f.Rule == nil {
			f = JSONFinding{Record: b, EventID: d.topText(keyEventID), EventName: name,
				EventTime: d.topText(keyEventTime), AWSRegion: d.topText(keyAWSRegion)}
		}
		f.Rule = r
		fn(f)
	})
}

// topText returns a top-level string member of the record's JSON.
func (d *doc) topText(key topKey) string {
	if v := d.topLevel(key); v != nil {
		if tv := rawValue(v); tv.kind == event.String {
			return tv.s
		}
	}
	return ""
}

func (s *Set) match(d *doc, src, name string, fn func(*Rule)) {
	hits := d.hits[:0]
	for k, i := range s.always {
		if p := s.needs[k]; p != nil && !d.present(p) {
			continue
		}
		if s.rules[i].root.eval(d) {
			hits = append(hits, i)
		}
	}
	if s.bySource.slots != nil {
		for _, i := range s.bySource.lookup(src) {
			if s.rules[i].root.eval(d) {
				hits = append(hits, i)
			}
		}
	}
	for _, i := range s.byName.lookup(name) {
		if s.rules[i].root.eval(d) {
			hits = append(hits, i)
		}
	}
	for f := range s.byField {
		hits = s.matchField(d, &s.byField[f], hits)
	}
	d.hits = hits
	s.report(hits, fn)
}

// report calls fn with the rules hits names, in the set's order.
func (s *Set) report(hits []int32, fn func(*Rule)) {
	if len(hits) > 1 {
		slices.Sort(hits)
	}
	for _, i := range hits {
		fn(s.rules[i])
	}
}

// matchField evaluates the rules indexed under the values the record has
// in one field, each rule once, appending those that match to hits.
func (s *Set) matchField(d *doc, fi *fieldIndex, hits []int32) []int32 {
	if v, ok := d.typed(&fi.path); ok { // a live trail's record
		if v.kind == event.Missing {
			return hits
		}
		for _, i := range fi.rules.lookup(v.s) {
			if s.rules[i].root.eval(d) {
				hits = append(hits, i)
			}
		}
		return hits
	}
	// Values as a Sigma rule sees them: every value the path reaches, and
	// the elements of those that are arrays; rules read them again.
	from := len(d.tried)
	d.keys = d.lookupTo(&fi.path, d.keys[:0])
	for _, v := range d.keys {
		if v.kind == event.Array {
			eachElement(stringBytes(v.s), func(e []byte) bool {
				s.queue(d, fi, rawValue(e).s, from)
				return true
			})
			continue
		}
		s.queue(d, fi, v.s, from)
	}
	for _, i := range d.tried[from:] {
		if s.rules[i].root.eval(d) {
			hits = append(hits, i)
		}
	}
	d.tried = d.tried[:from]
	return hits
}

// queue adds to d.tried[from:] the rules indexed under value v not
// queued yet.
func (s *Set) queue(d *doc, fi *fieldIndex, v string, from int) {
	for _, i := range fi.rules.lookup(v) {
		if !slices.Contains(d.tried[from:], i) {
			d.tried = append(d.tried, i)
		}
	}
}

// required returns a field without which n cannot match, or nil. A
// CloudWatch comparison is false unless its field holds a string or a
// number (see cwCompare.eval); an AND needs what any of its terms needs,
// an OR what all of its terms need.
func required(n node) *fieldPath {
	switch n := n.(type) {
	case *cwCompare:
		return &n.path
	case andNode:
		for _, sub := range n {
			if p := required(sub); p != nil {
				return p
			}
		}
	case orNode:
		var p *fieldPath
		for _, sub := range n {
			q := required(sub)
			if q == nil || p != nil && q.text != p.text {
				return nil
			}
			p = q
		}
		return p
	}
	return nil
}

// gateOf returns a leaf without which n cannot match and that a decoded
// record's typed fields decide with no doc: a plain Sigma field whose
// values need no case folding (a regular expression, a cased value), or
// nil.
func gateOf(n node) *sigmaField {
	switch n := n.(type) {
	case andNode:
		for _, sub := range n {
			if g := gateOf(sub); g != nil {
				return g
			}
		}
	case *sigmaField:
		if !n.plain {
			return nil
		}
		for i := range n.ms {
			if m := &n.ms[i].str; m.fold && m.op != opRegex && m.op != opAny {
				return nil
			}
		}
		return n
	}
	return nil
}

// present reports whether the record has a value at p.
func (d *doc) present(p *fieldPath) bool {
	if v, ok := d.typed(p); ok {
		return v.kind != event.Missing
	}
	d.vals = d.lookupTo(p, d.vals[:0])
	return len(d.vals) > 0
}

// foldHash is FNV-1a of s in ASCII lower case: the index key of an
// eventName or eventSource, computed without building the lower-case
// string. A collision only makes a rule evaluated on a record it does not
// match. Rules are indexed under ASCII values only (see exactValues), for
// which ASCII folding is the whole of case-insensitive equality.
func foldHash(s string) uint64 {
	// The length and the first and last eight bytes: enough to tell
	// eventNames and eventSources apart, in constant time.
	var w uint64
	switch b := stringBytes(s); {
	case len(b) >= 8:
		w = fold(binary.LittleEndian.Uint64(b)) ^ bits.RotateLeft64(fold(binary.LittleEndian.Uint64(b[len(b)-8:])), 29)
	case len(b) >= 4: // the first and last four bytes (userIdentity types)
		w = fold(uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[len(b)-4:]))<<32)
	default:
		for i := len(b) - 1; i >= 0; i-- {
			w = w<<8 | uint64(b[i])
		}
		w = fold(w)
	}
	h := (w ^ uint64(len(s))*0x9e3779b97f4a7c15) * 1099511628211
	h ^= h >> 29
	return max(h, 1) // 0 marks an empty hindex slot
}

// fold turns the ASCII upper-case letters of w to lower case, eight
// bytes at once.
func fold(w uint64) uint64 {
	low7 := w & 0x7f7f7f7f7f7f7f7f
	geA := low7 + 0x3f3f3f3f3f3f3f3f // high bit set where byte >= 'A'
	gtZ := low7 + 0x2525252525252525 // high bit set where byte > 'Z'
	return w | (geA&^gtZ&^w&0x8080808080808080)>>2
}

// constraints derives, for each field a condition requires to have one
// of a few exact values, those values (field names dotted): a record
// whose field has none of them cannot match. It may answer a superset of
// values (a rule is evaluated in full on the records it is indexed under)
// but never a subset.
func constraints(n node) map[string][]string {
	switch n := n.(type) {
	case andNode:
		c := map[string][]string{}
		for _, sub := range n {
			for f, vals := range constraints(sub) {
				if old, ok := c[f]; !ok || len(vals) < len(old) {
					c[f] = vals
				}
			}
		}
		return c
	case orNode:
		var c map[string][]string
		for i, sub := range n {
			sc := constraints(sub)
			if i == 0 {
				c = maps.Clone(sc)
				continue
			}
			for f := range c {
				if vals, ok := sc[f]; ok {
					c[f] = append(slices.Clip(c[f]), vals...)
				} else {
					delete(c, f)
				}
			}
		}
		return c
	}
	if field, values := exactValues(n); field != "" {
		return map[string][]string{field: values}
	}
	return nil
}

// keys returns exact values as index keys, or nil when one is not ASCII.
func keys(vals []string) []string {
	for _, v := range vals {
		for i := 0; i < len(v); i++ {
			if v[i] >= utf8.RuneSelf {
				return nil
			}
		}
	}
	return vals
}

// exactValues returns the field a leaf tests (dotted) and the values it
// accepts, when it accepts only those exact values.
func exactValues(n node) (string, []string) {
	switch n := n.(type) {
	case *cwCompare:
		if n.op == "=" && !n.isNum && n.str.op == opEqual {
			if f := keyPath(&n.path); f != "" {
				if k := keys([]string{n.str.s}); k != nil {
					return f, k
				}
			}
		}
	case *sigmaField:
		f := keyPath(&n.path)
		if n.all || f == "" || len(n.ms) == 0 {
			return "", nil
		}
		var vals []string
		for _, m := range n.ms {
			if m.kind != vmString || m.str.op != opEqual {
				return "", nil
			}
			vals = append(vals, m.str.s)
		}
		if k := keys(vals); k != nil {
			return f, k
		}
	}
	return "", nil
}

// keyPath returns a path of object keys only, dotted, or "".
func keyPath(p *fieldPath) string {
	keys := make([]string, 0, len(p.segs))
	for _, s := range p.segs {
		if s.index >= 0 || strings.Contains(s.key, ".") {
			return ""
		}
		keys = append(keys, s.key)
	}
	return strings.Join(keys, ".")
}
