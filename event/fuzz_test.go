package event_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// seedCorpus adds corpus records and log files as fuzz seeds.
func seedCorpus(f *testing.F) {
	lines := corpusLines(f, "records.jsonl")
	for i := 0; i < len(lines); i += 61 {
		f.Add(lines[i])
	}
	for _, l := range corpusLines(f, "records-nonconforming.jsonl")[:10] {
		f.Add(l)
	}
	files, _ := filepath.Glob(filepath.Join(corpusDir(f), "logfiles", "*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Add([]byte(`{"Records":[{"a":1}],"x":[]}`))
	f.Add([]byte(`{"awslogs":{"data":"H4sI"}}`))
	// Size and depth hostile: deep nesting, a long string, a nested
	// payload, NUL bytes between values, whitespace.
	f.Add([]byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)))
	f.Add([]byte(`{"Records":[` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `]}`))
	f.Add([]byte(`{"eventVersion":"1.08","s":"` + strings.Repeat("a", 1<<16) + `"}`))
	f.Add(cwlWrap([]byte(`{"messageType":"DATA_MESSAGE","logEvents":[{"message":"{\"a\":1}"}]}`), 3))
	f.Add([]byte("{}\x00{}"))
	f.Add([]byte(`{"Records":[` + strings.Repeat(" ", 1<<16) + `]}`))
}

// FuzzScanner: any input gives records that are valid, compact JSON, or a
// located error; never a panic.
func FuzzScanner(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		sc := event.NewScanner(bytes.NewReader(data))
		sc.MaxRecordBytes = 1 << 20
		for sc.Scan() {
			rec := sc.Bytes()
			if !json.Valid(rec) {
				t.Fatalf("record %d is not valid JSON: %q", sc.Index(), rec)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, rec); err != nil || !bytes.Equal(compact.Bytes(), rec) {
				t.Fatalf("record %d is not compact: %q", sc.Index(), rec)
			}
			var r event.Record
			if err := event.Unmarshal(rec, &r); err != nil {
				t.Fatalf("a scanned record must decode: %v", err)
			}
			checkMembers(t, rec, sc.Members())
		}
		var re *event.ReadError
		if err := sc.Err(); err != nil && !errors.As(err, &re) {
			t.Fatalf("error without a location: %v", err)
		}
		// Compact changes how records are parsed, never what comes out.
		if want, got := scanTrace(bytes.NewReader(data), false), scanTrace(bytes.NewReader(data), true); !slices.Equal(want, got) {
			t.Fatalf("with Compact %q, without %q", got, want)
		}
	})
}

// checkMembers: the members the Scanner located, if it did, are those
// event.Get reads, key and value, in order.
func checkMembers(t *testing.T, rec []byte, ms []event.Member) {
	t.Helper()
	if ms == nil {
		return
	}
	i := 0
	for k, v := range event.Get(rec).Members() {
		if i >= len(ms) {
			t.Fatalf("%q: %d members located, more read", rec, len(ms))
		}
		m := ms[i]
		if key, ok := event.Get(rec[m.Key:m.KeyEnd]).Text(); !ok || key != k || string(rec[m.Value:m.End]) != string(v.Raw()) {
			t.Fatalf("%q: member %d located as %q:%q, read as %q:%q", rec, i, rec[m.Key:m.KeyEnd], rec[m.Value:m.End], k, v.Raw())
		}
		i++
	}
	if i != len(ms) {
		t.Fatalf("%q: %d members located, %d read", rec, len(ms), i)
	}
}

// FuzzDecode: whatever decodes encodes back to the same JSON tokens.
func FuzzDecode(f *testing.F) {
	seedCorpus(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r event.Record
		if err := event.Unmarshal(data, &r); err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("decoded invalid JSON %q", data)
		}
		out := r.AppendJSON(nil)
		want, got := tokens(t, data), tokens(t, out)
		if len(want) != len(got) {
			t.Fatalf("round trip changed the JSON:\nin:  %s\nout: %s", data, out)
		}
		for i := range want {
			if want[i] != got[i] {
				t.Fatalf("round trip changed token %d (%v -> %v):\nin:  %s\nout: %s", i, want[i], got[i], data, out)
			}
		}
	})
}

