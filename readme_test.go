package trailkit_test

// This file holds the Go code README.md shows, so that it compiles and runs
// with the tests: TestReadmeGoBlocks checks that every Go block of the README
// is here, line for line.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// emitOrder is the README's "Emit records from a Go service".
func emitOrder(ctx context.Context) error {
	dir, err := sink.NewDir("audit", sink.DirOptions{})
	if err != nil {
		return err
	}
	tr, err := trail.New(trail.Config{
		Name:       "orders-audit",
		AccountID:  "111122223333",
		HomeRegion: "eu-west-1",
		Delivery:   trail.DeliveryOptions{Sinks: []sink.Sink{dir}},
	})
	if err != nil {
		return err
	}

	rec := event.New("orders.example.com", "CreateOrder") // eventVersion, eventID, eventTime, eventType
	rec.AWSRegion = "eu-west-1"
	rec.UserIdentity = &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"}
	rec.RequestParameters = []byte(`{"sku":"A-17","quantity":2}`)
	rec.ReadOnly = event.Bool(false)
	rec.Fill("111122223333", time.Now()) // recipientAccountId, and what New filled
	if err := tr.Emit(ctx, rec); err != nil {
		return err
	}
	return tr.Close(ctx) // delivers what is pending: a service closes its trail when it stops
}

// printRecords is the README's "Read CloudTrail logs".
func printRecords(w io.Writer, r io.Reader) error {
	for rec, err := range event.Read(r) { // gzip or not: log file, JSON Lines, EventBridge, CloudWatch Logs
		if err != nil {
			return err // names the record's index and byte offset
		}
		who := "-"
		if rec.UserIdentity != nil { // Insights records, and a few others, have none
			who = rec.UserIdentity.ARN
		}
		fmt.Fprintln(w, rec.EventTime.Format(time.RFC3339), rec.EventName, who)
	}
	return nil
}

// Example_emit runs the README's emitOrder in an empty directory and shows
// the log file it delivered and what it holds.
func Example_emit() {
	wd, err := os.Getwd()
	if err != nil {
		log.Fatal(err)
	}
	tmp, err := os.MkdirTemp("", "readme")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chdir(tmp); err != nil {
		log.Fatal(err)
	}
	defer os.Chdir(wd)

	if err := emitOrder(context.Background()); err != nil {
		log.Fatal(err)
	}
	files, err := filepath.Glob("audit/AWSLogs/111122223333/CloudTrail/eu-west-1/*/*/*/*.json.gz")
	if err != nil {
		log.Fatal(err)
	}
	key := regexp.MustCompile(`\d{4}/\d\d/\d\d/111122223333_CloudTrail_eu-west-1_\d{8}T\d{4}Z_[0-9A-Za-z]{16}\.json\.gz$`)
	for _, f := range files {
		fmt.Println(key.MatchString(f), key.ReplaceAllString(f, "YYYY/MM/DD/111122223333_CloudTrail_eu-west-1_YYYYMMDDTHHmmZ_<16 characters>.json.gz"))
		for rec, err := range event.ReadFile(f) {
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println(rec.EventSource, rec.EventName, rec.UserIdentity.UserName, string(rec.RequestParameters), rec.RecipientAccountID)
		}
	}
	// Output:
	// true audit/AWSLogs/111122223333/CloudTrail/eu-west-1/YYYY/MM/DD/111122223333_CloudTrail_eu-west-1_YYYYMMDDTHHmmZ_<16 characters>.json.gz
	// orders.example.com CreateOrder alice {"sku":"A-17","quantity":2} 111122223333
}

// Example_read runs the README's printRecords on a log file with an API
// call and an Insights record, which has no userIdentity.
func Example_read() {
	file := strings.NewReader(`{"Records":[` +
		`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333"},` +
		`"eventTime":"2026-11-25T09:01:02Z","eventSource":"s3.amazonaws.com","eventName":"CreateBucket","awsRegion":"eu-west-1",` +
		`"sourceIPAddress":"192.0.2.1","requestParameters":{"bucketName":"b"},"responseElements":null,"eventID":"6f1c2c0e-0000-4000-8000-000000000001",` +
		`"eventType":"AwsApiCall","recipientAccountId":"111122223333"},` +
		`{"eventVersion":"1.08","eventTime":"2026-11-25T09:05:00Z","awsRegion":"eu-west-1","eventID":"6f1c2c0e-0000-4000-8000-000000000002",` +
		`"eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333","sharedEventID":"6f1c2c0e-0000-4000-8000-000000000003",` +
		`"insightDetails":{"state":"Start","eventSource":"s3.amazonaws.com","eventName":"CreateBucket","insightType":"ApiCallRateInsight",` +
		`"insightContext":{"statistics":{"baseline":{"average":0.5},"insight":{"average":12}}}},"eventCategory":"Insight"}]}`)
	if err := printRecords(os.Stdout, file); err != nil {
		log.Fatal(err)
	}
	// Output:
	// 2026-11-25T09:01:02Z CreateBucket arn:aws:iam::111122223333:user/alice
	// 2026-11-25T09:05:00Z  -
}

