package main

import (
	"bufio"
	"context"
	"fmt"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink/s3event"
)

// catQueue prints the records of the log files that an SQS queue's
// messages announce, in any envelope s3event reads (S3 event notifications,
// through SNS or not, CloudTrail's own notification, EventBridge Object
// Created events). A message is deleted only after all of its files were
// read and printed; one that fails stays in the queue, is reported, and
// comes back after its visibility timeout. With follow, it polls until ctx
// ends (SIGINT, SIGTERM); otherwise it stops when the queue is empty.
func catQueue(ctx context.Context, e *env, queueURL, endpoint string, follow bool, match func(*event.Record) bool, out *bufio.Writer, n *int64, count bool) error {
	cfg, err := awsConfig(ctx)
	if err != nil {
		return err
	}
	s3, err := newS3Client(ctx, e, endpoint)
	if err != nil {
		return err
	}
	var failed int
	c := &s3event.Consumer{
		SQS: awssqs.NewFromConfig(cfg), S3: s3, QueueURL: queueURL, Follow: follow,
		OnError: func(id string, err error) {
			failed++
			fmt.Fprintf(e.stderr, "trailkit cat: message %s left in the queue: %v\n", id, err)
		},
	}
	var buf []byte
	err = c.Run(ctx, func(_ context.Context, _ s3event.Object, rec *event.Record) error {
		if match != nil && !match(rec) {
			return nil
		}
		*n++
		if count {
			return nil
		}
		buf = rec.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		if _, err := out.Write(buf); err != nil {
			return fmt.Errorf("write: %w", err)
		}
		// Printed before the message is deleted: flush now.
		return out.Flush()
	})
	if err != nil {
		return err
	}
	if failed > 0 {
		return exitError{code: 1, err: fmt.Errorf("%d messages could not be handled and were left in the queue", failed)}
	}
	return nil
}
