package event_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

// TestCorpusTraps checks, on the corpus records that carry them, each of the
// "traps" record-format.md lists: the value is decoded where the model can
// hold it, kept where it cannot, and written back as it was.
func TestCorpusTraps(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")
	tests := []struct {
		line  int    // 1-based line of records.jsonl
		trap  string // text that shows the trap is in the input
		check func(t *testing.T, r *event.Record, out string)
	}{
		{2915, `9007199254740993`, func(t *testing.T, r *event.Record, out string) {
			assert.Contains(t, out, `9007199254740993`, "an integer beyond 2^53 keeps its digits")
		}},
		{2915, `0.1000000000000000055511151231257827`, func(t *testing.T, r *event.Record, out string) {
			assert.Contains(t, out, `0.1000000000000000055511151231257827`)
		}},
		{2915, `-0.0`, func(t *testing.T, r *event.Record, out string) { assert.Contains(t, out, `-0.0`) }},
		{2915, `1.5e-7`, func(t *testing.T, r *event.Record, out string) { assert.Contains(t, out, `1.5e-7`) }},
		{3527, `"readOnly"`, func(t *testing.T, r *event.Record, out string) {
			keys := topKeys(t, []byte(out))
			assert.Equal(t, 2, count(keys, "readOnly"), "both copies of a duplicate key are kept")
			assert.Equal(t, 2, count(keys, "eventType"))
			assert.Equal(t, topKeys(t, lines[3526]), keys, "in their places")
		}},
		{2914, `日本語`, func(t *testing.T, r *event.Record, out string) {
			assert.Contains(t, out, "日本語")
			assert.Contains(t, out, "😀")
		}},
		{3277, `"mfaAuthenticated":false`, func(t *testing.T, r *event.Record, out string) {
			mfa, ok := r.UserIdentity.SessionContext.Attributes.MFA()
			assert.True(t, ok, "a JSON boolean is read too")
			assert.False(t, mfa)
			assert.Contains(t, out, `"mfaAuthenticated":false`)
		}},
		{3314, `"deviceID"`, func(t *testing.T, r *event.Record, out string) {
			assert.Equal(t, "op-01ac5d28a6a232904", r.EdgeDeviceDetails.ID())
			assert.Equal(t, "outposts", r.EdgeDeviceDetails.Type)
		}},
		{3046, `"arn":"arn:aws:s3:::my-source-bucket"`, func(t *testing.T, r *event.Record, out string) {
			require.NotEmpty(t, r.Resources)
			assert.Equal(t, "AWS::S3::Bucket", r.Resources[0].Type)
			assert.Equal(t, "arn", r.Resources[0].Extra[0].Key, "lower-case arn kept")
		}},
		{3042, `"errorCode":""`, func(t *testing.T, r *event.Record, out string) {
			assert.Contains(t, out, `"errorCode":""`, "an empty string is written back")
		}},
		{2916, `"additionalEventData":"`, func(t *testing.T, r *event.Record, out string) {
			assert.Equal(t, event.String, event.Get(r.AdditionalEventData).Kind())
		}},
		{3136, `"RequestParameters"`, func(t *testing.T, r *event.Record, out string) {
			_, ok := r.Lookup("RequestParameters")
			assert.True(t, ok, "a capitalised key is an unknown key, kept")
		}},
		{2847, `"insightDetails"`, func(t *testing.T, r *event.Record, out string) {
			assert.Nil(t, r.UserIdentity, "Insights events have no userIdentity")
			assert.NotContains(t, out, `"userIdentity":`)
		}},
		{2848, `"creationDate":"...`, func(t *testing.T, r *event.Record, out string) {
			_, ok := r.UserIdentity.SessionContext.Attributes.Created()
			assert.False(t, ok, "a placeholder is no date")
			assert.Contains(t, out, `"creationDate":"..."`)
		}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("line %d %s", tt.line, tt.trap), func(t *testing.T) {
			in := lines[tt.line-1]
			require.Contains(t, string(in), tt.trap, "the trap must be in the input")
			var r event.Record
			require.NoError(t, event.Unmarshal(in, &r))
			out := r.AppendJSON(nil)
			assert.Equal(t, tokens(t, in), tokens(t, out))
			tt.check(t, &r, string(out))
		})
	}
}

