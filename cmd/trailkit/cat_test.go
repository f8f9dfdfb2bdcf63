package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/selector"
)

// corpusDir is the corpus of internal/testdata, written to a temporary
// directory.
func corpusDir(t testing.TB) string {
	t.Helper()
	return testdata.Dir(t, ".")
}

// corpusRecords returns the records of records.jsonl, each compacted: what
// cat must print for them.
func corpusRecords(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, rec := range testdata.Records(t) {
		out = append(out, compactJSON(t, rec))
	}
	require.Len(t, out, 3630)
	return out
}

func compactJSON(t testing.TB, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	require.NoError(t, json.Compact(&out, b))
	return out.String()
}

func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func logFile(recs []string) []byte {
	return []byte(`{"Records":[` + strings.Join(recs, ",") + `]}`)
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o644))
}

// logTree writes a directory laid out as a trail delivers it, with files
// written out of key order, a digest, a hidden file and a file that is no
// log; it returns the directory and the records cat must print, in key
// order.
func logTree(t testing.TB, recs []string) (string, []string) {
	dir := t.TempDir()
	base := filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "01")
	writeFile(t, filepath.Join(base, "02", "111122223333_CloudTrail_us-east-1_20260102T0000Z_b.json.gz"), testdata.Gzip(t, logFile(recs[4:6])))
	writeFile(t, filepath.Join(base, "01", "111122223333_CloudTrail_us-east-1_20260101T0005Z_a.json.gz"), testdata.Gzip(t, logFile(recs[2:4])))
	writeFile(t, filepath.Join(base, "01", "111122223333_CloudTrail_us-east-1_20260101T0000Z_z.json.gz"), testdata.Gzip(t, logFile(recs[0:2])))
	writeFile(t, filepath.Join(base, "02", "111122223333_CloudTrail_us-east-1_20260102T0100Z_c.jsonl"), []byte(recs[6]+"\n"+recs[7]+"\n"))
	writeFile(t, filepath.Join(dir, "AWSLogs", "111122223333", "CloudTrail-Digest", "us-east-1", "2026", "01", "01",
		"111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260101T010000Z.json.gz"),
		testdata.Gzip(t, []byte(`{"awsAccountId":"111122223333","digestStartTime":"2026-01-01T00:00:00Z","logFiles":[]}`)))
	writeFile(t, filepath.Join(base, "01", "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20260101T010000Z.json.gz"),
		testdata.Gzip(t, []byte(`{"awsAccountId":"111122223333","logFiles":[]}`)))
	writeFile(t, filepath.Join(dir, ".trailkit", "state.json"), []byte(`{"eventVersion":"not a record"}`))
	writeFile(t, filepath.Join(dir, "README.txt"), []byte("not a log"))
	return dir, recs[:8]
}

// TestCatInProcess covers cat's inputs and outputs through run.
func TestCatInProcess(t *testing.T) {
	recs := corpusRecords(t)
	dir := corpusDir(t)
	tree, treeRecs := logTree(t, recs)
	eventBridge := `{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.s3","account":"111122223333","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":[],"detail":` + recs[10] + `}`
	cwl := `{"messageType":"DATA_MESSAGE","owner":"111122223333","logGroup":"g","logStream":"s","subscriptionFilters":["f"],"logEvents":[` +
		`{"id":"1","timestamp":1,"message":` + strconv.Quote(recs[11]) + `},{"id":"2","timestamp":2,"message":` + strconv.Quote(recs[12]) + `}]}`
	tests := []struct {
		name  string
		stdin []byte
		args  []string
		want  []string
	}{
		{"JSON Lines file", nil, []string{"cat", filepath.Join(dir, "records.jsonl")}, recs},
		{"directory in key order, digests skipped", nil, []string{"cat", tree}, treeRecs},
		{"stdin, gzipped log file", testdata.Gzip(t, logFile(recs[:100])), []string{"cat", "-"}, recs[:100]},
		{"stdin, pretty-printed record", []byte("{\n  \"eventVersion\": \"1.0\",\n  \"eventTime\": \"2026-01-01T00:00:00Z\",\n  \"eventName\": \"x\"\n}\n"), []string{"cat", "-"}, []string{`{"eventVersion":"1.0","eventTime":"2026-01-01T00:00:00Z","eventName":"x"}`}},
		{"lenient: any object", []byte(`{"foo":1}` + "\n" + `{"eventVersion":"1.0"}`), []string{"cat", "--lenient", "-"}, []string{`{"foo":1}`, `{"eventVersion":"1.0"}`}},
		{"stdin, EventBridge event", []byte(eventBridge), []string{"cat", "-"}, recs[10:11]},
		{"stdin, CloudWatch Logs payload", []byte(base64.StdEncoding.EncodeToString(testdata.Gzip(t, []byte(cwl)))), []string{"cat", "-"}, recs[11:13]},
		{"several paths in order", logFile(recs[20:22]), []string{"cat", "-", filepath.Join(tree, "AWSLogs", "111122223333", "CloudTrail", "us-east-1", "2026", "01", "02")}, append(recs[20:22:22], recs[4:8]...)},
		{"count", nil, []string{"cat", "--count", filepath.Join(dir, "records.jsonl"), tree}, []string{strconv.Itoa(len(recs) + len(treeRecs))}},
		{"count of nothing", []byte(`{"Records":[]}`), []string{"cat", "--count", "-"}, []string{"0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, bytes.NewReader(tt.stdin), tt.args...)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Empty(t, r.stderr)
			assert.Equal(t, tt.want, lines(r.stdout))
		})
	}
}

