package detect

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/trailkit/trailkit/event"
)

// ParsePattern compiles a CloudWatch Logs filter pattern: the JSON form
// ({ $.eventName = "ConsoleLogin" && $.errorCode NOT EXISTS }) or the term
// form ("Failed" -"Retry", ?ERROR ?WARN, %regex%). name names the pattern
// in errors and becomes the rule's ID.
func ParsePattern(name, pattern string) (*Rule, error) {
	p := &patternParser{name: name, src: pattern}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Rule{ID: name, Title: pattern, Level: "medium", Source: SourcePattern, Pattern: pattern, root: root}, nil
}

// maxRegexes is CloudWatch's limit of regular expressions in one filter
// pattern.
const maxRegexes = 2

type patternParser struct {
	name    string
	src     string
	pos     int
	regexes int
}

func (p *patternParser) errorf(format string, args ...any) *Error {
	return errorf(p.name, 1, p.pos+1, format, args...)
}

func (p *patternParser) ws() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n' || p.src[p.pos] == '\r') {
		p.pos++
	}
}

func (p *patternParser) eat(s string) bool {
	p.ws()
	if strings.HasPrefix(p.src[p.pos:], s) {
		p.pos += len(s)
		return true
	}
	return false
}

func (p *patternParser) parse() (node, error) {
	p.ws()
	if p.pos < len(p.src) && p.src[p.pos] == '{' {
		p.pos++
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat("}") {
			return nil, p.errorf("expected '&&', '||' or the closing '}'")
		}
		p.ws()
		if p.pos != len(p.src) {
			return nil, p.errorf("unexpected text after the closing '}'")
		}
		return n, nil
	}
	return p.terms()
}

func (p *patternParser) or() (node, error) {
	return chain(p.and, func() bool { return p.eat("||") }, newOr)
}

func (p *patternParser) and() (node, error) {
	return chain(p.primary, func() bool { return p.eat("&&") }, newAnd)
}

func (p *patternParser) primary() (node, error) {
	if p.eat("(") {
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.eat(")") {
			return nil, p.errorf("expected '&&', '||' or ')'")
		}
		return n, nil
	}
	path, err := p.selector()
	if err != nil {
		return nil, err
	}
	p.ws()
	switch {
	case p.eat("IS NULL"):
		return &cwUnary{path: path, test: isNull}, nil
	case p.eat("IS TRUE"):
		return &cwUnary{path: path, test: isTrue}, nil
	case p.eat("IS FALSE"):
		return &cwUnary{path: path, test: isFalse}, nil
	case p.eat("NOT EXISTS"):
		return &cwUnary{path: path, test: notExists}, nil
	}
	var op string
	for _, o := range []string{"!=", "<=", ">=", "=", "<", ">"} {
		if p.eat(o) {
			op = o
			break
		}
	}
	if op == "" {
		return nil, p.errorf("expected an operator (=, !=, <, <=, >, >=, IS NULL, IS TRUE, IS FALSE, NOT EXISTS) after %s", path.text)
	}
	return p.operand(path, op)
}

// selector reads $.a.b[0]['c.d'].
func (p *patternParser) selector() (fieldPath, error) {
	p.ws()
	start := p.pos
	if p.pos >= len(p.src) || p.src[p.pos] != '$' {
		return fieldPath{}, p.errorf("expected a selector starting with $ (such as $.eventName) or '('")
	}
	p.pos++
	var fp fieldPath
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '.' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '[':
			p.pos++
			continue
		case c == '.':
			p.pos++
			k := p.pos
			for p.pos < len(p.src) && isIdent(p.src[p.pos]) {
				p.pos++
			}
			if k == p.pos {
				return fieldPath{}, p.errorf("expected a property name after '.'")
			}
			fp.segs = append(fp.segs, seg{key: p.src[k:p.pos], index: -1})
		case c == '[':
			p.pos++
			if p.pos < len(p.src) && (p.src[p.pos] == '\'' || p.src[p.pos] == '"') {
				q := p.src[p.pos]
				end := strings.IndexByte(p.src[p.pos+1:], q)
				if end < 0 {
					return fieldPath{}, p.errorf("unterminated quoted property name")
				}
				fp.segs = append(fp.segs, seg{key: p.src[p.pos+1 : p.pos+1+end], index: -1})
				p.pos += end + 2
			} else {
				k := p.pos
				for p.pos < len(p.src) && '0' <= p.src[p.pos] && p.src[p.pos] <= '9' {
					p.pos++
				}
				n, err := strconv.Atoi(p.src[k:p.pos])
				if err != nil || n > 1<<20 {
					return fieldPath{}, p.errorf("expected an array index")
				}
				if len(fp.segs) == 0 {
					return fieldPath{}, p.errorf("an array index must follow a property")
				}
				fp.segs = append(fp.segs, seg{index: n})
			}
			if p.pos >= len(p.src) || p.src[p.pos] != ']' {
				return fieldPath{}, p.errorf("expected ']'")
			}
			p.pos++
		default:
			goto done
		}
	}
