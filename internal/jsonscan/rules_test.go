package jsonscan_test

// The rules of the one JSON scanner, shown where they used to differ: in
// event (Unmarshal, Get, Scanner), selector matching, redaction and digest
// reading. Each table row is one reader; every reader of a table must
// agree with the rule (and, where encoding/json has one, with it).

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/detect"
	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/internal/jsonscan"
	"github.com/trailkit/trailkit/selector"
)

const rec = `{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject",` +
	`"eventCategory":"Management","readOnly":true,"requestParameters":{"k":"first","k":"last"},"readOnly":false}`

const digestDoc = `{"digestStartTime":"2026-01-01T00:00:00Z","digestEndTime":"2026-01-01T01:00:00Z","digestS3Bucket":"first",` +
	`"digestS3Object":"k","digestPublicKeyFingerprint":"f","previousDigestSignature":null,"logFiles":[],"digestS3Bucket":"last"}`

func decodeRecord(t *testing.T, in string) *event.Record {
	t.Helper()
	var r event.Record
	require.NoError(t, event.Unmarshal([]byte(in), &r))
	return &r
}

// TestRuleDuplicateKeysLastWins: of a key that occurs twice the last copy
// is the value, as encoding/json reads it. A record that says readOnly
// true, then false, is a write for every reader: it used to be read-only
// to event.Unmarshal and so to the selectors.
func TestRuleDuplicateKeysLastWins(t *testing.T) {
	var std struct {
		ReadOnly          bool `json:"readOnly"`
		RequestParameters struct {
			K string `json:"k"`
		} `json:"requestParameters"`
	}
	require.NoError(t, json.Unmarshal([]byte(rec), &std))
	require.False(t, std.ReadOnly, "encoding/json: the last copy")
	require.Equal(t, "last", std.RequestParameters.K)
	writesOnly, err := selector.ParseConfig([]byte(`{"AdvancedEventSelectors":[{"FieldSelectors":[` +
		`{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]}`))
	require.NoError(t, err)
	m, err := selector.Compile(writesOnly, selector.Options{})
	require.NoError(t, err)

	tests := []struct {
		reader string
		got    func(t *testing.T) string
		want   string
	}{
		{"event.Unmarshal", func(t *testing.T) string { return fmt.Sprint(*decodeRecord(t, rec).ReadOnly) }, "false"},
		{"event.Get", func(t *testing.T) string {
			s, _ := event.Get(decodeRecord(t, rec).RequestParameters, "k").Text()
			return s
		}, "last"},
		{"event.Scanner", func(t *testing.T) string {
			for r, err := range event.Read(strings.NewReader(`{"Records":[` + rec + `]}`)) {
				require.NoError(t, err)
				return fmt.Sprint(*r.ReadOnly)
			}
			return "no record"
		}, "false"},
		{"selector: logged by a write-only selector", func(t *testing.T) string {
			return fmt.Sprint(m.Match(decodeRecord(t, rec)))
		}, "true"},
		{"redact: the value readers see is hidden", func(t *testing.T) string {
			out, err := redact.MustNew("k").JSON([]byte(`{"k":"first","k":"last"}`))
			require.NoError(t, err)
			var v struct{ K string }
			require.NoError(t, json.Unmarshal(out, &v))
			return v.K
		}, redact.Hidden},
		{"digest.Parse", func(t *testing.T) string {
			f, err := digest.Parse([]byte(digestDoc))
			require.NoError(t, err)
			return f.DigestS3Bucket
		}, "last"},
		{"detect: a rule on the record's JSON", func(t *testing.T) string {
			return fmt.Sprint(detectMatches(t, `{ $.readOnly IS FALSE && $.requestParameters.k = "last" }`, rec))
		}, "true"},
		{"detect: a rule on the decoded record", func(t *testing.T) string {
			r, err := detect.ParsePattern("write", `{ $.readOnly IS FALSE && $.requestParameters.k = "last" }`)
			require.NoError(t, err)
			return fmt.Sprint(r.Match(decodeRecord(t, rec)))
		}, "true"},
		{"round trip keeps both copies, in place", func(t *testing.T) string {
			return fmt.Sprint(strings.Count(string(decodeRecord(t, rec).AppendJSON(nil)), `"readOnly"`))
		}, "2"},
	}
	for _, tt := range tests {
		t.Run(tt.reader, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got(t))
		})
	}
}

// detectMatches reports whether the CloudWatch filter pattern matches the
// record whose JSON text is in, read as "trailkit detect" reads stored logs.
func detectMatches(t *testing.T, pattern, in string) bool {
	t.Helper()
	r, err := detect.ParsePattern("p", pattern)
	require.NoError(t, err)
	matched := false
	detect.NewSet(r).MatchJSON([]byte(in), func(detect.JSONFinding) { matched = true })
	return matched
}

