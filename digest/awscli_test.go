package digest_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/awscli"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// awsCLI runs `aws cloudtrail validate-logs` on a MinIO server.
type awsCLI struct {
	*awscli.CLI
	srvEnv  []string
	hasTail bool // the CLI rejects bytes after a log file's gzip stream
}

// requireAWSCLI finds the AWS CLI for Python. The interoperability tests
// must not pass without it: they fail, loudly, when it is missing.
func requireAWSCLI(t testing.TB, srv *miniotest.Server) *awsCLI {
	t.Helper()
	c := awscli.New(t)
	t.Logf("AWS CLI %s", c.Version)
	src, err := os.ReadFile(filepath.Join(c.Package, "customizations", "cloudtrail", "validation.py"))
	require.NoError(t, err)
	return &awsCLI{CLI: c, srvEnv: srv.Env(), hasTail: bytes.Contains(src, []byte("unused_data"))}
}

type cliResult struct {
	lines   []string // the digest, log file and gap lines, stdout and stderr
	summary string   // stdout from "Results requested"
	code    int
}

func (c *awsCLI) validate(t testing.TB, keys digest.PublicKeyList, bucket, arn, region string, start, end time.Time) cliResult {
	t.Helper()
	c.SetKeys(t, keys)
	cmd := c.Command(c.srvEnv, "cloudtrail", "validate-logs", "--trail-arn", arn, "--s3-bucket", bucket, "--region", region, "--verbose",
		"--start-time", start.Format(time.RFC3339), "--end-time", end.Format(time.RFC3339))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "aws cloudtrail validate-logs: %v\n%s", err, stderr.String())
		code = ee.ExitCode()
	}
	var r cliResult
	r.code = code
	for _, l := range strings.Split(stdout.String()+"\n"+stderr.String(), "\n") {
		if strings.HasPrefix(l, "Digest file\t") || strings.HasPrefix(l, "Log file\t") || strings.HasPrefix(l, "(backfill) ") ||
			strings.HasPrefix(l, "No log files were delivered") {
			r.lines = append(r.lines, l)
		}
	}
	if i := strings.Index(stdout.String(), "Results requested"); i >= 0 {
		r.summary = stdout.String()[i:]
	} else {
		t.Fatalf("aws cloudtrail validate-logs printed no summary (exit %d)\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	return r
}

// TestAWSCLIInterop writes a chain with digest.Chain into MinIO and
// validates it with the AWS CLI's own validate-logs and with Validate,
// untampered and tampered: both must report the same lines, totals and
// exit status.
func TestAWSCLIInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO and the AWS CLI")
	}
	srv := miniotest.Start(t)
	cli := requireAWSCLI(t, srv)
	client := srv.Client(t)
	ctx := context.Background()
	key := testKey(t, 0)
	var ring digest.KeyRing
	require.NoError(t, ring.AddRSA(key, h0.Add(-24*time.Hour), time.Time{}))
	const arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/interop"
	start, end := h0, h0.Add(5*time.Hour)

	type chain struct {
		store *s3sink.Sink
		w     *trailWriter
		keys  []string
		logs  [][]digest.LogFile
	}
	tests := []struct {
		name   string
		tamper func(t *testing.T, c *chain)
		// differs maps a line of the installed CLI to trailkit's, where
		// trailkit checks more.
		differs func(c *chain) map[string]string
		valid   bool
	}{
		{name: "untampered", tamper: func(*testing.T, *chain) {}, valid: true},
		{name: "modify a log file", tamper: func(t *testing.T, c *chain) {
			require.NoError(t, c.store.Put(ctx, sink.Object{Key: c.logs[2][0].Key, Body: refGzip([]byte(`{"Records":[]}`))}))
		}},
		{name: "delete a log file", tamper: func(t *testing.T, c *chain) {
			_, err := client.DeleteObject(ctx, deleteInput(c.store.Bucket(), c.logs[1][1].Key))
			require.NoError(t, err)
		}},
		{name: "delete a digest", tamper: func(t *testing.T, c *chain) {
			_, err := client.DeleteObject(ctx, deleteInput(c.store.Bucket(), c.keys[2]))
			require.NoError(t, err)
		}},
		{name: "modify a digest", tamper: func(t *testing.T, c *chain) {
			body, info, err := sink.ReadAll(ctx, c.store, c.keys[3], 1<<30)
			require.NoError(t, err)
			raw := gunzipT(t, body)
			sha := hex.EncodeToString(c.logs[3][0].SHA256[:])
			require.Contains(t, string(raw), sha)
			raw = bytes.Replace(raw, []byte(sha), []byte(strings.Repeat("0", 64)), 1)
			require.NoError(t, c.store.Put(ctx, sink.Object{Key: c.keys[3], Body: refGzip(raw), Metadata: info.Metadata}))
		}},
		{name: "move a digest", tamper: func(t *testing.T, c *chain) {
			body, info, err := sink.ReadAll(ctx, c.store, c.keys[2], 1<<30)
			require.NoError(t, err)
			moved := digest.Key(c.w.cfg, h0.Add(2*time.Hour+30*time.Minute))
			require.NoError(t, c.store.Put(ctx, sink.Object{Key: moved, Body: body, Metadata: info.Metadata}))
			_, err = client.DeleteObject(ctx, deleteInput(c.store.Bucket(), c.keys[2]))
			require.NoError(t, err)
		}},
		{name: "re-sign with a key not in the ring", tamper: func(t *testing.T, c *chain) {
			body, _, err := sink.ReadAll(ctx, c.store, c.keys[4], 1<<30)
			require.NoError(t, err)
			f, raw, err := digest.Decode(body)
			require.NoError(t, err)
			other := digest.NewRSASigner(testKey(t, 2))
			raw = bytes.Replace(raw, []byte(f.DigestPublicKeyFingerprint), []byte(other.Fingerprint()), 1)
			sig := refSign(t, testKey(t, 2), f.EndTimeText(), c.store.Bucket(), c.keys[4], raw, f.PreviousDigestSignature)
			require.NoError(t, c.store.Put(ctx, sink.Object{Key: c.keys[4], Body: refGzip(raw),
				Metadata: map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}}))
		}},
		{name: "append bytes to a log file's gzip stream", tamper: func(t *testing.T, c *chain) {
			body, _, err := sink.ReadAll(ctx, c.store, c.logs[3][1].Key, 1<<30)
			require.NoError(t, err)
			require.NoError(t, c.store.Put(ctx, sink.Object{Key: c.logs[3][1].Key, Body: append(body, "appended"...)}))
		}, differs: func(c *chain) map[string]string {
			if cli.hasTail {
				return nil
			}
			line := "Log file\ts3://" + c.store.Bucket() + "/" + c.logs[3][1].Key + "\t"
			return map[string]string{line + "valid": line + "INVALID: invalid format"}
		}},
		{name: "trail stopped for an hour", tamper: nil, valid: true},
		{name: "backfill digests, one without its generation timestamp", tamper: func(t *testing.T, c *chain) {
			r := newRefTrail(t, c.store, key, 5)
			r.name = "interop"
			gen := h0.Add(4 * time.Hour)
			r.sealBackfill(h0.Add(-time.Hour), h0, []refLog{r.putLog(h0.Add(-30*time.Minute), 2)}, gen, true)
			r.sealBackfill(h0, h0.Add(time.Hour), nil, gen, true)
			r.stop()
			r.sealBackfill(h0.Add(2*time.Hour), h0.Add(3*time.Hour), nil, gen, false)
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket := "interop-" + string(rune('a'+i))
			srv.CreateBucket(t, bucket)
			c := &chain{store: s3sink.New(client, bucket, s3sink.Options{})}
			cfg := digest.ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "interop", Bucket: bucket, Keys: &ring}
			c.w = newTrailWriter(t, c.store, cfg, uint64(i+1), 20)
			for h := range 5 {
				if tt.tamper == nil && h == 2 {
					// The trail is stopped for this hour: no digest, and
					// the next one starts a new chain.
					c.w.chain, _ = digest.NewChain(cfg)
					continue
				}
				k, logs := c.w.hour(ctx, h0.Add(time.Duration(h)*time.Hour), 2)
				c.keys, c.logs = append(c.keys, k), append(c.logs, logs)
			}
			if tt.tamper != nil {
				tt.tamper(t, c)
			}
			cr := cli.validate(t, ring.ListPublicKeys(), bucket, arn, "us-east-1", start, end)

			opts := digest.ValidateOptions{TrailARN: arn, Start: start, End: end, Keys: ring.PublicKeys(time.Time{}, time.Time{}), Regions: []string{"us-east-1"}}
			fs, sum := run(t, c.store, opts)
			var ours []string
			for _, f := range fs {
				ours = append(ours, f.String())
			}
			want := slices.Clone(cr.lines)
			var differs map[string]string
			if tt.differs != nil {
				differs = tt.differs(c)
			}
			for i, l := range want {
				if d, ok := differs[l]; ok {
					t.Logf("the installed AWS CLI does not check for bytes after the gzip stream (aws/aws-cli#10326):\nAWS CLI:  %s\ntrailkit: %s", l, d)
					want[i] = d
				}
			}
			slices.Sort(want)
			slices.Sort(ours)
			assert.Equal(t, want, ours, "AWS CLI output:\n%s", strings.Join(cr.lines, "\n"))
			var text strings.Builder
			require.NoError(t, sum.WriteText(&text))
			if len(differs) == 0 {
				assert.Equal(t, cr.summary, text.String())
				assert.Equal(t, tt.valid, cr.code == 0, "AWS CLI exit status %d", cr.code)
			} else {
				assert.Equal(t, 0, cr.code, "the installed AWS CLI finds the file valid")
			}
			assert.Equal(t, tt.valid, sum.Valid())
		})
	}
}

func deleteInput(bucket, key string) *s3.DeleteObjectInput {
	return &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
}
