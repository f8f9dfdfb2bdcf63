// Command scheduledvalidation validates a trail's log files on a schedule
// and publishes the failures to an SNS topic, so that a tampered, deleted
// or unlisted log file pages someone instead of waiting for an audit.
//
// Run it from cron (or a Kubernetes CronJob, or as the body of a Lambda
// function fired by EventBridge Scheduler) every hour:
//
//	scheduledvalidation --s3 s3://my-trail-bucket/team-a \
//	    --trail-arn arn:aws:cloudtrail:eu-west-1:111122223333:trail/orders-audit \
//	    --public-key trail-key.der --since 25h \
//	    --sns-topic-arn arn:aws:sns:eu-west-1:111122223333:trail-integrity
//
// It validates what was delivered in the last --since (a day and an hour:
// each run overlaps the last, so a late digest is still checked), exactly
// as `trailkit validate` does, and when anything is invalid it publishes one
// message: a subject naming the trail, and a JSON body with the totals and
// each invalid file with the reason. It exits 1 then, 0 when all is valid,
// and 2 when it could not validate at all (the bucket unreadable, no digest
// in the range: a validation that sees nothing must not stay green).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailkit/trailkit/digest"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// Report is the body of the message published on failure.
type Report struct {
	TrailARN string    `json:"trailArn"`
	Start    time.Time `json:"start"`
	End      time.Time `json:"end"`
	Valid    bool      `json:"valid"`
	// ValidDigests … InvalidLogs are the validation's totals.
	ValidDigests   int `json:"validDigests"`
	InvalidDigests int `json:"invalidDigests"`
	ValidLogs      int `json:"validLogs"`
	InvalidLogs    int `json:"invalidLogs"`
	Gaps           int `json:"gaps"`
	// Invalid lists each invalid file, gap and inconsistency, as
	// `trailkit validate` prints it.
	Invalid []string `json:"invalid"`
}

// Publisher is the part of the SNS client the job uses.
type Publisher interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Job is one scheduled validation.
type Job struct {
	Store    *s3sink.Sink
	Prefix   string // the trail's S3 key prefix
	TrailARN string
	Keys     []digest.PublicKey
	Since    time.Duration
	Now      func() time.Time
	SNS      Publisher
	TopicARN string
}

// ErrNothingValidated is returned when the range holds no digest file.
var ErrNothingValidated = errors.New("no digest file in the range: nothing was validated")

// Run validates the range and, when anything is invalid, publishes the
// report. It returns the report and an error only when it could not
// validate or publish.
func (j *Job) Run(ctx context.Context) (Report, error) {
	end := j.Now().UTC().Truncate(time.Second)
	r := Report{TrailARN: j.TrailARN, Start: end.Add(-j.Since), End: end, Invalid: []string{}}
	sum := digest.Summary{Start: r.Start, End: r.End}
	for f, err := range digest.Validate(ctx, j.Store, digest.ValidateOptions{
		TrailARN: j.TrailARN, Start: r.Start, End: r.End, Prefix: j.Prefix, Keys: j.Keys,
	}) {
		if err != nil {
			return r, fmt.Errorf("validate %s: %w", j.TrailARN, err)
		}
		sum.Add(&f)
		if f.Kind.Invalid() || f.Kind == digest.Gap {
			r.Invalid = append(r.Invalid, f.String())
		}
	}
	r.Valid = sum.Valid()
	r.ValidDigests, r.InvalidDigests = sum.ValidDigests, sum.InvalidDigests
	r.ValidLogs, r.InvalidLogs, r.Gaps = sum.ValidLogs, sum.InvalidLogs, sum.Gaps
	if r.ValidDigests+r.InvalidDigests == 0 {
		return r, ErrNothingValidated
	}
	if r.Valid {
		return r, nil
	}
	body, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return r, err
	}
	// SNS subjects are at most 100 ASCII characters.
	subject := "CloudTrail log file validation failed"
	if len(subject)+len(" for ")+len(j.TrailARN) <= 100 {
		subject += " for " + j.TrailARN
	}
	if _, err := j.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(j.TopicARN), Subject: aws.String(subject), Message: aws.String(string(body)),
	}); err != nil {
		return r, fmt.Errorf("publish validation failure to %s: %w", j.TopicARN, err)
	}
	return r, nil
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scheduledvalidation", flag.ContinueOnError)
	fs.SetOutput(stderr)
	s3URL := fs.String("s3", "", "the trail's bucket and key prefix: s3://bucket[/prefix]")
	arn := fs.String("trail-arn", "", "the trail's ARN")
	keyFile := fs.String("public-key", "", "the digests' public key file (DER, PEM or ListPublicKeys JSON)")
	since := fs.Duration("since", 25*time.Hour, "validate what was delivered this long before now")
	topic := fs.String("sns-topic-arn", "", "SNS topic that receives failures")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *s3URL == "" || *arn == "" || *keyFile == "" || *topic == "" || *since <= 0 {
		fmt.Fprintln(stderr, "scheduledvalidation: --s3, --trail-arn, --public-key, --sns-topic-arn and a positive --since are required")
		return 2
	}
	bucket, prefix, err := s3sink.ParseURL(*s3URL)
	if err != nil {
		fmt.Fprintln(stderr, "scheduledvalidation:", err)
		return 2
	}
	keys, err := digest.LoadPublicKeys(*keyFile)
	if err != nil {
		fmt.Fprintln(stderr, "scheduledvalidation:", err)
		return 2
	}
	cfg, err := config.LoadDefaultConfig(ctx) // profiles, environment, AWS_ENDPOINT_URL
	if err != nil {
		fmt.Fprintln(stderr, "scheduledvalidation:", err)
		return 2
	}
	// An S3-compatible server named by an endpoint URL is addressed
	// path-style; S3 itself by virtual host.
	pathStyle := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	job := &Job{
		Store:  s3sink.New(s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = pathStyle }), bucket, s3sink.Options{}),
		Prefix: prefix, TrailARN: *arn, Keys: keys, Since: *since, Now: time.Now,
		SNS: sns.NewFromConfig(cfg), TopicARN: *topic,
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	defer cancel()
	r, err := job.Run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "scheduledvalidation:", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s: %d/%d digest files and %d/%d log files valid\n", *arn,
		r.ValidDigests, r.ValidDigests+r.InvalidDigests, r.ValidLogs, r.ValidLogs+r.InvalidLogs)
	if !r.Valid {
		fmt.Fprintf(stdout, "%d problems published to %s\n", len(r.Invalid), *topic)
		return 1
	}
	return 0
}
