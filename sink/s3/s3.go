// Package s3 is a [sink.Sink] and [sink.Store] on an S3 bucket, or on an
// S3-compatible server such as MinIO.
//
// [Sink.Put] puts each object with one PutObject request carrying its
// content type, content encoding, user metadata (x-amz-meta-*) and, as
// configured, SSE-S3 ("AES256") or SSE-KMS ("aws:kms" with a key id). [New]
// takes any [API], which the SDK's *s3.Client satisfies, so credentials,
// region, retries and the endpoint of an S3-compatible server (with
// UsePathStyle) are the caller's client configuration. Errors name the
// operation and the s3://bucket/key and wrap the SDK's error (errors.As
// reaches *types.NoSuchKey or smithy.APIError); a missing key also wraps
// [sink.ErrNotFound], a missing bucket [ErrBucketNotFound]. A download
// that stalls (no headers, or a body that stops) fails after
// [Options.ReadIdleTimeout] with [ErrIdleTimeout], whatever the caller's
// context allows; an upload that stalls, after
// [Options.WriteIdleTimeout].
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/trailkit/trailkit/internal/iox"
	"github.com/trailkit/trailkit/sink"
)

// API is the part of the S3 API that a Sink calls; the SDK's *s3.Client
// satisfies it.
type API interface {
	PutObject(ctx context.Context, in *awss3.PutObjectInput, optFns ...func(*awss3.Options)) (*awss3.PutObjectOutput, error)
	GetObject(ctx context.Context, in *awss3.GetObjectInput, optFns ...func(*awss3.Options)) (*awss3.GetObjectOutput, error)
	HeadObject(ctx context.Context, in *awss3.HeadObjectInput, optFns ...func(*awss3.Options)) (*awss3.HeadObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *awss3.ListObjectsV2Input, optFns ...func(*awss3.Options)) (*awss3.ListObjectsV2Output, error)
}

var _ API = (*awss3.Client)(nil)

// ErrBucketNotFound is wrapped by the errors of an S3 sink whose bucket does
// not exist.
var ErrBucketNotFound = errors.New("bucket not found")

// Options configures an S3 sink.
type Options struct {
	// ServerSideEncryption is how S3 encrypts stored objects: "" (the
	// bucket's default), "AES256" (SSE-S3) or "aws:kms" (SSE-KMS).
	ServerSideEncryption string
	// KMSKeyID is the KMS key for "aws:kms" (a key id, ARN or alias); empty
	// means the account's AWS managed key for S3.
	KMSKeyID string
	// ListPageSize is the number of keys List asks for per request; 0 means
	// the server's default (1000 on S3).
	ListPageSize int32
	// ExpectedBucketOwner is the 12-digit account that must own the bucket;
	// every request says so (x-amz-expected-bucket-owner), and S3 refuses it
	// with 403 Access Denied when another account owns the bucket, so a
	// trail never writes to a bucket someone else created under the
	// expected name.
	ExpectedBucketOwner string
	// ACL is the canned ACL each object is put with: "" (none) or
	// "bucket-owner-full-control", which gives the owner of a bucket in
	// another account full control of the log files written into it (for
	// buckets whose object ownership is not "bucket owner enforced").
	ACL string
	// ReadIdleTimeout bounds how long Get waits for an answer, and a read
	// of the body it returns for the next bytes, when S3 sends nothing: a
	// body that stalls after its headers fails with an error wrapping
	// ErrIdleTimeout instead of hanging as long as the caller's context
	// lets it. The time the caller spends between reads does not count.
	// 0 (or less) means DefaultReadIdleTimeout.
	ReadIdleTimeout time.Duration
	// WriteIdleTimeout bounds how long Put and PutIfAbsent wait, when S3
	// neither takes more of the object nor answers: an upload that
	// stalls fails with an error wrapping ErrIdleTimeout instead of
	// hanging as long as the caller's context lets it (a trail bounds each
	// delivery, a caller outside one may not). An upload that keeps
	// moving is not cut, however long it takes in all. 0 (or less) means
	// DefaultWriteIdleTimeout.
	WriteIdleTimeout time.Duration
}

