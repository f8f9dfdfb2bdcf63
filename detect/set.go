package detect

import (
	"encoding/binary"
	"slices"
	"sync"
	"unicode/utf8"

	"github.com/trailkit/trailkit/event"
)

var docs = sync.Pool{New: func() any { return new(doc) }}

func getDoc() *doc { return docs.Get().(*doc) }

func putDoc(d *doc) {
	d.rec, d.json, d.scanned = nil, nil, nil
	if cap(d.enc) > 1<<20 {
		d.enc = nil
	}
	docs.Put(d)
}

// Set is a compiled set of rules, indexed so that a record is tested only
// against the rules that can match it: a rule that names the eventName
// (or, failing that, the eventSource) it matches is looked up by it, and
// only the rules that name neither are tried on every record. A Set is
// safe for concurrent use.
type Set struct {
	rules    []*Rule
	byName   hindex // foldHash(eventName) → rule indexes
	bySource hindex // foldHash(eventSource) → rule indexes
	always   []int32
}

// NewSet indexes rules. Findings come in the order of rules.
func NewSet(rules ...*Rule) *Set {
	s := &Set{rules: rules}
	byName, bySource := map[uint64][]int32{}, map[uint64][]int32{}
	for i, r := range rules {
		c := constraints(r.root)
		switch {
		case c.names != nil:
			for _, n := range c.names {
				h := foldHash(n)
				if !slices.Contains(byName[h], int32(i)) {
					byName[h] = append(byName[h], int32(i))
				}
			}
		case c.sources != nil:
			for _, n := range c.sources {
				h := foldHash(n)
				if !slices.Contains(bySource[h], int32(i)) {
					bySource[h] = append(bySource[h], int32(i))
				}
			}
		default:
			s.always = append(s.always, int32(i))
		}
	}
	s.byName, s.bySource = newHindex(byName), newHindex(bySource)
	return s
}

// hindex is a small open-addressing table from a foldHash to rule
// indexes: cheaper to probe than a Go map, which matters on Emit's path.
type hindex struct {
	mask  uint64
	slots []hslot
}

type hslot struct {
	h     uint64 // 0 marks an empty slot (foldHash never returns 0)
	rules []int32
}

func newHindex(m map[uint64][]int32) hindex {
	if len(m) == 0 {
		return hindex{}
	}
	n := 8
	for n < 2*len(m) {
		n *= 2
	}
	x := hindex{mask: uint64(n - 1), slots: make([]hslot, n)}
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
	d := getDoc()
	defer putDoc(d)
	d.setRecord(rec)
	s.match(d, rec.EventSource, rec.EventName, fn)
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
	d := getDoc()
	defer putDoc(d)
	d.setJSON(b, members)
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
	for _, i := range s.always {
		if s.rules[i].root.eval(d) {
			hits = append(hits, i)
		}
	}
	if s.bySource.slots != nil {
		for _, i := range s.bySource.get(foldHash(src)) {
			if s.rules[i].root.eval(d) {
				hits = append(hits, i)
			}
		}
	}
	for _, i := range s.byName.get(foldHash(name)) {
		if s.rules[i].root.eval(d) {
			hits = append(hits, i)
		}
	}
	d.hits = hits
	if len(hits) > 1 {
		slices.Sort(hits)
	}
	for _, i := range hits {
		fn(s.rules[i])
	}
}

// foldHash is FNV-1a of s in ASCII lower case: the index key of an
// eventName or eventSource, computed without building the lower-case
// string. A collision only makes a rule evaluated on a record it does not
// match. Rules are indexed under ASCII values only (see exactValues), for
// which ASCII folding is the whole of case-insensitive equality.
func foldHash(s string) uint64 {
	// The length and the first and last eight bytes: enough to tell
	// eventNames and eventSources apart, in constant time.
	h := (uint64(14695981039346656037) ^ uint64(len(s))) * 1099511628211
	if len(s) < 8 {
		var w uint64
		for i := len(s) - 1; i >= 0; i-- {
			w = w<<8 | uint64(s[i])
		}
		return mix(h, w)
	}
	h = mix(h, binary.LittleEndian.Uint64(stringBytes(s[:8])))
	return mix(h, binary.LittleEndian.Uint64(stringBytes(s[len(s)-8:])))
}

// mix folds the ASCII upper-case letters of w to lower case, eight bytes
// at once, and mixes w into h.
func mix(h, w uint64) uint64 {
	low7 := w & 0x7f7f7f7f7f7f7f7f
	geA := low7 + 0x3f3f3f3f3f3f3f3f // high bit set where byte >= 'A'
	gtZ := low7 + 0x2525252525252525 // high bit set where byte > 'Z'
	w |= (geA &^ gtZ &^ w & 0x8080808080808080) >> 2
	h = (h ^ w) * 1099511628211
	h ^= h >> 29
	return max(h, 1) // 0 marks an empty hindex slot
}

// constraint is what a condition says about the eventName and
// eventSource a record must have to match: nil when it could be any.
type constraint struct {
	names, sources []string
}

// constraints derives the index keys of a condition. It may answer a
// superset (a rule is evaluated in full on the records it is indexed
// under) but never a subset.
func constraints(n node) constraint {
	switch n := n.(type) {
	case andNode:
		var c constraint
		for _, sub := range n {
			sc := constraints(sub)
			if sc.names != nil && (c.names == nil || len(sc.names) < len(c.names)) {
				c.names = sc.names
			}
			if sc.sources != nil && (c.sources == nil || len(sc.sources) < len(c.sources)) {
				c.sources = sc.sources
			}
		}
		return c
	case orNode:
		var c constraint
		anyName, anySource := false, false
		for _, sub := range n {
			sc := constraints(sub)
			if sc.names == nil {
				anyName = true
			}
			if sc.sources == nil {
				anySource = true
			}
			c.names = append(c.names, sc.names...)
			c.sources = append(c.sources, sc.sources...)
		}
		if anyName {
			c.names = nil
		}
		if anySource {
			c.sources = nil
		}
		return c
	}
	field, values := exactValues(n)
	switch field {
	case "eventName":
		return constraint{names: values}
	case "eventSource":
		return constraint{sources: values}
	}
	return constraint{}
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

// exactValues returns the field a leaf tests and the values it accepts,
// when it accepts only those exact values.
func exactValues(n node) (string, []string) {
	switch n := n.(type) {
	case *cwCompare:
		if n.op == "=" && n.str.op == opEqual && len(n.path.segs) == 1 {
			if k := keys([]string{n.str.s}); k != nil {
				return n.path.segs[0].key, k
			}
		}
	case *sigmaField:
		if n.all || len(n.path.segs) != 1 || len(n.ms) == 0 {
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
			return n.path.segs[0].key, k
		}
	}
	return "", nil
}
