package trail_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
	"github.com/trailkit/trailkit/trail/insight"
)

// day0 is midnight UTC: simulations start on a day boundary.
var day0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// Identities of the synthetic traffic.
const (
	alice      = "arn:aws:iam::" + account + ":user/alice"
	bob        = "arn:aws:iam::" + account + ":user/bob"
	batchRole  = "arn:aws:sts::" + account + ":assumed-role/batch/import"
	mallory    = "arn:aws:sts::" + account + ":assumed-role/ci/mallory"
	webAgent   = "orders-web/1.4 (Go)"
	cliAgent   = "aws-cli/2.15.30 Python/3.11.8"
	batchAgent = "python-requests/2.31.0"
	scanAgent  = "curl/8.5.0"
)

// newLoad is the steady traffic of an order service, two users and two
// agents with skewed weights, with bursts on top.
func newLoad(seed uint64, bursts ...synth.Burst) *synth.Traffic {
	users := []synth.Weighted{{Value: alice, Weight: 2}, {Value: bob, Weight: 1}}
	agents := []synth.Weighted{{Value: webAgent, Weight: 4}, {Value: cliAgent, Weight: 1}}
	return synth.NewTraffic(seed, account, home, []synth.API{
		{Source: "orders.example.com", Name: "CreateOrder", Rate: 6, ErrRate: 0.01, ErrCode: "ValidationException", Users: users, Agents: agents},
		{Source: "orders.example.com", Name: "GetOrder", ReadOnly: true, Rate: 8, ErrRate: 0.005, ErrCode: "AccessDenied", Users: users, Agents: agents},
		{Source: "orders.example.com", Name: "CancelOrder", Rate: 1, ErrRate: 0.02, ErrCode: "ConflictException", Users: users, Agents: agents},
	}, bursts...)
}

// run emits the traffic of the minutes [from, to) through tr, with the
// clock in the middle of each minute, and leaves the clock at to. With
// parallel, a minute's records are emitted at once, so that a spool
// commits them with one fsync.
func run(t *testing.T, tr *trail.Trail, clock *trail.ManualClock, l *synth.Traffic, from, to time.Time, parallel bool) {
	t.Helper()
	ctx := ctxT(t, 5*time.Minute)
	for m := from; m.Before(to); m = m.Add(time.Minute) {
		clock.Set(m.Add(30 * time.Second))
		recs := l.Minute(m)
		if !parallel {
			for _, r := range recs {
				require.NoError(t, tr.Emit(ctx, r))
			}
			continue
		}
		var wg sync.WaitGroup
		errs := make([]error, len(recs))
		for i, r := range recs {
			wg.Go(func() { errs[i] = tr.Emit(ctx, r) })
		}
		wg.Wait()
		for _, err := range errs {
			require.NoError(t, err)
		}
	}
	clock.Set(to)
}

// insightsConfig is a trail of the home region analysing the call and
// error rates of management events.
func insightsConfig(sinks ...sink.Sink) trail.Config {
	cfg := baseConfig(sinks...)
	cfg.IncludeGlobalServiceEvents = false
	cfg.Selectors.InsightSelectors = []selector.InsightSelector{
		{InsightType: selector.APICallRateInsight}, {InsightType: selector.APIErrorRateInsight},
	}
	return cfg
}

// delivered is an Insights record and the key of its file.
type delivered struct {
	key string
	r   *event.Record
}

// insightsIn returns the Insights records of a store in order of eventTime
// (Start before End at the same time), failing on any record outside
// CloudTrail-Insight files or any Insights file holding other records.
func insightsIn(t *testing.T, st sink.Store) []delivered {
	t.Helper()
	var out []delivered
	for key, recs := range readStore(t, st).logs {
		m := keyRE.FindStringSubmatch(key)
		require.NotNil(t, m, key)
		for _, r := range recs {
			if m[4] == "CloudTrail-Insight" {
				require.Equal(t, event.TypeInsight, r.EventType, key)
				out = append(out, delivered{key, r})
			} else {
				require.NotEqual(t, event.TypeInsight, r.EventType, key)
			}
		}
	}
	sortDelivered(out)
	return out
}

