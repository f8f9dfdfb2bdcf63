package detect

import (
	"regexp"
	"regexp/syntax"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A strMatcher tests one string. Patterns are compiled once: a plain
// value becomes an equality, prefix, suffix or substring test, and only a
// value with wildcards inside it is matched as a glob.
type strMatcher struct {
	op   strOp
	s    string // the literal; lower case when fold
	fold bool   // case-insensitive (Sigma's default)
	glob []rune // for opGlob: globStar and globOne mark the wildcards
	re   *regexp.Regexp
	lit  string // a substring every match of re contains (a fast pre-test)
	// probe is the index in lit of its least common byte (by rareness),
	// searched for first.
	probe int
	// ascii is set when s is ASCII: folding never turns a character
	// outside ASCII into one inside (see foldRune), so only an ASCII
	// string of s's length can then equal it folded.
	ascii bool
}

type strOp uint8

const (
	opEqual strOp = iota
	opPrefix
	opSuffix
	opContains
	opGlob
	opRegex
	opAny
)

const (
	globStar rune = -1
	globOne  rune = -2
)

// newGlob compiles a pattern in which globStar and globOne are
// wildcards, choosing the cheapest test that is equivalent.
func newGlob(p []rune, fold bool) strMatcher {
	if fold {
		for i, r := range p {
			if r >= 0 {
				p[i] = foldRune(r)
			}
		}
	}
	stars, ones := 0, 0
	for _, r := range p {
		switch r {
		case globStar:
			stars++
		case globOne:
			ones++
		}
	}
	lit := func(q []rune) string { return string(q) }
	n := len(p)
	switch {
	case ones > 0:
	case stars == 0:
		s := lit(p)
		return strMatcher{op: opEqual, s: s, fold: fold, ascii: isASCII(s)}
	case n == stars:
		return strMatcher{op: opAny}
	case stars == 1 && p[n-1] == globStar:
		return strMatcher{op: opPrefix, s: lit(p[:n-1]), fold: fold}
	case stars == 1 && p[0] == globStar:
		return strMatcher{op: opSuffix, s: lit(p[1:]), fold: fold}
	case stars == 2 && p[0] == globStar && p[n-1] == globStar:
		return strMatcher{op: opContains, s: lit(p[1 : n-1]), fold: fold}
	}
	return strMatcher{op: opGlob, glob: p, fold: fold}
}

// foldRune is the case folding of case-insensitive matching: a letter
// to its lower case, except that a character outside ASCII never folds
// into ASCII (the Kelvin sign stays itself rather than become k). Values
// that differ only there are not the same text, and it keeps equality
// what a Set's index computes: an ASCII value folded byte by byte.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}
	if l := unicode.ToLower(r); l >= utf8.RuneSelf {
		return l
	}
	return r
}

// newRegex compiles re with a literal pre-test.
func newRegex(re *regexp.Regexp) strMatcher {
	m := strMatcher{op: opRegex, re: re}
	if p, err := syntax.Parse(re.String(), syntax.Perl); err == nil {
		m.lit = requiredLiteral(p.Simplify())
	}
	for i := range len(m.lit) {
		if rareness(m.lit[i]) > rareness(m.lit[m.probe]) {
			m.probe = i
		}
	}
	return m
}

// rareness ranks bytes by how seldom they occur in CloudTrail's strings
// (ARNs, names, user agents): letters and digits least rare, then the
// separators of ARNs and paths, then the rest.
func rareness(c byte) int {
	switch {
	case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		return 0
	case c == ':' || c == '/' || c == '.' || c == ' ':
		return 1
	case 'A' <= c && c <= 'Z', c == '-', c == '_':
		return 2
	}
	return 3
}

// hasLit reports whether s contains m.lit, finding the candidate places
// by the literal's rarest byte with IndexByte: on a short string that
// cannot match (most records), cheaper than searching for the whole of it.
func (m *strMatcher) hasLit(s string) bool {
	lit, k := m.lit, m.probe
	for i := 0; i+len(lit) <= len(s); i++ {
		j := strings.IndexByte(s[i+k:len(s)-len(lit)+k+1], lit[k])
		if j < 0 {
			return false
		}
		i += j
		if s[i:i+len(lit)] == lit {
			return true
		}
	}
	return false
}

// requiredLiteral returns the longest case-sensitive literal that every
// match of p contains, or "".
func requiredLiteral(p *syntax.Regexp) string {
	switch p.Op {
	case syntax.OpLiteral:
		if p.Flags&syntax.FoldCase == 0 {
			return string(p.Rune)
		}
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiteral(p.Sub[0])
	case syntax.OpConcat:
		best := ""
		for _, s := range p.Sub {
			if l := requiredLiteral(s); len(l) > len(best) {
				best = l
			}
		}
		return best
	}
	return ""
}

// match tests s; d lends a buffer for case folding.
func (m *strMatcher) match(d *doc, s string) bool {
	switch m.op {
	case opAny:
		return true
	case opRegex:
		if m.lit != "" && !m.hasLit(s) {
			return false
		}
		return m.re.MatchString(s)
	}
	if !m.fold {
		switch m.op {
		case opEqual:
			return s == m.s
		case opPrefix:
			return strings.HasPrefix(s, m.s)
		case opSuffix:
			return strings.HasSuffix(s, m.s)
		case opContains:
			return strings.Contains(s, m.s)
		}
		return globMatch(m.glob, s)
	}
	if m.op == opEqual && m.ascii {
		return equalFoldASCII(s, m.s)
	}
	low := d.lower(s)
	switch m.op {
	case opEqual:
		return low == m.s
	case opPrefix:
		return strings.HasPrefix(low, m.s)
	case opSuffix:
		return strings.HasSuffix(low, m.s)
	case opContains:
		return strings.Contains(low, m.s)
	}
	return globMatch(m.glob, low)
}

// lower returns s folded by foldRune, in d's buffer.
func (d *doc) lower(s string) string {
	ascii := true
	d.fold = d.fold[:0]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		d.fold = append(d.fold, c)
	}
	if !ascii {
		d.fold = d.fold[:0]
		for _, r := range s {
			d.fold = utf8.AppendRune(d.fold, foldRune(r))
		}
	}
	return bytesString(d.fold)
}

// equalFoldASCII reports whether s folded by foldRune is low, an ASCII
// string already folded: s must be ASCII and of the same length, each
// byte equal to low's once an upper-case letter is lowered.
func equalFoldASCII(s, low string) bool {
	if len(s) != len(low) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != low[i] {
			return false // a byte of s outside ASCII never equals one of low
		}
	}
	return true
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// globMatch matches s against p, where globStar matches any run of
// characters and globOne one character.
func globMatch(p []rune, s string) bool {
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(s) {
		r, n := utf8.DecodeRuneInString(s[si:])
		if pi < len(p) {
			switch p[pi] {
			case globStar:
				starP, starS = pi, si
				pi++
				continue
			case globOne:
				pi++
				si += n
				continue
			default:
				if p[pi] == r {
					pi++
					si += n
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		_, n = utf8.DecodeRuneInString(s[starS:])
		starS += n
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == globStar {
		pi++
	}
	return pi == len(p)
}
