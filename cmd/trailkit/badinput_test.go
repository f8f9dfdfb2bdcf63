package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/schema"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

// The bad-input suite: inputs an attacker or a careless user would give,
// each with the outcome it must have (a clear error naming the input,
// offset or field, or correct acceptance), each under a memory ceiling of
// 256 MiB (peak RSS of the built command, or the heap of a library call),
// none may panic, hang, read or write outside its root, or call a tampered
// trail valid. It ends with the totals line the hardening issue asks for.

const badInputMemLimit = 256 << 20

// badCase is one bad input. A command case runs the built command with
// args ("{dir}" is the case's directory, which setup fills); a library
// case calls lib. want is a substring of the error (stderr) for an error
// case, of the output (stdout, or stderr with wantErrOut) for an
// acceptance case.
type badCase struct {
	class, name string
	setup       func(t *testing.T, dir string)
	args        []string
	stdin       []byte
	lib         func(t *testing.T, dir string) error
	accept      bool // the input is to be accepted: exit status 0 / nil error
	code        int  // exit status of an error case (default 1)
	want        string
	tampered    bool   // a tampered trail: exit 0 would be a false valid
	pub         string // replaces {pub} in args
}

// badOutcome is what a case did.
type badOutcome int

const (
	clearError badOutcome = iota
	acceptedOK
	panicked
	escaped
	falseValid
	hung
	wrongOrSilent
	overMemory
)

func TestBadInputs(t *testing.T) {
	bin := buildTrailkit(t)
	launcher := buildLauncher(t)
	shared := t.TempDir()
	cases := badInputCases(t, bin, shared)
	require.GreaterOrEqual(t, len(cases), 150)

	var counts [overMemory + 1]int
	var maxRSS int64
	ran := 0 // cases run: -run may pick some
	maxCase := ""
	var maxCmd, maxLib int64 // peak RSS of a command, heap growth of a library call
	for _, c := range cases {
		t.Run(c.class+"/"+c.name, func(t *testing.T) {
			ran++
			dir := t.TempDir()
			outside := filepath.Join(dir, "outside")
			require.NoError(t, os.MkdirAll(outside, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "sentinel"), []byte("keep"), 0o644))
			if c.setup != nil {
				c.setup(t, dir)
			}
			var o badOutcome
			var peak int64
			var detail string
			if c.lib != nil {
				o, peak, detail = runBadLib(t, c, dir)
			} else {
				o, peak, detail = runBadCommand(t, launcher, bin, c, dir)
			}
			if o != hung && o != panicked && escapedFrom(t, outside) {
				o, detail = escaped, "wrote outside its root: "+detail
			}
			if peak > badInputMemLimit && o != hung {
				o, detail = overMemory, fmt.Sprintf("peak %d MiB: %s", peak>>20, detail)
			}
			counts[o]++
			if peak > maxRSS {
				maxRSS, maxCase = peak, c.class+"/"+c.name
			}
			if c.lib != nil {
				maxLib = max(maxLib, peak)
			} else {
				maxCmd = max(maxCmd, peak)
			}
			if o != clearError && o != acceptedOK {
				t.Errorf("outcome %d: %s", o, detail)
			}
		})
	}
	n := ran
	line := fmt.Sprintf("bad inputs tried %d: clear error %d, accepted correctly %d, panics %d, escapes %d, false valid %d, hangs %d, wrong or silent %d, over 256 MiB %d, max RSS %d MiB",
		n, counts[clearError], counts[acceptedOK], counts[panicked], counts[escaped], counts[falseValid], counts[hung], counts[wrongOrSilent], counts[overMemory], maxRSS>>20)
	t.Log(line)
	t.Logf("largest peak: %s; commands' peak RSS %d MiB, library calls' heap growth %d MiB", maxCase, maxCmd>>20, maxLib>>20)
	if p := os.Getenv("BADINPUT_TOTALS"); p != "" {
		require.NoError(t, os.WriteFile(p, []byte(line+"\n"), 0o644))
	}
	assert.Equal(t, n, counts[clearError]+counts[acceptedOK], line)
}

// escapedFrom reports whether anything but the sentinel is in outside, or
// the sentinel changed.
func escapedFrom(t *testing.T, outside string) bool {
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	b, err := os.ReadFile(filepath.Join(outside, "sentinel"))
	return len(entries) != 1 || err != nil || string(b) != "keep"
}

func runBadCommand(t *testing.T, launcher, bin string, c badCase, dir string) (badOutcome, int64, string) {
	args := make([]string, len(c.args))
	for i, a := range c.args {
		args[i] = strings.ReplaceAll(strings.ReplaceAll(a, "{dir}", dir), "{pub}", c.pub)
	}
	rssFile := filepath.Join(t.TempDir(), "rss")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, launcher, append([]string{rssFile, bin}, args...)...)
	cmd.WaitDelay = time.Second
	cmd.Stdin = bytes.NewReader(c.stdin)
	home := t.TempDir()
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "AWS_CONFIG_FILE=" + filepath.Join(home, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"), "AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "AWS_ENDPOINT_URL_S3=http://127.0.0.1:1", "AWS_MAX_ATTEMPTS=1"}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	detail := fmt.Sprintf("%q: stdout %.300q stderr %.500q", args, stdout.String(), stderr.String())
	if ctx.Err() != nil {
		return hung, 0, detail
	}
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run: %v", err)
	}
	code := cmd.ProcessState.ExitCode()
	raw, err := os.ReadFile(rssFile)
	require.NoError(t, err, "the launcher wrote no RSS: %s", detail)
	rss, err := strconv.ParseInt(string(raw), 10, 64)
	require.NoError(t, err)
	detail = fmt.Sprintf("exit %d, %s", code, detail)
	switch {
	case strings.Contains(stderr.String(), "panic:") || strings.Contains(stderr.String(), "goroutine "):
		return panicked, rss, detail
	case c.tampered && code == 0:
		return falseValid, rss, detail
	case c.accept && code == 0 && strings.Contains(stdout.String()+stderr.String(), c.want):
		return acceptedOK, rss, detail
	case c.accept:
		return wrongOrSilent, rss, detail
	}
	want := c.code
	if want == 0 {
		want = 1
	}
	// Commands report bad input on standard error; schema validate lists
	// invalid values on standard output.
	if code == want && c.want != "" && strings.Contains(stderr.String()+stdout.String(), c.want) {
		return clearError, rss, detail
	}
	return wrongOrSilent, rss, detail
}

