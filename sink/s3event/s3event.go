// Package s3event reads the CloudTrail log files an S3 event notification
// announces, for AWS Lambda functions that process a trail's logs as they
// are delivered:
//
//	func handle(ctx context.Context, ev events.S3Event) error {
//		for rec, err := range s3event.Records(ctx, client, ev, s3event.Options{}) {
//			if err != nil { ... }
//			...
//		}
//	}
//
// The notification's keys are URL-encoded ("my+logs/AWSLogs/..." for
// "my logs/AWSLogs/..."); Records decodes them. Only ObjectCreated events
// for log files are read: CloudTrail and CloudTrail-Insight files, not
// digests, unless Options.Filter says otherwise. Each object is streamed
// from S3 and decompressed as it is read, one record at a time, so a large
// log file costs constant memory.
//
// # Queues and envelopes
//
// Most deployments put a queue between the bucket and the reader. Whatever
// envelope a message comes in (an S3 event notification straight to SQS or
// through SNS, CloudTrail's own SNS notification, an EventBridge "Object
// Created" event), [MessageObjects] finds the objects it announces. For a
// Lambda function triggered by SQS, [HandleSQS] reads them and returns the
// messages that failed as batch item failures, so that one bad message does
// not send the whole batch back. Outside Lambda, a [Consumer] polls the
// queue, reads each announced file, and deletes a message only after all
// of its files were handled; it reads a file announced again (a
// redelivery) only once.
package s3event

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/iox"
)

// GetObjectAPI is the part of the S3 client Records uses; *s3.Client
// satisfies it.
type GetObjectAPI interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Options configure Records.
type Options struct {
	// Filter chooses the objects to read, by bucket and decoded key;
	// default LogFile.
	Filter func(bucket, key string) bool
	// MaxRecordBytes bounds one record (event.Scanner's limit); zero for
	// the Scanner's default.
	MaxRecordBytes int
	// ReadIdleTimeout bounds how long reading an object waits for S3 to
	// answer, and for the next bytes of its body: an object that stalls
	// fails with an ObjectError wrapping ErrIdleTimeout instead of hanging
	// as long as the context lets it. Time spent handling records does not
	// count. 0 (or less) means 30 seconds, as for sink/s3.
	ReadIdleTimeout time.Duration
}

// ErrIdleTimeout is wrapped by the error of an object S3 sent nothing of
// for Options.ReadIdleTimeout (the same error as sink/s3's).
var ErrIdleTimeout = iox.ErrIdleTimeout

// Object is one object a notification announces.
type Object struct {
	Bucket    string
	Key       string // decoded
	VersionID string // empty for an unversioned bucket
}

// ObjectError reports an object that could not be read whole.
type ObjectError struct {
	Bucket, Key string
	Err         error
}

func (e *ObjectError) Error() string {
	return fmt.Sprintf("s3://%s/%s: %v", e.Bucket, e.Key, e.Err)
}

func (e *ObjectError) Unwrap() error { return e.Err }

// LogFile reports whether key names a CloudTrail log file or Insights file:
// a .json.gz object under a CloudTrail or CloudTrail-Insight directory of
// CloudTrail's layout. Digest files (CloudTrail-Digest) are not log files.
func LogFile(bucket, key string) bool {
	if !strings.HasSuffix(key, ".json.gz") {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == "CloudTrail" || seg == "CloudTrail-Insight" {
			return true
		}
	}
	return false
}

// Objects returns the objects of ev that Records reads: created objects
// that opts.Filter accepts, with their keys decoded. A key that cannot be
// decoded is an error naming it; the others are returned all the same.
func Objects(ev events.S3Event, opts Options) ([]Object, error) {
	filter := opts.Filter
	if filter == nil {
		filter = LogFile
	}
	var objs []Object
	var errs []error
	for _, r := range ev.Records {
		if !strings.HasPrefix(r.EventName, "ObjectCreated:") {
			continue
		}
		bucket := r.S3.Bucket.Name
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			errs = append(errs, &ObjectError{Bucket: bucket, Key: r.S3.Object.Key, Err: fmt.Errorf("decode key: %w", err)})
			continue
		}
		if filter(bucket, key) {
			objs = append(objs, Object{Bucket: bucket, Key: key, VersionID: r.S3.Object.VersionID})
		}
	}
	return objs, errors.Join(errs...)
}

// Records yields the records of the log files ev announces, object by
// object, each in its file's order. An object that cannot be read yields
// one *ObjectError and the next object is read; a record that is valid
// JSON but not shaped like a CloudTrail record comes with its error (an
// *ObjectError wrapping an *event.ReadError) and reading goes on.
func Records(ctx context.Context, client GetObjectAPI, ev events.S3Event, opts Options) iter.Seq2[*event.Record, error] {
	return func(yield func(*event.Record, error) bool) {
		objs, err := Objects(ev, opts)
		if err != nil {
			for _, e := range unjoin(err) {
				if !yield(nil, e) {
					return
				}
			}
		}
		for _, o := range objs {
			if !readObject(ctx, client, o, opts, yield) {
				return
			}
		}
	}
}

func unjoin(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

// readObject yields the records of one object and reports whether to go on.
func readObject(ctx context.Context, client GetObjectAPI, o Object, opts Options, yield func(*event.Record, error) bool) bool {
	fail := func(err error) bool { return yield(nil, &ObjectError{Bucket: o.Bucket, Key: o.Key, Err: err}) }
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	in := &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)}
	if o.VersionID != "" {
		in.VersionId = aws.String(o.VersionID)
	}
	w := iox.NewIdleWatch(ctx, opts.ReadIdleTimeout, "S3")
	defer w.Close()
	w.Start()
	out, err := client.GetObject(w.Context(), in)
	w.Stop()
	if err != nil {
		return fail(w.Explain(err))
	}
	defer out.Body.Close()
	sc := event.NewScanner(w.Reader(out.Body)) // unnamed: the ObjectError names the object
	sc.MaxRecordBytes = opts.MaxRecordBytes
	for rec, err := range sc.Records() {
		if err != nil {
			err = &ObjectError{Bucket: o.Bucket, Key: o.Key, Err: err}
		}
		if !yield(rec, err) {
			return false
		}
	}
	return true
}
