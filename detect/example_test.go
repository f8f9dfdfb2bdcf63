package detect_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/trailkit/trailkit/detect"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// A metric filter pasted from CloudWatch, tested on records.
func ExampleParsePattern() {
	rule, err := detect.ParsePattern("root", `{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }`)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rule.MatchJSON([]byte(`{"userIdentity":{"type":"Root"},"eventName":"ConsoleLogin"}`)))
	fmt.Println(rule.MatchJSON([]byte(`{"userIdentity":{"type":"Root","invokedBy":"support.amazonaws.com"}}`)))
	// Output:
	// true
	// false
}

// The CIS controls over records read from a log file or any JSON text.
func ExampleSet_MatchJSON() {
	set := detect.NewSet(detect.CIS()...)
	rec := []byte(`{"eventID":"e1","eventSource":"kms.amazonaws.com","eventName":"ScheduleKeyDeletion","eventTime":"2026-01-02T03:04:05Z"}`)
	set.MatchJSON(rec, func(f detect.JSONFinding) {
		fmt.Println(f.Rule.ID, f.Rule.Title, f.EventID)
	})
	// Output: 4.7 Disabling or scheduled deletion of customer created CMKs e1
}

// Rules on a live trail: the Detector is the trail's Inspector, and its
// handler gets each finding as records are emitted.
func ExampleDetector() {
	dir, err := os.MkdirTemp("", "trail")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	d, err := sink.NewDir(dir, sink.DirOptions{Bucket: "audit"})
	if err != nil {
		log.Fatal(err)
	}
	sigma, err := detect.ParseSigma("stop-logging.yml", []byte(`
title: CloudTrail logging stopped
id: 00000000-0000-4000-8000-000000000001
level: high
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    eventSource: cloudtrail.amazonaws.com
    eventName: StopLogging
  condition: selection
`))
	if err != nil {
		log.Fatal(err)
	}
	findings := make(chan detect.Finding, 16) // the handler must not block Emit
	tr, err := trail.New(trail.Config{
		Name: "audit", AccountID: "123456789012", HomeRegion: "us-east-1",
		Delivery:  trail.DeliveryOptions{Sinks: []sink.Sink{d}},
		Inspector: &detect.Detector{Rules: detect.NewSet(sigma...), Handler: func(f detect.Finding) { findings <- f }},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	rec := event.New("cloudtrail.amazonaws.com", "StopLogging")
	rec.EventTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rec.AWSRegion = "us-east-1"
	rec.UserIdentity = &event.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::123456789012:user/mallory"}
	if err := tr.Emit(ctx, rec); err != nil {
		log.Fatal(err)
	}
	if err := tr.Close(ctx); err != nil {
		log.Fatal(err)
	}
	f := <-findings
	fmt.Println(f.Rule.Level, f.Rule.Title, f.Record.UserIdentity.ARN)
	// Output: high CloudTrail logging stopped arn:aws:iam::123456789012:user/mallory
}
