package cloudwatchlogs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/sink/cloudwatchlogs"
)

const logKey = "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/25/123456789012_CloudTrail_us-east-1_20261125T1000Z_abcdefghijklmnop.json.gz"

// logFile writes records as a gzipped CloudTrail log file.
func logFile(t *testing.T, recs []*event.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, lw.Write(r))
	}
	require.NoError(t, lw.Close())
	return buf.Bytes()
}

// recentRecords generates n records over the last hours, shuffled as the
// records of a log file are.
func recentRecords(n int, seed uint64) []*event.Record {
	g := synth.New(seed, time.Now().Add(-3*time.Hour))
	recs := make([]*event.Record, n)
	for i := range recs {
		recs[i] = g.Record()
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
	return recs
}

type rejections struct {
	mu  sync.Mutex
	all []*cloudwatchlogs.RejectedError
}

func (r *rejections) add(e *cloudwatchlogs.RejectedError) {
	r.mu.Lock()
	r.all = append(r.all, e)
	r.mu.Unlock()
}

func TestPutSendsEveryRecordInOrder(t *testing.T) {
	endpoint := startMoto(t)
	client := newClient(t, endpoint)
	var rej rejections
	s, err := cloudwatchlogs.New(client, cloudwatchlogs.Options{LogGroup: "trail-logs", Create: true, OnRejected: rej.add})
	require.NoError(t, err)
	assert.Equal(t, "cloudwatchlogs:trail-logs", s.Bucket())

	// Enough records for several batches by size (synth records are 1 to 9
	// KB), plus one by count below.
	recs := recentRecords(3000, 1)
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, sink.Object{Key: logKey, Body: logFile(t, recs)}))
	// A digest is not sent.
	require.NoError(t, s.Put(ctx, sink.Object{
		Key:  "AWSLogs/123456789012/CloudTrail-Digest/us-east-1/2026/11/25/123456789012_CloudTrail-Digest_us-east-1_t_us-east-1_20261125T100000Z.json.gz",
		Body: []byte("not read"),
	}))

	got := getAll(t, client, "trail-logs", "123456789012_CloudTrail_us-east-1")
	require.Len(t, got, len(recs))
	want := map[string]string{}
	for _, r := range recs {
		want[r.EventID] = string(r.AppendJSON(nil))
	}
	var last int64
	for i, e := range got {
		var rec event.Record
		require.NoError(t, event.Unmarshal([]byte(aws.ToString(e.Message)), &rec), "event %d", i)
		assert.Equal(t, want[rec.EventID], aws.ToString(e.Message), "the message is the record as delivered")
		assert.Equal(t, rec.EventTime.UnixMilli(), aws.ToInt64(e.Timestamp), "timestamp is eventTime")
		assert.GreaterOrEqual(t, aws.ToInt64(e.Timestamp), last, "events in time order")
		last = aws.ToInt64(e.Timestamp)
		delete(want, rec.EventID)
	}
	assert.Empty(t, want, "every record arrived once")

	st := s.Stats()
	assert.Equal(t, uint64(len(recs)), st.Events)
	assert.Equal(t, uint64(1), st.Objects)
	assert.Equal(t, uint64(1), st.Skipped)
	assert.Greater(t, st.Batches, uint64(3), "over 1 MB of records takes several batches")
	assert.Zero(t, st.Rejected)
	assert.Empty(t, rej.all)
}

func TestPutManySmallRecordsSplitsByCount(t *testing.T) {
	endpoint := startMoto(t)
	client := newClient(t, endpoint)
	s, err := cloudwatchlogs.New(client, cloudwatchlogs.Options{LogGroup: "g", LogStream: "fixed", Create: true})
	require.NoError(t, err)
	recs := make([]*event.Record, 12000)
	now := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range recs {
		recs[i] = &event.Record{EventVersion: "1.11", EventTime: now.Add(time.Duration(i%600) * time.Second),
			EventName: "Ping", EventID: strings.Repeat("0", 8) + "-" + time.Duration(i).String()}
	}
	require.NoError(t, s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, recs)}))
	got := getAll(t, client, "g", "fixed")
	assert.Len(t, got, 12000)
	assert.Equal(t, uint64(2), s.Stats().Batches, "10,000 events, then 2,000")
}

