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
// value). Slices and arrays are looked through, as they are by Redactor.
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
	var tree *node
	if paths := TaggedPaths(t); len(paths) > 0 {
		tree = &node{}
		for _, p := range paths {
			tree.add(strings.Split(p, "."))
		}
		tree.seal()
	}
	tagTrees.Store(t, tree)
	return tree
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
