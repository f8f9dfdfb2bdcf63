package selector

import "github.com/trailkit/trailkit/event"

// advancedSelector is a compiled AdvancedEventSelector.
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
