package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/schema"
)

// schemaCorpus is the path of a file or directory of the corpus of
// internal/testdata.
func schemaCorpus(t *testing.T, name ...string) string {
	t.Helper()
	return testdata.Path(t, path.Join(name...))
}

type schemaRun struct {
	code           int
	stdout, stderr string
}

// runSchemaBin runs the built binary with args and stdin.
func runSchemaBin(t *testing.T, bin string, stdin []byte, args ...string) schemaRun {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var xe *exec.ExitError
	if errors.As(err, &xe) {
		code = xe.ExitCode()
	} else {
		require.NoError(t, err)
	}
	return schemaRun{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func putFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// countRecords counts the records event.Scanner reads from a file.
func countRecords(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sc := event.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
	}
	require.NoError(t, sc.Err(), path)
	return n
}

const (
	goodRecord = `{"eventVersion":"1.09","eventTime":"2025-06-01T10:15:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","userName":"alice"},"readOnly":true}`
	badRecord  = `{"eventVersion":"1.09","eventTime":"2025-06-01T10:16:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":"alice","readOnly":"true"}`
)

func TestSchemaValidateBinary(t *testing.T) {
	bin := buildTrailkit(t)
	dir := t.TempDir()

	for _, tt := range []struct{ name, corpus, stdout string }{
		{"every corpus record is valid", "records.jsonl", "3630 records: 3630 valid, 0 invalid\n"},
		{"corpus digests, recognised by content", "digests", "0 records: 0 valid, 0 invalid; 2 digest files: 2 valid, 0 invalid\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := runSchemaBin(t, bin, nil, "schema", "validate", schemaCorpus(t, tt.corpus))
			assert.Equal(t, 0, r.code)
			assert.Equal(t, tt.stdout, r.stdout)
			assert.Empty(t, r.stderr)
		})
	}

	t.Run("corpus log files", func(t *testing.T) {
		logs := schemaCorpus(t, "logfiles")
		// One documentation example has a raw line break inside a string:
		// not JSON. It is reported on stderr, and the rest is checked.
		const notJSON = "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-examples.md__block06.json"
		entries, err := os.ReadDir(logs)
		require.NoError(t, err)
		n := 0
		for _, e := range entries {
			if e.Name() != notJSON {
				n += countRecords(t, filepath.Join(logs, e.Name()))
			}
		}
		r := runSchemaBin(t, bin, nil, "schema", "validate", logs)
		assert.Equal(t, 1, r.code)
		assert.Equal(t, itoa(n)+" records: "+itoa(n)+" valid, 0 invalid; 1 unreadable\n", r.stdout)
		assert.Equal(t, "trailkit schema validate: "+filepath.Join(logs, notJSON)+
			": record 1 at byte 18: invalid JSON at byte 755: control character 0x0a in string\n", r.stderr)
	})

	t.Run("nonconforming records", func(t *testing.T) {
		path := schemaCorpus(t, "records-nonconforming.jsonl")
		r := runSchemaBin(t, bin, nil, "schema", "validate", path)
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stderr)
		out := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		require.Len(t, out, 112)
		assert.Equal(t, path+`: record 1 at byte 0: /eventTime: "2025-03-26 16:43:57.000000000" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`, out[0])
		for _, line := range out[:111] {
			assert.Contains(t, line, ": /eventTime: ")
		}
		assert.Equal(t, "118 records: 7 valid, 111 invalid", out[111])
	})

	t.Run("findings come in input order", func(t *testing.T) {
		// Many batches over several files, checked on every core: the
		// report still follows the input.
		var paths, want []string
		for f := range 3 {
			var b strings.Builder
			path := filepath.Join(dir, "order", "part"+itoa(f)+".jsonl")
			for i := range 1000 {
				if i%3 == f {
					want = append(want, path+": record "+itoa(i+1)+" at byte "+itoa(b.Len())+
						": /readOnly: expected boolean, but got string; /userIdentity: expected object, but got string")
					b.WriteString(badRecord)
				} else {
					b.WriteString(goodRecord)
				}
				b.WriteByte('\n')
			}
			paths = append(paths, putFile(t, path, []byte(b.String())))
		}
		r := runSchemaBin(t, bin, nil, append([]string{"schema", "validate"}, paths...)...)
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stderr)
		want = append(want, "3000 records: 2000 valid, 1000 invalid")
		assert.Equal(t, want, strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n"))
	})

	t.Run("a broken log file", func(t *testing.T) {
		body := `{"Records":[` + goodRecord + `,` + badRecord + `]}`
		path := putFile(t, filepath.Join(dir, "broken", "111122223333_CloudTrail_us-east-1_20250601T1020Z_abcdefghijklmnop.json.gz"), testdata.Gzip(t, []byte(body)))
		r := runSchemaBin(t, bin, nil, "schema", "validate", path)
		assert.Equal(t, 1, r.code)
		assert.Equal(t, path+": record 2 at byte "+itoa(strings.Index(body, badRecord))+
			": /readOnly: expected boolean, but got string; /userIdentity: expected object, but got string\n"+
			"2 records: 1 valid, 1 invalid\n", r.stdout)
		assert.Empty(t, r.stderr)
	})

	t.Run("a trail tree with digests", func(t *testing.T) {
		root := filepath.Join(dir, "tree")
		base := filepath.Join(root, "AWSLogs", "111122223333")
		logKey := "AWSLogs/111122223333/CloudTrail/us-east-1/2025/06/01/111122223333_CloudTrail_us-east-1_20250601T1020Z_abcdefghijklmnop.json.gz"
		putFile(t, filepath.Join(root, filepath.FromSlash(logKey)), testdata.Gzip(t, []byte(`{"Records":[`+goodRecord+`,`+goodRecord+`]}`)))
		digest := func(hash string) []byte {
			return []byte(`{"awsAccountId":"111122223333","digestStartTime":"2025-06-01T10:00:00Z","digestEndTime":"2025-06-01T11:00:00Z",
			"digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"31e8b5433410dfb61a9dc45cc65b22ff",
			"digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":"2025-06-01T10:16:00Z","oldestEventTime":"2025-06-01T10:15:00Z",
			"previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,
			"previousDigestHashAlgorithm":null,"previousDigestSignature":null,
			"logFiles":[{"s3Bucket":"b","s3Object":"` + logKey + `","hashValue":"` + hash + `","hashAlgorithm":"SHA-256",
			"newestEventTime":"2025-06-01T10:16:00Z","oldestEventTime":"2025-06-01T10:15:00Z"}]}`)
		}
		digestDir := filepath.Join(base, "CloudTrail-Digest", "us-east-1", "2025", "06", "01")
		putFile(t, filepath.Join(digestDir, "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250601T110000Z.json.gz"),
			testdata.Gzip(t, digest(strings.Repeat("ab", 32))))
		bad := putFile(t, filepath.Join(digestDir, "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250601T120000Z.json.gz"),
			testdata.Gzip(t, digest("NOT-A-HASH")))
		// Named as a digest, checked as one even though it looks like a record.
		named := putFile(t, filepath.Join(digestDir, "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20250601T130000Z.json"),
			[]byte(goodRecord))
		putFile(t, filepath.Join(root, ".meta", "ignored.json"), []byte(`not JSON`))

		r := runSchemaBin(t, bin, nil, "schema", "validate", root)
		assert.Equal(t, 1, r.code)
		lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
		require.Len(t, lines, 3, r.stdout)
		assert.Equal(t, bad+`: digest file at byte 0: /logFiles/0/hashValue: "NOT-A-HASH" is not a lower-case hex SHA-256 hash`, lines[0])
		assert.True(t, strings.HasPrefix(lines[1], named+": digest file at byte 0: /awsAccountId: missing (required); "), lines[1])
		assert.Equal(t, "2 records: 2 valid, 0 invalid; 3 digest files: 1 valid, 2 invalid", lines[2])
		assert.Empty(t, r.stderr)
	})

	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(dir, "nosuch.json.gz")
		good := putFile(t, filepath.Join(dir, "good.jsonl"), []byte(goodRecord+"\n"+goodRecord+"\n"))
		r := runSchemaBin(t, bin, nil, "schema", "validate", missing, good)
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "trailkit schema validate: stat "+missing+": no such file or directory\n", r.stderr)
		assert.Equal(t, "2 records: 2 valid, 0 invalid; 1 unreadable\n", r.stdout)
	})

	t.Run("truncated gzip", func(t *testing.T) {
		z := testdata.Gzip(t, []byte(`{"Records":[`+goodRecord+`,`+goodRecord+`]}`))
		path := putFile(t, filepath.Join(dir, "truncated.json.gz"), z[:len(z)-12])
		r := runSchemaBin(t, bin, nil, "schema", "validate", path)
		assert.Equal(t, 1, r.code)
		assert.True(t, strings.HasPrefix(r.stderr, "trailkit schema validate: "+path+": "), r.stderr)
		assert.Equal(t, 1, strings.Count(r.stderr, "\n"), r.stderr)
		assert.True(t, strings.HasSuffix(r.stdout, "; 1 unreadable\n"), r.stdout)
	})

	t.Run("stdin", func(t *testing.T) {
		r := runSchemaBin(t, bin, []byte(goodRecord+"\n"+badRecord+"\n"), "schema", "validate", "-")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "stdin: record 2 at byte "+itoa(len(goodRecord)+1)+
			": /readOnly: expected boolean, but got string; /userIdentity: expected object, but got string\n"+
			"2 records: 1 valid, 1 invalid\n", r.stdout)
	})

	t.Run("--json", func(t *testing.T) {
		r := runSchemaBin(t, bin, []byte(goodRecord+"\n"+badRecord+"\n"), "schema", "validate", "--json", "-", filepath.Join(dir, "nosuch"))
		assert.Equal(t, 1, r.code)
		assert.Empty(t, r.stderr)
		var got []map[string]any
		sc := bufio.NewScanner(strings.NewReader(r.stdout))
		for sc.Scan() {
			var m map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
			got = append(got, m)
		}
		require.Len(t, got, 3)
		assert.Equal(t, map[string]any{
			"type": "invalid", "file": "stdin", "kind": "record", "index": 1.0, "offset": float64(len(goodRecord) + 1),
			"violations": []any{
				map[string]any{"pointer": "/readOnly", "keyword": "record.schema.json#/properties/readOnly/type", "message": "expected boolean, but got string"},
				map[string]any{"pointer": "/userIdentity", "keyword": "record.schema.json#/$defs/userIdentity/type", "message": "expected object, but got string"},
			},
		}, got[0])
		assert.Equal(t, "error", got[1]["type"])
		assert.Contains(t, got[1]["error"], "no such file or directory")
		assert.Equal(t, map[string]any{"type": "summary", "records": 2.0, "invalidRecords": 1.0, "digests": 0.0, "invalidDigests": 0.0, "unreadable": 1.0}, got[2])
	})

	t.Run("--quiet", func(t *testing.T) {
		r := runSchemaBin(t, bin, []byte(goodRecord), "schema", "validate", "--quiet", "-")
		assert.Equal(t, schemaRun{code: 0}, r)
		r = runSchemaBin(t, bin, []byte(badRecord), "schema", "validate", "--quiet", "-")
		assert.Equal(t, 1, r.code)
		assert.Equal(t, 1, strings.Count(r.stdout, "\n"), "only the invalid record: %q", r.stdout)
	})

	t.Run("show", func(t *testing.T) {
		for arg, k := range map[string]schema.Kind{"record": schema.Record, "logfile": schema.LogFile, "digest": schema.Digest} {
			want, err := schema.FS.ReadFile(k.File())
			require.NoError(t, err)
			r := runSchemaBin(t, bin, nil, "schema", "show", arg)
			assert.Equal(t, schemaRun{code: 0, stdout: string(want)}, r, arg)
		}
	})

	t.Run("usage", func(t *testing.T) {
		for _, tc := range []struct {
			args   []string
			code   int
			stdout string // substring
			stderr string // the whole of it
		}{
			{[]string{"schema"}, 2, "", "trailkit schema: no subcommand given: validate or show (run 'trailkit schema --help')\n"},
			{[]string{"schema", "validate"}, 2, "", "trailkit schema: validate: no PATH given (run 'trailkit schema validate --help')\n"},
			{[]string{"schema", "bogus"}, 2, "", "trailkit schema: unknown subcommand \"bogus\": validate or show (run 'trailkit schema --help')\n"},
			{[]string{"schema", "validate", "--bogus", "x"}, 2, "", "trailkit schema: validate: flag provided but not defined: -bogus (run 'trailkit schema validate --help')\n"},
			{[]string{"schema", "show"}, 2, "", "trailkit schema: show: want one KIND: record, logfile or digest (run 'trailkit schema show --help')\n"},
			{[]string{"schema", "show", "event"}, 2, "", "trailkit schema: show: unknown KIND \"event\": record, logfile or digest (run 'trailkit schema show --help')\n"},
			{[]string{"schema", "--help"}, 0, "Usage: trailkit schema SUBCOMMAND", ""},
			{[]string{"schema", "-h"}, 0, "validate PATH...", ""},
			{[]string{"schema", "help"}, 0, "show KIND", ""},
			{[]string{"schema", "validate", "--help"}, 0, "Usage: trailkit schema validate [--quiet] [--json] [--endpoint-url URL] PATH...", ""},
			{[]string{"schema", "validate", "-h"}, 0, "Exit status: 0 when everything is valid", ""},
			{[]string{"schema", "show", "--help"}, 0, "Usage: trailkit schema show record|logfile|digest", ""},
			{[]string{"help"}, 0, "check records and digest files against trailkit's JSON Schemas", ""},
		} {
			r := runSchemaBin(t, bin, nil, tc.args...)
			assert.Equal(t, tc.code, r.code, tc.args)
			assert.Contains(t, r.stdout, tc.stdout, tc.args)
			assert.Equal(t, tc.stderr, r.stderr, tc.args)
			if tc.code == 2 {
				assert.Empty(t, r.stdout, tc.args)
			}
		}
	})
}

