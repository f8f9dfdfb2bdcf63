package schema_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/schema"
)

// Validation decodes each record into Go values and walks the schema over
// them. BenchmarkDecodeAny is its floor: decoding the same records into an
// any with encoding/json, which ValidateRecord must do first.
//
//	go test -run '^$' -bench . -benchmem ./schema

func benchRecords(b *testing.B, n int) ([][]byte, int64) {
	b.Helper()
	g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	out := make([][]byte, n)
	var total int64
	for i := range out {
		out[i] = g.Record().AppendJSON(nil)
		total += int64(len(out[i]))
	}
	return out, total / int64(n)
}

func BenchmarkValidateRecord(b *testing.B) {
	recs, avg := benchRecords(b, 1000)
	b.SetBytes(avg)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := schema.ValidateRecord(recs[i%len(recs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkDecodeAny(b *testing.B) {
	recs, avg := benchRecords(b, 1000)
	b.SetBytes(avg)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(recs[i%len(recs)]))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
