package digest_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// The validation benchmarks run on a generated trail: log files of 100
// synthetic records (about 165 KB of JSON each) spread over hourly digests.
// TRAILKIT_BENCH_LOGFILES sets the number of log files: the default, 200
// over 24 hours, runs quickly; 2000 gives the full size, about 330 MB of
// JSON over 168 hourly digests. The tree is generated once and cached in
// the temporary directory.
//
//	TRAILKIT_BENCH_LOGFILES=2000 go test -run '^$' -bench 'Validate$' -benchtime 3x ./digest
//	TRAILKIT_BENCH_LOGFILES=2000 TRAILKIT_BENCH_AWSCLI=1 go test -run '^$' -bench ValidateVsAWSCLI -benchtime 1x ./digest

const benchBucket = "bench-bucket"

var benchBase = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

type benchTree struct {
	root  string // the directory sink's root
	keys  []digest.PublicKey
	logs  []string // log file paths
	json  int64    // bytes of uncompressed JSON
	hours int
}

func benchFiles() int {
	if n, err := strconv.Atoi(os.Getenv("TRAILKIT_BENCH_LOGFILES")); err == nil && n > 0 {
		return n
	}
	return 200
}

func benchHours(files int) int { return max(24, files*168/2000) }

var benchTrees sync.Map // files -> *benchTree

// loadBenchTree generates (once, then cached) the trail.
func loadBenchTree(b *testing.B, files int) *benchTree {
	b.Helper()
	if t, ok := benchTrees.Load(files); ok {
		return t.(*benchTree)
	}
	dir := filepath.Join(os.TempDir(), "trailkit-bench-digest", strconv.Itoa(files))
	root := filepath.Join(dir, benchBucket)
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		b.Logf("generating %d log files in %s", files, dir)
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		if err := generateBenchTree(dir, root, files); err != nil {
			b.Fatal(err)
		}
	}
	pem, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		b.Fatal(err)
	}
	key, err := digest.ParsePrivateKey(pem)
	if err != nil {
		b.Fatal(err)
	}
	var meta struct {
		Logs  []string
		JSON  int64
		Hours int
	}
	data, err := os.ReadFile(filepath.Join(dir, "complete"))
	if err != nil {
		b.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		b.Fatal(err)
	}
	t := &benchTree{root: root, keys: []digest.PublicKey{digest.NewPublicKey(&key.PublicKey)}, json: meta.JSON, hours: meta.Hours}
	for _, k := range meta.Logs {
		t.logs = append(t.logs, filepath.Join(root, filepath.FromSlash(k)))
	}
	benchTrees.Store(files, t)
	return t
}

func generateBenchTree(dir, root string, files int) error {
	ctx := context.Background()
	key, err := digest.GenerateKey(2048)
	if err != nil {
		return err
	}
	pem, err := digest.MarshalPrivateKeyPEM(key)
	if err != nil {
		return err
	}
	d, err := sink.NewDir(root, sink.DirOptions{})
	if err != nil {
		return err
	}
	chain, err := digest.NewChain(digest.ChainConfig{AccountID: "123456789012", Region: "us-east-1", TrailName: "bench",
		Bucket: d.Bucket(), Signer: digest.NewRSASigner(key)})
	if err != nil {
		return err
	}
	hours := benchHours(files)
	g := synth.New(1, benchBase)
	var meta struct {
		Logs  []string
		JSON  int64
		Hours int
	}
	meta.Hours = hours
	file := 0
	var buf bytes.Buffer
	for h := range hours {
		start := benchBase.Add(time.Duration(h) * time.Hour)
		n := (h+1)*files/hours - file
		var logs []digest.LogFile
		for i := range n {
			at := start.Add(time.Duration(i*60/n)*time.Minute + 30*time.Second)
			buf.Reset()
			lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
			if err != nil {
				return err
			}
			for range 100 {
				r := g.Record()
				r.EventTime = at.Add(-time.Minute)
				if err := lw.Write(r); err != nil {
					return err
				}
			}
			if err := lw.Close(); err != nil {
				return err
			}
			k := fmt.Sprintf("AWSLogs/123456789012/CloudTrail/us-east-1/%s/123456789012_CloudTrail_us-east-1_%s_%016d.json.gz",
				at.Format("2006/01/02"), at.Format("20060102T1504Z"), file)
			if err := d.Put(ctx, sink.Object{Key: k, Body: buf.Bytes(), ContentType: "application/json", ContentEncoding: "gzip"}); err != nil {
				return err
			}
			size, err := gunzipSize(buf.Bytes())
			if err != nil {
				return err
			}
			meta.JSON += size
			meta.Logs = append(meta.Logs, k)
			logs = append(logs, digest.LogFile{Bucket: d.Bucket(), Key: k, SHA256: lw.SHA256(), OldestEventTime: at.Add(-time.Minute), NewestEventTime: at.Add(-time.Minute)})
			file++
		}
		obj, err := chain.Seal(ctx, start, start.Add(time.Hour), logs)
		if err != nil {
			return err
		}
		if err := d.Put(ctx, obj); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem, 0o600); err != nil {
		return err
	}
	data, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "complete"), data, 0o644)
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

func gunzipSize(body []byte) (int64, error) {
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	var c countWriter
	_, err = zr.WriteTo(&c)
	return c.n, err
}

