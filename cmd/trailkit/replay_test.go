package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// replayKeyRE matches a delivered log file key; the groups are the
// account, the directory, the region, and the name's account, directory,
// region and timestamp.
var replayKeyRE = regexp.MustCompile(`^(?:[^/]+(?:/[^/]+)*/)?AWSLogs/(\d{12})/(CloudTrail|CloudTrail-Insight)/([a-z0-9-]+)/\d{4}/\d{2}/\d{2}/(\d{12})_(CloudTrail|CloudTrail-Insight)_([a-z0-9-]+)_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$`)

// replayed is a store's content: records of each log file, and digest keys.
type replayed struct {
	logs    map[string][]*event.Record
	digests []string
}

func readReplayed(t *testing.T, st sink.Store) replayed {
	t.Helper()
	out := replayed{logs: map[string][]*event.Record{}}
	ctx := context.Background()
	for info, err := range st.List(ctx, "", "") {
		require.NoError(t, err)
		if strings.Contains(info.Key, "/CloudTrail-Digest/") {
			out.digests = append(out.digests, info.Key)
			continue
		}
		if path.Base(info.Key) == "TrailWritabilityCheckFile" {
			continue // what replay put to check the bucket, as CloudTrail does
		}
		body, _, err := sink.ReadAll(ctx, st, info.Key, 1<<30)
		require.NoError(t, err)
		var recs []*event.Record
		for r, err := range event.Read(bytes.NewReader(body)) {
			require.NoError(t, err, info.Key)
			recs = append(recs, r)
		}
		out.logs[info.Key] = recs
	}
	return out
}

// checkLayout checks every log file against the 5-minute layout: its key is
// CloudTrail's, dated at the end of a 5-minute window, and holds records of
// its account and region that were emitted before that time; with strict,
// all of them from that window.
func checkLayout(t *testing.T, got replayed, defaultAccount string, strict bool) map[string]int {
	t.Helper()
	ids := map[string]int{}
	for key, recs := range got.logs {
		m := replayKeyRE.FindStringSubmatch(key)
		require.NotNil(t, m, "key layout: %s", key)
		assert.Equal(t, m[1], m[4], key)
		assert.Equal(t, m[2], m[5], key)
		assert.Equal(t, m[3], m[6], key)
		at, err := time.Parse("20060102T1504Z", m[7])
		require.NoError(t, err)
		assert.Zero(t, at.Minute()%5, "files are cut at the end of 5-minute windows: %s", key)
		assert.Contains(t, key, at.Format("/2006/01/02/"))
		require.NotEmpty(t, recs, key)
		for _, r := range recs {
			ids[r.EventID]++
			acct := r.RecipientAccountID
			if acct == "" {
				acct = defaultAccount
			}
			assert.Equal(t, m[1], acct, "record %s in %s", r.EventID, key)
			assert.Equal(t, m[3], fileRegion(r), "record %s in %s", r.EventID, key)
			assert.Equal(t, m[2] == "CloudTrail-Insight", r.EventType == event.TypeInsight, "record %s in %s", r.EventID, key)
			assert.True(t, r.EventTime.Before(at), "record %s at %s in the file of %s", r.EventID, r.EventTime, at)
			if strict {
				assert.False(t, r.EventTime.Before(at.Add(-5*time.Minute)), "record %s at %s in the file of %s", r.EventID, r.EventTime, at)
			}
		}
	}
	return ids
}

// fileRegion is the region whose files hold r, for a trail whose home
// region is us-east-1: global service events go to us-east-1, records
// without a region to the home region.
func fileRegion(r *event.Record) string {
	region := r.AWSRegion
	if region == "" || r.EventSource == "iam.amazonaws.com" || r.EventSource == "cloudfront.amazonaws.com" ||
		(r.EventSource == "sts.amazonaws.com" && region == "us-east-1") {
		region = "us-east-1"
	}
	return region
}

// inputRecords reads the records of files as trailkit cat would.
func inputRecords(t *testing.T, paths ...string) []*event.Record {
	t.Helper()
	var out []*event.Record
	for _, p := range paths {
		f, err := os.Open(p)
		require.NoError(t, err)
		for r, err := range event.Read(f) {
			require.NoError(t, err, p)
			out = append(out, r)
		}
		f.Close()
	}
	return out
}

func isAccount(s string) bool { return regexp.MustCompile(`^\d{12}$`).MatchString(s) }

