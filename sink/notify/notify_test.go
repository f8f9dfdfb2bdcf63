package notify_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/sink/notify"
)

const (
	logKey    = "AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/02/111122223333_CloudTrail_eu-west-1_20260102T0305Z_a1B2c3D4e5F6g7H8.json.gz"
	digestKey = "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/01/02/111122223333_CloudTrail-Digest_eu-west-1_main_eu-west-1_20260102T040000Z.json.gz"
	otherKey  = "notes/readme.txt"
)

func newDir(t *testing.T) *sink.Dir {
	t.Helper()
	d, err := sink.NewDir(filepath.Join(t.TempDir(), "my-trail-bucket"), sink.DirOptions{Bucket: "my-trail-bucket"})
	require.NoError(t, err)
	return d
}

// recorder is a Publisher that keeps what it publishes and fails the
// first failures calls.
type recorder struct {
	mu       sync.Mutex
	got      []notify.Message
	failures atomic.Int64
	block    chan struct{} // if set, Publish waits for it
}

func (r *recorder) Publish(ctx context.Context, m notify.Message) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.failures.Add(-1) >= 0 {
		return errors.New("topic unavailable")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, m)
	return nil
}

func (r *recorder) messages() []notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]notify.Message(nil), r.got...)
}

func closeSink(t *testing.T, n *notify.Sink) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return n.Close(ctx)
}

func TestMessageIsCloudTrails(t *testing.T) {
	m := notify.Message{S3Bucket: "my-trail-bucket", S3ObjectKey: []string{logKey}}
	assert.Equal(t, `{"s3Bucket":"my-trail-bucket","s3ObjectKey":["`+logKey+`"]}`, m.JSON())
}

func TestNotifiesStoredLogFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		digests bool
		want    []string
	}{
		{"log files", false, []string{logKey}},
		{"with digests", true, []string{logKey, digestKey}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := newDir(t)
			r := &recorder{}
			n, err := notify.New(dir, notify.Options{Publisher: r, Digests: tc.digests, Workers: 1})
			require.NoError(t, err)
			for _, k := range []string{logKey, digestKey, otherKey} {
				require.NoError(t, n.Put(ctx, sink.Object{Key: k, Body: []byte("x")}))
			}
			require.NoError(t, closeSink(t, n))
			var keys []string
			for _, m := range r.messages() {
				assert.Equal(t, "my-trail-bucket", m.S3Bucket)
				keys = append(keys, m.S3ObjectKey...)
			}
			assert.ElementsMatch(t, tc.want, keys)
			st := n.NotificationStats()
			assert.Equal(t, int64(len(tc.want)), st.Published)
			assert.Zero(t, st.Pending)
			for _, k := range []string{logKey, digestKey, otherKey} {
				_, _, err := dir.Get(ctx, k)
				assert.NoError(t, err, "every object stored")
			}
		})
	}
}

