package s3event

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/trailkit/trailkit/event"
)

// Handler processes one record of an announced object. An error fails the
// message that announced the object: it is not deleted, and SQS delivers it
// again.
type Handler func(ctx context.Context, o Object, rec *event.Record) error

// HandleSQS processes an SQS event for a Lambda function with
// ReportBatchItemFailures: each message's objects (any envelope that
// MessageObjects reads), each record through handle. It returns the
// messages that failed (unreadable, an object that could not be read, a
// record handle refused) as batch item failures, so that Lambda deletes the
// others and delivers only those again: one bad message does not send the
// whole batch back. onError, if not nil, receives each failed message's
// error, for the function's log.
func HandleSQS(ctx context.Context, client GetObjectAPI, ev events.SQSEvent, opts Options, handle Handler, onError func(messageID string, err error)) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		if err := ProcessMessage(ctx, client, []byte(m.Body), opts, handle); err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			if onError != nil {
				onError(m.MessageId, err)
			}
		}
	}
	return resp
}

// ProcessMessage reads the objects a message body announces and gives each
// record to handle. It reads every object, and returns the errors of those
// that failed, joined.
func ProcessMessage(ctx context.Context, client GetObjectAPI, body []byte, opts Options, handle Handler) error {
	objs, err := MessageObjects(body, opts)
	errs := []error{err}
	for _, o := range objs {
		errs = append(errs, processObject(ctx, client, o, opts, handle))
	}
	return errors.Join(errs...)
}

func processObject(ctx context.Context, client GetObjectAPI, o Object, opts Options, handle Handler) error {
	for rec, err := range ObjectRecords(ctx, client, o, opts) {
		if err != nil {
			return err
		}
		if err := handle(ctx, o, rec); err != nil {
			return &ObjectError{Bucket: o.Bucket, Key: o.Key, Err: err}
		}
	}
	return nil
}

// SQSAPI is the part of the SQS API a Consumer calls; the SDK's *sqs.Client
// satisfies it.
type SQSAPI interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, optFns ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessage(ctx context.Context, in *sqs.DeleteMessageInput, optFns ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
}

var _ SQSAPI = (*sqs.Client)(nil)

// Consumer reads the log files that an SQS queue's messages announce, as a
// long-running process rather than a Lambda function: it polls the queue,
// reads each announced object, gives its records to a Handler, and deletes
// a message only after all of its objects were read and handled. A message
// that failed stays in the queue and comes back after its visibility
// timeout; one that keeps failing goes to the queue's dead-letter queue, if
// it has one.
//
// SQS delivers at least once, and a message can come back after it was
// handled (its visibility timeout ran out first, or a delete failed). The
// Consumer remembers the objects it has handled (the last Remember of them)
// and deletes a message announcing only those without reading them again,
// so that within one Consumer each object's records are handled once.
type Consumer struct {
	SQS      SQSAPI
	S3       GetObjectAPI
	QueueURL string
	Options  Options
	// Follow keeps polling until ctx is done; otherwise Run returns once a
	// poll finds the queue empty.
	Follow bool
	// WaitTime is the long-poll wait of one ReceiveMessage (at most 20 s);
	// default 20 s with Follow, 1 s without.
	WaitTime time.Duration
	// VisibilityTimeout is how long a received message stays hidden from
	// other consumers while it is processed; zero for the queue's own.
	VisibilityTimeout time.Duration
	// MaxMessages is how many messages one poll takes, 1 to 10; default 10.
	MaxMessages int
	// Remember is how many handled objects are remembered; default 100,000.
	Remember int
	// OnError receives each message that failed, with its error; it stays
	// in the queue. Default: none (the error is counted in Stats).
	OnError func(messageID string, err error)

	mu    sync.Mutex
	seen  map[string]struct{}
	order []string
	stats ConsumerStats
}

// ConsumerStats counts what a Consumer did.
type ConsumerStats struct {
	Messages   int64 // messages received
	Deleted    int64 // messages deleted after they were handled
	Failed     int64 // messages left in the queue after a failure
	Objects    int64 // objects read and handled
	Duplicates int64 // objects announced again after they were handled, not read again
	Records    int64 // records given to the handler
}

