package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	awssns "github.com/aws/aws-sdk-go-v2/service/sns"
	awssqs "github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/mototest"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/sink/notify"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// The command against real servers: MinIO for S3, moto's server mode for
// SNS, SQS, EventBridge and KMS (the SDK reaches each through
// AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL).

type awsWorld struct {
	minio *miniotest.Server
	moto  *mototest.Server
	sqs   *awssqs.Client
	env   []string
}

func newAWSWorld(t *testing.T) *awsWorld {
	t.Helper()
	w := &awsWorld{minio: miniotest.Start(t), moto: mototest.Start(t)}
	w.sqs = awssqs.NewFromConfig(w.moto.Config())
	// MinIO's credentials: moto accepts any.
	w.env = append(w.minio.Env(), "AWS_ENDPOINT_URL="+w.moto.Endpoint)
	return w
}

func (w *awsWorld) queue(t *testing.T, name string) (url, arn string) {
	t.Helper()
	ctx := context.Background()
	out, err := w.sqs.CreateQueue(ctx, &awssqs.CreateQueueInput{QueueName: aws.String(name)})
	require.NoError(t, err)
	attrs, err := w.sqs.GetQueueAttributes(ctx, &awssqs.GetQueueAttributesInput{
		QueueUrl: out.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn},
	})
	require.NoError(t, err)
	return aws.ToString(out.QueueUrl), attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)]
}

