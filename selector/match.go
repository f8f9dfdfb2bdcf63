package selector

import (
	"slices"
	"strings"

	"github.com/trailkit/trailkit/event"
)

// Matcher decides which records a trail with a given configuration logs. It
// is immutable and safe for concurrent use; Match allocates nothing.
type Matcher struct {
	cfg       Config // validated, with the default filled in; owned
	isDefault bool
	advanced  bool
	basic     []basicSelector
	// byCategory holds the advanced selectors of each trail category, so a
	// record is only tested against the selectors that can log it.
	byCategory [numTrailCategories][]advancedSelector
	// advancedOrder points into byCategory in configuration order.
	advancedOrder []*advancedSelector
	insights      []InsightSelector
}

// Compile validates cfg (see Config.Validate) and returns its matcher. A
// Config whose EventSelectors and AdvancedEventSelectors are both nil gets
// CloudTrail's default for a new trail: all management events.
func Compile(cfg Config, opts Options) (*Matcher, error) {
	if err := cfg.Validate(opts); err != nil {
		return nil, err
	}
	cfg = cloneConfig(cfg)
	m := &Matcher{insights: cfg.InsightSelectors}
	if cfg.EventSelectors == nil && cfg.AdvancedEventSelectors == nil {
		cfg.EventSelectors = DefaultConfig().EventSelectors
		m.isDefault = true
	}
	m.cfg = cfg
	if cfg.AdvancedEventSelectors != nil {
		m.advanced = true
		for i, s := range cfg.AdvancedEventSelectors {
			c := compileAdvanced(i, s)
			m.byCategory[c.category] = append(m.byCategory[c.category], c)
		}
		m.advancedOrder = make([]*advancedSelector, len(cfg.AdvancedEventSelectors))
		for k := range m.byCategory {
			for j := range m.byCategory[k] {
				c := &m.byCategory[k][j]
				m.advancedOrder[c.index] = c
			}
		}
		return m, nil
	}
	for _, s := range cfg.EventSelectors {
		m.basic = append(m.basic, compileBasic(s))
	}
	return m, nil
}

// Default returns the matcher of a trail without configured selectors.
func Default() *Matcher {
	m, err := Compile(Config{}, Options{})
	if err != nil {
		panic("selector: the default configuration does not validate: " + err.Error())
	}
	return m
}

// Config returns the configuration m was compiled from, with the default
// event selector filled in when none was given.
func (m *Matcher) Config() Config { return cloneConfig(m.cfg) }

// Match reports whether the trail logs r: whether r satisfies at least one
// of its event selectors. Insights records never match; CloudTrail Insights
// produces them (see InsightSelectors). A nil record does not match.
func (m *Matcher) Match(r *event.Record) bool {
	if r == nil {
		return false
	}
	cat := categoryOf(r)
	if m.advanced {
		if cat >= numTrailCategories {
			return false
		}
		list := m.byCategory[cat]
		for i := range list {
			if list[i].evaluate(r).matched() {
				return true
			}
		}
		return false
	}
	for i := range m.basic {
		if m.basic[i].evaluate(r, cat).matched() {
			return true
		}
	}
	return false
}

// category is a record's event category as a small integer. The trail
// categories come first so that they can index byCategory.
type category uint8

const (
	catManagement category = iota
	catData
	catNetwork
	numTrailCategories
	catInsight = numTrailCategories
	catOther   = numTrailCategories + 1
)

func categoryOf(r *event.Record) category {
	switch r.Category() {
	case event.CategoryManagement:
		return catManagement
	case event.CategoryData:
		return catData
	case event.CategoryNetwork:
		return catNetwork
	case event.CategoryInsight:
		return catInsight
	}
	return catOther
}

func categoryByName(name string) category {
	switch name {
	case CategoryManagement:
		return catManagement
	case CategoryData:
		return catData
	case CategoryNetwork:
		return catNetwork
	}
	return catOther
}

// verdict is the outcome of one selector for one record: matched, or why
// not. It is a few bytes so that Match and Explain can share one code path
// at no cost to Match.
type verdict struct {
	why reason
	at  int16 // the field selector or data resource that decided, or -1
	res int16 // the resources entry involved, or -1
}

type reason uint8

const (
	reasonMatched          reason = iota
	reasonInsight                 // Insights records are never selected
	reasonCategory                // the selector logs another category
	reasonReadWrite               // basic ReadWriteType excludes the record
	reasonNoManagement            // basic IncludeManagementEvents is false
	reasonExcludedSource          // basic ExcludeManagementEventSources
	reasonNoDataResource          // no basic DataResources entry matches
	reasonAbsent                  // the record lacks a field the selector needs
	reasonDeselected              // the value hit a Not* operator
	reasonNotSelected             // the value matched no Equals/StartsWith/EndsWith
	reasonNoResourceOfType        // no resources entry of the selector's type
)

