// S3delivery runs a trail that delivers to an S3 bucket, as CloudTrail does:
// gzipped log files under AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ and,
// every hour and when the trail closes, a digest file under
// CloudTrail-Digest/ signed with the trail's key (the signature is in the
// object's x-amz-meta-signature metadata). It emits some records of a
// pretend service, closes the trail, and prints each object it put and the
// trail's status.
//
// The S3 client comes from the standard AWS configuration (environment,
// profiles, instance roles); -endpoint-url points it at an S3-compatible
// server such as MinIO, with path-style addressing:
//
//	go run ./examples/s3delivery -bucket my-trail-bucket -prefix team-a -key trail-key.pem
//	AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin \
//	    go run ./examples/s3delivery -bucket trail-logs -endpoint-url http://127.0.0.1:9000
//
// Make the key with `trailkit keygen`, and check the delivered files with
// `trailkit validate --s3 s3://BUCKET --public-key ...`. Without -key the
// trail signs with a new key that is not kept, so its digests cannot be
// validated later. A trail continues the digest chain it finds in the
// bucket, so keep using the same key with the same bucket.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

type options struct {
	bucket, prefix, endpoint string
	keyFile                  string // PEM private key; "" for a new key
	accountID                string
	records                  int
}

func main() {
	var opts options
	flag.StringVar(&opts.bucket, "bucket", "", "S3 bucket to deliver to (required)")
	flag.StringVar(&opts.prefix, "prefix", "", "S3 key prefix of the trail, before AWSLogs/")
	flag.StringVar(&opts.endpoint, "endpoint-url", "", "endpoint of an S3-compatible server, such as http://127.0.0.1:9000")
	flag.StringVar(&opts.keyFile, "key", "", "PEM private key to sign digests with (default: a new key, not kept)")
	flag.StringVar(&opts.accountID, "account", "111122223333", "the trail's account id")
	flag.IntVar(&opts.records, "records", 25, "how many records to emit")
	flag.Parse()
	if opts.bucket == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: s3delivery -bucket BUCKET [-prefix PREFIX] [-endpoint-url URL] [-key FILE] [-records N]")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Stdout, opts); err != nil {
		fmt.Fprintln(os.Stderr, "s3delivery:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, opts options) error {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithDefaultRegion("us-east-1"))
	if err != nil {
		return fmt.Errorf("load AWS configuration: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		if opts.endpoint != "" {
			o.BaseEndpoint = aws.String(opts.endpoint)
			o.UsePathStyle = true // as MinIO and most S3-compatible servers need
		}
	})
	signer, err := loadSigner(opts.keyFile)
	if err != nil {
		return err
	}

	where := "s3://" + opts.bucket + "/"
	if opts.prefix != "" {
		where += opts.prefix + "/"
	}
	fmt.Fprintf(out, "Trail %q delivering to %s, digests signed by key %s\n", "s3delivery", where, signer.Fingerprint())
	tr, err := trail.New(trail.Config{
		Name:                       "s3delivery",
		AccountID:                  opts.accountID,
		HomeRegion:                 cfg.Region,
		S3KeyPrefix:                opts.prefix,
		IncludeGlobalServiceEvents: true, // CloudTrail's default
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{&printingS3{
			Sink: s3sink.New(client, opts.bucket, s3sink.Options{}),
			out:  out,
		}}},
		Digests: trail.DigestOptions{Signer: signer},
	})
	if err != nil {
		return err
	}
	for i := range opts.records {
		if err := tr.Emit(ctx, orderEvent(i, opts.accountID, cfg.Region)); err != nil {
			tr.Close(ctx)
			return fmt.Errorf("emit: %w", err)
		}
	}
	// Close cuts the open log file, delivers it, then delivers the digest
	// of the hour so far. Failed puts are retried until ctx ends.
	closeCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = tr.Close(closeCtx)
	// The status says what was delivered, and the latest error if a put
	// failed.
	printStatus(out, tr.Status())
	if err != nil {
		return fmt.Errorf("close trail: %w", err)
	}
	return nil
}

