package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/internal/synth"
)

// The command benchmarks run the built trailkit binary on a generated log
// file, as a person would, and compare it with a floor measured in the same
// run. TRAILKIT_BENCH_RECORDS sets the file's size: 200000 records is about
// 340 MB of JSON (55 MB gzipped); 600000 is about 1 GB.
//
//	go test -run '^$' -bench CatCount -benchtime 3x ./cmd/trailkit

func benchRecords() int {
	if n, err := strconv.Atoi(os.Getenv("TRAILKIT_BENCH_RECORDS")); err == nil && n > 0 {
		return n
	}
	return 200000
}

// benchLogFile generates (once, then cached in the temp dir) a gzipped log
// file of n synthetic records.
func benchLogFile(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "trailkit-bench")
	path := filepath.Join(dir, fmt.Sprintf("records-%d.json.gz", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := g.WriteLogFile(f, n); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// buildTrailkit builds the command into a temporary directory.
func buildTrailkit(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "trailkit")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func gunzipFloor(b *testing.B, path string) time.Duration {
	b.Helper()
	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, zr); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkCatCount reports trailkit cat --count's time as a ratio of the
// floor (gunzip to io.Discard of the same file) and its peak RSS. It fails
// if the peak RSS reaches 64 MiB.
func BenchmarkCatCount(b *testing.B) {
	n := benchRecords()
	path := benchLogFile(b, n)
	bin := buildTrailkit(b)
	var floor, cat time.Duration
	var maxRSS int64
	for b.Loop() {
		floor += gunzipFloor(b, path)
		start := time.Now()
		cmd := exec.Command(bin, "cat", "--count", path)
		out, err := cmd.Output()
		cat += time.Since(start)
		if err != nil {
			b.Fatalf("trailkit cat --count: %v", err)
		}
		if got := string(out); got != strconv.Itoa(n)+"\n" {
			b.Fatalf("count = %q, want %d", got, n)
		}
		rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
		maxRSS = max(maxRSS, rss)
	}
	b.ReportMetric(float64(cat)/float64(floor), "x-floor")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MiB")
	if maxRSS >= 64<<20 {
		b.Errorf("peak RSS %d MiB, want under 64 MiB", maxRSS>>20)
	}
}
