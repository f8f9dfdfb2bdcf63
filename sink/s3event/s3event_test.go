package s3event_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/sink/s3event"
)

// notification builds an S3 event notification as S3 sends it, JSON and
// all: keys URL-encoded, decoded by nobody yet.
func notification(t *testing.T, bucket string, objs ...[2]string) events.S3Event {
	t.Helper()
	var recs []map[string]any
	for _, o := range objs {
		name, key := o[0], o[1]
		recs = append(recs, map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1",
			"eventTime": "2026-11-25T10:05:12.345Z", "eventName": name,
			"userIdentity": map[string]string{"principalId": "AWS:AROAEXAMPLE:regional-delivery"},
			"s3": map[string]any{
				"s3SchemaVersion": "1.0", "configurationId": "trail-logs",
				"bucket": map[string]any{"name": bucket, "arn": "arn:aws:s3:::" + bucket},
				"object": map[string]any{"key": url.QueryEscape(key), "size": 100, "sequencer": "0065"},
			},
		})
	}
	b, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(t, err)
	var ev events.S3Event
	require.NoError(t, json.Unmarshal(b, &ev))
	return ev
}

func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	_, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	require.NoError(t, err)
}

// readLocal reads a corpus file's records as the event package reads them.
func readLocal(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var ids []string
	for rec, err := range event.Read(f) {
		require.NoError(t, err)
		ids = append(ids, rec.EventID+"|"+rec.EventName)
	}
	return ids
}

const prefix = "my logs+archive/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/"

func TestRecordsFromMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	client := srv.Client(t)
	srv.CreateBucket(t, "trail-bucket")
	corpusLogs := testdata.Dir(t, "logfiles")

	files := []string{
		"boogy__CloudTrail-Log-Parser__examples__cloudtrail.json.gz",
		"flosell__trailscraper__tests__cloudtrail__data__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz",
	}
	var want []string
	var objs [][2]string
	for i, name := range files {
		body, err := os.ReadFile(filepath.Join(corpusLogs, name))
		require.NoError(t, err)
		key := fmt.Sprintf("%s111111111111_CloudTrail_eu-central-1_20171211T15%02dZ_%016d.json.gz", prefix, i, i)
		put(t, client, "trail-bucket", key, body)
		objs = append(objs, [2]string{"ObjectCreated:Put", key})
		want = append(want, readLocal(t, filepath.Join(corpusLogs, name))...)
	}
	// Announced but not read: a digest, a removal, another kind of object.
	objs = append(objs,
		[2]string{"ObjectCreated:Put", "AWSLogs/111111111111/CloudTrail-Digest/eu-central-1/2017/12/11/111111111111_CloudTrail-Digest_eu-central-1_t_eu-central-1_20171211T150000Z.json.gz"},
		[2]string{"ObjectRemoved:Delete", prefix + "gone.json.gz"},
		[2]string{"ObjectCreated:Put", "AWSLogs/111111111111/CloudTrail/ConfigWritabilityCheckFile"},
	)
	ev := notification(t, "trail-bucket", objs...)

	var got []string
	for rec, err := range s3event.Records(context.Background(), client, ev, s3event.Options{}) {
		require.NoError(t, err)
		got = append(got, rec.EventID+"|"+rec.EventName)
	}
	require.Len(t, got, 1681)
	assert.Equal(t, want, got, "every record of every log file, in order")
}

