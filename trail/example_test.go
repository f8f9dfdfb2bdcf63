package trail_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// A trail that logs write management events to a directory. The clock is
// fixed here so that the output is stable; leave Clock nil for real time.
func Example() {
	root, logs := exampleDir()
	defer os.RemoveAll(root)
	clock := trail.NewManualClock(time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC))
	tr, err := trail.New(trail.Config{
		Name:                       "orders-audit",
		AccountID:                  "111122223333",
		HomeRegion:                 "eu-west-1",
		IncludeGlobalServiceEvents: true,
		Selectors: selector.Config{AdvancedEventSelectors: []selector.AdvancedEventSelector{{
			Name: "writes",
			FieldSelectors: []selector.FieldSelector{
				{Field: "eventCategory", Equals: []string{"Management"}},
				{Field: "readOnly", Equals: []string{"false"}},
			},
		}}},
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{logs}},
		Clock:    clock,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, name := range []string{"CreateOrder", "GetOrder", "CancelOrder"} {
		r := &event.Record{
			EventSource: "orders.example.com", EventName: name, AWSRegion: "eu-west-1",
			ReadOnly:     event.Bool(name == "GetOrder"),
			UserIdentity: &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"},
		}
		r.Fill("111122223333", clock.Now())
		if err := tr.Emit(ctx, r); err != nil {
			panic(err)
		}
	}
	if err := tr.Close(ctx); err != nil {
		panic(err)
	}
	for info, err := range logs.List(ctx, "", "") {
		if err != nil {
			panic(err)
		}
		fmt.Println(regexp.MustCompile(`_[A-Za-z0-9]{16}\.`).ReplaceAllString(info.Key, "_XXXXXXXXXXXXXXXX."))
	}
	c := tr.Counters()
	fmt.Printf("emitted %d, selected %d, delivered %d\n", c.Emitted, c.Selected, c.Delivered)
	// Output:
	// AWSLogs/111122223333/CloudTrail/eu-west-1/2026/03/14/111122223333_CloudTrail_eu-west-1_20260314T0926Z_XXXXXXXXXXXXXXXX.json.gz
	// emitted 3, selected 2, delivered 2
}

// With a Spool, Emit returns once the record is on disk; a trail started
// again on the spool after a crash delivers what the crashed one had not.
func ExampleSpool() {
	root, logs := exampleDir()
	defer os.RemoveAll(root)
	tr, err := trail.New(trail.Config{
		Name: "durable", AccountID: "111122223333", HomeRegion: "eu-west-1",
		Delivery:   trail.DeliveryOptions{Sinks: []sink.Sink{logs}},
		Durability: trail.DurabilityOptions{Spool: &trail.Spool{Dir: filepath.Join(root, "spool")}},
	})
	if err != nil {
		panic(err)
	}
	r := &event.Record{
		EventSource: "orders.example.com", EventName: "CreateOrder", AWSRegion: "eu-west-1",
		UserIdentity: &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"},
	}
	r.Fill("111122223333", time.Now())
	if err := tr.Emit(context.Background(), r); err != nil {
		panic(err) // not on disk: not acknowledged
	}
	fmt.Println("on disk; fsyncs so far:", tr.Status().SpoolSyncs)
	if err := tr.Close(context.Background()); err != nil {
		panic(err)
	}
	fmt.Println("delivered:", tr.Counters().Delivered)
	// Output:
	// on disk; fsyncs so far: 1
	// delivered: 1
}

// A failing sink is retried; Status shows the failure meanwhile.
func ExampleTrail_Status() {
	root, logs := exampleDir()
	defer os.RemoveAll(root)
	tr, err := trail.New(trail.Config{
		Name: "status", AccountID: "111122223333", HomeRegion: "eu-west-1",
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{logs}},
	})
	if err != nil {
		panic(err)
	}
	defer tr.Close(context.Background())
	st := tr.Status()
	fmt.Println(st.IsLogging, st.Sinks[0].Bucket, st.LatestDeliveryError == "")
	// Output: true audit-logs true
}

