package insight_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/trail/insight"
)

func encodeAll(recs []*event.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = string(r.AppendJSON(nil))
	}
	return out
}

// stateScenario is 30 hours of steady traffic with a call-rate spike and an
// error storm that are both in progress at the snapshot minute.
func stateScenario() (tr *synth.Traffic, snapshotAfter int) {
	spikeAt := t0.Add(30 * time.Hour)
	tr = newTraffic(5, standardAPIs(),
		synth.Burst{Source: "orders.example.com", Name: "CreateOrder", From: spikeAt, Minutes: 15, Rate: 90, User: arn("batch/import"), Agent: "python-requests/2.31.0"},
		synth.Burst{Source: "orders.example.com", Name: "GetOrder", From: spikeAt.Add(3 * time.Minute), Minutes: 20, Rate: 60, ErrCode: "AccessDenied", User: arn("x/mallory"), Agent: "curl/8.5.0"},
	)
	return tr, int(spikeAt.Sub(t0)/time.Minute) + 7
}

func TestStateRoundTrip(t *testing.T) {
	cfg := insight.Config{Selectors: selectors(t, bothTypes), Trail: "orders-trail"}
	d1 := newDetector(t, cfg)
	tr, minutes := stateScenario()
	before := run(tr, t0, minutes, d1)[0]
	require.Len(t, before, 2, "both Insights have started: %v", encodeAll(before))
	st1 := d1.Stats()
	require.Equal(t, 2, st1.Open)

	state, err := d1.MarshalBinary()
	require.NoError(t, err)
	d2 := newDetector(t, cfg)
	require.NoError(t, d2.UnmarshalBinary(state))
	again, err := d2.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, state, again, "a restored detector encodes the same state")
	assert.Equal(t, st1, d2.Stats())

	// Both go on with the same traffic: the restored one must emit exactly
	// what the original does, IDs included.
	after := run(tr, t0.Add(time.Duration(minutes)*time.Minute), 3*60, d1, d2)
	require.Len(t, after[0], 2, "both Insights end: %v", encodeAll(after[0]))
	assert.Equal(t, encodeAll(after[0]), encodeAll(after[1]))
	ends := map[string]bool{}
	for _, r := range after[0] {
		assert.Equal(t, "End", r.InsightDetails.State)
		ends[r.SharedEventID] = true
	}
	for _, r := range before {
		assert.True(t, ends[r.SharedEventID], "the End of %s carries its sharedEventID", r.InsightDetails.InsightType)
	}
	s1, err := d1.MarshalBinary()
	require.NoError(t, err)
	s2, err := d2.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, s1, s2)
	assert.Equal(t, d1.Stats(), d2.Stats())
}

func TestStateUnderOtherConfig(t *testing.T) {
	cfg := insight.Config{Selectors: selectors(t, bothTypes)}
	d1 := newDetector(t, cfg)
	tr, minutes := stateScenario()
	before := run(tr, t0, minutes, d1)[0]
	require.Len(t, before, 2)
	state, err := d1.MarshalBinary()
	require.NoError(t, err)

	t.Run("longer window, more buckets", func(t *testing.T) {
		d2 := newDetector(t, insight.Config{Selectors: cfg.Selectors, Window: 14 * 24 * time.Hour, MinuteBuckets: 5})
		require.NoError(t, d2.UnmarshalBinary(state))
		after := run(tr, t0.Add(time.Duration(minutes)*time.Minute), 60, d2)[0]
		require.Len(t, after, 2, "%v", encodeAll(after))
		assert.ElementsMatch(t, []string{before[0].SharedEventID, before[1].SharedEventID},
			[]string{after[0].SharedEventID, after[1].SharedEventID})
	})
	t.Run("error rate turned off", func(t *testing.T) {
		d2 := newDetector(t, insight.Config{Selectors: selectors(t, `[{"InsightType": "ApiCallRateInsight"}]`)})
		require.NoError(t, d2.UnmarshalBinary(state))
		assert.Equal(t, 3, d2.Stats().Series, "the call rates of CreateOrder, CancelOrder and CreateUser")
		after := run(tr, t0.Add(time.Duration(minutes)*time.Minute), 60, d2)[0]
		require.Len(t, after, 1)
		assert.Equal(t, "ApiCallRateInsight", after[0].InsightDetails.InsightType)
	})
}

func TestStateErrors(t *testing.T) {
	cfg := insight.Config{Selectors: selectors(t, bothTypes)}
	d := newDetector(t, cfg)
	tr, minutes := stateScenario()
	run(tr, t0, minutes, d)
	state, err := d.MarshalBinary()
	require.NoError(t, err)

	t.Run("every truncation is an error", func(t *testing.T) {
		for n := 0; n < len(state); n += 1 + n/64 {
			err := newDetector(t, cfg).UnmarshalBinary(state[:n])
			require.ErrorIs(t, err, insight.ErrState, "truncated to %d of %d bytes", n, len(state))
		}
	})
	t.Run("trailing bytes", func(t *testing.T) {
		err := newDetector(t, cfg).UnmarshalBinary(append(append([]byte(nil), state...), 0))
		require.ErrorIs(t, err, insight.ErrState)
	})
	t.Run("not state", func(t *testing.T) {
		err := newDetector(t, cfg).UnmarshalBinary([]byte(`{"Records":[]}`))
		require.ErrorIs(t, err, insight.ErrState)
	})
	t.Run("running detector", func(t *testing.T) {
		err := d.UnmarshalBinary(state)
		require.ErrorIs(t, err, insight.ErrState)
		assert.Contains(t, err.Error(), "already running")
	})
	t.Run("more series than MaxSeries", func(t *testing.T) {
		err := newDetector(t, insight.Config{Selectors: cfg.Selectors, MaxSeries: 2}).UnmarshalBinary(state)
		require.ErrorIs(t, err, insight.ErrState)
		assert.Contains(t, err.Error(), "MaxSeries")
	})
	t.Run("state of a detector that never started", func(t *testing.T) {
		empty, err := newDetector(t, cfg).MarshalBinary()
		require.NoError(t, err)
		d2 := newDetector(t, cfg)
		require.NoError(t, d2.UnmarshalBinary(empty))
		assert.Empty(t, run(tr, t0, 10, d2)[0])
	})
}

func FuzzUnmarshalBinary(f *testing.F) {
	cfg := insight.Config{Selectors: selectors(f, bothTypes), AccountID: account, Region: region}
	d, err := insight.New(cfg)
	require.NoError(f, err)
	tr, minutes := stateScenario()
	run(tr, t0.Add(29*time.Hour), minutes-29*60, d)
	state, err := d.MarshalBinary()
	require.NoError(f, err)
	f.Add(state)
	f.Add(state[:len(state)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := insight.New(cfg)
		require.NoError(t, err)
		if d.UnmarshalBinary(data) != nil {
			return
		}
		// Whatever was accepted must work and encode again.
		d.Advance(t0.Add(31 * time.Hour))
		d.Stats()
		_, err = d.MarshalBinary()
		require.NoError(t, err)
	})
}
