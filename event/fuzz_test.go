package event_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

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
		}
		var re *event.ReadError
		if err := sc.Err(); err != nil && !errors.As(err, &re) {
			t.Fatalf("error without a location: %v", err)
		}
	})
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
