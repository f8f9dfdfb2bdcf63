package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/internal/testdata"
)

// consoleLoginFile is a log file of the corpus's ConsoleLogin records (9 of
// the 26 failed) among generated records.
func consoleLoginFile(t *testing.T) []byte {
	t.Helper()
	f, err := os.Open(testdata.Path(t, "records.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	g := synth.New(1, time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC))
	sc := event.NewScanner(f)
	logins := 0
	for sc.Scan() {
		if name, _ := event.Get(sc.Bytes(), "eventName").Text(); name == "ConsoleLogin" {
			require.NoError(t, lw.WriteRaw(sc.Bytes()))
			logins++
			for range 10 {
				rec := g.Record()
				if rec.EventName == "ConsoleLogin" {
					rec.ResponseElements = json.RawMessage(`{"ConsoleLogin":"Success"}`)
				}
				require.NoError(t, lw.Write(rec))
			}
		}
	}
	require.NoError(t, sc.Err())
	require.Equal(t, 26, logins)
	require.NoError(t, lw.Close())
	return buf.Bytes()
}

func s3Event(bucket string, keys ...string) events.S3Event {
	var ev events.S3Event
	for _, k := range keys {
		ev.Records = append(ev.Records, events.S3EventRecord{
			EventSource: "aws:s3", EventName: "ObjectCreated:Put",
			S3: events.S3Entity{Bucket: events.S3Bucket{Name: bucket}, Object: events.S3Object{Key: url.QueryEscape(k)}},
		})
	}
	return ev
}

func TestHandlerPrintsFailedConsoleLogins(t *testing.T) {
	srv := miniotest.Start(t)
	client := srv.Client(t)
	srv.CreateBucket(t, "trail-bucket")
	key := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/25/111122223333_CloudTrail_us-east-1_20261125T1005Z_0123456789abcdef.json.gz"
	_, err := client.PutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("trail-bucket"), Key: aws.String(key), Body: bytes.NewReader(consoleLoginFile(t)),
	})
	require.NoError(t, err)

	var out bytes.Buffer
	h := &Handler{S3: client, Out: &out}
	require.NoError(t, h.Handle(context.Background(), s3Event("trail-bucket", key)))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 9, "%s", out.String())
	assert.Contains(t, lines, `2014-07-08T17:35:27Z failed console login: user=alice account=12345679012 ip=192.0.2.0 mfa=No reason="Failed authentication"`)
	for _, l := range lines {
		assert.Contains(t, l, "failed console login")
	}

	// A missing object fails the invocation (Lambda retries it); the
	// files that could be read are reported all the same.
	out.Reset()
	err = h.Handle(context.Background(), s3Event("trail-bucket", strings.Replace(key, "0123", "9999", 1), key))
	var nsk *types.NoSuchKey
	require.ErrorAs(t, err, &nsk)
	assert.Len(t, strings.Split(strings.TrimSpace(out.String()), "\n"), 9)
}

func TestFailedConsoleLogin(t *testing.T) {
	tests := []struct {
		name string
		rec  event.Record
		want bool
	}{
		{"failure", event.Record{EventName: "ConsoleLogin", ResponseElements: json.RawMessage(`{"ConsoleLogin":"Failure"}`)}, true},
		{"success", event.Record{EventName: "ConsoleLogin", ResponseElements: json.RawMessage(`{"ConsoleLogin":"Success"}`)}, false},
		{"error without outcome", event.Record{EventName: "ConsoleLogin", ErrorMessage: "No username found in supplied account"}, true},
		{"other event", event.Record{EventName: "GetObject", ResponseElements: json.RawMessage(`{"ConsoleLogin":"Failure"}`)}, false},
		{"null response", event.Record{EventName: "ConsoleLogin", ResponseElements: json.RawMessage(`null`)}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, FailedConsoleLogin(&tc.rec))
		})
	}
}
