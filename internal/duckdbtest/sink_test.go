package duckdbtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/killtest"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/sink/parquet"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

// The Parquet sink under the trail's fault tests: an S3 outage and kill -9
// with a spool. After each, DuckDB reads the lake: every acknowledged record
// is there, once.

const (
	account = "111122223333"
	home    = "us-west-2"

	childEnv      = "TRAILKIT_DUCKDBTEST_CHILD"
	childSpoolEnv = "TRAILKIT_DUCKDBTEST_SPOOL"
	childRootEnv  = "TRAILKIT_DUCKDBTEST_ROOT"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "emit" {
		os.Exit(childEmit(os.Getenv(childSpoolEnv), os.Getenv(childRootEnv)))
	}
	os.Exit(m.Run())
}

func record(at time.Time, region, source, name string) *event.Record {
	r := &event.Record{
		EventSource: source, EventName: name, AWSRegion: region,
		UserIdentity: &event.UserIdentity{
			Type: "IAMUser", PrincipalID: "AIDAEXAMPLE", AccountID: account,
			ARN: "arn:aws:iam::" + account + ":user/alice", UserName: "alice",
		},
		SourceIPAddress: "203.0.113.7",
		UserAgent:       "trailkit-test",
	}
	r.Fill(account, at)
	return r
}

func trailConfig(sinks ...sink.Sink) trail.Config {
	return trail.Config{
		Name: "lake-trail", AccountID: account, HomeRegion: home,
		IncludeGlobalServiceEvents: true, Delivery: trail.DeliveryOptions{Sinks: sinks},
	}
}

// lakeIDs counts the eventIDs of the cloudtrail-shape lake in dir.
func lakeIDs(t *testing.T, dir string) map[string]int {
	t.Helper()
	rows, err := Open(t).Query("SELECT eventID, count(*) FROM " + readParquet(dir) + " GROUP BY eventID")
	require.NoError(t, err)
	defer rows.Close()
	ids := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		require.NoError(t, rows.Scan(&id, &n))
		ids[id] = n
	}
	require.NoError(t, rows.Err())
	return ids
}

func requireOnce(t *testing.T, lake map[string]int, acked []string) {
	t.Helper()
	missing := 0
	for _, id := range acked {
		if lake[id] == 0 {
			missing++
		}
	}
	require.Zero(t, missing, "acknowledged records missing from the lake (of %d)", len(acked))
	for id, n := range lake {
		require.Equal(t, 1, n, "record %s in the lake %d times", id, n)
	}
}

// copyDown copies every object under prefix in an S3 sink into a directory.
func copyDown(t *testing.T, s *s3sink.Sink, prefix string) string {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	n := 0
	for info, err := range s.List(ctx, prefix, "") {
		require.NoError(t, err)
		rc, _, err := s.Get(ctx, info.Key)
		require.NoError(t, err)
		body, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(info.Key, prefix)))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, body, 0o644))
		n++
	}
	require.Positive(t, n, "objects under %s", prefix)
	return dir
}

// MinIO stops while the trail goes on emitting; puts to the lake fail and
// show in Status; once MinIO is back, Close delivers everything.
func TestParquetSinkS3Outage(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "lake")
	s3 := s3sink.New(srv.Client(t), "lake", s3sink.Options{})
	ps, err := parquet.New(s3, parquet.Options{Prefix: "ext/trailkit/"})
	require.NoError(t, err)
	cfg := trailConfig(ps)
	cfg.Files.MaxRecords = 50
	cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, AttemptTimeout: 5 * time.Second}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var ids []string
	emit := func(n int) {
		for range n {
			r := record(time.Now(), home, "ec2.amazonaws.com", "RunInstances")
			require.NoError(t, tr.Emit(ctx, r))
			ids = append(ids, r.EventID)
		}
	}
	emit(200)
	require.NoError(t, tr.Flush(ctx))
	srv.Stop(t)
	emit(300)
	require.Eventually(t, func() bool { return tr.Status().LatestDeliveryError != "" }, 60*time.Second, 20*time.Millisecond, "the outage shows in Status")
	st := tr.Status()
	assert.Positive(t, st.PendingFiles)
	assert.Equal(t, int64(200), st.Counters.Delivered, "nothing delivered during the outage")
	t.Logf("during the outage: %d pending files, error %q", st.PendingFiles, st.LatestDeliveryError)
	srv.Restart(t)
	emit(100)
	require.NoError(t, tr.Close(ctx))
	st = tr.Status()
	assert.Empty(t, st.LatestDeliveryError)
	assert.Equal(t, int64(600), st.Counters.Delivered)
	requireOnce(t, lakeIDs(t, copyDown(t, s3, "ext/trailkit/")), ids)
	assert.Equal(t, int64(600), ps.Stats().Rows)
}

// slowSink makes puts take a while, so that a kill finds files being put.
type slowSink struct {
	sink.Sink
	delay time.Duration
}

func (s slowSink) Put(ctx context.Context, obj sink.Object) error {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.Sink.Put(ctx, obj)
}

func spoolConfig(spool, root string, delay time.Duration) (trail.Config, error) {
	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "lake"})
	if err != nil {
		return trail.Config{}, err
	}
	ps, err := parquet.New(d, parquet.Options{Format: lake.CloudTrail})
	if err != nil {
		return trail.Config{}, err
	}
	cfg := trailConfig(slowSink{ps, delay})
	cfg.Files.MaxRecords = 40
	cfg.Files.FlushInterval = time.Second
	cfg.Durability.Spool = &trail.Spool{Dir: spool, SegmentBytes: 256 << 10}
	return cfg, nil
}

// childEmit emits from several goroutines until killed, printing
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
	killtest.EmitUntilKilled(4, func(int, int) (string, error) {
		r := record(time.Now(), home, "ec2.amazonaws.com", "RunInstances")
		return r.EventID, tr.Emit(context.Background(), r)
	})
	return 0
}

// runAndKill starts an emitting child, SIGKILLs it once it has
// acknowledged n records, and returns what it acknowledged.
func runAndKill(t *testing.T, spool, root string, n int) []string {
	return killtest.RunAndKill(t, []string{childEnv + "=emit", childSpoolEnv + "=" + spool, childRootEnv + "=" + root}, killtest.AfterAcks(n))
}

// The emitting process is killed with SIGKILL twice; a trail started on the
// same spool delivers to the lake every record that was acknowledged, once.
func TestParquetSinkSurvivesKill9(t *testing.T) {
	spool, root := t.TempDir(), t.TempDir()
	acked := runAndKill(t, spool, root, 2000)
	acked = append(acked, runAndKill(t, spool, root, 2000)...)
	cfg, err := spoolConfig(spool, root, 0)
	require.NoError(t, err)
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, tr.Close(ctx))
	t.Logf("%d records acknowledged by two killed processes, %d recovered from the spool", len(acked), tr.Counters().Recovered)
	assert.Positive(t, tr.Counters().Recovered)
	requireOnce(t, lakeIDs(t, root), acked)
}
