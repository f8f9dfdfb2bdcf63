package miniotest

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServer(t *testing.T) {
	ctx := context.Background()
	srv := Start(t)
	require.True(t, strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:"), srv.Endpoint)
	srv.CreateBucket(t, "logs")
	client := srv.Client(t)

	put := func(key, body string, sse types.ServerSideEncryption, kmsKey *string) {
		t.Helper()
		_, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String("logs"), Key: aws.String(key), Body: strings.NewReader(body),
			ServerSideEncryption: sse, SSEKMSKeyId: kmsKey,
		})
		require.NoError(t, err, key)
	}
	get := func(key string) string {
		t.Helper()
		out, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("logs"), Key: aws.String(key)})
		require.NoError(t, err, key)
		defer out.Body.Close()
		b, err := io.ReadAll(out.Body)
		require.NoError(t, err)
		return string(b)
	}
	put("a/plain", "plain", "", nil)
	put("a/sse-s3", "sse-s3", types.ServerSideEncryptionAes256, nil)
	put("a/sse-kms", "sse-kms", types.ServerSideEncryptionAwsKms, aws.String(srv.KMSKeyID))
	assert.Equal(t, "plain", get("a/plain"))
	assert.Equal(t, "sse-s3", get("a/sse-s3"))
	assert.Equal(t, "sse-kms", get("a/sse-kms"))
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("logs"), Key: aws.String("a/sse-kms")})
	require.NoError(t, err)
	assert.Equal(t, types.ServerSideEncryptionAwsKms, head.ServerSideEncryption)

	// An outage: the port refuses connections, then the data is back.
	srv.Stop(t)
	_, err = (&http.Client{Timeout: time.Second}).Get(srv.Endpoint + "/minio/health/live")
	require.Error(t, err, "server still answers after Stop")
	srv.Restart(t)
	assert.Equal(t, "sse-kms", get("a/sse-kms"), "object after restart")
	put("a/after-restart", "x", types.ServerSideEncryptionAwsKms, aws.String(srv.KMSKeyID))
}

// TestEnv checks that Env is all an SDK program needs to reach the server.
func TestEnv(t *testing.T) {
	srv := Start(t)
	srv.CreateBucket(t, "env-bucket")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	for _, kv := range srv.Env() {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	require.NoError(t, err)
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	out, err := client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	require.NoError(t, err)
	require.Len(t, out.Buckets, 1)
	assert.Equal(t, "env-bucket", aws.ToString(out.Buckets[0].Name))
}

func TestBinaryFromEnv(t *testing.T) {
	t.Setenv("TRAILKIT_MINIO", filepath.Join(t.TempDir(), "no-such-minio"))
	_, err := findOrInstall()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "TRAILKIT_MINIO")
}
