package redact

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// TagName is the struct tag that marks a field sensitive:
//
//	type CreateUserInput struct {
//		UserName string `json:"userName"`
//		Password string `json:"password" trailkit:"sensitive"`
//	}
const TagName = "trailkit"

// Marshal encodes v as JSON, as encoding/json does but without escaping
// '<', '>' and '&' (CloudTrail does not), and writes the fields tagged
// `trailkit:"sensitive"` as HIDDEN_DUE_TO_SECURITY_REASONS, whatever their
// type. Sensitive fields are found through nested structs, pointers, slices,
// arrays and map values. Use it for requestParameters and responseElements
// built from typed values.
func Marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("redact: marshal %T: %w", v, err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	tree := tagTree(reflect.TypeOf(v))
	if tree == nil {
		return b, nil
	}
	out, err := tree.rewrite(make([]byte, 0, len(b)), b)
	if err != nil {
		return nil, fmt.Errorf("redact: marshal %T: %w", v, err)
	}
	return out, nil
}

// TaggedPaths lists the paths of t's sensitive fields, relative to a value of
// t, in the syntax New takes ("credentials.secretAccessKey"; "*" for a map
// value). Slices and arrays are looked through, as they are by Redactor. A
// recursive type's fields are listed at their first level only; Marshal
// hides them at every depth.
func TaggedPaths(t reflect.Type) []string {
	var out []string
	collect(t, nil, map[reflect.Type]bool{}, &out)
	return out
}

var tagTrees sync.Map // reflect.Type -> *node (nil when nothing is sensitive)

func tagTree(t reflect.Type) *node {
	if t == nil {
		return nil
	}
	if v, ok := tagTrees.Load(t); ok {
		return v.(*node)
	}
	memo := map[reflect.Type]*node{}
	tree := typeNode(t, memo)
	prune(memo)
	if tree != nil && !tree.useful() {
		tree = nil
	}
	tagTrees.Store(t, tree)
	return tree
}

// typeNode builds the selection for values of t. Nodes are shared per type,
// so a recursive type gives a cyclic graph and its sensitive fields are
// hidden at every depth.
func typeNode(t reflect.Type, memo map[reflect.Type]*node) *node {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Map:
		elem := typeNode(t.Elem(), memo)
		if elem == nil {
			return nil
		}
		return &node{any: elem}
	case reflect.Struct:
	default:
		return nil
	}
	if n, ok := memo[t]; ok {
		return n
	}
	n := &node{}
	memo[t] = n
	fields(t, n, memo, map[reflect.Type]bool{})
	return n
}

// fields adds the members of struct type t to n, promoting those of embedded
// structs as encoding/json does.
func fields(t reflect.Type, n *node, memo map[reflect.Type]*node, embedded map[reflect.Type]bool) {
	if embedded[t] {
		return
	}
	embedded[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				fields(et, n, memo, embedded)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		var child *node
		if sensitive(f.Tag.Get(TagName)) {
			child = &node{hide: true}
		} else if child = typeNode(f.Type, memo); child == nil {
			continue
		}
		if n.kids == nil {
			n.kids = map[string]*node{}
		}
		n.kids[name] = child
	}
}

// useful reports whether n hides anything, directly or below; prune has
// removed the members that do not.
func (n *node) useful() bool { return n.hide || len(n.kids) > 0 || n.any != nil }

// prune removes the members that lead to nothing hidden, so that Marshal
// does not walk values it would copy unchanged. The graph may have cycles:
// usefulness is found as a fixed point.
func prune(memo map[reflect.Type]*node) {
	useful := map[*node]bool{}
	var all []*node
	seen := map[*node]bool{}
	var visit func(n *node)
	visit = func(n *node) {
		if n == nil || seen[n] {
			return
		}
		seen[n] = true
		all = append(all, n)
		for _, k := range n.kids {
			visit(k)
		}
		visit(n.any)
	}
	for _, n := range memo {
		visit(n)
	}
	for changed := true; changed; {
		changed = false
		for _, n := range all {
			if useful[n] {
				continue
			}
			u := n.hide || (n.any != nil && useful[n.any])
			for _, k := range n.kids {
				u = u || useful[k]
			}
			if u {
				useful[n] = true
				changed = true
			}
		}
	}
	for _, n := range all {
		for name, k := range n.kids {
			if !useful[k] {
				delete(n.kids, name)
			}
		}
		if len(n.kids) == 0 {
			n.kids = nil
		}
		if n.any != nil && !useful[n.any] {
			n.any = nil
		}
	}
}

func collect(t reflect.Type, prefix []string, onPath map[reflect.Type]bool, out *[]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Map:
		collect(t.Elem(), append(prefix, "*"), onPath, out)
		return
	case reflect.Struct:
	default:
		return
	}
	if onPath[t] {
		return // a recursive type: its fields were reached already
	}
	onPath[t] = true
	defer delete(onPath, t)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			// Embedded struct without a name: encoding/json promotes its
			// fields to this level.
			collect(f.Type, prefix, onPath, out)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		path := append(append([]string(nil), prefix...), name)
		if sensitive(f.Tag.Get(TagName)) {
			*out = append(*out, strings.Join(path, "."))
			continue
		}
		collect(f.Type, path, onPath, out)
	}
}

func sensitive(tag string) bool {
	for opt := range strings.SplitSeq(tag, ",") {
		if strings.TrimSpace(opt) == "sensitive" {
			return true
		}
	}
	return false
}