func itoa(n int) string { return strconv.Itoa(n) }

// BenchmarkSchemaValidate runs trailkit schema validate on the generated log
// file (see benchmeter.Records) and reports its time as a ratio of trailkit cat
// --count on the same file, measured just before it: what checking every
// record against the schema costs on top of reading it. It also reports the
// peak RSS, which must stay flat whatever the file's size.
//
//	go test -run '^$' -bench SchemaValidate -benchtime 3x ./cmd/trailkit
func BenchmarkSchemaValidate(b *testing.B) {
	n := benchmeter.Records(200000)
	path := benchLogFile(b, n)
	bin := buildTrailkit(b)
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	want := strconv.Itoa(n) + " records: " + strconv.Itoa(n) + " valid, 0 invalid\n"
	var cat, validate time.Duration
	var maxRSS int64
	for b.Loop() {
		start := time.Now()
		if out, err := exec.Command(bin, "cat", "--count", path).Output(); err != nil || string(out) != strconv.Itoa(n)+"\n" {
			b.Fatalf("trailkit cat --count: %q, %v", out, err)
		}
		cat += time.Since(start)
		start = time.Now()
		cmd := exec.Command(bin, "schema", "validate", path)
		out, err := cmd.Output()
		validate += time.Since(start)
		if err != nil || string(out) != want {
			b.Fatalf("trailkit schema validate: %q, %v", out, err)
		}
		maxRSS = max(maxRSS, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss*1024)
	}
	b.ReportMetric(float64(validate)/float64(cat), "x-cat")
	b.ReportMetric(float64(n)*float64(b.N)/validate.Seconds(), "records/s")
	b.ReportMetric(float64(info.Size())*float64(b.N)/validate.Seconds()/1e6, "gz-MB/s")
	b.ReportMetric(float64(maxRSS)/(1<<20), "peak-RSS-MiB")
}
