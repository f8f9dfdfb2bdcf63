package s3event_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/mototest"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/sink/s3event"
)

const logKey = "my logs/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz"

// The envelopes below are written as the services write them (the field
// sets of AWS's documentation), not by the code under test.

func s3Notification(bucket, key string) string {
	return `{"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"eu-central-1","eventTime":"2017-12-11T15:05:12.345Z","eventName":"ObjectCreated:Put","s3":{"s3SchemaVersion":"1.0","bucket":{"name":"` +
		bucket + `","arn":"arn:aws:s3:::` + bucket + `"},"object":{"key":"` + url.QueryEscape(key) + `","size":914,"sequencer":"0065"}}}]}`
}

func cloudTrailMessage(bucket, key string) string {
	return `{"s3Bucket":"` + bucket + `","s3ObjectKey":["` + key + `"]}`
}

func snsEnvelope(message string) string {
	b, err := json.Marshal(map[string]string{
		"Type": "Notification", "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		"TopicArn": "arn:aws:sns:eu-central-1:111111111111:trail", "Subject": "Amazon S3 Notification",
		"Message": message, "Timestamp": "2017-12-11T15:05:13.000Z", "SignatureVersion": "1",
	})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func eventBridgeObjectCreated(bucket, key string) string {
	return `{"version":"0","id":"17793124-05d4-b198-2fde-7ededc63b103","detail-type":"Object Created","source":"aws.s3","account":"111111111111","time":"2017-12-11T15:05:12Z","region":"eu-central-1","resources":["arn:aws:s3:::` +
		bucket + `"],"detail":{"version":"0","bucket":{"name":"` + bucket + `"},"object":{"key":"` + key + `","size":914,"etag":"b1946ac92492d2347c6235b4d2611184","sequencer":"0065"},"request-id":"N4N7GDK58NMKJ12R","requester":"111111111111","reason":"PutObject"}}`
}

func TestMessageObjects(t *testing.T) {
	digest := "AWSLogs/111111111111/CloudTrail-Digest/eu-central-1/2017/12/11/111111111111_CloudTrail-Digest_eu-central-1_t_eu-central-1_20171211T150000Z.json.gz"
	want := []s3event.Object{{Bucket: "trail-bucket", Key: logKey}}
	for _, tc := range []struct {
		name string
		body string
		want []s3event.Object
		err  string
	}{
		{"S3 to SQS", s3Notification("trail-bucket", logKey), want, ""},
		{"S3 to SNS to SQS", snsEnvelope(s3Notification("trail-bucket", logKey)), want, ""},
		{"CloudTrail to SNS to SQS", snsEnvelope(cloudTrailMessage("trail-bucket", logKey)), want, ""},
		{"CloudTrail's message, raw delivery", cloudTrailMessage("trail-bucket", logKey), want, ""},
		{"EventBridge Object Created", eventBridgeObjectCreated("trail-bucket", logKey), want, ""},
		{"EventBridge Object Deleted", strings.Replace(eventBridgeObjectCreated("trail-bucket", logKey), "Object Created", "Object Deleted", 1), nil, ""},
		{"digest left out", cloudTrailMessage("trail-bucket", digest), nil, ""},
		{"S3 test event", `{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2017-12-11T15:05:12.000Z","Bucket":"trail-bucket","RequestId":"5582815E1AEA5ADF","HostId":"8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"}`, nil, ""},
		{"not JSON", `hello`, nil, "not a notification of delivered objects"},
		{"another JSON document", `{"orders":[1,2]}`, nil, `message "{\"orders\":[1,2]}": not a notification`},
		{"envelopes too deep", snsEnvelope(snsEnvelope(snsEnvelope(snsEnvelope(cloudTrailMessage("b", logKey))))), nil, "more than 4 envelopes deep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := s3event.MessageObjects([]byte(tc.body), s3event.Options{})
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				if !strings.Contains(tc.err, "deep") {
					assert.ErrorIs(t, err, s3event.ErrUnknownMessage)
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, objs)
		})
	}
}

// trailBucket puts two corpus log files into a MinIO bucket and returns
// the server, their keys and their records' IDs.
func trailBucket(t *testing.T) (*miniotest.Server, []string, map[string][]string) {
	t.Helper()
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-bucket")
	dir := testdata.Dir(t, "logfiles")
	records := map[string][]string{}
	var keys []string
	for i, name := range []string{
		"flosell__trailscraper__tests__cloudtrail__data__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
		"boogy__CloudTrail-Log-Parser__examples__iam__CreateUser.json",
	} {
		body, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		key := fmt.Sprintf("%s111111111111_CloudTrail_eu-central-1_20171211T15%02dZ_%016d.json.gz", prefix, i, i)
		put(t, srv.Client(t), "trail-bucket", key, body)
		keys = append(keys, key)
		records[key] = readLocal(t, filepath.Join(dir, name))
	}
	return srv, keys, records
}

