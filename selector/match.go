package selector

import (
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
			s := &list[i]
			// Looking for the resource type here, inline, spares the call
			// for the data selectors of other types.
			first := -1
			if s.resourceType.s != "" {
				if first = firstOfType(r, &s.resourceType); first < 0 {
					continue
				}
			}
			if s.evaluateFrom(r, first).matched() {
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
	exclude    patterns
	data       []basicResource
}

type basicResource struct {
	typ      pattern
	all      bool     // an "all resources of the type" value such as arn:aws:s3
	prefixes patterns // S3 object values: plain string prefixes
	exact    valueSet // Lambda and DynamoDB values: whole ARNs
}

func compileBasic(s EventSelector) basicSelector {
	c := basicSelector{
		readWrite:  s.ReadWriteType,
		management: s.IncludeManagementEvents == nil || *s.IncludeManagementEvents,
		exclude:    newPatterns(s.ExcludeManagementEventSources),
	}
	if c.readWrite == All {
		c.readWrite = ""
	}
	for _, d := range s.DataResources {
		res := basicResource{typ: newPattern(d.Type, 0)}
		var prefixes, exact []string
		for _, v := range d.Values {
			switch {
			case isAllResourcesValue(d.Type, v):
				res.all = true
			case d.Type == basicTypeS3Object:
				prefixes = append(prefixes, v)
			default:
				exact = append(exact, v)
			}
		}
		res.prefixes, res.exact = newPatterns(prefixes), newValueSet(exact)
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
		if s.exclude.anyEqual(r.EventSource) {
			return miss(reasonExcludedSource, -1)
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
	if len(res.Type) != len(d.typ.s) || !d.typ.is(res.Type) {
		return false
	}
	if d.all {
		return true
	}
	arn := resourceARN(res)
	return d.exact.contains(arn) || d.prefixes.anyPrefixOf(arn)
}

// Advanced selectors.

type advancedSelector struct {
	index    int
	category category
	// conds are the record-level conditions, in the order written.
	conds []condition
	// resourceType and resourceConds apply to one resources entry: a data
	// selector matches when some entry has the type and satisfies them all.
	resourceType   pattern
	resourceTypeAt int
	resourceConds  []condition
}

// condition is one field selector, compiled.
type condition struct {
	at                         int // index in FieldSelectors
	field                      field
	selects                    bool // has Equals, StartsWith or EndsWith values
	deselects                  bool // has NotEquals, NotStartsWith or NotEndsWith values
	equals, notEquals          valueSet
	startsWith, endsWith       patterns
	notStartsWith, notEndsWith patterns
	// readOnly is the outcome for an absent, false and true readOnly,
	// when field is readOnly.
	readOnly [3]reason
}

func compileAdvanced(index int, s AdvancedEventSelector) advancedSelector {
	c := advancedSelector{index: index, resourceTypeAt: -1}
	for j, f := range s.FieldSelectors {
		id := fieldByName(f.Field)
		switch id {
		case fieldEventCategory:
			c.category = categoryByName(f.Equals[0])
		case fieldResourcesType:
			c.resourceType, c.resourceTypeAt = newPattern(f.Equals[0], 0), j
		case fieldResourcesARN:
			c.resourceConds = append(c.resourceConds, compileCondition(j, id, f))
		default:
			c.conds = append(c.conds, compileCondition(j, id, f))
		}
	}
	return c
}

func compileCondition(at int, id field, f FieldSelector) condition {
	c := condition{
		at:            at,
		field:         id,
		selects:       len(f.Equals)+len(f.StartsWith)+len(f.EndsWith) > 0,
		deselects:     len(f.NotEquals)+len(f.NotStartsWith)+len(f.NotEndsWith) > 0,
		equals:        newValueSet(f.Equals),
		notEquals:     newValueSet(f.NotEquals),
		startsWith:    newPatterns(f.StartsWith),
		endsWith:      newPatterns(f.EndsWith),
		notStartsWith: newPatterns(f.NotStartsWith),
		notEndsWith:   newPatterns(f.NotEndsWith),
	}
	if id == fieldReadOnly {
		// readOnly has three possible values; test each once now, so that
		// matching looks the outcome up instead of comparing strings.
		for i, v := range [...]string{"", "false", "true"} {
			c.readOnly[i] = c.test(v)
		}
	}
	return c
}

func (s *advancedSelector) evaluate(r *event.Record) verdict {
	first := -1
	if s.resourceType.s != "" {
		if first = firstOfType(r, &s.resourceType); first < 0 {
			return miss(reasonNoResourceOfType, s.resourceTypeAt)
		}
	}
	return s.evaluateFrom(r, first)
}

// evaluateFrom evaluates a record whose first resources entry of the
// selector's type is r.Resources[first] (-1 for selectors without a type).
// The type is the most selective condition of a data selector and the
// cheapest to test, so callers test it first.
func (s *advancedSelector) evaluateFrom(r *event.Record, first int) verdict {
	for i := range s.conds {
		c := &s.conds[i]
		var why reason
		if c.field == fieldReadOnly {
			why = c.readOnly[readOnlyIndex(r.ReadOnly)]
		} else {
			why = c.test(fieldValue(r, c.field))
		}
		if why != reasonMatched {
			return miss(why, c.at)
		}
	}
	switch {
	case first < 0:
		return matched
	case len(s.resourceConds) == 0:
		return verdict{why: reasonMatched, at: -1, res: int16(first)}
	}
	return s.evaluateResources(r, first)
}

// readOnlyIndex maps an absent, false and true readOnly to 0, 1 and 2.
func readOnlyIndex(b *bool) int {
	switch {
	case b == nil:
		return 0
	case *b:
		return 2
	}
	return 1
}

// evaluateResources finds a resources entry of the selector's type, from
// r.Resources[first] on, that satisfies its resources.ARN conditions. When
// none does, the verdict of the first entry of the type says why.
func (s *advancedSelector) evaluateResources(r *event.Record, first int) verdict {
	var firstMiss verdict
	for j := first; j < len(r.Resources); j++ {
		res := &r.Resources[j]
		if j > first && (len(res.Type) != len(s.resourceType.s) || !s.resourceType.is(res.Type)) {
			continue
		}
		arn := resourceARN(res)
		why, at := reasonMatched, -1
		for i := range s.resourceConds {
			c := &s.resourceConds[i]
			if why = c.test(arn); why != reasonMatched {
				at = c.at
				break
			}
		}
		v := verdict{why: why, at: int16(at), res: int16(j)}
		if why == reasonMatched {
			return v
		}
		if j == first {
			firstMiss = v
		}
	}
	return firstMiss
}

// firstOfType returns the index of the first resources entry of the type,
// or -1.
func firstOfType(r *event.Record, typ *pattern) int {
	for i := range r.Resources {
		if t := r.Resources[i].Type; len(t) == len(typ.s) && typ.is(t) {
			return i
		}
	}
	return -1
}

// test applies the condition to a record value, "" when the record lacks
// the field. SELECT operators are OR'ed, a hit on any DESELECT operator
// rejects, and the two groups are AND'ed. An absent value fails SELECT
// operators and triggers no DESELECT operator.
func (c *condition) test(v string) reason {
	switch {
	case v == "" && c.selects:
		return reasonAbsent
	case v == "":
		return reasonMatched
	// valueSet.contains, spelt out so that it is inlined.
	case c.deselects && (c.notEquals.lengths&(1<<(len(v)&63)) != 0 && (c.notEquals.small.anyEqual(v) || c.notEquals.large != nil && inMap(c.notEquals.large, v)) ||
		c.notStartsWith.anyPrefixOf(v) || c.notEndsWith.anySuffixOf(v)):
		return reasonDeselected
	case c.selects && !(c.equals.lengths&(1<<(len(v)&63)) != 0 && (c.equals.small.anyEqual(v) || c.equals.large != nil && inMap(c.equals.large, v)) ||
		c.startsWith.anyPrefixOf(v) || c.endsWith.anySuffixOf(v)):
		return reasonNotSelected
	}
	return reasonMatched
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