func TestPutCutsOversizedRecords(t *testing.T) {
	endpoint := startMoto(t)
	client := newClient(t, endpoint)
	s, err := cloudwatchlogs.New(client, cloudwatchlogs.Options{LogGroup: "g", Create: true})
	require.NoError(t, err)
	big := recentRecords(1, 7)[0]
	big.RequestParameters = json.RawMessage(`{"a":"` + strings.Repeat("x", 99<<10) + `"}`)
	big.ResponseElements = json.RawMessage(`{"b":"` + strings.Repeat("y", 99<<10) + `"}`)
	big.AdditionalEventData = json.RawMessage(`{"c":"` + strings.Repeat("z", 27<<10) + `"}`)
	big.ServiceEventDetails = json.RawMessage(`{"d":"` + strings.Repeat("w", 60<<10) + `"}`)
	require.Greater(t, len(big.AppendJSON(nil)), 256<<10)
	require.NoError(t, s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, []*event.Record{big})}))
	got := getAll(t, client, "g", "123456789012_CloudTrail_us-east-1")
	require.Len(t, got, 1)
	msg := aws.ToString(got[0].Message)
	assert.LessOrEqual(t, len(msg)+cloudwatchlogs.EventOverhead, 256<<10)
	var rec event.Record
	require.NoError(t, event.Unmarshal([]byte(msg), &rec))
	assert.Equal(t, big.EventID, rec.EventID)
	assert.Equal(t, `{"omitted":true}`, string(rec.AdditionalEventData), "cut first, in CloudTrail's order")
	assert.Equal(t, uint64(1), s.Stats().Truncated)
}

func TestPutRejectsOutsideTheWindow(t *testing.T) {
	endpoint := startMoto(t)
	client := newClient(t, endpoint)
	var rej rejections
	s, err := cloudwatchlogs.New(client, cloudwatchlogs.Options{LogGroup: "g", Create: true, OnRejected: rej.add})
	require.NoError(t, err)
	recs := recentRecords(5, 3)
	old := recentRecords(3, 4)
	for _, r := range old {
		r.EventTime = r.EventTime.Add(-30 * 24 * time.Hour)
	}
	future := recentRecords(2, 5)
	for _, r := range future {
		r.EventTime = r.EventTime.Add(6 * time.Hour)
	}
	all := append(append(append([]*event.Record{}, old...), recs...), future...)
	require.NoError(t, s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, all)}))
	assert.Len(t, getAll(t, client, "g", "123456789012_CloudTrail_us-east-1"), 5)
	st := s.Stats()
	assert.Equal(t, uint64(5), st.Events)
	assert.Equal(t, uint64(5), st.Rejected)
	require.Len(t, rej.all, 1)
	assert.Equal(t, 3, rej.all[0].TooOld)
	assert.Equal(t, 2, rej.all[0].TooNew)
	assert.Contains(t, rej.all[0].Error(), logKey)

	// Only old records: nothing to send, the object is done.
	require.NoError(t, s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, old)}))
	assert.Equal(t, uint64(8), s.Stats().Rejected)
}

func TestPutWithoutCreateNeedsTheGroup(t *testing.T) {
	endpoint := startMoto(t)
	s, err := cloudwatchlogs.New(newClient(t, endpoint), cloudwatchlogs.Options{LogGroup: "absent"})
	require.NoError(t, err)
	err = s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, recentRecords(2, 9))})
	var nf *types.ResourceNotFoundException
	require.ErrorAs(t, err, &nf)
	assert.ErrorContains(t, err, logKey)
	assert.ErrorContains(t, err, "absent/123456789012_CloudTrail_us-east-1")
}

func TestPutBadLogFile(t *testing.T) {
	endpoint := startMoto(t)
	s, err := cloudwatchlogs.New(newClient(t, endpoint), cloudwatchlogs.Options{LogGroup: "g", Create: true})
	require.NoError(t, err)
	err = s.Put(context.Background(), sink.Object{Key: logKey, Body: []byte(`{"Records":[{"eventVersion":"1.11",`)})
	require.Error(t, err)
	assert.ErrorContains(t, err, logKey)
}

