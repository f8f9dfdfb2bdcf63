package notify_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/mototest"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/sink/notify"
	"github.com/trailkit/trailkit/sink/notify/eventbridge"
	"github.com/trailkit/trailkit/sink/notify/sns"
	"github.com/trailkit/trailkit/sink/notify/sqs"
	"github.com/trailkit/trailkit/trail"
)

// No SNS, SQS or EventBridge runs on these machines: these tests talk to
// moto's server mode, which implements their APIs and delivers SNS
// notifications and EventBridge events to SQS queues as the services do.

func newQueue(t *testing.T, c *awssqs.Client, name string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := c.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name)})
	require.NoError(t, err)
	attrs, err := c.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	require.NoError(t, err)
	return aws.ToString(out.QueueUrl), attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// receiveAll reads the queue until it has want messages, or fails after 20
// seconds; each message is deleted.
func receiveAll(t *testing.T, c *awssqs.Client, url string, want int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var bodies []string
	for len(bodies) < want {
		out, err := c.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err, "received %d of %d messages", len(bodies), want)
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			_, err := c.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
	return bodies
}

// deliver puts a log file, a digest and an unrelated object through a
// notify.Sink with publisher p, and closes it.
func deliver(t *testing.T, p notify.Publisher) {
	t.Helper()
	n, err := notify.New(newDir(t), notify.Options{Publisher: p})
	require.NoError(t, err)
	for _, k := range []string{logKey, digestKey, otherKey} {
		require.NoError(t, n.Put(context.Background(), sink.Object{Key: k, Body: []byte("x")}))
	}
	require.NoError(t, closeSink(t, n))
	assert.Equal(t, int64(1), n.NotificationStats().Published)
}

const wantMessage = `{"s3Bucket":"my-trail-bucket","s3ObjectKey":["` + logKey + `"]}`

func TestPublishers(t *testing.T) {
	srv := mototest.Start(t)
	cfg := srv.Config()
	sqsClient := awssqs.NewFromConfig(cfg)
	ctx := context.Background()

	t.Run("SNS topic to an SQS queue", func(t *testing.T) {
		url, arn := newQueue(t, sqsClient, "from-sns")
		snsClient := awssns.NewFromConfig(cfg)
		topic, err := snsClient.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("trail-deliveries")})
		require.NoError(t, err)
		_, err = snsClient.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &arn})
		require.NoError(t, err)

		deliver(t, sns.New(snsClient, aws.ToString(topic.TopicArn)))
		bodies := receiveAll(t, sqsClient, url, 1)
		var envelope struct{ Type, TopicArn, Message string }
		require.NoError(t, json.Unmarshal([]byte(bodies[0]), &envelope))
		assert.Equal(t, "Notification", envelope.Type)
		assert.Equal(t, aws.ToString(topic.TopicArn), envelope.TopicArn)
		assert.Equal(t, wantMessage, envelope.Message, "CloudTrail's message, byte for byte")
	})

	t.Run("SQS queue", func(t *testing.T) {
		url, _ := newQueue(t, sqsClient, "direct")
		deliver(t, sqs.New(sqsClient, url))
		assert.Equal(t, []string{wantMessage}, receiveAll(t, sqsClient, url, 1))
	})

	t.Run("EventBridge bus to an SQS queue", func(t *testing.T) {
		url, arn := newQueue(t, sqsClient, "from-eventbridge")
		eb := awseb.NewFromConfig(cfg)
		_, err := eb.CreateEventBus(ctx, &awseb.CreateEventBusInput{Name: aws.String("audit")})
		require.NoError(t, err)
		_, err = eb.PutRule(ctx, &awseb.PutRuleInput{
			Name: aws.String("deliveries"), EventBusName: aws.String("audit"),
			EventPattern: aws.String(`{"source":["trailkit"],"detail-type":["CloudTrail Log File Delivered"]}`),
		})
		require.NoError(t, err)
		_, err = eb.PutTargets(ctx, &awseb.PutTargetsInput{
			Rule: aws.String("deliveries"), EventBusName: aws.String("audit"),
			Targets: []ebtypes.Target{{Id: aws.String("queue"), Arn: &arn}},
		})
		require.NoError(t, err)

		deliver(t, eventbridge.New(eb, eventbridge.Options{EventBusName: "audit"}))
		bodies := receiveAll(t, sqsClient, url, 1)
		var ev struct {
			Source     string          `json:"source"`
			DetailType string          `json:"detail-type"`
			Detail     json.RawMessage `json:"detail"`
		}
		require.NoError(t, json.Unmarshal([]byte(bodies[0]), &ev))
		assert.Equal(t, "trailkit", ev.Source)
		assert.Equal(t, "CloudTrail Log File Delivered", ev.DetailType)
		assert.JSONEq(t, wantMessage, string(ev.Detail))
	})

	t.Run("missing topic", func(t *testing.T) {
		var reported error
		n, err := notify.New(newDir(t), notify.Options{
			Publisher:   sns.New(awssns.NewFromConfig(cfg), "arn:aws:sns:us-east-1:"+mototest.AccountID+":no-such-topic"),
			MaxAttempts: 2, MinBackoff: time.Millisecond, MaxBackoff: time.Millisecond,
			OnError: func(m notify.Message, err error) { reported = err },
		})
		require.NoError(t, err)
		require.NoError(t, n.Put(ctx, sink.Object{Key: logKey, Body: []byte("x")}), "delivery does not wait for the notification")
		assert.Error(t, closeSink(t, n))
		require.Error(t, reported)
		assert.Contains(t, reported.Error(), "publish to arn:aws:sns:us-east-1:"+mototest.AccountID+":no-such-topic")
		assert.Equal(t, int64(2), n.NotificationStats().Failures)
	})
}

