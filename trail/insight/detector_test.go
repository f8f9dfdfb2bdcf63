package insight_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/trail/insight"
)

const bothTypes = `[{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}]`

// average returns a statistic or attribution average as a float.
func average(t *testing.T, n interface{ String() string }) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.String(), 64)
	require.NoError(t, err)
	return f
}

func attribution(t *testing.T, r *event.Record, attribute string) event.InsightAttribution {
	t.Helper()
	for _, a := range r.InsightDetails.InsightContext.Attributions {
		if a.Attribute == attribute {
			return a
		}
	}
	t.Fatalf("no %s attribution in %s", attribute, r.AppendJSON(nil))
	return event.InsightAttribution{}
}

// requirePair checks that recs is one Start and its End for the given API
// and type, and returns them.
func requirePair(t *testing.T, recs []*event.Record, typ, source, name, errCode string) (start, end *event.Record) {
	t.Helper()
	var got []string
	for _, r := range recs {
		got = append(got, string(r.AppendJSON(nil)))
	}
	require.Len(t, recs, 2, "want one Start and one End, got:\n%v", got)
	start, end = recs[0], recs[1]
	for i, r := range recs {
		d := r.InsightDetails
		require.NotNil(t, d)
		assert.Equal(t, []string{"Start", "End"}[i], d.State)
		assert.Equal(t, typ, d.InsightType)
		assert.Equal(t, source, d.EventSource)
		assert.Equal(t, name, d.EventName)
		assert.Equal(t, errCode, d.ErrorCode)
		assert.Equal(t, event.TypeInsight, r.EventType)
		assert.Equal(t, event.CategoryInsight, r.EventCategory)
		assert.Equal(t, account, r.RecipientAccountID)
		assert.Equal(t, region, r.AWSRegion)
		require.NoError(t, r.Validate())
	}
	assert.Equal(t, start.SharedEventID, end.SharedEventID)
	assert.NotEqual(t, start.EventID, end.EventID)
	return start, end
}

func TestCallRateSpike(t *testing.T) {
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes)})
	spikeAt := t0.Add(2*24*time.Hour + 10*time.Hour)
	attacker := arn("batch/import-job")
	tr := newTraffic(1, standardAPIs(), synth.Burst{
		Source: "orders.example.com", Name: "CreateOrder", From: spikeAt, Minutes: 15,
		Rate: 90, User: attacker, Agent: "python-requests/2.31.0",
	})
	// Two days of steady traffic, the spike, and two quiet hours after it.
	out := run(tr, t0, int(spikeAt.Sub(t0)/time.Minute)+15+120, d)[0]

	start, end := requirePair(t, out, "ApiCallRateInsight", "orders.example.com", "CreateOrder", "")
	assert.Equal(t, spikeAt, start.EventTime)
	assert.Equal(t, spikeAt.Add(15*time.Minute), end.EventTime)

	for _, r := range out {
		st := r.InsightDetails.InsightContext.Statistics
		assert.InDelta(t, 10, average(t, st.Baseline.Average), 1, "baseline: 10 calls a minute")
		assert.Equal(t, strconv.Itoa(2*24*60+10*60), st.BaselineDuration.String(), "the history before the spike")
	}
	assert.Equal(t, "1", start.InsightDetails.InsightContext.Statistics.InsightDuration.String())
	assert.Equal(t, "15", end.InsightDetails.InsightContext.Statistics.InsightDuration.String())
	assert.InDelta(t, 100, average(t, start.InsightDetails.InsightContext.Statistics.Insight.Average), 35)
	assert.InDelta(t, 100, average(t, end.InsightDetails.InsightContext.Statistics.Insight.Average), 10)

	for _, r := range out {
		names := []string{}
		for _, a := range r.InsightDetails.InsightContext.Attributions {
			names = append(names, a.Attribute)
		}
		assert.Equal(t, []string{"userIdentityArn", "userAgent", "errorCode"}, names)

		users := attribution(t, r, "userIdentityArn")
		require.NotEmpty(t, users.Insight)
		assert.Equal(t, attacker, users.Insight[0].Value, "the spike's caller comes first")
		require.NotEmpty(t, users.Baseline)
		assert.Equal(t, arn("web/alice"), users.Baseline[0].Value, "the usual caller leads the baseline")
		assert.InDelta(t, 6, average(t, users.Baseline[0].Average), 0.7)
		for _, v := range users.Baseline {
			assert.NotEqual(t, attacker, v.Value, "the spike's caller was not in the baseline")
		}

		agents := attribution(t, r, "userAgent")
		assert.Equal(t, "python-requests/2.31.0", agents.Insight[0].Value)
		assert.Equal(t, "orders-web/1.4 (Go)", agents.Baseline[0].Value)

		codes := attribution(t, r, "errorCode")
		assert.Equal(t, "null", codes.Insight[0].Value, "calls without an error are attributed to null")
		assert.Equal(t, "null", codes.Baseline[0].Value)
	}
	endUsers := attribution(t, end, "userIdentityArn")
	assert.InDelta(t, 90, average(t, endUsers.Insight[0].Average), 8, "the caller's mean rate over the spike")
}