func TestFailedPublishIsRetriedThenCleared(t *testing.T) {
	r := &recorder{}
	r.failures.Store(2)
	n, err := notify.New(newDir(t), notify.Options{Publisher: r, Workers: 1, MinBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, n.Put(context.Background(), sink.Object{Key: logKey, Body: []byte("x")}))
	require.NoError(t, closeSink(t, n))
	st := n.NotificationStats()
	assert.Equal(t, int64(1), st.Published)
	assert.Equal(t, int64(2), st.Failures)
	assert.Equal(t, int64(2), st.Retried)
	assert.Empty(t, st.LatestError, "cleared by the publish that succeeded")
	assert.True(t, st.FirstFailure.IsZero())
	assert.False(t, st.LatestFailure.IsZero(), "the latest failure is kept")
	assert.Len(t, r.messages(), 1)
}

func TestGivenUpAndDroppedAreReported(t *testing.T) {
	t.Run("given up", func(t *testing.T) {
		r := &recorder{}
		r.failures.Store(100)
		var reported []error
		var mu sync.Mutex
		n, err := notify.New(newDir(t), notify.Options{
			Publisher: r, Workers: 1, MaxAttempts: 3, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
			OnError: func(m notify.Message, err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() },
		})
		require.NoError(t, err)
		require.NoError(t, n.Put(context.Background(), sink.Object{Key: logKey, Body: []byte("x")}), "the file is delivered all the same")
		err = closeSink(t, n)
		require.ErrorContains(t, err, "1 notifications not published (0 dropped, 1 given up)")
		require.Len(t, reported, 1)
		assert.ErrorContains(t, reported[0], "gave up after 3 attempts: topic unavailable")
		st := n.NotificationStats()
		assert.Equal(t, int64(1), st.GivenUp)
		assert.Equal(t, "topic unavailable", st.LatestError)
	})
	t.Run("queue full", func(t *testing.T) {
		r := &recorder{block: make(chan struct{})}
		dropped := make(chan error, 10)
		n, err := notify.New(newDir(t), notify.Options{
			Publisher: r, Workers: 1, QueueSize: 1,
			OnError: func(m notify.Message, err error) { dropped <- err },
		})
		require.NoError(t, err)
		ctx := context.Background()
		for range 4 {
			// Put never waits for the publisher.
			require.NoError(t, n.Put(ctx, sink.Object{Key: logKey, Body: []byte("x")}))
		}
		st := n.NotificationStats()
		assert.GreaterOrEqual(t, st.Dropped, int64(2), "one with the worker or queued, one queued, the rest dropped")
		for range st.Dropped {
			assert.ErrorIs(t, <-dropped, notify.ErrQueueFull)
		}
		close(r.block)
		assert.ErrorContains(t, closeSink(t, n), "dropped")
		assert.Equal(t, int64(4), n.NotificationStats().Published+n.NotificationStats().Dropped)
	})
	t.Run("close gives up waiting", func(t *testing.T) {
		r := &recorder{}
		r.failures.Store(1 << 30)
		n, err := notify.New(newDir(t), notify.Options{Publisher: r, Workers: 1, MinBackoff: time.Hour, MaxBackoff: time.Hour})
		require.NoError(t, err)
		require.NoError(t, n.Put(context.Background(), sink.Object{Key: logKey, Body: []byte("x")}))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = n.Close(ctx)
		assert.ErrorContains(t, err, "1 given up")
		assert.ErrorContains(t, closeSink(t, n), "1 given up", "Close twice is safe")
	})
}

func TestPutErrorIsTheInnerSinks(t *testing.T) {
	r := &recorder{}
	n, err := notify.New(newDir(t), notify.Options{Publisher: r})
	require.NoError(t, err)
	err = n.Put(context.Background(), sink.Object{Key: "../outside", Body: []byte("x")})
	require.ErrorIs(t, err, sink.ErrInvalidKey)
	require.NoError(t, closeSink(t, n))
	assert.Empty(t, r.messages(), "nothing stored, nothing notified")
}

func TestWrapperExposesWhatItWraps(t *testing.T) {
	dir := newDir(t)
	n, err := notify.New(dir, notify.Options{Publisher: &recorder{}})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, closeSink(t, n)) })
	store, ok := sink.As[sink.Store](n)
	require.True(t, ok)
	assert.Same(t, dir, store)
	_, ok = sink.As[sink.Notifier](n)
	assert.True(t, ok)
	assert.Equal(t, "my-trail-bucket", n.Bucket())

	ctx := context.Background()
	obj := sink.Object{Key: digestKey, Body: []byte("x")}
	require.NoError(t, n.PutIfAbsent(ctx, obj))
	require.ErrorIs(t, n.PutIfAbsent(ctx, obj), sink.ErrExists)
}

func TestOptionsAreChecked(t *testing.T) {
	dir := newDir(t)
	for _, tc := range []struct {
		name  string
		inner sink.Sink
		opts  notify.Options
		want  string
	}{
		{"no inner", nil, notify.Options{Publisher: &recorder{}}, "inner sink is nil"},
		{"no publisher", dir, notify.Options{}, "Options.Publisher is required"},
		{"negative queue", dir, notify.Options{Publisher: &recorder{}, QueueSize: -1}, "negative option"},
		{"backoffs", dir, notify.Options{Publisher: &recorder{}, MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "MaxBackoff 1ms is less than MinBackoff 1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := notify.New(tc.inner, tc.opts)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}