func sortDelivered(list []delivered) {
	less := func(a, b delivered) bool {
		if !a.r.EventTime.Equal(b.r.EventTime) {
			return a.r.EventTime.Before(b.r.EventTime)
		}
		return a.r.InsightDetails.State == insight.StateStart && b.r.InsightDetails.State == insight.StateEnd
	}
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && less(list[j], list[j-1]); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// anomaly is what an Insight's pair of records must say.
type anomaly struct {
	insightType, source, name, errCode string
	from                               time.Time
	minutes                            int
	user, agent                        string  // top insight attributions
	baseline                           float64 // expected baseline average, ±50%
	insight                            float64 // expected insight average of End, ±25%
}

// requirePair checks that recs hold exactly the Start and End of a.
func requirePair(t *testing.T, recs []delivered, a anomaly) {
	t.Helper()
	require.Len(t, recs, 2, "one Start and one End")
	start, end := recs[0].r, recs[1].r
	for i, d := range recs {
		r := d.r
		m := keyRE.FindStringSubmatch(d.key)
		require.NotNil(t, m, d.key)
		assert.Equal(t, []string{account, "CloudTrail-Insight", home, "CloudTrail-Insight", home}, []string{m[3], m[4], m[5], m[8], m[9]}, d.key)
		assert.Equal(t, []string{insight.StateStart, insight.StateEnd}[i], r.InsightDetails.State)
		assert.Equal(t, home, r.AWSRegion)
		assert.Equal(t, account, r.RecipientAccountID)
		assert.Equal(t, event.CategoryInsight, r.EventCategory)
		assert.NoError(t, r.Validate())
		id := r.InsightDetails
		assert.Equal(t, a.insightType, id.InsightType)
		assert.Equal(t, a.source, id.EventSource)
		assert.Equal(t, a.name, id.EventName)
		assert.Equal(t, a.errCode, id.ErrorCode)
		assert.InDelta(t, a.baseline, num(t, id.InsightContext.Statistics.Baseline.Average), a.baseline/2, "baseline average")
		top := map[string]string{}
		for _, at := range id.InsightContext.Attributions {
			require.NotEmpty(t, at.Insight, at.Attribute)
			top[at.Attribute] = at.Insight[0].Value
		}
		assert.Equal(t, a.user, top["userIdentityArn"], "top userIdentityArn")
		assert.Equal(t, a.agent, top["userAgent"], "top userAgent")
		if a.insightType == string(selector.APICallRateInsight) {
			assert.Equal(t, "null", top["errorCode"], "the surge's calls succeed")
		} else {
			assert.NotContains(t, top, "errorCode", "an error-rate Insight's code is in insightDetails")
		}
	}
	assert.Equal(t, start.SharedEventID, end.SharedEventID)
	assert.NotEqual(t, start.EventID, end.EventID)
	assert.Equal(t, a.from, start.EventTime, "Start is dated at the first unusual minute")
	assert.Equal(t, a.from.Add(time.Duration(a.minutes)*time.Minute), end.EventTime, "End is dated at the first usual minute")
	assert.Equal(t, "1", start.InsightDetails.InsightContext.Statistics.InsightDuration.String())
	assert.Equal(t, strconv.Itoa(a.minutes), end.InsightDetails.InsightContext.Statistics.InsightDuration.String())
	assert.InDelta(t, a.insight, num(t, end.InsightDetails.InsightContext.Statistics.Insight.Average), a.insight/4, "insight average")
}

func num(t *testing.T, n json.Number) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(string(n), 64)
	require.NoError(t, err)
	return f
}

