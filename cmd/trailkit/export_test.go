package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// exportTree writes log files of generated records in CloudTrail's layout:
// two Regions, three days, 200 records each.
func exportTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for i, region := range []string{"us-east-1", "eu-west-1"} {
		for day := range 3 {
			start := time.Date(2026, 2, 1+day, 10, 0, 0, 0, time.UTC)
			g := synth.New(uint64(10*i+day), start)
			g.Region = region
			name := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%sZ_abcdefgh%08d.json.gz",
				g.Account, region, start.Format("2006/01/02"), g.Account, region, start.Format("20060102T1504"), i*10+day)
			p := filepath.Join(dir, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
			f, err := os.Create(p)
			require.NoError(t, err)
			require.NoError(t, g.WriteLogFile(f, 200))
			require.NoError(t, f.Close())
		}
	}
	return dir
}

// lakeFiles returns the SHA-256 of each Parquet file under dir, by path.
func lakeFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, ".parquet") || strings.Contains(p, "/.") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		out[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return err
	})
	require.NoError(t, err)
	return out
}

func TestExportRerunShardsState(t *testing.T) {
	for _, format := range []string{"cloudtrail", "ocsf"} {
		t.Run(format, func(t *testing.T) {
			in := exportTree(t)
			full := filepath.Join(t.TempDir(), "full")
			r := runIn(t, nil, "export", "--format", format, "--out", full, in)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "exported 1200 records of 6 inputs into 6 objects\n", r.stderr)
			want := lakeFiles(t, full)
			require.Len(t, want, 6)
			for key := range want {
				assert.Regexp(t, `^region=(us-east-1|eu-west-1)/accountId=\d{12}/eventDay=2026020[123]/\d{12}_CloudTrail_[a-z0-9-]+_\d{8}T\d{4}Z_abcdefgh\d{8}_[0-9a-f]{8}\.parquet$`, key)
			}

			// Exporting again replaces each object with the same bytes.
			r = runIn(t, nil, "export", "--format", format, "--out", full, in)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, want, lakeFiles(t, full), "a second export changes nothing")

			// Two shards together are the full export, and share nothing.
			union := map[string]string{}
			for i := range 2 {
				out := filepath.Join(t.TempDir(), "shard")
				r := runIn(t, nil, "export", "--format", format, "--shard", fmt.Sprintf("%d/2", i), "--out", out, in)
				require.Equal(t, 0, r.code, r.stderr)
				got := lakeFiles(t, out)
				assert.NotEmpty(t, got, "shard %d", i)
				for k, v := range got {
					_, dup := union[k]
					assert.False(t, dup, "%s in both shards", k)
					union[k] = v
				}
			}
			assert.Equal(t, want, union, "two shards make the full export")

			// A state file skips what was exported.
			out := filepath.Join(t.TempDir(), "inc")
			state := filepath.Join(t.TempDir(), "state")
			r = runIn(t, nil, "export", "--format", format, "--state", state, "--out", out, in)
			require.Equal(t, 0, r.code, r.stderr)
			r = runIn(t, nil, "export", "--format", format, "--state", state, "--out", out, in)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "exported 0 records of 0 inputs into 0 objects\n", r.stderr)
			assert.Equal(t, want, lakeFiles(t, out))

			// --since skips the log files dated before it.
			out = filepath.Join(t.TempDir(), "since")
			r = runIn(t, nil, "export", "--format", format, "--since", "2026-02-02", "--out", out, in)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, "exported 800 records of 4 inputs into 4 objects\n", r.stderr)
		})
	}
}

func TestExportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"export", "x"},
		{"export", "--out", "d", "--format", "csv", "x"},
		{"export", "--out", "d", "--shard", "2/2", "x"},
		{"export", "--out", "d", "--since", "yesterday", "x"},
		{"export", "--out", "d", "--ddl", "athena"},
		{"export", "--out", "d"},
	} {
		r := runIn(t, nil, args...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
	}
	r := runIn(t, nil, "export", "--out", "/data/lake", "--ddl", "duckdb")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "CREATE VIEW cloudtrail_logs AS SELECT * FROM read_parquet('/data/lake/*/*/*/*.parquet', hive_partitioning = true, hive_types = {'region': VARCHAR, 'accountId': VARCHAR, 'eventDay': VARCHAR}, union_by_name = true);\n", r.stdout)
	r = runIn(t, nil, "export", "--format", "ocsf", "--out", "s3://b/lake", "--ddl", "athena")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "CREATE EXTERNAL TABLE ocsf_logs (\n  `activity_id` int,")
	assert.Contains(t, r.stdout, "'storage.location.template' = 's3://b/lake/region=${region}/accountId=${accountId}/eventDay=${eventDay}/'")
}

// The same trail exported from a bucket on MinIO into the bucket, and from
// a local copy into a directory: the same objects, byte for byte.
func TestExportS3(t *testing.T) {
	bin := buildTrailkit(t)
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail")
	srv.CreateBucket(t, "lake")
	in := exportTree(t)
	uploadTree(t, srv.Client(t), "trail", "", in)

	local := filepath.Join(t.TempDir(), "local")
	r := runIn(t, nil, "export", "--out", local, in)
	require.Equal(t, 0, r.code, r.stderr)
	want := map[string]string{}
	for k, v := range lakeFiles(t, local) {
		want["ext/src/"+k] = v
	}
	for range 2 { // the second run replaces the same objects
		res := runS3Bin(t, bin, srv.Env(), "export", "--out", "s3://lake/ext/src", "s3://trail/AWSLogs/")
		require.Equal(t, 0, res.code, res.stderr)
		assert.Equal(t, "exported 1200 records of 6 inputs into 6 objects\n", res.stderr)
		assert.Equal(t, want, s3Files(t, srv, "lake"))
	}
}

// s3Files returns the SHA-256 of each object in a bucket, by key.
func s3Files(t *testing.T, srv *miniotest.Server, bucket string) map[string]string {
	t.Helper()
	store := s3sink.New(srv.Client(t), bucket, s3sink.Options{})
	ctx := context.Background()
	out := map[string]string{}
	for info, err := range store.List(ctx, "", "") {
		require.NoError(t, err)
		rc, _, err := store.Get(ctx, info.Key)
		require.NoError(t, err)
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		require.NoError(t, err)
		out[info.Key] = hex.EncodeToString(h.Sum(nil))
	}
	return out
}
