package detect

import (
	"regexp"
	"strings"
	"testing"
)

// TestRegexLiteralPretest checks the pre-test that finds a regular
// expression's required literal by its rarest byte against
// strings.Contains, at every place the literal can start or be cut off.
func TestRegexLiteralPretest(t *testing.T) {
	for _, re := range []string{`.+:assumed-role/aws:.+`, `^AKIA[A-Z0-9]+x-y$`, `abc`, `a.b`, `(?:xy)+z`} {
		m := newRegex(regexp.MustCompile(re))
		if m.lit == "" {
			t.Fatalf("%s: no literal", re)
		}
		lit := m.lit
		var texts []string
		for _, pad := range []string{"", "a", "arn:aws:iam::1:", "--__::"} {
			texts = append(texts, pad, pad+lit, lit+pad, pad+lit+pad, pad+lit[:len(lit)-1], lit[1:]+pad,
				pad+lit[:len(lit)-1]+lit+pad, strings.Repeat(lit[m.probe:m.probe+1], 3)+pad+lit)
		}
		for _, s := range texts {
			if got, want := m.hasLit(s), strings.Contains(s, lit); got != want {
				t.Errorf("%s: hasLit(%q) = %v, want %v (literal %q, probe %d)", re, s, got, want, lit, m.probe)
			}
		}
	}
}
