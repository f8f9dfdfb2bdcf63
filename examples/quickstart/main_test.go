package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The test checks the quickstart's report against the tree it delivered,
// read back here with nothing but gzip and encoding/json.

// tree is what a delivered directory holds.
type tree struct {
	logs    map[string][]byte // key -> uncompressed log file
	listed  map[string]string // key of a log file -> SHA-256 its digest records
	digests int
}

func readTree(t *testing.T, dir string) tree {
	t.Helper()
	tr := tree{logs: map[string][]byte{}, listed: map[string]string{}}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".metadata" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		require.NoError(t, err)
		key := filepath.ToSlash(rel)
		body := gunzip(t, path)
		switch {
		case strings.Contains(key, "/CloudTrail-Digest/"):
			tr.digests++
			var d struct {
				LogFiles []struct{ S3Object, HashValue string }
			}
			require.NoError(t, json.Unmarshal(body, &d), key)
			for _, l := range d.LogFiles {
				tr.listed[l.S3Object] = l.HashValue
			}
		case strings.Contains(key, "/CloudTrail/"):
			tr.logs[key] = body
		default:
			t.Errorf("unexpected file %s", key)
		}
		return nil
	})
	require.NoError(t, err)
	return tr
}

func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	zr, err := gzip.NewReader(f)
	require.NoError(t, err, path)
	body, err := io.ReadAll(zr)
	require.NoError(t, err, path)
	return body
}

// record is the part of a record the lookups show.
type record struct {
	EventTime    time.Time
	EventName    string
	ErrorCode    string
	UserIdentity struct{ UserName string }
}

func (tr tree) records(t *testing.T) []record {
	t.Helper()
	var all []record
	for key, body := range tr.logs {
		var file struct{ Records []record }
		require.NoError(t, json.Unmarshal(body, &file), key)
		all = append(all, file.Records...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].EventTime.After(all[j].EventTime) })
	return all
}

func eventLine(r record) string {
	line := fmt.Sprintf("  %s  %-11s  %-5s  %s", r.EventTime.Format(time.RFC3339), r.EventName, r.UserIdentity.UserName, r.ErrorCode)
	return strings.TrimRight(line, " ")
}

// section returns the lines of out after the line title, up to a blank
// line or the end.
func section(t *testing.T, out, title string) []string {
	t.Helper()
	_, rest, ok := strings.Cut(out, "\n"+title+"\n")
	require.True(t, ok, "no %q in\n%s", title, out)
	rest, _, _ = strings.Cut(rest, "\n\n")
	return strings.Split(strings.TrimSuffix(rest, "\n"), "\n")
}

func TestRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "quickstart-bucket")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var buf bytes.Buffer
	require.NoError(t, run(ctx, &buf, dir))
	out := buf.String()
	t.Log("\n" + out)

	tr := readTree(t, dir)
	nLogs := len(tr.logs)
	require.Greater(t, nLogs, 30, "three hours of 5-minute files")
	// 08:50-09:00, three whole hours to 11:00, 11:00-11:50.
	assert.Equal(t, 4, tr.digests)
	records := tr.records(t)
	assert.Greater(t, len(records), 200)
	assert.Contains(t, out, fmt.Sprintf("%d records from orders.example.com, 08:50 to 11:50 on 2026-03-02 (simulated): %d log files, %d digest files\n",
		len(records), nLogs, tr.digests))

	// Before tampering, every file is valid.
	assert.Equal(t, []string{fmt.Sprintf("4/4 digest files valid, %d/%d log files valid", nLogs, nLogs)},
		section(t, out, "Validating the delivered files:"))

	// After: exactly one log file no longer has the hash its digest lists,
	// and it is the one reported.
	var changed []string
	for key, body := range tr.logs {
		want, ok := tr.listed[key]
		require.True(t, ok, "%s is listed in a digest", key)
		sum := sha256.Sum256(body)
		if hex.EncodeToString(sum[:]) != want {
			changed = append(changed, key)
		}
	}
	require.Len(t, changed, 1)
	assert.Contains(t, out, "  "+changed[0]+"\n")
	assert.Equal(t, []string{
		"Log file\ts3://quickstart-bucket/" + changed[0] + "\tINVALID: hash value doesn't match",
		fmt.Sprintf("4/4 digest files valid, %d/%d log files valid, 1/%d log files INVALID", nLogs-1, nLogs, nLogs),
		"The validator caught the change.",
	}, section(t, out, "Validating again:"))

	// The lookups show what the tree holds, newest first.
	var newest, bob []string
	for _, r := range records {
		if len(newest) < 5 {
			newest = append(newest, eventLine(r))
		}
		if r.UserIdentity.UserName == "bob" && r.EventName == "CancelOrder" {
			bob = append(bob, eventLine(r))
		}
	}
	assert.Equal(t, newest, section(t, out, "Event history, the 5 newest events:"))
	require.NotEmpty(t, bob)
	assert.Equal(t, bob, section(t, out, "Event history, Username=bob and EventName=CancelOrder:"))
}

// A second run in the same directory would mix two keys and two copies of
// the same hours: it is refused before anything is written.
func TestRunRefusesNonEmptyDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644))
	var buf bytes.Buffer
	err := run(context.Background(), &buf, dir)
	require.ErrorContains(t, err, "is not empty")
	assert.Empty(t, buf.String())
}

// The README's command: go run ./examples/quickstart from the module root,
// without flags, exits 0 and says what it did.
func TestGoRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	tmp := t.TempDir()
	cmd := exec.CommandContext(ctx, "go", "run", "./examples/quickstart")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp) // the fresh directory it delivers to goes here
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr:\n%s", stderr.String())
	out := stdout.String()

	dirs, err := filepath.Glob(filepath.Join(tmp, "trailkit-quickstart-*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1)
	assert.Contains(t, out, `Trail "quickstart" delivering to `+dirs[0]+"\n")
	assert.Regexp(t, regexp.MustCompile(`(?m)^4/4 digest files valid, (\d+)/\d+ log files valid$`), out)
	assert.Regexp(t, regexp.MustCompile("(?m)^Log file\ts3://trailkit-quickstart-\\d+/AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02/\\S+\\.json\\.gz\tINVALID: hash value doesn't match$"), out)
	assert.Regexp(t, regexp.MustCompile(`(?m)^4/4 digest files valid, \d+/\d+ log files valid, 1/\d+ log files INVALID$`), out)
	assert.Contains(t, out, "The validator caught the change.\n")
	assert.Contains(t, out, "Event history, the 5 newest events:\n")
	assert.Empty(t, stderr.String())
}
