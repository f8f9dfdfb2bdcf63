// Package benchmeter holds what trailkit's benchmarks measure with beyond
// testing.B: the size of the generated input they run on, the processor
// time of the process (which a loaded machine inflates far less than
// elapsed time), and the median of per-iteration ratios, so that a
// benchmark alternating a floor and its subject reports a figure that one
// slow iteration does not move.
package benchmeter

import (
	"os"
	"slices"
	"strconv"
)

// Records is the number of records a benchmark generates:
// TRAILKIT_BENCH_RECORDS when it is a positive number, def otherwise.
func Records(def int) int {
	if n, err := strconv.Atoi(os.Getenv("TRAILKIT_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return def
}

// Median is the middle of xs, the mean of the two middle ones for an even
// count, and 0 for none. xs is left as it is.
func Median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 0 {
		return 0
	}
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