// TestReplayBinary runs the built trailkit replay as a person would.
func TestReplayBinary(t *testing.T) {
	bin := buildTrailkit(t)
	corpus := corpusDir(t)
	inputs := []string{
		filepath.Join(corpus, "records.jsonl"),
		filepath.Join(corpus, "logfiles", "boogy__CloudTrail-Log-Parser__examples__cloudtrail.json.gz"),
		filepath.Join(corpus, "logfiles", "flosell__trailscraper__tests__cloudtrail__data__111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json.gz"),
	}
	const acct = "123456789012"

	t.Run("corpus", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "out")
		res := runBin(t, bin, nil, append([]string{"replay", "--account-id", acct, "--region", "us-east-1",
			"--trail-name", "corpus-replay", "--dir", out, "--all"}, inputs...)...)
		// Some corpus records name an account that is not 12 digits: they
		// are reported, and the rest is delivered.
		want := map[string]int{}
		rejected := 0
		for _, r := range inputRecords(t, inputs...) {
			if r.RecipientAccountID != "" && !isAccount(r.RecipientAccountID) {
				rejected++
				continue
			}
			want[r.EventID]++
		}
		require.Positive(t, rejected)
		assert.Equal(t, 1, res.code, res.stderr)
		assert.Contains(t, res.stderr, strconv.Itoa(rejected)+" records could not be filed")
		assert.Equal(t, rejected, strings.Count(res.stderr, "is exactly 12 digits"))
		d, err := sink.NewDir(out, sink.DirOptions{})
		require.NoError(t, err)
		got := readReplayed(t, d)
		assert.Equal(t, want, checkLayout(t, got, acct, false), "every record delivered as often as it was read")
		assert.Contains(t, res.stdout, "records read, ")
		assert.Contains(t, res.stdout, strconv.Itoa(len(got.logs))+" log files")
	})

	t.Run("sorted corpus, exact windows", func(t *testing.T) {
		// The corpus's records in order of time: each file holds exactly
		// the records of its 5-minute window.
		var recs []*event.Record
		for _, r := range inputRecords(t, inputs...) {
			if r.RecipientAccountID == "" || isAccount(r.RecipientAccountID) {
				recs = append(recs, r)
			}
		}
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].EventTime.Before(recs[j].EventTime) })
		var buf bytes.Buffer
		lw := event.NewLinesWriter(&buf)
		want := map[string]int{}
		for _, r := range recs {
			require.NoError(t, lw.Write(r))
			want[r.EventID]++
		}
		in := filepath.Join(t.TempDir(), "sorted.jsonl")
		require.NoError(t, os.WriteFile(in, buf.Bytes(), 0o644))
		out := filepath.Join(t.TempDir(), "out")
		res := runBin(t, bin, nil, "replay", "--account-id", acct, "--region", "us-east-1",
			"--trail-name", "corpus-replay", "--dir", out, "--all", in)
		require.Equal(t, 0, res.code, res.stderr)
		d, err := sink.NewDir(out, sink.DirOptions{})
		require.NoError(t, err)
		got := readReplayed(t, d)
		assert.Equal(t, want, checkLayout(t, got, acct, true))
		// One file per account, region and window with records.
		windows := map[string]bool{}
		for _, r := range recs {
			a := r.RecipientAccountID
			if a == "" {
				a = acct
			}
			windows[fmt.Sprint(a, "/", fileRegion(r), "/", r.EventType == event.TypeInsight, "/", r.EventTime.Truncate(5*time.Minute))] = true
		}
		assert.Len(t, got.logs, len(windows))
	})

	t.Run("selectors", func(t *testing.T) {
		sel := filepath.Join(t.TempDir(), "selectors.json")
		require.NoError(t, os.WriteFile(sel, []byte(`{"AdvancedEventSelectors":[{"Name":"writes","FieldSelectors":[
			{"Field":"eventCategory","Equals":["Management"]},{"Field":"readOnly","Equals":["false"]}]}]}`), 0o644))
		in := inputs[1]
		out := filepath.Join(t.TempDir(), "out")
		res := runBin(t, bin, nil, "replay", "--account-id", acct, "--region", "us-east-1",
			"--trail-name", "writes", "--dir", out, "--selectors", sel, in)
		require.Equal(t, 0, res.code, res.stderr)
		d, err := sink.NewDir(out, sink.DirOptions{})
		require.NoError(t, err)
		got := readReplayed(t, d)
		ids := checkLayout(t, got, acct, false)
		want := map[string]int{}
		skipped := 0
		for _, r := range inputRecords(t, in) {
			if r.ReadOnly != nil && !*r.ReadOnly && r.Category() == event.CategoryManagement {
				want[r.EventID]++
			} else {
				skipped++
			}
		}
		require.NotEmpty(t, want)
		require.Positive(t, skipped)
		assert.Equal(t, want, ids)
		assert.Contains(t, res.stdout, strconv.Itoa(skipped)+" not logged by the trail")
	})

	t.Run("digests", func(t *testing.T) {
		key, err := digest.GenerateKey(2048)
		require.NoError(t, err)
		pem, err := digest.MarshalPrivateKeyPEM(key)
		require.NoError(t, err)
		keyFile := filepath.Join(t.TempDir(), "key.pem")
		require.NoError(t, os.WriteFile(keyFile, pem, 0o600))
		// Three hours of generated records, in order of time.
		start := time.Date(2026, 2, 3, 10, 0, 0, 0, time.UTC)
		g := synth.New(7, start)
		var buf bytes.Buffer
		lw := event.NewLinesWriter(&buf)
		n := 0
		for {
			r := g.Record()
			if !r.EventTime.Before(start.Add(3 * time.Hour)) {
				break
			}
			require.NoError(t, lw.Write(r))
			n++
		}
		in := filepath.Join(t.TempDir(), "synth.jsonl")
		require.NoError(t, os.WriteFile(in, buf.Bytes(), 0o644))
		out := filepath.Join(t.TempDir(), "out")
		res := runBin(t, bin, nil, "replay", "--account-id", g.Account, "--region", "us-east-1",
			"--trail-name", "signed", "--dir", out, "--bucket", "audit-bucket", "--all", "--private-key", keyFile, in)
		require.Equal(t, 0, res.code, res.stderr)
		d, err := sink.NewDir(out, sink.DirOptions{Bucket: "audit-bucket"})
		require.NoError(t, err)
		got := readReplayed(t, d)
		ids := checkLayout(t, got, g.Account, true)
		assert.Len(t, ids, n)
		assert.Len(t, got.logs, 36, "3 hours of 5-minute files")
		// One digest per hour, and one for 13:00 to 14:00: the file of
		// the window ending at 13:00 is delivered then.
		assert.Len(t, got.digests, 4, "one digest per hour")
		assert.Contains(t, res.stdout, "36 log files and 4 digest files")
		valid, logs := 0, 0
		for f, err := range digest.Validate(context.Background(), d, digest.ValidateOptions{
			TrailARN: "arn:aws:cloudtrail:us-east-1:" + g.Account + ":trail/signed",
			Start:    start, End: start.Add(3 * time.Hour),
			Keys: []digest.PublicKey{digest.NewPublicKey(&key.PublicKey)},
		}) {
			require.NoError(t, err)
			require.False(t, f.Kind.Invalid(), f.String())
			switch f.Kind {
			case digest.DigestValid:
				valid++
			case digest.LogValid:
				logs++
			}
		}
		assert.Equal(t, 4, valid)
		assert.Equal(t, 36, logs)
	})

	t.Run("s3", func(t *testing.T) {
		srv := miniotest.Start(t)
		srv.CreateBucket(t, "replayed")
		in := inputs[1]
		res := runS3Bin(t, bin, without(srv.Env(), "AWS_ENDPOINT_URL_S3"), "replay", "--account-id", acct, "--region", "us-east-1",
			"--trail-name", "to-s3", "--s3", "s3://replayed/migrated/logs", "--endpoint-url", srv.Endpoint, "--all", in)
		require.Equal(t, 0, res.code, res.stderr)
		got := readReplayed(t, s3sink.New(srv.Client(t), "replayed", s3sink.Options{}))
		ids := checkLayout(t, got, acct, false)
		want := map[string]int{}
		for _, r := range inputRecords(t, in) {
			want[r.EventID]++
		}
		assert.Equal(t, want, ids)
		for key := range got.logs {
			assert.True(t, strings.HasPrefix(key, "migrated/logs/AWSLogs/"), key)
		}
	})
}

