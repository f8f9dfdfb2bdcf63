package selector

// Matching compares record values with configured values many times per
// record. A Go string comparison of two strings of equal length calls into
// the runtime, and calls are what Match's budget cannot afford; so each
// configured value keeps three of its bytes aside, and most values that
// differ are told apart by comparing those bytes inline. Only a value that
// agrees on them pays for the full comparison.
//
// The three bytes are the first, the last and a probe: for values that
// share a prefix, as ARNs do ("arn:aws:s3:::"), the first byte after the
// shared part, where they start to differ; otherwise the middle one.

// pattern is one configured value. It is never empty: validation rejects
// empty values, and newPatterns drops them besides, so that is can index v
// without checking its length.
type pattern struct {
	s                  string
	probeAt            int
	first, probe, last byte
}

func newPattern(s string, probeAt int) pattern {
	if probeAt <= 0 || probeAt >= len(s) {
		probeAt = len(s) >> 1
	}
	return pattern{s: s, probeAt: probeAt, first: s[0], probe: s[probeAt], last: s[len(s)-1]}
}

// is reports whether v equals p; v must have p's length.
func (p *pattern) is(v string) bool {
	return v[0] == p.first && v[len(v)-1] == p.last && v[p.probeAt] == p.probe && v == p.s
}

// patterns is a list of values scanned in order.
type patterns []pattern

func newPatterns(values []string) patterns {
	probeAt := commonPrefixLen(values)
	var ps patterns
	for _, v := range values {
		if v != "" {
			ps = append(ps, newPattern(v, probeAt))
		}
	}
	return ps
}

// commonPrefixLen is the length of the longest prefix all values share.
func commonPrefixLen(values []string) int {
	if len(values) < 2 {
		return 0
	}
	n := len(values[0])
	for _, v := range values[1:] {
		n = min(n, len(v))
		for i := 0; i < n; i++ {
			if v[i] != values[0][i] {
				n = i
				break
			}
		}
	}
	return n
}

func (ps patterns) anyEqual(v string) bool {
	for i := range ps {
		if len(ps[i].s) == len(v) && ps[i].is(v) {
			return true
		}
	}
	return false
}

// anyPrefixOf reports whether one of ps is a prefix of v.
func (ps patterns) anyPrefixOf(v string) bool {
	for i := range ps {
		if n := len(ps[i].s); n <= len(v) && ps[i].is(v[:n]) {
			return true
		}
	}
	return false
}

// anySuffixOf reports whether one of ps is a suffix of v.
func (ps patterns) anySuffixOf(v string) bool {
	for i := range ps {
		if n := len(ps[i].s); n <= len(v) && ps[i].is(v[len(v)-n:]) {
			return true
		}
	}
	return false
}

// linearSetMax is the size up to which scanning a set beats hashing the
// value for a map lookup (measured with BenchmarkValueSet).
const linearSetMax = 8

// valueSet is a set of values for Equals and NotEquals: scanned when small,
// hashed when large. lengths has bit len%64 set for each value's length, so
// that most values not in the set are turned away by one test.
type valueSet struct {
	lengths uint64
	small   patterns
	large   map[string]struct{}
}

func newValueSet(values []string) valueSet {
	var s valueSet
	for _, v := range values {
		s.lengths |= 1 << (len(v) & 63)
	}
	if len(values) <= linearSetMax {
		s.small = newPatterns(values)
		return s
	}
	s.large = make(map[string]struct{}, len(values))
	for _, v := range values {
		s.large[v] = struct{}{}
	}
	return s
}

func (s *valueSet) contains(v string) bool {
	return s.lengths&(1<<(len(v)&63)) != 0 && (s.small.anyEqual(v) || s.large != nil && inMap(s.large, v))
}

func inMap(m map[string]struct{}, v string) bool {
	_, ok := m[v]
	return ok
}
