// Command lakelambda is an AWS Lambda function that converts each CloudTrail
// log file to Parquet as it lands: subscribe it to the trail bucket's
// s3:ObjectCreated:* notifications (filtered to the AWSLogs/ prefix), and it
// writes the records of every new log file into a lake, in the layout
// "trailkit export" writes,
//
//	s3://LAKE_BUCKET/LAKE_PREFIX/region=<awsRegion>/accountId=<account>/eventDay=<YYYYMMDD>/<file>_<hash>.parquet
//
// in the cloudtrail shape, or the ocsf shape with LAKE_FORMAT=ocsf (with
// LAKE_PREFIX=ext/<source>/ for an Amazon Security Lake custom source).
// Objects are named after the log file, so a notification delivered twice,
// or retried after a failure, replaces the same objects: the lake holds each
// record once. A log file that cannot be converted fails the invocation, and
// Lambda retries it.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/sink/s3event"
)

// Handler converts the log files of S3 event notifications.
type Handler struct {
	S3   s3event.GetObjectAPI // reads the log files
	Lake sink.Sink            // where the Parquet goes
	Opts lake.Options
}

// Handle converts every log file ev announces, and returns the failures.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) error {
	objs, err := s3event.Objects(ev, s3event.Options{})
	errs := []error{err}
	for _, o := range objs {
		errs = append(errs, h.convert(ctx, o))
	}
	return errors.Join(errs...)
}

func (h *Handler) convert(ctx context.Context, o s3event.Object) error {
	in := &s3.GetObjectInput{Bucket: aws.String(o.Bucket), Key: aws.String(o.Key)}
	if o.VersionID != "" {
		in.VersionId = aws.String(o.VersionID)
	}
	out, err := h.S3.GetObject(ctx, in)
	if err != nil {
		return fmt.Errorf("get s3://%s/%s: %w", o.Bucket, o.Key, err)
	}
	defer out.Body.Close()
	w, err := lake.NewWriter(h.Lake, o.Key, h.Opts)
	if err != nil {
		return err
	}
	if err := w.Export(ctx, out.Body); err != nil {
		return fmt.Errorf("convert s3://%s/%s: %w", o.Bucket, o.Key, err)
	}
	log.Printf("s3://%s/%s: %d records in %d objects", o.Bucket, o.Key, w.Rows(), len(w.Keys()))
	return nil
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("load AWS configuration: %v", err)
	}
	client := s3.NewFromConfig(cfg)
	bucket := os.Getenv("LAKE_BUCKET")
	if bucket == "" {
		log.Fatal("LAKE_BUCKET is not set")
	}
	h := &Handler{
		S3:   client,
		Lake: s3sink.New(client, bucket, s3sink.Options{}),
		Opts: lake.Options{Format: lake.Format(os.Getenv("LAKE_FORMAT")), Prefix: os.Getenv("LAKE_PREFIX")},
	}
	if _, err := lake.Schema(h.Opts.Format); err != nil {
		log.Fatalf("LAKE_FORMAT: %v", err)
	}
	lambda.Start(h.Handle)
}
