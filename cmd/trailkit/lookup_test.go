package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

// lookupTree delivers n records, one every 37 minutes from start, through
// a real trail into a directory, and returns the directory and the
// records' eventIDs newest first. Every third record is a PutObject of
// user bob; the others are GetObject of alice.
func lookupTree(t *testing.T, n int, start time.Time) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	d, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(t, err)
	clock := trail.NewManualClock(start)
	tr, err := trail.New(trail.Config{Name: "lookup", AccountID: "111122223333", HomeRegion: "us-east-1",
		Selectors: allEvents, Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{d}}, Clock: clock})
	require.NoError(t, err)
	ctx := context.Background()
	var ids []string
	for i := range n {
		at := start.Add(time.Duration(i) * 37 * time.Minute)
		clock.Set(at)
		r := event.New("s3.amazonaws.com", "GetObject")
		r.AWSRegion = "us-east-1"
		r.ReadOnly = event.Bool(true)
		r.UserIdentity = &event.UserIdentity{Type: "IAMUser", UserName: "alice", AccountID: "111122223333"}
		if i%3 == 0 {
			r.EventName, r.ReadOnly = "PutObject", event.Bool(false)
			r.UserIdentity.UserName = "bob"
		}
		r.EventTime = at // New stamps the current time
		r.Fill("111122223333", at)
		r.EventID = fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
		require.NoError(t, tr.Emit(ctx, r))
		ids = append([]string{r.EventID}, ids...)
	}
	require.NoError(t, tr.Close(ctx))
	return dir, ids
}

// allEvents logs data events too, so that GetObject and PutObject are
// logged as the S3 data events they are.
var allEvents = mustSelectors(`{"AdvancedEventSelectors":[
	{"Name":"management","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},
	{"Name":"s3","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]}`)

func mustSelectors(config string) selector.Config {
	cfg, err := selector.ParseConfig([]byte(config))
	if err != nil {
		panic(err)
	}
	return cfg
}

type lookupJSON struct {
	Events []struct {
		EventID         string `json:"EventId"`
		EventName       string
		Username        string
		EventTime       string
		CloudTrailEvent string
	}
	NextToken string
}

func decodeLookup(t *testing.T, out string) lookupJSON {
	t.Helper()
	var v lookupJSON
	require.NoError(t, json.Unmarshal([]byte(out), &v), out)
	return v
}