func TestErrorStorm(t *testing.T) {
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes)})
	stormAt := t0.Add(36 * time.Hour)
	mallory := "arn:aws:iam::" + account + ":user/mallory"
	tr := newTraffic(2, standardAPIs(), synth.Burst{
		Source: "orders.example.com", Name: "GetOrder", From: stormAt, Minutes: 10,
		Rate: 60, ErrCode: "AccessDenied", User: mallory, Agent: "curl/8.5.0",
	})
	out := run(tr, t0, int(stormAt.Sub(t0)/time.Minute)+10+60, d)[0]

	start, end := requirePair(t, out, "ApiErrorRateInsight", "orders.example.com", "GetOrder", "AccessDenied")
	assert.Equal(t, stormAt, start.EventTime)
	assert.Equal(t, stormAt.Add(10*time.Minute), end.EventTime)
	for _, r := range out {
		st := r.InsightDetails.InsightContext.Statistics
		assert.InDelta(t, 0.25, average(t, st.Baseline.Average), 0.05, "0.5%% of 50 calls a minute fail")
		var names []string
		for _, a := range r.InsightDetails.InsightContext.Attributions {
			names = append(names, a.Attribute)
		}
		// The error code is the Insight's own (insightDetails.errorCode),
		// so, as in CloudTrail's error-rate Insights, it is not attributed.
		assert.Equal(t, []string{"userIdentityArn", "userAgent"}, names)
		assert.Equal(t, mallory, attribution(t, r, "userIdentityArn").Insight[0].Value)
		assert.Equal(t, "curl/8.5.0", attribution(t, r, "userAgent").Insight[0].Value)
		assert.Equal(t, arn("web/alice"), attribution(t, r, "userIdentityArn").Baseline[0].Value)
	}
	assert.Equal(t, "10", end.InsightDetails.InsightContext.Statistics.InsightDuration.String())
	assert.InDelta(t, 60, average(t, end.InsightDetails.InsightContext.Statistics.Insight.Average), 6)
}