// A 10× spike of one API for 15 minutes, and an error storm on a read API,
// each give exactly one Start and one End, delivered under
// CloudTrail-Insight with the surge's caller at the top of the
// attributions; the Insights files are in the hourly digests, which
// validate, and a tampered Insights file is detected.
func TestInsightsDeliveredAndDigested(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("replays two days of records, minutes under -race (make race runs -short); runs in make test")
	}
	spikeAt := day0.Add(2*24*time.Hour + 14*time.Hour)
	stormAt := day0.Add(2*24*time.Hour + 16*time.Hour)
	// CreateOrder runs at about 6.6 calls a minute at 14:00: nine times
	// that again makes it ten times its rate.
	spike := synth.Burst{Source: "orders.example.com", Name: "CreateOrder", From: spikeAt, Minutes: 15, Rate: 9 * 6.6, User: batchRole, Agent: batchAgent}
	storm := synth.Burst{Source: "orders.example.com", Name: "GetOrder", From: stormAt, Minutes: 20, Rate: 30, ErrCode: "AccessDenied", User: mallory, Agent: scanAgent}
	l := newLoad(1, spike, storm)

	d := newDir(t, "logs")
	clock := trail.NewManualClock(day0)
	cfg := insightsConfig(d)
	cfg.Clock = clock
	cfg.Files.FlushInterval = 15 * time.Minute
	cfg.Digests.Signer = testSigner()
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	end := stormAt.Add(2 * time.Hour)
	run(t, tr, clock, l, day0, end, false)
	st := tr.Status()
	require.NotNil(t, st.Insights)
	assert.Equal(t, 1, st.Insights.Detectors)
	assert.Equal(t, int64(4), st.Insights.Raised)
	assert.Zero(t, st.Insights.Stats.Late+st.Insights.Stats.Early+st.Insights.Stats.Overflow)
	require.NoError(t, tr.Close(ctxT(t, time.Minute)))

	calls, errs := insightsByType(t, d)
	t.Run("spike", func(t *testing.T) {
		requirePair(t, calls, anomaly{
			insightType: string(selector.APICallRateInsight), source: spike.Source, name: spike.Name,
			from: spikeAt, minutes: 15, user: batchRole, agent: batchAgent, baseline: 6, insight: 66,
		})
	})
	t.Run("error storm", func(t *testing.T) {
		requirePair(t, errs, anomaly{
			insightType: string(selector.APIErrorRateInsight), source: storm.Source, name: storm.Name, errCode: "AccessDenied",
			from: stormAt, minutes: 20, user: mallory, agent: scanAgent, baseline: 0.04, insight: 30,
		})
	})

	t.Run("digests", func(t *testing.T) {
		s := readStore(t, d)
		listed := map[string]bool{}
		for _, f := range digestsOf(t, d, s.digests) {
			assert.Contains(t, f.DigestS3Object, "/CloudTrail-Digest/"+home+"/")
			for _, l := range f.LogFiles {
				listed[l.S3Object] = true
			}
		}
		var insightFiles []string
		for key := range s.logs {
			assert.True(t, listed[key], "%s is in a digest", key)
			if strings.Contains(key, "/CloudTrail-Insight/") {
				insightFiles = append(insightFiles, key)
			}
		}
		require.NotEmpty(t, insightFiles)
		found := validate(t, d, day0, end)
		assert.Len(t, found[digest.LogValid], len(s.logs), "every log file, Insights files included, validates")
		assert.Len(t, found[digest.DigestValid], len(s.digests))

		// Tamper with an Insights file: the validator finds it.
		key := insightFiles[0]
		body, _, err := sink.ReadAll(context.Background(), d, key, 1<<30)
		require.NoError(t, err)
		raw := gunzip(t, body)
		forged := bytes.Replace(raw, []byte(`"state":"Start"`), []byte(`"state":"End"`), 1)
		if bytes.Equal(forged, raw) {
			forged = bytes.Replace(raw, []byte(`"state":"End"`), []byte(`"state":"Start"`), 1)
		}
		require.NoError(t, d.Put(context.Background(), sink.Object{Key: key, Body: testdata.Gzip(t, forged), ContentEncoding: "gzip"}))
		var bad []string
		for f, err := range digest.Validate(context.Background(), d, digest.ValidateOptions{
			TrailARN: "arn:aws:cloudtrail:" + home + ":" + account + ":trail/main-trail",
			Start:    day0, End: end, Keys: []digest.PublicKey{testSigner().PublicKey()},
		}) {
			require.NoError(t, err)
			if f.Kind.Invalid() {
				assert.Equal(t, digest.LogHashMismatch, f.Kind, f.String())
				bad = append(bad, f.Key)
			}
		}
		assert.Equal(t, []string{key}, bad)
	})
}

func gunzip(t *testing.T, body []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	require.NoError(t, err)
	var out bytes.Buffer
	_, err = out.ReadFrom(zr)
	require.NoError(t, err)
	return out.Bytes()
}

