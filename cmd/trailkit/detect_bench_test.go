package main

import (
	"bytes"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/benchmeter"
)

// timed runs bin with args, its standard output written to stdout, and
// returns its wall time and CPU time (user + system).
func timed(b *testing.B, stdout io.Writer, bin string, args ...string) (wall, cpu time.Duration) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", bin, args, err, stderr.Bytes())
	}
	wall = time.Since(start)
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// lineCounter counts the lines written to it and keeps none of them:
// detect prints hundreds of megabytes of findings, and a buffer growing to
// hold them would cost the machine the command shares with the benchmark
// more than the command's own output does.
type lineCounter struct{ n int }

func (c *lineCounter) Write(p []byte) (int, error) {
	c.n += bytes.Count(p, []byte{'\n'})
	return len(p), nil
}

// BenchmarkDetect reports trailkit detect with every kept SigmaHQ rule and
// the CIS set as a ratio of trailkit cat --count over the same generated
// log file, the two run alternately (cat, detect, cat, detect, ...) so
// that both see the same machine: x-cat is the median of the
// per-iteration ratios of wall times, x-cat-cpu of the ratios of CPU
// times (user + system, which a busy machine disturbs least), x-cat-best
// the best wall ratio. The target is 1.3.
//
//	go test -run '^$' -bench Detect -benchtime 5x ./cmd/trailkit
func BenchmarkDetect(b *testing.B) {
	n := benchmeter.Records(200000)
	path := benchLogFile(b, n)
	bin := buildTrailkit(b)
	rules := filepath.Join("..", "..", "detect", "testdata", "sigma")
	var wall, cpu []float64
	var catCPU, detCPU time.Duration
	findings := -1
	for b.Loop() {
		var count bytes.Buffer
		w, c := timed(b, &count, bin, "cat", "--count", path)
		if count.String() != strconv.Itoa(n)+"\n" {
			b.Fatalf("count = %q, want %d", count.String(), n)
		}
		var lines lineCounter
		dw, dc := timed(b, &lines, bin, "detect", "--rules", rules, "--cis", path)
		f := lines.n
		if findings >= 0 && f != findings {
			b.Fatalf("%d findings, then %d", findings, f)
		}
		findings = f
		wall, cpu = append(wall, float64(dw)/float64(w)), append(cpu, float64(dc)/float64(c))
		catCPU, detCPU = catCPU+c, detCPU+dc
	}
	b.ReportMetric(benchmeter.Median(wall), "x-cat")
	b.ReportMetric(slices.Min(wall), "x-cat-best")
	b.ReportMetric(benchmeter.Median(cpu), "x-cat-cpu")
	b.ReportMetric(float64(catCPU.Milliseconds())/float64(len(cpu)), "cat-cpu-ms")
	b.ReportMetric(float64(detCPU.Milliseconds())/float64(len(cpu)), "detect-cpu-ms")
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(n), "records")
}
