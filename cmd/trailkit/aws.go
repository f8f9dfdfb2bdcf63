package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/digest/kms"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/sink/notify"
	ebnotify "github.com/trailkit/trailkit/sink/notify/eventbridge"
	snsnotify "github.com/trailkit/trailkit/sink/notify/sns"
	sqsnotify "github.com/trailkit/trailkit/sink/notify/sqs"
)

// AWS clients other than S3's come from the standard configuration
// (environment, shared files, profiles, instance roles), with us-east-1
// when no region is configured. The SDK itself honours AWS_ENDPOINT_URL
// and AWS_ENDPOINT_URL_<SERVICE> (AWS_ENDPOINT_URL_SQS, …), which is how
// the command is pointed at a local server.

// awsTimeout bounds each request to an AWS service the commands make.
const awsTimeout = 30 * time.Second

func awsConfig(ctx context.Context) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

// notifyFlags are replay's delivery notifications: CloudTrail's message
// for each delivered log file, to an SNS topic, an SQS queue and/or an
// EventBridge bus.
type notifyFlags struct {
	snsTopic, sqsQueue, eventBus *string
	sinks                        []*notify.Sink // outermost last
}

func addNotifyFlags(fl *flags) *notifyFlags {
	return &notifyFlags{
		snsTopic: fl.String("sns-topic-arn", "", "publish CloudTrail's notification of each delivered log file to this SNS topic"),
		sqsQueue: fl.String("sqs-queue-url", "", "send the notification of each delivered log file to this SQS queue"),
		eventBus: fl.String("event-bus-name", "", `put a "CloudTrail Log File Delivered" event for each delivered log file on this EventBridge bus`),
	}
}

func (n *notifyFlags) any() bool { return *n.snsTopic != "" || *n.sqsQueue != "" || *n.eventBus != "" }

// wrap returns s wrapped in a notify.Sink for each destination given.
func (n *notifyFlags) wrap(ctx context.Context, s sink.Sink) (sink.Sink, error) {
	if !n.any() {
		return s, nil
	}
	cfg, err := awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	var pubs []notify.Publisher
	if *n.snsTopic != "" {
		pubs = append(pubs, snsnotify.New(awssns.NewFromConfig(cfg), *n.snsTopic))
	}
	if *n.sqsQueue != "" {
		pubs = append(pubs, sqsnotify.New(awssqs.NewFromConfig(cfg), *n.sqsQueue))
	}
	if *n.eventBus != "" {
		pubs = append(pubs, ebnotify.New(eventbridge.NewFromConfig(cfg), ebnotify.Options{EventBusName: *n.eventBus}))
	}
	for _, p := range pubs {
		ns, err := notify.New(s, notify.Options{Publisher: p, AttemptTimeout: awsTimeout})
		if err != nil {
			return nil, err
		}
		n.sinks = append(n.sinks, ns)
		s = ns
	}
	return s, nil
}

// close publishes what is queued, waiting at most until ctx ends, and
// reports what was published on w.
func (n *notifyFlags) close(ctx context.Context, w io.Writer) error {
	var errs []error
	for i := len(n.sinks) - 1; i >= 0; i-- {
		ns := n.sinks[i]
		err := ns.Close(ctx)
		st := ns.NotificationStats()
		fmt.Fprintf(w, "%d notifications published, %d failed attempts", st.Published, st.Failures)
		if st.Dropped+st.GivenUp > 0 {
			fmt.Fprintf(w, ", %d not published", st.Dropped+st.GivenUp)
		}
		fmt.Fprintln(w)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// kmsSigner returns a digest signer backed by the KMS key keyID.
func kmsSigner(ctx context.Context, keyID string) (digest.Signer, error) {
	cfg, err := awsConfig(ctx)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, awsTimeout)
	defer cancel()
	return kms.New(ctx, awskms.NewFromConfig(cfg), keyID)
}

// kmsPublicKey fetches the public half of the KMS key keyID.
func kmsPublicKey(ctx context.Context, keyID string) (digest.PublicKey, error) {
	cfg, err := awsConfig(ctx)
	if err != nil {
		return digest.PublicKey{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, awsTimeout)
	defer cancel()
	return kms.PublicKey(ctx, awskms.NewFromConfig(cfg), keyID)
}