// runBadLib calls a library case, sampling the heap while it runs; peak is
// the growth over the heap before the call (the test holds every case's
// input meanwhile).
func runBadLib(t *testing.T, c badCase, dir string) (o badOutcome, peak int64, detail string) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	base := int64(before.HeapInuse + before.StackInuse)
	stop := make(chan struct{})
	sampled := make(chan int64)
	go func() {
		var m runtime.MemStats
		var p uint64
		for {
			runtime.ReadMemStats(&m)
			p = max(p, m.HeapInuse+m.StackInuse)
			select {
			case <-stop:
				sampled <- int64(p)
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	done := make(chan error, 1)
	var pv any
	go func() {
		defer func() {
			if pv = recover(); pv != nil {
				done <- nil
			}
		}()
		done <- c.lib(t, dir)
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		close(stop)
		<-sampled
		return hung, 0, "no return in 60s"
	}
	close(stop)
	peak = <-sampled - base
	detail = fmt.Sprintf("error %v", err)
	switch {
	case pv != nil:
		return panicked, peak, fmt.Sprint("panic: ", pv)
	case c.accept && err == nil:
		return acceptedOK, peak, detail
	case c.accept:
		return wrongOrSilent, peak, detail
	case err != nil && strings.Contains(err.Error(), c.want):
		return clearError, peak, detail
	}
	return wrongOrSilent, peak, detail
}

// Inputs.

func badGzip(b []byte) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// bomb is gzip of head, then n MiB of the byte fill, then tail.
func bomb(head string, fill byte, mib int, tail string) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write([]byte(head))
	chunk := bytes.Repeat([]byte{fill}, 1<<20)
	for range mib {
		zw.Write(chunk)
	}
	zw.Write([]byte(tail))
	zw.Close()
	return buf.Bytes()
}

func badRecords(n int) []*event.Record {
	g := synth.New(11, time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC))
	g.Account = "111122223333"
	out := make([]*event.Record, n)
	for i := range out {
		out[i] = g.Record()
	}
	return out
}

func badLogFile(t *testing.T, recs []*event.Record) []byte {
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	for _, r := range recs {
		require.NoError(t, lw.Write(r))
	}
	require.NoError(t, lw.Close())
	return buf.Bytes()
}

func writeIn(name string, data []byte) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, data, 0o644))
	}
}

// cwlPayload wraps records as a CloudWatch Logs subscription payload,
// nested depth times in {"awslogs":{"data":...}}.
func cwlPayload(rec string, depth int) []byte {
	data := `{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[{"id":"1","timestamp":1,"message":` + strconv.Quote(rec) + `}]}`
	for range depth {
		data = `{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(badGzip([]byte(data))) + `"}}`
	}
	return []byte(data)
}