func TestRecordsErrors(t *testing.T) {
	srv := miniotest.Start(t)
	client := srv.Client(t)
	srv.CreateBucket(t, "bucket-b")
	corpusLogs := testdata.Dir(t, "logfiles")
	good, err := os.ReadFile(filepath.Join(corpusLogs, "boogy__CloudTrail-Log-Parser__examples__iam__CreateUser.json"))
	require.NoError(t, err)
	// A documentation example with a raw control character in a string:
	// not valid JSON, so its object fails and the next one is read.
	bad, err := os.ReadFile(filepath.Join(corpusLogs, "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-examples.md__block06.json"))
	require.NoError(t, err)
	put(t, client, "bucket-b", prefix+"bad.json.gz", bad)
	put(t, client, "bucket-b", prefix+"good.json.gz", good)

	ev := notification(t, "bucket-b",
		[2]string{"ObjectCreated:Put", prefix + "missing.json.gz"},
		[2]string{"ObjectCreated:Put", prefix + "bad.json.gz"},
		[2]string{"ObjectCreated:Put", prefix + "good.json.gz"},
	)
	var recs []*event.Record
	var errs []error
	for rec, err := range s3event.Records(context.Background(), client, ev, s3event.Options{}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, rec)
	}
	require.Len(t, errs, 2)
	var oe *s3event.ObjectError
	require.ErrorAs(t, errs[0], &oe)
	assert.Equal(t, prefix+"missing.json.gz", oe.Key)
	var nsk *types.NoSuchKey
	assert.ErrorAs(t, errs[0], &nsk)
	require.ErrorAs(t, errs[1], &oe)
	assert.Equal(t, prefix+"bad.json.gz", oe.Key)
	var re *event.ReadError
	assert.ErrorAs(t, errs[1], &re)
	assert.Contains(t, errs[1].Error(), "s3://bucket-b/"+prefix+"bad.json.gz")
	require.Len(t, recs, 1)
	assert.Equal(t, "CreateUser", recs[0].EventName)

	// Stopping early reads no further object.
	n := 0
	for range s3event.Records(context.Background(), client, ev, s3event.Options{}) {
		n++
		break
	}
	assert.Equal(t, 1, n)

	// A cancelled context is an error for each object, without a request.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errs = nil
	for _, err := range s3event.Records(ctx, client, ev, s3event.Options{}) {
		errs = append(errs, err)
	}
	require.Len(t, errs, 3)
	assert.ErrorIs(t, errs[2], context.Canceled)
}

func TestObjects(t *testing.T) {
	ev := notification(t, "bucket-b",
		[2]string{"ObjectCreated:CompleteMultipartUpload", "a b/AWSLogs/o-abc/1/CloudTrail/us-east-1/x.json.gz"},
		[2]string{"ObjectCreated:Copy", "AWSLogs/1/CloudTrail-Insight/us-east-1/y.json.gz"},
		[2]string{"ObjectCreated:Put", "AWSLogs/1/CloudTrail/us-east-1/plain.json"},
		[2]string{"ObjectCreated:Put", "key+with%plus:colon/CloudTrail/z.json.gz"},
	)
	ev.Records = append(ev.Records, events.S3EventRecord{EventName: "ObjectCreated:Put",
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: "bucket-b"}, Object: events.S3Object{Key: "bad%zzkey/CloudTrail/x.json.gz"}}})
	objs, err := s3event.Objects(ev, s3event.Options{})
	var oe *s3event.ObjectError
	require.ErrorAs(t, err, &oe)
	assert.Equal(t, "bad%zzkey/CloudTrail/x.json.gz", oe.Key)
	var keys []string
	for _, o := range objs {
		assert.Equal(t, "bucket-b", o.Bucket)
		keys = append(keys, o.Key)
	}
	assert.Equal(t, []string{
		"a b/AWSLogs/o-abc/1/CloudTrail/us-east-1/x.json.gz",
		"AWSLogs/1/CloudTrail-Insight/us-east-1/y.json.gz",
		"key+with%plus:colon/CloudTrail/z.json.gz",
	}, keys)

	objs, err = s3event.Objects(ev, s3event.Options{Filter: func(bucket, key string) bool { return strings.HasSuffix(key, ".json") }})
	require.Error(t, err)
	require.Len(t, objs, 1)
	assert.Equal(t, "AWSLogs/1/CloudTrail/us-east-1/plain.json", objs[0].Key)
}
