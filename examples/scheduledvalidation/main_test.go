package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/mototest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

const arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/nightly"

var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// deliverTrail writes two hours of a trail, with digests, into the bucket
// and returns the digests' public key.
func deliverTrail(t *testing.T, store *s3sink.Sink) digest.PublicKey {
	t.Helper()
	key, err := digest.GenerateKey(2048)
	require.NoError(t, err)
	signer := digest.NewRSASigner(key)
	clock := trail.NewManualClock(t0)
	tr, err := trail.New(trail.Config{
		Name: "nightly", AccountID: "111122223333", HomeRegion: "us-east-1", S3KeyPrefix: "team-a",
		Clock: clock, Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{store}}, Digests: trail.DigestOptions{Signer: signer},
	})
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 24 {
		clock.Set(t0.Add(time.Duration(i) * 5 * time.Minute))
		rec := event.New("orders.example.com", "CreateOrder")
		rec.AWSRegion = "us-east-1"
		rec.UserIdentity = &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"}
		rec.ReadOnly = event.Bool(false)
		rec.Fill("111122223333", clock.Now())
		require.NoError(t, tr.Emit(ctx, rec))
	}
	clock.Set(t0.Add(2 * time.Hour))
	require.NoError(t, tr.Close(ctx))
	return signer.PublicKey()
}

func TestScheduledValidation(t *testing.T) {
	minio, moto := miniotest.Start(t), mototest.Start(t)
	minio.CreateBucket(t, "trail-bucket")
	store := s3sink.New(minio.Client(t), "trail-bucket", s3sink.Options{})
	pub := deliverTrail(t, store)
	ctx := context.Background()

	cfg := moto.Config()
	snsClient, sqsClient := sns.NewFromConfig(cfg), sqs.NewFromConfig(cfg)
	topic, err := snsClient.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("trail-integrity")})
	require.NoError(t, err)
	q, err := sqsClient.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("pager")})
	require.NoError(t, err)
	attrs, err := sqsClient.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	require.NoError(t, err)
	_, err = snsClient.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: aws.String(attrs.Attributes["QueueArn"])})
	require.NoError(t, err)
	received := func() []string {
		t.Helper()
		out, err := sqsClient.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		var msgs []string
		for _, m := range out.Messages {
			var env struct{ Subject, Message string }
			require.NoError(t, json.Unmarshal([]byte(aws.ToString(m.Body)), &env))
			msgs = append(msgs, env.Subject+"\n"+env.Message)
		}
		return msgs
	}
	job := &Job{
		Store: store, Prefix: "team-a", TrailARN: arn, Keys: []digest.PublicKey{pub}, Since: 25 * time.Hour,
		Now: func() time.Time { return t0.Add(3 * time.Hour) }, SNS: snsClient, TopicARN: aws.ToString(topic.TopicArn),
	}

	r, err := job.Run(ctx)
	require.NoError(t, err)
	assert.True(t, r.Valid)
	assert.Equal(t, 3, r.ValidDigests, "10:00 to 11:00, 11:00 to 12:00, and 12:00 to 13:00 for the file cut at 12:00")
	assert.Empty(t, received(), "nothing published while all is valid")

	// Tamper with a log file: the next run pages.
	var logKey string
	for info, err := range store.List(ctx, "team-a/AWSLogs/111122223333/CloudTrail/", "") {
		require.NoError(t, err)
		logKey = info.Key
	}
	_, err = minio.Client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(logKey), Body: bytes.NewReader([]byte("tampered"))})
	require.NoError(t, err)
	r, err = job.Run(ctx)
	require.NoError(t, err)
	assert.False(t, r.Valid)
	msgs := received()
	require.Len(t, msgs, 1)
	subject, body, _ := strings.Cut(msgs[0], "\n")
	assert.Equal(t, "CloudTrail log file validation failed for "+arn, subject)
	var published Report
	require.NoError(t, json.Unmarshal([]byte(body), &published))
	assert.False(t, published.Valid)
	assert.Equal(t, 1, published.InvalidLogs)
	require.Len(t, published.Invalid, 1)
	assert.Contains(t, published.Invalid[0], "s3://trail-bucket/"+logKey)

	// A range with no digest is an error, not a green run.
	job.Now = func() time.Time { return t0.Add(-48 * time.Hour) }
	_, err = job.Run(ctx)
	assert.ErrorIs(t, err, ErrNothingValidated)
}

func TestCommandLine(t *testing.T) {
	var stdout, stderr bytes.Buffer
	assert.Equal(t, 2, run(context.Background(), []string{"--s3", "s3://b"}, &stdout, &stderr))
	assert.Contains(t, stderr.String(), "are required")
	keyFile := filepath.Join(t.TempDir(), "key.der")
	require.NoError(t, os.WriteFile(keyFile, []byte("not a key"), 0o644))
	stderr.Reset()
	assert.Equal(t, 2, run(context.Background(), []string{"--s3", "s3://bucket", "--trail-arn", arn, "--public-key", keyFile, "--sns-topic-arn", "t"}, &stdout, &stderr))
	assert.NotEmpty(t, stderr.String())
}
