// Package sqs sends delivery notifications straight to an Amazon SQS queue,
// without an SNS topic between: the message body is CloudTrail's
// {"s3Bucket":…,"s3ObjectKey":[…]}. Use it as the Publisher of a
// [notify.Sink].
package sqs

import (
	"context"
	"fmt"

	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/trailkit/trailkit/sink/notify"
)

// API is the part of the SQS API that a Publisher calls; the SDK's
// *sqs.Client satisfies it.
type API interface {
	SendMessage(ctx context.Context, in *awssqs.SendMessageInput, optFns ...func(*awssqs.Options)) (*awssqs.SendMessageOutput, error)
}

var _ API = (*awssqs.Client)(nil)

// Publisher sends to one queue.
type Publisher struct {
	client   API
	queueURL string
}

var _ notify.Publisher = (*Publisher)(nil)

// New returns a Publisher to the queue queueURL through client.
func New(client API, queueURL string) *Publisher {
	return &Publisher{client: client, queueURL: queueURL}
}

// Publish sends m as the body of one message.
func (p *Publisher) Publish(ctx context.Context, m notify.Message) error {
	body := m.JSON()
	if _, err := p.client.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &p.queueURL, MessageBody: &body}); err != nil {
		return fmt.Errorf("send message to %s: %w", p.queueURL, err)
	}
	return nil
}
