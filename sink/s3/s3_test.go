package s3_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// newS3 starts a MinIO server for the test and returns an S3 sink on a new
// bucket of it, and the client.
func newS3(t *testing.T, opts s3sink.Options) (*s3sink.Sink, *s3.Client, *miniotest.Server) {
	t.Helper()
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-bucket")
	client := srv.Client(t)
	return s3sink.New(client, "trail-bucket", opts), client, srv
}

func TestS3RoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newS3(t, s3sink.Options{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"Records":[]}`))
	require.NoError(t, zw.Close())
	const key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260102T030000Z.json.gz"
	require.NoError(t, s.Put(ctx, sink.Object{
		Key:             key,
		Body:            gz.Bytes(),
		Metadata:        map[string]string{"signature": "abc123", "Signature-Algorithm": "SHA256withRSA"},
		ContentType:     "application/json",
		ContentEncoding: "gzip",
	}))
	body, info, err := sink.ReadAll(ctx, s, key, 1<<30)
	require.NoError(t, err)
	assert.Equal(t, gz.Bytes(), body, "the gzip bytes as stored, not decompressed")
	assert.Equal(t, key, info.Key)
	assert.EqualValues(t, gz.Len(), info.Size)
	assert.False(t, info.LastModified.IsZero())
	assert.Equal(t, map[string]string{"signature": "abc123", "signature-algorithm": "SHA256withRSA"}, info.Metadata)
	assert.Equal(t, "application/json", info.ContentType)
	assert.Equal(t, "gzip", info.ContentEncoding)
	assert.Equal(t, []string{key}, listKeys(t, s, "AWSLogs/", ""))
	stat, err := s.Stat(ctx, key)
	require.NoError(t, err)
	assert.Equal(t, info, stat, "Stat says what Get says, without the body")

	require.NoError(t, s.Put(ctx, sink.Object{Key: "empty"}))
	body, info, err = sink.ReadAll(ctx, s, "empty", 1<<30)
	require.NoError(t, err)
	assert.Empty(t, body)
	assert.Nil(t, info.Metadata)
}

func TestS3Encryption(t *testing.T) {
	ctx := context.Background()
	srv := miniotest.Start(t)
	client := srv.Client(t)
	newBucket := func(t *testing.T, opts s3sink.Options) *s3sink.Sink {
		name := strings.ToLower(strings.NewReplacer("/", "-", " ", "-", "_", "-").Replace(t.Name()))
		srv.CreateBucket(t, name)
		return s3sink.New(client, name, opts)
	}
	head := func(t *testing.T, s *s3sink.Sink, key string) *s3.HeadObjectOutput {
		out, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(s.Bucket()), Key: aws.String(key)})
		require.NoError(t, err)
		return out
	}
	cases := []struct {
		name string
		opts s3sink.Options
		want types.ServerSideEncryption
	}{
		{"SSE-S3", s3sink.Options{ServerSideEncryption: "AES256"}, types.ServerSideEncryptionAes256},
		{"SSE-KMS", s3sink.Options{ServerSideEncryption: "aws:kms", KMSKeyID: srv.KMSKeyID}, types.ServerSideEncryptionAwsKms},
		{"none", s3sink.Options{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newBucket(t, c.opts)
			require.NoError(t, s.Put(ctx, sink.Object{Key: "k.json.gz", Body: []byte("secret"), Metadata: map[string]string{"m": "v"}}))
			h := head(t, s, "k.json.gz")
			assert.Equal(t, c.want, h.ServerSideEncryption)
			if c.opts.KMSKeyID != "" {
				assert.Contains(t, aws.ToString(h.SSEKMSKeyId), c.opts.KMSKeyID)
			}
			body, info, err := sink.ReadAll(ctx, s, "k.json.gz", 1<<30)
			require.NoError(t, err)
			assert.Equal(t, "secret", string(body))
			assert.Equal(t, "v", info.Metadata["m"])
		})
	}
	t.Run("bad options", func(t *testing.T) {
		for _, opts := range []s3sink.Options{
			{ServerSideEncryption: "aes256"},
			{KMSKeyID: "key"},
			{ServerSideEncryption: "AES256", KMSKeyID: "key"},
		} {
			s := s3sink.New(client, "any-bucket", opts)
			err := s.Put(ctx, sink.Object{Key: "k", Body: []byte("x")})
			require.Error(t, err, "%+v", opts)
			assert.Contains(t, err.Error(), "put s3://any-bucket/k")
		}
	})
	t.Run("unknown KMS key", func(t *testing.T) {
		s := newBucket(t, s3sink.Options{ServerSideEncryption: "aws:kms", KMSKeyID: "no-such-key"})
		err := s.Put(ctx, sink.Object{Key: "k", Body: []byte("x")})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "put s3://"+s.Bucket()+"/k")
		_, _, err = sink.ReadAll(ctx, s, "k", 1<<30)
		require.ErrorIs(t, err, sink.ErrNotFound, "nothing stored")
	})
}

func TestS3ListPagination(t *testing.T) {
	ctx := context.Background()
	s, client, _ := newS3(t, s3sink.Options{})
	// 1,050 keys: more than a default page (1,000), in two directories
	// whose names order differently as paths and as strings.
	var keys []string
	for i := range 1050 {
		dir := "AWSLogs/a"
		if i%3 == 0 {
			dir = "AWSLogs/a-b"
		}
		keys = append(keys, fmt.Sprintf("%s/%04d.json.gz", dir, i))
	}
	keys = append(keys, "other/x.json")
	putAll(t, s, keys)
	sort.Strings(keys)
	logs := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return !strings.HasPrefix(k, "AWSLogs/") })

	assert.Equal(t, logs, listKeys(t, s, "AWSLogs/", ""), "default page size")
	assert.Equal(t, keys, listKeys(t, s, "", ""))
	small := s3sink.New(client, s.Bucket(), s3sink.Options{ListPageSize: 7})
	assert.Equal(t, logs, listKeys(t, small, "AWSLogs/", ""), "7 keys a page")
	assert.Equal(t, keys, listKeys(t, small, "", ""), "7 keys a page")

	// Start after a key. (Not after a key in "AWSLogs/a/" while listing
	// "AWSLogs/": the MinIO under test loses keys for a StartAfter inside a
	// directory that a sibling such as "a-b/" precedes; see S3.List.)
	inA := slices.DeleteFunc(slices.Clone(logs), func(k string) bool { return !strings.HasPrefix(k, "AWSLogs/a/") })
	for _, c := range []struct {
		s      *s3sink.Sink
		prefix string
		after  string
		want   []string
	}{
		{s, "AWSLogs/", logs[99], logs[100:]},
		{small, "AWSLogs/", logs[99], logs[100:]},
		{small, "AWSLogs/", "AWSLogs/a-b/0499", logs[167:]},
		{small, "AWSLogs/a/", inA[499], inA[500:]},
		{s, "AWSLogs/a/", inA[499], inA[500:]},
		{small, "AWSLogs/a/", "AWSLogs/a/0500", inA[333:]},
		{small, "", "AWSLogs/b", []string{"other/x.json"}},
		{small, "AWSLogs/", "AWSLogs/b", []string{}},
		{small, "missing/", "", []string{}},
	} {
		assert.Equal(t, c.want, listKeys(t, c.s, c.prefix, c.after), "prefix %q after %q", c.prefix, c.after)
	}

	for info, err := range small.List(ctx, "AWSLogs/a/", "") {
		require.NoError(t, err)
		assert.EqualValues(t, len(info.Key), info.Size)
		assert.False(t, info.LastModified.IsZero())
		break
	}
}

func putAll(t *testing.T, s sink.Sink, keys []string) {
	t.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Go(func() {
			for k := range work {
				assert.NoError(t, s.Put(ctx, sink.Object{Key: k, Body: []byte(k)}))
			}
		})
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
}

func TestS3NotFound(t *testing.T) {
	s, _, _ := newS3(t, s3sink.Options{})
	_, _, err := s.Get(context.Background(), "AWSLogs/missing.json.gz")
	require.ErrorIs(t, err, sink.ErrNotFound)
	var nsk *types.NoSuchKey
	require.ErrorAs(t, err, &nsk, "the SDK's error stays reachable")
	assert.Contains(t, err.Error(), "get s3://"+s.Bucket()+"/AWSLogs/missing.json.gz")
	assert.NotErrorIs(t, err, s3sink.ErrBucketNotFound)
	_, err = s.Stat(context.Background(), "AWSLogs/missing.json.gz")
	require.ErrorIs(t, err, sink.ErrNotFound)
	assert.Contains(t, err.Error(), "head s3://"+s.Bucket()+"/AWSLogs/missing.json.gz")
}

func TestS3MissingBucket(t *testing.T) {
	ctx := context.Background()
	s := s3sink.New(miniotest.Start(t).Client(t), "no-such-bucket", s3sink.Options{})
	check := func(err error, where string) {
		t.Helper()
		require.ErrorIs(t, err, s3sink.ErrBucketNotFound)
		assert.NotErrorIs(t, err, sink.ErrNotFound, "a missing bucket is not a missing object")
		assert.Contains(t, err.Error(), where)
	}
	check(s.Put(ctx, sink.Object{Key: "k", Body: []byte("x")}), "put s3://no-such-bucket/k")
	_, _, err := sink.ReadAll(ctx, s, "k", 1<<30)
	check(err, "get s3://no-such-bucket/k")
	var errs []error
	for _, err := range s.List(ctx, "AWSLogs/", "") {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	check(errs[0], "list s3://no-such-bucket/AWSLogs/")
}

// An unreachable server is an error naming the place, after the SDK's
// retries, not a hang.
func TestS3Unreachable(t *testing.T) {
	client := s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://127.0.0.1:1"),
		UsePathStyle: true,
		Credentials:  aws.AnonymousCredentials{},
	})
	s := s3sink.New(client, "b-1", s3sink.Options{})
	err := s.Put(context.Background(), sink.Object{Key: "k", Body: []byte("x")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "put s3://b-1/k")
	assert.True(t, strings.Contains(err.Error(), "connection refused"), err.Error())
}

func TestParseS3URL(t *testing.T) {
	cases := []struct {
		url, bucket, prefix string
		err                 string
	}{
		{"s3://bucket", "bucket", "", ""},
		{"s3://bucket/", "bucket", "", ""},
		{"s3://bucket/AWSLogs/", "bucket", "AWSLogs/", ""},
		{"s3://my.bucket-1/a/b", "my.bucket-1", "a/b", ""},
		{"s3://Legacy_Bucket/x", "Legacy_Bucket", "x", ""},
		{"s3://", "", "", "no bucket"},
		{"s3:///prefix", "", "", "no bucket"},
		{"s3:/bucket", "", "", "s3://"},
		{"bucket/prefix", "", "", "s3://"},
		{"S3://bucket", "", "", "s3://"},
		{"s3://ab", "", "", "3 to 255"},
		{"s3://bu cket/x", "", "", `' '`},
		{"s3://bucket?x=1", "", "", `'?'`},
		{"s3://user@bucket", "", "", `'@'`},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			bucket, prefix, err := s3sink.ParseURL(c.url)
			if c.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.err)
				assert.Contains(t, err.Error(), fmt.Sprintf("%q", c.url))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.bucket, bucket)
			assert.Equal(t, c.prefix, prefix)
		})
	}
}

// listKeys collects List's keys, failing on an error.
func listKeys(t *testing.T, s sink.Store, prefix, startAfter string) []string {
	t.Helper()
	keys := []string{}
	for info, err := range s.List(context.Background(), prefix, startAfter) {
		require.NoError(t, err)
		keys = append(keys, info.Key)
	}
	return keys
}