func (v verdict) matched() bool { return v.why == reasonMatched }

var matched = verdict{why: reasonMatched, at: -1, res: -1}

func miss(why reason, at int) verdict { return verdict{why: why, at: int16(at), res: -1} }

// Basic selectors.

type basicSelector struct {
	readWrite  ReadWriteType // "" means All
	management bool
	exclude    []string
	data       []basicResource
}

type basicResource struct {
	typ      string
	all      bool      // an "all resources of the type" value such as arn:aws:s3
	prefixes []string  // S3 object values: plain string prefixes
	exact    stringSet // Lambda and DynamoDB values: whole ARNs
}

func compileBasic(s EventSelector) basicSelector {
	c := basicSelector{
		readWrite:  s.ReadWriteType,
		management: s.IncludeManagementEvents == nil || *s.IncludeManagementEvents,
		exclude:    s.ExcludeManagementEventSources,
	}
	if c.readWrite == All {
		c.readWrite = ""
	}
	for _, d := range s.DataResources {
		res := basicResource{typ: d.Type}
		var exact []string
		for _, v := range d.Values {
			switch {
			case isAllResourcesValue(d.Type, v):
				res.all = true
			case d.Type == basicTypeS3Object:
				res.prefixes = append(res.prefixes, v)
			default:
				exact = append(exact, v)
			}
		}
		res.exact = newStringSet(exact)
		c.data = append(c.data, res)
	}
	return c
}

// isAllResourcesValue reports whether a basic value selects every resource
// of its type: arn:<partition>:s3, arn:<partition>:s3:::,
// arn:<partition>:lambda, arn:<partition>:dynamodb.
func isAllResourcesValue(typ, v string) bool {
	_, rest, ok := splitARN(v)
	if !ok {
		return false
	}
	return rest == "" || typ == basicTypeS3Object && rest == ":::"
}

func (s *basicSelector) evaluate(r *event.Record, cat category) verdict {
	switch cat {
	case catManagement, catData:
	case catInsight:
		return miss(reasonInsight, -1)
	default:
		return miss(reasonCategory, -1)
	}
	if s.readWrite != "" && (r.ReadOnly == nil || *r.ReadOnly != (s.readWrite == ReadOnly)) {
		return miss(reasonReadWrite, -1)
	}
	if cat == catManagement {
		if !s.management {
			return miss(reasonNoManagement, -1)
		}
		for i, src := range s.exclude {
			if r.EventSource == src {
				return miss(reasonExcludedSource, i)
			}
		}
		return matched
	}
	for i := range s.data {
		d := &s.data[i]
		for j := range r.Resources {
			if d.matches(&r.Resources[j]) {
				return verdict{why: reasonMatched, at: int16(i), res: int16(j)}
			}
		}
	}
	return miss(reasonNoDataResource, -1)
}

func (d *basicResource) matches(res *event.Resource) bool {
	if res.Type != d.typ {
		return false
	}
	if d.all {
		return true
	}
	arn := resourceARN(res)
	if d.exact.contains(arn) {
		return true
	}
	for _, p := range d.prefixes {
		if strings.HasPrefix(arn, p) {
			return true
		}
	}
	return false
}

// Advanced selectors.

type advancedSelector struct {
	index    int
	category category
	// conds are the record-level conditions, in the order written.
	conds []condition
	// resourceType and resourceConds apply to one resources entry: a data
	// selector matches when some entry has the type and satisfies them all.
	resourceType   string
	resourceTypeAt int
	resourceConds  []condition
}

// condition is one field selector, compiled. Equals and NotEquals are sets;
// the prefix and suffix lists are short and scanned.
type condition struct {
	at                     int // index in FieldSelectors
	field                  field
	equals, notEquals      stringSet
	startsWith, endsWith   []string
	notStartsWith, notEnds []string
	selects                bool // has Equals, StartsWith or EndsWith values
}

func compileAdvanced(index int, s AdvancedEventSelector) advancedSelector {
	c := advancedSelector{index: index, resourceTypeAt: -1}
	for j, f := range s.FieldSelectors {
		id := fieldByName(f.Field)
		switch id {
		case fieldEventCategory:
			c.category = categoryByName(f.Equals[0])
		case fieldResourcesType:
			c.resourceType, c.resourceTypeAt = f.Equals[0], j
		case fieldResourcesARN:
			c.resourceConds = append(c.resourceConds, compileCondition(j, id, f))
		default:
			c.conds = append(c.conds, compileCondition(j, id, f))
		}
	}
	return c
}