// FuzzGet: looking up any path in any bytes gives a value or Missing, never
// a panic, and a value found in valid JSON is valid JSON.
func FuzzGet(f *testing.F) {
	f.Add([]byte(params), "tags", "1")
	f.Add([]byte(`{"a":[{"b":"\u00e9"}]}`), "a", "0")
	f.Add([]byte(`[1,2,{"x":null}]`), "2", "x")
	f.Add([]byte(`{"k":1, "k" : {"x":2}}`), "k", "x")
	f.Fuzz(func(t *testing.T, data []byte, k1, k2 string) {
		v := event.Get(data, k1, k2)
		_, _ = v.Text()
		_, _ = v.Int()
		_, _ = v.Bool()
		for range v.Members() {
		}
		for range v.Elements() {
		}
		if v.Exists() && json.Valid(data) && !json.Valid(v.Raw()) {
			t.Fatalf("Get(%q, %q, %q) = %q, not valid JSON", data, k1, k2, v.Raw())
		}
		// One key: the member encoding/json reads, the last copy of a
		// repeated key, on the JSON trailkit accepts.
		var m map[string]json.RawMessage
		if json.Unmarshal(data, &m) != nil || !utf8.Valid(data) || jsonscan.Valid(data) != nil {
			return
		}
		want, ok := m[k1]
		if got := event.Get(data, k1); ok != got.Exists() || ok && !bytes.Equal(want, got.Raw()) {
			t.Fatalf("Get(%q, %q) = %q, encoding/json reads %q", data, k1, got.Raw(), want)
		}
	})
}

// cwlWrap wraps data as a CloudWatch Logs subscription payload, gzipped,
// base64-encoded and placed in {"awslogs":{"data":...}}, depth times.
func cwlWrap(data []byte, depth int) []byte {
	for range depth {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(data)
		zw.Close()
		data = []byte(`{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(gz.Bytes()) + `"}}`)
	}
	return data
}

// FuzzCloudWatchLogs unwraps CloudWatch Logs payloads built around fuzzed
// messages and nested to a fuzzed depth: a message that is a record comes
// out as that record, compact, at any depth up to MaxPayloadDepth; deeper
// nesting is an error naming it; the payload's own bytes, fuzzed too, give
// records or a located error, never a panic.
func FuzzCloudWatchLogs(f *testing.F) {
	rec := `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x"}`
	f.Add(rec, uint8(1), []byte(nil))
	f.Add(rec, uint8(2), []byte(`{"awslogs":{"data":"H4sI"}}`))
	f.Add(rec, uint8(3), []byte(`{"messageType":"CONTROL_MESSAGE","logEvents":[]}`))
	f.Add(rec, uint8(40), []byte(`{"awslogs":{"data":"`+strings.Repeat("A", 1<<16)+`"}}`))
	f.Add(`{"a":`+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)+`}`, uint8(1), []byte(strings.Repeat(`{"messageType":"DATA_MESSAGE","logEvents":[`, 100)))
	f.Add(`"`+strings.Repeat("x", 1<<16)+`"`, uint8(2), []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff})
	f.Fuzz(func(t *testing.T, message string, depth uint8, raw []byte) {
		depth %= 8
		payload := []byte(`{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":` + strconv.Quote(message) + `}]}`)
		sc := event.NewScanner(bytes.NewReader(cwlWrap(payload, int(depth))))
		sc.MaxRecordBytes = 1 << 20
		var got [][]byte
		for sc.Scan() {
			got = append(got, bytes.Clone(sc.Bytes()))
		}
		err := sc.Err()
		var compact bytes.Buffer
		isRecord := json.Compact(&compact, []byte(message)) == nil && json.Valid([]byte(message)) && strings.HasPrefix(strings.TrimSpace(message), "{")
		switch {
		case int(depth) > event.MaxPayloadDepth:
			if err == nil || !strings.Contains(err.Error(), "nested more than") {
				t.Fatalf("payload %d deep: want a nesting error, got %v", depth, err)
			}
		case isRecord && err == nil:
			if len(got) != 1 || !bytes.Equal(got[0], compact.Bytes()) {
				t.Fatalf("payload %d deep: got %q, want %q", depth, got, compact.Bytes())
			}
		}
		var re *event.ReadError
		if err != nil && !errors.As(err, &re) {
			t.Fatalf("error without a location: %v", err)
		}
		// The fuzzed bytes, wrapped as a payload.
		sc = event.NewScanner(bytes.NewReader(cwlWrap(raw, int(depth%3))))
		sc.MaxRecordBytes = 1 << 20
		for sc.Scan() {
			if !json.Valid(sc.Bytes()) {
				t.Fatalf("record %d is not valid JSON: %q", sc.Index(), sc.Bytes())
			}
		}
		if err := sc.Err(); err != nil && !errors.As(err, &re) {
			t.Fatalf("error without a location: %v", err)
		}
	})
}
