package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/internal/synth"
)

// The command benchmarks run the built trailkit binary on a generated log
// file, as a person would, and compare it with a floor measured in the same
// run. TRAILKIT_BENCH_RECORDS sets the file's size: 200000 records is about
// 333 MB of JSON (54 MB gzipped); 600000 is about 1 GB.
//
//	go test -run '^$' -bench CatCount -benchtime 3x ./cmd/trailkit

// benchLogFile generates (once, then cached in the temp dir) a gzipped log
// file of n synthetic records.
func benchLogFile(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "trailkit-bench")
	path := filepath.Join(dir, fmt.Sprintf("records-v%d-%d.json.gz", synth.Version, n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	// A temporary name of its own, renamed into place when complete, so
	// that benchmarks started at the same time never see half a file.
	f, err := os.CreateTemp(dir, "records-*.tmp")
	if err != nil {
		b.Fatal(err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
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
// launcherSource is a program that runs a command with its own standard
// streams and writes the command's peak RSS in bytes to the file named by
// its first argument. Peak RSS must be measured from a small process like
// this one: Linux charges a child started by fork or vfork with its
// parent's resident memory until it execs (exec_mmap records the old mm's
// high-water mark in the child's maxrss), so wait4 on a child of a large
// test process reports at least that process's RSS.
const launcherSource = `package main

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

func main() {
	c := exec.Command(os.Args[2], os.Args[3:]...)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	_ = c.Run()
	if c.ProcessState == nil {
		os.Exit(125)
	}
	rss := c.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024
	if err := os.WriteFile(os.Args[1], []byte(strconv.FormatInt(rss, 10)), 0o644); err != nil {
		os.Exit(125)
	}
	os.Exit(c.ProcessState.ExitCode())
}
`

// buildLauncher builds launcherSource into a temporary directory.
func buildLauncher(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "launcher.go")
	if err := os.WriteFile(src, []byte(launcherSource), 0o644); err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "launcher")
	cmd := exec.Command("go", "build", "-o", bin, src)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=") // a file outside the module: no module flags
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build launcher: %v\n%s", err, out)
	}
	return bin
}

// measured is one run of a command under the launcher.
type measured struct {
	stdout, stderr string
	code           int
	peakRSS        int64         // bytes
	cpu            time.Duration // user and system time of the launcher and the command
}

// runMeasured runs bin with args under the launcher and returns its output,
// exit status and peak RSS.
func runMeasured(tb testing.TB, launcher string, stdin io.Reader, bin string, args ...string) measured {
	tb.Helper()
	rssFile := filepath.Join(tb.TempDir(), "rss")
	cmd := exec.Command(launcher, append([]string{rssFile, bin}, args...)...)
	cmd.Stdin = stdin
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		tb.Fatalf("run %s: %v", bin, err)
	}
	// The launcher's usage, as wait4 reports it, includes that of the
	// command it waited for.
	m := measured{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode(),
		cpu: cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()}
	if m.code == 125 {
		tb.Fatalf("launcher failed to run %s: %s", bin, m.stderr)
	}
	raw, err := os.ReadFile(rssFile)
	if err != nil {
		tb.Fatal(err)
	}
	if m.peakRSS, err = strconv.ParseInt(string(raw), 10, 64); err != nil {
		tb.Fatal(err)
	}
	return m
}

// gunzipFloor decompresses the file to io.Discard with klauspost/compress,
// the floor cat is measured against, and returns the time and the
// uncompressed size.
func gunzipFloor(b *testing.B, path string) (time.Duration, int64) {
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
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		b.Fatal(err)
	}
	return time.Since(start), n
}

// BenchmarkCatCount reports trailkit cat --count's time as a ratio of the
// floor (gunzip to io.Discard of the same file) and its peak RSS. Floor and
// cat alternate (floor, cat, floor, cat, ...) so that both see the same
// machine, and the ratios are medians of the iterations' ratios: x-floor in
// elapsed time, x-floor-cpu in processor time (user and system: the
// floor's in this process, cat's as its launcher's wait reports it), which
// other work on a shared machine disturbs less. x-floor-best and
// x-floor-worst are the extremes of the elapsed-time ratios. The count cat
// prints is checked every time. It fails if the peak RSS reaches 64 MiB.
func BenchmarkCatCount(b *testing.B) {
	n := benchmeter.Records(200000)
	path := benchLogFile(b, n)
	benchCatCount(b, path, n, func() (time.Duration, int64) { return gunzipFloor(b, path) })
}