// TestCatCorpusLogFiles: cat prints the records of every corpus log file
// exactly as encoding/json finds them, compacted.
func TestCatCorpusLogFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusDir(t), "logfiles", "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			r := runIn(t, nil, "cat", name)
			if strings.HasSuffix(name, "block06.json") {
				// A raw line break inside a string: not JSON.
				assert.Equal(t, 1, r.code)
				assert.Equal(t, "trailkit cat: "+name+": record 0 at byte 18: invalid JSON at byte 755: control character 0x0a in string\n", r.stderr)
				return
			}
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, fileRecords(t, name), lines(r.stdout))
		})
	}
}

// fileRecords returns a log file's records compacted, found with
// encoding/json.
func fileRecords(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	if strings.HasSuffix(name, ".gz") {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		require.NoError(t, err)
		data, err = io.ReadAll(zr)
		require.NoError(t, err)
	}
	var file struct{ Records []json.RawMessage }
	require.NoError(t, json.Unmarshal(data, &file))
	if file.Records == nil {
		return []string{compactJSON(t, data)}
	}
	var out []string
	for _, r := range file.Records {
		out = append(out, compactJSON(t, r))
	}
	return out
}

func TestCatErrors(t *testing.T) {
	recs := corpusRecords(t)
	dir := t.TempDir()
	zipped := testdata.Gzip(t, logFile(recs[:50]))
	writeFile(t, filepath.Join(dir, "truncated.json.gz"), zipped[:len(zipped)/2])
	writeFile(t, filepath.Join(dir, "trailing.json.gz"), append(bytes.Clone(zipped), "junk"...))
	writeFile(t, filepath.Join(dir, "bad.json"), []byte(`{"Records":[`+recs[0]+`,{"eventName":tru}]}`))
	missing := filepath.Join(dir, "missing.json.gz")
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"missing file", []string{"cat", missing}, "trailkit cat: stat " + missing + ": no such file or directory\n"},
		{"truncated gzip", []string{"cat", filepath.Join(dir, "truncated.json.gz")}, "gzip: unexpected EOF"},
		{"gzip with trailing garbage", []string{"cat", filepath.Join(dir, "trailing.json.gz")}, "bytes after the end of the gzip stream"},
		{"invalid JSON names file, record and offset", []string{"cat", filepath.Join(dir, "bad.json")},
			"trailkit cat: " + filepath.Join(dir, "bad.json") + ": record 1 at byte " + strconv.Itoa(13+len(recs[0])) + ": invalid JSON at byte " + strconv.Itoa(13+len(recs[0])+13) + `: unexpected 't', want "true"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, nil, tt.args...)
			assert.Equal(t, 1, r.code)
			assert.Contains(t, r.stderr, tt.stderr)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			assert.True(t, strings.HasPrefix(r.stderr, "trailkit cat: "))
		})
	}
}

// selectorConfigs are --selectors files of each kind, with what the corpus
// holds for them.
var selectorConfigs = map[string]string{
	"default (no selectors)": `{"TrailName":"t"}`,
	"basic, write-only management and S3 data": `{"TrailARN":"arn:aws:cloudtrail:us-east-1:111122223333:trail/t","EventSelectors":[
		{"ReadWriteType":"WriteOnly","IncludeManagementEvents":true,"DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]}]}`,
	"advanced, write management but KMS and Lambda data": `{"AdvancedEventSelectors":[
		{"Name":"writes","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]},{"Field":"eventSource","NotEquals":["kms.amazonaws.com"]}]},
		{"Name":"lambda","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::Lambda::Function"]}]}]}`,
}

// matching returns the corpus records m matches, as cat must print them.
func matching(t *testing.T, config string) []string {
	t.Helper()
	cfg, err := selector.ParseConfig([]byte(config))
	require.NoError(t, err)
	m, err := selector.Compile(cfg, selector.Options{})
	require.NoError(t, err)
	var out []string
	var r event.Record
	for _, rec := range corpusRecords(t) {
		require.NoError(t, event.Unmarshal([]byte(rec), &r))
		if m.Match(&r) {
			out = append(out, rec)
		}
	}
	return out
}

func TestCatSelectors(t *testing.T) {
	corpus := filepath.Join(corpusDir(t), "records.jsonl")
	for name, config := range selectorConfigs {
		t.Run(name, func(t *testing.T) {
			want := matching(t, config)
			require.NotEmpty(t, want)
			require.Less(t, len(want), 3630, "the selectors must filter something out")
			file := filepath.Join(t.TempDir(), "selectors.json")
			writeFile(t, file, []byte(config))
			r := runIn(t, nil, "cat", "--selectors", file, corpus)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, want, lines(r.stdout))
			r = runIn(t, nil, "cat", "--count", "--selectors", file, corpus)
			assert.Equal(t, strconv.Itoa(len(want))+"\n", r.stdout)
		})
	}
}

// invalidSelectors are --selectors files CloudTrail refuses.
var invalidSelectors = []struct{ name, config string }{
	{"bucket ARN without a slash", `{"EventSelectors":[{"ReadWriteType":"All","DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3:::bucket"]}]}]}`},
	{"six basic selectors", `{"EventSelectors":[{},{},{},{},{},{}]}`},
	{"basic and advanced", `{"EventSelectors":[{"ReadWriteType":"All"}],"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]}]}`},
	{"data selector without resources.type", `{"AdvancedEventSelectors":[{"Name":"d","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"eventName","Equals":["GetObject"]}]}]}`},
	{"bad insight type", `{"EventSelectors":[{"ReadWriteType":"All"}],"InsightSelectors":[{"InsightType":"ApiCallVolumeInsight"}]}`},
	{"malformed JSON", `{"EventSelectors":[`},
}

func TestCatInvalidSelectors(t *testing.T) {
	corpus := filepath.Join(corpusDir(t), "records.jsonl")
	for _, tt := range invalidSelectors {
		t.Run(tt.name, func(t *testing.T) {
			want := selectorError(t, tt.config)
			file := filepath.Join(t.TempDir(), "selectors.json")
			writeFile(t, file, []byte(tt.config))
			r := runIn(t, nil, "cat", "--selectors", file, corpus)
			assert.Equal(t, 2, r.code)
			assert.Empty(t, r.stdout, "nothing is printed")
			assert.Equal(t, "trailkit cat: "+file+": "+want.Exception+": "+want.Message+"\n", r.stderr)
		})
	}
	t.Run("missing file", func(t *testing.T) {
		r := runIn(t, nil, "cat", "--selectors", "/nonexistent/selectors.json", corpus)
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "--selectors: open /nonexistent/selectors.json: no such file or directory")
	})
}

// selectorError is the error the selector package gives for config.
func selectorError(t *testing.T, config string) *selector.Error {
	t.Helper()
	cfg, err := selector.ParseConfig([]byte(config))
	if err == nil {
		_, err = selector.Compile(cfg, selector.Options{})
	}
	var se *selector.Error
	require.True(t, errors.As(err, &se), "CloudTrail refuses this configuration: %v", err)
	require.NotEmpty(t, se.Exception)
	require.NotEmpty(t, se.Message)
	return se
}

// runBin runs the built binary.
func runBin(t *testing.T, bin string, stdin io.Reader, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %s: %v", bin, err)
	}
	return result{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// TestCatBinary runs the built trailkit as a person would.
func TestCatBinary(t *testing.T) {
	bin := buildTrailkit(t)
	recs := corpusRecords(t)
	dir := corpusDir(t)
	corpus := filepath.Join(dir, "records.jsonl")
	tree, treeRecs := logTree(t, recs)

	t.Run("corpus is printed losslessly", func(t *testing.T) {
		r := runBin(t, bin, nil, "cat", corpus)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, recs, lines(r.stdout), "each line is the input record's compact JSON")
	})
	t.Run("directory", func(t *testing.T) {
		r := runBin(t, bin, nil, "cat", tree)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, treeRecs, lines(r.stdout))
	})
	t.Run("stdin", func(t *testing.T) {
		r := runBin(t, bin, bytes.NewReader(testdata.Gzip(t, logFile(recs[:500]))), "cat", "-")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, recs[:500], lines(r.stdout))
	})
	t.Run("JSON Lines on stdin", func(t *testing.T) {
		r := runBin(t, bin, strings.NewReader(strings.Join(recs[:30], "\n")), "cat", "-")
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, recs[:30], lines(r.stdout))
	})
	t.Run("count", func(t *testing.T) {
		r := runBin(t, bin, nil, "cat", "--count", corpus, filepath.Join(dir, "records-nonconforming.jsonl"))
		require.Equal(t, 0, r.code, r.stderr)
		assert.Equal(t, strconv.Itoa(len(recs)+len(testdata.Lines(t, "records-nonconforming.jsonl")))+"\n", r.stdout)
	})
	t.Run("missing file", func(t *testing.T) {
		r := runBin(t, bin, nil, "cat", "/nonexistent/x.json.gz")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "trailkit cat: stat /nonexistent/x.json.gz: no such file or directory\n", r.stderr)
	})
	t.Run("no PATH", func(t *testing.T) {
		r := runBin(t, bin, nil, "cat")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, "no PATH given")
	})
	t.Run("help", func(t *testing.T) {
		r := runBin(t, bin, nil, "cat", "--help")
		assert.Equal(t, 0, r.code)
		assert.Contains(t, r.stdout, "Usage: trailkit cat")
		r = runBin(t, bin, nil, "--help")
		assert.Equal(t, 0, r.code)
		assert.Contains(t, r.stdout, "cat ")
	})
	t.Run("unknown command", func(t *testing.T) {
		r := runBin(t, bin, nil, "bogus")
		assert.Equal(t, 2, r.code)
		assert.Contains(t, r.stderr, `unknown command "bogus"`)
	})
	t.Run("selectors filter what Match says", func(t *testing.T) {
		for name, config := range selectorConfigs {
			file := filepath.Join(t.TempDir(), "selectors.json")
			writeFile(t, file, []byte(config))
			r := runBin(t, bin, nil, "cat", "--selectors", file, corpus)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Equal(t, matching(t, config), lines(r.stdout), name)
		}
	})
	t.Run("invalid selectors exit 2 with the exception", func(t *testing.T) {
		for _, tt := range invalidSelectors {
			want := selectorError(t, tt.config)
			file := filepath.Join(t.TempDir(), "selectors.json")
			writeFile(t, file, []byte(tt.config))
			r := runBin(t, bin, nil, "cat", "--selectors", file, corpus)
			assert.Equal(t, 2, r.code, tt.name)
			assert.Equal(t, "trailkit cat: "+file+": "+want.Exception+": "+want.Message+"\n", r.stderr, tt.name)
		}
	})
	t.Run("300 MB single record on stdin", func(t *testing.T) {
		// Generated as it is written to the pipe, never held.
		src := io.MultiReader(strings.NewReader(`{"eventName":"`), io.LimitReader(xs{}, 300<<20))
		m := runMeasured(t, buildLauncher(t), src, bin, "cat", "-")
		assert.Equal(t, 1, m.code)
		assert.Equal(t, "trailkit cat: stdin: record 0 at byte 0: value is larger than 16777216 bytes\n", m.stderr)
		t.Logf("peak RSS %.1f MiB", float64(m.peakRSS)/(1<<20))
		assert.Less(t, m.peakRSS, int64(64<<20))
		assert.Greater(t, m.peakRSS, int64(16<<20), "the measure must see the buffer filled to the limit")
	})
}

