package trail

import (
	"context"
	"crypto/rsa"
	"io"
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
// to link, to the digest the look read. Without the digest it waits its
// whole turn (at least half the time it lost).
func TestGiveWayEndsWhenTheDigestIsStored(t *testing.T) {
	key, err := digest.GenerateKey(2048)
	require.NoError(t, err)
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		d, err := sink.NewDir(dir, sink.DirOptions{Bucket: "logs"})
		require.NoError(t, err)
		start := time.Date(2026, 3, 14, 10, 5, 0, 0, time.UTC)
		// The test's pokes reach giveWay alone.
		sd := testSinkDigests(t, key, d, start)
		ds := sd.d
		k := routeKey{account: "111122223333", region: "us-east-1"}
		c := sd.chain(k)
		require.NotNil(t, c)
		sealed, open := start.Truncate(time.Hour).Add(time.Hour), start.Truncate(time.Hour).Add(2*time.Hour)
		// Another writer sealed the hour of two chains.
		k2 := routeKey{account: "111122223333", region: "eu-west-1"}
		var keys []string
		for _, c := range []*digest.Chain{c, sd.chain(k2)} {
			other, err := digest.NewChain(c.Config())
			require.NoError(t, err)
			obj, err := other.Seal(ctx, start, sealed, nil)
			require.NoError(t, err)
			require.NoError(t, d.Put(ctx, obj))
			keys = append(keys, obj.Key)
		}

		sd.sealer.lost = time.Second
		began := time.Now()
		sd.giveWay(&period{end: sealed}, []routeKey{k, k2})
		took := time.Since(began)
		assert.Positive(t, took)
		assert.LessOrEqual(t, took, 250*time.Millisecond, "sealed by another writer: one look, after a quarter of the wait")
		gets := &countingGets{Dir: d}
		sd.sealer.store = gets
		for i, k := range []routeKey{k, k2} {
			c := sd.chain(k)
			f, err := sd.sealer.linkTo(ctx, c, keys[i])
			require.NoError(t, err)
			assert.Equal(t, keys[i], c.Last().Key)
			assert.Equal(t, sealed, f.DigestEndTime)
		}
		assert.Zero(t, gets.n, "the look read the digests: linking to them reads nothing more")
		assert.Empty(t, sd.sealer.fetched, "each kept until its chain links to it")
		sd.sealer.store = d

		// A poke while the trail runs (a period over) does not end
		// the wait; a stop's does.
		done := make(chan struct{})
		go func() {
			defer close(done)
			sd.giveWay(&period{end: open}, []routeKey{k})
		}()
		synctest.Wait()
		sd.poke()
		synctest.Wait()
		select {
		case <-done:
			t.Error("a poke of a running trail ended the wait")
		default:
		}
		ds.mu.Lock()
		ds.stopped = true
		ds.mu.Unlock()
		sd.poke()
		synctest.Wait()
		select {
		case <-done:
		default:
			t.Error("a stop's poke did not end the wait")
		}
		ds.mu.Lock()
		ds.stopped = false
		ds.mu.Unlock()

		began = time.Now()
		sd.giveWay(&period{end: open}, []routeKey{k})
		assert.GreaterOrEqual(t, time.Since(began), 500*time.Millisecond, "not sealed: the whole turn")
		assert.LessOrEqual(t, time.Since(began), time.Second)

		// A stopping trail looks before it waits.
		ds.mu.Lock()
		ds.stopped = true
		ds.mu.Unlock()
		began = time.Now()
		sd.giveWay(&period{end: sealed}, []routeKey{k})
		assert.Zero(t, time.Since(began), "stopping, sealed by another writer: no wait")
		ds.mu.Lock()
		ds.stopped = false
		ds.mu.Unlock()

		// A store that does not answer ends the wait no later.
		sd.sealer.store = hangingStore{d}
		began = time.Now()
		sd.giveWay(&period{end: open}, []routeKey{k})
		assert.LessOrEqual(t, time.Since(began), time.Second, "a store that does not answer")

		sd.sealer.lost = 0
		began = time.Now()
		sd.giveWay(&period{end: open}, []routeKey{k})
		assert.Zero(t, time.Since(began), "no race lost: no wait")
	})
}

// hangingStore is a store whose Stat and Get answer only when their
// context ends.
type hangingStore struct{ *sink.Dir }

func (h hangingStore) Stat(ctx context.Context, key string) (sink.ObjectInfo, error) {
	<-ctx.Done()
	return sink.ObjectInfo{}, ctx.Err()
}

func (h hangingStore) Get(ctx context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	<-ctx.Done()
	return nil, sink.ObjectInfo{}, ctx.Err()
}

// countingGets is a directory store that counts its Gets.
type countingGets struct {
	*sink.Dir
	n int
}

func (c *countingGets) Get(ctx context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	c.n++
	return c.Dir.Get(ctx, key)
}

// testSinkDigests returns the digests of a trail named shared delivering
// to d, its clock at start, whose loop does not run: the test calls what
// it tests itself.
func testSinkDigests(t *testing.T, key *rsa.PrivateKey, d *sink.Dir, start time.Time) *sinkDigests {
	t.Helper()
	tr, err := New(Config{
		Name: "shared", AccountID: "111122223333", HomeRegion: "us-east-1",
		Delivery: DeliveryOptions{Sinks: []sink.Sink{d}},
		Digests:  DigestOptions{Signer: digest.NewRSASigner(key)},
		Clock:    NewManualClock(start),
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, tr.Close(context.Background())) })
	ds := newDigests(tr, start)
	t.Cleanup(func() { ds.timer.Stop() })
	return ds.sinks[0]
}