func TestErrorStormOnWrites(t *testing.T) {
	// Failed writes count for both analyses: the call rate sees the spike
	// and attributes it to the error code, the error rate sees a new code.
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes)})
	stormAt := t0.Add(26 * time.Hour)
	tr := newTraffic(6, standardAPIs(), synth.Burst{
		Source: "orders.example.com", Name: "CreateOrder", From: stormAt, Minutes: 10,
		Rate: 90, ErrCode: "AccessDenied", User: arn("x/mallory"), Agent: "curl/8.5.0",
	})
	out := run(tr, t0, int(stormAt.Sub(t0)/time.Minute)+10+60, d)[0]
	byType := map[string][]*event.Record{}
	for _, r := range out {
		byType[r.InsightDetails.InsightType] = append(byType[r.InsightDetails.InsightType], r)
	}
	require.Len(t, byType, 2, "%v", encodeAll(out))

	start, end := requirePair(t, byType["ApiCallRateInsight"], "ApiCallRateInsight", "orders.example.com", "CreateOrder", "")
	for _, r := range []*event.Record{start, end} {
		codes := attribution(t, r, "errorCode")
		assert.Equal(t, "AccessDenied", codes.Insight[0].Value, "the spike is attributed to its error code")
		assert.Equal(t, "null", codes.Baseline[0].Value)
		require.Len(t, codes.Baseline, 2)
		assert.Equal(t, "ValidationException", codes.Baseline[1].Value)
	}
	assert.InDelta(t, 90, average(t, attribution(t, end, "errorCode").Insight[0].Average), 8)

	start, end = requirePair(t, byType["ApiErrorRateInsight"], "ApiErrorRateInsight", "orders.example.com", "CreateOrder", "AccessDenied")
	assert.Equal(t, "0", start.InsightDetails.InsightContext.Statistics.Baseline.Average.String(), "a code never seen before")
	assert.Empty(t, attribution(t, end, "userIdentityArn").Baseline)
	assert.Equal(t, stormAt.Add(10*time.Minute), end.EventTime)
	for _, r := range out {
		b := r.AppendJSON(nil)
		if r.InsightDetails.InsightType == "ApiErrorRateInsight" {
			assert.Contains(t, string(b), `"baseline":[]`, "an empty list keeps its key")
		}
		var back event.Record
		require.NoError(t, event.Unmarshal(b, &back))
		assert.Equal(t, string(b), string(back.AppendJSON(nil)))
	}
}

func TestSteadyWeek(t *testing.T) {
	d := newDetector(t, insight.Config{Selectors: selectors(t,
		`[{"InsightType": "ApiCallRateInsight", "EventCategories": ["Management", "Data"]},
		  {"InsightType": "ApiErrorRateInsight", "EventCategories": ["Management", "Data"]}]`)})
	out := run(newTraffic(3, standardAPIs()), t0, 7*24*60, d)[0]
	for _, r := range out {
		t.Errorf("unexpected Insight: %s", r.AppendJSON(nil))
	}
	st := d.Stats()
	// Call rate: CreateOrder, CancelOrder, CreateUser, PutObject; error
	// rate: four error codes.
	assert.Equal(t, 8, st.Series)
	assert.Zero(t, st.Late+st.Early+st.Overflow)
	assert.Greater(t, st.Counted, uint64(7*24*60*30))
}

func TestNoInsightBeforeMinBaseline(t *testing.T) {
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), MinBaseline: 2 * time.Hour})
	tr := newTraffic(4, standardAPIs(),
		synth.Burst{Source: "orders.example.com", Name: "CreateOrder", From: t0.Add(90 * time.Minute), Minutes: 5, Rate: 90, User: arn("x"), Agent: "x"},
		synth.Burst{Source: "orders.example.com", Name: "CreateOrder", From: t0.Add(3 * time.Hour), Minutes: 5, Rate: 300, User: arn("y"), Agent: "y"},
	)
	// The first burst, though not judged, is history: it raises the
	// deviation of the baseline, hence the larger second burst.
	out := run(tr, t0, 4*60, d)[0]
	start, _ := requirePair(t, out, "ApiCallRateInsight", "orders.example.com", "CreateOrder", "")
	assert.Equal(t, t0.Add(3*time.Hour), start.EventTime, "the first burst came before two hours of history")
}

