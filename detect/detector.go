package detect

import "github.com/trailkit/trailkit/event"

// Finding is a rule that matched a record.
type Finding struct {
	Rule   *Rule
	Record *event.Record
}

// Detector evaluates a rule set on each record it is shown and hands each
// finding to Handler. It is what a trail's Inspector is: set
// trail.Config.Inspector to a *Detector and every record the trail logs is
// evaluated, on the goroutine that emits it.
//
// Handler runs inside Emit, so it must be quick and must not block: hand
// the finding to a channel or a queue that notifies. Finding.Record is the
// record given to Emit; copy what you keep.
type Detector struct {
	Rules   *Set
	Handler func(Finding)
}

// Inspect evaluates the rules on r.
func (d *Detector) Inspect(r *event.Record) {
	d.Rules.Match(r, func(rule *Rule) { d.Handler(Finding{Rule: rule, Record: r}) })
}
