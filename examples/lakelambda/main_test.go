package main

import (
	"bytes"
	"context"
	"net/url"
	"path"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/lake"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// A log file lands in the trail bucket on MinIO; the handler, given its
// notification (twice, as S3 may deliver it), writes its Parquet objects
// into the lake bucket once, named after it.
func TestHandlerConvertsNewLogFiles(t *testing.T) {
	srv := miniotest.Start(t)
	client := srv.Client(t)
	srv.CreateBucket(t, "trail-bucket")
	srv.CreateBucket(t, "lake-bucket")
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/111122223333_CloudTrail_us-east-1_20261125T1005Z_0123456789abcdef.json.gz"
	var buf bytes.Buffer
	g := synth.New(3, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	g.Region = "us-east-1"
	require.NoError(t, g.WriteLogFile(&buf, 500))
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key), Body: bytes.NewReader(buf.Bytes())})
	require.NoError(t, err)

	store := s3sink.New(client, "lake-bucket", s3sink.Options{})
	h := &Handler{S3: client, Lake: store, Opts: lake.Options{Format: lake.OCSF, Prefix: "ext/trailkit/"}}
	ev := events.S3Event{Records: []events.S3EventRecord{{
		EventSource: "aws:s3", EventName: "ObjectCreated:Put",
		S3: events.S3Entity{Bucket: events.S3Bucket{Name: "trail-bucket"}, Object: events.S3Object{Key: url.QueryEscape(key)}},
	}}}
	for range 2 {
		require.NoError(t, h.Handle(context.Background(), ev))
		var keys []string
		for info, err := range store.List(context.Background(), "", "") {
			require.NoError(t, err)
			keys = append(keys, info.Key)
		}
		require.Len(t, keys, 1, "one partition: one account, one Region, one day")
		assert.Equal(t, "ext/trailkit/region=us-east-1/accountId="+g.Account+"/eventDay=20261125/", path.Dir(keys[0])+"/")
		assert.Equal(t, lake.Name(key)+".parquet", path.Base(keys[0]))
	}

	// A notification for a missing object fails the invocation.
	ev.Records[0].S3.Object.Key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/missing.json.gz"
	assert.ErrorContains(t, h.Handle(context.Background(), ev), "get s3://trail-bucket/AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/missing.json.gz")
}
