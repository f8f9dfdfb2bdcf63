package lake

import (
	"slices"
	"testing"

	"github.com/trailkit/trailkit/event"
)

func TestBatchOrder(t *testing.T) {
	recs := []string{
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","n":0}`,
		`{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":1}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","n":2}`,
		`{"eventName":"PutObject","eventSource":"s3.amazonaws.com","n":3}`,
		`{"eventSource": "spaced.amazonaws.com", "n":4}`,
		`{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":5}`,
		`{"n":6}`,
	}
	// The records of one API together, in input order: 0 and 3 (keys in
	// either order), 1 and 5, 4 and 6 (no keys found, first); services and
	// names by their first bytes: ec2 before s3, GetObject before PutObject.
	want := []int{4, 6, 1, 5, 2, 0, 3}

	var b rawBatch
	for i, r := range recs {
		b.buf = append(b.buf, r...)
		b.ends = append(b.ends, len(b.buf))
		b.idx = append(b.idx, 10+i)
		b.off = append(b.off, int64(100*i))
		// Members as the Scanner gives them, but for record 2: one made
		// up member whose End names the record.
		if i == 2 {
			b.mspan = append(b.mspan, [2]int{-1, -1})
			continue
		}
		b.mspan = append(b.mspan, [2]int{len(b.members), len(b.members) + 1})
		b.members = append(b.members, event.Member{Key: 1, End: int32(i)})
	}
	var o batchOrder
	for round := range 2 { // the same order again, from reused memory
		order := o.sort(&b)
		var got []int
		for _, i := range order {
			n := b.idx[i] - 10
			if rec := string(b.record(i)); rec != recs[n] {
				t.Errorf("round %d: record %d is %s, want %s (its index %d)", round, i, rec, recs[n], b.idx[i])
			}
			ms := b.recordMembers(i)
			if n == 2 && ms != nil || n != 2 && (len(ms) != 1 || ms[0].End != int32(n)) {
				t.Errorf("round %d: record %d has members %v", round, n, ms)
			}
			got = append(got, n)
		}
		if !slices.Equal(got, want) {
			t.Errorf("round %d: order %v, want %v", round, got, want)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	for _, c := range []struct{ rec, source, name string }{
		{`{"eventTime":"x","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"r"}`, "s3.amazonaws.com", "GetObject"},
		{`{"eventID":"x","eventName":"GetObject","eventSource":"s3.amazonaws.com","eventTime":"t"}`, "s3.amazonaws.com", "GetObject"},
		{`{"userIdentity":{"userName":"NAT"},"eventName":"Decrypt"}`, "", "Decrypt"},
		{`{"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}`, "", ""},
		{`{"eventName":"GetObject`, "", ""},
		{`{"eventName":"`, "", ""},
		{`"eventSource":"a","eventName":""`, "a", ""},
		{``, "", ""},
	} {
		source, name := apiKeys([]byte(c.rec))
		if string(source) != c.source || string(name) != c.name {
			t.Errorf("apiKeys(%s) = %q, %q, want %q, %q", c.rec, source, name, c.source, c.name)
		}
	}
}
