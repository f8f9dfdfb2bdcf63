package selector

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPatterns(t *testing.T) {
	values := []string{"arn:aws:s3:::orders/", "arn:aws:s3:::invoices/", "x", "arn:aws:s3:::orders-archive/"}
	ps := newPatterns(values)
	tests := []struct {
		v                     string
		equal, prefix, suffix bool
	}{
		{"arn:aws:s3:::orders/", true, true, true},
		{"arn:aws:s3:::orders/2025/a.csv", false, true, false},
		{"arn:aws:s3:::orders", false, false, false},
		{"arn:aws:s3:::ordersX", false, false, false},
		{"arn:aws:s3:::invoices/", true, true, true},
		{"arn:aws:s3:::invoices-old/k", false, false, false},
		{"x", true, true, true},
		{"xyz", false, true, false},
		{"zyx", false, false, true},
		{"y", false, false, false},
		{"", false, false, false},
		{"prefix/arn:aws:s3:::orders/", false, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.v, func(t *testing.T) {
			assert.Equal(t, tc.equal, ps.anyEqual(tc.v), "anyEqual")
			assert.Equal(t, tc.prefix, ps.anyPrefixOf(tc.v), "anyPrefixOf")
			assert.Equal(t, tc.suffix, ps.anySuffixOf(tc.v), "anySuffixOf")
			set := newValueSet(values)
			assert.Equal(t, tc.equal, set.contains(tc.v), "valueSet")
		})
	}
}

func TestValueSetLarge(t *testing.T) {
	var values []string
	for i := range 100 {
		values = append(values, "event"+strconv.Itoa(i))
	}
	set := newValueSet(values)
	assert.NotNil(t, set.large, "a set of 100 values is hashed")
	for _, v := range values {
		assert.True(t, set.contains(v), v)
	}
	for _, v := range []string{"event100", "event", "Event1", "", "event01"} {
		assert.False(t, set.contains(v), v)
	}
}

func TestCommonPrefixLen(t *testing.T) {
	assert.Equal(t, 0, commonPrefixLen(nil))
	assert.Equal(t, 0, commonPrefixLen([]string{"abc"}))
	assert.Equal(t, 2, commonPrefixLen([]string{"abc", "abd", "ab"}))
	assert.Equal(t, 0, commonPrefixLen([]string{"abc", "xbc"}))
	assert.Equal(t, 3, commonPrefixLen([]string{"abc", "abc"}))
}

// BenchmarkValueSet compares scanning patterns with a map lookup, to place
// linearSetMax: the size up to which valueSet scans.
func BenchmarkValueSet(b *testing.B) {
	for _, n := range []int{4, 8, 16, 32, 64} {
		var values []string
		for i := range n {
			values = append(values, fmt.Sprintf("arn:aws:lambda:us-east-1:111122223333:function:fn-%03d", i))
		}
		probes := append(values[n/2:n/2+2:n/2+2], "arn:aws:lambda:us-east-1:111122223333:function:fn-999", "arn:aws:lambda:us-east-1:111122223333:function:other")
		scan := newPatterns(values)
		hashed := make(map[string]struct{}, n)
		for _, v := range values {
			hashed[v] = struct{}{}
		}
		b.Run(fmt.Sprintf("scan-%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				scan.anyEqual(probes[i&3])
			}
		})
		b.Run(fmt.Sprintf("map-%d", n), func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				inMap(hashed, probes[i&3])
			}
		})
	}
}
