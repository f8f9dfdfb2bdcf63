package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
)

// detect, export and seal stop on SIGINT and SIGTERM within a second, in
// the middle of their work, and leave nothing half-written: detect's
// findings are whole lines, export's objects are whole Parquet files (of
// the inputs it finished, which --state lists), seal's digests are whole
// and a second seal completes the chain without a fork or a gap.

func TestSignalsStopDetectExport(t *testing.T) {
	bin := buildTrailkit(t)
	dir := t.TempDir()
	endpoint, accepted := hangingEndpoint(t)
	s3env := []string{"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1"}
	big := signalRecords(2000) // more than a pipe holds: written, it has been read

	// Inputs export finishes before it reads the standard input that never
	// ends: their objects are complete when the signal comes.
	done := filepath.Join(dir, "done")
	require.NoError(t, os.Mkdir(done, 0o755))
	for _, name := range []string{"a.jsonl", "b.jsonl", "c.jsonl"} {
		require.NoError(t, os.WriteFile(filepath.Join(done, name), signalRecords(500), 0o644))
	}
	exportCase := func(name string, sig syscall.Signal) signalCase {
		out, state := filepath.Join(dir, name), filepath.Join(dir, name+".state")
		return signalCase{name: name, args: []string{"export", "--out", out, "--state", state, done, "-"}, stdin: big, sig: sig,
			check: func(t *testing.T, stdout, stderr string) {
				checkWholeExport(t, out, state, []string{"a.jsonl", "b.jsonl", "c.jsonl"})
			}}
	}
	everyRecord := []string{"--pattern", `{ $.eventName = "GetObject" }`}

	cases := []signalCase{
		{name: "detect stdin SIGINT", args: append(append([]string{"detect", "--cis"}, everyRecord...), "-"), stdin: big, sig: syscall.SIGINT,
			check: checkWholeFindings},
		{name: "detect stdin SIGTERM", args: append(append([]string{"detect", "--cis"}, everyRecord...), "-"), stdin: big, sig: syscall.SIGTERM,
			check: checkWholeFindings},
		{name: "detect s3 hanging endpoint", args: []string{"detect", "--cis", "--endpoint-url", endpoint, "s3://bucket/p"}, env: s3env, ready: accepted, sig: syscall.SIGINT},
		exportCase("export stdin SIGINT", syscall.SIGINT),
		exportCase("export stdin SIGTERM", syscall.SIGTERM),
		{name: "export to s3 hanging endpoint", args: []string{"export", "--endpoint-url", endpoint, "--out", "s3://bucket/p", done}, env: s3env, ready: accepted, sig: syscall.SIGTERM},
		{name: "export from s3 hanging endpoint", args: []string{"export", "--endpoint-url", endpoint, "--out", filepath.Join(dir, "from-s3"), "s3://bucket/p"}, env: s3env, ready: accepted, sig: syscall.SIGINT,
			check: func(t *testing.T, stdout, stderr string) {
				assert.Empty(t, files(t, filepath.Join(dir, "from-s3")), "nothing written")
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkStops(t, bin, c) })
	}
}

