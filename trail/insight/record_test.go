package insight_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/trail/insight"
)

// corpusRecord returns the record of the shared corpus with eventID id.
func corpusRecord(t *testing.T, id string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "..", "shared", "corpus", "records.jsonl"))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		if bytes.Contains(sc.Bytes(), []byte(`"eventID":"`+id+`"`)) {
			return bytes.Clone(sc.Bytes())
		}
	}
	require.NoError(t, sc.Err())
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

func TestRecordsAreCloudTrailShaped(t *testing.T) {
	twins := map[string][]byte{
		// A CloudTrail call-rate Insight with its three attributions, and
		// an error-rate one with errorCode and two attributions.
		"ApiCallRateInsight":  corpusRecord(t, "49dfd327-5991-494b-98bf-6fe1eb3e3732"),
		"ApiErrorRateInsight": corpusRecord(t, "7a9130fc-ca15-49d9-b4aa-685f7a0c182a"),
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
