package cloudwatchlogs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/sink/cloudwatchlogs"
	"github.com/trailkit/trailkit/trail"
)

// A trail with the sink among its sinks: what the trail delivers reaches
// the log group, each record once, though the trail puts files
// concurrently.
func TestTrailDeliversToCloudWatchLogs(t *testing.T) {
	endpoint := startMoto(t)
	client := newClient(t, endpoint)
	logs, err := cloudwatchlogs.New(client, cloudwatchlogs.Options{LogGroup: "trail-logs", Create: true})
	require.NoError(t, err)
	tr, err := trail.New(trail.Config{
		Name: "to-logs", AccountID: "123456789012", HomeRegion: "us-east-1",
		IncludeGlobalServiceEvents: true, LogAllEvents: true,
		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{logs}},
		Files:    trail.FileOptions{MaxRecords: 100}, // several files, put concurrently
	})
	require.NoError(t, err)
	recs := recentRecords(1000, 21)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, r := range recs {
		require.NoError(t, tr.Emit(ctx, r))
	}
	require.NoError(t, tr.Close(ctx))
	require.Equal(t, int64(len(recs)), tr.Counters().Delivered)

	got := getAll(t, client, "trail-logs", "123456789012_CloudTrail_us-east-1")
	require.Len(t, got, len(recs))
	seen := map[string]bool{}
	for _, e := range got {
		seen[aws.ToString(e.Message)] = true
	}
	for _, r := range recs {
		assert.True(t, seen[string(r.AppendJSON(nil))], "record %s", r.EventID)
	}
	assert.GreaterOrEqual(t, logs.Stats().Objects, uint64(10))
}