// TestRuleDetectFindsNothingInWhatTheScannerRejects: detect reports no
// errors (a rule either matches a record or not), so where the other
// readers fail, a rule on the record's JSON finds nothing: junk after the
// record, and nesting past jsonscan.MaxDepth. It used to read both.
func TestRuleDetectFindsNothingInWhatTheScannerRejects(t *testing.T) {
	const pattern = `{ $.eventName = "PutObject" }`
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	deep := func(levels int) string {
		return strings.Replace(rec, `{"k":"first"`, `{"x":`+nest(levels-2)+`,"k":"first"`, 1)
	}
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"the record", rec, true},
		{"whitespace after it", rec + " \n", true},
		{"NUL after it", rec + "\x00", false},
		{"junk between members", strings.Replace(rec, `,"eventName"`, ` x,"eventName"`, 1), false},
		{"nested to the limit", deep(jsonscan.MaxDepth), true},
		{"nested past the limit", deep(jsonscan.MaxDepth + 1), false},
	}
	require.NoError(t, jsonscan.Valid([]byte(deep(jsonscan.MaxDepth))))
	require.ErrorIs(t, jsonscan.Valid([]byte(deep(jsonscan.MaxDepth+1))), jsonscan.ErrTooDeep)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, detectMatches(t, pattern, tt.in))
		})
	}
}

// TestRuleJunkBetweenValuesIsAnError: a NUL byte (or anything but
// whitespace) after a value is an error naming its offset, never a silent
// end of input. Records after a NUL used to be dropped without a word.
func TestRuleJunkBetweenValuesIsAnError(t *testing.T) {
	line := `{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z"}`
	tests := []struct {
		reader string
		in     string
		read   func(in string) error
		offset int64
	}{
		{"event.Scanner, NUL between JSON Lines", line + "\n\x00\n" + line, scan, int64(len(line) + 1)},
		{"event.Scanner, NUL before the first value", "\x00" + line, scan, 0},
		{"event.Scanner, NUL between records", `{"Records":[` + line + "\x00," + line + `]}`, scan, int64(12 + len(line))},
		{"event.Scanner, NUL in place of a record", `{"Records":[` + line + ",\x00]}", scan, int64(13 + len(line))},
		{"event.Unmarshal, NUL after the record", line + "\x00", func(in string) error {
			var r event.Record
			return event.Unmarshal([]byte(in), &r)
		}, int64(len(line))},
		{"redact, NUL after the value", `{"a":1}` + " \x00", func(in string) error {
			_, err := redact.MustNew("a").JSON([]byte(in))
			return err
		}, 8},
		{"digest.Parse, NUL after the object", digestDoc + "\x00", func(in string) error {
			_, err := digest.Parse([]byte(in))
			return err
		}, int64(len(digestDoc))},
		{"jsonscan.Valid, a second value", `{} {}`, func(in string) error { return jsonscan.Valid([]byte(in)) }, 3},
	}
	for _, tt := range tests {
		t.Run(tt.reader, func(t *testing.T) {
			err := tt.read(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), fmt.Sprint(tt.offset), "the offset is named: %v", err)
			var se *jsonscan.SyntaxError
			if errors.As(err, &se) {
				assert.Equal(t, tt.offset, se.Offset)
			}
		})
	}
}

// scan reads every record of in and returns the error that ended it.
func scan(in string) error {
	sc := event.NewScanner(strings.NewReader(in))
	for sc.Scan() {
	}
	if sc.Err() == nil {
		return errors.New("no error")
	}
	return sc.Err()
}

// TestRuleOneDepthLimit: 512 levels of nesting are read by every reader;
// 513 are an error wrapping jsonscan.ErrTooDeep. The readers used to stop
// at 512 (event), 1000 (digest) and 10000 (redact).
func TestRuleOneDepthLimit(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		reader string
		read   func(levels int) error // levels counts every array and object
	}{
		{"event.Unmarshal", func(n int) error {
			var r event.Record
			return event.Unmarshal([]byte(`{"requestParameters":`+nest(n-1)+`}`), &r)
		}},
		{"event.Scanner, JSON Lines", func(n int) error { return scanErr(`{"x":` + nest(n-1) + `}`) }},
		// Counted from the record, as Unmarshal counts it: the log file's
		// object and Records array around it do not count.
		{"event.Scanner, log file", func(n int) error { return scanErr(`{"Records":[{"x":` + nest(n-1) + `}]}`) }},
		{"redact", func(n int) error {
			_, err := redact.MustNew("a.b").JSON([]byte(`{"a":` + nest(n-1) + `}`))
			return err
		}},
		{"digest.Parse", func(n int) error {
			_, err := digest.Parse([]byte(strings.Replace(digestDoc, `"logFiles":[]`, `"x":`+nest(n-1)+`,"logFiles":[]`, 1)))
			return err
		}},
		{"jsonscan.Valid", func(n int) error { return jsonscan.Valid([]byte(nest(n))) }},
	}
	for _, tt := range tests {
		t.Run(tt.reader, func(t *testing.T) {
			assert.NoError(t, tt.read(jsonscan.MaxDepth), "at the limit")
			err := tt.read(jsonscan.MaxDepth + 1)
			assert.ErrorIs(t, err, jsonscan.ErrTooDeep, "past the limit")
			assert.ErrorContains(t, err, "nested deeper than 512 levels")
		})
	}
}