func TestNewAPIBurst(t *testing.T) {
	// An API never called before has a baseline of zero: a burst of it at
	// MinVolume calls a minute raises an Insight; fewer do not.
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), Window: 24 * time.Hour, MinBaseline: time.Hour})
	d.Advance(t0) // history starts at t0
	call := func(at time.Time, n int) {
		for i := range n {
			r := &event.Record{EventVersion: "1.11", EventTime: at.Add(time.Duration(i) * time.Second), EventSource: "iam.amazonaws.com",
				EventName: "DeleteRole", ReadOnly: event.Bool(false), EventCategory: event.CategoryManagement,
				UserIdentity: &event.UserIdentity{ARN: arn("cleanup")}, UserAgent: "terraform/1.7"}
			d.Observe(r)
		}
	}
	var out []*event.Record
	for m := range 180 {
		at := t0.Add(time.Duration(m) * time.Minute)
		switch m {
		case 100:
			call(at, 9)
		case 150, 151:
			call(at, 12)
		}
		out = append(out, d.Advance(at.Add(time.Minute))...)
	}
	out = append(out, d.Advance(t0.Add(4*time.Hour))...)
	start, end := requirePair(t, out, "ApiCallRateInsight", "iam.amazonaws.com", "DeleteRole", "")
	assert.Equal(t, t0.Add(150*time.Minute), start.EventTime)
	assert.Equal(t, t0.Add(152*time.Minute), end.EventTime)
	assert.Equal(t, "2", end.InsightDetails.InsightContext.Statistics.InsightDuration.String())
	assert.Equal(t, "12", end.InsightDetails.InsightContext.Statistics.Insight.Average.String())
	base := start.InsightDetails.InsightContext.Statistics.Baseline.Average.String()
	assert.Equal(t, "0.06", base, "9 calls in 150 minutes")
}

func TestObserveCounts(t *testing.T) {
	write := func(cat string, readOnly *bool, code string) *event.Record {
		return &event.Record{EventVersion: "1.11", EventTime: t0.Add(30 * time.Second), EventSource: "orders.example.com",
			EventName: "Op", ReadOnly: readOnly, EventCategory: cat, ErrorCode: code}
	}
	yes, no := event.Bool(true), event.Bool(false)
	tests := []struct {
		name      string
		selectors string
		record    *event.Record
		counted   bool
		series    int
	}{
		{"call rate counts a write management event", `[{"InsightType": "ApiCallRateInsight"}]`, write("Management", no, ""), true, 1},
		{"call rate skips a read management event", `[{"InsightType": "ApiCallRateInsight"}]`, write("Management", yes, ""), false, 0},
		{"call rate skips a management event without readOnly", `[{"InsightType": "ApiCallRateInsight"}]`, write("Management", nil, ""), false, 0},
		{"error rate counts a failed read", `[{"InsightType": "ApiErrorRateInsight"}]`, write("Management", yes, "AccessDenied"), true, 1},
		{"error rate skips a success", `[{"InsightType": "ApiErrorRateInsight"}]`, write("Management", yes, ""), false, 0},
		{"both count a failed write", bothTypes, write("Management", no, "AccessDenied"), true, 2},
		{"management Insights skip data events", bothTypes, write("Data", no, "AccessDenied"), false, 0},
		{"data Insights count data reads", `[{"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}]`, write("Data", yes, ""), true, 1},
		{"data only turns management off", `[{"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}]`, write("Management", no, ""), false, 0},
		{"network activity is never analysed", bothTypes, write("NetworkActivity", no, "AccessDenied"), false, 0},
		{"Insights events are never analysed", bothTypes, write("Insight", no, "AccessDenied"), false, 0},
		{"a record before eventVersion 1.07 is classified", bothTypes, func() *event.Record {
			r := write("", no, "")
			r.EventVersion = "1.05"
			return r
		}(), true, 1},
		{"Insights off", `[]`, write("Management", no, "AccessDenied"), false, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDetector(t, insight.Config{Selectors: selectors(t, tc.selectors)})
			d.Observe(tc.record)
			d.Observe(nil)
			st := d.Stats()
			want := uint64(0)
			if tc.counted {
				want = 1
			}
			assert.Equal(t, want, st.Counted)
			assert.Equal(t, tc.series, st.Series)
		})
	}
}