// A trail delivering through a notify.Sink: one notification per log file,
// counted in the trail's Status.
func TestTrailNotifiesEachLogFile(t *testing.T) {
	srv := mototest.Start(t)
	sqsClient := awssqs.NewFromConfig(srv.Config())
	url, _ := newQueue(t, sqsClient, "trail")
	dir := newDir(t)
	n, err := notify.New(dir, notify.Options{Publisher: sqs.New(sqsClient, url)})
	require.NoError(t, err)
	ctx := context.Background()
	// A clock that stays in one file window: on the real one, a window
	// ending between two records (at a real five minutes' boundary, an
	// hour's included) would cut a second file for a region.
	tr, err := trail.New(trail.Config{
		Name: "notified", AccountID: "111122223333", HomeRegion: "eu-west-1",
		IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true,
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{n}},
		Clock:    trail.NewManualClock(time.Date(2026, 12, 7, 23, 59, 59, 0, time.UTC)),
	})
	require.NoError(t, err)
	for _, region := range []string{"eu-west-1", "eu-west-1", "us-east-2"} {
		rec := event.New("orders.example.com", "CreateOrder")
		rec.AWSRegion = region
		rec.UserIdentity = &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"}
		rec.Fill("111122223333", time.Now())
		require.NoError(t, tr.Emit(ctx, rec))
	}
	require.NoError(t, tr.Close(ctx))
	require.NoError(t, closeSink(t, n))

	var keys []string
	for info, err := range dir.List(ctx, "AWSLogs/111122223333/CloudTrail/", "") {
		require.NoError(t, err)
		keys = append(keys, info.Key)
	}
	require.Len(t, keys, 2, "a file per region")
	var notified []string
	for _, b := range receiveAll(t, sqsClient, url, len(keys)) {
		var m notify.Message
		require.NoError(t, json.Unmarshal([]byte(b), &m))
		assert.Equal(t, "my-trail-bucket", m.S3Bucket)
		notified = append(notified, m.S3ObjectKey...)
	}
	assert.ElementsMatch(t, keys, notified)
	st := tr.Status()
	require.NotNil(t, st.Sinks[0].Notifications)
	assert.Equal(t, int64(2), st.Sinks[0].Notifications.Published)
}
