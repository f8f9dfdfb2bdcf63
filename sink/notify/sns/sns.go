// Package sns publishes delivery notifications to an Amazon SNS topic, as a
// CloudTrail trail with an SnsTopicARN does: the message is CloudTrail's
// {"s3Bucket":…,"s3ObjectKey":[…]}. Use it as the Publisher of a
// [notify.Sink].
package sns

import (
	"context"
	"fmt"

	awssns "github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/trailkit/trailkit/sink/notify"
)

// API is the part of the SNS API that a Publisher calls; the SDK's
// *sns.Client satisfies it.
type API interface {
	Publish(ctx context.Context, in *awssns.PublishInput, optFns ...func(*awssns.Options)) (*awssns.PublishOutput, error)
}

var _ API = (*awssns.Client)(nil)

// Publisher publishes to one topic.
type Publisher struct {
	client   API
	topicARN string
}

var _ notify.Publisher = (*Publisher)(nil)

// New returns a Publisher to the topic topicARN through client.
func New(client API, topicARN string) *Publisher {
	return &Publisher{client: client, topicARN: topicARN}
}

// Publish publishes m as the message of one SNS notification.
func (p *Publisher) Publish(ctx context.Context, m notify.Message) error {
	body := m.JSON()
	if _, err := p.client.Publish(ctx, &awssns.PublishInput{TopicArn: &p.topicARN, Message: &body}); err != nil {
		return fmt.Errorf("publish to %s: %w", p.topicARN, err)
	}
	return nil
}