// scanErr reads in and returns the error that ended it, nil at a clean end.
func scanErr(in string) error {
	sc := event.NewScanner(strings.NewReader(in))
	for sc.Scan() {
	}
	return sc.Err()
}

// TestRuleWhitespaceDoesNotCount: a record within MaxRecordBytes is read
// however much whitespace surrounds and fills it, in every form Scanner
// reads, in bounded memory; it used to fail once the whitespace took it
// past the limit. Offsets after it stay exact.
func TestRuleWhitespaceDoesNotCount(t *testing.T) {
	const limit = 256 << 10
	pad := strings.Repeat(" \n\t", 400<<10) // 1.2 MB of whitespace, 4.7 times the limit
	record := `{"eventVersion":"1.08",` + pad + `"eventTime":"2024-01-01T00:00:00Z",` +
		`"requestParameters":{"s":"` + strings.Repeat("x", limit/2) + `", "k" :` + pad + `[ 1 , 2 ]}}`
	compact := string(jsonscan.Compact([]byte(record)))
	require.Less(t, len(compact), limit)
	tests := []struct{ form, in string }{
		{"JSON Lines", pad + record + pad + "\n" + record},
		{"log file", `{"Records":[` + pad + record + pad + "," + record + pad + `],` + pad + `"x":` + pad + `1}`},
		{"array", "[" + record + " ," + pad + record + "]"},
		{"EventBridge", `{"detail-type":"AWS API Call via CloudTrail",` + pad + `"detail":` + record + "}\n" + record},
	}
	for _, tt := range tests {
		t.Run(tt.form, func(t *testing.T) {
			sc := event.NewScanner(strings.NewReader(tt.in))
			sc.MaxRecordBytes = limit
			n := 0
			for sc.Scan() {
				assert.Equal(t, compact, string(sc.Bytes()))
				n++
			}
			require.NoError(t, sc.Err())
			assert.Equal(t, 2, n)
		})
	}
	t.Run("what is left without whitespace still counts", func(t *testing.T) {
		big := `{"eventVersion":"1.08",` + pad + `"x":"` + strings.Repeat("y", 2*limit) + `"}`
		err := scanErr(big)
		require.NoError(t, err, "under the default limit")
		sc := event.NewScanner(strings.NewReader(big))
		sc.MaxRecordBytes = limit
		for sc.Scan() {
		}
		assert.ErrorContains(t, sc.Err(), fmt.Sprintf("value is larger than %d bytes", limit))
	})
	t.Run("offsets after a squeezed record are exact", func(t *testing.T) {
		in := record + "\n" + "\x00"
		sc := event.NewScanner(io.MultiReader(strings.NewReader(in)))
		sc.MaxRecordBytes = limit
		for sc.Scan() {
		}
		var se *jsonscan.SyntaxError
		require.ErrorAs(t, sc.Err(), &se)
		assert.Equal(t, int64(len(record)+1), se.Offset)
	})
}

// spaces reads as n bytes of whitespace.
type spaces struct{ n int }

func (s *spaces) Read(p []byte) (int, error) {
	if s.n == 0 {
		return 0, io.EOF
	}
	k := min(len(p), s.n)
	for i := range p[:k] {
		p[i] = " \n"[i%2]
	}
	s.n -= k
	return k, nil
}

// TestRuleWhitespaceInBoundedMemory: 64 MiB of whitespace inside a record
// read with a 1 MiB limit costs no more memory than the limit's buffer.
func TestRuleWhitespaceInBoundedMemory(t *testing.T) {
	in := io.MultiReader(strings.NewReader(`{"eventVersion":"1.08",`), &spaces{n: 64 << 20},
		strings.NewReader(`"eventTime":"2024-01-01T00:00:00Z"}`), &spaces{n: 64 << 20})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sc := event.NewScanner(in)
	sc.MaxRecordBytes = 1 << 20
	n := 0
	for sc.Scan() {
		assert.Equal(t, `{"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z"}`, string(sc.Bytes()))
		n++
	}
	runtime.ReadMemStats(&after)
	require.NoError(t, sc.Err())
	assert.Equal(t, 1, n)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20), "allocated")
}
