package event_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

// TestUnmarshalBadInput: the record decoder answers malformed input with a
// *SyntaxError at the right byte offset, never a panic.
func TestUnmarshalBadInput(t *testing.T) {
	deep := func(open, close string, n int) string {
		return `{"requestParameters":` + strings.Repeat(open, n) + strings.Repeat(close, n) + `}`
	}
	tests := []struct {
		name   string
		in     string
		msg    string
		offset int64
	}{
		{"empty", ``, "unexpected end of input", 0},
		{"not an object", `[{"eventName":"x"}]`, `unexpected '['`, 0},
		{"a string", `"record"`, `unexpected '"'`, 0},
		{"null", `null`, `unexpected 'n'`, 0},
		{"truncated", `{"eventName":"Get`, "unterminated string", 17},
		{"truncated after a member", `{"eventName":"x",`, "unexpected end of input", 17},
		{"missing colon", `{"eventName" "x"}`, `want ':'`, 13},
		{"missing comma", `{"a":1 "b":2}`, `want ',' or '}'`, 7},
		{"trailing comma", `{"a":1,}`, "want a string key", 7},
		{"single quotes", `{'a':1}`, "want a string key", 1},
		{"bad literal", `{"readOnly":tru}`, `want "true"`, 12},
		{"bad number", `{"a":01}`, `want ',' or '}'`, 6},
		{"bare minus", `{"a":-}`, "want a digit", 6},
		{"bad exponent", `{"a":1e}`, "want a digit in exponent", 7},
		{"NaN", `{"a":NaN}`, "want a value", 5},
		{"invalid UTF-8 in a value", "{\"eventName\":\"a\xffb\"}", "invalid UTF-8", 15},
		{"invalid UTF-8 in a key", "{\"\xc3\":1}", "invalid UTF-8", 2},
		{"invalid UTF-8 in a raw value", "{\"requestParameters\":{\"k\":\"\xed\xa0\x80\"}}", "invalid UTF-8", 27},
		{"control character", "{\"eventName\":\"a\nb\"}", "control character 0x0a", 15},
		{"bad escape", `{"eventName":"\x"}`, `invalid escape \x`, 14},
		{"short unicode escape", `{"eventName":"\u12"}`, `invalid \u escape`, 14},
		{"data after the record", `{"a":1} {"b":2}`, "after the record", 8},
		{"10,000 nested objects", deep(`{"a":`, `}`, 10000)[:21+5*10000] + "1" + strings.Repeat("}", 10001), "nested deeper than 512 levels", -1},
		{"10,000 nested arrays", deep(`[`, `]`, 10000), "nested deeper than 512 levels", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r event.Record
			err := event.Unmarshal([]byte(tt.in), &r)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			var se *event.SyntaxError
			require.ErrorAs(t, err, &se)
			if tt.offset >= 0 {
				assert.Equal(t, tt.offset, se.Offset, "byte offset")
			}
		})
	}
}

// TestNestingJustUnderTheLimitDecodes: the depth limit is not lower than it
// says.
func TestNestingJustUnderTheLimitDecodes(t *testing.T) {
	in := `{"requestParameters":` + strings.Repeat("[", 510) + strings.Repeat("]", 510) + `}`
	r := decode(t, in)
	assert.Len(t, r.RequestParameters, 1020)
}

