package event_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
)

// benchRecords returns encoded synthetic records, the same every run.
func benchRecords(b *testing.B, n int) [][]byte {
	b.Helper()
	g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	out := make([][]byte, n)
	for i := range out {
		out[i] = g.Record().AppendJSON(nil)
	}
	return out
}

func totalLen(recs [][]byte) (n int64) {
	for _, r := range recs {
		n += int64(len(r))
	}
	return n
}

func BenchmarkDecode(b *testing.B) {
	recs := benchRecords(b, 1000)
	b.SetBytes(totalLen(recs) / int64(len(recs)))
	b.ReportAllocs()
	var r event.Record
	i := 0
	for b.Loop() {
		if err := event.Unmarshal(recs[i%len(recs)], &r); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkEncode(b *testing.B) {
	recs := benchRecords(b, 1000)
	decoded := make([]event.Record, len(recs))
	for i := range recs {
		if err := event.Unmarshal(recs[i], &decoded[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(totalLen(recs) / int64(len(recs)))
	b.ReportAllocs()
	buf := make([]byte, 0, 64<<10)
	i := 0
	for b.Loop() {
		buf = decoded[i%len(decoded)].AppendJSON(buf[:0])
		i++
	}
}

// logFile returns a gzipped log file of n synthetic records.
func logFile(b *testing.B, n int) []byte {
	b.Helper()
	var out bytes.Buffer
	g := synth.New(2, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := g.WriteLogFile(&out, n); err != nil {
		b.Fatal(err)
	}
	return out.Bytes()
}

func uncompressedLen(b *testing.B, data []byte) int64 {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkReadLogFile compares, on one generated log file, the floor
// (decompressing to io.Discard), scanning records (what cat --count does)
// and decoding every record into the typed model; scan-plain scans the
// uncompressed file, which shows the parsing cost alone. MB/s are of uncompressed
// JSON; compare the three in one run.
func BenchmarkReadLogFile(b *testing.B) {
	data := logFile(b, 20000)
	size := uncompressedLen(b, data)
	b.Run("floor=gunzip", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			zr, _ := gzip.NewReader(bytes.NewReader(data))
			if _, err := io.Copy(io.Discard, zr); err != nil {
				b.Fatal(err)
			}
		}
	})
	zr, _ := gzip.NewReader(bytes.NewReader(data))
	plain, _ := io.ReadAll(zr)
	b.Run("scan-plain", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			sc := event.NewScanner(bytes.NewReader(plain))
			n := 0
			for sc.Scan() {
				n++
			}
			if sc.Err() != nil || n != 20000 {
				b.Fatal(sc.Err(), n)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			sc := event.NewScanner(bytes.NewReader(data))
			n := 0
			for sc.Scan() {
				n++
			}
			if sc.Err() != nil || n != 20000 {
				b.Fatal(sc.Err(), n)
			}
		}
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			for _, err := range event.Read(bytes.NewReader(data)) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != 20000 {
				b.Fatal(n)
			}
		}
	})
}

func BenchmarkWriteLogFile(b *testing.B) {
	recs := benchRecords(b, 1000)
	decoded := make([]event.Record, len(recs))
	for i := range recs {
		if err := event.Unmarshal(recs[i], &decoded[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(totalLen(recs))
	b.ReportAllocs()
	for b.Loop() {
		lw, _ := event.NewLogWriter(io.Discard, event.LogWriterOptions{})
		for i := range decoded {
			if err := lw.Write(&decoded[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := lw.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScanCorpus scans the real records of the corpus as one
// plain log file: strings with escapes, non-ASCII text and deep request
// parameters, unlike the generated records.
func BenchmarkScanCorpus(b *testing.B) {
	lines := corpusLines(b, "records.jsonl")
	data := []byte(`{"Records":[` + string(bytes.Join(lines, []byte(","))) + `]}`)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		sc := event.NewScanner(bytes.NewReader(data))
		n := 0
		for sc.Scan() {
			n++
		}
		if sc.Err() != nil || n != len(lines) {
			b.Fatal(sc.Err(), n)
		}
	}
}
