package trail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

const (
	account = "111122223333"
	home    = "us-west-2"
)

var t0 = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

// record builds a valid record of source/name in region at time at.
func record(at time.Time, region, source, name string) *event.Record {
	r := &event.Record{
		EventSource: source,
		EventName:   name,
		AWSRegion:   region,
		UserIdentity: &event.UserIdentity{
			Type: "IAMUser", PrincipalID: "AIDAEXAMPLE", AccountID: account,
			ARN: "arn:aws:iam::" + account + ":user/alice", UserName: "alice",
		},
		SourceIPAddress: "203.0.113.7",
		UserAgent:       "trailkit-test",
		ReadOnly:        event.Bool(strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "Describe") || strings.HasPrefix(name, "List")),
	}
	r.Fill(account, at)
	return r
}

// faultSink wraps a real sink and fails puts while fail returns an error.
type faultSink struct {
	sink.Sink
	mu    sync.Mutex
	fail  func(key string) error
	puts  atomic.Int64
	fails atomic.Int64
}

func (f *faultSink) Put(ctx context.Context, obj sink.Object) error {
	if err := f.inject(obj.Key); err != nil {
		return err
	}
	return f.Sink.Put(ctx, obj)
}

// PutIfAbsent is how the trail creates digests: the faults apply to it too.
func (f *faultSink) PutIfAbsent(ctx context.Context, obj sink.Object) error {
	return putIfAbsent(ctx, f.Sink, obj, func(_ context.Context, obj sink.Object) error {
		return f.inject(obj.Key)
	})
}

// inject counts a put of key and returns the fault for it, if any.
func (f *faultSink) inject(key string) error {
	f.puts.Add(1)
	f.mu.Lock()
	fail := f.fail
	f.mu.Unlock()
	if fail == nil {
		return nil
	}
	err := fail(key)
	if err != nil {
		f.fails.Add(1)
	}
	return err
}

// putIfAbsent is the PutIfAbsent of a test wrapper around s: check runs
// first (a non-nil error stops the put), then s's PutIfAbsent.
func putIfAbsent(ctx context.Context, s sink.Sink, obj sink.Object, check func(context.Context, sink.Object) error) error {
	if err := check(ctx, obj); err != nil {
		return err
	}
	x, ok := sink.As[sink.ExclusiveSink](s)
	if !ok {
		return fmt.Errorf("put if absent %s: the wrapped sink has no PutIfAbsent", obj.Key)
	}
	return x.PutIfAbsent(ctx, obj)
}

func (f *faultSink) Unwrap() sink.Sink { return f.Sink }

func (f *faultSink) setFail(fn func(string) error) {
	f.mu.Lock()
	f.fail = fn
	f.mu.Unlock()
}

// newDir returns a directory sink on a fresh directory.
func newDir(t testing.TB, bucket string) *sink.Dir {
	t.Helper()
	d, err := sink.NewDir(filepath.Join(t.TempDir(), bucket), sink.DirOptions{Bucket: bucket})
	require.NoError(t, err)
	return d
}

// stored is what a store holds: log files by key, and how often each
// eventID occurs over all log files.
type stored struct {
	logs    map[string][]*event.Record
	digests []string
	ids     map[string]int
}

func (s stored) keys() []string {
	var keys []string
	for k := range s.logs {
		keys = append(keys, k)
	}
	return keys
}

// readStore reads every log file of a store.
func readStore(t testing.TB, st sink.Store) stored {
	t.Helper()
	ctx := context.Background()
	out := stored{logs: map[string][]*event.Record{}, ids: map[string]int{}}
	for info, err := range st.List(ctx, "", "") {
		require.NoError(t, err)
		if strings.Contains(info.Key, "/CloudTrail-Digest/") {
			out.digests = append(out.digests, info.Key)
			continue
		}
		body, _, err := sink.ReadAll(ctx, st, info.Key, 1<<30)
		require.NoError(t, err, info.Key)
		var recs []*event.Record
		for r, err := range event.Read(bytes.NewReader(body)) {
			require.NoError(t, err, info.Key)
			recs = append(recs, r)
			out.ids[r.EventID]++
		}
		out.logs[info.Key] = recs
	}
	return out
}

// requireExactlyOnce checks that each of ids is stored once, and nothing
// else is.
func requireExactlyOnce(t testing.TB, s stored, ids []string) {
	t.Helper()
	var missing, dup []string
	for _, id := range ids {
		switch n := s.ids[id]; {
		case n == 0:
			missing = append(missing, id)
		case n > 1:
			dup = append(dup, fmt.Sprintf("%s×%d", id, n))
		}
	}
	require.Empty(t, missing, "%d of %d records missing", len(missing), len(ids))
	require.Empty(t, dup, "records delivered more than once")
	require.Len(t, s.ids, len(ids), "records delivered that were not emitted")
}

