// Parse reads CloudTrail log files and prints two things a security team
// watches for: failed console sign-ins and use of the root user.
//
// The logs are read from a directory tree, such as a trail's directory sink
// or a copy of a trail's bucket, or straight from S3:
//
//	go run ./examples/parse -dir ~/trail-logs
//	go run ./examples/parse -s3 s3://my-trail-bucket/AWSLogs/111122223333/CloudTrail/
//	go run ./examples/parse -s3 s3://trail-logs -endpoint-url http://127.0.0.1:9000   # MinIO
//
// Both are a sink.Store (sink.NewDir, sink.NewS3), so the program lists and
// reads them the same way, and event.NewScanner reads every file, gzipped or
// not, in any form records come in. The S3 client comes from the standard
// AWS configuration (environment, profiles, instance roles).
//
// Each finding is one line, tab-separated: eventTime, kind, source IP,
// user (ARN, else user name), region. The kinds are:
//
//   - console-login-failure: eventName ConsoleLogin with
//     responseElements.ConsoleLogin "Failure";
//   - root: any other call of the root user (userIdentity.type Root) that
//     no AWS service made on its behalf (no userIdentity.invokedBy, not an
//     AwsServiceEvent), as the CIS AWS Foundations Benchmark's root usage
//     alarm defines it.
//
// Files are read in key order and records in file order. Records that are
// not shaped like CloudTrail's (an eventTime not in its form, say) are
// skipped and counted, and a file that cannot be read is named on standard
// error; the exit status is then 1, after every other file was read.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// options say where the logs are: a directory, or an S3 URL with an
// optional endpoint for S3-compatible servers.
type options struct {
	dir      string
	s3URL    string
	endpoint string
}

func main() {
	var opts options
	flag.StringVar(&opts.dir, "dir", "", "directory tree of log files")
	flag.StringVar(&opts.s3URL, "s3", "", "S3 bucket and key prefix of log files: s3://bucket[/prefix]")
	flag.StringVar(&opts.endpoint, "endpoint-url", "", "endpoint of an S3-compatible server, such as http://127.0.0.1:9000")
	flag.Parse()
	if (opts.dir == "") == (opts.s3URL == "") || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: parse (-dir DIR | -s3 s3://bucket[/prefix] [-endpoint-url URL])")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdout, os.Stderr, opts); err != nil {
		fmt.Fprintln(os.Stderr, "parse:", err)
		os.Exit(1)
	}
}

// counts total what a run read and found.
type counts struct {
	files, unreadable, records, skipped int
	loginFailures, root                 int
}

// run prints the findings in the logs opts names to out, and warnings and
// totals to warn.
func run(ctx context.Context, out, warn io.Writer, opts options) error {
	store, prefix, where, err := open(ctx, opts)
	if err != nil {
		return err
	}
	var c counts
	for info, err := range store.List(ctx, prefix, "") {
		if err != nil {
			return err
		}
		if !isLogFile(info.Key) {
			continue
		}
		body, _, err := store.Get(ctx, info.Key)
		if err != nil {
			return err
		}
		c.files++
		err = scan(out, warn, where(info.Key), body, &c)
		body.Close()
		if err != nil {
			c.unreadable++
			fmt.Fprintf(warn, "parse: %v (rest of the file not read)\n", err)
		}
	}
	fmt.Fprintf(warn, "parse: %d files, %d records: %d failed console logins, %d root actions; %d records skipped\n",
		c.files, c.records, c.loginFailures, c.root, c.skipped)
	if c.unreadable > 0 {
		return fmt.Errorf("%d of %d files could not be read", c.unreadable, c.files)
	}
	return nil
}

// scan prints the findings of one log file. It returns the error that
// ended the file early.
func scan(out, warn io.Writer, name string, body io.Reader, c *counts) error {
	sc := event.NewScanner(body)
	sc.Name = name // errors name the file
	skipped := 0
	var first *event.ShapeError
	for rec, err := range sc.Records() {
		var shape *event.ShapeError
		if errors.As(err, &shape) {
			// Valid JSON, but not a CloudTrail record; reading goes on.
			if skipped++; first == nil {
				first = shape
			}
			continue
		}
		if err != nil {
			return err
		}
		c.records++
		kind := classify(rec)
		switch kind {
		case "":
			continue
		case loginFailure:
			c.loginFailures++
		case rootUse:
			c.root++
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\n",
			rec.EventTime.Format(time.RFC3339), kind, orDash(rec.SourceIPAddress), who(rec), orDash(rec.AWSRegion))
	}
	if skipped > 0 {
		c.skipped += skipped
		fmt.Fprintf(warn, "parse: %s: %d records skipped, not shaped like CloudTrail's (the first: %v)\n", name, skipped, first)
	}
	return nil
}

const (
	loginFailure = "console-login-failure"
	rootUse      = "root"
)

// classify returns the kind of finding rec is, or "".
func classify(rec *event.Record) string {
	if rec.EventName == "ConsoleLogin" {
		// responseElements is free-form JSON; event.Get reads one value
		// of it in place.
		if result, _ := event.Get(rec.ResponseElements, "ConsoleLogin").Text(); result == "Failure" {
			return loginFailure
		}
	}
	id := rec.UserIdentity
	if id != nil && id.Type == "Root" && id.InvokedBy == "" && rec.EventType != event.TypeServiceEvent {
		return rootUse
	}
	return ""
}

// who names the identity that made the call: its ARN, else its user name.
// (A failed sign-in of an unknown user has the name
// HIDDEN_DUE_TO_SECURITY_REASONS and no ARN.)
func who(rec *event.Record) string {
	if id := rec.UserIdentity; id != nil {
		if id.ARN != "" {
			return id.ARN
		}
		return orDash(id.UserName)
	}
	return "-"
}

// orDash keeps empty fields visible in the columns.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// isLogFile reports whether a key names a file of records: a .json or
// .jsonl file, gzipped or not, that is not a digest (digests list log
// files, not events).
func isLogFile(key string) bool {
	if strings.Contains(key, "CloudTrail-Digest") {
		return false
	}
	name := strings.TrimSuffix(path.Base(key), ".gz")
	return strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".jsonl")
}

// open returns the store opts names, the key prefix to list, and how to
// name a key in messages.
func open(ctx context.Context, opts options) (sink.Store, string, func(key string) string, error) {
	if opts.dir != "" {
		// NewDir creates a missing directory, as a sink should; a reader
		// wants to hear that it is missing.
		if _, err := os.Stat(opts.dir); err != nil {
			return nil, "", nil, err
		}
		d, err := sink.NewDir(opts.dir, sink.DirOptions{})
		if err != nil {
			return nil, "", nil, err
		}
		return d, "", func(key string) string { return filepath.Join(opts.dir, filepath.FromSlash(key)) }, nil
	}
	bucket, prefix, err := s3sink.ParseURL(opts.s3URL)
	if err != nil {
		return nil, "", nil, err
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithDefaultRegion("us-east-1"))
	if err != nil {
		return nil, "", nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.endpoint != "" {
			o.BaseEndpoint = aws.String(opts.endpoint)
			o.UsePathStyle = true // as MinIO and most S3-compatible servers need
		}
	})
	store := s3sink.New(client, bucket, s3sink.Options{})
	return store, prefix, func(key string) string { return "s3://" + bucket + "/" + key }, nil
}
