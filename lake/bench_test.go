package lake_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
)

// BenchmarkExport exports a generated log file of 20,000 records, or the
// file TRAILKIT_LAKE_FILE names, into a temporary directory, in each
// format. For profiles of the export alone:
//
//	TRAILKIT_LAKE_FILE=big.json.gz go test -run '^$' -bench Export -cpuprofile cpu.out ./lake
func BenchmarkExport(b *testing.B) {
	var input []byte
	if path := os.Getenv("TRAILKIT_LAKE_FILE"); path != "" {
		var err error
		if input, err = os.ReadFile(path); err != nil {
			b.Fatal(err)
		}
	} else {
		var buf bytes.Buffer
		g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err := g.WriteLogFile(&buf, 20000); err != nil {
			b.Fatal(err)
		}
		input = buf.Bytes()
	}
	for _, f := range []lake.Format{lake.CloudTrail, lake.OCSF} {
		b.Run(string(f), func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			for b.Loop() {
				out, err := sink.NewDir(b.TempDir(), sink.DirOptions{})
				if err != nil {
					b.Fatal(err)
				}
				w, err := lake.NewWriter(out, "bench.json.gz", lake.Options{Format: f})
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Export(context.Background(), bytes.NewReader(input)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
