package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/testdata"
)

// expected is what parse should report for the corpus, worked out here
// with nothing but gzip and encoding/json.
type expected struct {
	files      []string // slash-separated paths under the corpus, in key order
	lines      []string
	unreadable []string // files encoding/json cannot decode
	logins     int
	roots      int
}

var (
	cloudTrailTime    = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`)
	cloudTrailVersion = regexp.MustCompile(`^\d+\.\d+$`)
)

func expect(t *testing.T, root string) expected {
	t.Helper()
	var e expected
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, p)
		name := strings.TrimSuffix(d.Name(), ".gz")
		if err == nil && (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".jsonl")) {
			e.files = append(e.files, filepath.ToSlash(rel))
		}
		return err
	})
	require.NoError(t, err)
	sort.Strings(e.files)
	for _, f := range e.files {
		body, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		require.NoError(t, err)
		if bytes.HasPrefix(body, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(bytes.NewReader(body))
			require.NoError(t, err, f)
			body, err = io.ReadAll(zr)
			require.NoError(t, err, f)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		for {
			var v any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				e.unreadable = append(e.unreadable, f)
				break
			}
			for _, rec := range recordsIn(v) {
				e.add(rec)
			}
		}
	}
	return e
}

// recordsIn returns the records of a JSON value: the Records of a log file,
// the elements of an array, or the value itself.
func recordsIn(v any) []map[string]any {
	var elems []any
	switch v := v.(type) {
	case map[string]any:
		if recs, ok := v["Records"].([]any); ok {
			elems = recs
		} else {
			elems = []any{v}
		}
	case []any:
		elems = v
	}
	var out []map[string]any
	for _, e := range elems {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (e *expected) add(rec map[string]any) {
	str := func(m map[string]any, k string) string { s, _ := m[k].(string); return s }
	if !cloudTrailTime.MatchString(str(rec, "eventTime")) || !cloudTrailVersion.MatchString(str(rec, "eventVersion")) {
		return // not shaped like a CloudTrail record
	}
	id, _ := rec["userIdentity"].(map[string]any)
	resp, _ := rec["responseElements"].(map[string]any)
	var kind string
	switch {
	case str(rec, "eventName") == "ConsoleLogin" && str(resp, "ConsoleLogin") == "Failure":
		kind = "console-login-failure"
		e.logins++
	case str(id, "type") == "Root" && str(id, "invokedBy") == "" && str(rec, "eventType") != "AwsServiceEvent":
		kind = "root"
		e.roots++
	default:
		return
	}
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	user := str(id, "arn")
	if user == "" {
		user = dash(str(id, "userName"))
	}
	e.lines = append(e.lines, strings.Join([]string{
		str(rec, "eventTime"), kind, dash(str(rec, "sourceIPAddress")), user, dash(str(rec, "awsRegion")),
	}, "\t"))
}

// check runs parse with opts and compares its report with e; name turns a
// corpus path into the name parse gives the file.
func check(t *testing.T, opts options, e expected, name func(string) string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, warn bytes.Buffer
	err := run(ctx, &out, &warn, opts)

	// The corpus has one file that is not valid JSON: it is named, the
	// others are read, and the run fails at the end.
	require.Equal(t, []string{"logfiles/awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-examples.md__block06.json"}, e.unreadable)
	require.EqualError(t, err, "1 of 24 files could not be read")
	assert.Len(t, e.files, 24)
	for _, f := range e.unreadable {
		assert.Contains(t, warn.String(), "parse: "+name(f)+": record 0 at byte ")
	}

	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	assert.Equal(t, e.lines, lines)
	// records.jsonl (grep ConsoleLogin and Root there) has 9 failed console
	// logins and 64 root actions; a log file of the corpus one more.
	assert.Equal(t, 9, e.logins)
	assert.Equal(t, 65, e.roots)
	assert.Contains(t, warn.String(), "parse: 24 files, 5337 records: 9 failed console logins, 65 root actions; 3861 records skipped\n")
	assert.Contains(t, warn.String(), "parse: "+name("records-nonconforming.jsonl")+": 111 records skipped, not shaped like CloudTrail's (the first: eventTime: ")
}

func TestParseDir(t *testing.T) {
	corpus := testdata.Dir(t, ".")
	e := expect(t, corpus)
	check(t, options{dir: corpus}, e, func(f string) string { return filepath.Join(corpus, filepath.FromSlash(f)) })
}

func TestParseS3(t *testing.T) {
	corpus := testdata.Dir(t, ".")
	srv := miniotest.Start(t)
	srv.CreateBucket(t, "trail-logs")
	client := srv.Client(t)
	e := expect(t, corpus)
	ctx := context.Background()
	put := func(key string, body []byte) {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("trail-logs"), Key: aws.String(key), Body: bytes.NewReader(body)})
		require.NoError(t, err, key)
	}
	// The corpus under a prefix, and beside it an object parse must not read.
	for _, f := range e.files {
		body, err := os.ReadFile(filepath.Join(corpus, filepath.FromSlash(f)))
		require.NoError(t, err)
		put("corpus/"+f, body)
	}
	put("other/login.json", []byte(`{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"ConsoleLogin","responseElements":{"ConsoleLogin":"Failure"}}`))

	// The client comes from the standard AWS configuration, as it would
	// for a user: credentials and region from the environment.
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	check(t, options{s3URL: "s3://trail-logs/corpus/", endpoint: srv.Endpoint}, e,
		func(f string) string { return "s3://trail-logs/corpus/" + f })
}

func TestParseErrors(t *testing.T) {
	ctx := context.Background()
	var out, warn bytes.Buffer
	missing := filepath.Join(t.TempDir(), "missing")
	err := run(ctx, &out, &warn, options{dir: missing})
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, statErr := os.Stat(missing)
	assert.ErrorIs(t, statErr, fs.ErrNotExist, "a missing directory is not created")

	err = run(ctx, &out, &warn, options{s3URL: "s3:/bucket"})
	require.ErrorContains(t, err, "does not start with s3://")
	assert.Empty(t, out.String())
}
