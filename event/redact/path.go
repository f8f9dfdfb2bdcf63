package redact

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// hidden is the JSON value a redacted field is written as.
const hidden = `"HIDDEN_DUE_TO_SECURITY_REASONS"`

// maxDepth bounds the nesting the rewriter follows a selection into; a value
// that a selection reaches deeper is hidden whole (failing closed).
const maxDepth = 512

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
// Output is compact.
type rewriter struct {
	src []byte
	pos int
	dst []byte
}

// rewrite appends src, a single JSON value, to dst with the selected values
// hidden.
func (n *node) rewrite(dst, src []byte) ([]byte, error) {
	w := rewriter{src: src, dst: dst}
	if err := w.value(n, 0); err != nil {
		return dst, err
	}
	w.ws()
	if w.pos != len(w.src) {
		return dst, w.errorf("unexpected %q after the value", w.src[w.pos])
	}
	return w.dst, nil
}

func (w *rewriter) errorf(format string, args ...any) error {
	return fmt.Errorf("at byte %d: %s", w.pos, fmt.Sprintf(format, args...))
}

func (w *rewriter) ws() {
	for w.pos < len(w.src) {
		switch w.src[w.pos] {
		case ' ', '\t', '\n', '\r':
			w.pos++
		default:
			return
		}
	}
}

func (w *rewriter) value(n *node, depth int) error {
	w.ws()
	if w.pos >= len(w.src) {
		return w.errorf("unexpected end of input")
	}
	if n == nil || n.kids == nil && n.any == nil && !n.hide {
		return w.copyValue()
	}
	if n.hide || depth >= maxDepth {
		// Past maxDepth the selection is not followed: the value is hidden
		// whole rather than risk showing what a path selects.
		if err := w.skip(); err != nil {
			return err
		}
		w.dst = append(w.dst, hidden...)
		return nil
	}
	switch w.src[w.pos] {
	case '{':
		return w.object(n, depth)
	case '[':
		return w.array(n, depth)
	}
	return w.copyValue()
}

func (w *rewriter) object(n *node, depth int) error {
	w.pos++
	w.dst = append(w.dst, '{')
	w.ws()
	if w.pos < len(w.src) && w.src[w.pos] == '}' {
		w.pos++
		w.dst = append(w.dst, '}')
		return nil
	}
	for {
		w.ws()
		if w.pos >= len(w.src) || w.src[w.pos] != '"' {
			return w.errorf("expected a member name")
		}
		start := w.pos
		escaped, err := w.skipString()
		if err != nil {
			return err
		}
		raw := w.src[start:w.pos]
		w.dst = append(w.dst, raw...)
		var child *node
		if escaped {
			var key string
			if err := json.Unmarshal(raw, &key); err != nil {
				return w.errorf("bad member name: %v", err)
			}
			child = n.lookup(key)
		} else {
			child = n.lookup(string(raw[1 : len(raw)-1]))
		}
		w.ws()
		if w.pos >= len(w.src) || w.src[w.pos] != ':' {
			return w.errorf("expected ':'")
		}
		w.pos++
		w.dst = append(w.dst, ':')
		if err := w.value(child, depth+1); err != nil {
			return err
		}
		w.ws()
		if w.pos >= len(w.src) {
			return w.errorf("unexpected end of input in an object")
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
			w.dst = append(w.dst, ',')
		case '}':
			w.pos++
			w.dst = append(w.dst, '}')
			return nil
		default:
			return w.errorf("unexpected %q in an object", w.src[w.pos])
		}
	}
}

func (w *rewriter) array(n *node, depth int) error {
	w.pos++
	w.dst = append(w.dst, '[')
	w.ws()
	if w.pos < len(w.src) && w.src[w.pos] == ']' {
		w.pos++
		w.dst = append(w.dst, ']')
		return nil
	}
	for {
		if err := w.value(n, depth+1); err != nil {
			return err
		}
		w.ws()
		if w.pos >= len(w.src) {
			return w.errorf("unexpected end of input in an array")
		}
		switch w.src[w.pos] {
		case ',':
			w.pos++
			w.dst = append(w.dst, ',')
		case ']':
			w.pos++
			w.dst = append(w.dst, ']')
			return nil
		default:
			return w.errorf("unexpected %q in an array", w.src[w.pos])
		}
	}
}

