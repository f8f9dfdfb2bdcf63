package history_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
	"github.com/trailkit/trailkit/trail/history"
)

// Deliver a few records through a trail into a directory, then look up
// the write events of one user, newest first.
func ExampleLookup() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "history")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	dir, err := sink.NewDir(root, sink.DirOptions{})
	if err != nil {
		panic(err)
	}

	start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	clock := trail.NewManualClock(start)
	tr, err := trail.New(trail.Config{Name: "orders", AccountID: "111122223333", HomeRegion: "eu-west-1",
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{dir}}, Clock: clock})
	if err != nil {
		panic(err)
	}
	for i, name := range []string{"CreateOrder", "GetOrder", "CancelOrder", "GetOrder"} {
		at := start.Add(time.Duration(i) * 10 * time.Minute)
		clock.Set(at)
		rec := &event.Record{EventSource: "orders.example.com", EventName: name, AWSRegion: "eu-west-1",
			EventTime: at, ReadOnly: event.Bool(name == "GetOrder"),
			UserIdentity: &event.UserIdentity{Type: "IAMUser", UserName: "alice"}}
		rec.Fill("111122223333", at)
		if err := tr.Emit(ctx, rec); err != nil {
			panic(err)
		}
	}
	if err := tr.Close(ctx); err != nil {
		panic(err)
	}

	out, err := history.Lookup(ctx, dir, history.Input{
		StartTime: start, EndTime: start.Add(time.Hour),
		Attributes: []history.Attribute{{Key: history.Username, Value: "alice"}, {Key: history.ReadOnly, Value: "false"}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ev := range out.Events {
		fmt.Println(ev.EventTime.Format(time.TimeOnly), ev.EventName, ev.Username)
	}
	// Output:
	// 09:20:00 CancelOrder alice
	// 09:00:00 CreateOrder alice
}

func ExampleParseAttribute() {
	a, err := history.ParseAttribute("EventName=ConsoleLogin")
	fmt.Println(a.Key, a.Value, err)
	_, err = history.ParseAttribute("Colour=red")
	fmt.Println(err)
	// Output:
	// EventName ConsoleLogin <nil>
	// InvalidLookupAttributesException: unknown attribute key "Colour": valid keys are EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId
}

// Read every event of a query in one call, keeping what the lookup learns
// of each log file for the next query: the second one reads only the file
// that can hold its event.
func ExampleLookupMany() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "history")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(root)
	dir, err := sink.NewDir(root, sink.DirOptions{})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	clock := trail.NewManualClock(start)
	tr, err := trail.New(trail.Config{Name: "orders", AccountID: "111122223333", HomeRegion: "eu-west-1",
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{dir}}, Clock: clock})
	if err != nil {
		panic(err)
	}
	for i, user := range []string{"alice", "bob", "alice", "carol"} {
		at := start.Add(time.Duration(i) * time.Hour) // one log file each
		clock.Set(at)
		rec := &event.Record{EventSource: "orders.example.com", EventName: "GetOrder", AWSRegion: "eu-west-1",
			EventTime: at, UserIdentity: &event.UserIdentity{Type: "IAMUser", UserName: user}}
		rec.Fill("111122223333", at)
		if err := tr.Emit(ctx, rec); err != nil {
			panic(err)
		}
	}
	if err := tr.Close(ctx); err != nil {
		panic(err)
	}
	sums := history.NewSummaries()
	in := history.Input{StartTime: start, EndTime: start.Add(24 * time.Hour), Summaries: sums}
	all, err := history.LookupMany(ctx, dir, in, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(all.Events), "events,", all.Read.Files, "files read")
	in.Attributes = []history.Attribute{{Key: history.Username, Value: "carol"}}
	carol, err := history.LookupMany(ctx, dir, in, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(len(carol.Events), "event,", carol.Read.Files, "file read")
	// Output:
	// 4 events, 4 files read
	// 1 event, 1 file read
}