func TestLateAndEarlyRecords(t *testing.T) {
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), MinuteBuckets: 3})
	at := func(d time.Duration) *event.Record {
		return &event.Record{EventVersion: "1.11", EventTime: t0.Add(d), EventSource: "orders.example.com", EventName: "CreateOrder",
			ReadOnly: event.Bool(false), EventCategory: event.CategoryManagement}
	}
	d.Advance(t0)
	d.Advance(t0.Add(10*time.Minute + 30*time.Second)) // minutes 8, 9 and 10 are open
	d.Observe(at(7*time.Minute + 59*time.Second))      // late
	d.Observe(at(8 * time.Minute))                     // counted
	d.Observe(at(13*time.Minute + 59*time.Second))     // counted: 3 minutes ahead
	d.Observe(at(14 * time.Minute))                    // early
	st := d.Stats()
	assert.Equal(t, uint64(2), st.Counted)
	assert.Equal(t, uint64(1), st.Late)
	assert.Equal(t, uint64(1), st.Early)

	// Once minute 8 is closed, a record for it is late.
	d.Advance(t0.Add(11 * time.Minute))
	d.Observe(at(8*time.Minute + 30*time.Second))
	assert.Equal(t, uint64(2), d.Stats().Late)
	assert.Empty(t, d.Advance(t0), "a clock going back closes nothing")
}

func TestMaxSeries(t *testing.T) {
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), MaxSeries: 2})
	for i, code := range []string{"A", "B", "C"} {
		d.Observe(&event.Record{EventVersion: "1.11", EventTime: t0.Add(time.Duration(i) * time.Second), EventSource: "s.example.com",
			EventName: "Op", ReadOnly: event.Bool(false), EventCategory: event.CategoryManagement, ErrorCode: code})
	}
	st := d.Stats()
	assert.Equal(t, 2, st.Series, "the call rate and error code A")
	assert.Equal(t, uint64(2), st.Overflow, "error codes B and C")
	assert.Equal(t, uint64(3), st.Counted, "each record still counts for the call rate")

	// APIs are bounded too.
	d = newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), MaxSeries: 2})
	for i := range 5 {
		d.Observe(&event.Record{EventVersion: "1.11", EventTime: t0, EventSource: "s.example.com",
			EventName: fmt.Sprint("Op", i), ReadOnly: event.Bool(false), EventCategory: event.CategoryManagement})
	}
	st = d.Stats()
	assert.Equal(t, 2, st.Series)
	assert.Equal(t, uint64(2), st.Counted)
	assert.Equal(t, uint64(3), st.Overflow)
}

func TestConfigErrors(t *testing.T) {
	sel := selectors(t, bothTypes)
	tests := []struct {
		name  string
		cfg   insight.Config
		field string
	}{
		{"no selectors: Insights off, account and Region not needed", insight.Config{}, ""},
		{"no account", insight.Config{Selectors: sel, Region: region}, "AccountID"},
		{"short account", insight.Config{Selectors: sel, AccountID: "1234", Region: region}, "AccountID"},
		{"no region", insight.Config{Selectors: sel, AccountID: account}, "Region"},
		{"window not in days", insight.Config{Selectors: sel, AccountID: account, Region: region, Window: 36 * time.Hour}, "Window"},
		{"window too long", insight.Config{Selectors: sel, AccountID: account, Region: region, Window: 91 * 24 * time.Hour}, "Window"},
		{"min baseline beyond window", insight.Config{Selectors: sel, AccountID: account, Region: region, MinBaseline: 8 * 24 * time.Hour}, "MinBaseline"},
		{"negative deviations", insight.Config{Selectors: sel, AccountID: account, Region: region, Deviations: -1}, "Deviations"},
		{"negative volume", insight.Config{Selectors: sel, AccountID: account, Region: region, MinVolume: -1}, "MinVolume"},
		{"too many buckets", insight.Config{Selectors: sel, AccountID: account, Region: region, MinuteBuckets: 61}, "MinuteBuckets"},
		{"negative series", insight.Config{Selectors: sel, AccountID: account, Region: region, MaxSeries: -1}, "MaxSeries"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := insight.New(tc.cfg)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, insight.ErrConfig)
			assert.Contains(t, err.Error(), tc.field)
		})
	}

	_, err := insight.New(insight.Config{Selectors: []selector.InsightSelector{{InsightType: "ApiCallRate"}}, AccountID: account, Region: region})
	require.ErrorIs(t, err, insight.ErrConfig)
	assert.Contains(t, err.Error(), "InvalidInsightSelectorsException")
}
