package insight_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/trail/insight"
)

const (
	account = "111122223333"
	region  = "eu-west-1"
)

// t0 is midnight UTC: simulations start on a day boundary.
var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func newTraffic(seed uint64, apis []synth.API, bursts ...synth.Burst) *synth.Traffic {
	return synth.NewTraffic(seed, account, region, apis, bursts...)
}

func arn(name string) string { return "arn:aws:sts::" + account + ":assumed-role/" + name }

// standardAPIs is the steady traffic of a small order service.
func standardAPIs() []synth.API {
	users := []synth.Weighted{{Value: arn("web/alice"), Weight: 6}, {Value: arn("web/bob"), Weight: 3}, {Value: arn("ops/carol"), Weight: 1}}
	agents := []synth.Weighted{{Value: "orders-web/1.4 (Go)", Weight: 8}, {Value: "aws-cli/2.15.30 Python/3.11.8", Weight: 2}}
	return []synth.API{
		{Source: "orders.example.com", Name: "CreateOrder", Rate: 10, ErrRate: 0.01, ErrCode: "ValidationException", Users: users, Agents: agents},
		{Source: "orders.example.com", Name: "GetOrder", ReadOnly: true, Rate: 50, ErrRate: 0.005, ErrCode: "AccessDenied", Users: users, Agents: agents},
		{Source: "orders.example.com", Name: "CancelOrder", Rate: 2, ErrRate: 0.02, ErrCode: "ConflictException", Users: users, Agents: agents},
		{Source: "iam.amazonaws.com", Name: "CreateUser", Rate: 0.3, Users: users[2:], Agents: agents[1:]},
		{Source: "media.example.com", Name: "PutObject", Data: true, Rate: 20, ErrRate: 0.01, ErrCode: "SlowDown", Users: users, Agents: agents},
	}
}

// run feeds the detectors the traffic of the minutes from start, advancing
// each after every minute as a trail's clock would (a few seconds into the
// next minute), and returns what each emitted.
func run(tr *synth.Traffic, start time.Time, minutes int, ds ...*insight.Detector) [][]*event.Record {
	out := make([][]*event.Record, len(ds))
	for i := range minutes {
		m := start.Add(time.Duration(i) * time.Minute)
		for _, r := range tr.Minute(m) {
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