// loadSigner reads the signing key, or makes a new one.
func loadSigner(keyFile string) (*digest.RSASigner, error) {
	if keyFile == "" {
		key, err := digest.GenerateKey(2048)
		if err != nil {
			return nil, err
		}
		return digest.NewRSASigner(key), nil
	}
	key, err := digest.LoadPrivateKey(keyFile)
	if err != nil {
		return nil, err
	}
	return digest.NewRSASigner(key), nil
}

// printingS3 wraps the S3 sink and prints each object it stored. Unwrap
// lets the trail find the sink.Store beneath, which it reads to continue
// the digest chain of an earlier run.
type printingS3 struct {
	sink.Sink
	mu  sync.Mutex // Put is called concurrently
	out io.Writer
}

func (p *printingS3) Unwrap() sink.Sink { return p.Sink }

func (p *printingS3) Put(ctx context.Context, obj sink.Object) error {
	if err := p.Sink.Put(ctx, obj); err != nil {
		return err
	}
	return p.print(obj)
}

// PutIfAbsent is how the trail creates digests, so that several processes
// writing the trail keep one chain. (Without it the trail would find the
// S3 sink's PutIfAbsent beneath, and digests would not be printed.)
func (p *printingS3) PutIfAbsent(ctx context.Context, obj sink.Object) error {
	x, ok := sink.As[sink.ExclusiveSink](p.Sink)
	if !ok {
		return fmt.Errorf("put if absent %s: the wrapped sink cannot create objects exclusively", obj.Key)
	}
	if err := x.PutIfAbsent(ctx, obj); err != nil {
		return err
	}
	return p.print(obj)
}

func (p *printingS3) print(obj sink.Object) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err := fmt.Fprintf(p.out, "put s3://%s/%s (%d bytes)\n", p.Bucket(), obj.Key, len(obj.Body))
	return err
}

// orderEvent is the record of the i-th call to a pretend orders service.
func orderEvent(i int, accountID, region string) *event.Record {
	names := []string{"CreateOrder", "GetOrder", "GetOrder", "ListOrders", "CancelOrder"}
	r := event.New("orders.example.com", names[i%len(names)])
	r.AWSRegion = region
	r.RecipientAccountID = accountID
	r.SourceIPAddress = "198.51.100.10"
	r.UserAgent = "orders-cli/1.4"
	r.UserIdentity = &event.UserIdentity{
		Type: "IAMUser", PrincipalID: "AIDAEXAMPLEALICE", AccountID: accountID,
		ARN: "arn:aws:iam::" + accountID + ":user/alice", UserName: "alice",
	}
	r.RequestParameters = fmt.Appendf(nil, `{"orderId":"o-%d"}`, 1000+i)
	r.ReadOnly = event.Bool(r.EventName == "GetOrder" || r.EventName == "ListOrders")
	return r
}

func printStatus(out io.Writer, st trail.Status) {
	c := st.Counters
	fmt.Fprintf(out, "Status: %d records emitted, %d delivered, %d dropped\n", c.Emitted, c.Delivered, c.Dropped)
	for _, s := range st.Sinks {
		fmt.Fprintf(out, "  %s: log files delivered: %d (latest %s); digest files delivered: %d (latest %s)\n",
			s.Bucket, s.FilesDelivered, timeOrNever(s.LatestDeliveryTime), s.DigestsDelivered, timeOrNever(s.LatestDigestDeliveryTime))
		if s.LatestDeliveryError != "" || s.LatestDigestDeliveryError != "" {
			fmt.Fprintf(out, "  latest errors: %q, %q (%d failed puts)\n", s.LatestDeliveryError, s.LatestDigestDeliveryError, s.Failures)
		}
	}
}

func timeOrNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