// xs is an endless run of 'x'.
type xs struct{}

func (xs) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

// An object that is not shaped like a record is an error naming the input,
// the record's index and offset, and what it lacks.
func TestCatRejectsNonRecords(t *testing.T) {
	rec := `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventSource":"s3.amazonaws.com"}`
	tests := []struct {
		in   string
		want string
	}{
		{`{"foo":1}`, "record 0 at byte 0: not a CloudTrail record: no eventVersion, eventTime, eventName, eventSource or eventType"},
		{rec + "\n" + `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z"}`, "record 1 at byte " + strconv.Itoa(len(rec)+1) + ": not a CloudTrail record: no eventName, eventSource or eventType"},
		{rec + "\n" + `{"eventVersion":"1.08","eventName":"x"}`, "record 1 at byte " + strconv.Itoa(len(rec)+1) + ": not a CloudTrail record: no eventTime"},
		// In a log file, where the Scanner locates each record's members.
		{`{"Records":[` + rec + `,{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z"}]}`,
			"record 1 at byte " + strconv.Itoa(len(`{"Records":[`)+len(rec)+1) + ": not a CloudTrail record: no eventName, eventSource or eventType"},
		{`{"Records":[{"eventTime":"2026-01-01T00:00:00Z","eventName":"x","eventVersio":"1"}]}`,
			"record 0 at byte 12: not a CloudTrail record: no eventVersion"},
	}
	for _, tt := range tests {
		r := runIn(t, strings.NewReader(tt.in), "cat", "-")
		assert.Equal(t, 1, r.code, tt.in)
		assert.Contains(t, r.stderr, "stdin: "+tt.want, tt.in)
	}
	// A key spelt with escapes is the key it decodes to.
	in := `{"Records":[{"event\u0056ersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventN\u0061me":"x"}]}`
	r := runIn(t, strings.NewReader(in), "cat", "--count", "-")
	assert.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "1\n", r.stdout)
}
