package detect

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/trailkit/trailkit/event"
)

// The sources of rules, as findings name them.
const (
	SourceSigma   = "sigma"
	SourceCIS     = "cis"
	SourcePattern = "pattern"
)

// Rule is one compiled detection rule: a Sigma rule, a CIS control's
// metric filter or a CloudWatch Logs filter pattern.
type Rule struct {
	// ID is the Sigma rule's id, the CIS control number ("4.3") or the
	// pattern's name ("pattern-1").
	ID string
	// Title is the Sigma title, the CIS control's title or the pattern.
	Title string
	// Level is the Sigma level (informational, low, medium, high,
	// critical); CIS controls and patterns are "medium" unless set.
	Level string
	// Source is SourceSigma, SourceCIS or SourcePattern.
	Source string
	// Author is the Sigma rule's author field, which the Detection Rule
	// License asks findings to keep.
	Author string
	// File is where the rule was read from, if it was.
	File string
	// Pattern is the filter pattern of a CIS control or pattern rule.
	Pattern string

	root node
}

// Match reports whether the rule matches a decoded record.
func (r *Rule) Match(rec *event.Record) bool {
	d := getDoc()
	defer putDoc(d)
	d.setRecord(rec)
	return r.root.eval(d)
}

// MatchJSON reports whether the rule matches a record's JSON text.
func (r *Rule) MatchJSON(b []byte) bool {
	d := getDoc()
	defer putDoc(d)
	d.setJSON(b, nil, nil, nil)
	return r.root.eval(d)
}

// ErrUnsupported is wrapped by the error for a rule that uses what the
// engine does not evaluate (a Sigma aggregation, near, a correlation, an
// unknown modifier): such a rule is refused, never loaded as a rule that
// silently matches nothing.
var ErrUnsupported = errors.New("unsupported")

// Error is a rule that cannot be compiled. It names where it is and what
// was expected there.
type Error struct {
	File   string // the file, or the pattern's name
	Rule   string // the rule's id or title, when known
	Line   int    // 1-based; 0 when unknown
	Column int    // 1-based; 0 when unknown
	Msg    string
	Err    error // ErrUnsupported, or the underlying error; may be nil
}

func (e *Error) Error() string {
	s := e.File
	if e.Line > 0 {
		s += ":" + strconv.Itoa(e.Line)
		if e.Column > 0 {
			s += ":" + strconv.Itoa(e.Column)
		}
	}
	if e.Rule != "" {
		s += ": rule " + strconv.Quote(e.Rule)
	}
	s += ": " + e.Msg
	if e.Err != nil && !errors.Is(e.Err, ErrUnsupported) {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(file string, line, col int, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// node is a compiled condition.
type node interface {
	eval(d *doc) bool
}

type andNode []node

func (n andNode) eval(d *doc) bool {
	for _, c := range n {
		if !c.eval(d) {
			return false
		}
	}
	return true
}

type orNode []node

func (n orNode) eval(d *doc) bool {
	for _, c := range n {
		if c.eval(d) {
			return true
		}
	}
	return false
}

type notNode struct{ n node }

func (n notNode) eval(d *doc) bool { return !n.n.eval(d) }

type constNode bool

func (n constNode) eval(*doc) bool { return bool(n) }

func newOr(ns []node) node  { return orNode(ns) }
func newAnd(ns []node) node { return andNode(ns) }

// chain parses operands separated by an operator, as both rule languages
// write && / and and || / or: one operand is itself, more are joined.
func chain(operand func() (node, error), more func() bool, join func([]node) node) (node, error) {
	var list []node
	for {
		n, err := operand()
		if err != nil {
			return nil, err
		}
		list = append(list, n)
		if !more() {
			break
		}
	}
	if len(list) == 1 {
		return list[0], nil
	}
	return join(list), nil
}