done:
	if len(fp.segs) == 0 {
		return fieldPath{}, p.errorf("expected a property after $")
	}
	fp.text = p.src[start:p.pos]
	compilePath(&fp)
	return fp, nil
}

func isIdent(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '@' || c == ':'
}

// operand reads the value after a comparison operator.
func (p *patternParser) operand(path fieldPath, op string) (node, error) {
	p.ws()
	if p.pos >= len(p.src) {
		return nil, p.errorf("expected a value after %s", op)
	}
	n := &cwCompare{path: path, op: op}
	switch c := p.src[p.pos]; c {
	case '"':
		s, err := p.quoted()
		if err != nil {
			return nil, err
		}
		n.str = cwWildcard(s)
	case '%':
		re, err := p.regex()
		if err != nil {
			return nil, err
		}
		n.str = newRegex(re)
	default:
		k := p.pos
		for p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n)}&|", rune(p.src[p.pos])) {
			p.pos++
		}
		tok := p.src[k:p.pos]
		if tok == "" || strings.ContainsRune("=!<>(", rune(tok[0])) {
			p.pos = k
			return nil, p.errorf("expected a value after %s", op)
		}
		if f, err := strconv.ParseFloat(strings.TrimPrefix(tok, "+"), 64); err == nil {
			n.num, n.isNum, n.numText = f, true, tok
		}
		n.str = cwWildcard(tok)
	}
	if op != "=" && op != "!=" && !n.isNum {
		return nil, p.errorf("%s needs a number, as in { %s %s 500 }", op, path.text, op)
	}
	return n, nil
}