// Steady traffic with Poisson noise and a daily cycle raises no Insight
// over a simulated week.
func TestInsightsSteadyWeek(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("replays a week of records, minutes under -race (make race runs -short); runs in make test")
	}
	d := newDir(t, "logs")
	clock := trail.NewManualClock(day0)
	cfg := insightsConfig(d)
	cfg.Clock = clock
	cfg.Files.FlushInterval = time.Hour
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	run(t, tr, clock, newLoad(7), day0, day0.Add(7*24*time.Hour), false)
	st := tr.Status().Insights
	require.NoError(t, tr.Close(ctxT(t, time.Minute)))
	assert.Zero(t, st.Raised)
	assert.Equal(t, 2+3, st.Stats.Series, "call-rate series of the two write APIs, error-rate series of the three")
	assert.Greater(t, st.Stats.Counted, uint64(7*1440*6), "the week's write calls and failures were analysed")
	assert.Empty(t, insightsIn(t, d))
}

// A trail restarted on its spool continues the baseline: over a week in
// two lifetimes, an error storm that spans the restart gives one Start
// (before) and one End (after) with the same sharedEventID, a spike three
// hours after the restart (when a detector started afresh would still be
// building its baseline) gives one Start and one End whose baseline covers
// the first lifetime, and steady traffic gives nothing else.
func TestInsightsContinueAcrossRestart(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("replays a week of records, minutes under -race (make race runs -short); runs in make test")
	}
	restartAt := day0.Add(3*24*time.Hour + 12*time.Hour)
	stormAt := restartAt.Add(-10 * time.Minute)
	spikeAt := restartAt.Add(3 * time.Hour) // 15:30, CreateOrder at about 6.4 a minute
	storm := synth.Burst{Source: "orders.example.com", Name: "GetOrder", From: stormAt, Minutes: 25, Rate: 30, ErrCode: "AccessDenied", User: mallory, Agent: scanAgent}
	spike := synth.Burst{Source: "orders.example.com", Name: "CreateOrder", From: spikeAt, Minutes: 15, Rate: 9 * 6.4, User: batchRole, Agent: batchAgent}
	l := newLoad(3, storm, spike)
	l.APIs = l.APIs[:2] // two APIs suffice, and keep the spool's fsyncs few

	d := newDir(t, "logs")
	// 28,000 fsyncs of the spool, in a week of minutes: in memory.
	spool := &trail.Spool{Dir: filepath.Join(memTempDir(t), "spool")}
	lifetime := func(from, to time.Time) trail.Status {
		clock := trail.NewManualClock(from)
		cfg := insightsConfig(d)
		cfg.Clock = clock
		cfg.Files.FlushInterval = time.Hour
		cfg.Durability.Spool = spool
		tr, err := trail.New(cfg)
		require.NoError(t, err)
		run(t, tr, clock, l, from, to, true)
		require.NoError(t, tr.Close(ctxT(t, time.Minute)))
		st := tr.Status()
		require.NotNil(t, st.Insights)
		assert.Empty(t, st.Insights.LatestError)
		assert.Equal(t, to, st.Insights.LatestCheckpointTime, "Close writes the state")
		return st
	}
	first := lifetime(day0, restartAt)
	assert.Equal(t, int64(1), first.Insights.Raised, "the storm's Start")
	assert.Equal(t, 1, first.Insights.Stats.Open)
	second := lifetime(restartAt, day0.Add(7*24*time.Hour))
	assert.Equal(t, 1, second.Insights.Detectors)
	assert.Equal(t, int64(3), second.Insights.Raised, "the storm's End, the spike's Start and End")
	assert.Zero(t, second.Insights.Stats.Open)

	calls, errs := insightsByType(t, d)
	requirePair(t, errs, anomaly{
		insightType: string(selector.APIErrorRateInsight), source: storm.Source, name: storm.Name, errCode: "AccessDenied",
		from: stormAt, minutes: 25, user: mallory, agent: scanAgent, baseline: 0.04, insight: 30,
	})
	requirePair(t, calls, anomaly{
		insightType: string(selector.APICallRateInsight), source: spike.Source, name: spike.Name,
		from: spikeAt, minutes: 15, user: batchRole, agent: batchAgent, baseline: 6, insight: 64,
	})
	// The baseline runs from the start of history, in the first lifetime:
	// the window's days before the spike's day and that day up to it.
	assert.Equal(t, strconv.Itoa(int(spikeAt.Sub(day0)/time.Minute)),
		calls[0].r.InsightDetails.InsightContext.Statistics.BaselineDuration.String())
}

