package detect

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"

	"go.yaml.in/yaml/v3"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// ParseSigma compiles the Sigma rules of one YAML file (one rule per YAML
// document). file names the rules in errors and in Rule.File. Every
// document is compiled: the error joins one *Error per bad rule.
func ParseSigma(file string, data []byte) ([]*Rule, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var rules []*Rule
	var errs []error
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, yamlError(file, err))
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		r, err := compileSigma(file, doc.Content[0])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	if len(rules) == 0 && len(errs) == 0 {
		errs = append(errs, errorf(file, 0, 0, "no Sigma rule in the file"))
	}
	return rules, errors.Join(errs...)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlError(file string, err error) *Error {
	e := &Error{File: file, Msg: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
	}
	return e
}

// sigmaCompiler holds what the errors of one rule name.
type sigmaCompiler struct {
	file string
	rule string
}

func (c *sigmaCompiler) errorf(n *yaml.Node, format string, args ...any) *Error {
	e := errorf(c.file, 0, 0, format, args...)
	e.Rule = c.rule
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	return e
}

func (c *sigmaCompiler) unsupported(n *yaml.Node, format string, args ...any) *Error {
	e := c.errorf(n, format, args...)
	e.Err = ErrUnsupported
	return e
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func compileSigma(file string, root *yaml.Node) (*Rule, error) {
	c := &sigmaCompiler{file: file}
	if root.Kind != yaml.MappingNode {
		return nil, c.errorf(root, "expected a Sigma rule: a mapping with title, logsource and detection")
	}
	r := &Rule{Source: SourceSigma, File: file, Level: "medium"}
	if n := mapGet(root, "title"); n != nil {
		r.Title = n.Value
	}
	if n := mapGet(root, "id"); n != nil {
		r.ID = n.Value
	}
	c.rule = r.ID
	if c.rule == "" {
		c.rule = r.Title
	}
	if n := mapGet(root, "author"); n != nil {
		r.Author = n.Value
	}
	if n := mapGet(root, "level"); n != nil {
		r.Level = n.Value
	}
	if mapGet(root, "correlation") != nil {
		return nil, c.unsupported(mapGet(root, "correlation"), "correlation rules are not supported")
	}
	if n := mapGet(root, "action"); n != nil {
		return nil, c.unsupported(n, "rule collections (action: %s) are not supported", n.Value)
	}
	if n := mapGet(root, "filter"); n != nil {
		return nil, c.unsupported(n, "Sigma filters are not supported")
	}
	if r.Title == "" {
		return nil, c.errorf(root, "expected a title")
	}
	ls := mapGet(root, "logsource")
	if ls == nil || ls.Kind != yaml.MappingNode {
		return nil, c.errorf(root, "expected a logsource mapping (product: aws, service: cloudtrail)")
	}
	if p := mapGet(ls, "product"); p == nil || !strings.EqualFold(p.Value, "aws") {
		return nil, c.errorf(ls, "logsource: expected product: aws")
	}
	if s := mapGet(ls, "service"); s == nil || !strings.EqualFold(s.Value, "cloudtrail") {
		return nil, c.errorf(ls, "logsource: expected service: cloudtrail")
	}
	det := mapGet(root, "detection")
	if det == nil || det.Kind != yaml.MappingNode {
		return nil, c.errorf(root, "expected a detection mapping")
	}
	searches := map[string]node{}
	var names []string
	var cond *yaml.Node
	for i := 0; i+1 < len(det.Content); i += 2 {
		k, v := det.Content[i], det.Content[i+1]
		switch k.Value {
		case "condition":
			cond = v
			continue
		case "timeframe":
			return nil, c.unsupported(k, "timeframe (an aggregation's window) is not supported")
		}
		n, err := c.search(v)
		if err != nil {
			return nil, err
		}
		if _, dup := searches[k.Value]; dup {
			return nil, c.errorf(k, "search identifier %q defined twice", k.Value)
		}
		searches[k.Value] = n
		names = append(names, k.Value)
	}
	if cond == nil {
		return nil, c.errorf(det, "expected a condition in detection")
	}
	var conds []*yaml.Node
	switch cond.Kind {
	case yaml.ScalarNode:
		conds = []*yaml.Node{cond}
	case yaml.SequenceNode:
		conds = cond.Content
	default:
		return nil, c.errorf(cond, "expected the condition as a string or a list of strings")
	}
	var alts orNode
	for _, cn := range conds {
		if cn.Kind != yaml.ScalarNode {
			return nil, c.errorf(cn, "expected the condition as a string")
		}
		p := &condParser{c: c, node: cn, src: cn.Value, searches: searches, names: names}
		n, err := p.parse()
		if err != nil {
			return nil, err
		}
		alts = append(alts, n)
	}
	if len(alts) == 1 {
		r.root = alts[0]
	} else {
		r.root = alts
	}
	return r, nil
}

// search compiles a search identifier's value: a mapping (its fields
// AND'ed), a list of mappings (OR'ed) or a list of keywords (OR'ed).
func (c *sigmaCompiler) search(v *yaml.Node) (node, error) {
	switch v.Kind {
	case yaml.MappingNode:
		var all andNode
		for i := 0; i+1 < len(v.Content); i += 2 {
			n, err := c.field(v.Content[i], v.Content[i+1])
			if err != nil {
				return nil, err
			}
			all = append(all, n)
		}
		if len(all) == 1 {
			return all[0], nil
		}
		return all, nil
	case yaml.SequenceNode:
		if len(v.Content) == 0 {
			return nil, c.errorf(v, "expected a non-empty list")
		}
		var any orNode
		for _, e := range v.Content {
			switch e.Kind {
			case yaml.MappingNode:
				n, err := c.search(e)
				if err != nil {
					return nil, err
				}
				any = append(any, n)
			case yaml.ScalarNode:
				n, err := c.keyword(e)
				if err != nil {
					return nil, err
				}
				any = append(any, n)
			default:
				return nil, c.errorf(e, "expected a field mapping or a keyword in the list")
			}
		}
		return any, nil
	case yaml.ScalarNode:
		return c.keyword(v)
	}
	return nil, c.errorf(v, "expected a mapping of fields, a list of mappings or a list of keywords")
}

// keyword matches a value anywhere in the record's JSON text.
func (c *sigmaCompiler) keyword(v *yaml.Node) (node, error) {
	if v.Tag == "!!null" {
		return nil, c.errorf(v, "a keyword cannot be null")
	}
	// The keyword's own wildcards stay wildcards.
	return &keywordNode{m: newGlob(sigmaGlob("*"+v.Value+"*"), true)}, nil
}

// keywordNode looks for a value in the record's JSON text, ignoring case.
type keywordNode struct{ m strMatcher }

func (n *keywordNode) eval(d *doc) bool {
	return n.m.match(d, flatten(bytesString(d.text())))
}

type vmKind uint8

const (
	vmString vmKind = iota
	vmNull
	vmExists
	vmNumber
	vmCIDR
	vmFieldRef
)

// valueMatcher tests one value of a field.
type valueMatcher struct {
	kind   vmKind
	str    strMatcher
	cmp    string // <, <=, >, >= for vmNumber
	num    float64
	prefix netip.Prefix
	exists bool
	ref    *fieldPath
	refOp  strOp
	fold   bool
}

// sigmaField tests a field against a list of values: any of them, or all
// of them with the all modifier.
type sigmaField struct {
	path fieldPath
	ms   []valueMatcher
	all  bool
	// plain is set when the field is a typed one and every value a string
	// match: the case eval reads without collecting values.
	plain bool
}

var knownModifiers = map[string]bool{
	"contains": true, "startswith": true, "endswith": true, "all": true, "re": true,
	"i": true, "m": true, "s": true, "cidr": true, "exists": true, "cased": true,
	"fieldref": true, "windash": true, "base64": true, "base64offset": true,
	"wide": true, "utf16le": true, "utf16be": true, "utf16": true,
	"lt": true, "lte": true, "gt": true, "gte": true,
}

// field compiles "name|modifier...: value(s)".
func (c *sigmaCompiler) field(k, v *yaml.Node) (node, error) {
	parts := strings.Split(k.Value, "|")
	name := parts[0]
	mods := map[string]bool{}
	for _, m := range parts[1:] {
		if !knownModifiers[m] {
			switch m {
			case "expand":
				return nil, c.unsupported(k, "modifier %q needs placeholder values from a processing pipeline, which trailkit does not have", m)
			case "minute", "hour", "day", "week", "month", "year":
				return nil, c.unsupported(k, "time-part modifier %q is not supported", m)
			}
			return nil, c.unsupported(k, "unknown modifier %q", m)
		}
		if mods[m] {
			return nil, c.errorf(k, "modifier %q given twice", m)
		}
		mods[m] = true
	}
	var values []*yaml.Node
	switch v.Kind {
	case yaml.ScalarNode:
		values = []*yaml.Node{v}
	case yaml.SequenceNode:
		values = v.Content
		if len(values) == 0 {
			return nil, c.errorf(v, "expected at least one value for %s", name)
		}
	default:
		return nil, c.errorf(v, "expected a value or a list of values for %s", k.Value)
	}
	if name == "" {
		// A keyword list with modifiers.
		return nil, c.unsupported(k, "keywords with modifiers are not supported")
	}
	fp := fieldPath{text: name, fanout: true}
	for _, s := range strings.Split(name, ".") {
		if s == "" {
			return nil, c.errorf(k, "empty part in field name %q", name)
		}
		fp.segs = append(fp.segs, seg{key: s, index: -1})
	}
	compilePath(&fp)
	f := &sigmaField{path: fp, all: mods["all"]}
	for _, val := range values {
		if val.Kind != yaml.ScalarNode {
			return nil, c.errorf(val, "expected a scalar value for %s", name)
		}
		ms, err := c.values(k, val, mods)
		if err != nil {
			return nil, err
		}
		f.ms = append(f.ms, ms...)
	}
	f.plain = fp.code != fNone
	for _, m := range f.ms {
		f.plain = f.plain && m.kind == vmString
	}
	return f, nil
}

// values compiles one value with the field's modifiers (windash and
// base64offset turn one value into several, any of which may match).
func (c *sigmaCompiler) values(k, val *yaml.Node, mods map[string]bool) ([]valueMatcher, error) {
	fold := !mods["cased"]
	isNull := val.Tag == "!!null"
	exclusive := func(names ...string) string {
		for _, n := range names {
			if mods[n] {
				return n
			}
		}
		return ""
	}
	switch {
	case mods["exists"]:
		if len(mods) != 1 {
			return nil, c.errorf(k, "exists takes no other modifier")
		}
		b, err := strconv.ParseBool(val.Value)
		if err != nil || val.Tag != "!!bool" {
			return nil, c.errorf(val, "exists expects true or false")
		}
		return []valueMatcher{{kind: vmExists, exists: b}}, nil
	case isNull:
		if len(mods) > 0 {
			return nil, c.errorf(val, "null takes no modifier")
		}
		return []valueMatcher{{kind: vmNull}}, nil
	}
	if m := exclusive("lt", "lte", "gt", "gte"); m != "" {
		if len(mods) != 1 {
			return nil, c.errorf(k, "%s takes no other modifier", m)
		}
		f, err := strconv.ParseFloat(val.Value, 64)
		if err != nil {
			return nil, c.errorf(val, "%s expects a number, not %q", m, val.Value)
		}
		return []valueMatcher{{kind: vmNumber, cmp: m, num: f}}, nil
	}
	if mods["cidr"] {
		if len(mods) != 1 {
			return nil, c.errorf(k, "cidr takes no other modifier")
		}
		p, err := netip.ParsePrefix(val.Value)
		if err != nil {
			return nil, c.errorf(val, "cidr expects a network such as 10.0.0.0/8: %v", err)
		}
		return []valueMatcher{{kind: vmCIDR, prefix: p.Masked()}}, nil
	}
	op := opEqual
	switch exclusive("contains", "startswith", "endswith") {
	case "contains":
		op = opContains
	case "startswith":
		op = opPrefix
	case "endswith":
		op = opSuffix
	}
	if n := countTrue(mods, "contains", "startswith", "endswith"); n > 1 {
		return nil, c.errorf(k, "contains, startswith and endswith exclude each other")
	}
	if mods["fieldref"] {
		for m := range mods {
			switch m {
			case "fieldref", "contains", "startswith", "endswith", "cased", "all":
			default:
				return nil, c.unsupported(k, "modifier %q with fieldref is not supported", m)
			}
		}
		ref := fieldPath{text: val.Value, fanout: true}
		for _, s := range strings.Split(val.Value, ".") {
			ref.segs = append(ref.segs, seg{key: s, index: -1})
		}
		compilePath(&ref)
		return []valueMatcher{{kind: vmFieldRef, ref: &ref, refOp: op, fold: fold}}, nil
	}
	if mods["re"] {
		for m := range mods {
			switch m {
			case "re", "i", "m", "s", "all":
			default:
				return nil, c.unsupported(k, "modifier %q with re is not supported", m)
			}
		}
		flags := ""
		for _, f := range []string{"i", "m", "s"} {
			if mods[f] {
				flags += f
			}
		}
		expr := val.Value
		if flags != "" {
			expr = "(?" + flags + ")" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			e := c.errorf(val, "modifier re: the expression is not one Go's regexp (RE2) accepts")
			e.Err = err
			return nil, e
		}
		return []valueMatcher{{kind: vmString, str: newRegex(re)}}, nil
	}
	for _, f := range []string{"i", "m", "s"} {
		if mods[f] {
			return nil, c.errorf(k, "modifier %q only applies to re", f)
		}
	}
	// Plain values: windash variants, then encodings, then the match.
	variants := []string{val.Value}
	if mods["windash"] {
		variants = windash(val.Value)
	}
	encoded := mods["base64"] || mods["base64offset"] || mods["wide"] || mods["utf16le"] || mods["utf16be"] || mods["utf16"]
	var out []valueMatcher
	for _, s := range variants {
		if !encoded {
			p := sigmaGlob(s)
			switch op {
			case opContains:
				p = append(append([]rune{globStar}, p...), globStar)
			case opPrefix:
				p = append(p, globStar)
			case opSuffix:
				p = append([]rune{globStar}, p...)
			}
			out = append(out, valueMatcher{kind: vmString, str: newGlob(p, fold)})
			continue
		}
		// Encoded values are literal text: no wildcards.
		b := []byte(unescapeSigma(s))
		switch {
		case mods["wide"] || mods["utf16le"]:
			b = utf16Bytes(string(b), false, false)
		case mods["utf16be"]:
			b = utf16Bytes(string(b), true, false)
		case mods["utf16"]:
			b = utf16Bytes(string(b), false, true)
		}
		var texts []string
		switch {
		case mods["base64offset"]:
			texts = base64Offsets(b)
			if op == opEqual {
				op = opContains
			}
		case mods["base64"]:
			texts = []string{base64.StdEncoding.EncodeToString(b)}
		default:
			texts = []string{string(b)}
		}
		for _, t := range texts {
			// Base64 text is case-sensitive whatever Sigma's default.
			fb := fold && !(mods["base64"] || mods["base64offset"])
			p := []rune(t) // newGlob folds it when fb
			switch op {
			case opContains:
				p = append(append([]rune{globStar}, p...), globStar)
			case opPrefix:
				p = append(p, globStar)
			case opSuffix:
				p = append([]rune{globStar}, p...)
			}
			out = append(out, valueMatcher{kind: vmString, str: newGlob(p, fb)})
		}
	}
	return out, nil
}

func countTrue(m map[string]bool, names ...string) int {
	n := 0
	for _, k := range names {
		if m[k] {
			n++
		}
	}
	return n
}

// sigmaGlob turns a Sigma value into a glob: * and ? are wildcards, \*,
// \? and \\ are literal, and any other backslash is itself.
func sigmaGlob(s string) []rune {
	var p []rune
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch r {
		case '*':
			p = append(p, globStar)
		case '?':
			p = append(p, globOne)
		case '\\':
			if i+1 < len(rs) && (rs[i+1] == '*' || rs[i+1] == '?' || rs[i+1] == '\\') {
				i++
				p = append(p, rs[i])
			} else {
				p = append(p, r)
			}
		default:
			p = append(p, r)
		}
	}
	return p
}

