package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/awscli"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
)

// TestTrailDeliveryValidatesWithAWSCLI delivers records through a real
// trail (trailkit replay, with digests) to MinIO, then runs the AWS CLI's
// own validate-logs on the bucket: every digest and log file the trail
// wrote must be valid to it, and trailkit validate must print the same.
// Without awscli for Python it fails, loudly.
func TestTrailDeliveryValidatesWithAWSCLI(t *testing.T) {
	cli := awscli.New(t)
	bin := buildTrailkit(t)
	key, pub := keygenPair(t, bin)
	dir := t.TempDir()
	privPEM, err := digest.MarshalPrivateKeyPEM(key)
	require.NoError(t, err)
	priv := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(priv, privPEM, 0o600))

	// 600 records over three hours and a half, one every 21 seconds.
	t0 := time.Date(2026, 6, 1, 9, 10, 0, 0, time.UTC)
	g := synth.New(3, t0)
	var input bytes.Buffer
	for i := range 600 {
		r := g.Record()
		r.EventTime = t0.Add(time.Duration(i) * 21 * time.Second)
		input.Write(r.AppendJSON(nil))
		input.WriteByte('\n')
	}
	records := filepath.Join(dir, "records.jsonl")
	require.NoError(t, os.WriteFile(records, input.Bytes(), 0o644))

	srv := miniotest.Start(t)
	const bucket = "delivered"
	srv.CreateBucket(t, bucket)
	env := append(srv.Env(), cli.Env...)

	r := runTrailkitBin(t, bin, env, "replay", "--account-id", g.Account, "--region", "us-east-1", "--trail-name", "replayed",
		"--all", "--private-key", priv, "--s3", "s3://"+bucket, records)
	require.Equal(t, 0, r.code, r.stderr)

	cli.SetKeys(t, digest.PublicKeyList{PublicKeyList: []digest.PublicKey{digest.NewPublicKey(&key.PublicKey)}})

	arn := "arn:aws:cloudtrail:us-east-1:" + g.Account + ":trail/replayed"
	times := []string{"--start-time", t0.Format(time.RFC3339), "--end-time", t0.Add(5 * time.Hour).Format(time.RFC3339)}
	validate := cli.Command(srv.Env(), append([]string{"cloudtrail", "validate-logs", "--trail-arn", arn,
		"--s3-bucket", bucket, "--verbose"}, times...)...)
	var stdout, stderr bytes.Buffer
	validate.Stdout, validate.Stderr = &stdout, &stderr
	require.NoError(t, validate.Run(), "aws cloudtrail validate-logs:\n%s\n%s", stdout.String(), stderr.String())

	// Three and a half hours of logging give five digests (the first and
	// last hours partial) and 5-minute log files.
	digests := regexp.MustCompile(`(\d+)/(\d+) digest files valid`).FindStringSubmatch(stdout.String())
	logs := regexp.MustCompile(`(\d+)/(\d+) log files valid`).FindStringSubmatch(stdout.String())
	require.NotNil(t, digests, stdout.String())
	require.NotNil(t, logs, stdout.String())
	assert.Equal(t, digests[1], digests[2])
	assert.Equal(t, logs[1], logs[2])
	nd, _ := strconv.Atoi(digests[1])
	nl, _ := strconv.Atoi(logs[1])
	assert.GreaterOrEqual(t, nd, 4, "an hourly digest for each hour logged")
	assert.GreaterOrEqual(t, nl, 40, "5-minute log files")
	assert.NotContains(t, stdout.String()+stderr.String(), "INVALID")
	t.Logf("aws cloudtrail validate-logs:\n%s", stdout.String())

	ours := runTrailkitBin(t, bin, env, append([]string{"validate", "--s3", "s3://" + bucket, "--trail-arn", arn, "--public-key", pub}, times...)...)
	assert.Equal(t, 0, ours.code, ours.stderr)
	assert.Equal(t, stdout.String(), ours.stdout, "trailkit validate prints what the AWS CLI prints")

	// Every record replayed is in the bucket once.
	cat := runTrailkitBin(t, bin, env, "cat", "--count", "s3://"+bucket)
	require.Equal(t, 0, cat.code, cat.stderr)
	assert.Equal(t, "600\n", cat.stdout)
}
