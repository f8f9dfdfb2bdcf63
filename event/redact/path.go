package redact

import (
	"errors"
	"fmt"
	"strings"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// hidden is the JSON value a redacted field is written as.
const hidden = `"HIDDEN_DUE_TO_SECURITY_REASONS"`

// node is one step of a compiled set of paths: the members it selects by
// name, the node every member matches ("*"), and whether the value reached
// here is hidden.
type node struct {
	kids map[string]*node
	any  *node
	hide bool
}

// ErrPath is wrapped by the errors New returns for a path it cannot use.
var ErrPath = errors.New("invalid redaction path")

// parsePath splits a dotted path into its member names.
func parsePath(p string) ([]string, error) {
	if p == "" {
		return nil, fmt.Errorf("%w: empty path", ErrPath)
	}
	segs := strings.Split(p, ".")
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("%w %q: empty member name", ErrPath, p)
		}
	}
	return segs, nil
}

func (n *node) add(segs []string) {
	for _, s := range segs {
		if n.hide {
			return // an ancestor is hidden whole
		}
		var next *node
		if s == "*" {
			if n.any == nil {
				n.any = &node{}
			}
			next = n.any
		} else {
			if n.kids == nil {
				n.kids = map[string]*node{}
			}
			next = n.kids[s]
			if next == nil {
				next = &node{}
				n.kids[s] = next
			}
		}
		n = next
	}
	n.hide = true
	n.kids, n.any = nil, nil
}

// seal merges the "*" subtree into every named member, so that a member
// needs one lookup: "a.*.c" and "a.b.d" give member b both c and d.
func (n *node) seal() {
	if n == nil || n.hide {
		return
	}
	if n.any != nil {
		n.any.seal()
		for _, k := range n.kids {
			k.merge(n.any)
		}
	}
	for _, k := range n.kids {
		k.seal()
	}
}

func (n *node) merge(o *node) {
	if n.hide {
		return
	}
	if o.hide {
		n.hide = true
		n.kids, n.any = nil, nil
		return
	}
	for name, ok := range o.kids {
		if n.kids == nil {
			n.kids = map[string]*node{}
		}
		k := n.kids[name]
		if k == nil {
			k = &node{}
			n.kids[name] = k
		}
		k.merge(ok)
	}
	if o.any != nil {
		if n.any == nil {
			n.any = &node{}
		}
		n.any.merge(o.any)
	}
}

func (n *node) lookup(key string) *node {
	if k, ok := n.kids[key]; ok {
		return k
	}
	return n.any
}

// rewriter copies one JSON value, writing hidden in place of the values the
// tree selects. Arrays are transparent: a path step applies to every element.
// Output is compact. It reads with the shared JSON scanner, so it accepts
// what the event package accepts and nothing else: a value nested deeper
// than jsonscan.MaxDepth is an error, which callers answer by hiding the
// whole field (failing closed).
type rewriter struct {
	p   jsonscan.Parser
	dst []byte
}

// rewrite appends src, a single JSON value, to dst with the selected values
// hidden.
func (n *node) rewrite(dst, src []byte) ([]byte, error) {
	w := rewriter{p: jsonscan.New(src, 0), dst: dst}
	if err := w.value(n); err != nil {
		return dst, err
	}
	if err := w.p.End("the value"); err != nil {
		return dst, err
	}
	return w.dst, nil
}

func (w *rewriter) value(n *node) error {
	p := &w.p
	p.WS()
	if p.Pos >= len(p.Buf) {
		return p.Unexpected("a value")
	}
	if n == nil || n.kids == nil && n.any == nil && !n.hide {
		return w.copyValue()
	}
	if n.hide {
		if err := p.SkipValue(); err != nil {
			return err
		}
		w.dst = append(w.dst, hidden...)
		return nil
	}
	switch p.Buf[p.Pos] {
	case '{':
		return w.object(n)
	case '[':
		return w.array(n)
	}
	return w.copyValue()
}

func (w *rewriter) object(n *node) error {
	p := &w.p
	if err := p.Enter(); err != nil {
		return err
	}
	p.Pos++ // '{'
	w.dst = append(w.dst, '{')
	if p.Peek() == '}' {
		p.Pos++
		p.Depth--
		w.dst = append(w.dst, '}')
		return nil
	}
	for {
		if p.Peek() != '"' {
			return p.Unexpected("a string key")
		}
		start := p.Pos
		key, err := p.Str() // decoded: an escape cannot hide a name
		if err != nil {
			return err
		}
		w.dst = append(w.dst, p.Buf[start:p.Pos]...)
		if err := p.Expect(':'); err != nil {
			return err
		}
		w.dst = append(w.dst, ':')
		// Every copy of a key that occurs twice is followed: the last one
		// is the one readers see, and hiding the others too leaks nothing.
		if err := w.value(n.lookup(key)); err != nil {
			return err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
			w.dst = append(w.dst, ',')
		case '}':
			p.Pos++
			p.Depth--
			w.dst = append(w.dst, '}')
			return nil
		default:
			return p.Unexpected("',' or '}'")
		}
	}
}

func (w *rewriter) array(n *node) error {
	p := &w.p
	if err := p.Enter(); err != nil {
		return err
	}
	p.Pos++ // '['
	w.dst = append(w.dst, '[')
	if p.Peek() == ']' {
		p.Pos++
		p.Depth--
		w.dst = append(w.dst, ']')
		return nil
	}
	for {
		if err := w.value(n); err != nil {
			return err
		}
		switch p.Peek() {
		case ',':
			p.Pos++
			w.dst = append(w.dst, ',')
		case ']':
			p.Pos++
			p.Depth--
			w.dst = append(w.dst, ']')
			return nil
		default:
			return p.Unexpected("',' or ']'")
		}
	}
}

// copyValue copies the value at Pos, compacting it.
func (w *rewriter) copyValue() error {
	v, spaced, err := w.p.Value()
	if err != nil {
		return err
	}
	if spaced {
		w.dst = jsonscan.AppendCompact(w.dst, v)
	} else {
		w.dst = append(w.dst, v...)
	}
	return nil
}
