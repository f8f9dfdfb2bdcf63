package history_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail/history"
)

// memStore is a sink.Store over a map, recording the prefixes listed.
type memStore struct {
	mu      sync.Mutex
	objects map[string][]byte
	listed  []string
}

func (m *memStore) Bucket() string { return "mem" }

func (m *memStore) List(_ context.Context, prefix, after string) iter.Seq2[sink.ObjectInfo, error] {
	m.mu.Lock()
	m.listed = append(m.listed, prefix)
	var keys []string
	for k := range m.objects {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	m.mu.Unlock()
	slices.Sort(keys)
	return func(yield func(sink.ObjectInfo, error) bool) {
		for _, k := range keys {
			if !yield(sink.ObjectInfo{Key: k, Size: int64(len(m.objects[k]))}, nil) {
				return
			}
		}
	}
}

func (m *memStore) Get(_ context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.objects[key]
	if !ok {
		return nil, sink.ObjectInfo{}, fmt.Errorf("get %s: %w", key, sink.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(b)), sink.ObjectInfo{Key: key, Size: int64(len(b))}, nil
}

// put writes a log file holding recs, delivered at the given time.
func (m *memStore) put(t *testing.T, prefix, account, region string, delivered time.Time, recs ...*event.Record) string {
	t.Helper()
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, lw.Write(r))
	}
	require.NoError(t, lw.Close())
	acct := account[strings.LastIndexByte(account, '/')+1:]
	key := fmt.Sprintf("%sAWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%016d.json.gz", prefix, account, region,
		delivered.Format("2006/01/02"), acct, region, delivered.Format("20060102T1504Z"), len(m.objects))
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.objects == nil {
		m.objects = map[string][]byte{}
	}
	m.objects[key] = buf.Bytes()
	return key
}

var t0 = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func rec(id string, at time.Time, mutate ...func(*event.Record)) *event.Record {
	r := &event.Record{EventVersion: "1.11", EventID: id, EventTime: at, EventSource: "s3.amazonaws.com",
		EventName: "GetObject", AWSRegion: "us-east-1", ReadOnly: event.Bool(true),
		UserIdentity: &event.UserIdentity{Type: "IAMUser", UserName: "alice", AccessKeyID: "AKIAALICE"}}
	for _, m := range mutate {
		m(r)
	}
	return r
}

func ids(events []history.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.EventID
	}
	return out
}

func lookup(t *testing.T, store sink.Store, in history.Input) history.Output {
	t.Helper()
	out, err := history.Lookup(context.Background(), store, in)
	require.NoError(t, err)
	return out
}

func TestLookupNewestFirstAcrossDaysRegionsAndAccounts(t *testing.T) {
	s := &memStore{}
	s.put(t, "", "111122223333", "us-east-1", t0.Add(5*time.Minute), rec("a", t0), rec("b", t0.Add(time.Minute)))
	s.put(t, "", "111122223333", "eu-west-1", t0.Add(-24*time.Hour), rec("c", t0.Add(-24*time.Hour-time.Minute)))
	s.put(t, "", "o-abcdefghij/444455556666", "us-east-1", t0.Add(48*time.Hour), rec("d", t0.Add(48*time.Hour-time.Minute)))
	s.put(t, "", "111122223333", "us-east-1", t0.Add(10*time.Minute), rec("e", t0.Add(2*time.Minute)))

	out := lookup(t, s, history.Input{EndTime: t0.Add(72 * time.Hour)})
	assert.Equal(t, []string{"d", "e", "b", "a", "c"}, ids(out.Events))
	assert.Empty(t, out.NextToken)
	assert.Equal(t, int64(5), out.Read.Records)
	assert.Equal(t, int64(4), out.Read.Files)
	assert.JSONEq(t, string(rec("d", t0.Add(48*time.Hour-time.Minute)).AppendJSON(nil)), string(out.Events[0].CloudTrailEvent))

	out = lookup(t, s, history.Input{EndTime: t0.Add(72 * time.Hour), Regions: []string{"eu-west-1"}})
	assert.Equal(t, []string{"c"}, ids(out.Events))
	out = lookup(t, s, history.Input{EndTime: t0.Add(72 * time.Hour), AccountIDs: []string{"444455556666"}})
	assert.Equal(t, []string{"d"}, ids(out.Events))
}