// TestTrapsNotInCorpus checks the traps whose only corpus records came
// from a source without a licence (internal/testdata/SOURCES.md), on
// records written here in their shape: resources and responseElements as
// strings. (An Insights average in exponent form is in TestInsightTypedValues's
// fixture.)
func TestTrapsNotInCorpus(t *testing.T) {
	in := []byte(`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accountId":"111122223333"},"eventTime":"2024-05-01T10:00:00Z",` +
		`"eventSource":"iam.amazonaws.com","eventName":"CreateUser","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.1",` +
		`"requestParameters":{"userName":"bob"},"responseElements":"user bob created","resources":"arn:aws:iam::111122223333:user/bob",` +
		`"eventID":"00000000-0000-4000-8000-000000000001","eventType":"AwsApiCall","recipientAccountId":"111122223333"}`)
	var r event.Record
	require.NoError(t, event.Unmarshal(in, &r))
	out := r.AppendJSON(nil)
	assert.Equal(t, tokens(t, in), tokens(t, out))
	assert.Nil(t, r.Resources)
	v, ok := r.Lookup("resources")
	require.True(t, ok, "resources written as a string is kept")
	assert.Equal(t, event.String, v.Kind())
	assert.Equal(t, event.String, event.Get(r.ResponseElements).Kind(), "responseElements is free-form: a string too")
}

func count(list []string, s string) (n int) {
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestTypeVarianceIsKept(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, r *event.Record)
	}{
		{"userIdentity without type", `{"eventVersion":"1.08","userIdentity":{"accountId":"111122223333","invokedBy":"secretsmanager.amazonaws.com"}}`,
			func(t *testing.T, r *event.Record) {
				assert.Empty(t, r.UserIdentity.Type)
				assert.Equal(t, "secretsmanager.amazonaws.com", r.UserIdentity.InvokedBy)
			}},
		{"readOnly as a string", `{"readOnly":"true"}`, func(t *testing.T, r *event.Record) {
			assert.Nil(t, r.ReadOnly)
			v, _ := r.Lookup("readOnly")
			s, _ := v.Text()
			assert.Equal(t, "true", s)
		}},
		{"eventTime as a number", `{"eventVersion":"1.0","eventTime":1700000000}`, func(t *testing.T, r *event.Record) {
			assert.True(t, r.EventTime.IsZero())
			var se *event.ShapeError
			require.ErrorAs(t, r.Check(), &se)
			assert.Equal(t, "eventTime", se.Field)
		}},
		{"eventVersion as a number", `{"eventVersion":1.08}`, func(t *testing.T, r *event.Record) {
			var se *event.ShapeError
			require.ErrorAs(t, r.Check(), &se)
			assert.Equal(t, "eventVersion", se.Field)
			assert.Contains(t, se.Reason, "must be a string")
		}},
		{"userIdentity as a string", `{"userIdentity":"root"}`, func(t *testing.T, r *event.Record) { assert.Nil(t, r.UserIdentity) }},
		{"resources holding a string", `{"resources":[{"ARN":"a"},"b"]}`, func(t *testing.T, r *event.Record) { assert.Nil(t, r.Resources) }},
		{"tlsDetails null", `{"tlsDetails":null}`, func(t *testing.T, r *event.Record) { assert.Nil(t, r.TLSDetails) }},
		{"insight average as a string", `{"insightDetails":{"insightContext":{"statistics":{"baseline":{"average":"0.5"}}}}}`,
			func(t *testing.T, r *event.Record) {
				assert.Empty(t, r.InsightDetails.InsightContext.Statistics.Baseline.Average)
			}},
		{"unknown keys at every level, in place", `{"a":1,"eventVersion":"1.11","userIdentity":{"x":[1],"type":"Root","sessionContext":{"y":{},"sessionIssuer":{"z":null}}},"b":2}`,
			func(t *testing.T, r *event.Record) {
				assert.Equal(t, "Root", r.UserIdentity.Type)
				assert.Equal(t, []event.Field{{Key: "a", Value: json.RawMessage(`1`)}, {Key: "b", Value: json.RawMessage(`2`)}}, r.Extra)
			}},
		{"duplicate nested key", `{"userIdentity":{"type":"Root","type":"IAMUser"}}`, func(t *testing.T, r *event.Record) {
			assert.Equal(t, "IAMUser", r.UserIdentity.Type, "the last copy is the typed one")
			assert.Equal(t, []event.Field{{Key: "type", Value: json.RawMessage(`"Root"`)}}, r.UserIdentity.Extra, "the first is kept")
		}},
		{"escaped key and value", `{"event\u004eame":"Get\u00e9\n"}`, func(t *testing.T, r *event.Record) {
			assert.Equal(t, "Get\u00e9\n", r.EventName)
		}},
		{"empty strings", `{"eventName":"","userIdentity":{"arn":""}}`, func(t *testing.T, r *event.Record) {
			assert.Empty(t, r.EventName)
		}},
		{"pretty-printed", "{\n  \"eventName\" : \"x\",\n  \"requestParameters\" : { \"a\" : [ 1 , 2 ] }\n}", func(t *testing.T, r *event.Record) {
			assert.Equal(t, `{"a":[1,2]}`, string(r.RequestParameters), "raw values are compacted")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := decode(t, tt.in)
			out := r.AppendJSON(nil)
			assert.Equal(t, tokens(t, []byte(tt.in)), tokens(t, out), "round trip: %s", out)
			assert.NotContains(t, string(out), "\n")
			tt.check(t, r)
		})
	}
}

