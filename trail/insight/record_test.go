package insight_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/trail/insight"
)

// corpusRecord returns the record of the corpus (internal/testdata) with
// eventID id.
func corpusRecord(t *testing.T, id string) []byte {
	t.Helper()
	for _, line := range testdata.Records(t) {
		if bytes.Contains(line, []byte(`"eventID":"`+id+`"`)) {
			return line
		}
	}
	t.Fatalf("no record %s in the corpus", id)
	return nil
}

// keyOrders lists, for each object path of a JSON value (array elements
// share the path of their array plus "[]"), the keys in the order they
// come. Every object at one path must have the same keys.
func keyOrders(t *testing.T, data []byte) map[string][]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	out := map[string][]string{}
	var walk func(path string)
	walk = func(path string) {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				k, err := dec.Token()
				require.NoError(t, err)
				keys = append(keys, k.(string))
				walk(path + "." + k.(string))
			}
			_, err := dec.Token()
			require.NoError(t, err)
			if prev, ok := out[path]; ok {
				require.Equal(t, prev, keys, "objects at %s", path)
			}
			out[path] = keys
		case json.Delim('['):
			for dec.More() {
				walk(path + "[]")
			}
			_, err := dec.Token()
			require.NoError(t, err)
		}
	}
	walk("")
	return out
}

// numbers collects the text of every number under a key named key.
func numbers(t *testing.T, data []byte, key string) []string {
	t.Helper()
	var out []string
	re := regexp.MustCompile(`"` + key + `":(-?[0-9][^,}\]]*)`)
	for _, m := range re.FindAllSubmatch(data, -1) {
		out = append(out, string(m[1]))
	}
	return out
}

// emitted runs a spike and an error storm and returns the four records.
func emitted(t *testing.T) []*event.Record {
	t.Helper()
	d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), Trail: "orders-trail"})
	tr, minutes := stateScenario()
	out := run(tr, t0, minutes+120, d)[0]
	require.Len(t, out, 4, "%v", encodeAll(out))
	return out
}

// errorRateInsight has the keys, in their order, of the error-rate Insights
// records CloudTrail delivers (errorCode after insightType). The corpus's
// only such record came from a source without a licence and is left out
// (internal/testdata/SOURCES.md), so the values here are made up.
const errorRateInsight = `{"eventVersion":"1.08","eventTime":"2024-03-04T10:05:00Z","awsRegion":"eu-west-3",` +
	`"eventID":"0b9f7a52-2d0e-4c8a-9d55-3f1e2a7b6c01","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333",` +
	`"sharedEventID":"5c2e8f10-7a4b-4e6d-8c3f-9a1b2c3d4e5f","insightDetails":{"state":"End","eventSource":"s3.amazonaws.com",` +
	`"eventName":"GetBucketPolicy","insightType":"ApiErrorRateInsight","errorCode":"NoSuchBucketPolicy","insightContext":{` +
	`"statistics":{"baseline":{"average":0.0021},"insight":{"average":1.25},"insightDuration":3,"baselineDuration":10080},` +
	`"attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::111122223333:root","average":1.25}],` +
	`"baseline":[{"value":"arn:aws:iam::111122223333:root","average":0.002},{"value":"arn:aws:sts::111122223333:assumed-role/config/c","average":0.0001}]},` +
	`{"attribute":"userAgent","insight":[{"value":"console","average":1.25}],"baseline":[{"value":"console","average":0.0021}]}]}},` +
	`"eventCategory":"Insight"}`

func TestRecordsAreCloudTrailShaped(t *testing.T) {
	twins := map[string][]byte{
		// A CloudTrail call-rate Insight with its three attributions, and
		// an error-rate one with errorCode and two attributions.
		"ApiCallRateInsight":  corpusRecord(t, "49dfd327-5991-494b-98bf-6fe1eb3e3732"),
		"ApiErrorRateInsight": []byte(errorRateInsight),
	}
	average := regexp.MustCompile(`^(0|[1-9][0-9]*)(\.[0-9]{0,9}[1-9])?$`)
	for _, r := range emitted(t) {
		name := r.InsightDetails.InsightType + " " + r.InsightDetails.State
		t.Run(name, func(t *testing.T) {
			require.NoError(t, r.Validate())
			b := r.AppendJSON(nil)

			var back event.Record
			require.NoError(t, event.Unmarshal(b, &back))
			assert.Equal(t, string(b), string(back.AppendJSON(nil)), "decodes and re-encodes byte for byte")
			assert.Equal(t, r.EventTime, back.EventTime)
			assert.Equal(t, r.InsightDetails.InsightContext.Statistics.Baseline.Average, back.InsightDetails.InsightContext.Statistics.Baseline.Average)

			twin := twins[r.InsightDetails.InsightType]
			assert.Equal(t, keyOrders(t, twin), keyOrders(t, b), "the keys and their order of CloudTrail's record")

			for _, n := range numbers(t, b, "average") {
				assert.Regexp(t, average, n, "a plain decimal of at most ten places, as CloudTrail writes")
			}
			for _, key := range []string{"insightDuration", "baselineDuration"} {
				ns := numbers(t, b, key)
				require.Len(t, ns, 1)
				assert.Regexp(t, `^[1-9][0-9]*$`, ns[0])
			}
			assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, r.EventID)
			assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, r.SharedEventID)
			assert.True(t, strings.HasPrefix(string(b), `{"eventVersion":"1.08","eventTime":"`), "%s", b)
			assert.Zero(t, r.EventTime.Second())
		})
	}
}

func TestRecordsInALogFile(t *testing.T) {
	// What the trail does with them: a gzipped log file that event reads
	// back as the same records.
	recs := emitted(t)
	var buf bytes.Buffer
	w, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, w.Write(r))
	}
	require.NoError(t, w.Close())
	var got []string
	for r, err := range event.Read(&buf) {
		require.NoError(t, err)
		got = append(got, string(r.AppendJSON(nil)))
	}
	assert.Equal(t, encodeAll(recs), got)
}

func TestIDsDependOnTheTrail(t *testing.T) {
	// The same anomaly seen by two trails gets different IDs; seen again
	// by the same trail (say after a restart from older state), the same.
	ids := func(trail string) []string {
		d := newDetector(t, insight.Config{Selectors: selectors(t, bothTypes), Trail: trail, Window: 24 * time.Hour, MinBaseline: time.Hour})
		d.Advance(t0.Add(2 * time.Minute))
		d.Advance(t0.Add(2 * time.Hour))
		for i := range 40 {
			d.Observe(&event.Record{EventVersion: "1.11", EventTime: t0.Add(2*time.Hour + time.Duration(i)*time.Second), EventSource: "orders.example.com",
				EventName: "CreateOrder", ReadOnly: event.Bool(false), EventCategory: event.CategoryManagement})
		}
		var out []string
		for _, r := range d.Advance(t0.Add(3 * time.Hour)) {
			out = append(out, r.SharedEventID, r.EventID)
		}
		return out
	}
	a := ids("a")
	require.Len(t, a, 4)
	assert.Equal(t, a, ids("a"))
	assert.NotEqual(t, a, ids("b"))
}