// Stats returns the counters.
func (c *Consumer) Stats() ConsumerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Run polls the queue and handles what its messages announce, until ctx
// is done (with Follow) or the queue is empty. It returns nil when it
// stopped because of either, and an error only for a queue it cannot read
// (a missing queue, denied access), which ends it.
func (c *Consumer) Run(ctx context.Context, handle Handler) error {
	if c.SQS == nil || c.S3 == nil || c.QueueURL == "" {
		return errors.New("run consumer: SQS, S3 and QueueURL are required")
	}
	if c.MaxMessages < 0 || c.MaxMessages > 10 {
		return fmt.Errorf("run consumer: MaxMessages %d is not 1 to 10", c.MaxMessages)
	}
	if c.WaitTime < 0 || c.WaitTime > 20*time.Second {
		return fmt.Errorf("run consumer: WaitTime %s is not 0 to 20s", c.WaitTime)
	}
	in := &sqs.ReceiveMessageInput{
		QueueUrl:            aws.String(c.QueueURL),
		MaxNumberOfMessages: int32(orDefault(c.MaxMessages, 10)),
		WaitTimeSeconds:     int32(c.waitTime().Seconds()),
	}
	if c.VisibilityTimeout > 0 {
		in.VisibilityTimeout = int32(c.VisibilityTimeout.Seconds())
	}
	for {
		out, err := c.SQS.ReceiveMessage(ctx, in)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("run consumer: receive from %s: %w", c.QueueURL, err)
		}
		for _, m := range out.Messages {
			c.message(ctx, m, handle)
		}
		if len(out.Messages) == 0 && !c.Follow {
			return nil
		}
	}
}

func (c *Consumer) waitTime() time.Duration {
	switch {
	case c.WaitTime > 0:
		return c.WaitTime
	case c.Follow:
		return 20 * time.Second
	}
	return time.Second
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// message handles one message and deletes it when all went well.
func (c *Consumer) message(ctx context.Context, m types.Message, handle Handler) {
	c.count(func(s *ConsumerStats) { s.Messages++ })
	id := aws.ToString(m.MessageId)
	err := c.process(ctx, []byte(aws.ToString(m.Body)), handle)
	if err == nil {
		_, err = c.SQS.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(c.QueueURL), ReceiptHandle: m.ReceiptHandle})
		if err != nil {
			err = fmt.Errorf("delete: %w", err)
		}
	}
	if err != nil {
		c.count(func(s *ConsumerStats) { s.Failed++ })
		if c.OnError != nil {
			c.OnError(id, err)
		}
		return
	}
	c.count(func(s *ConsumerStats) { s.Deleted++ })
}

func (c *Consumer) process(ctx context.Context, body []byte, handle Handler) error {
	objs, err := MessageObjects(body, c.Options)
	errs := []error{err}
	for _, o := range objs {
		if c.handled(o) {
			c.count(func(s *ConsumerStats) { s.Duplicates++ })
			continue
		}
		n := int64(0)
		err := processObject(ctx, c.S3, o, c.Options, func(ctx context.Context, o Object, rec *event.Record) error {
			n++
			return handle(ctx, o, rec)
		})
		c.count(func(s *ConsumerStats) { s.Records += n })
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c.remember(o)
		c.count(func(s *ConsumerStats) { s.Objects++ })
	}
	return errors.Join(errs...)
}

func (c *Consumer) count(f func(*ConsumerStats)) {
	c.mu.Lock()
	f(&c.stats)
	c.mu.Unlock()
}

func (c *Consumer) handled(o Object) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.seen[o.id()]
	return ok
}

func (c *Consumer) remember(o Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = make(map[string]struct{})
	}
	id := o.id()
	c.seen[id] = struct{}{}
	c.order = append(c.order, id)
	if limit := orDefault(c.Remember, 100_000); len(c.order) > limit {
		delete(c.seen, c.order[0])
		c.order = c.order[1:]
	}
}
