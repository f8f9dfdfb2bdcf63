package synth_test

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/synth"
)

// Six hours of traffic have each API's mean rate (±5%), only its callers and
// their shares, failures at the error rate, and a burst's calls in its
// minutes only; every record is one CloudTrail could write, and a seed
// gives the same traffic again.
func TestTrafficRates(t *testing.T) {
	users := []synth.Weighted{{Value: "arn:aws:iam::111122223333:user/alice", Weight: 3}, {Value: "arn:aws:sts::111122223333:assumed-role/web/bob", Weight: 1}}
	agents := []synth.Weighted{{Value: "web", Weight: 1}}
	apis := []synth.API{
		{Source: "orders.example.com", Name: "CreateOrder", Rate: 10, ErrRate: 0.1, ErrCode: "ValidationException", Users: users, Agents: agents},
		{Source: "media.example.com", Name: "GetObject", ReadOnly: true, Data: true, Rate: 50, Users: users, Agents: agents},
	}
	burstAt := start.Add(2 * time.Hour)
	burst := synth.Burst{Source: "orders.example.com", Name: "CreateOrder", From: burstAt, Minutes: 10, Rate: 100, ErrCode: "AccessDenied", User: "arn:aws:sts::111122223333:assumed-role/x/mallory", Agent: "curl"}
	const minutes = 6 * 60
	day := func(seed uint64) (counts map[string]int, ids []string) {
		tr := synth.NewTraffic(seed, "111122223333", "eu-west-1", apis, burst)
		counts = map[string]int{}
		for i := range minutes {
			m := start.Add(time.Duration(i) * time.Minute)
			inBurst := !m.Before(burstAt) && m.Before(burstAt.Add(10*time.Minute))
			for _, r := range tr.Minute(m) {
				require.NoError(t, r.Validate())
				require.True(t, !r.EventTime.Before(m) && r.EventTime.Before(m.Add(time.Minute)), "%v in the minute %v", r.EventTime, m)
				assert.Equal(t, r.EventName == "GetObject", *r.ReadOnly)
				if r.UserIdentity.ARN == burst.User {
					require.True(t, inBurst, "a burst's call at %v", m)
					counts["burst"]++
					continue
				}
				counts[r.EventName]++
				counts[r.UserIdentity.Type]++
				if r.ErrorCode != "" {
					counts["failed "+r.EventName]++
				}
				ids = append(ids, r.EventID)
			}
		}
		return counts, ids
	}
	counts, ids := day(1)
	// The rates follow the time of day: 1 + 0.3·sin(2π(hour-8)/24).
	daily := 0.0
	for i := range minutes {
		daily += 1 + 0.3*math.Sin(2*math.Pi*(float64(i)/60-8)/24)
	}
	assert.InEpsilon(t, daily*10, counts["CreateOrder"], 0.05)
	assert.InEpsilon(t, daily*50, counts["GetObject"], 0.05)
	assert.InEpsilon(t, daily*10*0.1, counts["failed CreateOrder"], 0.1)
	assert.Zero(t, counts["failed GetObject"])
	assert.InEpsilon(t, 3, float64(counts["IAMUser"])/float64(counts["AssumedRole"]), 0.05)
	assert.InEpsilon(t, 10*100, counts["burst"], 0.1)

	again, idsAgain := day(1)
	assert.Equal(t, counts, again)
	assert.Equal(t, ids, idsAgain)
	other, _ := day(2)
	assert.NotEqual(t, counts, other)
}
