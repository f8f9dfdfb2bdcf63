package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/miniotest"
)

// uploadTree puts every file under dir into the bucket, keyed by its path
// under dir after prefix.
func uploadTree(t *testing.T, client *s3.Client, bucket, prefix, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = client.PutObject(context.Background(), &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(prefix + filepath.ToSlash(rel)), Body: bytes.NewReader(body),
		})
		return err
	})
	require.NoError(t, err)
}

// runS3Bin runs the binary with an environment that reaches only the MinIO
// server: no shared AWS files, the server's credentials, extra variables.
func runS3Bin(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	home := t.TempDir()
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "no-credentials"),
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %s: %v", bin, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// without returns env without the variable name.
func without(env []string, name string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

func TestCatS3Binary(t *testing.T) {
	bin := buildTrailkit(t)
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-bucket")
	client := srv.Client(t)

	// The same tree as the directory tests, under a prefix, plus objects
	// outside the prefix and a directory sink's hidden metadata.
	dir, want := logTree(t, corpusRecords(t))
	writeFile(t, filepath.Join(dir, ".metadata", "AWSLogs", "x.json.gz.json"), []byte(`{"contentEncoding":"gzip"}`))
	uploadTree(t, client, "trail-bucket", "team-a/", dir)
	uploadTree(t, client, "trail-bucket", "team-b/", dir)

	dirRun := runS3Bin(t, bin, nil, "cat", dir)
	require.Equal(t, 0, dirRun.code, dirRun.stderr)
	require.Equal(t, want, lines(dirRun.stdout))

	cases := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"prefix", srv.Env(), []string{"cat", "s3://trail-bucket/team-a/"}, want},
		{"prefix without slash", srv.Env(), []string{"cat", "s3://trail-bucket/team-a"}, want},
		{"narrow prefix", srv.Env(), []string{"cat", "s3://trail-bucket/team-a/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/"}, want[4:8]},
		{"whole bucket", srv.Env(), []string{"cat", "s3://trail-bucket"}, append(append([]string{}, want...), want...)},
		{"count", srv.Env(), []string{"cat", "--count", "s3://trail-bucket/team-a/"}, []string{"8"}},
		{"endpoint flag", without(srv.Env(), "AWS_ENDPOINT_URL_S3"),
			[]string{"cat", "--endpoint-url", srv.Endpoint, "s3://trail-bucket/team-b/"}, want},
		{"empty prefix", srv.Env(), []string{"cat", "--count", "s3://trail-bucket/nothing-here/"}, []string{"0"}},
		{"S3 and a directory", srv.Env(), []string{"cat", "--count", "s3://trail-bucket/team-a/", dir}, []string{"16"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runS3Bin(t, bin, c.env, c.args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			assert.Equal(t, c.want, lines(r.stdout))
		})
	}
}

func TestCatS3Errors(t *testing.T) {
	bin := buildTrailkit(t)
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-bucket")
	_, err := srv.Client(t).PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("trail-bucket"), Key: aws.String("AWSLogs/bad.json"), Body: strings.NewReader("not json"),
	})
	require.NoError(t, err)

	wrongSecret := append(without(srv.Env(), "AWS_SECRET_ACCESS_KEY"), "AWS_SECRET_ACCESS_KEY=wrong-secret")
	noCredentials := without(without(srv.Env(), "AWS_SECRET_ACCESS_KEY"), "AWS_ACCESS_KEY_ID")
	cases := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stderr []string // substrings of the one line on stderr
	}{
		{"missing bucket", srv.Env(), []string{"cat", "s3://no-such-bucket/AWSLogs/"}, 1,
			[]string{"trailkit cat: s3://no-such-bucket/AWSLogs/: bucket not found (NoSuchBucket"}},
		{"wrong secret", wrongSecret, []string{"cat", "s3://trail-bucket/"}, 1,
			[]string{"trailkit cat: s3://trail-bucket/: SignatureDoesNotMatch"}},
		{"no credentials", noCredentials, []string{"cat", "s3://trail-bucket/"}, 1,
			[]string{"trailkit cat: s3://trail-bucket/: get identity: get credentials"}},
		{"unreachable endpoint", without(srv.Env(), "AWS_ENDPOINT_URL_S3"),
			[]string{"cat", "--endpoint-url", "http://127.0.0.1:1", "s3://trail-bucket/"}, 1,
			[]string{"trailkit cat: s3://trail-bucket/:", "connection refused"}},
		{"unreadable object", srv.Env(), []string{"cat", "s3://trail-bucket/AWSLogs/"}, 1,
			[]string{"s3://trail-bucket/AWSLogs/bad.json"}},
		{"no bucket", srv.Env(), []string{"cat", "s3://"}, 2,
			[]string{`trailkit cat: S3 URL "s3://": no bucket (run 'trailkit cat --help')`}},
		{"bad bucket name", srv.Env(), []string{"cat", "s3://bad bucket/x"}, 2,
			[]string{`bucket name "bad bucket" contains ' '`}},
		{"empty bucket name", srv.Env(), []string{"cat", "s3:///AWSLogs/"}, 2, []string{"no bucket"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := runS3Bin(t, bin, c.env, c.args...)
			assert.Equal(t, c.code, r.code)
			assert.Empty(t, r.stdout)
			require.Len(t, lines(r.stderr), 1, "one line: %s", r.stderr)
			for _, s := range c.stderr {
				assert.Contains(t, r.stderr, s)
			}
			assert.NotContains(t, r.stderr, "RequestID", "no SDK noise")
		})
	}
}