// drain reads and deletes every message of a queue (long polls until one
// comes back empty).
func (w *awsWorld) drain(t *testing.T, url string) []string {
	t.Helper()
	ctx := context.Background()
	var bodies []string
	for {
		out, err := w.sqs.ReceiveMessage(ctx, &awssqs.ReceiveMessageInput{QueueUrl: &url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		require.NoError(t, err)
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, m := range out.Messages {
			bodies = append(bodies, aws.ToString(m.Body))
			_, err := w.sqs.DeleteMessage(ctx, &awssqs.DeleteMessageInput{QueueUrl: &url, ReceiptHandle: m.ReceiptHandle})
			require.NoError(t, err)
		}
	}
}

func notifiedKeys(t *testing.T, bodies []string, unwrap func(string) string) []string {
	t.Helper()
	var keys []string
	for _, b := range bodies {
		var m notify.Message
		require.NoError(t, json.Unmarshal([]byte(unwrap(b)), &m), b)
		assert.Equal(t, "replayed", m.S3Bucket)
		keys = append(keys, m.S3ObjectKey...)
	}
	slices.Sort(keys)
	return keys
}

// TestReplayNotifiesSignsThroughKMSAndValidates runs replay to MinIO with
// notifications to SNS (subscribed by a queue), SQS and EventBridge (a rule
// sending to a queue), digests signed by a KMS key, the expected bucket
// owner and the ACL; then validate with the public key from KMS.
func TestReplayNotifiesSignsThroughKMSAndValidates(t *testing.T) {
	bin := buildTrailkit(t)
	w := newAWSWorld(t)
	w.minio.CreateBucket(t, "replayed")
	ctx := context.Background()
	cfg := w.moto.Config()

	snsQueue, snsQueueARN := w.queue(t, "from-sns")
	sns := awssns.NewFromConfig(cfg)
	topic, err := sns.CreateTopic(ctx, &awssns.CreateTopicInput{Name: aws.String("deliveries")})
	require.NoError(t, err)
	_, err = sns.Subscribe(ctx, &awssns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sqs"), Endpoint: &snsQueueARN})
	require.NoError(t, err)
	directQueue, _ := w.queue(t, "direct")
	ebQueue, ebQueueARN := w.queue(t, "from-eventbridge")
	eb := eventbridge.NewFromConfig(cfg)
	_, err = eb.CreateEventBus(ctx, &eventbridge.CreateEventBusInput{Name: aws.String("audit")})
	require.NoError(t, err)
	_, err = eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("deliveries"), EventBusName: aws.String("audit"),
		EventPattern: aws.String(`{"detail-type":["CloudTrail Log File Delivered"]}`)})
	require.NoError(t, err)
	_, err = eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("deliveries"), EventBusName: aws.String("audit"),
		Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: &ebQueueARN}}})
	require.NoError(t, err)
	key, err := awskms.NewFromConfig(cfg).CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
	require.NoError(t, err)
	keyID := aws.ToString(key.KeyMetadata.KeyId)

	in := filepath.Join(corpusDir(t), "logfiles", "flosell__trailscraper__tests__cloudtrail__data__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz")
	res := runS3Bin(t, bin, w.env, "replay", "--account-id", "111111111111", "--region", "eu-central-1", "--trail-name", "notified",
		"--s3", "s3://replayed", "--all", "--kms-key-id", keyID,
		"--sns-topic-arn", aws.ToString(topic.TopicArn), "--sqs-queue-url", directQueue, "--event-bus-name", "audit",
		"--expected-bucket-owner", "111111111111", "--acl", "bucket-owner-full-control", in)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, 3, strings.Count(res.stdout, "notifications published"), res.stdout)

	var logs []string
	for info, err := range s3sink.New(w.minio.Client(t), "replayed", s3sink.Options{}).List(ctx, "AWSLogs/111111111111/CloudTrail/", "") {
		require.NoError(t, err)
		logs = append(logs, info.Key)
	}
	require.NotEmpty(t, logs)
	assert.Equal(t, logs, notifiedKeys(t, w.drain(t, directQueue), func(b string) string { return b }), "SQS: CloudTrail's message for each log file")
	assert.Equal(t, logs, notifiedKeys(t, w.drain(t, snsQueue), func(b string) string {
		var env struct{ Message string }
		require.NoError(t, json.Unmarshal([]byte(b), &env))
		return env.Message
	}), "SNS: CloudTrail's message for each log file")
	assert.Equal(t, logs, notifiedKeys(t, w.drain(t, ebQueue), func(b string) string {
		var ev struct{ Detail json.RawMessage }
		require.NoError(t, json.Unmarshal([]byte(b), &ev))
		return string(ev.Detail)
	}), "EventBridge: an event for each log file")

	start := time.Date(2017, 12, 11, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	arn := "arn:aws:cloudtrail:eu-central-1:111111111111:trail/notified"
	res = runS3Bin(t, bin, w.env, "validate", "--s3", "s3://replayed", "--trail-arn", arn, "--kms-key-id", keyID,
		"--start-time", start, "--end-time", "2017-12-12T00:00:00Z", "--verbose")
	require.Equal(t, 0, res.code, res.stdout+res.stderr)
	assert.Contains(t, res.stdout, fmt.Sprintf("%d/%d log files valid", len(logs), len(logs)))
	assert.Contains(t, res.stdout, "Digest file\ts3://replayed/AWSLogs/111111111111/CloudTrail-Digest/", "--verbose lists each digest")

	res = runS3Bin(t, bin, w.env, "validate", "--s3", "s3://replayed", "--trail-arn", arn, "--kms-key-id", keyID,
		"--start-time", start, "--end-time", "2017-12-12T00:00:00Z", "--json")
	require.Equal(t, 0, res.code, res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	var summary struct {
		Type      string
		ValidLogs int
		Valid     bool
	}
	require.NoError(t, json.Unmarshal([]byte(lines[len(lines)-1]), &summary))
	assert.Equal(t, "summary", summary.Type)
	assert.Equal(t, len(logs), summary.ValidLogs)
	assert.True(t, summary.Valid)
}

func TestReplayChecksTheBucketFirst(t *testing.T) {
	bin := buildTrailkit(t)
	w := newAWSWorld(t)
	in := filepath.Join(t.TempDir(), "in.jsonl")
	require.NoError(t, os.WriteFile(in, []byte(corpusRecords(t)[0]+"\n"), 0o644))
	base := []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "checked", "--all"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing bucket", []string{"--s3", "s3://no-such-bucket/logs"}, 2, "S3BucketDoesNotExistException: S3 bucket no-such-bucket does not exist"},
		{"bad ACL", []string{"--s3", "s3://no-such-bucket", "--acl", "public-read"}, 2, "the only ACL is bucket-owner-full-control"},
		{"bad owner", []string{"--s3", "s3://no-such-bucket", "--expected-bucket-owner", "me"}, 2, "not a 12-digit account id"},
		{"owner without S3", []string{"--dir", t.TempDir(), "--expected-bucket-owner", "111122223333"}, 2, "are for --s3"},
		{"two signers", []string{"--dir", t.TempDir(), "--kms-key-id", "k", "--private-key", in}, 2, "exclude each other"},
		{"missing KMS key", []string{"--dir", t.TempDir(), "--kms-key-id", "alias/none"}, 2, `--kms-key-id: get public key "alias/none"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			res := runS3Bin(t, bin, w.env, append(append(slices.Clone(base), tc.args...), in)...)
			assert.Equal(t, tc.code, res.code, res.stderr)
			assert.Contains(t, res.stderr, tc.want)
			assert.Less(t, time.Since(start), 20*time.Second, "reported at once, not after retries")
		})
	}
}

// cat --sqs-queue-url reads the files a queue announces, in any envelope,
// and deletes each message after its records are printed.
func TestCatQueue(t *testing.T) {
	bin := buildTrailkit(t)
	w := newAWSWorld(t)
	w.minio.CreateBucket(t, "trail-bucket")
	ctx := context.Background()
	recs := corpusRecords(t)[:6]
	keys := []string{
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0305Z_aaaaaaaaaaaaaaaa.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0310Z_bbbbbbbbbbbbbbbb.json.gz",
	}
	for i, k := range keys {
		_, err := w.minio.Client(t).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(k),
			Body: bytes.NewReader(testdata.Gzip(t, logFile(recs[3*i:3*i+3])))})
		require.NoError(t, err)
	}
	url, _ := w.queue(t, "deliveries")
	send := func(body string) {
		_, err := w.sqs.SendMessage(ctx, &awssqs.SendMessageInput{QueueUrl: &url, MessageBody: aws.String(body)})
		require.NoError(t, err)
	}
	send(`{"s3Bucket":"trail-bucket","s3ObjectKey":["` + keys[0] + `"]}`)
	snsWrapped, err := json.Marshal(map[string]string{"Type": "Notification", "Message": `{"s3Bucket":"trail-bucket","s3ObjectKey":["` + keys[1] + `"]}`})
	require.NoError(t, err)
	send(string(snsWrapped))

	res := runS3Bin(t, bin, w.env, "cat", "--sqs-queue-url", url)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, recs, lines(res.stdout), "every record of both files, losslessly")
	assert.Empty(t, w.drain(t, url), "every message deleted")

	res = runS3Bin(t, bin, w.env, "cat", "--follow", "x")
	assert.Equal(t, 2, res.code)
	assert.Contains(t, res.stderr, "--follow is for --sqs-queue-url")
}

// cat reads what aws cloudtrail lookup-events prints, pages concatenated.
func TestCatLookupEventsOutput(t *testing.T) {
	recs := corpusRecords(t)[:3]
	page := func(rs []string, next string) map[string]any {
		var events []map[string]any
		for i, r := range rs {
			var rec event.Record
			require.NoError(t, event.Unmarshal([]byte(r), &rec))
			events = append(events, map[string]any{"EventId": fmt.Sprint("e", i), "EventName": rec.EventName, "ReadOnly": "true",
				"EventTime": "2026-01-02T03:04:05+00:00", "EventSource": rec.EventSource, "Resources": []any{}, "CloudTrailEvent": r})
		}
		p := map[string]any{"Events": events}
		if next != "" {
			p["NextToken"] = next
		}
		return p
	}
	var doc strings.Builder
	for _, p := range []map[string]any{page(recs[:2], "tok"), page(recs[2:], "")} {
		b, err := json.MarshalIndent(p, "", "    ")
		require.NoError(t, err)
		doc.Write(b)
		doc.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "lookup-events.json")
	require.NoError(t, os.WriteFile(path, []byte(doc.String()), 0o644))
	res := runBin(t, buildTrailkit(t), nil, "cat", path)
	require.Equal(t, 0, res.code, res.stderr)
	assert.Equal(t, recs, lines(res.stdout))
}
