package trail_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/killtest"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

// Child processes: the test binary re-executed with childEnv set runs
// runChild instead of the tests.
const (
	childEnv      = "TRAILKIT_TRAIL_TEST_CHILD"
	childSpoolEnv = "TRAILKIT_TRAIL_TEST_SPOOL"
	childRootEnv  = "TRAILKIT_TRAIL_TEST_ROOT"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		os.Exit(runChild(mode))
	}
	os.Exit(m.Run())
}

func runChild(mode string) int {
	switch mode {
	case "emit":
		return childEmit(os.Getenv(childSpoolEnv), os.Getenv(childRootEnv))
	case "burst":
		return childBurst(os.Getenv(childRootEnv))
	case "digests":
		return childDigests(os.Getenv(childSpoolEnv), os.Getenv(childRootEnv), os.Getenv(childKeyEnv))
	}
	fmt.Fprintln(os.Stderr, "unknown child mode", mode)
	return 2
}

// slowSink makes puts take a while, so that a kill finds files in every
// stage: open, sealed, compressed, being put, put to one sink of two.
type slowSink struct {
	sink.Sink
	delay time.Duration
}

func (s slowSink) Unwrap() sink.Sink { return s.Sink }

func (s slowSink) Put(ctx context.Context, obj sink.Object) error {
	latency := time.NewTimer(s.delay)
	defer latency.Stop()
	select {
	case <-latency.C:
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Sink.Put(ctx, obj)
}

func spoolConfig(spool, root string, delay time.Duration) (trail.Config, error) {
	a, err := sink.NewDir(filepath.Join(root, "a"), sink.DirOptions{Bucket: "a"})
	if err != nil {
		return trail.Config{}, err
	}
	b, err := sink.NewDir(filepath.Join(root, "b"), sink.DirOptions{Bucket: "b"})
	if err != nil {
		return trail.Config{}, err
	}
	cfg := baseConfig(slowSink{a, delay}, slowSink{b, 2 * delay})
	cfg.Files.MaxRecords = 40
	cfg.Files.FlushInterval = time.Second
	cfg.Durability.Spool = &trail.Spool{Dir: spool, SegmentBytes: 256 << 10}
	return cfg, nil
}

// childEmit emits records from several goroutines until killed, printing
// "ack <eventID>" for each Emit that returned nil.
func childEmit(spool, root string) int {
	cfg, err := spoolConfig(spool, root, 20*time.Millisecond)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tr, err := trail.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	regions := []string{home, "us-east-1"}
	killtest.EmitUntilKilled(4, func(g, i int) (string, error) {
		r := record(time.Now(), home, "ec2.amazonaws.com", "RunInstances")
		if i%3 == 0 {
			r.EventSource, r.AWSRegion = "iam.amazonaws.com", regions[g%2]
		}
		return r.EventID, tr.Emit(context.Background(), r)
	})
	return 0
}

// childBurst delivers 500 records of one trail to the shared directory
// root, every file dated the same minute, and prints their eventIDs.
func childBurst(root string) int {
	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "shared"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg := baseConfig(d)
	cfg.Clock = trail.NewManualClock(t0)
	cfg.Files.MaxRecords = 5
	tr, err := trail.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w := bufio.NewWriter(os.Stdout)
	for range 500 {
		r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
		if err := tr.Emit(context.Background(), r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		fmt.Fprintf(w, "ack %s\n", r.EventID)
	}
	if err := tr.Close(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	w.Flush()
	return 0
}

// Several processes delivering the same trail to one directory in the same
// minute never write the same key.
func TestProcessesSharingABucketNeverCollide(t *testing.T) {
	root := filepath.Join(t.TempDir(), "shared")
	const procs = 4
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=burst", childRootEnv+"="+root)
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, os.Stderr
		require.NoError(t, cmd.Start())
		cmds = append(cmds, cmd)
		outs = append(outs, out)
	}
	var ids []string
	for i, cmd := range cmds {
		require.NoError(t, cmd.Wait())
		for line := range strings.Lines(outs[i].String()) {
			if id, ok := strings.CutPrefix(strings.TrimSpace(line), "ack "); ok {
				ids = append(ids, id)
			}
		}
	}
	require.Len(t, ids, procs*500)
	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "shared"})
	require.NoError(t, err)
	s := readStore(t, d)
	assert.Len(t, s.logs, procs*100, "100 files per process, none overwritten")
	requireExactlyOnce(t, s, ids)
	for key := range s.logs {
		assert.Contains(t, key, "_20260314T0926Z_", "all in one minute")
	}
}

// runAndKill starts an emitting child on spool and root, SIGKILLs it once it
// has acknowledged n records, and returns every eventID it acknowledged.
func runAndKill(t *testing.T, spool, root string, n int) []string {
	return killtest.RunAndKill(t, []string{childEnv + "=emit", childSpoolEnv + "=" + spool, childRootEnv + "=" + root}, killtest.AfterAcks(n))
}

