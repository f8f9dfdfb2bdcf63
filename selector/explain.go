package selector

import (
	"fmt"
	"strings"

	"github.com/trailkit/trailkit/event"
)

// Explanation answers "why is (or isn't) this record in my trail?".
type Explanation struct {
	// Logged is what Match returns.
	Logged bool
	// Category is the record's event category as the selectors see it
	// (eventCategory, or derived from eventType and managementEvent for
	// records older than eventVersion 1.07).
	Category string
	// DefaultSelectors is true when no event selectors were configured and
	// CloudTrail's default for a new trail applies.
	DefaultSelectors bool
	// Decided is the index in Selectors of the first selector that logs the
	// record, or -1 when none does.
	Decided int
	// Selectors has one outcome per event selector, in configuration order.
	Selectors []Outcome
}

// Outcome is what one selector made of the record.
type Outcome struct {
	List    string // "EventSelectors" or "AdvancedEventSelectors"
	Index   int    // position in List
	Name    string // the advanced selector's Name
	Matched bool
	// Field names what decided: for a miss, the field (or basic selector
	// member) that rejected the record, such as "eventName" or
	// "ReadWriteType"; for a match, what selects records of its kind:
	// eventCategory, resources.type, IncludeManagementEvents or
	// DataResources.
	Field string
	// Reason says why, in a sentence naming the values involved.
	Reason string
}

// Explain evaluates r against every selector, as Match does, and says which
// selector logged it or, for each selector, which field rejected it.
func (m *Matcher) Explain(r *event.Record) Explanation {
	e := Explanation{Logged: m.Match(r), DefaultSelectors: m.isDefault, Decided: -1}
	if r == nil {
		return e
	}
	e.Category = r.Category()
	cat := categoryOf(r)
	if m.advanced {
		for i, s := range m.cfg.AdvancedEventSelectors {
			e.add(m.explainAdvanced(i, s, r, cat))
		}
	} else {
		for i, s := range m.cfg.EventSelectors {
			e.add(explainBasic(i, s, &m.basic[i], r, cat))
		}
	}
	return e
}

func (e *Explanation) add(o Outcome) {
	if o.Matched && e.Decided < 0 {
		e.Decided = len(e.Selectors)
	}
	e.Selectors = append(e.Selectors, o)
}

// String renders the explanation as a few lines of text.
func (e Explanation) String() string {
	var b strings.Builder
	verb := "not logged"
	if e.Logged {
		verb = "logged"
	}
	fmt.Fprintf(&b, "%s event: %s", orUnknown(e.Category), verb)
	if e.DefaultSelectors {
		b.WriteString(" (default selectors: all management events)")
	}
	if len(e.Selectors) == 0 {
		b.WriteString("; the trail has no event selectors and logs no events")
	}
	b.WriteByte('\n')
	for i, o := range e.Selectors {
		mark := "  "
		if i == e.Decided {
			mark = "=>"
		}
		name := ""
		if o.Name != "" {
			name = fmt.Sprintf(" %q", o.Name)
		}
		result := "no match"
		if o.Matched {
			result = "match"
		}
		fmt.Fprintf(&b, "%s %s[%d]%s: %s", mark, o.List, o.Index, name, result)
		if o.Field != "" {
			fmt.Fprintf(&b, " (%s)", o.Field)
		}
		fmt.Fprintf(&b, ": %s\n", o.Reason)
	}
	return b.String()
}

func explainBasic(i int, s EventSelector, c *basicSelector, r *event.Record, cat category) Outcome {
	o := Outcome{List: "EventSelectors", Index: i}
	v := c.evaluate(r, cat)
	o.Matched = v.matched()
	switch v.why {
	case reasonMatched:
		if cat == catManagement {
			o.Field, o.Reason = "IncludeManagementEvents", "management events are included"+readWriteNote(s.ReadWriteType)
		} else {
			d := s.DataResources[v.at]
			o.Field = "DataResources"
			o.Reason = fmt.Sprintf("resource %s %s is selected by DataResources[%d]%s", d.Type, resourceARN(&r.Resources[v.res]), v.at, readWriteNote(s.ReadWriteType))
		}
	case reasonInsight:
		o.Field, o.Reason = FieldEventCategory, insightNote
	case reasonCategory:
		o.Field = FieldEventCategory
		if cat == catNetwork {
			o.Reason = "basic event selectors never log NetworkActivity events; use an advanced event selector with eventCategory NetworkActivity"
		} else {
			o.Reason = fmt.Sprintf("event category %s is not one a trail logs", orUnknown(r.Category()))
		}
	case reasonReadWrite:
		o.Field = "ReadWriteType"
		o.Reason = fmt.Sprintf("ReadWriteType is %s and the record %s", s.ReadWriteType, describeReadOnly(r))
	case reasonNoManagement:
		o.Field, o.Reason = "IncludeManagementEvents", "IncludeManagementEvents is false"
	case reasonExcludedSource:
		o.Field = "ExcludeManagementEventSources"
		o.Reason = fmt.Sprintf("management events of %s are excluded", r.EventSource)
	case reasonNoDataResource:
		o.Field = "DataResources"
		o.Reason = fmt.Sprintf("no DataResources entry selects the record's resources %s", describeResources(r))
	}
	return o
}