// requireAtLeastOnce checks that each of ids is stored.
func requireAtLeastOnce(t testing.TB, s stored, ids []string) {
	t.Helper()
	var missing []string
	for _, id := range ids {
		if s.ids[id] == 0 {
			missing = append(missing, id)
		}
	}
	require.Empty(t, missing, "%d of %d acknowledged records missing", len(missing), len(ids))
}

// keyRE matches CloudTrail's log file keys; the groups are the prefix, the
// organization id, the account, the directory, the region, the date path,
// and the name's account, directory, region, timestamp and unique part.
var keyRE = regexp.MustCompile(`^(?:(.+)/)?AWSLogs/(?:(o-[a-z0-9]{10,32})/)?(\d{12})/(CloudTrail|CloudTrail-Insight)/([a-z0-9-]+)/(\d{4}/\d{2}/\d{2})/(\d{12})_(CloudTrail|CloudTrail-Insight)_([a-z0-9-]+)_(\d{8}T\d{4}Z)_([A-Za-z0-9]{16})\.json\.gz$`)

// ctxT returns a context that ends with the test or after d.
func ctxT(t testing.TB, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// filesOutside lists the files under dir except those under root.
func filesOutside(t testing.TB, dir, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p == root {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	require.NoError(t, err)
	return out
}

func isErr(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

var _ = os.Getpid

// emitConcurrently emits records from goroutines goroutines, each calling
// next(g, i) for its i-th record and the trail to emit it to, and returns
// the eventIDs of the records emitted. A failed Emit ends its goroutine and
// fails the test from the test's own goroutine.
func emitConcurrently(t *testing.T, ctx context.Context, goroutines, each int, next func(g, i int) (*trail.Trail, *event.Record)) []string {
	t.Helper()
	var mu sync.Mutex
	var ids []string
	errs := make(chan error, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				tr, r := next(g, i)
				if err := tr.Emit(ctx, r); err != nil {
					errs <- fmt.Errorf("goroutine %d, record %d: %w", g, i, err)
					return
				}
				mu.Lock()
				ids = append(ids, r.EventID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("emit: %v", err)
	}
	if t.Failed() {
		t.FailNow()
	}
	return ids
}

// signalSink wraps a sink and tells each put's outcome on puts. Sends do
// not block: an outcome nobody waits for is dropped once 1024 are queued.
type signalSink struct {
	sink.Sink
	puts chan putOutcome
}

// putOutcome is a put's key and error (nil when the object was stored).
type putOutcome struct {
	key string
	err error
}

func newSignalSink(s sink.Sink) *signalSink {
	return &signalSink{Sink: s, puts: make(chan putOutcome, 1024)}
}

func (s *signalSink) Unwrap() sink.Sink { return s.Sink }

func (s *signalSink) Put(ctx context.Context, obj sink.Object) error {
	err := s.Sink.Put(ctx, obj)
	s.signal(obj.Key, err)
	return err
}

// PutIfAbsent is how the trail creates digests: it is signalled too.
func (s *signalSink) PutIfAbsent(ctx context.Context, obj sink.Object) error {
	err := putIfAbsent(ctx, s.Sink, obj, func(context.Context, sink.Object) error { return nil })
	s.signal(obj.Key, err)
	return err
}

func (s *signalSink) signal(key string, err error) {
	select {
	case s.puts <- putOutcome{key, err}:
	default:
	}
}

// waitPuts waits for n puts that stored their object (ok) or failed (!ok),
// and fails the test if ctx ends first.
func (s *signalSink) waitPuts(t *testing.T, ctx context.Context, n int, ok bool) {
	t.Helper()
	for n > 0 {
		select {
		case p := <-s.puts:
			if (p.err == nil) == ok {
				n--
			}
		case <-ctx.Done():
			t.Fatalf("waiting for %d more puts (ok %v): %v", n, ok, ctx.Err())
		}
	}
}

// emitN emits n RunInstances records of the home region at t0 and returns
// their eventIDs.
func emitN(t *testing.T, ctx context.Context, tr *trail.Trail, n int) []string {
	t.Helper()
	ids := make([]string, 0, n)
	for range n {
		ids = append(ids, emitAt(t, ctx, tr, t0))
	}
	return ids
}

// emitAt emits a RunInstances record of the home region at `at` and
// returns its eventID.
func emitAt(t *testing.T, ctx context.Context, tr *trail.Trail, at time.Time) string {
	t.Helper()
	r := record(at, home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr.Emit(ctx, r))
	return r.EventID
}

// manualConfig is baseConfig on a ManualClock set to start.
func manualConfig(start time.Time, sinks ...sink.Sink) (trail.Config, *trail.ManualClock) {
	clock := trail.NewManualClock(start)
	cfg := baseConfig(sinks...)
	cfg.Clock = clock
	return cfg, clock
}
