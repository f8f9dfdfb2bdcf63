package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
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
// log file, each run just before the other so both see the same machine:
// x-cat is the ratio of wall times, x-cat-best the best per-iteration
// ratio, x-cat-cpu the ratio of CPU times (user + system), which a busy
// machine disturbs least. The target is 1.3.
//
//	go test -run '^$' -bench Detect -benchtime 3x ./cmd/trailkit
func BenchmarkDetect(b *testing.B) {
	n := benchRecords()
	path := benchLogFile(b, n)
	bin := buildTrailkit(b)
	rules := filepath.Join("..", "..", "detect", "testdata", "sigma")
	var catWall, catCPU, detWall, detCPU time.Duration
	best := 1e9
	findings := -1
	for b.Loop() {
		out, w, c := timed(b, bin, "cat", "--count", path)
		if string(out) != strconv.Itoa(n)+"\n" {
			b.Fatalf("count = %q, want %d", out, n)
		}
		catWall, catCPU = catWall+w, catCPU+c
		out, dw, dc := timed(b, bin, "detect", "--rules", rules, "--cis", path)
		detWall, detCPU = detWall+dw, detCPU+dc
		f := bytes.Count(out, []byte("\n"))
		if findings >= 0 && f != findings {
			b.Fatalf("%d findings, then %d", findings, f)
		}
		findings = f
		best = min(best, float64(dw)/float64(w))
	}
	b.ReportMetric(float64(detWall)/float64(catWall), "x-cat")
	b.ReportMetric(best, "x-cat-best")
	b.ReportMetric(float64(detCPU)/float64(catCPU), "x-cat-cpu")
	b.ReportMetric(float64(findings), "findings")
	b.ReportMetric(float64(n), "records")
}