// TestScannerBadInput adds to TestScannerErrors the malformed log files a
// lenient reader would let through.
func TestScannerBadInput(t *testing.T) {
	rec := `{"eventVersion":"1.0","eventTime":"2024-01-01T00:00:00Z"}`
	tests := []struct {
		name string
		in   string
		msg  string
	}{
		{"missing comma between records", `{"Records":[` + rec + ` ` + rec + `]}`, `want ',' or ']'`},
		{"leading comma", `{"Records":[,` + rec + `]}`, `unexpected ','`},
		{"trailing comma", `{"Records":[` + rec + `,]}`, `unexpected ']'`},
		{"double comma", `{"Records":[` + rec + `,,` + rec + `]}`, `unexpected ','`},
		{"invalid member before Records", `{"x":tru,"Records":[` + rec + `]}`, `want "true"`},
		{"invalid key before Records", "{\"\xff\":1,\"Records\":[" + rec + `]}`, "invalid UTF-8"},
		{"invalid member after Records", `{"Records":[` + rec + `],"x":[1,}`, "want a value"},
		{"missing comma after Records", `{"Records":[` + rec + `] "x":1}`, `want ',' or '}'`},
		{"missing comma before Records", `{"x":1 "Records":[` + rec + `]}`, `want ',' or '}'`},
		{"unterminated log file", `{"Records":[` + rec, "unexpected end of input"},
		{"unterminated string in a record", `{"Records":[{"eventName":"x`, "unterminated string"},
		{"a number for a record", `{"Records":[` + rec + `,5]}`, "must be a JSON object"},
		{"garbage between JSON Lines", rec + "\n" + `}` + "\n" + rec, `unexpected '}'`},
		{"bad base64 payload", `H4sI!!!!`, "CloudWatch Logs payload"},
		{"CloudWatch Logs message that is no record", `{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1","message":"hello"}]}`, "must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanAll([]byte(tt.in))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			var re *event.ReadError
			assert.ErrorAs(t, err, &re)

			// The same error however the input arrives.
			sc := event.NewScanner(iotest.OneByteReader(strings.NewReader(tt.in)))
			for sc.Scan() {
			}
			assert.Equal(t, err.Error(), sc.Err().Error(), "read a byte at a time")
		})
	}
}

