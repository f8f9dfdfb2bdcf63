package history_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail/history"
)

// benchStore generates the benchmarks' trail once (cached in the temp
// directory) and opens it.
func benchStore(b *testing.B) *sink.Dir {
	b.Helper()
	root, err := synth.BenchTrail(benchmeter.Records(200000))
	if err != nil {
		b.Fatal(err)
	}
	d, err := sink.NewDir(root, sink.DirOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// benchRange covers the whole trail.
var benchStart, benchEnd = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)

// selective is the attribute of the benchmarks: one user of 200, about
// one record in 200.
var selective = []history.Attribute{{Key: history.Username, Value: "user-042"}}

func timed(b *testing.B, f func()) time.Duration {
	b.Helper()
	start := time.Now()
	f()
	return time.Since(start)
}

// BenchmarkLookup measures lookups on the ten-day trail against one full
// pass, measured in the same iteration: a lookup of every event of the
// selective attribute without summaries, which reads every file once.
//
//   - x-pass-first-page: the first page of 50 (no attribute), with the
//     summaries the pass left: target at most 0.25.
//   - x-pass-paging: a new query of the selective attribute, paged by
//     NextToken in pages of 50 to the end, starting without summaries and
//     keeping the ones each page builds (as a server, or the trailkit
//     command's cache, keeps them): target at most 1.2.
//   - x-pass-warm: all events of the attribute again, with summaries.
//
// Every page's events are checked against the pass's.
func BenchmarkLookup(b *testing.B) {
	store := benchStore(b)
	ctx := context.Background()
	var pass, first, paging, warm time.Duration
	var matches, pages int
	for b.Loop() {
		sums := history.NewSummaries()
		var all history.Output
		pass += timed(b, func() {
			var err error
			all, err = history.LookupMany(ctx, store, history.Input{StartTime: benchStart, EndTime: benchEnd, Attributes: selective, Summaries: sums}, 0)
			if err != nil {
				b.Fatal(err)
			}
		})
		matches = len(all.Events)
		first += timed(b, func() {
			out, err := history.Lookup(ctx, store, history.Input{StartTime: benchStart, EndTime: benchEnd, Summaries: sums})
			if err != nil || len(out.Events) != 50 || out.NextToken == "" {
				b.Fatalf("first page: %d events, %v", len(out.Events), err)
			}
		})
		var got []string
		paging += timed(b, func() {
			in := history.Input{StartTime: benchStart, EndTime: benchEnd, Attributes: selective, Summaries: history.NewSummaries()}
			for pages = 1; ; pages++ {
				out, err := history.Lookup(ctx, store, in)
				if err != nil {
					b.Fatal(err)
				}
				for _, ev := range out.Events {
					got = append(got, ev.EventID)
				}
				if out.NextToken == "" {
					break
				}
				in.NextToken = out.NextToken
			}
		})
		var want []string
		for _, ev := range all.Events {
			want = append(want, ev.EventID)
		}
		if !slices.Equal(got, want) {
			b.Fatalf("pages give %d events, one pass %d: not the same list", len(got), len(want))
		}
		warm += timed(b, func() {
			out, err := history.LookupMany(ctx, store, history.Input{StartTime: benchStart, EndTime: benchEnd, Attributes: selective, Summaries: sums}, 0)
			if err != nil || len(out.Events) != matches {
				b.Fatalf("warm lookup: %d events, want %d: %v", len(out.Events), matches, err)
			}
		})
	}
	b.ReportMetric(pass.Seconds()/float64(b.N), "pass-s")
	b.ReportMetric(float64(first)/float64(pass), "x-pass-first-page")
	b.ReportMetric(float64(paging)/float64(pass), "x-pass-paging")
	b.ReportMetric(float64(warm)/float64(pass), "x-pass-warm")
	b.ReportMetric(float64(matches), "matches")
	b.ReportMetric(float64(pages), "pages")
}