// TestManyUnknownMembersKeepTheirOrder: an object with more unknown members
// than a 16-bit index can number still round-trips exactly.
func TestManyUnknownMembersKeepTheirOrder(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"eventVersion":"1.0"`)
	for i := range 70000 {
		fmt.Fprintf(&b, `,"k%d":%d`, i, i)
		if i == 40000 {
			b.WriteString(`,"eventName":"x"`)
		}
	}
	b.WriteString(`}`)
	r := decode(t, b.String())
	assert.Len(t, r.Extra, 70000)
	assert.Equal(t, b.String(), string(r.AppendJSON(nil)))
}

func TestNonconformingRecordsRoundTrip(t *testing.T) {
	for n, line := range corpusLines(t, "records-nonconforming.jsonl") {
		var r event.Record
		require.NoError(t, event.Unmarshal(line, &r), "line %d", n+1)
		require.Equal(t, tokens(t, line), tokens(t, r.AppendJSON(nil)), "line %d", n+1)
	}
}

// TestCorpusLogFilesAreLossless reads every log file of the corpus: each
// record the Scanner yields is the file's record, compacted, and decoding
// then encoding it gives the same JSON.
func TestCorpusLogFilesAreLossless(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "logfiles", "*"))
	require.NoError(t, err)
	require.Len(t, files, 18)
	total := 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		if strings.HasSuffix(name, "block06.json") {
			continue // invalid JSON; see TestScannerCorpusLogFiles
		}
		want := fileRecords(t, name, data)
		sc := event.NewScanner(bytes.NewReader(data))
		sc.Name = filepath.Base(name)
		var got []string
		for sc.Scan() {
			got = append(got, string(sc.Bytes()))
			var r event.Record
			require.NoError(t, event.Unmarshal(sc.Bytes(), &r))
			require.Equal(t, tokens(t, sc.Bytes()), tokens(t, r.AppendJSON(nil)), "%s record %d", name, sc.Index())
		}
		require.NoError(t, sc.Err())
		assert.Equal(t, want, got, name)
		total += len(got)
	}
	assert.Greater(t, total, 100)
}

// fileRecords returns the records of a corpus log file as compact JSON,
// found with encoding/json: the Records array, or the file itself when it
// is a single record.
func fileRecords(t *testing.T, name string, data []byte) []string {
	t.Helper()
	if strings.HasSuffix(name, ".gz") {
		data = gunzip(t, data)
	}
	var file struct{ Records []json.RawMessage }
	require.NoError(t, json.Unmarshal(data, &file), name)
	if file.Records == nil {
		return []string{compactJSON(t, data)}
	}
	out := make([]string, len(file.Records))
	for i, r := range file.Records {
		out[i] = compactJSON(t, r)
	}
	return out
}

func gunzip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err)
	return out
}
