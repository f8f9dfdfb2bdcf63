package s3_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// headerRecorder is an HTTP client that sends requests to the real server
// and keeps, for each, the method and the headers named.
type headerRecorder struct {
	mu    sync.Mutex
	names []string
	seen  []map[string]string
}

func (r *headerRecorder) Do(req *http.Request) (*http.Response, error) {
	got := map[string]string{"method": req.Method, "query": req.URL.RawQuery}
	for _, n := range r.names {
		got[n] = req.Header.Get(n)
	}
	r.mu.Lock()
	r.seen = append(r.seen, got)
	r.mu.Unlock()
	return http.DefaultClient.Do(req)
}

func TestExpectedBucketOwnerAndACLAreSent(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "cross-account")
	rec := &headerRecorder{names: []string{"X-Amz-Expected-Bucket-Owner", "X-Amz-Acl"}}
	client := s3.New(s3.Options{
		Region: miniotest.Region, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
		Credentials: srv.Client(t).Options().Credentials, HTTPClient: rec,
	})
	s := s3sink.New(client, "cross-account", s3sink.Options{ExpectedBucketOwner: "111122223333", ACL: "bucket-owner-full-control"})
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, sink.Object{Key: "AWSLogs/111122223333/CloudTrail/x.json.gz", Body: []byte("x")}))
	body, _, err := s.Get(ctx, "AWSLogs/111122223333/CloudTrail/x.json.gz")
	require.NoError(t, err)
	require.NoError(t, body.Close())
	for _, err := range s.List(ctx, "AWSLogs/", "") {
		require.NoError(t, err)
	}
	require.Len(t, rec.seen, 3)
	for _, r := range rec.seen {
		assert.Equal(t, "111122223333", r["X-Amz-Expected-Bucket-Owner"], "%s %s", r["method"], r["query"])
	}
	assert.Equal(t, "bucket-owner-full-control", rec.seen[0]["X-Amz-Acl"], "the put")
	// MinIO accepts both headers without enforcing the owner (it has no
	// accounts); S3 refuses a request whose bucket another account owns.

	err = s3sink.New(srv.Client(t), "cross-account", s3sink.Options{ACL: "public-read"}).Put(ctx, sink.Object{Key: "k", Body: []byte("x")})
	assert.ErrorContains(t, err, `ACL "public-read" is not bucket-owner-full-control`)
}

func TestCheckWrite(t *testing.T) {
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-bucket")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	t.Run("writable", func(t *testing.T) {
		s := s3sink.New(srv.Client(t), "trail-bucket", s3sink.Options{ServerSideEncryption: "aws:kms", KMSKeyID: srv.KMSKeyID})
		require.NoError(t, s.CheckWrite(ctx, "logs/AWSLogs/111122223333"))
		_, info, err := s.Get(ctx, "logs/AWSLogs/111122223333/TrailWritabilityCheckFile")
		require.NoError(t, err)
		assert.Zero(t, info.Size)
		w, ok := sink.As[sink.WriteChecker](s)
		assert.True(t, ok && w != nil)
	})
	t.Run("denied", func(t *testing.T) {
		// A client without credentials: the bucket's policy grants it
		// nothing, as a bucket whose policy leaves the writer out.
		anon := s3.New(s3.Options{
			Region: miniotest.Region, BaseEndpoint: aws.String(srv.Endpoint), UsePathStyle: true,
			Credentials: aws.AnonymousCredentials{},
		})
		err := s3sink.New(anon, "trail-bucket", s3sink.Options{}).CheckWrite(ctx, "AWSLogs/111122223333")
		require.ErrorIs(t, err, s3sink.ErrInsufficientBucketPolicy)
		assert.Contains(t, err.Error(), "InsufficientS3BucketPolicyException: Incorrect S3 bucket policy is detected for bucket: trail-bucket")
		assert.Contains(t, err.Error(), "AccessDenied", "the S3 error code")
		assert.Contains(t, err.Error(), "s3://trail-bucket/AWSLogs/111122223333/TrailWritabilityCheckFile")
	})
	t.Run("missing bucket", func(t *testing.T) {
		err := s3sink.New(srv.Client(t), "no-such-bucket", s3sink.Options{}).CheckWrite(ctx, "")
		require.ErrorIs(t, err, s3sink.ErrBucketNotFound)
		assert.Contains(t, err.Error(), "S3BucketDoesNotExistException: S3 bucket no-such-bucket does not exist")
		assert.Contains(t, err.Error(), "NoSuchBucket", "the S3 error code")
	})
	t.Run("unknown KMS key", func(t *testing.T) {
		err := s3sink.New(srv.Client(t), "trail-bucket", s3sink.Options{ServerSideEncryption: "aws:kms", KMSKeyID: "no-such-key"}).CheckWrite(ctx, "")
		require.Error(t, err, "a key the server does not know fails the check, not the first delivery")
		assert.True(t, strings.HasPrefix(err.Error(), "check write to s3://trail-bucket/TrailWritabilityCheckFile"), err.Error())
	})
}
