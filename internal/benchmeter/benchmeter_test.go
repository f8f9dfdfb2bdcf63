package benchmeter

import (
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		xs   []float64
		want float64
	}{
		{nil, 0},
		{[]float64{3}, 3},
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
	} {
		in := append([]float64(nil), tc.xs...)
		if got := Median(tc.xs); got != tc.want {
			t.Errorf("Median(%v) = %v, want %v", in, got, tc.want)
		}
		for i := range in {
			if in[i] != tc.xs[i] {
				t.Errorf("Median reordered its input: %v, was %v", tc.xs, in)
			}
		}
	}
}

func TestRecords(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int
	}{{"", 7}, {"12", 12}, {"0", 7}, {"-3", 7}, {"many", 7}} {
		t.Setenv("TRAILKIT_BENCH_RECORDS", tc.env)
		if got := Records(7); got != tc.want {
			t.Errorf("TRAILKIT_BENCH_RECORDS=%q: Records(7) = %d, want %d", tc.env, got, tc.want)
		}
	}
}

func TestCPUTimeGrows(t *testing.T) {
	before := CPUTime(t)
	deadline := time.Now().Add(time.Second)
	for CPUTime(t) == before {
		if time.Now().After(deadline) {
			t.Fatal("a second of spinning used no processor time")
		}
	}
}
