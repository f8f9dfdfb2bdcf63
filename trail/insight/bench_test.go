package insight_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/trail/insight"
)

// allAnalyses turns on every analysis, so that Observe does the most work
// a record can cost: a failed write counts in two series, three attributes
// each.
const allAnalyses = `[{"InsightType": "ApiCallRateInsight", "EventCategories": ["Management", "Data"]},
 {"InsightType": "ApiErrorRateInsight", "EventCategories": ["Management", "Data"]}]`

// benchRecords returns synth's realistic mix (12 APIs of 7 services, 6000
// identities, 5 agents, 5% failures) with eventTimes spread over the five
// minutes from t0, which a detector started at t0 keeps open.
func benchRecords(tb testing.TB, n int) []*event.Record {
	tb.Helper()
	g := synth.New(7, t0)
	recs := make([]*event.Record, n)
	for i := range recs {
		r := g.Record()
		r.EventTime = t0.Add(time.Duration(i%300) * time.Second)
		recs[i] = r
	}
	return recs
}

func benchDetector(tb testing.TB) *insight.Detector {
	tb.Helper()
	d := newDetector(tb, insight.Config{Selectors: selectors(tb, allAnalyses)})
	d.Advance(t0)
	return d
}

// hotRecords is how many records the benchmarks cycle through: few
// enough that they stay in the CPU caches, as a record the trail has just
// built and encoded is when it calls Observe. coldRecords is many enough
// that every record comes from memory.
const (
	hotRecords  = 1 << 9
	coldRecords = 1 << 15
)

// BenchmarkObserve measures the cost a logged record pays for Insights.
// The target is under 100 ns and no allocation per record.
func BenchmarkObserve(b *testing.B) {
	for _, n := range []int{hotRecords, coldRecords} {
		b.Run(map[int]string{hotRecords: "hot", coldRecords: "cold"}[n], func(b *testing.B) { benchObserve(b, n) })
	}
}

func benchObserve(b *testing.B, n int) {
	recs := benchRecords(b, n)
	d := benchDetector(b)
	for _, r := range recs { // warm: every API and value has been seen
		d.Observe(r)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		d.Observe(recs[i&(len(recs)-1)])
		i++
	}
	st := d.Stats()
	if st.Late+st.Early+st.Overflow != 0 {
		b.Fatalf("records not analysed: %+v", st)
	}
}

// BenchmarkObserveParallel is BenchmarkObserve from every core at once.
func BenchmarkObserveParallel(b *testing.B) {
	recs := benchRecords(b, hotRecords)
	d := benchDetector(b)
	for _, r := range recs {
		d.Observe(r)
	}
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		i := next.Add(1 << 12)
		for pb.Next() {
			d.Observe(recs[i&(hotRecords-1)])
			i++
		}
	})
}

// BenchmarkObserveFloor is the floor Observe is measured against: the
// simplest per-API count there is, a map from (eventSource, eventName) to
// a counter under a mutex, with no minutes and no error series, which
// only touches the attribute values (the first and last byte of the user's
// ARN and of the user agent) so that it reads the memory Observe reads.
func BenchmarkObserveFloor(b *testing.B) {
	for _, n := range []int{hotRecords, coldRecords} {
		b.Run(map[int]string{hotRecords: "hot", coldRecords: "cold"}[n], func(b *testing.B) { benchFloor(b, n) })
	}
}

func benchFloor(b *testing.B, n int) {
	recs := benchRecords(b, n)
	type key struct{ source, name string }
	type counter struct {
		sync.Mutex
		n uint64
	}
	apis := map[key]*counter{}
	for _, r := range recs {
		apis[key{r.EventSource, r.EventName}] = new(counter)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := recs[i&(len(recs)-1)]
		c := apis[key{r.EventSource, r.EventName}]
		touch := 0
		if u := r.UserIdentity; u != nil && u.ARN != "" {
			touch += int(u.ARN[0]) + int(u.ARN[len(u.ARN)-1])
		}
		if a := r.UserAgent; a != "" {
			touch += int(a[0]) + int(a[len(a)-1])
		}
		c.Lock()
		c.n += uint64(touch)
		c.Unlock()
		i++
	}
}

// BenchmarkAdvance measures closing one minute of 1000 busy series.
func BenchmarkAdvance(b *testing.B) {
	d := newDetector(b, insight.Config{Selectors: selectors(b, allAnalyses), MaxSeries: 2000})
	rec := &event.Record{EventVersion: "1.11", EventSource: "api.example.com", ReadOnly: event.Bool(false),
		EventCategory: event.CategoryManagement, UserIdentity: &event.UserIdentity{ARN: arn("web/alice")}, UserAgent: "orders-web/1.4"}
	names := make([]string, 1000)
	for i := range names {
		names[i] = "Op" + string(rune('A'+i%26)) + string(rune('A'+i/26%26)) + string(rune('A'+i/676))
	}
	now := t0
	d.Advance(now)
	b.ReportAllocs()
	for b.Loop() {
		rec.EventTime = now
		for _, n := range names {
			rec.EventName = n
			for range 5 {
				d.Observe(rec)
			}
		}
		now = now.Add(time.Minute)
		d.Advance(now)
	}
}

func TestObserveAllocatesNothing(t *testing.T) {
	recs := benchRecords(t, 1<<12)
	d := benchDetector(t)
	for _, r := range recs {
		d.Observe(r)
	}
	i := 0
	allocs := testing.AllocsPerRun(10000, func() {
		d.Observe(recs[i&(len(recs)-1)])
		i++
	})
	assert.Zero(t, allocs)
}

func TestConcurrentUse(t *testing.T) {
	// Observers on every core while the clock advances and the state is
	// saved: every record is either counted or reported late.
	recs := benchRecords(t, 1<<12)
	d := newDetector(t, insight.Config{Selectors: selectors(t, allAnalyses)})
	d.Advance(t0)
	const workers, rounds = 4, 4
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds * len(recs) {
				d.Observe(recs[(i+w*97)%len(recs)])
			}
		}()
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m := 3; m <= 6; m++ {
			d.Advance(t0.Add(time.Duration(m) * time.Minute))
			_, err := d.MarshalBinary()
			assert.NoError(t, err)
			d.Stats()
		}
	}()
	wg.Wait()
	<-done
	counting := 0
	probe := newDetector(t, insight.Config{Selectors: selectors(t, allAnalyses)})
	probe.Advance(t0)
	for _, r := range recs {
		before := probe.Stats().Counted
		probe.Observe(r)
		if probe.Stats().Counted > before {
			counting++
		}
	}
	st := d.Stats()
	require.Zero(t, st.Early+st.Overflow)
	assert.Equal(t, uint64(workers*rounds*counting), st.Counted+st.Late)
	assert.NotZero(t, st.Late, "the clock closed minutes while records for them came")
}