// TestReadmeReadsTheCorpus runs the README's reading loop over every record
// and log file of the corpus: no real record makes it panic.
func TestReadmeReadsTheCorpus(t *testing.T) {
	var out bytes.Buffer
	recs := testdata.Records(t)
	require.NoError(t, printRecords(&out, bytes.NewReader(bytes.Join(recs, []byte("\n")))))
	assert.Equal(t, len(recs), strings.Count(out.String(), "\n"))

	logs := testdata.Dir(t, "logfiles")
	entries, err := os.ReadDir(logs)
	require.NoError(t, err)
	for _, e := range entries {
		f, err := os.Open(filepath.Join(logs, e.Name()))
		require.NoError(t, err)
		err = printRecords(io.Discard, f)
		require.NoError(t, f.Close())
		if err != nil { // a documentation example that is not JSON
			var re *event.ReadError
			assert.ErrorAs(t, err, &re, e.Name())
		}
	}
}

// goBlocks returns the ```go blocks of a markdown file.
func goBlocks(t *testing.T, name string) [][]string {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	var blocks [][]string
	var cur []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, cur)
		case in:
			cur = append(cur, line)
		}
	}
	require.False(t, in, "%s: a ```go block is not closed", name)
	return blocks
}

// TestReadmeGoBlocks: every Go block of README.md is code of this file,
// line for line (indentation aside), after an optional import block whose
// packages this file imports. So each snippet compiles, and the examples
// and tests above run it.
func TestReadmeGoBlocks(t *testing.T) {
	src, err := os.ReadFile("readme_test.go")
	require.NoError(t, err)
	var code []string
	for _, l := range strings.Split(string(src), "\n") {
		code = append(code, strings.TrimSpace(l))
	}
	blocks := goBlocks(t, "README.md")
	require.NotEmpty(t, blocks)
	for i, b := range blocks {
		var lines []string
		for _, l := range b {
			lines = append(lines, strings.TrimSpace(l))
		}
		if len(lines) > 0 && lines[0] == "import (" {
			end := 1
			for ; end < len(lines) && lines[end] != ")"; end++ {
				if lines[end] != "" {
					assert.Contains(t, string(src), "\n\t"+lines[end]+"\n", "README Go block %d imports %s", i+1, lines[end])
				}
			}
			lines = lines[end+1:]
		}
		for len(lines) > 0 && lines[0] == "" {
			lines = lines[1:]
		}
		require.NotEmpty(t, lines, "README Go block %d is empty", i+1)
		assert.True(t, containsRun(code, lines), "README Go block %d is not code of readme_test.go, line for line:\n%s", i+1, strings.Join(b, "\n"))
	}
}

// containsRun reports whether sub occurs in lines as a contiguous run.
func containsRun(lines, sub []string) bool {
	for i := 0; i+len(sub) <= len(lines); i++ {
		if equal(lines[i:i+len(sub)], sub) {
			return true
		}
	}
	return false
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// linkRE finds markdown links and images: [text](target).
var linkRE = regexp.MustCompile(`!?\[[^\]]*\]\(([^)\s]+)\)`)

// TestDocLinks: every relative link of README.md and docs/*.md names a file
// or directory inside the repository, and a #fragment names a heading of the
// markdown file it points into.
func TestDocLinks(t *testing.T) {
	files, err := filepath.Glob("docs/*.md")
	require.NoError(t, err)
	files = append([]string{"README.md"}, files...)
	require.Greater(t, len(files), 1, "docs/ has markdown files")
	root, err := filepath.Abs(".")
	require.NoError(t, err)
	for _, name := range files {
		for _, target := range links(t, name) {
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, frag, _ := strings.Cut(target, "#")
			file := name
			if path != "" {
				file = filepath.Join(filepath.Dir(name), filepath.FromSlash(path))
				abs, err := filepath.Abs(file)
				require.NoError(t, err)
				if !assert.True(t, abs == root || strings.HasPrefix(abs, root+string(filepath.Separator)), "%s: link %s leaves the repository", name, target) {
					continue
				}
				if _, err := os.Stat(file); !assert.NoError(t, err, "%s: link %s", name, target) {
					continue
				}
			}
			if frag != "" {
				assert.Contains(t, anchors(t, file), frag, "%s: link %s: no such heading in %s", name, target, file)
			}
		}
	}
}

// links returns the link targets of a markdown file, outside code.
func links(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	var out []string
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
			continue
		}
		if in {
			continue
		}
		line = regexp.MustCompile("`[^`]*`").ReplaceAllString(line, "")
		for _, m := range linkRE.FindAllStringSubmatch(line, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// anchors returns the fragment ids GitHub gives the headings of a markdown
// file: lower case, punctuation dropped, spaces as dashes.
func anchors(t *testing.T, name string) []string {
	t.Helper()
	data, err := os.ReadFile(name)
	require.NoError(t, err)
	var out []string
	in := false
	drop := regexp.MustCompile(`[^\p{L}\p{N} _-]`)
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			in = !in
		}
		if in || !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.TrimSpace(strings.TrimLeft(line, "#"))
		h = drop.ReplaceAllString(strings.ToLower(h), "")
		out = append(out, strings.ReplaceAll(h, " ", "-"))
	}
	return out
}

// TestPackageDocsNameExistingDocs: docs/ pages that Go comments name exist.
func TestPackageDocsNameExistingDocs(t *testing.T) {
	ref := regexp.MustCompile(`docs/[A-Za-z0-9_-]+\.md`)
	seen := 0
	require.NoError(t, filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range ref.FindAllString(string(data), -1) {
			seen++
			_, err := os.Stat(m)
			assert.NoError(t, err, "%s names %s", p, m)
		}
		return nil
	}))
	assert.Positive(t, seen, "package docs link to docs/")
}