// A ManualClock moves only when told; files are cut at the end of their
// flush window on it.
func ExampleManualClock() {
	clock := trail.NewManualClock(time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC))
	clock.AfterFunc(5*time.Minute, func() { fmt.Println("window over at", clock.Now().Format("15:04")) })
	clock.Set(time.Date(2026, 3, 14, 9, 4, 0, 0, time.UTC))
	clock.Set(time.Date(2026, 3, 14, 9, 7, 0, 0, time.UTC))
	// Output: window over at 09:07
}

// With InsightSelectors, a trail analyses the records it logs and delivers
// Insights events under CloudTrail-Insight. Here two hours of three order
// writes a minute are followed by ten minutes of a batch job writing forty
// a minute (a one-hour baseline, for the example's sake).
func Example_insights() {
	root, logs := exampleDir()
	defer os.RemoveAll(root)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	clock := trail.NewManualClock(start)
	tr, err := trail.New(trail.Config{
		Name: "orders-audit", AccountID: "111122223333", HomeRegion: "eu-west-1",
		Selectors: selector.Config{InsightSelectors: []selector.InsightSelector{{InsightType: selector.APICallRateInsight}}},
		Insights:  trail.InsightOptions{Window: 24 * time.Hour, MinBaseline: time.Hour},
		Delivery:  trail.DeliveryOptions{Sinks: []sink.Sink{logs}},
		Clock:     clock,
	})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	emit := func(at time.Time, user string) {
		r := &event.Record{
			EventSource: "orders.example.com", EventName: "CreateOrder", AWSRegion: "eu-west-1",
			ReadOnly:     event.Bool(false),
			UserIdentity: &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: user},
		}
		r.Fill("111122223333", at)
		if err := tr.Emit(ctx, r); err != nil {
			panic(err)
		}
	}
	for m := range 150 {
		minute := start.Add(time.Duration(m) * time.Minute)
		clock.Set(minute)
		for s := range 3 {
			emit(minute.Add(time.Duration(20*s)*time.Second), "alice")
		}
		if m >= 120 && m < 130 {
			for s := range 40 {
				emit(minute.Add(time.Duration(s)*time.Second), "batch")
			}
		}
	}
	if err := tr.Close(ctx); err != nil {
		panic(err)
	}
	unique := regexp.MustCompile(`_[A-Za-z0-9]{16}\.`)
	for info, err := range logs.List(ctx, "AWSLogs/111122223333/CloudTrail-Insight/", "") {
		if err != nil {
			panic(err)
		}
		fmt.Println(unique.ReplaceAllString(info.Key, "_XXXXXXXXXXXXXXXX."))
		body, _, err := sink.ReadAll(ctx, logs, info.Key, 1<<30)
		if err != nil {
			panic(err)
		}
		for r, err := range event.Read(bytes.NewReader(body)) {
			if err != nil {
				panic(err)
			}
			d := r.InsightDetails
			st := d.InsightContext.Statistics
			fmt.Println(" ", r.EventTime.Format("15:04"), d.State, d.EventName, "baseline", st.Baseline.Average,
				"insight", st.Insight.Average, "minutes", st.InsightDuration)
		}
	}
	// Output:
	// AWSLogs/111122223333/CloudTrail-Insight/eu-west-1/2026/03/02/111122223333_CloudTrail-Insight_eu-west-1_20260302T1005Z_XXXXXXXXXXXXXXXX.json.gz
	//   10:00 Start CreateOrder baseline 3 insight 43 minutes 1
	// AWSLogs/111122223333/CloudTrail-Insight/eu-west-1/2026/03/02/111122223333_CloudTrail-Insight_eu-west-1_20260302T1015Z_XXXXXXXXXXXXXXXX.json.gz
	//   10:10 End CreateOrder baseline 3 insight 43 minutes 10
}

// exampleDir makes a temporary directory and a directory sink, bucket
// "audit-logs", in its logs subdirectory.
func exampleDir() (root string, logs *sink.Dir) {
	root, err := os.MkdirTemp("", "trail-example")
	if err != nil {
		panic(err)
	}
	logs, err = sink.NewDir(filepath.Join(root, "logs"), sink.DirOptions{Bucket: "audit-logs"})
	if err != nil {
		panic(err)
	}
	return root, logs
}