// DefaultWriteIdleTimeout is the WriteIdleTimeout of an Options that sets
// none.
const DefaultWriteIdleTimeout = iox.DefaultIdleTimeout

// DefaultReadIdleTimeout is the ReadIdleTimeout of an Options that sets
// none: far longer than S3 pauses between the bytes of a body, short
// enough that a dead connection is noticed.
const DefaultReadIdleTimeout = iox.DefaultIdleTimeout

// ErrIdleTimeout is wrapped by the errors of Get and of reads of its body
// when S3 sent nothing for Options.ReadIdleTimeout, and by those of Put
// and PutIfAbsent when S3 took and sent nothing for
// Options.WriteIdleTimeout.
var ErrIdleTimeout = iox.ErrIdleTimeout

// ErrInsufficientBucketPolicy is wrapped by the error of CheckWrite when the
// bucket refuses the write: CloudTrail's InsufficientS3BucketPolicyException.
var ErrInsufficientBucketPolicy = errors.New("InsufficientS3BucketPolicyException")

// Sink is a sink.Sink and sink.Store on an S3 bucket, or on an S3-compatible server
// when the client is configured with its endpoint (and path-style
// addressing, as most such servers need).
type Sink struct {
	client API
	bucket string
	opts   Options
}

var (
	_ sink.ExclusiveSink = (*Sink)(nil)
	_ sink.Stater        = (*Sink)(nil)
	_ sink.WriteChecker  = (*Sink)(nil)
)

// New returns an S3 sink writing to bucket through client.
func New(client API, bucket string, opts Options) *Sink {
	return &Sink{client: client, bucket: bucket, opts: opts}
}

// Bucket returns the bucket name.
func (s *Sink) Bucket() string { return s.bucket }

// Put uploads the object in one PutObject request with its content type,
// content encoding, user metadata and the configured server-side
// encryption. S3 stores an object whole or not at all.
func (s *Sink) Put(ctx context.Context, obj sink.Object) error {
	return s.put(ctx, obj, false)
}

// PutIfAbsent uploads the object as Put does, as a conditional write
// (If-None-Match: *), which S3 and MinIO refuse with 412 Precondition
// Failed when the key holds an object: that is an error wrapping
// sink.ErrExists. Of concurrent conditional writes of one key exactly one
// succeeds; S3 may answer the others 409 ConditionalRequestConflict, an
// error to retry (the retry then sees the object and fails with
// sink.ErrExists). A retry of a write whose answer was lost also reports
// sink.ErrExists, although the object is the caller's own.
func (s *Sink) PutIfAbsent(ctx context.Context, obj sink.Object) error {
	return s.put(ctx, obj, true)
}

// CheckWrite puts a small object, prefix + "/TrailWritabilityCheckFile",
// with the options log files are put with (encryption, ACL, expected
// owner), to learn before the first delivery whether the trail can write
// where it will write. A bucket that refuses is an error wrapping
// ErrInsufficientBucketPolicy, with CloudTrail's message ("Incorrect S3
// bucket policy is detected for bucket: …") and the S3 error code; a
// missing bucket wraps ErrBucketNotFound. Call it with a deadline: it is
// one request. The object is left in place (CloudTrail's bucket policy
// lets it put objects, not delete them); it is not a log file, so readers
// of the trail skip it.
func (s *Sink) CheckWrite(ctx context.Context, prefix string) error {
	key := strings.Trim(prefix, "/")
	if key != "" {
		key += "/"
	}
	key += "TrailWritabilityCheckFile"
	err := s.Put(ctx, sink.Object{Key: key, ContentType: "text/plain"})
	var api smithy.APIError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrBucketNotFound):
		return fmt.Errorf("check write to s3://%s/%s: S3BucketDoesNotExistException: S3 bucket %s does not exist: %w", s.bucket, key, s.bucket, err)
	case errors.As(err, &api) && (api.ErrorCode() == "AccessDenied" || api.ErrorCode() == "AllAccessDisabled" || strings.HasPrefix(api.ErrorCode(), "KMS")):
		return fmt.Errorf("check write to s3://%s/%s: %w: Incorrect S3 bucket policy is detected for bucket: %s (%s)", s.bucket, key, ErrInsufficientBucketPolicy, s.bucket, err)
	}
	return fmt.Errorf("check write to s3://%s/%s: %w", s.bucket, key, err)
}

