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