// A record without recipientAccountId is filed under the trail's account
// and written with it, as CloudTrail always writes it; the caller's record
// is not changed, and a record that names another account keeps it.
func TestEmitWritesRecipientAccountID(t *testing.T) {
	const other = "444455556666"
	decoded := `{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::` + account + `:user/alice"},` +
		`"eventTime":"2026-03-14T09:26:53Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"` + home + `",` +
		`"eventID":"6f0b5c3e-1d2a-4b7e-9a51-2b0c7d9e4f10","readOnly":false,"eventType":"AwsApiCall","eventCategory":"Management","x-custom":1}`
	tests := []struct {
		name    string
		rec     func(t *testing.T) *event.Record
		account string // the account it is filed under and written with
		want    string // the record's JSON in the file, when fixed
	}{
		{"built in Go", func(*testing.T) *event.Record {
			r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
			r.RecipientAccountID = ""
			return r
		}, account, ""},
		{"decoded, keeping its members' order", func(t *testing.T) *event.Record {
			var r event.Record
			require.NoError(t, event.Unmarshal([]byte(decoded), &r))
			return &r
		}, account, decoded[:len(decoded)-1] + `,"recipientAccountId":"` + account + `"}`},
		{"another account", func(*testing.T) *event.Record {
			r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
			r.RecipientAccountID = other
			return r
		}, other, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t, "logs")
			cfg := baseConfig(d)
			cfg.Clock = trail.NewManualClock(t0)
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			r := tt.rec(t)
			before := string(r.AppendJSON(nil))
			require.NoError(t, tr.Emit(ctxT(t, 30*time.Second), r))
			assert.Equal(t, before, string(r.AppendJSON(nil)), "the caller's record is unchanged")
			require.NoError(t, tr.Close(ctxT(t, 30*time.Second)))
			s := readStore(t, d)
			require.Len(t, s.logs, 1)
			key := s.keys()[0]
			m := keyRE.FindStringSubmatch(key)
			require.NotNil(t, m, key)
			assert.Equal(t, tt.account, m[3])
			recs := s.logs[key]
			require.Len(t, recs, 1)
			assert.Equal(t, tt.account, recs[0].RecipientAccountID)
			if tt.want != "" {
				body, _, err := sink.ReadAll(context.Background(), d, key, 1<<30)
				require.NoError(t, err)
				assert.Equal(t, `{"Records":[`+tt.want+`]}`, string(gunzip(t, body)))
			}
		})
	}
}

// Emit allocates nothing per record, with or without recipientAccountId,
// with or without Insights.
func TestEmitAllocations(t *testing.T) {
	for _, insights := range []bool{false, true} {
		for _, recipient := range []bool{true, false} {
			name := map[bool]string{false: "insights off", true: "insights on"}[insights] + "/" +
				map[bool]string{false: "no recipientAccountId", true: "recipientAccountId"}[recipient]
			t.Run(name, func(t *testing.T) {
				cfg := baseConfig(newDir(t, "logs"))
				if insights {
					cfg = insightsConfig(newDir(t, "logs"))
				}
				cfg.Clock = trail.NewManualClock(t0)
				tr, err := trail.New(cfg)
				require.NoError(t, err)
				t.Cleanup(func() { tr.Close(context.Background()) })
				write := record(t0, home, "ec2.amazonaws.com", "RunInstances")
				write.ErrorCode = "Client.UnauthorizedOperation" // counted by both analyses
				if !recipient {
					write.RecipientAccountID = ""
				}
				ctx := context.Background()
				require.NoError(t, tr.Emit(ctx, write)) // the first record makes the detector
				allocs := testing.AllocsPerRun(500, func() {
					if err := tr.Emit(ctx, write); err != nil {
						t.Fatal(err)
					}
				})
				assert.Zero(t, allocs)
				if insights {
					assert.Equal(t, uint64(502), tr.Status().Insights.Stats.Counted)
				}
			})
		}
	}
}

