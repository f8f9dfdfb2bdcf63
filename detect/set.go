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
	d.rec, d.json = nil, nil
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
	byName   map[uint64][]int32 // foldHash(eventName) → rule indexes
	bySource map[uint64][]int32 // foldHash(eventSource) → rule indexes
	always   []int32
}

// NewSet indexes rules. Findings come in the order of rules.
func NewSet(rules ...*Rule) *Set {
	s := &Set{rules: rules, byName: map[uint64][]int32{}, bySource: map[uint64][]int32{}}
	for i, r := range rules {
		c := constraints(r.root)
		switch {
		case c.names != nil:
			for _, n := range c.names {
				h := foldHash(n)
				if !slices.Contains(s.byName[h], int32(i)) {
					s.byName[h] = append(s.byName[h], int32(i))
				}
			}
		case c.sources != nil:
			for _, n := range c.sources {
				h := foldHash(n)
				if !slices.Contains(s.bySource[h], int32(i)) {
					s.bySource[h] = append(s.bySource[h], int32(i))
				}
			}
		default:
			s.always = append(s.always, int32(i))
		}
	}
	return s
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
	d := getDoc()
	defer putDoc(d)
	d.setJSON(b)
	src, name := d.topText("eventSource"), d.topText("eventName")
	var f JSONFinding
	s.match(d, src, name, func(r *Rule) {
		if f.Rule == nil {
			f = JSONFinding{Record: b, EventID: d.topText("eventID"), EventName: name,
				EventTime: d.topText("eventTime"), AWSRegion: d.topText("awsRegion")}
		}
		f.Rule = r
		fn(f)
	})
}

// topText returns a top-level string member of the record's JSON.
func (d *doc) topText(key string) string {
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
	if len(s.bySource) > 0 {
		for _, i := range s.bySource[foldHash(src)] {
			if s.rules[i].root.eval(d) {
				hits = append(hits, i)
			}
		}
	}
	for _, i := range s.byName[foldHash(name)] {
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
	h := uint64(14695981039346656037) ^ uint64(len(s))
	for len(s) > 0 {
		var w uint64
		n := 8
		if len(s) >= 8 {
			w = binary.LittleEndian.Uint64(stringBytes(s[:8]))
		} else {
			n = len(s)
			for i := n - 1; i >= 0; i-- {
				w = w<<8 | uint64(s[i])
			}
		}
		s = s[n:]
		// Set bit 5 of the ASCII upper-case letters, eight bytes at once.
		low7 := w & 0x7f7f7f7f7f7f7f7f
		geA := low7 + 0x3f3f3f3f3f3f3f3f // high bit set where byte >= 'A'
		gtZ := low7 + 0x2525252525252525 // high bit set where byte > 'Z'
		upper := geA &^ gtZ &^ w & 0x8080808080808080
		w |= upper >> 2
		h = (h ^ w) * 1099511628211
		h ^= h >> 29
	}
	return h
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
