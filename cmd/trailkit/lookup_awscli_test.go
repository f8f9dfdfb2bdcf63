package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
)

// fakeCloudTrail answers LookupEvents with a canned response body and
// keeps the request bodies, so that the AWS CLI can print a response as it
// prints CloudTrail's.
type fakeCloudTrail struct {
	mu       sync.Mutex
	response []byte
	requests []string
}

func (f *fakeCloudTrail) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil || r.Header.Get("X-Amz-Target") != "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents" {
		http.Error(w, "not a LookupEvents request", http.StatusBadRequest)
		return
	}
	f.requests = append(f.requests, string(body))
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Write(f.response)
}

// awsLookupEvents runs "aws cloudtrail lookup-events" against the fake,
// which answers with response, and returns what the CLI printed. The CLI
// prints timestamps as its version 2 does by default (iso8601).
func awsLookupEvents(t *testing.T, fake *fakeCloudTrail, url string, response []byte, args ...string) string {
	t.Helper()
	aws, err := exec.LookPath("aws")
	require.NoError(t, err, "the AWS CLI (aws) is needed: make deps installs it")
	cfg := filepath.Join(t.TempDir(), "config")
	require.NoError(t, os.WriteFile(cfg, []byte("[default]\ncli_timestamp_format = iso8601\n"), 0o600))
	fake.mu.Lock()
	fake.response = response
	fake.mu.Unlock()
	cmd := exec.Command(aws, append([]string{"cloudtrail", "lookup-events", "--endpoint-url", url, "--no-paginate", "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+cfg, "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_ACCESS_KEY_ID=AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	return stdout.String()
}

// wireResponse turns lookup's printed output into the LookupEvents
// response CloudTrail would send for the same events: the same members,
// with EventTime as the epoch seconds of the wire format.
func wireResponse(t *testing.T, printed string) []byte {
	t.Helper()
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(printed), &out))
	for _, ev := range out["Events"].([]any) {
		m := ev.(map[string]any)
		at, err := time.Parse(time.RFC3339, m["EventTime"].(string))
		require.NoError(t, err)
		m["EventTime"] = float64(at.Unix())
	}
	b, err := json.Marshal(out)
	require.NoError(t, err)
	return b
}

// TestLookupJSONIsTheAWSCLIOutput checks that "trailkit lookup --output
// json" prints what "aws cloudtrail lookup-events" prints for the same
// events: the AWS CLI reads a response with its own model of LookupEvents
// (dropping any member the model does not name) and prints it; the two
// outputs must be equal, JSON value for JSON value. The types are checked
// too, since the CLI passes a string member's value through as it came.
func TestLookupJSONIsTheAWSCLIOutput(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := buildTrailkit(t)
	start := time.Date(2026, 4, 2, 8, 0, 0, 0, time.UTC)
	dir, _ := lookupTree(t, 8, start)
	putInsights(t, dir, start.Add(3*time.Hour))
	fake := &fakeCloudTrail{}
	srv := httptest.NewServer(fake)
	defer srv.Close()

	base := []string{"lookup", "--dir", dir, "--start-time", start.Format(time.RFC3339),
		"--end-time", start.Add(24 * time.Hour).Format(time.RFC3339), "--output", "json"}
	for _, tt := range []struct {
		name         string
		ours, theirs []string
		events       int
	}{
		{"events", []string{"--max-results", "3"}, nil, 3},
		{"insight", []string{"--event-category", "insight"}, []string{"--event-category", "insight"}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, bin, nil, append(base, tt.ours...)...)
			require.Equal(t, 0, r.code, r.stderr)
			printed := awsLookupEvents(t, fake, srv.URL, wireResponse(t, r.stdout), tt.theirs...)
			assert.JSONEq(t, printed, r.stdout)

			var got map[string]any
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &got))
			events := got["Events"].([]any)
			require.Len(t, events, tt.events)
			for _, ev := range events {
				m := ev.(map[string]any)
				for _, k := range []string{"EventId", "EventName", "EventTime", "EventSource", "CloudTrailEvent"} {
					assert.IsType(t, "", m[k], k)
				}
				for _, k := range []string{"ReadOnly", "AccessKeyId", "Username"} {
					if v, ok := m[k]; ok {
						assert.IsType(t, "", v, k)
					}
				}
				var rec event.Record
				require.NoError(t, event.Unmarshal([]byte(m["CloudTrailEvent"].(string)), &rec))
				assert.Equal(t, m["EventId"], rec.EventID)
				res, ok := m["Resources"].([]any)
				require.True(t, ok, "Resources is a list")
				for _, x := range res {
					assert.IsType(t, "", x.(map[string]any)["ResourceType"])
					assert.IsType(t, "", x.(map[string]any)["ResourceName"])
				}
				if tt.name == "insight" {
					assert.Equal(t, event.CategoryInsight, rec.EventCategory)
				} else {
					assert.Contains(t, []any{"true", "false"}, m["ReadOnly"])
				}
			}
			if tt.name == "events" {
				assert.IsType(t, "", got["NextToken"])
			}
		})
	}
	// The CLI sends the category as LookupEvents' EventCategory member.
	require.Len(t, fake.requests, 2)
	assert.JSONEq(t, `{"EventCategory":"insight"}`, fake.requests[1])
}

// putInsights stores an Insights file of two Insights events (the start
// and end of an unusual rate of CreateUser calls) in a directory trail.
func putInsights(t *testing.T, dir string, at time.Time) {
	t.Helper()
	d, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(t, err)
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	for i, state := range []string{"Start", "End"} {
		r := &event.Record{EventVersion: "1.08", EventTime: at.Add(time.Duration(i) * time.Hour),
			AWSRegion: "us-east-1", EventID: []string{"11111111-0000-4000-8000-000000000001", "11111111-0000-4000-8000-000000000002"}[i],
			EventType: event.TypeInsight, EventCategory: event.CategoryInsight, RecipientAccountID: "111122223333",
			SharedEventID: "22222222-0000-4000-8000-000000000000",
			InsightDetails: &event.InsightDetails{State: state, EventSource: "iam.amazonaws.com", EventName: "CreateUser",
				InsightType: "ApiCallRateInsight"}}
		require.NoError(t, lw.Write(r))
	}
	require.NoError(t, lw.Close())
	key := "AWSLogs/111122223333/CloudTrail-Insight/us-east-1/" + at.Format("2006/01/02") +
		"/111122223333_CloudTrail-Insight_us-east-1_" + at.Add(2*time.Hour).Format("20060102T1504Z") + "_AAAAAAAAAAAAAAAA.json.gz"
	require.NoError(t, d.Put(context.Background(), sink.Object{Key: key, Body: buf.Bytes(), ContentType: "application/json", ContentEncoding: "gzip"}))
}