func (s *Sink) put(ctx context.Context, obj sink.Object, exclusive bool) error {
	in := &awss3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(obj.Key),
		ContentLength: aws.Int64(int64(len(obj.Body))),
		Metadata:      obj.Metadata,
	}
	if obj.ContentType != "" {
		in.ContentType = aws.String(obj.ContentType)
	}
	if obj.ContentEncoding != "" {
		in.ContentEncoding = aws.String(obj.ContentEncoding)
	}
	switch sse := types.ServerSideEncryption(s.opts.ServerSideEncryption); sse {
	case "":
	case types.ServerSideEncryptionAes256:
		in.ServerSideEncryption = sse
	case types.ServerSideEncryptionAwsKms:
		in.ServerSideEncryption = sse
		if s.opts.KMSKeyID != "" {
			in.SSEKMSKeyId = aws.String(s.opts.KMSKeyID)
		}
	default:
		return s.fail("put", obj.Key, fmt.Errorf("server-side encryption %q is not one of AES256 and aws:kms", sse))
	}
	if s.opts.KMSKeyID != "" && in.ServerSideEncryption != types.ServerSideEncryptionAwsKms {
		return s.fail("put", obj.Key, errors.New("a KMS key id needs server-side encryption aws:kms"))
	}
	if s.opts.ExpectedBucketOwner != "" {
		in.ExpectedBucketOwner = aws.String(s.opts.ExpectedBucketOwner)
	}
	switch acl := types.ObjectCannedACL(s.opts.ACL); acl {
	case "":
	case types.ObjectCannedACLBucketOwnerFullControl:
		in.ACL = acl
	default:
		return s.fail("put", obj.Key, fmt.Errorf("ACL %q is not bucket-owner-full-control", acl))
	}
	op := "put"
	if exclusive {
		in.IfNoneMatch = aws.String("*")
		op = "put if absent"
	}
	if err := s.putWatched(ctx, in, obj.Body); err != nil {
		return s.fail(op, obj.Key, err)
	}
	return nil
}

// putWatched makes the PutObject request in with body, failing it with an
// error wrapping ErrIdleTimeout when S3 neither takes more of the body
// nor answers for Options.WriteIdleTimeout: each read of the body (to
// sign, checksum or send it) starts the wait again.
func (s *Sink) putWatched(ctx context.Context, in *awss3.PutObjectInput, body []byte) error {
	w := iox.NewIdleWatch(ctx, s.opts.WriteIdleTimeout, "S3")
	defer w.Close()
	in.Body = &watchedBody{r: bytes.NewReader(body), w: w}
	w.Start()
	_, err := s.client.PutObject(w.Context(), in)
	w.Stop()
	if err != nil {
		return w.Explain(err)
	}
	return nil
}

// watchedBody is an object's body as the SDK reads it to upload it: each
// read restarts the idle watch. It is seekable, so that the SDK can sign,
// checksum and retry it, and has no WriteTo, so that every byte sent is
// read through Read.
type watchedBody struct {
	r *bytes.Reader
	w *iox.IdleWatch
}

func (b *watchedBody) Read(p []byte) (int, error) {
	b.w.Start()
	return b.r.Read(p)
}

func (b *watchedBody) Seek(offset int64, whence int) (int64, error) {
	return b.r.Seek(offset, whence)
}

