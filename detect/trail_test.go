package detect

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// newTrail starts a trail delivering to a directory, with insp as its
// Inspector (nil for none).
func newTrail(tb testing.TB, dir string, start time.Time, insp trail.Inspector) *trail.Trail {
	tb.Helper()
	d, err := sink.NewDir(dir, sink.DirOptions{Bucket: "b"})
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := trail.New(trail.Config{
		Name: "detect-test", AccountID: "123456789012", HomeRegion: "us-east-1", IsMultiRegionTrail: true,
		IncludeGlobalServiceEvents: true, LogAllEvents: true, Inspector: insp,
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{d}}, Clock: trail.NewManualClock(start),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

// delivered returns the records of every log file under dir, sorted.
func delivered(t *testing.T, dir string) []string {
	t.Helper()
	var recs []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".gz" || bytes.Contains([]byte(p), []byte("Digest")) {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := event.NewScanner(f)
		for sc.Scan() {
			recs = append(recs, string(sc.Bytes()))
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(recs)
	return recs
}

// TestTrailInspector emits the same records to a trail with the CIS set
// and the SigmaHQ rules attached and to one without: the handler gets
// exactly the findings of the records that match (known from the test
// cases, not from the rules), and both trails deliver the same records.
func TestTrailInspector(t *testing.T) {
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	type want struct{ eventID, rule string }
	var recs []*event.Record
	var expected []want
	add := func(set fields, rules ...string) {
		t.Helper()
		var r event.Record
		if err := event.Unmarshal(ctRecord(t, set), &r); err != nil {
			t.Fatal(err)
		}
		r.EventID = "00000000-0000-4000-8000-" + string(rune('a'+len(recs))) + "00000000000"
		r.EventTime = start.Add(time.Duration(len(recs)) * time.Second)
		recs = append(recs, &r)
		for _, id := range rules {
			expected = append(expected, want{r.EventID, id})
		}
	}
	byFile := loadTestSigma(t)
	id := func(file string) string { return byFile[file].ID }
	add(cisCases["4.3"].match, "4.3", id("aws_root_account_usage.yml"))
	add(cisCases["4.3"].miss, id("aws_root_account_usage.yml")) // invokedBy: CIS only excludes it
	add(cisCases["4.7"].match, "4.7")
	add(sigmaCases["aws_cloudtrail_disable_logging.yml"].match, "4.5", id("aws_cloudtrail_disable_logging.yml"))
	add(sigmaCases["aws_cloudtrail_disable_logging.yml"].miss, "4.5")
	add(fields{})
	add(sigmaCases["aws_enum_buckets.yml"].match, id("aws_enum_buckets.yml"))

	var rules []*Rule
	for _, r := range byFile {
		rules = append(rules, r)
	}
	var mu sync.Mutex
	var got []want
	det := &Detector{Rules: NewSet(append(rules, CIS()...)...), Handler: func(f Finding) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, want{f.Record.EventID, f.Rule.ID})
	}}
	ctx := context.Background()
	withDir, withoutDir := t.TempDir(), t.TempDir()
	with, without := newTrail(t, withDir, start, det), newTrail(t, withoutDir, start, nil)
	for _, r := range recs {
		if err := with.Emit(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := without.Emit(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, tr := range []*trail.Trail{with, without} {
		if err := tr.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	cmp := func(a, b want) int {
		if a.eventID != b.eventID {
			return bytes.Compare([]byte(a.eventID), []byte(b.eventID))
		}
		return bytes.Compare([]byte(a.rule), []byte(b.rule))
	}
	slices.SortFunc(got, cmp)
	slices.SortFunc(expected, cmp)
	if !slices.Equal(got, expected) {
		t.Errorf("findings\n got %v\nwant %v", got, expected)
	}
	a, b := delivered(t, withDir), delivered(t, withoutDir)
	if len(a) != len(recs) || !slices.Equal(a, b) {
		t.Errorf("delivery: %d records with rules, %d without, %d emitted", len(a), len(b), len(recs))
	}
}

// BenchmarkEmitInspector emits a record no rule matches to a trail
// without an Inspector (the floor) and to one with every kept Sigma rule
// and the CIS set, in alternating rounds of emitRound records each (A B A
// B ..., so that load on the machine hits both alike). It reports the
// medians over the rounds of each trail's cost per Emit, in the emitting
// thread's CPU time (cpu-ns; compression runs on other goroutines) and in
// wall time, and of their difference per round (added-cpu-ns,
// added-ns): what detection adds to Emit. added-allocs is the difference
// of the allocations per Emit. One op is one round of each.
func BenchmarkEmitInspector(b *testing.B) {
	rec := quiet()
	rec.EventTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	ctx := context.Background()
	none := newTrail(b, b.TempDir(), rec.EventTime, nil)
	rules := newTrail(b, b.TempDir(), rec.EventTime, &Detector{Rules: allRules(b), Handler: func(Finding) { b.Fatal("finding") }})
	emit := func(tr *trail.Trail) {
		if err := tr.Emit(ctx, rec); err != nil {
			b.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(1000, func() { emit(rules) }) - testing.AllocsPerRun(1000, func() { emit(none) })
	const emitRound = 2000
	// round returns the CPU and wall time per Emit of a round on tr.
	round := func(tr *trail.Trail) (cpu, wall float64) {
		start, t0 := threadCPU(), time.Now()
		for range emitRound {
			emit(tr)
		}
		return float64(threadCPU()-start) / emitRound, float64(time.Since(t0)) / emitRound
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var noneCPU, rulesCPU, addCPU, noneWall, rulesWall, addWall []float64
	for b.Loop() {
		nc, nw := round(none)
		rc, rw := round(rules)
		noneCPU, rulesCPU, addCPU = append(noneCPU, nc), append(rulesCPU, rc), append(addCPU, rc-nc)
		noneWall, rulesWall, addWall = append(noneWall, nw), append(rulesWall, rw), append(addWall, rw-nw)
	}
	b.StopTimer()
	for _, tr := range []*trail.Trail{none, rules} {
		if err := tr.Close(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(benchmeter.Median(noneCPU), "none-cpu-ns")
	b.ReportMetric(benchmeter.Median(rulesCPU), "rules-cpu-ns")
	b.ReportMetric(benchmeter.Median(addCPU), "added-cpu-ns")
	b.ReportMetric(benchmeter.Median(noneWall), "none-ns")
	b.ReportMetric(benchmeter.Median(rulesWall), "rules-ns")
	b.ReportMetric(benchmeter.Median(addWall), "added-ns")
	b.ReportMetric(allocs, "added-allocs")
}

// BenchmarkInspect is Detector.Inspect alone on the record no rule
// matches: what Emit calls.
func BenchmarkInspect(b *testing.B) {
	rec := quiet()
	det := &Detector{Rules: allRules(b), Handler: func(Finding) { b.Fatal("finding") }}
	b.ReportAllocs()
	cpuPerOp(b, func() { det.Inspect(rec) })
}
