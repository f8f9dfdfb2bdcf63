package insight_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/trail/insight"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
)

// t0 is midnight UTC: simulations start on a day boundary.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// weighted is a value chosen with a probability proportional to weight.
type weighted struct {
	value  string
	weight float64
}

// apiTraffic describes the steady traffic of one API.
type apiTraffic struct {
	source, name string
	readOnly     bool
	data         bool
	rate         float64 // mean calls per minute
	errRate      float64 // fraction of calls that fail
	errCode      string
	users        []weighted
	agents       []weighted
}

// burst adds calls to one API for a while.
type burst struct {
	source, name string
	from         time.Time
	minutes      int
	rate         float64 // extra calls per minute
	errCode      string  // "" for calls that succeed
	user, agent  string
}

// traffic generates realistic per-minute traffic: Poisson counts around a
// rate that follows the time of day (±30%), users and agents with skewed
// weights, a small share of failed calls, and bursts on top.
type traffic struct {
	rng    *rand.Rand
	apis   []apiTraffic
	bursts []burst
	rec    []*event.Record // records of the current minute, reused
	n      int
}

func newTraffic(seed uint64, apis []apiTraffic, bursts ...burst) *traffic {
	return &traffic{rng: rand.New(rand.NewPCG(seed, seed+1)), apis: apis, bursts: bursts}
}

func arn(name string) string { return "arn:aws:sts::" + account + ":assumed-role/" + name }

// standardAPIs is the steady traffic of a small order service.
func standardAPIs() []apiTraffic {
	users := []weighted{{arn("web/alice"), 6}, {arn("web/bob"), 3}, {arn("ops/carol"), 1}}
	agents := []weighted{{"orders-web/1.4 (Go)", 8}, {"aws-cli/2.15.30 Python/3.11.8", 2}}
	return []apiTraffic{
		{source: "orders.example.com", name: "CreateOrder", rate: 10, errRate: 0.01, errCode: "ValidationException", users: users, agents: agents},
		{source: "orders.example.com", name: "GetOrder", readOnly: true, rate: 50, errRate: 0.005, errCode: "AccessDenied", users: users, agents: agents},
		{source: "orders.example.com", name: "CancelOrder", rate: 2, errRate: 0.02, errCode: "ConflictException", users: users, agents: agents},
		{source: "iam.amazonaws.com", name: "CreateUser", rate: 0.3, users: users[2:], agents: agents[1:]},
		{source: "media.example.com", name: "PutObject", data: true, rate: 20, errRate: 0.01, errCode: "SlowDown", users: users, agents: agents},
	}
}

func pick(rng *rand.Rand, list []weighted) string {
	total := 0.0
	for _, w := range list {
		total += w.weight
	}
	x := rng.Float64() * total
	for _, w := range list {
		if x < w.weight {
			return w.value
		}
		x -= w.weight
	}
	return list[len(list)-1].value
}

func poisson(rng *rand.Rand, mean float64) int {
	if mean <= 0 {
		return 0
	}
	if mean > 30 {
		return max(0, int(math.Round(mean+math.Sqrt(mean)*rng.NormFloat64())))
	}
	l, k, p := math.Exp(-mean), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

func (tr *traffic) record(minute time.Time) *event.Record {
	if tr.n == len(tr.rec) {
		tr.rec = append(tr.rec, &event.Record{UserIdentity: &event.UserIdentity{Type: "AssumedRole"}})
	}
	r := tr.rec[tr.n]
	tr.n++
	ui := r.UserIdentity
	*ui = event.UserIdentity{Type: "AssumedRole"}
	*r = event.Record{
		EventVersion: "1.11", UserIdentity: ui, AWSRegion: region,
		EventType: event.TypeAPICall, RecipientAccountID: account,
		EventTime: minute.Add(time.Duration(tr.rng.IntN(60)) * time.Second),
	}
	return r
}

func (tr *traffic) fill(r *event.Record, source, name string, readOnly, data bool, user, agent, errCode string) {
	r.EventSource, r.EventName = source, name
	r.ReadOnly = event.Bool(readOnly)
	r.ManagementEvent = event.Bool(!data)
	r.EventCategory = event.CategoryManagement
	if data {
		r.EventCategory = event.CategoryData
	}
	r.UserIdentity.ARN, r.UserAgent, r.ErrorCode = user, agent, errCode
}

// minute returns the records of the minute starting at m. They are valid
// until the next call.
func (tr *traffic) minute(m time.Time) []*event.Record {
	tr.n = 0
	hour := float64(m.Hour()) + float64(m.Minute())/60
	daily := 1 + 0.3*math.Sin(2*math.Pi*(hour-8)/24)
	for _, a := range tr.apis {
		for range poisson(tr.rng, a.rate*daily) {
			code := ""
			if tr.rng.Float64() < a.errRate {
				code = a.errCode
			}
			tr.fill(tr.record(m), a.source, a.name, a.readOnly, a.data, pick(tr.rng, a.users), pick(tr.rng, a.agents), code)
		}
	}
	for _, b := range tr.bursts {
		if m.Before(b.from) || !m.Before(b.from.Add(time.Duration(b.minutes)*time.Minute)) {
			continue
		}
		api := tr.api(b.source, b.name)
		for range poisson(tr.rng, b.rate) {
			tr.fill(tr.record(m), b.source, b.name, api.readOnly, api.data, b.user, b.agent, b.errCode)
		}
	}
	out := tr.rec[:tr.n]
	tr.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (tr *traffic) api(source, name string) apiTraffic {
	for _, a := range tr.apis {
		if a.source == source && a.name == name {
			return a
		}
	}
	panic("burst on an API without traffic: " + source + " " + name)
}

// run feeds the detectors the traffic of the minutes from start, advancing
// each after every minute as a trail's clock would (a few seconds into the
// next minute), and returns what each emitted.
func run(tr *traffic, start time.Time, minutes int, ds ...*insight.Detector) [][]*event.Record {
	out := make([][]*event.Record, len(ds))
	for i := range minutes {
		m := start.Add(time.Duration(i) * time.Minute)
		for _, r := range tr.minute(m) {
			for _, d := range ds {
				d.Observe(r)
			}
		}
		for j, d := range ds {
			out[j] = append(out[j], d.Advance(m.Add(time.Minute+5*time.Second))...)
		}
	}
	return out
}

func newDetector(t testing.TB, cfg insight.Config) *insight.Detector {
	t.Helper()
	if cfg.AccountID == "" {
		cfg.AccountID = account
	}
	if cfg.Region == "" {
		cfg.Region = region
	}
	d, err := insight.New(cfg)
	require.NoError(t, err)
	return d
}

func selectors(t testing.TB, js string) []selector.InsightSelector {
	t.Helper()
	list, err := selector.ParseInsightSelectors([]byte(js))
	require.NoError(t, err)
	return list
}
