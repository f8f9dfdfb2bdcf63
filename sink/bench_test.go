package sink_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
)

// BenchmarkDirPut measures a directory sink's Put of a generated log file
// (about 2 MB gzipped, what a busy 5-minute file holds) against a floor
// measured in the same run: os.WriteFile of the same bytes to a new file,
// the least any store must do. x-floor is Put's time over the floor's; the
// difference is the metadata file, the temporary names and the renames
// (and with fsync, the syncs of two files and two directories, against a
// floor that syncs one file).
//
//	go test -run '^$' -bench DirPut ./sink
func BenchmarkDirPut(b *testing.B) {
	var body bytes.Buffer
	if err := synth.New(1, time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)).WriteLogFile(&body, 8000); err != nil {
		b.Fatal(err)
	}
	for _, fsync := range []bool{false, true} {
		b.Run(fmt.Sprintf("fsync=%v", fsync), func(b *testing.B) {
			ctx := context.Background()
			root := b.TempDir()
			d, err := sink.NewDir(filepath.Join(root, "sink"), sink.DirOptions{Fsync: fsync})
			if err != nil {
				b.Fatal(err)
			}
			floorDir := filepath.Join(root, "floor", "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "01", "02")
			if err := os.MkdirAll(floorDir, 0o755); err != nil {
				b.Fatal(err)
			}
			obj := sink.Object{
				Body: body.Bytes(), ContentType: "application/json", ContentEncoding: "gzip",
				Metadata: map[string]string{"signature": "00ff", "signature-algorithm": "SHA256withRSA"},
			}
			b.SetBytes(int64(body.Len()))
			b.ReportAllocs()
			var put, floor time.Duration
			for i := 0; b.Loop(); i++ {
				name := fmt.Sprintf("111122223333_CloudTrail_us-east-1_20260102T0305Z_%016d.json.gz", i)
				start := time.Now()
				f, err := os.Create(filepath.Join(floorDir, name))
				if err == nil {
					_, err = f.Write(obj.Body)
				}
				if err == nil && fsync {
					err = f.Sync()
				}
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				if err != nil {
					b.Fatal(err)
				}
				mid := time.Now()
				obj.Key = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/" + name
				if err := d.Put(ctx, obj); err != nil {
					b.Fatal(err)
				}
				put += time.Since(mid)
				floor += mid.Sub(start)
			}
			b.ReportMetric(float64(put)/float64(floor), "x-floor")
			b.ReportMetric(float64(body.Len())/1e6, "object-MB")
		})
	}
}
