package trail_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// discard is a sink that keeps nothing, so that the benchmark measures
// Emit rather than storage.
type discard struct{}

func (discard) Bucket() string                         { return "discard" }
func (discard) Put(context.Context, sink.Object) error { return nil }

// BenchmarkEmitInsights measures what Insights add to Emit. The same
// records (synth's mix: 12 APIs, 6000 identities, 5% failures) go, in
// alternating rounds of 128, to a trail without InsightSelectors and to one
// analysing the call and error rates of management and data events, so that
// both see the same machine; the metrics are each trail's median time and
// its allocations per record, and the median of the rounds' differences:
// the Insights cost (target: under 100 ns and no allocation). Files are
// compressed Huffman-only, on one worker per trail, so that compressing in
// the background disturbs the rounds less on a small machine.
//
//	go test -run '^$' -bench EmitInsights -benchtime 10000x ./trail
func BenchmarkEmitInsights(b *testing.B) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	g := synth.New(7, start)
	recs := make([]*event.Record, 4096)
	for i := range recs {
		r := g.Record()
		// Within the minutes a detector started at start keeps open: its
		// clock does not move during the benchmark.
		r.EventTime = start.Add(time.Duration(i%300) * time.Second)
		recs[i] = r
	}
	newTrail := func(insights bool) *trail.Trail {
		cfg := trail.Config{
			Name: "bench", AccountID: g.Account, HomeRegion: g.Region,
			IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, LogAllEvents: true,
			Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{discard{}}}, Clock: trail.NewManualClock(start),
			Files: trail.FileOptions{GzipLevel: gzip.HuffmanOnly, CompressionWorkers: 1},
		}
		if insights {
			cfg.Selectors.InsightSelectors = []selector.InsightSelector{
				{InsightType: selector.APICallRateInsight, EventCategories: []string{selector.CategoryManagement, selector.CategoryData}},
				{InsightType: selector.APIErrorRateInsight, EventCategories: []string{selector.CategoryManagement, selector.CategoryData}},
			}
		}
		tr, err := trail.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { tr.Close(context.Background()) })
		return tr
	}
	off, on := newTrail(false), newTrail(true)
	ctx := context.Background()
	const round = 128
	var ms runtime.MemStats
	emit := func(tr *trail.Trail, from int) (time.Duration, uint64) {
		runtime.ReadMemStats(&ms)
		mallocs := ms.Mallocs
		t := time.Now()
		for _, r := range recs[from : from+round] {
			if err := tr.Emit(ctx, r); err != nil {
				b.Fatal(err)
			}
		}
		d := time.Since(t)
		runtime.ReadMemStats(&ms)
		return d, ms.Mallocs - mallocs
	}
	// Warm up: the detector's APIs, the pools.
	for i := 0; i < len(recs); i += round {
		emit(off, i)
		emit(on, i)
	}
	var offs, ons, diffs []float64
	var aOff, aOn uint64
	for i := 0; b.Loop(); i++ {
		from := (i * round) % len(recs)
		var dOff, dOn time.Duration
		var a uint64
		// Alternate which goes first, so that neither always follows the
		// other's cache and background work.
		if i%2 == 0 {
			dOff, a = emit(off, from)
			aOff += a
			dOn, a = emit(on, from)
			aOn += a
		} else {
			dOn, a = emit(on, from)
			aOn += a
			dOff, a = emit(off, from)
			aOff += a
		}
		offs = append(offs, float64(dOff.Nanoseconds())/round)
		ons = append(ons, float64(dOn.Nanoseconds())/round)
		diffs = append(diffs, float64((dOn-dOff).Nanoseconds())/round)
	}
	// Medians: a round that compression, the collector or another process
	// slowed down moves a mean by microseconds, a median hardly.
	b.ReportMetric(benchmeter.Median(offs), "ns/emit-off")
	b.ReportMetric(benchmeter.Median(ons), "ns/emit-on")
	b.ReportMetric(benchmeter.Median(diffs), "ns/insights")
	n := float64(len(offs) * round)
	b.ReportMetric(float64(aOff)/n, "allocs/emit-off")
	b.ReportMetric(float64(aOn)/n, "allocs/emit-on")
	b.ReportMetric(0, "ns/op")
	if c := on.Status().Insights.Stats; c.Counted == 0 || c.Early+c.Late+c.Overflow > 0 {
		b.Fatalf("the detector did not count the records: %+v", c)
	}
}
