package insight_test

import (
	"fmt"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/trail/insight"
)

// call returns a record of a CreateOrder call made at t.
func call(t time.Time, user, agent string) *event.Record {
	return &event.Record{
		EventVersion: "1.11", EventTime: t, EventSource: "orders.example.com", EventName: "CreateOrder",
		AWSRegion: "eu-west-1", EventCategory: event.CategoryManagement, ReadOnly: event.Bool(false),
		UserIdentity: &event.UserIdentity{Type: "AssumedRole", ARN: user}, UserAgent: agent,
	}
}

// A trail feeds the detector every record it logs and advances it on its
// clock; what Advance returns are the Insights events to deliver. Here two
// hours of three calls a minute are followed by two minutes of a batch job
// calling forty times a minute.
func Example() {
	cfg, _ := selector.ParseConfig([]byte(`{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`))
	d, err := insight.New(insight.Config{
		Selectors: cfg.InsightSelectors,
		AccountID: "111122223333", Region: "eu-west-1", Trail: "orders",
		Window: 24 * time.Hour, MinBaseline: time.Hour,
	})
	if err != nil {
		panic(err)
	}
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	alice := "arn:aws:sts::111122223333:assumed-role/web/alice"
	batch := "arn:aws:sts::111122223333:assumed-role/batch/import"
	d.Advance(start)
	for m := range 150 {
		minute := start.Add(time.Duration(m) * time.Minute)
		for s := range 3 {
			d.Observe(call(minute.Add(time.Duration(s*20)*time.Second), alice, "orders-web/1.4"))
		}
		if m == 120 || m == 121 {
			for s := range 40 {
				d.Observe(call(minute.Add(time.Duration(s)*time.Second), batch, "python-requests/2.31.0"))
			}
		}
		for _, r := range d.Advance(minute.Add(time.Minute + 10*time.Second)) {
			st := r.InsightDetails.InsightContext.Statistics
			fmt.Println(r.EventTime.Format(time.TimeOnly), r.InsightDetails.State, r.InsightDetails.EventName,
				"baseline", st.Baseline.Average, "insight", st.Insight.Average, "minutes", st.InsightDuration)
			if r.InsightDetails.State == insight.StateEnd {
				fmt.Printf("%s\n", r.AppendJSON(nil))
			}
		}
	}
	// Output:
	// 10:00:00 Start CreateOrder baseline 3 insight 43 minutes 1
	// 10:02:00 End CreateOrder baseline 3 insight 43 minutes 2
	// {"eventVersion":"1.08","eventTime":"2026-03-02T10:02:00Z","awsRegion":"eu-west-1","eventID":"ed32594d-9501-5d76-86e0-e6dba65a636b","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"793d8d08-c82e-596b-80eb-3e65420d1e1c","insightDetails":{"state":"End","eventSource":"orders.example.com","eventName":"CreateOrder","insightType":"ApiCallRateInsight","insightContext":{"statistics":{"baseline":{"average":3},"insight":{"average":43},"insightDuration":2,"baselineDuration":120},"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:sts::111122223333:assumed-role/batch/import","average":40},{"value":"arn:aws:sts::111122223333:assumed-role/web/alice","average":3}],"baseline":[{"value":"arn:aws:sts::111122223333:assumed-role/web/alice","average":3}]},{"attribute":"userAgent","insight":[{"value":"python-requests/2.31.0","average":40},{"value":"orders-web/1.4","average":3}],"baseline":[{"value":"orders-web/1.4","average":3}]},{"attribute":"errorCode","insight":[{"value":"null","average":43}],"baseline":[{"value":"null","average":3}]}]}},"eventCategory":"Insight"}
}

// The detector's state goes with the trail's spool: saved after an
// Advance, restored into a new detector when the trail starts again.
func ExampleDetector_MarshalBinary() {
	cfg := insight.Config{
		Selectors: []selector.InsightSelector{{InsightType: selector.APICallRateInsight}},
		AccountID: "111122223333", Region: "eu-west-1",
	}
	d, _ := insight.New(cfg)
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	d.Advance(start)
	for s := range 90 {
		d.Observe(call(start.Add(time.Duration(s)*time.Second), "arn:aws:iam::111122223333:user/alice", "aws-cli/2.15"))
	}
	d.Advance(start.Add(2 * time.Minute))
	state, err := d.MarshalBinary()
	if err != nil {
		panic(err)
	}

	restored, _ := insight.New(cfg)
	if err := restored.UnmarshalBinary(state); err != nil {
		panic(err)
	}
	fmt.Printf("%+v\n", restored.Stats())
	// Output: {Counted:90 Late:0 Early:0 Overflow:0 Series:1 Open:0}
}