func TestHandleSQSReportsOnlyFailedMessages(t *testing.T) {
	srv, keys, records := trailBucket(t)
	ev := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "m-good", Body: s3Notification("trail-bucket", keys[0])},
		{MessageId: "m-poison", Body: `{"not":"a notification"}`},
		{MessageId: "m-sns", Body: snsEnvelope(cloudTrailMessage("trail-bucket", keys[1]))},
		{MessageId: "m-missing", Body: cloudTrailMessage("trail-bucket", prefix+"missing.json.gz")},
	}}
	got := map[string][]string{}
	failed := map[string]error{}
	resp := s3event.HandleSQS(context.Background(), srv.Client(t), ev, s3event.Options{},
		func(_ context.Context, o s3event.Object, rec *event.Record) error {
			got[o.Key] = append(got[o.Key], rec.EventID+"|"+rec.EventName)
			return nil
		},
		func(id string, err error) { failed[id] = err })
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	assert.Equal(t, []string{"m-poison", "m-missing"}, ids, "exactly the bad messages")
	assert.ErrorIs(t, failed["m-poison"], s3event.ErrUnknownMessage)
	assert.ErrorContains(t, failed["m-missing"], "missing.json.gz")
	assert.Equal(t, records, got, "every record of the good messages' files, in order")

	// The response is what Lambda reads: {"batchItemFailures":[{"itemIdentifier":…}]}.
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.JSONEq(t, `{"batchItemFailures":[{"itemIdentifier":"m-poison"},{"itemIdentifier":"m-missing"}]}`, string(b))
}

// A Consumer against a real queue (moto) and bucket (MinIO): every file's
// records are handled exactly once, although one message is delivered
// twice and another fails once and comes back.
func TestConsumerHandlesEachFileOnce(t *testing.T) {
	srv, keys, records := trailBucket(t)
	moto := mototest.Start(t)
	sqsClient := awssqs.NewFromConfig(moto.Config())
	ctx := context.Background()
	q, err := sqsClient.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String("deliveries")})
	require.NoError(t, err)
	send := func(body string) {
		t.Helper()
		_, err := sqsClient.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(body)})
		require.NoError(t, err)
	}
	send(snsEnvelope(s3Notification("trail-bucket", keys[0])))
	send(eventBridgeObjectCreated("trail-bucket", keys[0])) // the same file again, as a redelivery would announce it
	send(cloudTrailMessage("trail-bucket", keys[1]))

	var mu sync.Mutex
	got := map[string][]string{}
	failOnce := true
	handle := func(_ context.Context, o s3event.Object, rec *event.Record) error {
		mu.Lock()
		defer mu.Unlock()
		if o.Key == keys[1] && failOnce {
			failOnce = false
			return errors.New("downstream unavailable")
		}
		got[o.Key] = append(got[o.Key], rec.EventID+"|"+rec.EventName)
		return nil
	}
	var failures []string
	c := &s3event.Consumer{
		SQS: sqsClient, S3: srv.Client(t), QueueURL: aws.ToString(q.QueueUrl),
		VisibilityTimeout: time.Second, WaitTime: 3 * time.Second,
		OnError: func(id string, err error) { failures = append(failures, err.Error()) },
	}
	// The first run handles two messages, leaves the failed one in the
	// queue, and stops when a poll finds nothing visible; the second
	// run's long poll sees the failed message come back.
	require.NoError(t, c.Run(ctx, handle))
	require.NoError(t, c.Run(ctx, handle))

	require.Len(t, failures, 1)
	assert.Contains(t, failures[0], "downstream unavailable")
	assert.Equal(t, records, got, "each file's records once, in order")
	st := c.Stats()
	assert.Equal(t, int64(4), st.Messages, "three messages, one of them twice")
	assert.Equal(t, int64(3), st.Deleted)
	assert.Equal(t, int64(1), st.Failed)
	assert.Equal(t, int64(2), st.Objects)
	assert.Equal(t, int64(1), st.Duplicates)

	attrs, err := sqsClient.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	require.NoError(t, err)
	assert.Equal(t, "0", attrs.Attributes["ApproximateNumberOfMessages"], "every message deleted")
	assert.Equal(t, "0", attrs.Attributes["ApproximateNumberOfMessagesNotVisible"])
}

func TestConsumerErrors(t *testing.T) {
	moto := mototest.Start(t)
	sqsClient := awssqs.NewFromConfig(moto.Config())
	c := &s3event.Consumer{SQS: sqsClient, S3: miniotest.Start(t).Client(t), QueueURL: moto.Endpoint + "/123456789012/no-such-queue"}
	err := c.Run(context.Background(), func(context.Context, s3event.Object, *event.Record) error { return nil })
	require.ErrorContains(t, err, "run consumer: receive from "+moto.Endpoint+"/123456789012/no-such-queue")

	for _, bad := range []*s3event.Consumer{
		{},
		{SQS: sqsClient, S3: c.S3, QueueURL: "q", MaxMessages: 11},
		{SQS: sqsClient, S3: c.S3, QueueURL: "q", WaitTime: time.Minute},
	} {
		assert.Error(t, bad.Run(context.Background(), nil))
	}

	// Follow stops when the context ends.
	q, err := sqsClient.CreateQueue(context.Background(), &awssqs.CreateQueueInput{QueueName: aws.String("idle")})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	follow := &s3event.Consumer{SQS: sqsClient, S3: c.S3, QueueURL: aws.ToString(q.QueueUrl), Follow: true, WaitTime: time.Second}
	assert.NoError(t, follow.Run(ctx, nil))
	assert.Error(t, ctx.Err(), "ran until the context ended")
}