func copyTree(t *testing.T, from, to string) {
	err := filepath.WalkDir(from, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	require.NoError(t, err)
}

func badInputCases(t *testing.T, bin, shared string) []badCase {
	recs := badRecords(40)
	recJSON := func(i int) string { b, _ := recs[i].MarshalJSON(); return string(b) }
	logGz := badLogFile(t, recs)
	var cases []badCase
	add := func(c badCase) { cases = append(cases, c) }

	// Gzip: truncated, bombs, trailing data, corruption.
	for _, frac := range []int{1, 5, 10, 25, 50, 75, 90, 99} {
		cut := logGz[:len(logGz)*frac/100]
		add(badCase{class: "gzip", name: fmt.Sprintf("truncated at %d%%", frac), args: []string{"cat", "{dir}/t.json.gz"},
			setup: writeIn("t.json.gz", cut), want: "t.json.gz"})
	}
	add(badCase{class: "gzip", name: "truncated stdin", args: []string{"cat", "-"}, stdin: logGz[:len(logGz)/2], want: "stdin"})
	add(badCase{class: "gzip", name: "trailing garbage", args: []string{"cat", "{dir}/t.json.gz"}, setup: writeIn("t.json.gz", append(bytes.Clone(logGz), "junk"...)), want: "bytes after the end of the gzip stream"})
	add(badCase{class: "gzip", name: "two members read as one stream", args: []string{"cat", "--count", "{dir}/t.json.gz"}, setup: writeIn("t.json.gz", append(bytes.Clone(logGz), logGz...)), accept: true, want: "80"})
	flip := bytes.Clone(logGz)
	flip[len(flip)-6] ^= 0xff // the CRC
	add(badCase{class: "gzip", name: "bad CRC", args: []string{"cat", "{dir}/t.json.gz"}, setup: writeIn("t.json.gz", flip), want: "t.json.gz"})
	hdr := bytes.Clone(logGz)
	hdr[3] = 0xff // reserved flag bits
	add(badCase{class: "gzip", name: "bad header flags", args: []string{"cat", "{dir}/t.json.gz"}, setup: writeIn("t.json.gz", hdr), want: "t.json.gz"})
	add(badCase{class: "gzip", name: "magic only", args: []string{"cat", "-"}, stdin: []byte{0x1f, 0x8b}, want: "stdin"})
	add(badCase{class: "gzip", name: "empty gzip", args: []string{"cat", "--count", "-"}, stdin: badGzip(nil), accept: true, want: "0"})
	spaces := bomb(`{"Records":[`, ' ', 512, `]}`)
	add(badCase{class: "gzip", name: "bomb 512 MiB of spaces in a log file", args: []string{"cat", "--count", "-"}, stdin: spaces, accept: true, want: "0"})
	brackets := bomb("", '[', 256, "")
	add(badCase{class: "gzip", name: "bomb 256 MiB of [", args: []string{"cat", "-"}, stdin: brackets, want: "stdin"})
	longString := bomb(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"`, 'a', 256, `"}`)
	add(badCase{class: "gzip", name: "bomb 256 MiB string in a record", args: []string{"cat", "-"}, stdin: longString, want: "stdin: record 0"})
	zeros := bomb("", 0, 512, "")
	add(badCase{class: "gzip", name: "bomb 512 MiB of NUL", args: []string{"cat", "-"}, stdin: zeros, want: "stdin"})
	add(badCase{class: "gzip", name: "schema of a bomb", args: []string{"schema", "validate", "-"}, stdin: longString, want: "stdin"})
	add(badCase{class: "gzip", name: "replay of a bomb", args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--dir", "{dir}/out", "-"}, stdin: brackets, want: "stdin"})
	add(badCase{class: "gzip", name: "lookup over a bomb log file", args: []string{"lookup", "--dir", "{dir}/b", "--start-time", "2026-01-02T00:00:00Z", "--end-time", "2026-01-03T00:00:00Z"},
		setup: writeIn("b/AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0305Z_aaaaaaaaaaaaaaaa.json.gz", longString), code: 1, want: "111122223333_CloudTrail_us-east-1_20260102T0305Z_aaaaaaaaaaaaaaaa.json.gz"})

	// NUL bytes.
	r0 := recJSON(0)
	for _, c := range []struct {
		name, in, want string
		accept         bool
	}{
		{"NUL between values", r0 + "\x00" + r0, "stdin: record 1", false},
		{"NUL before the first value", "\x00" + r0, "stdin", false},
		{"NUL after the last value", r0 + "\n\x00", "stdin", false},
		{"NUL in a key", strings.Replace(r0, `"eventName"`, `"event\x00Name"`, 1), "stdin: record 0", false},
		{"NUL in a string", strings.Replace(r0, `"eventName":"`, `"eventName":"a`+"\x00", 1), "stdin: record 0", false},
		{"escaped NUL in a string", strings.Replace(r0, `"eventName":"`, `"eventName":"a\\u0000`, 1), `\u0000`, true},
		{"NUL in the Records array", `{"Records":[` + r0 + ",\x00" + r0 + `]}`, "stdin", false},
		{"only NUL bytes", strings.Repeat("\x00", 1000), "stdin", false},
	} {
		add(badCase{class: "nul", name: c.name, args: []string{"cat", "-"}, stdin: []byte(c.in), accept: c.accept, want: c.want})
	}
	add(badCase{class: "nul", name: "NUL in schema input", args: []string{"schema", "validate", "-"}, stdin: []byte(r0 + "\x00" + r0), want: "stdin"})
	add(badCase{class: "nul", name: "NUL in replay input", args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--dir", "{dir}/out", "-"}, stdin: []byte(r0 + "\x00" + r0), want: "stdin: record 1"})

	// Nesting.
	for _, depth := range []int{1000, 10001, 100000, 1000000} {
		in := `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","requestParameters":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		add(badCase{class: "nesting", name: fmt.Sprintf("arrays %d deep in cat", depth), args: []string{"cat", "-"}, stdin: []byte(in), want: "stdin: record 0"})
		add(badCase{class: "nesting", name: fmt.Sprintf("arrays %d deep in schema", depth), args: []string{"schema", "validate", "-"}, stdin: []byte(in), want: "stdin"})
	}
	add(badCase{class: "nesting", name: "objects 100000 deep", args: []string{"cat", "-"}, stdin: []byte(strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)), want: "stdin: record 0"})
	shallow := `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","requestParameters":` + strings.Repeat("[", 50) + strings.Repeat("]", 50) + `}`
	add(badCase{class: "nesting", name: "arrays 50 deep accepted", args: []string{"cat", "--count", "-"}, stdin: []byte(shallow), accept: true, want: "1"})
	add(badCase{class: "nesting", name: "schema: 65 deep in a checked member", args: []string{"schema", "validate", "-"},
		stdin: []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","userIdentity":` + strings.Repeat(`{"a":`, 65) + "1" + strings.Repeat("}", 65) + `}`), want: "nested more than 64 deep"})
	for _, depth := range []int{1, 2} {
		add(badCase{class: "nesting", name: fmt.Sprintf("CloudWatch Logs payload %d deep", depth), args: []string{"cat", "-"}, stdin: cwlPayload(r0, depth), accept: true, want: `"eventID":"` + recs[0].EventID})
	}
	for _, depth := range []int{3, 10, 40} {
		add(badCase{class: "nesting", name: fmt.Sprintf("CloudWatch Logs payload %d deep", depth), args: []string{"cat", "-"}, stdin: cwlPayload(r0, depth), want: "nested more than 2 deep"})
	}
	add(badCase{class: "nesting", name: "CloudWatch Logs base64 of garbage", args: []string{"cat", "-"}, stdin: []byte(`{"awslogs":{"data":"!!!notbase64"}}`), want: "stdin"})
	add(badCase{class: "nesting", name: "CloudWatch Logs payload of a bomb", args: []string{"cat", "-"}, stdin: []byte(`{"awslogs":{"data":"` + base64.StdEncoding.EncodeToString(brackets) + `"}}`), want: "stdin"})

	// Huge records.
	big := func(n int) string {
		return `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","eventID":"big","awsRegion":"us-east-1","recipientAccountId":"111122223333","requestParameters":{"s":"` + strings.Repeat("a", n) + `"}}`
	}
	add(badCase{class: "huge", name: "15 MB record accepted by cat", args: []string{"cat", "--count", "-"}, stdin: []byte(big(15 << 20)), accept: true, want: "1"})
	add(badCase{class: "huge", name: "17 MB record", args: []string{"cat", "-"}, stdin: []byte(big(17 << 20)), want: "stdin: record 0"})
	add(badCase{class: "huge", name: "15 MB record in schema", args: []string{"schema", "validate", "-"}, stdin: []byte(big(15 << 20)), want: "more than 1048576"})
	add(badCase{class: "huge", name: "1 MB of invalid resources in schema", args: []string{"schema", "validate", "-"},
		stdin: []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","resources":[` + strings.TrimSuffix(strings.Repeat("1,", 500000), ",") + `]}`), want: "more than 50000 JSON values"})
	add(badCase{class: "huge", name: "40k invalid resources in schema", args: []string{"schema", "validate", "-"},
		stdin: []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","resources":[` + strings.TrimSuffix(strings.Repeat("1,", 40000), ",") + `]}`), want: "resources/0"})
	add(badCase{class: "huge", name: "log file of 4 records of 15 MB", args: []string{"cat", "--count", "-"},
		stdin: badGzip([]byte(`{"Records":[` + strings.TrimSuffix(strings.Repeat(big(15<<20)+",", 4), ",") + `]}`)), accept: true, want: "4"})
	add(badCase{class: "huge", name: "a million tiny records", args: []string{"cat", "--count", "-"},
		stdin: badGzip(bytes.Repeat([]byte(`{"eventVersion":"1.0","eventTime":"2026-01-01T00:00:00Z","eventName":"x"}`+"\n"), 1000000)), accept: true, want: "1000000"})
	add(badCase{class: "huge", name: "300 KB record replayed is cut to 256 KB", args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--all", "--dir", "{dir}/out", "--quiet", "-"},
		stdin: []byte(big(300 << 10)), accept: true, want: "1 records read, 1 delivered"})
	add(badCase{class: "huge", name: "huge key in a record", args: []string{"cat", "--count", "-"}, stdin: []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","` + strings.Repeat("k", 8<<20) + `":1}`), accept: true, want: "1"})
	add(badCase{class: "huge", name: "number of 10 MB digits", args: []string{"cat", "--count", "-"}, stdin: []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","n":` + strings.Repeat("9", 10<<20) + `}`), accept: true, want: "1"})
	add(badCase{class: "huge", name: "replay of a record with a 10 MB number", args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--all", "--dir", "{dir}/out", "--quiet", "-"},
		stdin: []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"x","eventID":"n","awsRegion":"us-east-1","n":` + strings.Repeat("9", 10<<20) + `}`), accept: true, want: "1 records read"})

	// Odd paths and S3 URLs.
	for _, p := range []string{"{dir}/missing.json", "{dir}/a\nb.json", "{dir}/" + strings.Repeat("x", 300), "{dir}/" + strings.Repeat("d/", 2000) + "x.json", "/proc/self/mem/x"} {
		add(badCase{class: "path", name: "cat " + strconv.Quote(filepath.Base(p))[:min(20, len(strconv.Quote(filepath.Base(p))))], args: []string{"cat", p}, want: "trailkit cat:"})
	}
	add(badCase{class: "path", name: "cat a tree with a FIFO", setup: func(t *testing.T, dir string) {
		writeIn("tree/a.json", []byte(r0))(t, dir)
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "tree", "fifo.json"), 0o644))
	}, args: []string{"cat", "--count", "{dir}/tree"}, accept: true, want: "not a regular file"})
	add(badCase{class: "path", name: "cat a tree with a link out", setup: func(t *testing.T, dir string) {
		writeIn("tree/a.json", []byte(r0))(t, dir)
		writeIn("secret.json", []byte(recJSON(1)))(t, dir)
		require.NoError(t, os.Symlink(filepath.Join(dir, "secret.json"), filepath.Join(dir, "tree", "b.json")))
	}, args: []string{"cat", "{dir}/tree"}, want: "escapes"})
	add(badCase{class: "path", name: "cat a tree with a link loop", setup: func(t *testing.T, dir string) {
		writeIn("tree/a.json", []byte(r0))(t, dir)
		require.NoError(t, os.Symlink("loop.json", filepath.Join(dir, "tree", "loop.json")))
	}, args: []string{"cat", "{dir}/tree"}, want: "loop.json"})
	add(badCase{class: "path", name: "cat a tree with a link to a directory out", setup: func(t *testing.T, dir string) {
		writeIn("tree/a.json", []byte(r0))(t, dir)
		require.NoError(t, os.Symlink("/etc", filepath.Join(dir, "tree", "etc")))
	}, args: []string{"cat", "--count", "{dir}/tree"}, accept: true, want: "1"})
	add(badCase{class: "path", name: "replay into a directory with a link out", setup: func(t *testing.T, dir string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
		require.NoError(t, os.Symlink(filepath.Join(dir, "outside"), filepath.Join(dir, "out", "AWSLogs")))
	}, args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--all", "--dir", "{dir}/out", "--quiet", "--give-up-after", "2s", "-"},
		stdin: []byte(r0), want: "escapes"})
	add(badCase{class: "path", name: "validate a directory with a FIFO log file", setup: func(t *testing.T, dir string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "b", "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "01", "02"), 0o755))
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "b", "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "01", "02", "111122223333_CloudTrail_us-east-1_20260102T0305Z_aaaaaaaaaaaaaaaa.json.gz"), 0o644))
	}, args: []string{"validate", "--dir", "{dir}/b", "--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t", "--public-key", "{pub}", "--start-time", "2026-01-02", "--end-time", "2026-01-03"}, want: "no digest files found"})
	add(badCase{class: "path", name: "validate --dir a file", setup: writeIn("f", []byte("x")), args: []string{"validate", "--dir", "{dir}/f", "--trail-arn", validateARN, "--public-key", "{dir}/f", "--start-time", "2026-01-02"}, code: 2, want: "f"})
	add(badCase{class: "path", name: "lookup --dir missing", args: []string{"lookup", "--dir", "{dir}/missing"}, want: "missing"})
	for _, u := range []string{"s3://", "s3:///x", "s3://a", "s3://bucket name/x", "s3://b\x01ucket", "s3://" + strings.Repeat("b", 300), "http://bucket/x", "S3://bucket", "s3:/bucket", "s3://bu_cket/../../etc"} {
		cat := badCase{class: "s3url", name: "cat " + strconv.Quote(u), args: []string{"cat", u}, code: 2, want: "S3 URL"}
		validate := badCase{class: "s3url", name: "validate " + strconv.Quote(u), args: []string{"validate", "--s3", u, "--trail-arn", validateARN, "--public-key", "{pub}", "--start-time", "2026-01-02"}, code: 2, want: "S3 URL"}
		switch {
		case !strings.HasPrefix(u, "s3://"):
			cat.code, cat.want = 1, "stat "+u // a file name
		case strings.Contains(u, ".."):
			// A key prefix, not a path: the (unreachable) endpoint is asked.
			cat.code, cat.want, validate.want = 1, "cannot reach", "cannot reach"
		}
		add(cat)
		add(validate)
	}
	add(badCase{class: "s3url", name: "replay to an unreachable endpoint", args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--s3", "s3://bucket/p", "-"}, code: 2, want: "check write to s3://bucket/p/"})
	add(badCase{class: "s3url", name: "cat from an unreachable endpoint", args: []string{"cat", "s3://bucket/p"}, want: "cannot reach"})

	// Tampered chains.
	key, pub := keygenPair(t, bin)
	good := filepath.Join(shared, "trail-bucket")
	d, err := sink.NewDir(good, sink.DirOptions{})
	require.NoError(t, err)
	tt := writeTestTrail(t, d, key, 3, 2)
	vargs := []string{"validate", "--dir", "{dir}/trail-bucket", "--bucket", "trail-bucket", "--trail-arn", validateARN, "--public-key", pub,
		"--start-time", "2026-03-02T10:00:00Z", "--end-time", "2026-03-02T13:00:00Z"}
	trailCase := func(name string, tamper func(t *testing.T, root string), want string) {
		add(badCase{class: "tampered", name: name, setup: func(t *testing.T, dir string) {
			copyTree(t, good, filepath.Join(dir, "trail-bucket"))
			if tamper != nil {
				tamper(t, filepath.Join(dir, "trail-bucket"))
			}
		}, args: vargs, tampered: tamper != nil, accept: tamper == nil, want: want})
	}
	path := func(root, key string) string { return filepath.Join(root, filepath.FromSlash(key)) }
	metaPath := func(root, key string) string {
		return filepath.Join(root, sink.MetadataDir, filepath.FromSlash(key)+sink.MetadataSuffix)
	}
	trailCase("untampered trail is valid", nil, "3/3 digest files valid")
	trailCase("a log byte changed", func(t *testing.T, root string) {
		p := path(root, tt.logs[1][0])
		b, _ := os.ReadFile(p)
		raw, err := gzip.NewReader(bytes.NewReader(b))
		require.NoError(t, err)
		plain, _ := io.ReadAll(raw)
		plain[len(plain)/2] ^= 1
		require.NoError(t, os.WriteFile(p, badGzip(plain), 0o644))
	}, "hash value doesn't match")
	trailCase("a log file deleted", func(t *testing.T, root string) { require.NoError(t, os.Remove(path(root, tt.logs[0][1]))) }, "not found")
	trailCase("a log file emptied", func(t *testing.T, root string) {
		require.NoError(t, os.WriteFile(path(root, tt.logs[2][0]), nil, 0o644))
	}, "INVALID")
	trailCase("a log file made a gzip bomb", func(t *testing.T, root string) {
		require.NoError(t, os.WriteFile(path(root, tt.logs[2][0]), spaces, 0o644))
	}, "hash value doesn't match")
	trailCase("a log file made a FIFO", func(t *testing.T, root string) {
		require.NoError(t, os.Remove(path(root, tt.logs[2][1])))
		require.NoError(t, syscall.Mkfifo(path(root, tt.logs[2][1]), 0o644))
	}, "not found")
	trailCase("a log file linked out of the root", func(t *testing.T, root string) {
		p := path(root, tt.logs[0][0])
		b, _ := os.ReadFile(p)
		out := filepath.Join(filepath.Dir(root), "copy.json.gz")
		require.NoError(t, os.WriteFile(out, b, 0o644))
		require.NoError(t, os.Remove(p))
		require.NoError(t, os.Symlink(out, p))
	}, "escapes")
	cases[len(cases)-1].code = 2 // the store refuses to read it: validation stops, naming it
	trailCase("a digest deleted", func(t *testing.T, root string) { require.NoError(t, os.Remove(path(root, tt.digests[1]))) }, "not found")
	trailCase("a digest's signature changed", func(t *testing.T, root string) {
		p := metaPath(root, tt.digests[0])
		b, _ := os.ReadFile(p)
		i := bytes.Index(b, []byte(`"signature":"`)) + len(`"signature":"`)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		require.NoError(t, os.WriteFile(p, b, 0o644))
	}, "INVALID")
	trailCase("a digest's metadata removed", func(t *testing.T, root string) { require.NoError(t, os.Remove(metaPath(root, tt.digests[2]))) }, "INVALID")
	trailCase("a digest's metadata huge", func(t *testing.T, root string) {
		require.NoError(t, os.WriteFile(metaPath(root, tt.digests[2]), bytes.Repeat([]byte(" "), 10<<20), 0o644))
	}, "metadata file")
	cases[len(cases)-1].code = 2
	trailCase("a digest truncated", func(t *testing.T, root string) {
		p := path(root, tt.digests[1])
		b, _ := os.ReadFile(p)
		require.NoError(t, os.WriteFile(p, b[:len(b)/2], 0o644))
	}, "INVALID")
	trailCase("a digest made a bomb", func(t *testing.T, root string) {
		require.NoError(t, os.WriteFile(path(root, tt.digests[1]), bomb("{", ' ', 128, "}"), 0o644))
	}, "INVALID")
	trailCase("two digests swapped", func(t *testing.T, root string) {
		a, b := path(root, tt.digests[0]), path(root, tt.digests[1])
		ba, _ := os.ReadFile(a)
		bb, _ := os.ReadFile(b)
		require.NoError(t, os.WriteFile(a, bb, 0o644))
		require.NoError(t, os.WriteFile(b, ba, 0o644))
	}, "INVALID")
	trailCase("a digest with NUL bytes appended", func(t *testing.T, root string) {
		p := path(root, tt.digests[2])
		b, _ := os.ReadFile(p)
		require.NoError(t, os.WriteFile(p, append(b, 0, 0, 0), 0o644))
	}, "")
	// Bytes after a digest's gzip member are ignored, as zlib.decompress
	// in the AWS CLI ignores them: the signed content is intact.
	cases[len(cases)-1].tampered, cases[len(cases)-1].accept, cases[len(cases)-1].want = false, true, "3/3 digest files valid"
	trailCase("legacy .json metadata still validates", func(t *testing.T, root string) {
		for _, k := range tt.digests {
			require.NoError(t, os.Rename(metaPath(root, k), strings.TrimSuffix(metaPath(root, k), sink.MetadataSuffix)+".json"))
		}
	}, "")
	cases[len(cases)-1].tampered, cases[len(cases)-1].accept, cases[len(cases)-1].want = false, true, "3/3 digest files valid"
	add(badCase{class: "tampered", name: "no digest files under the location", setup: func(t *testing.T, dir string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "trail-bucket"), 0o755))
	},
		args: vargs, tampered: true, want: "no digest files found under"})
	add(badCase{class: "tampered", name: "wrong prefix", setup: func(t *testing.T, dir string) { copyTree(t, good, filepath.Join(dir, "trail-bucket")) },
		args: append(append([]string{}, vargs...), "--prefix", "elsewhere"), tampered: true, want: "no digest files found under"})
	add(badCase{class: "tampered", name: "empty location with --allow-empty", setup: func(t *testing.T, dir string) {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "trail-bucket"), 0o755))
	},
		args: append(append([]string{}, vargs...), "--allow-empty"), accept: true, want: "No digests found"})

	// Path-like trail settings.
	rargs := func(flag, value string) []string {
		a := []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--all", "--dir", "{dir}/out", "--quiet"}
		for i := range a {
			if a[i] == flag {
				a[i+1] = value
				return append(a, "-")
			}
		}
		return append(a, flag, value, "-")
	}
	for _, c := range []struct{ flag, value, want string }{
		{"--trail-name", "../../outside", `Name "../../outside"`}, {"--trail-name", "a/b", "Name"}, {"--trail-name", "", "required"},
		{"--trail-name", "tr\xc3ail", `"tr\xc3ail"`}, {"--trail-name", strings.Repeat("t", 200), "Name"},
		{"--account-id", "../../outside", "AccountID"}, {"--account-id", "1111222233334", "AccountID"},
		{"--region", "us-east-1/../../x", "HomeRegion"}, {"--region", "..", "HomeRegion"},
		{"--prefix", "../outside", "S3KeyPrefix"}, {"--prefix", "/abs", "S3KeyPrefix"}, {"--prefix", "a/./b", "S3KeyPrefix"},
		{"--organization-id", "../o", "OrganizationID"}, {"--bucket", "../../x", "bucket"},
	} {
		add(badCase{class: "settings", name: c.flag + " " + strconv.Quote(c.value), args: rargs(c.flag, c.value), stdin: []byte(r0), code: 2, want: c.want})
	}

	// Numeric flags.
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", "--dir", "{dir}", "--trail-arn", validateARN, "--public-key", pub, "--start-time", "2026-01-02", "--workers", "-5"}, "--workers -5"},
		{[]string{"validate", "--dir", "{dir}", "--trail-arn", validateARN, "--public-key", pub, "--start-time", "2026-01-02", "--workers", "100000"}, "--workers 100000"},
		{[]string{"validate", "--dir", "{dir}", "--trail-arn", validateARN, "--public-key", pub, "--start-time", "2026-01-02", "--workers", "1e3"}, `"1e3"`},
		{[]string{"lookup", "--dir", "{dir}", "--max-results", "0"}, "--max-results"},
		{[]string{"lookup", "--dir", "{dir}", "--max-results", "-1"}, "--max-results"},
		{[]string{"lookup", "--dir", "{dir}", "--max-results", "99999999999999999999"}, `"99999999999999999999"`},
		{[]string{"keygen", "--private-key", "{dir}/a", "--public-key", "{dir}/b", "--bits", "1"}, "--bits 1"},
		{[]string{"keygen", "--private-key", "{dir}/a", "--public-key", "{dir}/b", "--bits", "100000"}, "--bits 100000"},
		{rargs("--flush-interval", "-5s"), "--flush-interval"},
		{rargs("--flush-interval", "0s"), "--flush-interval"},
		{rargs("--flush-interval", "1ns"), "--flush-interval"},
		{rargs("--flush-interval", "100000h"), "--flush-interval"},
		{[]string{"validate", "--dir", "{dir}", "--trail-arn", validateARN, "--public-key", pub, "--start-time", "2026-01-02", "--end-time", "2025-01-01"}, "start-time must occur before end-time"},
		{[]string{"validate", "--dir", "{dir}", "--trail-arn", validateARN, "--public-key", pub, "--start-time", "99999999999999"}, "--start-time"},
	} {
		add(badCase{class: "flags", name: strings.Join(c.args[len(c.args)-2:], " "), args: c.args, stdin: []byte(r0), code: 2, want: c.want})
	}

	// Records that are not record-shaped.
	for _, c := range []struct{ in, want string }{
		{`{"foo":1}`, "no eventVersion, eventTime, eventName"},
		{`[1,2,3]`, "stdin"},
		{`"just a string"`, "stdin: record 0"},
		{`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z"}`, "no eventName, eventSource or eventType"},
		{`{"eventName":"x","eventTime":"2026-01-01T00:00:00Z"}`, "no eventVersion"},
		{`{"Records":[{"x":1}]}`, "record 0"},
		{`null`, "stdin"},
	} {
		add(badCase{class: "shape", name: strconv.Quote(c.in), args: []string{"cat", "-"}, stdin: []byte(c.in), want: c.want})
	}
	add(badCase{class: "shape", name: "--lenient prints any object", args: []string{"cat", "--lenient", "-"}, stdin: []byte(`{"foo":1}`), accept: true, want: `{"foo":1}`})
	add(badCase{class: "shape", name: "duplicate eventName keys", args: []string{"cat", "--selectors", "{dir}/sel.json", "-"},
		setup:  writeIn("sel.json", []byte(`{"EventSelectors":[{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true}]}`)),
		stdin:  []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","readOnly":true,"readOnly":false,"managementEvent":true,"eventCategory":"Management"}`),
		accept: true, want: `"readOnly":false`})

	// Pathological selectors.
	for _, c := range []struct{ name, sel, want string }{
		{"not JSON", `{`, "sel.json"},
		{"empty file", ``, "sel.json"},
		{"deeply nested", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), "sel.json"},
		{"10000 values", `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"eventName","Equals":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 10000), ",") + `]}]}]}`, "sel.json"},
		{"1 MB value", `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventSource","Equals":["` + strings.Repeat("a", 1<<20) + `"]}]}]}`, "sel.json"},
		{"unknown field", `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"../../etc","Equals":["x"]}]}]}`, "sel.json"},
		{"empty StartsWith", `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]},{"Field":"resources.ARN","StartsWith":[""]}]}]}`, "sel.json"},
		{"NUL in a value", `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Manage\u0000ment"]}]}]}`, "sel.json"},
		{"6 selectors of basic kind", `{"EventSelectors":[` + strings.TrimSuffix(strings.Repeat(`{"ReadWriteType":"All"},`, 6), ",") + `]}`, "sel.json"},
		{"both kinds", `{"EventSelectors":[{"ReadWriteType":"All"}],"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}`, "sel.json"},
		{"a number for a string", `{"EventSelectors":[{"ReadWriteType":1}]}`, "sel.json"},
		{"a regexp-like pattern", `{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"eventName","StartsWith":["(a+)+$"]}]}]}`, "sel.json"},
	} {
		add(badCase{class: "selectors", name: "cat " + c.name, setup: writeIn("sel.json", []byte(c.sel)), args: []string{"cat", "--selectors", "{dir}/sel.json", "-"}, stdin: []byte(r0), code: 2, want: c.want})
	}
	add(badCase{class: "selectors", name: "replay with a selectors directory", setup: func(t *testing.T, dir string) { require.NoError(t, os.MkdirAll(filepath.Join(dir, "sel"), 0o755)) },
		args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--dir", "{dir}/out", "--selectors", "{dir}/sel", "-"}, stdin: []byte(r0), code: 2, want: "sel"})
	add(badCase{class: "selectors", name: "cat selectors from a FIFO name", setup: func(t *testing.T, dir string) {
		require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644))
	}, args: []string{"cat", "--selectors", "{dir}/fifo", "-"}, stdin: []byte(r0), code: 2, want: "fifo"})

	// Library calls with odd arguments.
	lib := func(name string, accept bool, want string, fn func(t *testing.T, dir string) error) {
		add(badCase{class: "library", name: name, lib: fn, accept: accept, want: want})
	}
	ctx := context.Background()
	for _, k := range []string{"", "/abs", "../x", "a/../../x", "a//b", "a/\x00", `a\b`, ".metadata/x", "a/.hidden", strings.Repeat("k", 2000), "a/" + strings.Repeat("s", 300)} {
		lib("Dir.Put "+strconv.Quote(k)[:min(30, len(strconv.Quote(k)))], false, "invalid", func(t *testing.T, dir string) error {
			d, err := sink.NewDir(filepath.Join(dir, "root"), sink.DirOptions{})
			if err != nil {
				return err
			}
			return d.Put(ctx, sink.Object{Key: k, Body: []byte("x")})
		})
		lib("Dir.Get "+strconv.Quote(k)[:min(30, len(strconv.Quote(k)))], false, "invalid", func(t *testing.T, dir string) error {
			d, err := sink.NewDir(filepath.Join(dir, "root"), sink.DirOptions{})
			if err != nil {
				return err
			}
			_, _, err = d.Get(ctx, k)
			return err
		})
	}
	lib("NewDir on a file", false, "not a directory", func(t *testing.T, dir string) error {
		writeIn("f", []byte("x"))(t, dir)
		_, err := sink.NewDir(filepath.Join(dir, "f"), sink.DirOptions{})
		return err
	})
	lib("ReadAll with limit 0", false, "object too large", func(t *testing.T, dir string) error {
		d, err := sink.NewDir(filepath.Join(dir, "root"), sink.DirOptions{})
		require.NoError(t, err)
		require.NoError(t, d.Put(ctx, sink.Object{Key: "k", Body: []byte("x")}))
		_, _, err = sink.ReadAll(ctx, d, "k", 0)
		return err
	})
	lib("ReadAll with a negative limit", false, "object too large", func(t *testing.T, dir string) error {
		d, err := sink.NewDir(filepath.Join(dir, "root"), sink.DirOptions{})
		require.NoError(t, err)
		require.NoError(t, d.Put(ctx, sink.Object{Key: "k"}))
		_, _, err = sink.ReadAll(ctx, d, "k", -1)
		return err
	})
	lib("Put with a canceled context", false, "context canceled", func(t *testing.T, dir string) error {
		d, err := sink.NewDir(filepath.Join(dir, "root"), sink.DirOptions{})
		require.NoError(t, err)
		c, cancel := context.WithCancel(ctx)
		cancel()
		return d.Put(c, sink.Object{Key: "k"})
	})
	for _, in := range [][]byte{nil, {}, []byte("{"), []byte(`{"logFiles":` + strings.Repeat("[", 100000)), bytes.Repeat([]byte(`{"a":1}`), 1000), []byte("\x00\x00")} {
		lib(fmt.Sprintf("digest.Parse %.12q", in), false, "digest", func(t *testing.T, dir string) error {
			_, err := digest.Parse(in)
			return err
		})
	}
	lib("digest.Decode of a bomb", false, "more than", func(t *testing.T, dir string) error {
		_, _, err := digest.Decode(bomb("{", ' ', 64, "}"))
		return err
	})
	lib("digest.Decode of plain text", false, "gzip", func(t *testing.T, dir string) error {
		_, _, err := digest.Decode([]byte("plain"))
		return err
	})
	for _, in := range []string{"", "{", "null", `{"eventTime":1}`, `{"eventVersion":"1.0","eventVersion":2}`} {
		lib("event.Unmarshal "+strconv.Quote(in), false, "", func(t *testing.T, dir string) error {
			var r event.Record
			if err := event.Unmarshal([]byte(in), &r); err != nil {
				return err
			}
			return r.Check()
		})
	}
	lib("schema.ValidateRecord(nil)", false, "not valid JSON", func(t *testing.T, dir string) error { return schema.ValidateRecord(nil) })
	lib("schema.ValidateLogFile of 70 MB", false, "document too large", func(t *testing.T, dir string) error {
		return schema.ValidateLogFile(make([]byte, 70<<20))
	})
	lib("schema.Validate 100k nested", false, "nested more than 64 deep", func(t *testing.T, dir string) error {
		_, err := schema.Validate([]byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)))
		return err
	})
	lib("selector.ParseConfig of null selectors: the default", true, "", func(t *testing.T, dir string) error {
		c, err := selector.ParseConfig([]byte(`{"EventSelectors":null}`))
		if err != nil {
			return err
		}
		return c.Validate(selector.Options{})
	})
	for _, in := range []string{"", "{", strings.Repeat("[", 10000), `{"AdvancedEventSelectors":[{"FieldSelectors":[]}]}`} {
		lib("selector.ParseConfig "+strconv.Quote(in)[:min(24, len(strconv.Quote(in)))], false, "", func(t *testing.T, dir string) error {
			c, err := selector.ParseConfig([]byte(in))
			if err != nil {
				return err
			}
			return c.Validate(selector.Options{})
		})
	}
	for _, u := range []string{"", "s3://", "s3://ab", "s3://a b", "s3://bucket\x00/x"} {
		lib("s3.ParseURL "+strconv.Quote(u), false, "S3 URL", func(t *testing.T, dir string) error {
			_, _, err := s3sink.ParseURL(u)
			return err
		})
	}
	lib("trail.New with a zero Config", false, "Name", func(t *testing.T, dir string) error {
		_, err := trail.New(trail.Config{})
		return err
	})
	newTrail := func(t *testing.T, dir string) *trail.Trail {
		d, err := sink.NewDir(filepath.Join(dir, "root"), sink.DirOptions{Bucket: "b"})
		require.NoError(t, err)
		tr, err := trail.New(trail.Config{Name: "t-1", AccountID: "111122223333", HomeRegion: "us-east-1", LogAllEvents: true,
			Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{d}}})
		require.NoError(t, err)
		t.Cleanup(func() { tr.Close(ctx) })
		return tr
	}
	lib("Emit(nil)", false, "nil record", func(t *testing.T, dir string) error { return newTrail(t, dir).Emit(ctx, nil) })
	lib("Emit of an empty record", false, "invalid record", func(t *testing.T, dir string) error { return newTrail(t, dir).Emit(ctx, &event.Record{}) })
	lib("Emit of a 300 KB record is cut to 256 KB", true, "", func(t *testing.T, dir string) error {
		tr := newTrail(t, dir)
		// A regional call: the trail does not log global services' events.
		r := *recs[slices.IndexFunc(recs, func(r *event.Record) bool { return r.EventSource == "ec2.amazonaws.com" })]
		r.RequestParameters = []byte(`{"s":"` + strings.Repeat("a", 300<<10) + `"}`)
		if err := tr.Emit(ctx, &r); err != nil {
			return err
		}
		if err := tr.Close(ctx); err != nil {
			return err
		}
		if tr.Counters().Delivered != 1 {
			return fmt.Errorf("delivered %d records", tr.Counters().Delivered)
		}
		if len(r.RequestParameters) < 300<<10 {
			return errors.New("the caller's record was changed")
		}
		return nil
	})
	lib("Emit of a record whose identity alone is over 256 KB", false, "more than 262144", func(t *testing.T, dir string) error {
		r := *recs[4]
		r.EventSource = strings.Repeat("s", 300<<10)
		return newTrail(t, dir).Emit(ctx, &r)
	})
	lib("Emit with a canceled context", true, "", func(t *testing.T, dir string) error {
		c, cancel := context.WithCancel(ctx)
		cancel()
		return newTrail(t, dir).Emit(c, recs[5])
	})
	for i := range cases {
		cases[i].pub = pub
	}
	return cases
}