func (m *Matcher) explainAdvanced(i int, s AdvancedEventSelector, r *event.Record, cat category) Outcome {
	o := Outcome{List: "AdvancedEventSelectors", Index: i, Name: s.Name}
	c := m.advancedOrder[i]
	switch {
	case cat == catInsight:
		o.Field, o.Reason = FieldEventCategory, insightNote
		return o
	case cat != c.category:
		o.Field = FieldEventCategory
		o.Reason = fmt.Sprintf("the selector logs %s events and the record is a %s event", categoryName(c.category), orUnknown(r.Category()))
		return o
	}
	v := c.evaluate(r)
	o.Matched = v.matched()
	switch v.why {
	case reasonMatched:
		o.Field = FieldEventCategory
		if v.res >= 0 {
			o.Field = FieldResourcesType
		}
		o.Reason = "every field selector holds"
		if v.res >= 0 {
			o.Reason += fmt.Sprintf(" for resource %s %s", r.Resources[v.res].Type, resourceARN(&r.Resources[v.res]))
		}
	case reasonNoResourceOfType:
		o.Field = FieldResourcesType
		o.Reason = fmt.Sprintf("the record lists no resource of type %s (it has %s)", c.resourceType.s, describeResources(r))
	default:
		f := s.FieldSelectors[v.at]
		o.Field = f.Field
		value := fieldValue(r, fieldByName(f.Field))
		if v.res >= 0 {
			value = resourceARN(&r.Resources[v.res])
		}
		o.Reason = describeCondition(v.why, f, value)
	}
	return o
}

// describeCondition words a failed field selector, naming the operator
// value that rejected the record.
func describeCondition(why reason, f FieldSelector, value string) string {
	switch why {
	case reasonAbsent:
		return fmt.Sprintf("the record has no %s and the field selector requires one of %s", f.Field, selectValues(f))
	case reasonDeselected:
		ops := f.operators()
		for _, op := range ops[3:] {
			for _, x := range op.values {
				if hit(op.bit, value, x) {
					return fmt.Sprintf("%s %q hits %s %q", f.Field, value, op.name, x)
				}
			}
		}
	case reasonNotSelected:
		return fmt.Sprintf("%s %q matches none of %s", f.Field, value, selectValues(f))
	}
	return fmt.Sprintf("%s %q does not satisfy the field selector", f.Field, value)
}

func hit(op opSet, value, x string) bool {
	switch op {
	case opEquals, opNotEquals:
		return value == x
	case opStartsWith, opNotStartsWith:
		return strings.HasPrefix(value, x)
	}
	return strings.HasSuffix(value, x)
}

func selectValues(f FieldSelector) string {
	var parts []string
	ops := f.operators()
	for _, op := range ops[:3] {
		if len(op.values) > 0 {
			parts = append(parts, fmt.Sprintf("%s %q", op.name, op.values))
		}
	}
	return strings.Join(parts, ", ")
}

const insightNote = "Insights events are never selected by event selectors; InsightSelectors turn them on"

func readWriteNote(t ReadWriteType) string {
	if t == "" || t == All {
		return ""
	}
	return " (ReadWriteType " + string(t) + ")"
}

func describeReadOnly(r *event.Record) string {
	if r.ReadOnly == nil {
		return "has no readOnly field"
	}
	return "has readOnly " + readOnlyText(r.ReadOnly)
}

func describeResources(r *event.Record) string {
	if len(r.Resources) == 0 {
		return "(none)"
	}
	parts := make([]string, len(r.Resources))
	for i := range r.Resources {
		parts[i] = strings.TrimSpace(r.Resources[i].Type + " " + resourceARN(&r.Resources[i]))
	}
	return strings.Join(parts, ", ")
}

func categoryName(c category) string {
	switch c {
	case catManagement:
		return CategoryManagement
	case catData:
		return CategoryData
	case catNetwork:
		return CategoryNetwork
	}
	return "unknown"
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