// Get starts downloading an object and returns its body, which streams
// from S3 as the caller reads it, with its metadata. A missing key is an
// error wrapping both sink.ErrNotFound and the SDK's *types.NoSuchKey.
// Errors while reading the body name the object. Waiting for the answer,
// and each read of the body, fails with an error wrapping ErrIdleTimeout
// when S3 sends nothing for Options.ReadIdleTimeout. Close the body to
// release its request.
func (s *Sink) Get(ctx context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	in := &awss3.GetObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if s.opts.ExpectedBucketOwner != "" {
		in.ExpectedBucketOwner = aws.String(s.opts.ExpectedBucketOwner)
	}
	w := iox.NewIdleWatch(ctx, s.opts.ReadIdleTimeout, "S3")
	w.Start()
	out, err := s.client.GetObject(w.Context(), in, quietChecksums)
	w.Stop()
	if err != nil {
		w.Close()
		return nil, sink.ObjectInfo{}, s.fail("get", key, w.Explain(err))
	}
	info := objectInfo(key, out.ContentLength, out.LastModified, out.ContentType, out.ContentEncoding, out.Metadata)
	return &body{r: w.Reader(out.Body), c: out.Body, s: s, key: key, w: w}, info, nil
}

// Stat returns an object's info and metadata with one HeadObject request,
// without its body. A missing key is an error wrapping sink.ErrNotFound.
func (s *Sink) Stat(ctx context.Context, key string) (sink.ObjectInfo, error) {
	in := &awss3.HeadObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key)}
	if s.opts.ExpectedBucketOwner != "" {
		in.ExpectedBucketOwner = aws.String(s.opts.ExpectedBucketOwner)
	}
	out, err := s.client.HeadObject(ctx, in)
	if err != nil {
		return sink.ObjectInfo{}, s.fail("head", key, err)
	}
	return objectInfo(key, out.ContentLength, out.LastModified, out.ContentType, out.ContentEncoding, out.Metadata), nil
}

func objectInfo(key string, size *int64, modified *time.Time, typ, enc *string, meta map[string]string) sink.ObjectInfo {
	info := sink.ObjectInfo{
		Key:             key,
		Size:            aws.ToInt64(size),
		LastModified:    aws.ToTime(modified),
		ContentType:     aws.ToString(typ),
		ContentEncoding: aws.ToString(enc),
	}
	if len(meta) > 0 {
		info.Metadata = make(map[string]string, len(meta))
		for k, v := range meta {
			info.Metadata[strings.ToLower(k)] = v
		}
	}
	return info
}

// body is an object's body as it downloads; its reads are watched for
// idleness and their errors name the object.
type body struct {
	r   io.Reader
	c   io.Closer
	s   *Sink
	key string
	w   *iox.IdleWatch
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = b.s.fail("read", b.key, err)
	}
	return n, err
}

func (b *body) Close() error {
	err := b.c.Close()
	b.w.Close()
	return err
}

