package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
)

// BenchmarkReplayShared replays the benchmark input (benchRecords records,
// with digests) into MinIO by one process, and by four processes at once
// on a quarter of the records each (round-robin), writing one trail: the
// shared chain must cost nothing in time. Each iteration runs every mode
// once, into a prefix of its own; the medians are reported, and the ratio
// of four processes to one (want ≤ 1). TRAILKIT_BENCH_BASE names a trailkit
// binary built from an earlier commit, whose single-process replay is run
// too, for the ratio of this build to it (want ≤ 1.05).
//
//	go test -run '^$' -bench ReplayShared -benchtime 3x ./cmd/trailkit
func BenchmarkReplayShared(b *testing.B) {
	n := benchRecords()
	whole := benchParts(b, n, 1)[0]
	quarters := benchParts(b, n, 4)
	bin := buildTrailkit(b)
	dir := b.TempDir()
	key, err := digest.GenerateKey(2048)
	if err != nil {
		b.Fatal(err)
	}
	pemKey, err := digest.MarshalPrivateKeyPEM(key)
	if err != nil {
		b.Fatal(err)
	}
	priv := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(priv, pemKey, 0o600); err != nil {
		b.Fatal(err)
	}
	srv := miniotest.Start(b)
	srv.CreateBucket(b, "bench")
	env := append(os.Environ(), srv.Env()...)
	run := func(bin, prefix string, inputs ...string) time.Duration {
		start := time.Now()
		var cmds []*exec.Cmd
		outs := make([]*strings.Builder, len(inputs))
		for i, in := range inputs {
			c := exec.Command(bin, "replay", "--account-id", synth.New(1, time.Time{}).Account, "--region", "us-east-1",
				"--trail-name", "bench", "--all", "--quiet", "--private-key", priv, "--s3", "s3://bench/"+prefix, in)
			c.Env = env
			outs[i] = &strings.Builder{}
			c.Stdout, c.Stderr = outs[i], outs[i]
			if err := c.Start(); err != nil {
				b.Fatal(err)
			}
			cmds = append(cmds, c)
		}
		for i, c := range cmds {
			if err := c.Wait(); err != nil {
				b.Fatalf("replay %s: %v\n%s", inputs[i], err, outs[i])
			}
		}
		return time.Since(start)
	}
	base := os.Getenv("TRAILKIT_BENCH_BASE")
	var one, four, old []time.Duration
	b.ResetTimer()
	for i := range b.N {
		one = append(one, run(bin, fmt.Sprintf("one%d", i), whole))
		four = append(four, run(bin, fmt.Sprintf("four%d", i), quarters...))
		if base != "" {
			old = append(old, run(base, fmt.Sprintf("base%d", i), whole))
		}
	}
	b.StopTimer()
	median := func(ds []time.Duration) time.Duration {
		s := slices.Clone(ds)
		slices.Sort(s)
		return s[len(s)/2]
	}
	b.ReportMetric(median(one).Seconds(), "s/1-process")
	b.ReportMetric(median(four).Seconds(), "s/4-processes")
	b.ReportMetric(median(four).Seconds()/median(one).Seconds(), "4-processes/1-process")
	b.Logf("replay of %d records into MinIO: 1 process %v, 4 processes %v (runs %v, %v)", n, median(one), median(four), one, four)
	if base != "" {
		b.ReportMetric(median(old).Seconds(), "s/base-1-process")
		b.ReportMetric(median(one).Seconds()/median(old).Seconds(), "1-process/base")
		b.Logf("base %s: 1 process %v (runs %v)", base, median(old), old)
	}
}

// benchParts splits the benchmark log file round-robin into JSON Lines
// files (generated once, then cached in the temp dir).
func benchParts(b *testing.B, n, parts int) []string {
	b.Helper()
	src := benchLogFile(b, n)
	dir := filepath.Join(os.TempDir(), "trailkit-bench")
	var paths []string
	missing := false
	for i := range parts {
		p := filepath.Join(dir, fmt.Sprintf("records-v%d-%d-part%dof%d.jsonl", synth.Version, n, i, parts))
		paths = append(paths, p)
		if _, err := os.Stat(p); err != nil {
			missing = true
		}
	}
	if !missing {
		return paths
	}
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	files := make([]*os.File, parts)
	ws := make([]*bufio.Writer, parts)
	for i := range parts {
		if files[i], err = os.CreateTemp(dir, "part-*.tmp"); err != nil {
			b.Fatal(err)
		}
		defer os.Remove(files[i].Name())
		ws[i] = bufio.NewWriter(files[i])
	}
	i := 0
	var buf []byte
	for r, err := range event.Read(in) {
		if err != nil {
			b.Fatal(err)
		}
		buf = append(r.AppendJSON(buf[:0]), '\n')
		if _, err := ws[i%parts].Write(buf); err != nil {
			b.Fatal(err)
		}
		i++
	}
	for i := range parts {
		if err := ws[i].Flush(); err != nil {
			b.Fatal(err)
		}
		if err := files[i].Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(files[i].Name(), paths[i]); err != nil {
			b.Fatal(err)
		}
	}
	return paths
}
