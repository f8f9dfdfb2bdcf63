package redact_test

import (
	"testing"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/internal/synth"
)

func synthRecords(n int) []*event.Record {
	g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	out := make([]*event.Record, n)
	for i := range out {
		out[i] = g.Record()
	}
	return out
}

// BenchmarkLimit is the cost on the emit path for records that fit, which
// is nearly all of them: no encoding, no allocation.
func BenchmarkLimit(b *testing.B) {
	recs := synthRecords(1000)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if res := redact.Limit(recs[i%len(recs)], 0); !res.Fits {
			b.Fatal("does not fit")
		}
		i++
	}
}

// BenchmarkRedactFreeForm hides a member of requestParameters: only that
// field's bytes are rewritten.
func BenchmarkRedactFreeForm(b *testing.B) {
	recs := synthRecords(1000)
	x := redact.MustNew("requestParameters.bucketName", "responseElements.credentials.sessionToken")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := *recs[i%len(recs)] // a copy: the original stays unredacted
		if err := x.Record(&r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRedactIdentity hides typed strings of the identity, in place.
func BenchmarkRedactIdentity(b *testing.B) {
	recs := synthRecords(1000)
	x := redact.MustNew("userIdentity.accessKeyId", "sourceIPAddress")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := *recs[i%len(recs)]
		if err := x.Record(&r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkRedactWholeRecord hides a field deeper in the typed model: the
// record is encoded, rewritten and decoded again.
func BenchmarkRedactWholeRecord(b *testing.B) {
	recs := synthRecords(1000)
	x := redact.MustNew("userIdentity.sessionContext.sessionIssuer.arn")
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := *recs[i%len(recs)]
		if err := x.Record(&r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
