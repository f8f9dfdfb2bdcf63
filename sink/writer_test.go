package sink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/sink"
)

// corpusDir is the corpus of internal/testdata, written to a temporary
// directory.
func corpusDir(t *testing.T) string {
	t.Helper()
	return testdata.Dir(t, ".")
}

// corpusRecords returns the first n records of the corpus, one JSON text
// each.
func corpusRecords(t *testing.T, n int) []string {
	t.Helper()
	all := testdata.Records(t)
	require.GreaterOrEqual(t, len(all), n)
	var recs []string
	for _, line := range all[:n] {
		recs = append(recs, string(line))
	}
	return recs
}

// logFile gzips records as a CloudTrail log file.
func logFile(t testing.TB, recs []string) []byte {
	t.Helper()
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	for _, r := range recs {
		var compact bytes.Buffer
		require.NoError(t, json.Compact(&compact, []byte(r)))
		require.NoError(t, lw.WriteRaw(compact.Bytes()))
	}
	require.NoError(t, lw.Close())
	return buf.Bytes()
}

func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestWriterPrintsRecords(t *testing.T) {
	ctx := context.Background()
	recs := corpusRecords(t, 25)
	var out bytes.Buffer
	w := sink.NewWriter(&out, sink.WriterOptions{})
	assert.Equal(t, "stdout", w.Bucket())
	require.NoError(t, w.Put(ctx, sink.Object{
		Key:  "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0305Z_a1B2c3D4e5F6g7H8.json.gz",
		Body: logFile(t, recs), ContentType: "application/json", ContentEncoding: "gzip",
	}))
	got := lines(out.String())
	require.Len(t, got, len(recs))
	for i := range recs {
		assert.JSONEq(t, recs[i], got[i], "record %d", i)
		assert.NotContains(t, got[i], "\n")
	}

	// Other forms the scanner reads: a plain log file, JSON Lines.
	out.Reset()
	require.NoError(t, w.Put(ctx, sink.Object{Key: "plain.json", Body: []byte(`{"Records":[` + recs[0] + `,` + recs[1] + `]}`)}))
	require.NoError(t, w.Put(ctx, sink.Object{Key: "lines.jsonl", Body: []byte(recs[2] + "\n" + recs[3] + "\n")}))
	got = lines(out.String())
	require.Len(t, got, 4)
	for i := range got {
		assert.JSONEq(t, recs[i], got[i])
	}
}

func TestWriterCorpusLogFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "logfiles", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			require.NoError(t, err)
			var want int
			var readErr error
			for _, err := range event.Read(bytes.NewReader(body)) {
				if err != nil {
					readErr = err
					break
				}
				want++
			}
			var out bytes.Buffer
			err = sink.NewWriter(&out, sink.WriterOptions{}).Put(context.Background(), sink.Object{Key: filepath.Base(f), Body: body})
			if readErr != nil {
				// Some documentation examples are not valid JSON: the
				// Writer reports them as the scanner does and prints nothing.
				require.Error(t, err)
				assert.Contains(t, err.Error(), readErr.Error())
				assert.Empty(t, out.String())
				return
			}
			require.NoError(t, err)
			got := lines(out.String())
			assert.Len(t, got, want)
			for _, l := range got {
				var m map[string]any
				require.NoError(t, json.Unmarshal([]byte(l), &m), l)
				assert.Contains(t, m, "eventVersion")
			}
		})
	}
}

func TestWriterSkips(t *testing.T) {
	digest, err := os.ReadFile(filepath.Join(corpusDir(t), "digests",
		"awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-validation-digest-file-structure.md__block01.json"))
	require.NoError(t, err)
	var out bytes.Buffer
	w := sink.NewWriter(&out, sink.WriterOptions{Bucket: "dev"})
	assert.Equal(t, "dev", w.Bucket())
	for _, obj := range []sink.Object{
		{Key: "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260102T030000Z.json.gz", Body: digest},
		{Key: "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/empty.json.gz"},
		{Key: "records.json", Body: []byte(`{"Records":[]}`)},
	} {
		require.NoError(t, w.Put(context.Background(), obj), obj.Key)
	}
	assert.Empty(t, out.String())
}