func TestReplayUsage(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	require.NoError(t, os.WriteFile(in, nil, 0o644))
	base := []string{"replay", "--account-id", "123456789012", "--region", "us-east-1", "--trail-name", "t-1"}
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"no destination", append(base, in), 2, "give one of --dir and --s3"},
		{"two destinations", append(base, "--dir", dir, "--s3", "s3://bucket", in), 2, "give one of --dir and --s3"},
		{"no account", []string{"replay", "--region", "us-east-1", "--trail-name", "t-1", "--dir", dir, in}, 2, "are required"},
		{"no input", append(base, "--dir", dir), 2, "no INPUT"},
		{"bad trail name", []string{"replay", "--account-id", "123456789012", "--region", "us-east-1", "--trail-name", "a/b", "--dir", dir, in}, 2, "InvalidTrailNameException"},
		{"bad account", []string{"replay", "--account-id", "12", "--region", "us-east-1", "--trail-name", "t-1", "--dir", dir, in}, 2, "12 digits"},
		{"bad region", []string{"replay", "--account-id", "123456789012", "--region", "../x", "--trail-name", "t-1", "--dir", dir, in}, 2, "region name"},
		{"bad prefix", append(base, "--dir", dir, "--prefix", "../up", in), 2, "InvalidS3PrefixException"},
		{"all and selectors", append(base, "--dir", dir, "--all", "--selectors", in, in), 2, "exclude each other"},
		{"missing key", append(base, "--dir", dir, "--private-key", filepath.Join(dir, "nope.pem"), in), 2, "--private-key"},
		{"missing input", append(base, "--dir", filepath.Join(dir, "out"), filepath.Join(dir, "missing.json")), 1, "missing.json"},
		{"empty input", append(base, "--dir", filepath.Join(dir, "out"), in), 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runIn(t, nil, tt.args...)
			assert.Equal(t, tt.code, res.code, res.stderr)
			if tt.stderr != "" {
				assert.Contains(t, res.stderr, tt.stderr)
			}
		})
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"in.jsonl", "out"}, names, "bad configurations write nothing")
}