func TestScannerLenientWhereCloudTrailIsNot(t *testing.T) {
	rec := `{"eventVersion":"1.0","eventTime":"2024-01-01T00:00:00Z","eventName":"A"}`
	rec2 := `{"eventVersion":"1.0","eventTime":"2024-01-01T00:00:00Z","eventName":"B"}`
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"a second Records array is read, not dropped", `{"Records":[` + rec + `],"Records":[` + rec2 + `]}`, []string{rec, rec2}},
		{"CloudWatch Logs control message", `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[{"id":"","timestamp":1,"message":"CWL CONTROL MESSAGE: Checking health of destination Firehose."}]}`, nil},
		{"members of every type around Records", `{"a":{"b":[1,"]",{"c":null}]},"Records":[` + rec + `],"d":"}","e":[]}`, []string{rec}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll([]byte(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestEmbeddedPayloadErrorsAreLocated(t *testing.T) {
	payload := base64.StdEncoding.EncodeToString(gz(t, []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\"a\":1}"},{"message":"{\"a\":"}]}`)))
	in := `{"eventVersion":"1.0"}` + "\n" + `{"awslogs":{"data":"` + payload + `"}}`
	sc := event.NewScanner(strings.NewReader(in))
	sc.Name = "lambda-event.json"
	n := 0
	for sc.Scan() {
		n++
	}
	assert.Equal(t, 2, n)
	var re *event.ReadError
	require.ErrorAs(t, sc.Err(), &re)
	assert.Equal(t, "lambda-event.json", re.Name)
	assert.Equal(t, int64(23), re.Offset, "the payload's offset in the input")
	assert.Equal(t, 2, re.Index)
	assert.Contains(t, sc.Err().Error(), "lambda-event.json: record 2 at byte 23: CloudWatch Logs payload:")
}

// TestReaderErrorsNameFileIndexAndOffset: an error deep in a gzipped log
// file names the file, the record's index and its offset in the
// decompressed text.
func TestReaderErrorsNameFileIndexAndOffset(t *testing.T) {
	rec := `{"eventVersion":"1.0","eventTime":"2024-01-01T00:00:00Z"}`
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for range 5000 {
		b.WriteString(rec + ",")
	}
	off := b.Len()
	b.WriteString(`{"eventVersion":"1.0","eventName":"bad` + "\xff" + `"}]}`)
	sc := event.NewScanner(bytes.NewReader(gz(t, []byte(b.String()))))
	sc.Name = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/x.json.gz"
	n := 0
	for sc.Scan() {
		n++
	}
	assert.Equal(t, 5000, n)
	var re *event.ReadError
	require.ErrorAs(t, sc.Err(), &re)
	assert.Equal(t, 5000, re.Index)
	assert.Equal(t, int64(off), re.Offset)
	assert.Equal(t, sc.Name+": record 5000 at byte "+strconv.Itoa(off)+": invalid JSON at byte "+strconv.Itoa(off+38)+": invalid UTF-8 in string", sc.Err().Error())

	// Records reports a record that is JSON but not CloudTrail-shaped with
	// its index and offset, and reads on.
	in := `{"Records":[` + rec + `,{"eventVersion":"1.0","eventTime":"yesterday"},` + rec + `]}`
	var errs []error
	n = 0
	for _, err := range event.NewScanner(strings.NewReader(in)).Records() {
		n++
		if err != nil {
			errs = append(errs, err)
		}
	}
	assert.Equal(t, 3, n)
	require.Len(t, errs, 1)
	require.ErrorAs(t, errs[0], &re)
	assert.Equal(t, 1, re.Index)
	assert.Equal(t, int64(12+len(rec)+1), re.Offset)
	var se *event.ShapeError
	assert.True(t, errors.As(errs[0], &se))
}

// repeat yields head, then body n times, then tail, without holding more
// than one copy of each: a stream as large as wanted in constant memory.
type repeat struct {
	parts [][]byte
	body  []byte
	n     int
	cur   []byte
}

func newRepeat(head, body, tail []byte, n int) *repeat {
	return &repeat{parts: [][]byte{tail}, body: body, n: n, cur: head}
}

func (r *repeat) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		switch {
		case r.n > 0:
			r.cur = r.body
			r.n--
		case len(r.parts) > 0:
			r.cur, r.parts = r.parts[0], r.parts[1:]
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// TestScannerMemoryIsConstant streams large log files, plain and gzipped
// (as concatenated gzip members, so the test need not compress them), and
// samples the heap as records go by: it stays small whatever the size.
func TestScannerMemoryIsConstant(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")[:200]
	body := append(bytes.Join(lines, []byte(",")), ',')
	last := lines[0]
	perBody := len(lines)
	tests := []struct {
		name   string
		stream func(n int) io.Reader
		n      int // bodies: about 0.3 MB each
		decode bool
	}{
		{"plain, 300 MB, Scan", func(n int) io.Reader {
			return newRepeat([]byte(`{"Records":[`), body, append(bytes.Clone(last), "]}"...), n)
		}, 1000, false},
		{"gzip, 150 MB, Scan", func(n int) io.Reader {
			return newRepeat(gz(t, []byte(`{"Records":[`)), gz(t, body), gz(t, append(bytes.Clone(last), "]}"...)), n)
		}, 500, false},
		{"plain, 150 MB, Records", func(n int) io.Reader {
			return newRepeat([]byte(`{"Records":[`), body, append(bytes.Clone(last), "]}"...), n)
		}, 500, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var peak uint64
			var ms runtime.MemStats
			sample := func() {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapInuse)
			}
			runtime.GC()
			n := 0
			if tt.decode {
				for r, err := range event.Read(tt.stream(tt.n)) {
					require.NoError(t, err)
					require.NotNil(t, r)
					if n++; n%20000 == 0 {
						sample()
					}
				}
			} else {
				sc := event.NewScanner(tt.stream(tt.n))
				for sc.Scan() {
					if n++; n%20000 == 0 {
						sample()
					}
				}
				require.NoError(t, sc.Err())
			}
			assert.Equal(t, tt.n*perBody+1, n)
			t.Logf("records %d, peak heap in use %.1f MiB", n, float64(peak)/(1<<20))
			assert.Less(t, peak, uint64(32<<20), "heap in use must not grow with the input")
		})
	}
}