// throttler sits in front of moto and answers the first n PutLogEvents
// calls with ThrottlingException, as CloudWatch Logs does when an account
// exceeds its rate.
func throttler(t *testing.T, target string, n int32) (string, *atomic.Int32) {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	var throttled atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".PutLogEvents") && throttled.Load() < n {
			throttled.Add(1)
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"__type":"ThrottlingException","message":"Rate exceeded"}`)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &throttled
}

func TestPutRetriesThrottling(t *testing.T) {
	endpoint := startMoto(t)
	front, throttled := throttler(t, endpoint, 3)
	s, err := cloudwatchlogs.New(newClient(t, front), cloudwatchlogs.Options{
		LogGroup: "g", Create: true, InitialBackoff: 5 * time.Millisecond,
	})
	require.NoError(t, err)
	recs := recentRecords(20, 11)
	require.NoError(t, s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, recs)}))
	assert.Equal(t, int32(3), throttled.Load())
	assert.Equal(t, uint64(3), s.Stats().Retries)
	assert.Len(t, getAll(t, newClient(t, endpoint), "g", "123456789012_CloudTrail_us-east-1"), 20)

	// Throttled more often than MaxAttempts allows: the error comes back.
	front, _ = throttler(t, endpoint, 100)
	s, err = cloudwatchlogs.New(newClient(t, front), cloudwatchlogs.Options{
		LogGroup: "g", Create: true, MaxAttempts: 3, InitialBackoff: time.Millisecond,
	})
	require.NoError(t, err)
	err = s.Put(context.Background(), sink.Object{Key: logKey, Body: logFile(t, recs)})
	require.Error(t, err)
	assert.ErrorContains(t, err, "ThrottlingException")
	assert.Equal(t, uint64(2), s.Stats().Retries)

	// A cancelled context stops the waiting.
	front, _ = throttler(t, endpoint, 100)
	s, err = cloudwatchlogs.New(newClient(t, front), cloudwatchlogs.Options{
		LogGroup: "g", Create: true, InitialBackoff: time.Hour,
	})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err = s.Put(ctx, sink.Object{Key: logKey, Body: logFile(t, recs)})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded))
}

func TestBatches(t *testing.T) {
	ev := func(ms int64, size int) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(ms), Message: aws.String(strings.Repeat("x", size))}
	}
	many := func(n, size int) []types.InputLogEvent {
		out := make([]types.InputLogEvent, n)
		for i := range out {
			out[i] = ev(int64(i), size)
		}
		return out
	}
	day := (24 * time.Hour).Milliseconds()
	tests := []struct {
		name  string
		evs   []types.InputLogEvent
		sizes []int
	}{
		{"empty", nil, nil},
		{"one", many(1, 10), []int{1}},
		{"count limit", many(25000, 10), []int{10000, 10000, 5000}},
		{"bytes limit exactly", many(2, cloudwatchlogs.MaxBatchBytes/2-cloudwatchlogs.EventOverhead), []int{2}},
		{"bytes limit one over", many(2, cloudwatchlogs.MaxBatchBytes/2-cloudwatchlogs.EventOverhead+1), []int{1, 1}},
		{"24 hours exactly", []types.InputLogEvent{ev(0, 1), ev(day, 1)}, []int{2}},
		{"over 24 hours", []types.InputLogEvent{ev(0, 1), ev(1, 1), ev(day+1, 1), ev(2*day, 1)}, []int{2, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sizes []int
			total := 0
			for _, b := range cloudwatchlogs.Batches(tc.evs) {
				sizes = append(sizes, len(b))
				total += len(b)
				bytes := 0
				for _, e := range b {
					bytes += len(*e.Message) + cloudwatchlogs.EventOverhead
				}
				assert.LessOrEqual(t, bytes, cloudwatchlogs.MaxBatchBytes)
				assert.LessOrEqual(t, len(b), cloudwatchlogs.MaxBatchEvents)
			}
			assert.Equal(t, tc.sizes, sizes)
			assert.Equal(t, len(tc.evs), total)
		})
	}
}

func TestNewValidates(t *testing.T) {
	_, err := cloudwatchlogs.New(nil, cloudwatchlogs.Options{LogGroup: "g"})
	assert.Error(t, err)
	_, err = cloudwatchlogs.New(newClient(t, "http://127.0.0.1:1"), cloudwatchlogs.Options{})
	assert.ErrorContains(t, err, "LogGroup")
}
