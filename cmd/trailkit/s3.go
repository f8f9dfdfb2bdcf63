package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// S3 access for the commands that take s3://bucket[/prefix]. Credentials and
// region come from the usual AWS places (environment, shared config and
// credentials files, profiles, instance roles); without a region the
// client uses us-east-1. An endpoint URL, from --endpoint-url or
// AWS_ENDPOINT_URL_S3, points it at an S3-compatible server such as MinIO,
// addressed path-style.

// newS3Client returns an S3 client configured as above.
func newS3Client(ctx context.Context, e *env, endpoint string) (*s3.Client, error) {
	if endpoint == "" {
		endpoint = e.getenv("AWS_ENDPOINT_URL_S3")
	}
	// Every network wait has a deadline: connecting, the TLS handshake
	// and the wait for a response's headers here; a body that stalls
	// after its headers, in s3sink.Sink.Get (Options.ReadIdleTimeout); an
	// upload S3 stops taking, in Put (Options.WriteIdleTimeout).
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = 10 * time.Second }).
		WithTransportOptions(func(t *http.Transport) {
			t.TLSHandshakeTimeout = 10 * time.Second
			t.ResponseHeaderTimeout = 60 * time.Second
		})
	cfg, err := config.LoadDefaultConfig(ctx, config.WithHTTPClient(httpClient))
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		if o.Region == "" {
			o.Region = "us-east-1"
		}
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			o.UsePathStyle = true
		}
		// Objects stored without a checksum are normal (older uploads,
		// S3-compatible servers); the SDK would log a line for each.
		o.DisableLogOutputChecksumValidationSkipped = true
	}), nil
}

// openS3 parses an s3:// URL (a malformed one is a usage error) and returns
// a store on its bucket and the URL's key prefix.
func openS3(ctx context.Context, e *env, url, endpoint string, opts s3sink.Options) (*s3sink.Sink, string, error) {
	bucket, prefix, err := s3sink.ParseURL(url)
	if err != nil {
		return nil, "", usagef("%v", err)
	}
	client, err := newS3Client(ctx, e, endpoint)
	if err != nil {
		return nil, "", err
	}
	return s3sink.New(client, bucket, opts), prefix, nil
}

// openStore opens the stored trail that --dir or --s3 names, for reading,
// and returns the key prefix an s3:// URL carries. A directory must exist
// (sink.NewDir would create it); bucket names it as digests record it.
func openStore(ctx context.Context, e *env, dir, s3url, endpoint, bucket string) (sink.Store, string, error) {
	if dir == "" {
		return openS3(ctx, e, s3url, endpoint, s3sink.Options{})
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, "", err
	}
	if !fi.IsDir() {
		return nil, "", fmt.Errorf("%s: not a directory", dir)
	}
	d, err := sink.NewDir(dir, sink.DirOptions{Bucket: bucket})
	if err != nil {
		return nil, "", err
	}
	return d, "", nil
}

// eachS3Object calls fn for each log object under the URL's prefix, in key
// order, streaming its body. Like a directory walk, it skips digests,
// objects whose names are not log file names (isLogName) and keys with a
// hidden segment, such as a directory sink's .metadata tree copied to S3.
func eachS3Object(ctx context.Context, e *env, url, endpoint string, keep func(name string) bool, fn func(name string, r io.Reader) error) error {
	bucket, prefix, err := s3sink.ParseURL(url)
	if err != nil {
		return usagef("%v", err)
	}
	client, err := newS3Client(ctx, e, endpoint)
	if err != nil {
		return err
	}
	store := s3sink.New(client, bucket, s3sink.Options{})
	for info, err := range store.List(ctx, prefix, "") {
		if err != nil {
			return s3Failure(url, err)
		}
		if !isLogName(path.Base(info.Key)) || hasHiddenSegment(info.Key) {
			continue
		}
		name := "s3://" + bucket + "/" + info.Key
		if keep != nil && !keep(name) {
			continue
		}
		// Through the sink's Get: a body that stalls fails after
		// s3sink.DefaultReadIdleTimeout instead of hanging.
		body, _, err := store.Get(ctx, info.Key)
		if err != nil {
			return s3Failure(name, err)
		}
		err = fn(name, body)
		body.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func hasHiddenSegment(key string) bool {
	return strings.HasPrefix(key, ".") || strings.Contains(key, "/.")
}

// s3Error is an S3 failure told in one short line: where, and what the
// server said, without the SDK's request ids.
type s3Error struct {
	where string
	msg   string
	err   error
}

func (e *s3Error) Error() string { return e.where + ": " + e.msg }
func (e *s3Error) Unwrap() error { return e.err }

// s3Failure shortens errors the server answered (no such bucket, access
// denied, bad credentials) to their code and message, an unreachable
// endpoint to the network error, and other failures of an S3 operation
// (missing credentials) to their cause.
func s3Failure(where string, err error) error {
	var api smithy.APIError
	if !errors.As(err, &api) {
		var ue *neturl.Error
		if errors.As(err, &ue) {
			// The endpoint could not be reached (after the SDK's retries).
			endpoint := ue.URL
			if u, perr := neturl.Parse(ue.URL); perr == nil {
				endpoint = u.Scheme + "://" + u.Host
			}
			return &s3Error{where: where, msg: fmt.Sprintf("cannot reach %s: %v", endpoint, ue.Err), err: err}
		}
		var oe *smithy.OperationError
		if errors.As(err, &oe) {
			// Such as missing credentials: the cause without the SDK's
			// "operation error S3: ListObjectsV2" frame.
			return &s3Error{where: where, msg: oe.Err.Error(), err: err}
		}
		return fmt.Errorf("%s: %w", where, err)
	}
	msg := api.ErrorCode()
	if m := api.ErrorMessage(); m != "" {
		msg += ": " + m
	}
	if errors.Is(err, s3sink.ErrBucketNotFound) {
		msg = "bucket not found (" + msg + ")"
	}
	return &s3Error{where: where, msg: msg, err: err}
}

// checkBucketName applies S3's rules for bucket names (with the legacy
// names of old buckets) to a --bucket name digests record.
func checkBucketName(name string) error {
	_, _, err := s3sink.ParseURL("s3://" + name)
	return err
}