// The emitting process is killed with SIGKILL twice in the middle of its
// batches; a trail started on the same spool delivers every record that
// was acknowledged, exactly once.
func TestSpoolSurvivesKill9(t *testing.T) {
	spool, root := t.TempDir(), t.TempDir()
	acked := runAndKill(t, spool, root, 3000)
	// The second process recovers what the first left, then is killed too.
	acked = append(acked, runAndKill(t, spool, root, 3000)...)
	t.Logf("%d records acknowledged by two killed processes", len(acked))

	cfg, err := spoolConfig(spool, root, 0)
	require.NoError(t, err)
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	require.NoError(t, tr.Close(ctx))
	t.Logf("recovered %d records from the spool", tr.Counters().Recovered)
	assert.Positive(t, tr.Counters().Recovered)

	for _, bucket := range []string{"a", "b"} {
		d, err := sink.NewDir(filepath.Join(root, bucket), sink.DirOptions{Bucket: bucket})
		require.NoError(t, err)
		s := readStore(t, d)
		requireAtLeastOnce(t, s, acked)
		// Records acknowledged but not printed before the kill may be in
		// the store too; every record is in one file only.
		for id, n := range s.ids {
			assert.Equal(t, 1, n, "record %s in %d files of %s", id, n, bucket)
		}
		for key := range s.logs {
			assert.Regexp(t, keyRE, key)
		}
	}
	left, err := filepath.Glob(filepath.Join(spool, "*.wal"))
	require.NoError(t, err)
	assert.Empty(t, left, "a clean Close leaves no write-ahead file")
}

// Concurrent durable Emits share fsyncs.
func TestSpoolGroupCommit(t *testing.T) {
	d := newDir(t, "logs")
	cfg := baseConfig(d)
	cfg.Durability.Spool = &trail.Spool{Dir: t.TempDir()}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	const goroutines, each = 16, 100
	ids := emitConcurrently(t, ctx, goroutines, each, func(int, int) (*trail.Trail, *event.Record) {
		return tr, record(t0, home, "ec2.amazonaws.com", "RunInstances")
	})
	syncs := tr.Status().SpoolSyncs
	t.Logf("%d durable emits, %d fsyncs", goroutines*each, syncs)
	assert.Positive(t, syncs)
	assert.Less(t, syncs, int64(goroutines*each/2), "emitters share fsyncs")
	require.NoError(t, tr.Close(ctx))
	requireExactlyOnce(t, readStore(t, d), ids)

	_, err = trail.New(cfg)
	require.NoError(t, err, "the spool is free again after Close")
}

func TestSpoolInUse(t *testing.T) {
	cfg := baseConfig(newDir(t, "logs"))
	cfg.Durability.Spool = &trail.Spool{Dir: t.TempDir()}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { tr.Close(context.Background()) })
	_, err = trail.New(cfg)
	require.ErrorContains(t, err, "in use by another trail")
}

// mountTmpfs mounts a small tmpfs on dir until the test ends.
func mountTmpfs(t *testing.T, dir string, size string) {
	t.Helper()
	require.NoError(t, syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size+",mode=0755"),
		"mounting a tmpfs needs root (CAP_SYS_ADMIN)")
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
}

// A full disk and a read-only directory under the directory sink: puts
// fail, Status says why, and once the fault clears every acknowledged
// record is delivered, once.
func TestDirSinkFaults(t *testing.T) {
	tests := []struct {
		name   string
		inject func(t *testing.T, root string) (clear func())
		reason string
	}{
		{"disk full", func(t *testing.T, root string) func() {
			filler := filepath.Join(root, "filler")
			f, err := os.Create(filler)
			require.NoError(t, err)
			buf := make([]byte, 64<<10)
			for {
				if _, err := f.Write(buf); err != nil {
					break
				}
			}
			f.Close()
			return func() { require.NoError(t, os.Remove(filler)) }
		}, "no space left on device"},
		{"read-only", func(t *testing.T, root string) func() {
			// The file system itself turns read-only (a bind mount over
			// root would not reach the directory the sink holds open).
			require.NoError(t, syscall.Mount("", root, "", syscall.MS_REMOUNT|syscall.MS_RDONLY, "size=4m"))
			return func() { require.NoError(t, syscall.Mount("", root, "", syscall.MS_REMOUNT, "size=4m")) }
		}, "read-only file system"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "logs")
			require.NoError(t, os.Mkdir(root, 0o755))
			mountTmpfs(t, root, "4m")
			d, err := sink.NewDir(root, sink.DirOptions{Bucket: "logs", Fsync: true})
			require.NoError(t, err)
			cfg := baseConfig(d)
			cfg.Files.MaxRecords = 20
			cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond}
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 60*time.Second)
			var ids []string
			emit := func(n int) {
				for range n {
					r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
					require.NoError(t, tr.Emit(ctx, r))
					ids = append(ids, r.EventID)
				}
			}
			emit(100)
			require.NoError(t, tr.Flush(ctx))
			clear := tt.inject(t, root)
			emit(200)
			require.Eventually(t, func() bool {
				return strings.Contains(tr.Status().LatestDeliveryError, tt.reason)
			}, 20*time.Second, 10*time.Millisecond, "status shows the fault")
			st := tr.Status()
			assert.Contains(t, st.Sinks[0].LatestDeliveryError, "put ")
			assert.Positive(t, st.Sinks[0].Failures)
			assert.Positive(t, st.PendingFiles)
			assert.Equal(t, int64(100), st.Counters.Delivered, "nothing delivered during the fault")
			emit(50)
			clear()
			require.NoError(t, tr.Close(ctx))
			st = tr.Status()
			assert.Empty(t, st.LatestDeliveryError)
			assert.Equal(t, int64(350), st.Counters.Delivered)
			requireExactlyOnce(t, readStore(t, d), ids)
		})
	}
}