func compileCondition(at int, id field, f FieldSelector) condition {
	return condition{
		at:            at,
		field:         id,
		equals:        newStringSet(f.Equals),
		notEquals:     newStringSet(f.NotEquals),
		startsWith:    f.StartsWith,
		endsWith:      f.EndsWith,
		notStartsWith: f.NotStartsWith,
		notEnds:       f.NotEndsWith,
		selects:       len(f.Equals)+len(f.StartsWith)+len(f.EndsWith) > 0,
	}
}

func (s *advancedSelector) evaluate(r *event.Record) verdict {
	for i := range s.conds {
		c := &s.conds[i]
		if v := c.test(c.field.value(r)); !v.matched() {
			return v
		}
	}
	if s.resourceType == "" {
		return matched
	}
	first := miss(reasonNoResourceOfType, s.resourceTypeAt)
	for j := range r.Resources {
		res := &r.Resources[j]
		if res.Type != s.resourceType {
			continue
		}
		v := s.testResource(res)
		v.res = int16(j)
		if v.matched() {
			return v
		}
		if first.why == reasonNoResourceOfType {
			first = v
		}
	}
	return first
}

func (s *advancedSelector) testResource(res *event.Resource) verdict {
	arn := resourceARN(res)
	for i := range s.resourceConds {
		if v := s.resourceConds[i].test(arn, arn != ""); !v.matched() {
			return v
		}
	}
	return matched
}

// test applies the condition to a record value. SELECT operators are OR'ed,
// a hit on any DESELECT operator rejects, and the two groups are AND'ed. An
// absent value fails SELECT operators and triggers no DESELECT operator.
func (c *condition) test(v string, present bool) verdict {
	if !present {
		if c.selects {
			return miss(reasonAbsent, c.at)
		}
		return matched
	}
	if c.notEquals.contains(v) || hasAnyPrefix(v, c.notStartsWith) || hasAnySuffix(v, c.notEnds) {
		return miss(reasonDeselected, c.at)
	}
	if !c.selects || c.equals.contains(v) || hasAnyPrefix(v, c.startsWith) || hasAnySuffix(v, c.endsWith) {
		return matched
	}
	return miss(reasonNotSelected, c.at)
}

func hasAnyPrefix(v string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	return false
}

func hasAnySuffix(v string, suffixes []string) bool {
	for _, s := range suffixes {
		if strings.HasSuffix(v, s) {
			return true
		}
	}
	return false
}

// stringSet is a set of strings: scanned when small, binary searched when
// sorted and large. Both beat a map's hashing at the sizes selectors have.
type stringSet []string

const linearSetMax = 8

func newStringSet(values []string) stringSet {
	if len(values) == 0 {
		return nil
	}
	s := slices.Clone(values)
	slices.Sort(s)
	return slices.Compact(s)
}

func (s stringSet) contains(v string) bool {
	if len(s) <= linearSetMax {
		for _, x := range s {
			if x == v {
				return true
			}
		}
		return false
	}
	_, found := slices.BinarySearch(s, v)
	return found
}

func cloneConfig(c Config) Config {
	out := Config{
		EventSelectors:         cloneSlice(c.EventSelectors),
		AdvancedEventSelectors: cloneSlice(c.AdvancedEventSelectors),
		InsightSelectors:       cloneSlice(c.InsightSelectors),
	}
	for i := range out.EventSelectors {
		s := &out.EventSelectors[i]
		if s.IncludeManagementEvents != nil {
			s.IncludeManagementEvents = boolPtr(*s.IncludeManagementEvents)
		}
		s.ExcludeManagementEventSources = cloneSlice(s.ExcludeManagementEventSources)
		s.DataResources = cloneSlice(s.DataResources)
		for j := range s.DataResources {
			s.DataResources[j].Values = cloneSlice(s.DataResources[j].Values)
		}
	}
	for i := range out.AdvancedEventSelectors {
		s := &out.AdvancedEventSelectors[i]
		s.FieldSelectors = cloneSlice(s.FieldSelectors)
		for j := range s.FieldSelectors {
			f := &s.FieldSelectors[j]
			for _, op := range []*[]string{&f.Equals, &f.StartsWith, &f.EndsWith, &f.NotEquals, &f.NotStartsWith, &f.NotEndsWith} {
				*op = cloneSlice(*op)
			}
		}
	}
	for i := range out.InsightSelectors {
		out.InsightSelectors[i].EventCategories = cloneSlice(out.InsightSelectors[i].EventCategories)
	}
	return out
}

// cloneSlice copies s, keeping nil nil and empty empty.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