// checkWholeFindings requires detect's output to be whole JSON lines.
func checkWholeFindings(t *testing.T, stdout, stderr string) {
	t.Helper()
	if stdout == "" {
		return
	}
	assert.True(t, strings.HasSuffix(stdout, "\n"), "the last finding is a whole line")
	sc := bufio.NewScanner(strings.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var f struct {
			RuleID  string `json:"rule_id"`
			EventID string `json:"eventID"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &f), "finding %d: %s", n, sc.Bytes())
		assert.NotEmpty(t, f.RuleID)
		n++
	}
	require.NoError(t, sc.Err())
	t.Logf("%d whole findings before the signal", n)
}

// checkWholeExport requires the export under out to hold whole Parquet
// files of the finished inputs only (no temporary file, nothing of the
// standard input), and the state file to list exactly them.
func checkWholeExport(t *testing.T, out, state string, finished []string) {
	t.Helper()
	var names []string
	rows := int64(0)
	for _, p := range files(t, out) {
		base := filepath.Base(p)
		require.False(t, strings.HasPrefix(base, ".tmp-"), "temporary file left: %s", p)
		rel, err := filepath.Rel(out, p)
		require.NoError(t, err)
		if strings.HasPrefix(filepath.ToSlash(rel), sink.MetadataDir+"/") {
			require.True(t, strings.HasSuffix(rel, sink.MetadataSuffix), "unexpected file %s", p)
			continue
		}
		require.True(t, strings.HasSuffix(base, ".parquet"), "unexpected file %s", p)
		f, err := os.Open(p)
		require.NoError(t, err)
		fi, err := f.Stat()
		require.NoError(t, err)
		pf, err := parquet.OpenFile(f, fi.Size())
		require.NoError(t, err, "whole Parquet file: %s", p)
		rows += pf.NumRows()
		require.NoError(t, f.Close())
		names = append(names, base)
	}
	var want []string
	for _, in := range finished {
		want = append(want, lake.Name(in)+".parquet")
	}
	sort.Strings(names)
	assert.Equal(t, want, names, "the objects of the finished inputs, none of the standard input's")
	assert.EqualValues(t, 500*len(finished), rows, "every record of the finished inputs")
	body, err := os.ReadFile(state)
	require.NoError(t, err)
	assert.Equal(t, strings.Join(finished, "\n")+"\n", string(body), "state lists the finished inputs")
}

// files lists the regular files under root (none when it does not exist).
func files(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	return out
}

// Seal stops on a signal while a digest's put is in flight (a proxy in
// front of MinIO holds the third digest put unanswered): the digests
// stored before are whole, and a second seal completes the chains, with
// no fork, no gap and every log file listed once, which trailkit validate
// confirms. Seal blocked on an endpoint that never answers stops too.
func TestSignalsStopSeal(t *testing.T) {
	f := newSharedFixture(t)
	inputs, _ := sharedInputs(t, f.dir, 7, sharedT0, 3000, 1, 6*time.Hour)
	end := sharedT0.Add(7 * time.Hour)
	dest := []string{"--s3", "s3://" + f.bucket}
	// Log files without digests: the trail's writer died.
	r := runTrailkitBin(t, f.bin, f.env, "replay", "--account-id", sharedAccount, "--region", "us-east-1", "--trail-name", "shared",
		"--all", "--quiet", "--s3", "s3://"+f.bucket, inputs[0])
	require.Equal(t, 0, r.code, r.stderr)

	until := []string{"--until", end.Format(time.RFC3339)}
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run("digest put in flight "+sig.String(), func(t *testing.T) {
			proxy, held := holdingProxy(t, f.srv.Endpoint, 3, func(r *http.Request) bool {
				return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/CloudTrail-Digest/")
			})
			checkStops(t, f.bin, signalCase{args: f.sealArgs(append(dest, "--endpoint-url", proxy), until...), env: f.env, ready: held, sig: sig})
			// The two digests put before the held one, per run, are whole
			// (digest.Get parses them and checks their fields).
			ctx := context.Background()
			n := 0
			for info, err := range f.s3Store(t).List(ctx, "", "") {
				require.NoError(t, err)
				if strings.Contains(info.Key, "/CloudTrail-Digest/") {
					_, _, _, err := digest.Get(ctx, f.s3Store(t), info.Key)
					require.NoError(t, err, info.Key)
					n++
				}
			}
			assert.Equal(t, 2*(i+1), n, "digests stored")
			t.Logf("%d whole digests stored", n)
		})
	}
	r = runTrailkitBin(t, f.bin, f.env, f.sealArgs(dest, until...)...)
	require.Equal(t, 0, r.code, r.stderr)
	cs := checkSharedChain(t, f.s3Store(t), "")
	assert.Zero(t, cs.gaps+cs.unlisted+cs.twice+cs.forks)
	f.ourValidate(t, dest, cs.rangeEnd(end))
	t.Logf("after the interrupted seals and a complete one: %d digests, %d log files", cs.digests, cs.logs)

	t.Run("hanging endpoint", func(t *testing.T) {
		endpoint, accepted := hangingEndpoint(t)
		checkStops(t, f.bin, signalCase{args: f.sealArgs([]string{"--s3", "s3://bucket", "--endpoint-url", endpoint}, until...),
			env: []string{"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1"}, ready: accepted, sig: syscall.SIGTERM})
	})
}

// holdingProxy forwards requests to target (path-style S3: the signature
// covers the Host header, which the proxy keeps) except the nth request
// that hold matches: it reads that request's body, reports it on the
// returned channel and never answers (until the client goes away).
func holdingProxy(t *testing.T, target string, nth int, hold func(*http.Request) bool) (string, <-chan struct{}) {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	rp := httputil.NewSingleHostReverseProxy(u)
	held := make(chan struct{}, 1)
	stop := make(chan struct{})
	var mu sync.Mutex
	seen := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if hold(r) {
			seen++
		}
		n := seen
		mu.Unlock()
		if !hold(r) || n != nth {
			rp.ServeHTTP(w, r)
			return
		}
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return
		}
		held <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return srv.URL, held
}