// MinIO stopped under a steady load of emits until puts have failed and
// been retried, then restarted: nothing is lost, nothing duplicated.
func TestS3OutageLosesNothing(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-logs")
	s3 := s3sink.New(srv.Client(t), "trail-logs", s3sink.Options{})
	sig := newSignalSink(s3)
	cfg := baseConfig(sig)
	cfg.S3KeyPrefix = "outage"
	cfg.Files.MaxRecords = 50
	cfg.Files.FlushInterval = time.Second
	cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: time.Second, AttemptTimeout: 5 * time.Second}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 120*time.Second)

	var mu sync.Mutex
	var ids []string
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(ids) }
	stop := make(chan struct{})
	emitErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(2 * time.Millisecond) // the load: one record every 2 ms
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			r := record(time.Now(), home, "ec2.amazonaws.com", "RunInstances")
			if err := tr.Emit(ctx, r); err != nil {
				emitErr <- err
				return
			}
			mu.Lock()
			ids = append(ids, r.EventID)
			mu.Unlock()
		}
	})
	sig.waitPuts(t, ctx, 2, true) // files reach S3
	srv.Stop(t)
	stoppedAt := count()
	sig.waitPuts(t, ctx, 5, false) // puts fail and are retried
	st := tr.Status()
	assert.NotEmpty(t, st.LatestDeliveryError, "the outage shows in Status")
	assert.Positive(t, st.Counters.Retried)
	assert.Positive(t, st.PendingFiles)
	t.Logf("during the outage: %d pending files, %d retries, error %q", st.PendingFiles, st.Counters.Retried, st.LatestDeliveryError)
	for len(sig.puts) > 0 { // outcomes from the outage
		<-sig.puts
	}
	srv.Restart(t)
	sig.waitPuts(t, ctx, 2, true) // files reach S3 again
	close(stop)
	wg.Wait()
	close(emitErr)
	require.NoError(t, <-emitErr)
	t.Logf("%d records emitted, %d of them during the outage", len(ids), len(ids)-stoppedAt)
	require.NoError(t, tr.Close(ctx))
	st = tr.Status()
	assert.Empty(t, st.LatestDeliveryError)
	assert.Equal(t, int64(len(ids)), st.Counters.Delivered)
	s := readStore(t, s3)
	requireExactlyOnce(t, s, ids)
	for key := range s.logs {
		m := keyRE.FindStringSubmatch(key)
		require.NotNil(t, m, key)
		assert.Equal(t, "outage", m[1])
	}
}

// Close gives up on a sink that does not come back when its context ends;
// the records stay in the spool, and the next trail on it delivers them.
func TestCloseGivesUpSpoolKeeps(t *testing.T) {
	d := newDir(t, "logs")
	down := &faultSink{Sink: d}
	var mu sync.Mutex
	tried := map[string]bool{}
	down.setFail(func(key string) error {
		mu.Lock()
		tried[key] = true
		mu.Unlock()
		return syscall.ECONNREFUSED
	})
	spool := t.TempDir()
	cfg := baseConfig(down)
	// A clock that does not move: on the system clock, emits that span
	// the end of a flush window (every 5 minutes) cut a fifth file.
	cfg.Clock = trail.NewManualClock(t0)
	cfg.Files.MaxRecords = 30
	cfg.Durability.Spool = &trail.Spool{Dir: spool}
	cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	ids := emitN(t, ctx, tr, 100)
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err = tr.Close(short)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "4 log files not yet delivered")
	assert.Zero(t, tr.Counters().Delivered)
	assert.Empty(t, readStore(t, d).logs)

	cfg.Delivery.Sinks = []sink.Sink{d}
	tr2, err := trail.New(cfg)
	require.NoError(t, err)
	require.NoError(t, tr2.Close(ctx))
	assert.Equal(t, int64(100), tr2.Counters().Recovered)
	s := readStore(t, d)
	requireExactlyOnce(t, s, ids)
	mu.Lock()
	defer mu.Unlock()
	assert.ElementsMatch(t, keysOf(tried), s.keys(), "the same four files, under the keys the first trail gave them")
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
