package redact_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
)

// payload returns a JSON object of about n bytes.
func payload(n int) json.RawMessage {
	return json.RawMessage(`{"data":"` + strings.Repeat("x", n-11) + `"}`)
}

func cutNames(res redact.LimitResult) []string {
	var out []string
	for _, c := range res.Cuts {
		out = append(out, c.Field+":"+c.Action)
	}
	return out
}

func TestLimit(t *testing.T) {
	const KB = 1 << 10
	tests := []struct {
		name   string
		modify func(r *event.Record)
		want   []string
		check  func(t *testing.T, r *event.Record)
	}{
		{"small record is untouched", func(r *event.Record) {}, nil, nil},
		{"requestParameters over 100 KB is omitted", func(r *event.Record) {
			r.RequestParameters = payload(101 * KB)
		}, []string{"requestParameters:omitted"}, func(t *testing.T, r *event.Record) {
			assert.Equal(t, `{"omitted":true}`, string(r.RequestParameters))
			assert.Contains(t, string(r.ResponseElements), "AKIANEW", "other payloads kept")
		}},
		{"exactly 100 KB is kept", func(r *event.Record) {
			r.ResponseElements = payload(100 * KB)
		}, nil, nil},
		{"additionalEventData over 28 KB is omitted", func(r *event.Record) {
			r.AdditionalEventData = payload(29 * KB)
		}, []string{"additionalEventData:omitted"}, nil},
		{"long strings are cut to 1 KB", func(r *event.Record) {
			r.UserAgent = strings.Repeat("€", 700) // 2100 bytes; byte 1024 falls inside a rune
			r.ErrorCode = strings.Repeat("E", 2*KB)
			r.ErrorMessage = strings.Repeat("m", 5*KB)
		}, []string{"userAgent:truncated", "errorCode:truncated", "errorMessage:truncated"}, func(t *testing.T, r *event.Record) {
			assert.True(t, utf8.ValidString(r.UserAgent))
			assert.Equal(t, strings.Repeat("€", 341)+"...", r.UserAgent)
			assert.Equal(t, strings.Repeat("E", KB-1)+"...", r.ErrorCode)
			assert.Len(t, r.ErrorMessage, KB+2)
		}},
		{"over 256 KB: fields go in CloudTrail's order", func(r *event.Record) {
			r.RequestParameters = payload(99 * KB)
			r.ResponseElements = payload(99 * KB)
			r.ServiceEventDetails = payload(99 * KB)
			r.AdditionalEventData = payload(20 * KB)
			r.RequestID = "req-1"
			r.Annotation = "note"
		}, []string{"annotation:removed", "requestID:removed", "additionalEventData:omitted", "serviceEventDetails:omitted"},
			func(t *testing.T, r *event.Record) {
				assert.Empty(t, r.RequestID)
				assert.Len(t, r.RequestParameters, 99*KB, "kept: it comes late in the order")
				assert.Len(t, r.ResponseElements, 99*KB)
			}},
		{"huge parts beyond CloudTrail's list", func(r *event.Record) {
			r.RequestParameters = payload(99 * KB)
			r.ResponseElements = payload(99 * KB)
			r.Extra = []event.Field{{Key: "big", Value: payload(200 * KB)}, {Key: "small", Value: json.RawMessage(`1`)}}
			for range 3000 {
				r.Resources = append(r.Resources, event.Resource{ARN: "arn:aws:s3:::" + strings.Repeat("b", 60), Type: "AWS::S3::Bucket"})
			}
			r.UserIdentity.SessionContext = &event.SessionContext{SourceIdentity: strings.Repeat("s", 300*KB)}
		}, []string{"responseElements:omitted", "requestParameters:omitted", "big:removed", "small:removed", "resources:removed", "userIdentity:truncated"},
			func(t *testing.T, r *event.Record) {
				assert.Equal(t, "alice", r.UserIdentity.UserName)
				assert.Nil(t, r.UserIdentity.SessionContext)
				assert.Empty(t, r.Extra)
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := testRecord()
			tc.modify(r)
			res := redact.Limit(r, 0)
			assert.Equal(t, tc.want, cutNames(res))
			out := r.AppendJSON(nil)
			assert.True(t, res.Fits)
			assert.GreaterOrEqual(t, res.Size, len(out), "Size is the size or a bound of it")
			assert.LessOrEqual(t, len(out), redact.MaxRecordBytes)
			assert.True(t, json.Valid(out))
			if tc.check != nil {
				tc.check(t, r)
			}
			again := redact.Limit(r, 0)
			assert.Empty(t, again.Cuts, "a limited record needs no further cut")
		})
	}
}

func TestLimitSmallMax(t *testing.T) {
	r := testRecord()
	r.ResponseElements = payload(5000)
	res := redact.Limit(r, 4096)
	assert.True(t, res.Fits)
	assert.Equal(t, []string{"responseElements:omitted"}, cutNames(res))

	r = testRecord()
	res = redact.Limit(r, 10)
	assert.False(t, res.Fits, "identifying fields alone exceed 10 bytes")
	assert.True(t, json.Valid(r.AppendJSON(nil)))
}

// No corpus record is near CloudTrail's limits: Limit leaves each byte as it was.
func TestLimitCorpusUnchanged(t *testing.T) {
	sc := event.NewScanner(openCorpus(t, "records.jsonl"))
	for sc.Scan() {
		raw := append([]byte(nil), sc.Bytes()...)
		var rec event.Record
		require.NoError(t, event.Unmarshal(raw, &rec))
		res := redact.Limit(&rec, 0)
		require.Empty(t, res.Cuts, "record %d", sc.Index())
		require.Equal(t, string(raw), string(rec.AppendJSON(nil)))
	}
	require.NoError(t, sc.Err())
}

// The quick bound Limit uses instead of encoding must never be below the
// real size: checked on every corpus record, and on records with the worst
// escaping.
func TestLimitBoundIsAnUpperBound(t *testing.T) {
	check := func(r *event.Record) {
		t.Helper()
		size := len(r.AppendJSON(nil))
		res := redact.Limit(r, size) // exactly the size: must fit
		require.True(t, res.Fits)
		require.Empty(t, res.Cuts)
		require.GreaterOrEqual(t, res.Size, size)
	}
	sc := event.NewScanner(openCorpus(t, "records.jsonl"))
	for sc.Scan() {
		var rec event.Record
		require.NoError(t, event.Unmarshal(sc.Bytes(), &rec))
		check(&rec)
	}
	require.NoError(t, sc.Err())
	r := testRecord()
	r.ErrorMessage = strings.Repeat("\x01", 1000)
	r.UserIdentity.UserName = strings.Repeat("\"\\", 3000)
	r.Extra = []event.Field{{Key: strings.Repeat("\x02", 500), Value: json.RawMessage(`1`)}}
	check(r)
}