func TestInsightOptionsValidated(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(*trail.InsightOptions)
		detects bool // an insight.Config error
		want    string
	}{
		{"window not whole days", func(o *trail.InsightOptions) { o.Window = 36 * time.Hour }, true, "Window"},
		{"baseline over the window", func(o *trail.InsightOptions) { o.MinBaseline = 8 * 24 * time.Hour }, true, "MinBaseline"},
		{"deviations below 1", func(o *trail.InsightOptions) { o.Deviations = 0.5 }, true, "Deviations"},
		{"negative volume", func(o *trail.InsightOptions) { o.MinVolume = -1 }, true, "MinVolume"},
		{"too many minute buckets", func(o *trail.InsightOptions) { o.MinuteBuckets = 61 }, true, "MinuteBuckets"},
		{"negative detectors", func(o *trail.InsightOptions) { o.MaxDetectors = -1 }, false, "Insights.MaxDetectors"},
		{"negative checkpoint interval", func(o *trail.InsightOptions) { o.CheckpointInterval = -time.Minute }, false, "Insights.CheckpointInterval"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := insightsConfig(newDir(t, "logs"))
			tt.edit(&cfg.Insights)
			verr := cfg.Validate()
			_, err := trail.New(cfg)
			for _, err := range []error{verr, err} {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.want)
				assert.Equal(t, tt.detects, isErr(err, insight.ErrConfig), "%v", err)
			}
		})
	}
	t.Run("options unused without InsightSelectors", func(t *testing.T) {
		cfg := baseConfig(newDir(t, "logs"))
		cfg.Insights.Window = 36 * time.Hour
		require.NoError(t, cfg.Validate())
	})
}

// Past MaxDetectors, the records of further accounts and Regions are logged
// and not analysed, and Status says so.
func TestInsightsMaxDetectors(t *testing.T) {
	d := newDir(t, "logs")
	cfg := insightsConfig(d)
	cfg.IsMultiRegionTrail, cfg.IncludeGlobalServiceEvents = true, true
	cfg.Insights.MaxDetectors = 2
	cfg.Clock = trail.NewManualClock(t0)
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	var ids []string
	for _, region := range []string{home, "eu-west-1", "eu-west-1", "ap-south-1", "ap-south-1", "ap-south-1"} {
		r := record(t0, region, "ec2.amazonaws.com", "RunInstances")
		require.NoError(t, tr.Emit(ctx, r))
		ids = append(ids, r.EventID)
	}
	st := tr.Status().Insights
	assert.Equal(t, 2, st.Detectors)
	assert.Equal(t, int64(3), st.Unanalysed)
	assert.Equal(t, uint64(3), st.Stats.Counted)
	require.NoError(t, tr.Close(ctx))
	requireExactlyOnce(t, readStore(t, d), ids)
}

// Detector state that cannot be restored is reported, the trail logs on
// with a fresh detector, and its next checkpoint replaces the state.
func TestInsightsBadState(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spool")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	state := filepath.Join(dir, "insight_"+account+"_"+home+".state")
	require.NoError(t, os.WriteFile(state, []byte("not detector state"), 0o600))
	require.NoError(t, os.WriteFile(state+".tmp", []byte("a checkpoint a crash cut short"), 0o600))
	d := newDir(t, "logs")
	cfg := insightsConfig(d)
	clock := trail.NewManualClock(t0)
	cfg.Clock = clock
	cfg.Durability.Spool = &trail.Spool{Dir: dir}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	st := tr.Status().Insights
	assert.Equal(t, 1, st.Detectors, "a detector for the state's account and Region")
	assert.Contains(t, st.LatestError, filepath.Base(state))
	assert.NoFileExists(t, state+".tmp")
	r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
	ctx := ctxT(t, 30*time.Second)
	require.NoError(t, tr.Emit(ctx, r))
	clock.Set(t0.Add(10 * time.Minute))
	require.NoError(t, tr.Close(ctx))
	st = tr.Status().Insights
	assert.Empty(t, st.LatestError, "the checkpoint succeeded")
	data, err := os.ReadFile(state)
	require.NoError(t, err)
	det, err := insight.New(insight.Config{Selectors: cfg.Selectors.InsightSelectors, AccountID: account, Region: home})
	require.NoError(t, err)
	require.NoError(t, det.UnmarshalBinary(data))
	assert.Equal(t, uint64(1), det.Stats().Counted)
	requireExactlyOnce(t, readStore(t, d), []string{r.EventID})
}

// insightsByType reads the Insights records in st: the call rate ones, then
// the error rate ones.
func insightsByType(t *testing.T, st sink.Store) (calls, errs []delivered) {
	t.Helper()
	for _, x := range insightsIn(t, st) {
		if x.r.InsightDetails.InsightType == string(selector.APICallRateInsight) {
			calls = append(calls, x)
		} else {
			errs = append(errs, x)
		}
	}
	return calls, errs
}