// List yields the objects under prefix in key order, one ListObjectsV2
// page at a time. startAfter is sent as StartAfter on the first request;
// later pages follow by continuation token, as the AWS CLI pages (a server
// that returns no token is asked for the keys after the last one).
//
// A server quirk to know: the MinIO release the tests run drops keys when
// StartAfter falls inside a "directory" X/ that a sibling X-… precedes
// (CloudTrail/ beside CloudTrail-Digest/) and more keys follow than one
// page holds. Listing under the narrower prefix, such as
// AWSLogs/ACCOUNT/CloudTrail-Digest/REGION/, avoids it; S3 itself is not
// affected.
func (s *Sink) List(ctx context.Context, prefix, startAfter string) iter.Seq2[sink.ObjectInfo, error] {
	return func(yield func(sink.ObjectInfo, error) bool) {
		in := &awss3.ListObjectsV2Input{Bucket: aws.String(s.bucket)}
		if s.opts.ExpectedBucketOwner != "" {
			in.ExpectedBucketOwner = aws.String(s.opts.ExpectedBucketOwner)
		}
		if prefix != "" {
			in.Prefix = aws.String(prefix)
		}
		if startAfter != "" {
			in.StartAfter = aws.String(startAfter)
		}
		if s.opts.ListPageSize > 0 {
			in.MaxKeys = aws.Int32(s.opts.ListPageSize)
		}
		last := startAfter
		for {
			out, err := s.client.ListObjectsV2(ctx, in)
			if err != nil {
				yield(sink.ObjectInfo{}, s.failList(prefix, last, err))
				return
			}
			for _, o := range out.Contents {
				info := sink.ObjectInfo{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), LastModified: aws.ToTime(o.LastModified)}
				if info.Key <= last || !strings.HasPrefix(info.Key, prefix) {
					// Out of order or out of place: following such a
					// server could loop forever or yield wrong objects.
					yield(sink.ObjectInfo{}, s.failList(prefix, last, fmt.Errorf("server returned key %q out of order", info.Key)))
					return
				}
				last = info.Key
				if !yield(info, nil) {
					return
				}
			}
			if !aws.ToBool(out.IsTruncated) {
				return
			}
			switch {
			case aws.ToString(out.NextContinuationToken) != "":
				in.ContinuationToken = out.NextContinuationToken
			case len(out.Contents) > 0:
				in.ContinuationToken = nil
				in.StartAfter = aws.String(last)
			default:
				yield(sink.ObjectInfo{}, s.failList(prefix, last, errors.New("server returned an empty page marked truncated, without a continuation token")))
				return
			}
		}
	}
}

// fail wraps err with the operation and the object's s3:// URL, adding
// sink.ErrNotFound or ErrBucketNotFound where the SDK error says so.
func (s *Sink) fail(op, key string, err error) error {
	return fmt.Errorf("%s s3://%s/%s: %w", op, s.bucket, key, classify(err))
}

func (s *Sink) failList(prefix, after string, err error) error {
	where := fmt.Sprintf("s3://%s/%s", s.bucket, prefix)
	if after != "" {
		where += fmt.Sprintf(" after %q", after)
	}
	return fmt.Errorf("list %s: %w", where, classify(err))
}

func classify(err error) error {
	var nsk *types.NoSuchKey
	var nf *types.NotFound // HeadObject's answer, which has no body to say more
	var nsb *types.NoSuchBucket
	var api smithy.APIError
	switch {
	case errors.As(err, &nsk), errors.As(err, &nf):
		return fmt.Errorf("%w: %w", sink.ErrNotFound, err)
	case errors.As(err, &nsb), errors.As(err, &api) && api.ErrorCode() == "NoSuchBucket":
		return fmt.Errorf("%w: %w", ErrBucketNotFound, err)
	case errors.As(err, &api) && api.ErrorCode() == "PreconditionFailed":
		return fmt.Errorf("%w: %w", sink.ErrExists, err)
	}
	return err
}

// quietChecksums keeps the SDK from logging, for each object stored
// without a checksum (older uploads, some S3-compatible servers), that it
// could not validate one. The body is still validated when it has one.
func quietChecksums(o *awss3.Options) { o.DisableLogOutputChecksumValidationSkipped = true }

// ParseURL splits s3://bucket[/prefix] into the bucket and the prefix
// (kept as written, so "s3://b/logs/" lists keys under "logs/"). The bucket
// must be 3 to 255 letters, digits, '.', '-' or '_' (S3's rules, with the
// legacy names of old buckets).
func ParseURL(url string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(url, "s3://")
	if !ok {
		return "", "", fmt.Errorf("S3 URL %q: does not start with s3://", url)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("S3 URL %q: no bucket", url)
	}
	if len(bucket) < 3 || len(bucket) > 255 {
		return "", "", fmt.Errorf("S3 URL %q: bucket name %q is not 3 to 255 characters", url, bucket)
	}
	for _, c := range []byte(bucket) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_') {
			return "", "", fmt.Errorf("S3 URL %q: bucket name %q contains %q", url, bucket, c)
		}
	}
	return bucket, prefix, nil
}