// benchCatCount runs trailkit cat --count on target b.N times, each after
// measuring the floor, checks the count and reports the ratios, the
// throughputs and the peak RSS (which must stay under 64 MiB).
func benchCatCount(b *testing.B, target string, n int, floorFn func() (time.Duration, int64)) {
	b.Helper()
	bin := buildTrailkit(b)
	launcher := buildLauncher(b)
	var floor, cat time.Duration
	var size, maxRSS int64
	var wall, cpu []float64
	for b.Loop() {
		c0 := benchmeter.CPUTime(b)
		f, sz := floorFn()
		fcpu := benchmeter.CPUTime(b) - c0
		size = sz
		// The launcher's own start-up (a few milliseconds) is counted
		// against cat: the ratio errs on the safe side.
		start := time.Now()
		m := runMeasured(b, launcher, nil, bin, "cat", "--count", target)
		c := time.Since(start)
		if m.code != 0 {
			b.Fatalf("trailkit cat --count: exit %d: %s", m.code, m.stderr)
		}
		if m.stdout != strconv.Itoa(n)+"\n" {
			b.Fatalf("count = %q, want %d", m.stdout, n)
		}
		floor += f
		cat += c
		wall = append(wall, float64(c)/float64(f))
		cpu = append(cpu, float64(m.cpu)/float64(fcpu))
		maxRSS = max(maxRSS, m.peakRSS)
	}
	b.ReportMetric(benchmeter.Median(wall), "x-floor")
	b.ReportMetric(benchmeter.Median(cpu), "x-floor-cpu")
	b.ReportMetric(slices.Min(wall), "x-floor-best")
	b.ReportMetric(slices.Max(wall), "x-floor-worst")
	b.ReportMetric(float64(size)*float64(b.N)/cat.Seconds()/1e6, "cat-MB/s")
	b.ReportMetric(float64(size)*float64(b.N)/floor.Seconds()/1e6, "floor-MB/s")
	b.ReportMetric(float64(size)/1e6, "JSON-MB")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MiB")
	b.Logf("elapsed-time ratios %.3f, processor-time ratios %.3f", wall, cpu)
	if maxRSS >= 64<<20 {
		b.Errorf("peak RSS %d MiB, want under 64 MiB", maxRSS>>20)
	}
}

// BenchmarkExport reports trailkit export's time on the generated log file
// as a ratio of the gunzip floor measured just before each run: x-floor is
// the median of the per-iteration wall-clock ratios (x-floor-best and
// x-floor-worst their extremes), x-floor-cpu the median of the ratios of
// CPU time (user + system: the export's, counted by wait4, against the
// floor's, counted by getrusage of this process), which load on a shared
// machine disturbs less. It also reports the peak RSS and the Parquet
// bytes written as a ratio of the .json.gz bytes, and fails if the peak
// RSS reaches 256 MiB.
func BenchmarkExport(b *testing.B) {
	for _, format := range []string{"cloudtrail", "ocsf"} {
		b.Run(format, func(b *testing.B) { benchExport(b, format) })
	}
}

func benchExport(b *testing.B, format string) {
	n := benchmeter.Records(200000)
	path := benchLogFile(b, n)
	bin := buildTrailkit(b)
	launcher := buildLauncher(b)
	gz, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	var parquetBytes, maxRSS int64
	var wall, cpu []float64
	for b.Loop() {
		out := filepath.Join(b.TempDir(), "lake")
		c0 := benchmeter.CPUTime(b)
		f, _ := gunzipFloor(b, path)
		fcpu := benchmeter.CPUTime(b) - c0
		start := time.Now()
		m := runMeasured(b, launcher, nil, bin, "export", "--format", format, "--out", out, path)
		c := time.Since(start)
		if m.code != 0 {
			b.Fatalf("trailkit export: exit %d: %s", m.code, m.stderr)
		}
		if !strings.Contains(m.stderr, fmt.Sprintf("exported %d records", n)) {
			b.Fatalf("export said %q, want %d records", m.stderr, n)
		}
		wall = append(wall, float64(c)/float64(f))
		cpu = append(cpu, float64(m.cpu)/float64(fcpu))
		maxRSS = max(maxRSS, m.peakRSS)
		parquetBytes = dirBytes(b, out)
	}
	b.ReportMetric(benchmeter.Median(wall), "x-floor")
	b.ReportMetric(benchmeter.Median(cpu), "x-floor-cpu")
	b.ReportMetric(slices.Min(wall), "x-floor-best")
	b.ReportMetric(slices.Max(wall), "x-floor-worst")
	b.ReportMetric(float64(parquetBytes)/float64(gz.Size()), "parquet/gz")
	b.ReportMetric(float64(parquetBytes)/1e6, "parquet-MB")
	b.ReportMetric(float64(gz.Size())/1e6, "gz-MB")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MiB")
	if maxRSS >= 256<<20 {
		b.Errorf("peak RSS %d MiB, want under 256 MiB", maxRSS>>20)
	}
}

func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir // the directory sink's metadata
		}
		if !d.Type().IsRegular() {
			return nil
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// gunzipFilesFloor decompresses every file to io.Discard in one process,
// one after another, with one gzip reader and one buffer reused: the floor
// cat over many small files is measured against. It returns the time and
// the uncompressed size.
func gunzipFilesFloor(b *testing.B, files []string) (time.Duration, int64) {
	b.Helper()
	start := time.Now()
	var zr *gzip.Reader
	buf := make([]byte, 64<<10)
	var total int64
	for _, path := range files {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if zr == nil {
			zr, err = gzip.NewReader(f)
		} else {
			err = zr.Reset(f)
		}
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.CopyBuffer(io.Discard, zr, buf)
		if err != nil {
			b.Fatal(err)
		}
		total += n
		f.Close()
	}
	return time.Since(start), total
}

// BenchmarkCatCountSmallFiles is BenchmarkCatCount over a ten-day trail of
// about 12,000 five-minute files (synth.BenchTrail; TRAILKIT_BENCH_RECORDS
// records in all, 200,000 by default), against gunzipping the same files
// in one process (gunzipFilesFloor), measured just before each run of cat.
// Target: x-floor at most 1.
//
//	go test -run '^$' -bench CatCountSmallFiles -benchtime 3x ./cmd/trailkit
func BenchmarkCatCountSmallFiles(b *testing.B) {
	n := benchmeter.Records(200000)
	root, err := synth.BenchTrail(n)
	if err != nil {
		b.Fatal(err)
	}
	var files []string
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".json.gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	benchCatCount(b, root, n, func() (time.Duration, int64) { return gunzipFilesFloor(b, files) })
}