func TestLookupBinary(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := buildTrailkit(t)
	start := time.Date(2026, 2, 27, 22, 0, 0, 0, time.UTC)
	dir, ids := lookupTree(t, 120, start) // about three days
	end := start.Add(4 * 24 * time.Hour).Format(time.RFC3339)
	base := []string{"lookup", "--dir", dir, "--start-time", start.Format(time.RFC3339), "--end-time", end}

	t.Run("newest first, as JSON", func(t *testing.T) {
		r := runBin(t, bin, nil, append(base, "--output", "json", "--max-results", "200")...)
		require.Equal(t, 0, r.code, r.stderr)
		got := decodeLookup(t, r.stdout)
		var gotIDs []string
		for _, ev := range got.Events {
			gotIDs = append(gotIDs, ev.EventID)
			var rec event.Record
			require.NoError(t, event.Unmarshal([]byte(ev.CloudTrailEvent), &rec))
			assert.Equal(t, ev.EventID, rec.EventID)
		}
		assert.Equal(t, ids, gotIDs)
		assert.Empty(t, got.NextToken)
		assert.Empty(t, r.stderr, "no progress bar when stderr is not a terminal")
	})
	t.Run("attribute", func(t *testing.T) {
		r := runBin(t, bin, nil, append(base, "--output", "json", "--max-results", "200", "--lookup-attribute", "Username=bob")...)
		require.Equal(t, 0, r.code, r.stderr)
		got := decodeLookup(t, r.stdout)
		assert.Len(t, got.Events, 40)
		for _, ev := range got.Events {
			assert.Equal(t, "PutObject", ev.EventName)
		}
	})
	t.Run("pages with next tokens", func(t *testing.T) {
		var all []string
		args := append(base, "--output", "json", "--max-results", "7")
		for page := 0; ; page++ {
			require.Less(t, page, 30)
			r := runBin(t, bin, nil, args...)
			require.Equal(t, 0, r.code, r.stderr)
			got := decodeLookup(t, r.stdout)
			for _, ev := range got.Events {
				all = append(all, ev.EventID)
			}
			if got.NextToken == "" {
				break
			}
			args = append(append([]string{}, base...), "--output", "json", "--max-results", "7", "--next-token", got.NextToken)
		}
		assert.Equal(t, ids, all)
	})
	t.Run("time range reads only its days", func(t *testing.T) {
		from := start.Add(24 * time.Hour)
		to := from.Add(3 * time.Hour)
		r := runBin(t, bin, nil, "lookup", "--dir", dir, "--start-time", from.Format(time.RFC3339), "--end-time", to.Format(time.RFC3339), "--output", "json")
		require.Equal(t, 0, r.code, r.stderr)
		got := decodeLookup(t, r.stdout)
		require.NotEmpty(t, got.Events)
		for _, ev := range got.Events {
			at, err := time.Parse(time.RFC3339, ev.EventTime)
			require.NoError(t, err)
			assert.False(t, at.Before(from) || at.After(to), ev.EventTime)
		}
	})
	t.Run("table", func(t *testing.T) {
		r := runBin(t, bin, nil, append(base, "--max-results", "3")...)
		require.Equal(t, 0, r.code, r.stderr)
		rows := strings.Split(strings.TrimSpace(r.stdout), "\n")
		require.Len(t, rows, 5, r.stdout)
		assert.Contains(t, rows[0], "EVENT TIME")
		assert.Contains(t, rows[1], ids[0])
		assert.True(t, strings.HasPrefix(rows[4], "more events: --next-token "), rows[4])
	})

	errorCases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no store", []string{"lookup"}, 2, "give one of --dir or --s3"},
		{"both stores", []string{"lookup", "--dir", dir, "--s3", "s3://b"}, 2, "give one of --dir or --s3"},
		{"bad attribute", []string{"lookup", "--dir", dir, "--lookup-attribute", "Colour=red"}, 2, `InvalidLookupAttributesException: unknown attribute key "Colour"`},
		{"bad time", []string{"lookup", "--dir", dir, "--start-time", "yesterday"}, 2, `--start-time: cannot read "yesterday" as a time`},
		{"reversed range", []string{"lookup", "--dir", dir, "--start-time", "2026-03-02", "--end-time", "2026-03-01"}, 2, "is after --end-time"},
		{"bad output", []string{"lookup", "--dir", dir, "--output", "xml"}, 2, "--output must be json or table"},
		{"bad token", []string{"lookup", "--dir", dir, "--next-token", "nonsense"}, 2, "InvalidNextTokenException"},
		{"missing directory", []string{"lookup", "--dir", filepath.Join(dir, "nonexistent")}, 1, "no such file or directory"},
	}
	for _, tt := range errorCases {
		t.Run(tt.name, func(t *testing.T) {
			r := runBin(t, bin, nil, tt.args...)
			assert.Equal(t, tt.code, r.code, r.stderr)
			assert.Contains(t, r.stderr, tt.msg)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		})
	}
}

func TestLookupS3(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	bin := buildTrailkit(t)
	srv := miniotest.Start(t)
	client := srv.Client(t)
	srv.CreateBucket(t, "history")
	start := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	dir, ids := lookupTree(t, 10, start)
	local, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(t, err)
	remote := s3sink.New(client, "history", s3sink.Options{})
	ctx := context.Background()
	for info, err := range local.List(ctx, "AWSLogs/", "") {
		require.NoError(t, err)
		body, meta, err := sink.ReadAll(ctx, local, info.Key, 1<<30)
		require.NoError(t, err)
		require.NoError(t, remote.Put(ctx, sink.Object{Key: "team/" + info.Key, Body: body, Metadata: meta.Metadata}))
	}
	cmd := func(args ...string) result {
		t.Helper()
		return runS3Bin(t, bin, srv.Env(), args...)
	}
	r := cmd("lookup", "--s3", "s3://history/team", "--start-time", "2026-05-01", "--end-time", "2026-05-02", "--output", "json")
	require.Equal(t, 0, r.code, r.stderr)
	got := decodeLookup(t, r.stdout)
	require.Len(t, got.Events, len(ids))
	assert.Equal(t, ids[0], got.Events[0].EventID)

	r = cmd("lookup", "--s3", "s3://no-such-bucket-here", "--start-time", "2026-05-01")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "no-such-bucket-here")
}