// unescapeSigma removes the escapes of \*, \? and \\.
func unescapeSigma(s string) string {
	var b strings.Builder
	for _, r := range sigmaGlob(s) {
		switch r {
		case globStar:
			b.WriteByte('*')
		case globOne:
			b.WriteByte('?')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func utf16Bytes(s string, bigEndian, bom bool) []byte {
	var b []byte
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, u := range utf16.Encode([]rune(s)) {
		if bigEndian {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return b
}

// base64Offsets returns the three base64 forms of b as it may appear at
// any offset inside a longer encoded text (the specification's
// base64offset): the characters that depend on neighbouring bytes are cut.
func base64Offsets(b []byte) []string {
	start := []int{0, 2, 3}
	var out []string
	for i := 0; i < 3; i++ {
		pad := append(bytes.Repeat([]byte{' '}, i), b...)
		enc := base64.StdEncoding.EncodeToString(pad)
		end := len(enc)
		switch (len(b) + i) % 3 {
		case 1:
			end -= 3
		case 2:
			end -= 2
		}
		if start[i] < end {
			out = append(out, enc[start[i]:end])
		}
	}
	return out
}

// windash returns s with each dash or slash that starts a command-line
// option replaced by every character Windows accepts there.
func windash(s string) []string {
	dashes := []string{"-", "/", "\u2013", "\u2014", "\u2015"}
	out := []string{""}
	rs := []rune(s)
	for i, r := range rs {
		isOpt := (r == '-' || r == '/') && (i == 0 || !isWordRune(rs[i-1])) && i+1 < len(rs) && isWordRune(rs[i+1])
		if !isOpt || len(out)*len(dashes) > 625 {
			for j := range out {
				out[j] += string(r)
			}
			continue
		}
		var next []string
		for _, o := range out {
			for _, d := range dashes {
				next = append(next, o+d)
			}
		}
		out = next
	}
	return out
}

func isWordRune(r rune) bool {
	return r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
}

// flatten returns the text of a value for a string match: an object or
// array's JSON with its strings' escapes decoded, so that a policy
// document inside requestParameters reads as written.
func flatten(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := stringBytes(s)
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		if b[i] != '"' {
			out = append(out, b[i])
			i++
			continue
		}
		p := jsonscan.New(b, 0)
		p.Pos = i
		t, err := p.Str()
		if err != nil {
			return s
		}
		out = append(append(append(out, '"'), t...), '"')
		i = p.Pos
	}
	return string(out)
}

func (n *sigmaField) eval(d *doc) bool {
	if n.plain {
		// The fast path of a live trail: a typed field, string matches.
		if v, ok := d.typed(&n.path); ok {
			return n.matchTyped(d, v)
		}
	}
	vals := d.lookupTo(&n.path, d.vals[:0])
	// A list field matches when one of its elements does.
	exp := d.exp[:0]
	for _, v := range vals {
		if v.kind != event.Array {
			exp = append(exp, v)
			continue
		}
		eachElement(stringBytes(v.s), func(e []byte) bool {
			exp = append(exp, rawValue(e))
			return true
		})
	}
	d.vals, d.exp = vals, exp
	if n.all {
		for i := range n.ms {
			if !n.ms[i].matchField(d, exp) {
				return false
			}
		}
		return true
	}
	for i := range n.ms {
		if n.ms[i].matchField(d, exp) {
			return true
		}
	}
	return false
}

// matchTyped is eval of a plain field on the value a decoded record's
// typed field holds. d lends the buffer for case folding: it may be nil
// when no value folds (see gateOf).
func (n *sigmaField) matchTyped(d *doc, v value) bool {
	if v.kind == event.Missing {
		return false
	}
	for i := range n.ms {
		m := n.ms[i].str.match(d, v.s)
		if m != n.all {
			return m
		}
	}
	return n.all
}

func (m *valueMatcher) matchField(d *doc, vals []value) bool {
	switch m.kind {
	case vmNull:
		for _, v := range vals {
			if v.kind != event.Null {
				return false
			}
		}
		return true
	case vmExists:
		present := false
		for _, v := range vals {
			if v.kind != event.Null {
				present = true
			}
		}
		return present == m.exists
	}
	for _, v := range vals {
		if m.matchValue(d, v) {
			return true
		}
	}
	return false
}

func (m *valueMatcher) matchValue(d *doc, v value) bool {
	switch m.kind {
	case vmString:
		switch v.kind {
		case event.String, event.Number, event.Boolean:
			return m.str.match(d, v.s)
		case event.Object, event.Array:
			return m.str.match(d, flatten(v.s))
		}
		return false
	case vmNumber:
		if v.kind != event.Number && v.kind != event.String {
			return false
		}
		f, err := strconv.ParseFloat(v.s, 64)
		if err != nil {
			return false
		}
		switch m.cmp {
		case "lt":
			return f < m.num
		case "lte":
			return f <= m.num
		case "gt":
			return f > m.num
		}
		return f >= m.num
	case vmCIDR:
		if v.kind != event.String {
			return false
		}
		a, err := netip.ParseAddr(v.s)
		return err == nil && m.prefix.Contains(a.Unmap())
	case vmFieldRef:
		if v.kind == event.Null || v.kind == event.Object || v.kind == event.Array {
			return false
		}
		d.refVals = d.lookupTo(m.ref, d.refVals[:0])
		for _, r := range d.refVals {
			if r.kind == event.Null || r.kind == event.Object || r.kind == event.Array {
				continue
			}
			a, b := v.s, r.s
			if m.fold {
				a, b = strings.Map(foldRune, a), strings.Map(foldRune, b)
			}
			switch {
			case m.refOp == opEqual && a == b,
				m.refOp == opContains && strings.Contains(a, b),
				m.refOp == opPrefix && strings.HasPrefix(a, b),
				m.refOp == opSuffix && strings.HasSuffix(a, b):
				return true
			}
		}
	}
	return false
}

// condParser parses a Sigma condition.
type condParser struct {
	c        *sigmaCompiler
	node     *yaml.Node
	src      string
	toks     []string
	offs     []int
	pos      int
	searches map[string]node
	names    []string
}

func (p *condParser) errorf(format string, args ...any) *Error {
	e := p.c.errorf(p.node, "condition %q: %s", p.src, fmt.Sprintf(format, args...))
	return e
}

func (p *condParser) parse() (node, error) {
	if strings.Contains(p.src, "|") {
		return nil, p.c.unsupported(p.node, "condition %q: aggregations (| count() …) are not supported", p.src)
	}
	for i := 0; i < len(p.src); {
		switch ch := p.src[i]; {
		case ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r':
			i++
		case ch == '(' || ch == ')':
			p.toks, p.offs = append(p.toks, string(ch)), append(p.offs, i)
			i++
		default:
			j := i
			for j < len(p.src) && !strings.ContainsRune(" \t\r\n()", rune(p.src[j])) {
				j++
			}
			p.toks, p.offs = append(p.toks, p.src[i:j]), append(p.offs, i)
			i = j
		}
	}
	for _, t := range p.toks {
		if t == "near" {
			return nil, p.c.unsupported(p.node, "condition %q: near is not supported", p.src)
		}
	}
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, p.errorf("unexpected %q: expected and, or or the end", p.toks[p.pos])
	}
	return n, nil
}

func (p *condParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *condParser) or() (node, error) {
	return chain(p.and, func() bool { return p.word("or") }, newOr)
}
func (p *condParser) and() (node, error) {
	return chain(p.not, func() bool { return p.word("and") }, newAnd)
}

// word moves past the next token if it is w.
func (p *condParser) word(w string) bool {
	if p.peek() != w {
		return false
	}
	p.pos++
	return true
}

func (p *condParser) not() (node, error) {
	if p.peek() == "not" {
		p.pos++
		n, err := p.not()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.primary()
}

func (p *condParser) primary() (node, error) {
	t := p.peek()
	switch t {
	case "":
		return nil, p.errorf("unexpected end: expected a search identifier, not, ( or 'N of'")
	case "(":
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, p.errorf("expected ')'")
		}
		p.pos++
		return n, nil
	case "and", "or", ")":
		return nil, p.errorf("unexpected %q: expected a search identifier", t)
	}
	if p.pos+1 < len(p.toks) && p.toks[p.pos+1] == "of" {
		return p.quantifier()
	}
	n, ok := p.searches[t]
	if !ok {
		return nil, p.errorf("unknown search identifier %q", t)
	}
	p.pos++
	return n, nil
}

// quantifier compiles "1 of x*", "any of them", "all of selection_*".
func (p *condParser) quantifier() (node, error) {
	q := p.toks[p.pos]
	p.pos += 2
	target := p.peek()
	if target == "" {
		return nil, p.errorf("expected a pattern or them after %q of", q)
	}
	p.pos++
	var sel []node
	for _, name := range p.names {
		var ok bool
		if target == "them" {
			ok = !strings.HasPrefix(name, "_")
		} else {
			ok = globMatch(sigmaGlob(target), name)
		}
		if ok {
			sel = append(sel, p.searches[name])
		}
	}
	if len(sel) == 0 {
		return nil, p.errorf("%q matches no search identifier", target)
	}
	switch q {
	case "1", "any":
		return orNode(sel), nil
	case "all":
		return andNode(sel), nil
	}
	return nil, p.errorf("expected 1, any or all before 'of', not %q", q)
}
