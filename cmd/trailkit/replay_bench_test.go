package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/trail"
)

// BenchmarkReplayShared replays the benchmark input (TRAILKIT_BENCH_RECORDS records,
// with digests) into MinIO by one process, and by four processes at once
// writing one trail, each on a quarter of the input, split in two ways:
//
//   - by delivery window (the mode the cost of a shared trail is judged
//     on): a record goes to the part of its 5-minute flush window, the
//     window replay cuts its log files by, window k (counted from the Unix
//     epoch) to part k mod 4. Each log file of the single replay is then
//     written by one process, as when the log files of a trail are divided
//     among processes, yet every process writes in every hour, so each
//     hour's digest is raced for by all four writers.
//   - by record (reported as "by-record"): record i to part i mod 4, as a
//     fleet behind a load balancer sees them. Each process then has
//     records in every window and cuts its own file of it, so the four
//     deliver four times the log files of one (as four CloudTrail
//     writers would): four times the puts, and the work per file, however
//     the writers share the chain.
//
// The shared chain must cost nothing: the ratio of four processes by window
// to one is wanted ≤ 1. Four processes still do some work one does not:
// four start-ups, and the requests through which they share the chain (the
// sealer of an hour reads the metadata of the others' files, each of the
// others reads its digest). Where one replay already keeps every core busy
// (two cores: it parses while it compresses, and MinIO runs beside it),
// that work and the switching between more processes than cores show in
// both ratios. Each iteration runs every mode once, into a prefix of its
// own; the medians are reported, and the ratios in wall time and in
// processor time (the replays' and MinIO's together, which a loaded machine
// inflates less). TRAILKIT_BENCH_BASE names a trailkit binary built from an
// earlier commit, whose single-process replay is run too, for the ratio of
// this build to it (want ≤ 1.05).
//
//	go test -run '^$' -bench ReplayShared -benchtime 3x ./cmd/trailkit
func BenchmarkReplayShared(b *testing.B) {
	n := benchmeter.Records(200000)
	whole := benchParts(b, n, 1, byRecord)[0]
	windows := benchParts(b, n, 4, byWindow)
	records := benchParts(b, n, 4, byRecord)
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
	// run runs the replays at once and returns the wall time, the
	// processor time of the replays and that of MinIO meanwhile.
	run := func(bin, prefix string, inputs ...string) (wall, cpu, server time.Duration) {
		server0, err := srv.CPUTime()
		if err != nil {
			b.Fatal(err)
		}
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
			cpu += c.ProcessState.UserTime() + c.ProcessState.SystemTime()
		}
		wall = time.Since(start)
		server1, err := srv.CPUTime()
		if err != nil {
			b.Fatal(err)
		}
		return wall, cpu, server1 - server0
	}
	base := os.Getenv("TRAILKIT_BENCH_BASE")
	var one, four, byRec, old mode
	b.ResetTimer()
	for i := range b.N {
		one.add(run(bin, fmt.Sprintf("one%d", i), whole))
		four.add(run(bin, fmt.Sprintf("four%d", i), windows...))
		byRec.add(run(bin, fmt.Sprintf("rec%d", i), records...))
		if base != "" {
			old.add(run(base, fmt.Sprintf("base%d", i), whole))
		}
	}
	b.StopTimer()
	load, _ := os.ReadFile("/proc/loadavg")
	b.ReportMetric(med(one.wall).Seconds(), "s/1-process")
	b.ReportMetric(med(four.wall).Seconds(), "s/4-processes")
	b.ReportMetric(med(four.wall).Seconds()/med(one.wall).Seconds(), "4-processes/1-process")
	b.ReportMetric(med(four.total()).Seconds()/med(one.total()).Seconds(), "cpu-4-processes/1-process")
	b.ReportMetric(med(byRec.wall).Seconds()/med(one.wall).Seconds(), "4-processes-by-record/1-process")
	b.ReportMetric(med(byRec.total()).Seconds()/med(one.total()).Seconds(), "cpu-4-processes-by-record/1-process")
	b.Logf("replay of %d records into MinIO (load average %s): wall time 1 process %v, 4 processes by window %v, by record %v (runs %v, %v, %v); processor time of the replays 1 process %v, 4 by window %v, by record %v; of MinIO %v, %v, %v",
		n, strings.TrimSpace(string(load)), med(one.wall), med(four.wall), med(byRec.wall), one.wall, four.wall, byRec.wall,
		med(one.cpu), med(four.cpu), med(byRec.cpu), med(one.server), med(four.server), med(byRec.server))
	if base != "" {
		b.ReportMetric(med(old.wall).Seconds(), "s/base-1-process")
		b.ReportMetric(med(one.wall).Seconds()/med(old.wall).Seconds(), "1-process/base")
		b.ReportMetric(med(one.total()).Seconds()/med(old.total()).Seconds(), "cpu-1-process/base")
		b.Logf("base %s: wall time 1 process %v (runs %v); processor time of the replay %v, of MinIO %v",
			base, med(old.wall), old.wall, med(old.cpu), med(old.server))
	}
}

// mode is what the runs of one mode of BenchmarkReplayShared measured:
// wall time, processor time of the replays and of MinIO, per run.
type mode struct{ wall, cpu, server []time.Duration }

func (m *mode) add(wall, cpu, server time.Duration) {
	m.wall, m.cpu, m.server = append(m.wall, wall), append(m.cpu, cpu), append(m.server, server)
}

// total is the processor time of each run, replays and MinIO together.
func (m *mode) total() []time.Duration {
	out := make([]time.Duration, len(m.cpu))
	for i := range m.cpu {
		out[i] = m.cpu[i] + m.server[i]
	}
	return out
}

// med is the median of ds (see benchmeter.Median).
func med(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(benchmeter.Median(xs))
}

// split is how benchParts divides the records among parts.
type split int

const (
	byRecord split = iota // record i to part i mod parts
	byWindow              // a record of flush window k to part k mod parts
)

// benchParts splits the benchmark log file into JSON Lines files (generated
// once, then cached in the temp dir). By window, a record's window is that
// of replay's clock when it reads the record: the latest eventTime read so
// far (the clock never goes back), truncated to the default flush interval,
// as the trail cuts its files.
func benchParts(b *testing.B, n, parts int, by split) []string {
	b.Helper()
	src := benchLogFile(b, n)
	dir := filepath.Join(os.TempDir(), "trailkit-bench")
	name := "records-v%d-%d-part%dof%d.jsonl"
	if by == byWindow {
		name = "records-v%d-%d-window-part%dof%d.jsonl"
	}
	var paths []string
	missing := false
	for i := range parts {
		p := filepath.Join(dir, fmt.Sprintf(name, synth.Version, n, i, parts))
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
	var clock time.Time
	var buf []byte
	for r, err := range event.Read(in) {
		if err != nil {
			b.Fatal(err)
		}
		part := i % parts
		if by == byWindow {
			if r.EventTime.After(clock) {
				clock = r.EventTime
			}
			window := clock.Truncate(trail.DefaultFlushInterval).Unix() / int64(trail.DefaultFlushInterval/time.Second)
			part = int(window % int64(parts))
		}
		buf = append(r.AppendJSON(buf[:0]), '\n')
		if _, err := ws[part].Write(buf); err != nil {
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
