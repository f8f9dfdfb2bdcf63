package schema

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// ValidationError lists every way a document breaks its schema.
type ValidationError struct {
	Kind       Kind
	Violations []Violation // at least one, ordered by Pointer
}

// Violation is one broken rule.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the value at fault, such as
	// "/userIdentity/sessionContext/attributes/mfaAuthenticated" or
	// "/Records/3/eventTime"; "" is the document itself. For a required
	// member that is missing it points where the member should be.
	Pointer string
	// Keyword locates the rule: the schema file and the JSON pointer of the
	// keyword in it, such as "record.schema.json#/properties/readOnly/type",
	// or of the named definition, such as "record.schema.json#/$defs/time".
	Keyword string
	// Message says what is wrong, such as "expected string, but got number".
	Message string
}

// String returns the pointer and the message, with "(root)" for the
// document itself.
func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "(root)"
	}
	return p + ": " + v.Message
}

// maxErrorViolations bounds the text of Error; Violations keeps them all.
const maxErrorViolations = 10

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schema: invalid %s: ", e.Kind)
	for i, v := range e.Violations {
		if i == maxErrorViolations {
			fmt.Fprintf(&b, "; and %d more", len(e.Violations)-i)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(v.String())
	}
	return b.String()
}

// defMessages words the failures of the named $defs for people: the
// validator's own "does not match pattern '^[0-9]{4}-(0[1-9]|1[0-2])-…'" says
// little.
var defMessages = map[string]string{
	"time":         "%s is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ",
	"timeOrNull":   "%s is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ",
	"version":      "%s is not an eventVersion of the form major.minor",
	"sha256":       "%s is not a lower-case hex SHA-256 hash",
	"sha256OrNull": "%s is not a lower-case hex SHA-256 hash",
	"md5":          "%s is not a lower-case hex MD5 fingerprint",
	"hexOrNull":    "%s is not lower-case hex",
}

func newValidationError(k Kind, doc any, ve *jsonschema.ValidationError) *ValidationError {
	e := &ValidationError{Kind: k}
	var walk func(*jsonschema.ValidationError)
	walk = func(ve *jsonschema.ValidationError) {
		if len(ve.Causes) > 0 {
			for _, c := range ve.Causes {
				walk(c)
			}
			return
		}
		e.Violations = append(e.Violations, violations(doc, ve)...)
	}
	walk(ve)
	slices.SortFunc(e.Violations, func(a, b Violation) int {
		if c := comparePointers(a.Pointer, b.Pointer); c != 0 {
			return c
		}
		if c := strings.Compare(a.Keyword, b.Keyword); c != 0 {
			return c
		}
		return strings.Compare(a.Message, b.Message)
	})
	// A value can break a def twice (pattern and format); say it once.
	e.Violations = slices.Compact(e.Violations)
	return e
}

// violations turns one leaf of the validator's error tree into violations:
// a "required" failure becomes one violation per missing member.
func violations(doc any, ve *jsonschema.ValidationError) []Violation {
	kw := ve.AbsoluteKeywordLocation
	kw = strings.TrimPrefix(kw, BaseURL)
	v := Violation{Pointer: plainPointer(ve.InstanceLocation), Keyword: kw, Message: ve.Message}

	file, frag, _ := strings.Cut(kw, "#")
	switch {
	case strings.HasSuffix(frag, "/required"):
		names, ok := missingNames(ve.Message)
		if !ok {
			return []Violation{v}
		}
		msg := "missing (required)"
		if file == Record.File() && frag == "/then/required" {
			msg = "missing (required in Insights events)"
		}
		out := make([]Violation, len(names))
		for i, n := range names {
			out[i] = Violation{Pointer: v.Pointer + "/" + escapePointer(n), Keyword: kw, Message: msg}
		}
		return out
	case strings.HasPrefix(frag, "/$defs/"):
		def, rule, _ := strings.Cut(frag[len("/$defs/"):], "/")
		if f, ok := defMessages[def]; ok && (rule == "pattern" || rule == "format") {
			// The message speaks for the whole rule, pattern and format.
			v.Keyword = strings.TrimSuffix(kw, "/"+rule)
			v.Message = fmt.Sprintf(f, quoteValue(lookup(doc, v.Pointer)))
		}
	}
	return []Violation{v}
}

// missingNames parses the validator's "missing properties: 'a', 'b'". The
// schemas' member names are plain identifiers, so the quoting is simple; if
// the text is anything else the message is kept as it is.
func missingNames(msg string) ([]string, bool) {
	list, ok := strings.CutPrefix(msg, "missing properties: ")
	if !ok {
		return nil, false
	}
	var names []string
	for _, q := range strings.Split(list, ", ") {
		if len(q) < 2 || q[0] != '\'' || q[len(q)-1] != '\'' || strings.ContainsAny(q[1:len(q)-1], `'\`) {
			return nil, false
		}
		names = append(names, q[1:len(q)-1])
	}
	return names, len(names) > 0
}

// plainPointer undoes the URL escaping the validator adds to each token of
// an instance location, leaving an RFC 6901 pointer.
func plainPointer(p string) string {
	if !strings.Contains(p, "%") {
		return p
	}
	toks := strings.Split(p, "/")
	for i, t := range toks {
		if u, err := url.PathUnescape(t); err == nil {
			toks[i] = u
		}
	}
	return strings.Join(toks, "/")
}

func escapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// lookup returns the value ptr points to in doc.
func lookup(doc any, ptr string) any {
	if ptr == "" {
		return doc
	}
	v := doc
	for _, tok := range strings.Split(ptr[1:], "/") {
		switch x := v.(type) {
		case map[string]any:
			v = x[unescapePointer(tok)]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// quoteValue shows a failing value in a message, cut to a readable length.
func quoteValue(v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprint(v)
	}
	const max = 64
	if len(s) > max {
		cut := max
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// comparePointers orders JSON pointers token by token, array indexes by
// number, so that /Records/2 comes before /Records/10.
func comparePointers(a, b string) int {
	for a != "" && b != "" {
		var ta, tb string
		ta, a = nextToken(a)
		tb, b = nextToken(b)
		if ta == tb {
			continue
		}
		na, ea := strconv.Atoi(ta)
		nb, eb := strconv.Atoi(tb)
		if ea == nil && eb == nil {
			return cmp.Compare(na, nb)
		}
		return strings.Compare(ta, tb)
	}
	return cmp.Compare(len(a), len(b))
}

func nextToken(p string) (tok, rest string) {
	p = p[1:] // the leading '/'
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[:i], p[i:]
	}
	return p, ""
}