// floor reads, gunzips and hashes every log file, spread over GOMAXPROCS
// goroutines: the work validation cannot avoid.
func floor(b *testing.B, paths []string) time.Duration {
	b.Helper()
	start := time.Now()
	next := make(chan string)
	var wg sync.WaitGroup
	var failed error
	var mu sync.Mutex
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			var zr gzip.Reader
			h := sha256.New()
			for p := range next {
				body, err := os.ReadFile(p)
				if err == nil {
					err = zr.Reset(bytes.NewReader(body))
				}
				if err == nil {
					h.Reset()
					_, err = zr.WriteTo(h)
				}
				if err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for _, p := range paths {
		next <- p
	}
	close(next)
	wg.Wait()
	if failed != nil {
		b.Fatal(failed)
	}
	return time.Since(start)
}

func validateAll(b *testing.B, store sink.Store, t *benchTree) time.Duration {
	b.Helper()
	start := time.Now()
	opts := digest.ValidateOptions{TrailARN: "arn:aws:cloudtrail:us-east-1:123456789012:trail/bench",
		Start: benchBase, End: benchBase.Add(time.Duration(t.hours) * time.Hour), Keys: t.keys}
	sum := digest.Summary{Start: opts.Start, End: opts.End}
	for f, err := range digest.Validate(context.Background(), store, opts) {
		if err != nil {
			b.Fatal(err)
		}
		sum.Add(&f)
	}
	d := time.Since(start)
	if !sum.Valid() || sum.ValidLogs != len(t.logs) || sum.ValidDigests != t.hours {
		b.Fatalf("validation: %+v", sum)
	}
	return d
}

// BenchmarkValidate validates the trail in a directory store and reports
// the time as a ratio of the floor (read, gunzip and SHA-256 of the same
// log files on every core) measured in the same run. Target: at most 1.3.
func BenchmarkValidate(b *testing.B) {
	t := loadBenchTree(b, benchFiles())
	store, err := sink.NewDir(t.root, sink.DirOptions{})
	if err != nil {
		b.Fatal(err)
	}
	floor(b, t.logs) // warm the page cache
	var fl, v time.Duration
	for b.Loop() {
		fl += floor(b, t.logs)
		v += validateAll(b, store, t)
	}
	b.ReportMetric(float64(v)/float64(fl), "x-floor")
	b.ReportMetric(float64(t.json)/1e6/(float64(v)/float64(b.N)/1e9), "JSON-MB/s")
	b.ReportMetric(float64(fl)/float64(b.N)/1e6, "floor-ms")
	b.ReportMetric(float64(v)/float64(b.N)/1e6, "validate-ms")
	b.ReportMetric(float64(len(t.logs)), "log-files")
	b.ReportMetric(float64(t.hours), "digests")
}

// BenchmarkValidateVsAWSCLI uploads the trail to MinIO and validates it
// there with trailkit and with the AWS CLI's validate-logs, reporting how
// many times faster trailkit is (target: at least 2). It takes minutes at
// full size, so it runs only with TRAILKIT_BENCH_AWSCLI=1.
func BenchmarkValidateVsAWSCLI(b *testing.B) {
	if os.Getenv("TRAILKIT_BENCH_AWSCLI") == "" {
		b.Skip("set TRAILKIT_BENCH_AWSCLI=1 to compare with the AWS CLI (slow)")
	}
	t := loadBenchTree(b, benchFiles())
	srv := miniotest.Start(b)
	cli := requireAWSCLI(b, srv)
	srv.CreateBucket(b, benchBucket)
	client := srv.Client(b)
	s3store := s3sink.New(client, benchBucket, s3sink.Options{})
	dir, err := sink.NewDir(t.root, sink.DirOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for info, err := range dir.List(ctx, "", "") {
		if err != nil {
			b.Fatal(err)
		}
		body, oi, err := sink.ReadAll(ctx, dir, info.Key, 1<<30)
		if err != nil {
			b.Fatal(err)
		}
		if err := s3store.Put(ctx, sink.Object{Key: info.Key, Body: body, Metadata: oi.Metadata, ContentType: oi.ContentType, ContentEncoding: oi.ContentEncoding}); err != nil {
			b.Fatal(err)
		}
	}
	end := benchBase.Add(time.Duration(t.hours) * time.Hour)
	var ours, theirs time.Duration
	for b.Loop() {
		ours += validateAll(b, s3store, t)
		start := time.Now()
		r := cli.validate(b, digest.PublicKeyList{PublicKeyList: t.keys}, benchBucket, "arn:aws:cloudtrail:us-east-1:123456789012:trail/bench", "us-east-1", benchBase, end)
		theirs += time.Since(start)
		if r.code != 0 || !strings.Contains(r.summary, fmt.Sprintf("%d/%d log files valid", len(t.logs), len(t.logs))) {
			b.Fatalf("AWS CLI: exit %d\n%s", r.code, r.summary)
		}
	}
	b.ReportMetric(float64(theirs)/float64(ours), "x-faster-than-awscli")
	b.ReportMetric(float64(ours)/float64(b.N)/1e6, "trailkit-ms")
	b.ReportMetric(float64(theirs)/float64(b.N)/1e6, "awscli-ms")
}
