package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/benchmeter"
)

// timed runs bin with args and returns its stdout, wall time and CPU time
// (user + system).
func timed(b *testing.B, bin string, args ...string) (out []byte, wall, cpu time.Duration) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", bin, args, err, stderr.Bytes())
	}
	wall = time.Since(start)
	return stdout.Bytes(), wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
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
		out, w, c := timed(b, bin, "cat", "--count", path)
		if string(out) != strconv.Itoa(n)+"\n" {
			b.Fatalf("count = %q, want %d", out, n)
		}
		out, dw, dc := timed(b, bin, "detect", "--rules", rules, "--cis", path)
		f := bytes.Count(out, []byte("\n"))
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