// copyValue copies the value at pos, compacting it.
func (w *rewriter) copyValue() error {
	start := w.pos
	spaced, err := w.skipSpaced()
	if err != nil {
		return err
	}
	if spaced {
		w.dst = jsonscan.AppendCompact(w.dst, w.src[start:w.pos])
	} else {
		w.dst = append(w.dst, w.src[start:w.pos]...)
	}
	return nil
}

func (w *rewriter) skip() error {
	_, err := w.skipSpaced()
	return err
}

// skipString moves past the string at pos and reports whether it holds
// escapes.
func (w *rewriter) skipString() (escaped bool, err error) {
	for i := w.pos + 1; i < len(w.src); i++ {
		switch c := w.src[i]; {
		case c == '\\':
			escaped = true
			i++
		case c == '"':
			w.pos = i + 1
			return escaped, nil
		case c < 0x20:
			w.pos = i
			return false, w.errorf("control character in a string")
		}
	}
	w.pos = len(w.src)
	return false, w.errorf("unterminated string")
}

// maxSkipDepth bounds the nesting of values that are only copied; input
// nested deeper is refused, as encoding/json refuses it.
const maxSkipDepth = 10000

// skipSpaced moves past one value and reports whether it held insignificant
// whitespace. It checks structure (brackets, strings, literals and number
// characters), not every detail of number syntax.
func (w *rewriter) skipSpaced() (spaced bool, err error) {
	err = w.skipValue(0, &spaced)
	return spaced, err
}

func (w *rewriter) skipValue(depth int, spaced *bool) error {
	if w.blank() {
		*spaced = true
	}
	if w.pos >= len(w.src) {
		return w.errorf("unexpected end of input")
	}
	switch c := w.src[w.pos]; {
	case c == '{' || c == '[':
		if depth >= maxSkipDepth {
			return w.errorf("nested too deeply")
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		w.pos++
		if w.blank() {
			*spaced = true
		}
		if w.pos < len(w.src) && w.src[w.pos] == end {
			w.pos++
			return nil
		}
		for {
			if c == '{' {
				if w.blank() {
					*spaced = true
				}
				if w.pos >= len(w.src) || w.src[w.pos] != '"' {
					return w.errorf("expected a member name")
				}
				if _, err := w.skipString(); err != nil {
					return err
				}
				if w.blank() {
					*spaced = true
				}
				if w.pos >= len(w.src) || w.src[w.pos] != ':' {
					return w.errorf("expected ':'")
				}
				w.pos++
			}
			if err := w.skipValue(depth+1, spaced); err != nil {
				return err
			}
			if w.blank() {
				*spaced = true
			}
			if w.pos >= len(w.src) {
				return w.errorf("unexpected end of input")
			}
			switch w.src[w.pos] {
			case ',':
				w.pos++
			case end:
				w.pos++
				return nil
			default:
				return w.errorf("unexpected %q", w.src[w.pos])
			}
		}
	case c == '"':
		_, err := w.skipString()
		return err
	case c == '-' || (c >= '0' && c <= '9'):
		for w.pos < len(w.src) && strings.IndexByte("0123456789+-.eE", w.src[w.pos]) >= 0 {
			w.pos++
		}
		return nil
	case c == 't' || c == 'f' || c == 'n':
		for _, word := range [...]string{"true", "false", "null"} {
			if word[0] == c {
				if len(w.src)-w.pos < len(word) || string(w.src[w.pos:w.pos+len(word)]) != word {
					return w.errorf("invalid literal")
				}
				w.pos += len(word)
				return nil
			}
		}
	}
	return w.errorf("unexpected %q", w.src[w.pos])
}

// blank skips whitespace and reports whether there was any.
func (w *rewriter) blank() bool {
	p := w.pos
	w.ws()
	return w.pos != p
}
