package lake

import (
	"slices"
	"testing"
)

func TestBatchOrder(t *testing.T) {
	recs := []string{
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","n":0}`,
		`{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":1}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","n":2}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","n":3}`,
		`{"eventSource": "spaced.amazonaws.com", "n":4}`,
		`{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":5}`,
	}
	// By source, then name, in input order among equal keys; the record
	// whose keys the text search does not find first.
	want := []int{4, 1, 5, 2, 0, 3}

	var b rawBatch
	for i, r := range recs {
		b.buf = append(b.buf, r...)
		b.ends = append(b.ends, len(b.buf))
		b.idx = append(b.idx, 10+i)
		b.off = append(b.off, int64(100*i))
	}
	var o batchOrder
	for round := range 2 { // the second round reuses the swapped buffers
		o.sort(&b)
		if len(b.ends) != len(recs) {
			t.Fatalf("round %d: %d records, want %d", round, len(b.ends), len(recs))
		}
		start := 0
		var got []int
		for i, end := range b.ends {
			n := b.idx[i] - 10
			if rec := string(b.buf[start:end]); rec != recs[n] {
				t.Errorf("round %d: record %d is %s, want %s (its index %d)", round, i, rec, recs[n], b.idx[i])
			}
			if b.off[i] != int64(100*n) {
				t.Errorf("round %d: record %d has offset %d, want %d", round, i, b.off[i], 100*n)
			}
			got = append(got, n)
			start = end
		}
		if !slices.Equal(got, want) {
			t.Errorf("round %d: order %v, want %v", round, got, want)
		}
	}
}
