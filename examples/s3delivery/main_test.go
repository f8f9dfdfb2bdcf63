package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

const (
	bucket  = "trail-bucket"
	account = "111122223333"
)

var (
	logKey    = regexp.MustCompile(`^team-a/AWSLogs/111122223333/CloudTrail/us-east-1/(\d{4})/(\d\d)/(\d\d)/111122223333_CloudTrail_us-east-1_(\d{4})(\d\d)(\d\d)T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)
	digestKey = regexp.MustCompile(`^team-a/AWSLogs/111122223333/CloudTrail-Digest/us-east-1/(\d{4})/(\d\d)/(\d\d)/111122223333_CloudTrail-Digest_us-east-1_s3delivery_us-east-1_(\d{4})(\d\d)(\d\d)T\d{6}Z\.json\.gz$`)
)

// setAWSEnv points the standard AWS configuration, from which run builds
// its client as it does for a user, at the server: credentials and region
// from the environment, and no shared config files.
func setAWSEnv(t *testing.T, srv *miniotest.Server) {
	t.Helper()
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

func TestRunOnMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, bucket)
	client := srv.Client(t)
	setAWSEnv(t, srv)

	key, err := digest.GenerateKey(2048)
	require.NoError(t, err)
	pemKey, err := digest.MarshalPrivateKeyPEM(key)
	require.NoError(t, err)
	keyFile := filepath.Join(t.TempDir(), "trail-key.pem")
	require.NoError(t, os.WriteFile(keyFile, pemKey, 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// A run in an hour's first minute delivers files stamped HH:00, which
	// the digest of the hour they start in lists: a range starting at the
	// second the run started validates them.
	start := time.Now().UTC().Truncate(time.Second)
	var out bytes.Buffer
	const records = 40
	require.NoError(t, run(ctx, &out, options{
		bucket: bucket, prefix: "team-a", endpoint: srv.Endpoint, keyFile: keyFile, accountID: account, records: records,
	}))
	end := time.Now().UTC().Add(time.Second)
	t.Log("\n" + out.String())

	// Every object in the bucket has a CloudTrail key dated today, and the
	// program printed each one.
	var logs, digests, printed []string
	listed, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	require.NoError(t, err)
	for _, obj := range listed.Contents {
		k := aws.ToString(obj.Key)
		printed = append(printed, "s3://"+bucket+"/"+k)
		var m []string
		switch {
		case logKey.MatchString(k):
			m = logKey.FindStringSubmatch(k)
			logs = append(logs, k)
		case digestKey.MatchString(k):
			m = digestKey.FindStringSubmatch(k)
			digests = append(digests, k)
		default:
			t.Errorf("unexpected key %s", k)
			continue
		}
		assert.Equal(t, m[1]+m[2]+m[3], m[4]+m[5]+m[6], "the key's day directory is its file's day: %s", k)
	}
	require.NotEmpty(t, logs)
	// One digest for the hour so far, when the trail closed (two if the
	// run straddled the hour).
	require.NotEmpty(t, digests)
	for _, p := range printed {
		assert.Regexp(t, `(?m)^put `+regexp.QuoteMeta(p)+` \(\d+ bytes\)$`, out.String())
	}
	assert.Equal(t, len(printed), strings.Count(out.String(), "\nput "))

	// The log files are gzipped CloudTrail log files holding every record
	// once.
	ids := map[string]int{}
	for _, k := range logs {
		obj, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		require.NoError(t, err)
		body, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		require.NoError(t, err)
		assert.Equal(t, []byte{0x1f, 0x8b}, body[:2], "gzip: %s", k)
		assert.Equal(t, "gzip", aws.ToString(obj.ContentEncoding))
		for rec, err := range event.Read(bytes.NewReader(body)) {
			require.NoError(t, err, k)
			assert.Equal(t, "orders.example.com", rec.EventSource)
			assert.Equal(t, account, rec.RecipientAccountID)
			ids[rec.EventID]++
		}
	}
	assert.Len(t, ids, records)
	for id, n := range ids {
		assert.Equal(t, 1, n, "record %s delivered once", id)
	}

	// Digests carry their signature in the object's metadata.
	for _, k := range digests {
		head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
		require.NoError(t, err)
		assert.Equal(t, "SHA256withRSA", head.Metadata["signature-algorithm"], k)
		sig, err := hex.DecodeString(head.Metadata["signature"])
		require.NoError(t, err, k)
		assert.Len(t, sig, 256, "an RSA-2048 signature: %s", k)
	}

	// And the validator accepts them all, with the public half of the key.
	sum := digest.Summary{Start: start, End: end}
	for f, err := range digest.Validate(ctx, s3sink.New(client, bucket, s3sink.Options{}), digest.ValidateOptions{
		TrailARN: "arn:aws:cloudtrail:us-east-1:" + account + ":trail/s3delivery",
		Start:    start, End: end, Prefix: "team-a",
		Keys: []digest.PublicKey{digest.NewPublicKey(&key.PublicKey)},
	}) {
		require.NoError(t, err)
		assert.False(t, f.Kind.Invalid(), "%s", f.String())
		sum.Add(&f)
	}
	assert.Equal(t, len(digests), sum.ValidDigests)
	assert.Equal(t, len(logs), sum.ValidLogs)

	assert.Contains(t, out.String(), `Trail "s3delivery" delivering to s3://trail-bucket/team-a/, digests signed by key `+
		digest.NewRSASigner(key).Fingerprint()+"\n")
	assert.Contains(t, out.String(), "Status: 40 records emitted, 40 delivered, 0 dropped\n")
	assert.Regexp(t, `(?m)^  trail-bucket: log files delivered: \d+ \(latest \S+Z\); digest files delivered: \d+ \(latest \S+Z\)$`, out.String())
}

// A bucket that does not exist: the puts fail and are retried until Close
// gives up when the context ends, and the status shows the error.
func TestRunMissingBucket(t *testing.T) {
	srv := miniotest.Start(t)
	setAWSEnv(t, srv)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, &out, options{bucket: "no-such-bucket", endpoint: srv.Endpoint, accountID: account, records: 3})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorContains(t, err, "close trail")
	assert.NotRegexp(t, `(?m)^put `, out.String())
	assert.Contains(t, out.String(), "Status: 3 records emitted, 0 delivered, 0 dropped\n")
	assert.Regexp(t, `(?m)^  latest errors: ".*no-such-bucket.*", .*\(\d+ failed puts\)$`, out.String())
}