func TestWriterBadObject(t *testing.T) {
	recs := corpusRecords(t, 2)
	var out bytes.Buffer
	w := sink.NewWriter(&out, sink.WriterOptions{})
	for _, body := range []string{
		"not json",
		`{"Records":[` + recs[0] + `,{"eventVersion":`,
		"\x1f\x8b\x08\x00garbage",
	} {
		err := w.Put(context.Background(), sink.Object{Key: "bad/key.json.gz", Body: []byte(body)})
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), `put "bad/key.json.gz" to stdout`)
	}
	assert.Empty(t, out.String(), "nothing of an unreadable object is printed")
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterWriteError(t *testing.T) {
	broken := errors.New("broken pipe")
	w := sink.NewWriter(failingWriter{broken}, sink.WriterOptions{})
	err := w.Put(context.Background(), sink.Object{Key: "k.json", Body: logFile(t, corpusRecords(t, 1))})
	require.ErrorIs(t, err, broken)
	assert.Contains(t, err.Error(), `put "k.json"`)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err = sink.NewWriter(&out, sink.WriterOptions{}).Put(ctx, sink.Object{Key: "k.json", Body: logFile(t, corpusRecords(t, 1))})
	require.ErrorIs(t, err, context.Canceled)
	assert.Empty(t, out.String())
}

// slowWriter records each Write and yields in the middle, so that
// interleaving writers would show.
type slowWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *slowWriter) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		n := min(len(p), 4096)
		s.mu.Lock()
		s.buf.Write(p[:n])
		s.mu.Unlock()
		p = p[n:]
		runtime.Gosched() // let another Put write here, if the Writer allowed it
	}
	return total, nil
}

func TestWriterConcurrentPutsDoNotInterleave(t *testing.T) {
	// Objects of different sizes, one larger than the Writer's 4 MiB
	// buffer, so that both the buffered and the streaming paths run.
	sizes := []int{1, 10, 200, 1000, 3000, 50, 7, 600}
	objs := make([]sink.Object, len(sizes))
	owner := map[string]int{} // eventID -> object
	for i, n := range sizes {
		var buf bytes.Buffer
		require.NoError(t, synth.New(uint64(i+1), time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)).WriteLogFile(&buf, n))
		objs[i] = sink.Object{Key: fmt.Sprintf("obj-%d.json.gz", i), Body: buf.Bytes()}
		for rec, err := range event.Read(bytes.NewReader(buf.Bytes())) {
			require.NoError(t, err)
			_, dup := owner[rec.EventID]
			require.False(t, dup)
			owner[rec.EventID] = i
		}
	}
	out := &slowWriter{}
	w := sink.NewWriter(out, sink.WriterOptions{})
	var wg sync.WaitGroup
	for _, obj := range objs {
		wg.Go(func() { assert.NoError(t, w.Put(context.Background(), obj)) })
	}
	wg.Wait()

	got := lines(out.buf.String())
	require.Len(t, got, len(owner))
	// Each object's lines form one run, in the object's order.
	var runs []int
	bytesOf := make([]int, len(objs))
	for _, l := range got {
		var rec struct{ EventID string }
		require.NoError(t, json.Unmarshal([]byte(l), &rec))
		o, ok := owner[rec.EventID]
		require.True(t, ok, "unknown record %s", rec.EventID)
		bytesOf[o] += len(l) + 1
		if len(runs) == 0 || runs[len(runs)-1] != o {
			runs = append(runs, o)
		}
	}
	assert.Len(t, runs, len(objs), "one run per object: %v", runs)
	require.Greater(t, bytesOf[4], 4<<20, "an object larger than the Writer's buffer")
}
