package event_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	_, err := zw.Write(b)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// scanAll returns the records a Scanner yields and its error.
func scanAll(data []byte) ([]string, error) {
	sc := event.NewScanner(bytes.NewReader(data))
	var out []string
	for sc.Scan() {
		out = append(out, string(sc.Bytes()))
	}
	return out, sc.Err()
}

func TestScannerForms(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")[:3]
	rec := func(i int) string { return compactJSON(t, lines[i]) }
	logFile := `{"Records":[` + string(lines[0]) + `,` + string(lines[1]) + `]}`
	cwl := `{"messageType":"DATA_MESSAGE","owner":"123456789012","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[` +
		`{"id":"1","timestamp":1,"message":` + quote(lines[0]) + `},{"id":"2","timestamp":2,"message":` + quote(lines[1]) + `}]}`
	cwlB64 := base64.StdEncoding.EncodeToString(gz(t, []byte(cwl)))
	// What `aws cloudtrail lookup-events` prints: the record as a string,
	// beside the summary fields; a page with a NextToken, then the last.
	lookupEvent := func(i int) string {
		return `{"EventId":"e` + fmt.Sprint(i) + `","EventName":"X","ReadOnly":"true","EventTime":"2026-01-02T03:04:05+00:00","EventSource":"s3.amazonaws.com","Resources":[],"CloudTrailEvent":` + quote(lines[i]) + `}`
	}
	lookup := `{"Events":[` + lookupEvent(0) + `,` + lookupEvent(1) + `],"NextToken":"abc"}` + "\n" + `{"Events":[` + lookupEvent(2) + `]}`
	tests := []struct {
		name string
		in   []byte
		want []string
	}{
		{"log file", []byte(logFile), []string{rec(0), rec(1)}},
		{"gzipped log file", gz(t, []byte(logFile)), []string{rec(0), rec(1)}},
		{"Records not the first key", []byte(`{"other":{"Records":[1]},"Records":[` + string(lines[2]) + `],"after":[{"x":"]"}]}`), []string{rec(2)}},
		{"pretty-printed log file", prettyLogFile(t, lines[:2]), []string{rec(0), rec(1)}},
		{"JSON Lines", bytes.Join(lines, []byte("\n")), []string{rec(0), rec(1), rec(2)}},
		{"single record", lines[2], []string{rec(2)}},
		{"array of records", []byte("[" + string(lines[0]) + ", " + string(lines[1]) + "]"), []string{rec(0), rec(1)}},
		{"EventBridge event", []byte(`{"version":"0","id":"x","detail-type":"AWS API Call via CloudTrail","source":"aws.ec2","detail":` + string(lines[1]) + `}`), []string{rec(1)}},
		{"CloudWatch Logs decoded payload", []byte(cwl), []string{rec(0), rec(1)}},
		{"CloudWatch Logs base64 payload", []byte(cwlB64), []string{rec(0), rec(1)}},
		{"CloudWatch Logs Lambda event", []byte(`{"awslogs":{"data":"` + cwlB64 + `"}}`), []string{rec(0), rec(1)}},
		{"lookup-events output, two pages", []byte(lookup), []string{rec(0), rec(1), rec(2)}},
		{"lookup-events output, no events", []byte(`{"Events":[]}`), nil},
		{"empty log file", []byte(`{"Records":[]}`), nil},
		{"empty input", nil, nil},
		{"mixed sequence", []byte(logFile + "\n" + string(lines[2])), []string{rec(0), rec(1), rec(2)}},
		{"concatenated gzip members", append(gz(t, lines[0]), gz(t, lines[1])...), []string{rec(0), rec(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scanAll(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func compactJSON(t testing.TB, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Compact(&out, b))
	return out.String()
}

func quote(b []byte) string {
	q, _ := json.Marshal(string(b))
	return string(q)
}

func prettyLogFile(t testing.TB, recs [][]byte) []byte {
	t.Helper()
	var raw []json.RawMessage
	for _, r := range recs {
		raw = append(raw, r)
	}
	b, err := json.MarshalIndent(map[string]any{"Records": raw}, "", "  ")
	require.NoError(t, err)
	return b
}

func TestScannerCorpusLogFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "logfiles", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	// This documentation example has a raw line break inside a string, which
	// JSON forbids (Python's json module rejects it as well).
	invalid := map[string]string{
		"awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-examples.md__block06.json": "record 0 at byte 18: invalid JSON at byte 755: control character 0x0a in string",
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		if want, ok := invalid[filepath.Base(name)]; ok {
			_, err := scanAll(data)
			assert.ErrorContains(t, err, want)
			continue
		}
		n := 0
		for r, err := range event.Read(bytes.NewReader(data)) {
			require.NoError(t, err, name)
			require.NotEmpty(t, r.EventVersion, name)
			n++
		}
		assert.Positive(t, n, name)
	}
}

func TestReadCorpusHasNoShapeErrors(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir(t), "records.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	n := 0
	for r, err := range event.Read(f) {
		require.NoError(t, err)
		require.NotNil(t, r)
		n++
	}
	assert.Equal(t, 3630, n)
}

func TestReadNonconformingRecords(t *testing.T) {
	dir := corpusDir(t)
	meta := corpusLines(t, "records-nonconforming.meta.jsonl")
	wantTimeErr := map[int]bool{}
	for i, m := range meta {
		if strings.Contains(string(m), "eventTime not ISO-8601") {
			wantTimeErr[i] = true
		}
	}
	require.Len(t, wantTimeErr, 111)
	f, err := os.Open(filepath.Join(dir, "records-nonconforming.jsonl"))
	require.NoError(t, err)
	defer f.Close()
	i := 0
	for r, err := range event.Read(f) {
		require.NotNil(t, r, "record %d: a shape error still yields the record", i)
		if wantTimeErr[i] {
			var se *event.ShapeError
			require.ErrorAs(t, err, &se, "record %d", i)
			assert.Equal(t, "eventTime", se.Field)
			var re *event.ReadError
			require.ErrorAs(t, err, &re)
			assert.Equal(t, i, re.Index)
		} else {
			assert.NoError(t, err, "record %d", i)
		}
		i++
	}
	assert.Equal(t, len(meta), i)
}

func TestScannerErrors(t *testing.T) {
	rec := corpusLines(t, "records.jsonl")[0]
	logFile := []byte(`{"Records":[` + string(rec) + `,` + string(rec) + `]}`)
	zipped := gz(t, logFile)
	deep := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
	tests := []struct {
		name      string
		in        []byte
		wantIn    string
		wantIndex int
		wantOff   int64
	}{
		{"truncated gzip", zipped[:len(zipped)/2], "unexpected EOF", -1, -1},
		{"trailing bytes after gzip", append(bytes.Clone(zipped), "garbage"...), "bytes after the end of the gzip stream", -1, -1},
		{"trailing zero bytes after gzip", append(bytes.Clone(zipped), 0, 0, 0), "bytes after the end of the gzip stream", -1, -1},
		{"invalid UTF-8", []byte(`{"Records":[{"eventName":"a` + "\xff" + `"}]}`), "invalid UTF-8", 0, 12},
		{"invalid JSON in second record", []byte(`{"Records":[{"a":1},{"a":tru}]}`), "want \"true\"", 1, 20},
		{"deep nesting", []byte(deep), "nested deeper than 512 levels", 0, -1},
		{"record not an object", []byte(`{"Records":[1]}`), "must be a JSON object", 0, 12},
		{"unterminated array", []byte(`{"Records":[{"a":1}`), "unexpected end of input", 1, -1},
		{"bad top-level value", []byte(`nope`), "unexpected 'n'", 0, 0},
		{"lookup event without its record", []byte(`{"Events":[{"EventId":"e1","EventName":"X"}]}`), `an event object without a "CloudTrailEvent" string`, 0, -1},
		{"lookup event record not JSON", []byte(`{"Events":[{"CloudTrailEvent":"{not json"}]}`), "unexpected 'n', want a string key", 0, -1},
		{"log event without its message", []byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"id":"1"}]}`), `a log event object without a "message" string`, 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scanAll(tt.in)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantIn)
			var re *event.ReadError
			require.ErrorAs(t, err, &re)
			if tt.wantIndex >= 0 {
				assert.Equal(t, tt.wantIndex, re.Index, "record index")
			}
			if tt.wantOff >= 0 {
				assert.Equal(t, tt.wantOff, re.Offset, "byte offset")
			}
		})
	}
	t.Run("trailing data is errors.Is ErrTrailingData", func(t *testing.T) {
		_, err := scanAll(append(bytes.Clone(zipped), "x"...))
		assert.ErrorIs(t, err, event.ErrTrailingData)
	})
	t.Run("errors name the input", func(t *testing.T) {
		sc := event.NewScanner(strings.NewReader(`{"Records":[1]}`))
		sc.Name = "logs/x.json.gz"
		for sc.Scan() {
		}
		assert.ErrorContains(t, sc.Err(), "logs/x.json.gz: record 0 at byte 12")
	})
}

// xs yields an endless run of 'x' and counts what it gave.
type xs struct{ n int64 }

func (x *xs) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	x.n += int64(len(p))
	return len(p), nil
}

// endless is a 300 MB record: one string that goes on and on.
func endless(x *xs) io.Reader {
	return io.LimitReader(io.MultiReader(strings.NewReader(`{"eventName":"`), x), 300<<20)
}

func TestScannerHugeRecordHasBoundedMemory(t *testing.T) {
	src := &xs{}
	sc := event.NewScanner(endless(src))
	sc.MaxRecordBytes = 1 << 20
	for sc.Scan() {
	}
	require.ErrorContains(t, sc.Err(), "larger than 1048576 bytes")
	assert.Less(t, src.n, int64(8<<20), "the scanner must stop reading soon after the limit")

	// The default limit holds too: a 300 MB record is refused, not buffered.
	// All the scanner allocates is its buffer, grown to the limit once.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	src = &xs{}
	sc = event.NewScanner(endless(src))
	for sc.Scan() {
	}
	runtime.ReadMemStats(&after)
	require.ErrorContains(t, sc.Err(), fmt.Sprintf("larger than %d bytes", event.DefaultMaxRecordBytes))
	assert.Less(t, src.n, int64(event.DefaultMaxRecordBytes+1<<20), "read no further than the limit")
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("allocated %.1f MiB to refuse a 300 MB record", float64(allocated)/(1<<20))
	assert.Less(t, allocated, uint64(3*event.DefaultMaxRecordBytes/2))
}

func TestReadStopsEarlyWithoutLeaking(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")[:50]
	data := gz(t, []byte(`{"Records":[`+string(bytes.Join(lines, []byte(",")))+`]}`))
	before := runtime.NumGoroutine()
	for range 20 {
		for _, err := range event.Read(bytes.NewReader(data)) {
			require.NoError(t, err)
			break
		}
	}
	runtime.Gosched()
	assert.LessOrEqual(t, runtime.NumGoroutine(), before+2)
}

func TestErrorsAreTyped(t *testing.T) {
	_, err := scanAll([]byte(`{"Records":[{"a":}]}`))
	var se *event.SyntaxError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, int64(17), se.Offset)
}

// TestScannerReadsAnyChunking feeds log files a byte at a time and in odd
// pieces, so that every record is cut at every possible place by the end
// of what has been read: the records must come out the same.
func TestScannerReadsAnyChunking(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")
	recs := append(lines[2930:2945:2945], lines[3550:3555]...) // non-ASCII, escapes, odd numbers, duplicate keys
	plain := []byte(`{"Records":[` + string(bytes.Join(recs, []byte(","))) + `]}`)
	pretty := prettyLogFile(t, recs)
	for name, data := range map[string][]byte{"compact": plain, "pretty": pretty, "gzip": gz(t, plain)} {
		want, err := scanAll(data)
		require.NoError(t, err)
		require.Len(t, want, len(recs))
		for rname, r := range map[string]io.Reader{
			"one byte": iotest.OneByteReader(bytes.NewReader(data)),
			"halves":   iotest.HalfReader(bytes.NewReader(data)),
			"data+EOF": iotest.DataErrReader(bytes.NewReader(data)),
		} {
			sc := event.NewScanner(r)
			var got []string
			for sc.Scan() {
				got = append(got, string(sc.Bytes()))
			}
			require.NoError(t, sc.Err(), "%s, %s", name, rname)
			assert.Equal(t, want, got, "%s, %s", name, rname)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json.gz")
	require.NoError(t, os.WriteFile(good, gz(t, []byte(`{"Records":[{"eventVersion":"1.0","eventTime":"2024-01-01T00:00:00Z"}]}`)), 0o644))
	n := 0
	for r, err := range event.ReadFile(good) {
		require.NoError(t, err)
		assert.Equal(t, "1.0", r.EventVersion)
		n++
	}
	assert.Equal(t, 1, n)

	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"Records":[{"eventVersion":"1.0","eventTime":"2024-01-01T00:00:00Z"},{"x":]}`), 0o644))
	var last error
	for _, err := range event.ReadFile(bad) {
		last = err
	}
	assert.ErrorContains(t, last, bad+": record 1 at byte 70: invalid JSON at byte 75")

	var errs []error
	for r, err := range event.ReadFile(filepath.Join(dir, "missing.json")) {
		assert.Nil(t, r)
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	assert.ErrorIs(t, errs[0], os.ErrNotExist)
	assert.ErrorContains(t, errs[0], "missing.json")
}

// TestScannerMembers: the members of a record of an array, located in
// Bytes as the record is validated; none for a record the Scanner
// compacted or read whole as a top-level value.
func TestScannerMembers(t *testing.T) {
	const r1 = `{"eventVersion":"1.09","eventName":"A","userIdentity":{"type":"Root"},"eventName":"B"}`
	const spaced = `{ "eventName" : "C" }`
	tests := []struct {
		name, in string
		want     [][]string // per record: key, value, key, value, ...; nil: not located
	}{
		{"log file", `{"Records":[` + r1 + `,{}]}`, [][]string{
			{`"eventVersion"`, `"1.09"`, `"eventName"`, `"A"`, `"userIdentity"`, `{"type":"Root"}`, `"eventName"`, `"B"`}, {}}},
		{"array", `[` + r1 + `]`, [][]string{
			{`"eventVersion"`, `"1.09"`, `"eventName"`, `"A"`, `"userIdentity"`, `{"type":"Root"}`, `"eventName"`, `"B"`}}},
		{"compacted", `{"Records":[` + spaced + `]}`, [][]string{nil}},
		{"JSON Lines", r1 + "\n" + r1, [][]string{nil, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := event.NewScanner(strings.NewReader(tt.in))
			defer sc.Close()
			var got [][]string
			for sc.Scan() {
				ms := sc.Members()
				if ms == nil {
					got = append(got, nil)
					continue
				}
				b := sc.Bytes()
				rec := []string{}
				for _, m := range ms {
					rec = append(rec, string(b[m.Key:m.KeyEnd]), string(b[m.Value:m.End]))
				}
				got = append(got, rec)
			}
			require.NoError(t, sc.Err())
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestScannerNested: with IndexNested, the objects nested in the
// record's members it names and their members, located in Bytes; nothing
// without it.
func TestScannerNested(t *testing.T) {
	const in = `{"Records":[{"eventName":"A","userIdentity":{"type":"Root","sessionContext":{"attributes":{"x":"1"}}},` +
		`"requestParameters":{"a":{}},"resources":[{"a":1}]}]}`
	for _, index := range []bool{false, true} {
		sc := event.NewScanner(strings.NewReader(in))
		if index {
			sc.IndexNested = []string{"userIdentity"}
		}
		require.True(t, sc.Scan(), sc.Err())
		require.NotNil(t, sc.Members())
		members, objects := sc.Nested()
		b := sc.Bytes()
		var got [][]string // per object: its text, then key, value, ...
		for _, o := range objects {
			obj := []string{string(b[o.Start:o.End])}
			for _, m := range members[o.From:o.To] {
				obj = append(obj, string(b[m.Key:m.KeyEnd]), string(b[m.Value:m.End]))
			}
			got = append(got, obj)
		}
		var want [][]string
		if index {
			want = [][]string{
				{`{"x":"1"}`, `"x"`, `"1"`},
				{`{"attributes":{"x":"1"}}`, `"attributes"`, `{"x":"1"}`},
				{`{"type":"Root","sessionContext":{"attributes":{"x":"1"}}}`, `"type"`, `"Root"`, `"sessionContext"`, `{"attributes":{"x":"1"}}`},
			}
		}
		assert.Equal(t, want, got, "IndexNested %v", index)
		require.NoError(t, sc.Close())
	}
}

// scanTrace is what a Scanner yields of data read through r: each
// record's index, offset, text and members, then its error.
func scanTrace(r io.Reader, compact bool) []string {
	sc := event.NewScanner(r)
	sc.Compact = compact
	var out []string
	for sc.Scan() {
		out = append(out, fmt.Sprintf("%d@%d %s %v", sc.Index(), sc.Offset(), sc.Bytes(), sc.Members()))
	}
	return append(out, fmt.Sprint(sc.Err()))
}

// TestScannerCompact: with Compact, the Scanner yields what it does
// without, records, members, offsets and errors alike, whatever the input
// (records with whitespace, escapes, non-ASCII, invalid ones) and however
// the records are cut by the end of what has been read: by the reads, or
// by the buffer in a log file larger than it.
func TestScannerCompact(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")
	recs := append(lines[2930:2945:2945], lines[3550:3555]...) // non-ASCII, escapes, odd numbers, duplicate keys
	plain := []byte(`{"Records":[` + string(bytes.Join(recs, []byte(","))) + `]}`)
	var big [][]byte
	for n := 0; n < 3<<20; n += len(big[len(big)-1]) + 1 {
		big = append(big, lines[len(big)%len(lines)])
	}
	bigFile := []byte(`{"Records":[` + string(bytes.Join(big, []byte(","))) + `]}`)
	spaced := bytes.Clone(bigFile)
	spaced[bytes.LastIndex(spaced, []byte(`":`))+1] = ' ' // a space deep in the last record
	invalid := bytes.Clone(bigFile)
	invalid[bytes.LastIndex(invalid, []byte(`":"`))+2] = 'x' // a value that is not JSON
	inputs := map[string][]byte{
		"compact": plain, "pretty": prettyLogFile(t, recs), "gzip": gz(t, plain),
		"large": bigFile, "large with a space": spaced, "large and invalid": invalid,
		"array":       []byte(`[` + string(bytes.Join(recs, []byte(","))) + `]`),
		"deep":        []byte(`{"Records":[` + strings.Repeat(`{"a":`, 600) + "1" + strings.Repeat("}", 600) + `]}`),
		"cut":         plain[:len(plain)-100],
		"bad literal": []byte(`{"Records":[{"a":1},{"a":tru}]}`),
		"not UTF-8":   []byte(`{"Records":[{"eventName":"a` + "\xff" + `"}]}`),
	}
	for name, data := range inputs {
		want := scanTrace(bytes.NewReader(data), false)
		if name == "large" {
			require.Len(t, want, len(big)+1)
			require.Equal(t, "<nil>", want[len(want)-1])
		}
		for rname, r := range map[string]func() io.Reader{
			"whole":    func() io.Reader { return bytes.NewReader(data) },
			"one byte": func() io.Reader { return iotest.OneByteReader(bytes.NewReader(data)) },
			"halves":   func() io.Reader { return iotest.HalfReader(bytes.NewReader(data)) },
		} {
			if rname == "one byte" && len(data) > 1<<20 {
				continue // as "halves" does it, more slowly
			}
			assert.Equal(t, want, scanTrace(r(), true), "%s, %s", name, rname)
		}
	}
}