func TestLookupAttributes(t *testing.T) {
	s := &memStore{}
	s.put(t, "logs/", "111122223333", "us-east-1", t0.Add(5*time.Minute),
		rec("plain", t0),
		rec("put", t0.Add(time.Second), func(r *event.Record) {
			r.EventName, r.ReadOnly = "PutObject", event.Bool(false)
			r.Resources = []event.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::bucket/key.txt"}}
		}),
		rec("role", t0.Add(2*time.Second), func(r *event.Record) {
			r.EventSource, r.EventName, r.ReadOnly = "ec2.amazonaws.com", "StopInstances", event.Bool(false)
			r.UserIdentity = &event.UserIdentity{Type: "AssumedRole", ARN: "arn:aws:sts::111122223333:assumed-role/Admin/bob", AccessKeyID: "ASIABOB"}
			r.Resources = []event.Resource{{Type: "AWS::EC2::Instance", ARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-0abc"}}
		}),
		rec("root", t0.Add(3*time.Second), func(r *event.Record) {
			r.UserIdentity = &event.UserIdentity{Type: "Root"}
			r.ReadOnly = nil
		}),
	)
	tests := []struct {
		attr string
		want []string
	}{
		{"EventId=put", []string{"put"}},
		{"EventName=GetObject", []string{"root", "plain"}},
		{"ReadOnly=false", []string{"role", "put"}},
		{"ReadOnly=true", []string{"plain"}},
		{"Username=alice", []string{"put", "plain"}},
		{"Username=bob", []string{"role"}},
		{"Username=root", []string{"root"}},
		{"ResourceType=AWS::EC2::Instance", []string{"role"}},
		{"ResourceName=i-0abc", []string{"role"}},
		{"ResourceName=bucket/key.txt", []string{"put"}},
		{"ResourceName=arn:aws:s3:::bucket/key.txt", []string{"put"}},
		{"EventSource=ec2.amazonaws.com", []string{"role"}},
		{"AccessKeyId=ASIABOB", []string{"role"}},
		{"AttributeKey=EventName,AttributeValue=PutObject", []string{"put"}},
		{"EventName=Nothing", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.attr, func(t *testing.T) {
			a, err := history.ParseAttribute(tt.attr)
			require.NoError(t, err)
			out := lookup(t, s, history.Input{KeyPrefix: "logs", EndTime: t0.Add(time.Hour), Attributes: []history.Attribute{a}})
			assert.Equal(t, tt.want, ids(out.Events))
		})
	}
	both := []history.Attribute{{Key: history.EventSource, Value: "s3.amazonaws.com"}, {Key: history.ReadOnly, Value: "false"}}
	out := lookup(t, s, history.Input{KeyPrefix: "logs", EndTime: t0.Add(time.Hour), Attributes: both})
	assert.Equal(t, []string{"put"}, ids(out.Events), "several attributes must all match")
	assert.Equal(t, []history.Resource{{ResourceType: "AWS::S3::Object", ResourceName: "bucket/key.txt"}}, out.Events[0].Resources)
	assert.Equal(t, "alice", out.Events[0].Username)
	assert.Equal(t, "false", out.Events[0].ReadOnly)
}

func TestLookupPagination(t *testing.T) {
	s := &memStore{}
	for i := range 23 {
		at := t0.Add(time.Duration(i) * 7 * time.Hour)
		// Two records share each second, so ties are ordered by eventID.
		s.put(t, "", "111122223333", "us-east-1", at.Add(4*time.Minute), rec(fmt.Sprintf("x%02d", i), at), rec(fmt.Sprintf("y%02d", i), at))
	}
	var want []string // newest first
	for i := 22; i >= 0; i-- {
		want = append(want, fmt.Sprintf("y%02d", i), fmt.Sprintf("x%02d", i))
	}

	in := history.Input{StartTime: t0, EndTime: t0.Add(30 * 24 * time.Hour), MaxResults: 5}
	var got []string
	pages := 0
	for {
		out := lookup(t, s, in)
		pages++
		assert.LessOrEqual(t, len(out.Events), 5)
		got = append(got, ids(out.Events)...)
		if out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
		require.Less(t, pages, 20, "pagination does not end")
	}
	assert.Equal(t, want, got, "pages concatenate to every event once, newest first")
	assert.Equal(t, 10, pages)

	first := lookup(t, s, history.Input{StartTime: t0, EndTime: t0.Add(30 * 24 * time.Hour), MaxResults: 5})
	other := history.Input{StartTime: t0, EndTime: t0.Add(29 * 24 * time.Hour), MaxResults: 5, NextToken: first.NextToken}
	_, err := history.Lookup(context.Background(), s, other)
	assert.ErrorIs(t, err, history.ErrInvalidNextToken)
	_, err = history.Lookup(context.Background(), s, history.Input{NextToken: "!!"})
	assert.ErrorIs(t, err, history.ErrInvalidNextToken)
}

// With no EndTime, later pages keep the first page's time range rather
// than moving with the clock.
func TestLookupPaginationWithDefaultTimes(t *testing.T) {
	s := &memStore{}
	for i := range 4 {
		s.put(t, "", "111122223333", "us-east-1", t0.Add(time.Duration(i)*time.Hour), rec(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour-time.Minute)))
	}
	now := t0.Add(24 * time.Hour)
	clock := func() time.Time { return now }
	out := lookup(t, s, history.Input{MaxResults: 2, Now: clock})
	require.NotEmpty(t, out.NextToken)
	now = now.Add(time.Hour)
	out2 := lookup(t, s, history.Input{MaxResults: 2, Now: clock, NextToken: out.NextToken})
	assert.Equal(t, []string{"3", "2", "1", "0"}, append(ids(out.Events), ids(out2.Events)...))
}

func TestLookupTimeRangeAndLateDelivery(t *testing.T) {
	s := &memStore{}
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	// A record from 23:58 delivered after midnight, in the next day's prefix.
	s.put(t, "", "111122223333", "us-east-1", midnight.Add(3*time.Minute), rec("late", midnight.Add(-2*time.Minute)), rec("next", midnight.Add(time.Minute)))
	s.put(t, "", "111122223333", "us-east-1", midnight.Add(-30*time.Minute), rec("early", midnight.Add(-35*time.Minute)))

	out := lookup(t, s, history.Input{StartTime: midnight.Add(-time.Hour), EndTime: midnight.Add(-time.Second)})
	assert.Equal(t, []string{"late", "early"}, ids(out.Events))
	out = lookup(t, s, history.Input{StartTime: midnight.Add(-2 * time.Minute), EndTime: midnight.Add(time.Minute)})
	assert.Equal(t, []string{"next", "late"}, ids(out.Events), "both ends are inclusive")

	// A record delivered ten days after its eventTime is found, however
	// long after the range its file was delivered.
	s.put(t, "", "111122223333", "us-east-1", midnight.AddDate(0, 0, 10), rec("very-late", midnight.Add(-50*time.Minute)))
	out = lookup(t, s, history.Input{StartTime: midnight.Add(-time.Hour), EndTime: midnight.Add(-time.Second)})
	assert.Equal(t, []string{"late", "early", "very-late"}, ids(out.Events))
	assert.Equal(t, int64(3), out.Read.Files, "each log file is read once")
}

// With the summaries of an earlier lookup, files whose records all lie
// outside the range, or hold no record with the attribute, are not read.
func TestLookupSkipsFilesBySummary(t *testing.T) {
	s := &memStore{}
	midnight := time.Date(2026, 3, 11, 0, 0, 0, 0, time.UTC)
	s.put(t, "", "111122223333", "us-east-1", midnight.Add(3*time.Minute), rec("late", midnight.Add(-2*time.Minute)), rec("next", midnight.Add(time.Minute)))
	s.put(t, "", "111122223333", "us-east-1", midnight.Add(-30*time.Minute), rec("early", midnight.Add(-35*time.Minute)))
	s.put(t, "", "111122223333", "us-east-1", midnight.Add(-25*time.Hour), rec("old", midnight.Add(-25*time.Hour)))
	s.put(t, "", "111122223333", "us-east-1", midnight.Add(-20*time.Minute), rec("bob", midnight.Add(-21*time.Minute), func(r *event.Record) {
		r.UserIdentity.UserName = "bob"
	}))
	sums := history.NewSummaries()
	in := history.Input{StartTime: midnight.Add(-time.Hour), EndTime: midnight.Add(-time.Second), Summaries: sums}
	out := lookup(t, s, in)
	assert.Equal(t, []string{"late", "bob", "early"}, ids(out.Events))
	assert.Equal(t, int64(4), out.Read.Files, "without summaries every file is read")
	assert.Equal(t, 4, sums.Len())

	out = lookup(t, s, in)
	assert.Equal(t, []string{"late", "bob", "early"}, ids(out.Events))
	assert.Equal(t, int64(3), out.Read.Files, "the file of the day before holds nothing of the range")

	in.Attributes = []history.Attribute{{Key: history.Username, Value: "bob"}}
	out = lookup(t, s, in)
	assert.Equal(t, []string{"bob"}, ids(out.Events))
	assert.Equal(t, int64(1), out.Read.Files, "only bob's file can hold his events")

	var saved bytes.Buffer
	_, err := sums.WriteTo(&saved)
	require.NoError(t, err)
	loaded := history.NewSummaries()
	_, err = loaded.ReadFrom(&saved)
	require.NoError(t, err)
	assert.False(t, loaded.Changed())
	in.Summaries = loaded
	out = lookup(t, s, in)
	assert.Equal(t, []string{"bob"}, ids(out.Events))
	assert.Equal(t, int64(1), out.Read.Files, "saved summaries serve as well")
	_, err = loaded.ReadFrom(strings.NewReader("something else"))
	assert.ErrorIs(t, err, history.ErrSummariesFormat)
}

func TestLookupDeduplicatesRedeliveries(t *testing.T) {
	s := &memStore{}
	r := rec("once", t0)
	s.put(t, "", "111122223333", "us-east-1", t0.Add(5*time.Minute), r)
	s.put(t, "", "111122223333", "us-east-1", t0.Add(10*time.Minute), r)
	out := lookup(t, s, history.Input{EndTime: t0.Add(time.Hour)})
	assert.Equal(t, []string{"once"}, ids(out.Events))
}

func TestLookupRejects(t *testing.T) {
	s := &memStore{}
	tests := []struct {
		name string
		in   history.Input
		want error
		msg  string
	}{
		{"start after end", history.Input{StartTime: t0, EndTime: t0.Add(-time.Second)}, history.ErrInvalidTimeRange, "is after end time"},
		{"page too large", history.Input{MaxResults: 51}, history.ErrInvalidMaxResults, "1 to 50"},
		{"negative page", history.Input{MaxResults: -1}, history.ErrInvalidMaxResults, "1 to 50"},
		{"unknown key", history.Input{Attributes: []history.Attribute{{Key: "Color", Value: "x"}}}, history.ErrInvalidLookupAttributes, `Attributes[0]: unknown attribute key "Color"`},
		{"empty value", history.Input{Attributes: []history.Attribute{{Key: history.EventName}}}, history.ErrInvalidLookupAttributes, "1 to 2000 characters"},
		{"bad readOnly", history.Input{Attributes: []history.Attribute{{Key: history.ReadOnly, Value: "yes"}}}, history.ErrInvalidLookupAttributes, "true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := history.Lookup(context.Background(), s, tt.in)
			require.ErrorIs(t, err, tt.want)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
	for _, bad := range []string{"EventName", "Color=red", "ReadOnly=maybe", "EventName=", "AttributeKey=EventName"} {
		_, err := history.ParseAttribute(bad)
		assert.ErrorIs(t, err, history.ErrInvalidLookupAttributes, bad)
	}
}

func TestLookupNamesABrokenLogFile(t *testing.T) {
	s := &memStore{}
	key := s.put(t, "", "111122223333", "us-east-1", t0.Add(5*time.Minute), rec("a", t0))
	s.objects[key] = []byte(`{"Records":[{"eventTime":"2026-03-10T12:00:00Z"},{"eventTime": 12`)
	_, err := history.Lookup(context.Background(), s, history.Input{EndTime: t0.Add(time.Hour)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), key)
}

// A page that is complete stops the lookup: with summaries, older files
// are not read.
func TestLookupStopsWhenThePageIsComplete(t *testing.T) {
	s := &memStore{}
	for d := range 60 {
		at := t0.AddDate(0, 0, -d)
		s.put(t, "", "111122223333", "us-east-1", at.Add(5*time.Minute), rec(fmt.Sprintf("d%02d", d), at))
	}
	in := history.Input{EndTime: t0.Add(time.Hour), MaxResults: 3, Summaries: history.NewSummaries()}
	out := lookup(t, s, in)
	assert.Equal(t, []string{"d00", "d01", "d02"}, ids(out.Events))
	assert.Equal(t, int64(60), out.Read.Files, "the first lookup summarizes every file")
	out = lookup(t, s, in)
	assert.Equal(t, []string{"d00", "d01", "d02"}, ids(out.Events))
	assert.NotEmpty(t, out.NextToken)
	// Four files make the page and show there is more; the rest read
	// ahead is bounded by twice the number of readers.
	assert.LessOrEqual(t, out.Read.Files, int64(4+2*runtime.GOMAXPROCS(0)))
	in.NextToken = out.NextToken
	out = lookup(t, s, in)
	assert.Equal(t, []string{"d03", "d04", "d05"}, ids(out.Events))
	// The file of the token's second is read again: it could hold events
	// of that second listed after the token's.
	assert.LessOrEqual(t, out.Read.Files, int64(5+2*runtime.GOMAXPROCS(0)), "the next page resumes where the last stopped")
}

// With the same Summaries, the pages of a query read the snapshot the
// first page listed; a new query sees what was delivered since.
func TestLookupPagesReadOneSnapshot(t *testing.T) {
	s := &memStore{}
	for i := range 4 {
		s.put(t, "", "111122223333", "us-east-1", t0.Add(time.Duration(i)*time.Hour), rec(fmt.Sprint(i), t0.Add(time.Duration(i)*time.Hour-time.Minute)))
	}
	in := history.Input{EndTime: t0.Add(24 * time.Hour), MaxResults: 2, Summaries: history.NewSummaries()}
	out := lookup(t, s, in)
	assert.Equal(t, []string{"3", "2"}, ids(out.Events))
	s.put(t, "", "111122223333", "us-east-1", t0.Add(5*time.Hour), rec("late", t0.Add(-time.Hour)))
	s.listed = nil
	in.NextToken = out.NextToken
	out = lookup(t, s, in)
	assert.Equal(t, []string{"1", "0"}, ids(out.Events))
	assert.Empty(t, out.NextToken)
	assert.Empty(t, s.listed, "the page lists nothing")

	in.NextToken = ""
	in.MaxResults = 10
	out = lookup(t, s, in)
	assert.Equal(t, []string{"3", "2", "1", "0", "late"}, ids(out.Events))
}

// A summary holds values written with escapes as what they are.
func TestLookupSummaryOfEscapedValues(t *testing.T) {
	s := &memStore{}
	s.put(t, "", "111122223333", "us-east-1", t0.Add(5*time.Minute), rec("quoted", t0, func(r *event.Record) {
		r.UserIdentity.UserName = `o"neil` // written as o\"neil
	}), rec("root", t0.Add(time.Second), func(r *event.Record) { r.UserIdentity = &event.UserIdentity{Type: "Root"} }))
	in := history.Input{EndTime: t0.Add(time.Hour), Summaries: history.NewSummaries()}
	lookup(t, s, in)
	for _, tt := range []struct{ user, id string }{{`o"neil`, "quoted"}, {"root", "root"}} {
		in.Attributes = []history.Attribute{{Key: history.Username, Value: tt.user}}
		out := lookup(t, s, in)
		assert.Equal(t, []string{tt.id}, ids(out.Events))
		assert.Equal(t, int64(1), out.Read.Files, "the summary does not rule the file out")
	}
}
