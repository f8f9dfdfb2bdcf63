package trail_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// gateSink holds each Put until released, saying when one starts.
type gateSink struct {
	*sink.Dir
	started chan string
	release chan struct{}
}

func (g gateSink) Put(ctx context.Context, obj sink.Object) error {
	g.started <- obj.Key
	select {
	case <-g.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.Dir.Put(ctx, obj)
}

// A put that hangs shows in Status at once: the attempt in flight with its
// start, and the age of the oldest record not delivered.
func TestStatusShowsAttemptsInFlight(t *testing.T) {
	clock := trail.NewManualClock(t0)
	g := gateSink{Dir: newDir(t, "logs"), started: make(chan string, 1), release: make(chan struct{})}
	cfg := baseConfig(g)
	cfg.Clock = clock
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	require.NoError(t, tr.Emit(ctx, record(t0, home, "ec2.amazonaws.com", "RunInstances")))
	st := tr.Status()
	assert.Equal(t, t0, st.OldestUndelivered, "a record in an open file")
	clock.Advance(time.Minute)
	flushed := make(chan error, 1)
	go func() { flushed <- tr.Flush(ctx) }()
	key := <-g.started
	st = tr.Status()
	require.Len(t, st.Sinks[0].InFlight, 1)
	assert.Equal(t, trail.Attempt{Key: key, Start: t0.Add(time.Minute)}, st.Sinks[0].InFlight[0])
	assert.Equal(t, t0, st.OldestUndelivered)
	close(g.release)
	require.NoError(t, <-flushed)
	st = tr.Status()
	assert.Empty(t, st.Sinks[0].InFlight)
	assert.True(t, st.OldestUndelivered.IsZero())
	require.NoError(t, tr.Close(ctx))
}

// failSink fails every Put while failing is set, saying so on failed.
type failSink struct {
	*sink.Dir
	failing *atomic.Bool
	failed  chan struct{}
}

func (f failSink) Put(ctx context.Context, obj sink.Object) error {
	if f.failing.Load() {
		select {
		case f.failed <- struct{}{}:
		default:
		}
		return errors.New("injected outage")
	}
	return f.Dir.Put(ctx, obj)
}

// An outage's first and latest failures are in Status while it lasts and
// cleared when a put succeeds.
func TestStatusOutage(t *testing.T) {
	clock := trail.NewManualClock(t0)
	var failing atomic.Bool
	failing.Store(true)
	f := failSink{Dir: newDir(t, "logs"), failing: &failing, failed: make(chan struct{})}
	cfg := baseConfig(f)
	cfg.Clock = clock
	cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	require.NoError(t, tr.Emit(ctx, record(t0, home, "ec2.amazonaws.com", "RunInstances")))
	flushed := make(chan error, 1)
	go func() { flushed <- tr.Flush(ctx) }()
	// A failure is recorded after its Put returns, so after it signals;
	// an attempt starts only once the one before was recorded. The clock
	// moves once the first failure is recorded at t0: at the second one.
	<-f.failed
	<-f.failed // the first failure was recorded
	clock.Advance(time.Minute)
	<-f.failed // a failure at t0+1m
	<-f.failed // and one after it was recorded
	st := tr.Status().Sinks[0]
	assert.Equal(t, t0, st.FirstFailureTime)
	assert.Equal(t, t0.Add(time.Minute), st.LatestFailureTime)
	assert.Contains(t, st.LatestDeliveryError, "injected outage")
	failing.Store(false)
	require.NoError(t, <-flushed)
	st = tr.Status().Sinks[0]
	assert.True(t, st.FirstFailureTime.IsZero())
	assert.True(t, st.LatestFailureTime.IsZero())
	assert.Empty(t, st.LatestDeliveryError)
	assert.Empty(t, tr.Status().LatestDeliveryError)
	require.NoError(t, tr.Close(ctx))
}

// Close without a spool that gives up says how many records were not
// delivered, and keeps them in FallbackDir when there is one.
func TestCloseCountsUndeliveredRecords(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		t.Run(map[bool]string{false: "lost", true: "fallback"}[fallback], func(t *testing.T) {
			var failing atomic.Bool
			failing.Store(true)
			f := failSink{Dir: newDir(t, "logs"), failing: &failing, failed: make(chan struct{})}
			cfg := baseConfig(f)
			cfg.Clock = trail.NewManualClock(t0) // one flush window: one file
			cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond}
			dir := t.TempDir()
			if fallback {
				cfg.Durability.FallbackDir = dir
			}
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 30*time.Second)
			for range 3 {
				require.NoError(t, tr.Emit(ctx, record(t0, home, "ec2.amazonaws.com", "RunInstances")))
			}
			closeCtx, cancel := context.WithCancel(ctx)
			go func() {
				<-f.failed // the delivery is failing: give up
				cancel()
			}()
			err = tr.Close(closeCtx)
			require.Error(t, err)
			if !fallback {
				assert.Contains(t, err.Error(), "3 records in 1 log files not delivered and lost")
				return
			}
			assert.Contains(t, err.Error(), "3 records in 1 log files not delivered, kept in "+dir)
			kept, err := sink.NewDir(dir, sink.DirOptions{})
			require.NoError(t, err)
			n := 0
			for info, err := range kept.List(ctx, "", "") {
				require.NoError(t, err)
				body, _, err := kept.Get(ctx, info.Key)
				require.NoError(t, err)
				for _, err := range event.Read(body) {
					require.NoError(t, err)
					n++
				}
				body.Close()
			}
			assert.Equal(t, 3, n)
		})
	}
}
