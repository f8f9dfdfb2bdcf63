package main

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/awscli"
	"github.com/trailkit/trailkit/internal/miniotest"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// TestValidateCommandS3MatchesAWSCLI runs trailkit validate --s3 and the
// AWS CLI's validate-logs --verbose on the same MinIO bucket and expects
// the same standard output, standard error and exit status, untampered
// and tampered. Without awscli for Python it fails, loudly.
func TestValidateCommandS3MatchesAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO and the AWS CLI")
	}
	cli := awscli.New(t)
	bin := buildTrailkit(t)
	key, pub := keygenPair(t, bin)
	srv := miniotest.Start(t)
	client := srv.Client(t)
	ctx := context.Background()

	cli.SetKeys(t, digest.PublicKeyList{PublicKeyList: []digest.PublicKey{digest.NewPublicKey(&key.PublicKey)}})
	env := append(srv.Env(), cli.Env...)

	tests := []struct {
		name   string
		tamper func(t *testing.T, bucket string, tt testTrail)
		code   int
	}{
		{"untampered", func(*testing.T, string, testTrail) {}, 0},
		{"log deleted, log modified, digest deleted", func(t *testing.T, bucket string, tt testTrail) {
			del := func(k string) {
				_, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
				require.NoError(t, err)
			}
			del(tt.logs[3][0])
			del(tt.digests[1])
			_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(tt.logs[2][1]), Body: bytes.NewReader(emptyLogFile(t))})
			require.NoError(t, err)
		}, 1},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bucket := "validate-cmd-" + string(rune('a'+i))
			srv.CreateBucket(t, bucket)
			tt := writeTestTrail(t, s3sink.New(client, bucket, s3sink.Options{}), key, 5, 2)
			tc.tamper(t, bucket, tt)
			times := []string{"--start-time", "2026-03-02T10:00:00Z", "--end-time", "2026-03-02T15:00:00Z"}

			ours := runTrailkitBin(t, bin, env, append([]string{"validate", "--s3", "s3://" + bucket, "--trail-arn", validateARN, "--public-key", pub}, times...)...)

			cmd := cli.Command(srv.Env(), append([]string{"cloudtrail", "validate-logs", "--trail-arn", validateARN,
				"--s3-bucket", bucket, "--verbose"}, times...)...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			code := 0
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				require.True(t, ok, "aws: %v\n%s", err, stderr.String())
				code = ee.ExitCode()
			}
			require.Contains(t, stdout.String(), "Results requested for", "AWS CLI stderr:\n%s", stderr.String())
			assert.Equal(t, tc.code, code, "AWS CLI exit status")
			assert.Equal(t, tc.code, ours.code, "trailkit exit status; stderr:\n%s", ours.stderr)
			assert.Equal(t, stdout.String(), ours.stdout)
			assert.Equal(t, stderr.String(), ours.stderr)
		})
	}
}

// TestValidateCommandS3Errors: a bucket that does not exist or cannot be
// read is exit status 2, with the server's reason on one line.
func TestValidateCommandS3Errors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO")
	}
	bin := buildTrailkit(t)
	_, pub := keygenPair(t, bin)
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "present")
	args := func(url string) []string {
		return []string{"validate", "--s3", url, "--trail-arn", validateARN, "--public-key", pub, "--start-time", "2026-03-02T10:00:00Z", "--end-time", "2026-03-02T11:00:00Z"}
	}
	tests := []struct {
		name string
		env  []string
		url  string
		want string
	}{
		{"no such bucket", srv.Env(), "s3://absent-bucket", "bucket not found"},
		{"wrong credentials", append(srv.Env(), "AWS_SECRET_ACCESS_KEY=wrong"), "s3://present", "SignatureDoesNotMatch"},
		{"unreachable endpoint", append(srv.Env(), "AWS_ENDPOINT_URL_S3=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1"), "s3://present", "cannot reach http://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append(tt.env, "AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent")
			r := runTrailkitBin(t, bin, env, args(tt.url)...)
			assert.Equal(t, 2, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			assert.Contains(t, r.stderr, tt.want)
			assert.True(t, strings.HasPrefix(r.stderr, "trailkit validate: "+tt.url), r.stderr)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		})
	}
}