func (p *patternParser) quoted() (string, error) {
	var b strings.Builder
	for p.pos++; p.pos < len(p.src); p.pos++ {
		switch c := p.src[p.pos]; c {
		case '\\':
			if p.pos+1 < len(p.src) {
				p.pos++
				b.WriteByte(p.src[p.pos])
			}
		case '"':
			p.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf("unterminated quoted string")
}

// regex reads %...%. CloudWatch accepts alphanumerics, the symbols
// :_#=@/;,- and the operators ^$?[]{}|\*+. ; parentheses are refused.
func (p *patternParser) regex() (*regexp.Regexp, error) {
	p.regexes++
	if p.regexes > maxRegexes {
		return nil, p.errorf("a filter pattern may hold at most %d regular expressions", maxRegexes)
	}
	start := p.pos + 1
	end := strings.IndexByte(p.src[start:], '%')
	if end < 0 {
		return nil, p.errorf("unterminated regular expression: expected the closing %%")
	}
	expr := p.src[start : start+end]
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		if isAlnum(c) || strings.IndexByte(":_#=@/;,- ^$?[]{}|\\*+.", c) >= 0 {
			continue
		}
		p.pos = start + i
		return nil, p.errorf("character %q is not allowed in a CloudWatch regular expression", c)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		p.pos = start
		return nil, &Error{File: p.name, Line: 1, Column: start + 1, Msg: "bad regular expression", Err: err}
	}
	p.pos = start + end + 1
	return re, nil
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// cwWildcard compiles a CloudWatch string: '*' at its start or end
// matches any text; inside the string it is a literal '*'.
func cwWildcard(s string) strMatcher {
	if strings.Trim(s, "*") == "" && s != "" {
		return strMatcher{op: opAny}
	}
	lead := strings.HasPrefix(s, "*")
	trail := strings.HasSuffix(s, "*")
	core := strings.TrimSuffix(strings.TrimPrefix(s, "*"), "*")
	switch {
	case lead && trail:
		return strMatcher{op: opContains, s: core}
	case lead:
		return strMatcher{op: opSuffix, s: core}
	case trail:
		return strMatcher{op: opPrefix, s: core}
	}
	return strMatcher{op: opEqual, s: s}
}

// cwCompare is a JSON-form comparison. As in CloudWatch, it matches
// only when the selector names a string or a number: a missing field,
// null, a boolean, an object or an array match neither = nor !=.
type cwCompare struct {
	path    fieldPath
	op      string
	str     strMatcher
	isNum   bool
	num     float64
	numText string
}

func (n *cwCompare) eval(d *doc) bool {
	var v value
	if tv, ok := d.typed(&n.path); ok {
		v = tv
	} else if vals := d.lookup(&n.path); len(vals) > 0 {
		v = vals[0]
	}
	if v.kind != event.String && v.kind != event.Number {
		return false
	}
	if n.isNum {
		f, err := strconv.ParseFloat(v.s, 64)
		if err != nil {
			if n.op == "=" || n.op == "!=" {
				eq := v.s == n.numText
				return eq == (n.op == "=")
			}
			return false
		}
		switch n.op {
		case "=":
			return f == n.num
		case "!=":
			return f != n.num
		case "<":
			return f < n.num
		case "<=":
			return f <= n.num
		case ">":
			return f > n.num
		}
		return f >= n.num
	}
	m := n.str.match(d, v.s)
	if n.op == "!=" {
		return !m
	}
	return m
}

type unaryTest uint8

const (
	isNull unaryTest = iota
	isTrue
	isFalse
	notExists
)

type cwUnary struct {
	path fieldPath
	test unaryTest
}

func (n *cwUnary) eval(d *doc) bool {
	vals := d.lookup(&n.path)
	if n.test == notExists {
		return len(vals) == 0
	}
	if len(vals) == 0 {
		return false
	}
	switch n.test {
	case isNull:
		return vals[0].kind == event.Null
	case isTrue:
		return vals[0].kind == event.Boolean && vals[0].s == "true"
	}
	return vals[0].kind == event.Boolean && vals[0].s == "false"
}

// terms compiles the term form: every term must occur in the record's
// JSON text, a term after '-' must not, and terms after '?' are
// alternatives. "" alone matches every record.
func (p *patternParser) terms() (node, error) {
	var all andNode
	var anyOf orNode
	plain := 0
	for {
		p.ws()
		if p.pos >= len(p.src) {
			break
		}
		neg, opt := false, false
		switch p.src[p.pos] {
		case '-':
			neg = true
			p.pos++
		case '?':
			opt = true
			p.pos++
		}
		p.ws()
		if p.pos >= len(p.src) {
			return nil, p.errorf("expected a term after '-' or '?'")
		}
		var t node
		switch p.src[p.pos] {
		case '"':
			s, err := p.quoted()
			if err != nil {
				return nil, err
			}
			if s == "" {
				t = constNode(true)
			} else {
				t = &termNode{m: strMatcher{op: opContains, s: s}}
			}
		case '%':
			re, err := p.regex()
			if err != nil {
				return nil, err
			}
			t = &termNode{m: newRegex(re)}
		case '{', '[':
			return nil, p.errorf("a JSON filter pattern must start with '{' and end with '}'; space-delimited patterns ([a, b, ...]) are not supported")
		default:
			k := p.pos
			for p.pos < len(p.src) && !strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
				p.pos++
			}
			t = &termNode{m: strMatcher{op: opContains, s: p.src[k:p.pos]}}
		}
		switch {
		case opt:
			anyOf = append(anyOf, t)
		case neg:
			all = append(all, notNode{t})
			plain++
		default:
			all = append(all, t)
			plain++
		}
	}
	if len(anyOf) > 0 {
		if plain > 0 {
			return nil, errorf(p.name, 1, 1, "a pattern of ?alternatives cannot also hold required or excluded terms")
		}
		return anyOf, nil
	}
	if len(all) == 0 {
		return constNode(true), nil
	}
	return all, nil
}

// termNode looks for a term in the record's JSON text.
type termNode struct{ m strMatcher }

func (n *termNode) eval(d *doc) bool {
	t := bytesString(d.text())
	if n.m.op == opRegex {
		return n.m.match(d, t)
	}
	return strings.Contains(t, n.m.s)
}
