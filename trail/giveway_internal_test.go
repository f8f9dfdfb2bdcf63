package trail

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

// A writer that lost the last race waits before sealing the next period,
// but only until the store holds that period's digest: then it has only
// to link. Without the digest it waits its whole turn (at least half the
// time it lost).
func TestGiveWayEndsWhenTheDigestIsStored(t *testing.T) {
	key, err := digest.GenerateKey(2048)
	require.NoError(t, err)
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d, err := sink.NewDir(dir, sink.DirOptions{Bucket: "logs"})
		require.NoError(t, err)
		start := time.Date(2026, 3, 14, 10, 5, 0, 0, time.UTC)
		tr, err := New(Config{
			Name: "shared", AccountID: "111122223333", HomeRegion: "us-east-1",
			Delivery: DeliveryOptions{Sinks: []sink.Sink{d}},
			Digests:  DigestOptions{Signer: digest.NewRSASigner(key)},
			Clock:    NewManualClock(start),
		})
		require.NoError(t, err)
		defer func() { require.NoError(t, tr.Close(ctx)) }()
		sd := tr.digests.sinks[0]
		k := routeKey{account: "111122223333", region: "us-east-1"}
		c := sd.chain(k)
		require.NotNil(t, c)
		sealed, open := start.Truncate(time.Hour).Add(time.Hour), start.Truncate(time.Hour).Add(2*time.Hour)
		require.NoError(t, d.Put(ctx, sink.Object{Key: digest.Key(c.Config(), sealed), Body: []byte("{}")}))

		sd.sealer.lost = time.Second
		// The digest loop has taken any poke of the start: a poke
		// (a stop's) ends a wait at once.
		synctest.Wait()
		began := time.Now()
		sd.giveWay(&period{end: sealed}, []routeKey{k})
		assert.Equal(t, giveWayPoll, time.Since(began), "sealed by another writer: one look")

		began = time.Now()
		sd.giveWay(&period{end: open}, []routeKey{k})
		assert.GreaterOrEqual(t, time.Since(began), 500*time.Millisecond, "not sealed: the whole turn")
		assert.LessOrEqual(t, time.Since(began), time.Second)

		sd.sealer.lost = 0
		began = time.Now()
		sd.giveWay(&period{end: open}, []routeKey{k})
		assert.Zero(t, time.Since(began), "no race lost: no wait")
	})
}
