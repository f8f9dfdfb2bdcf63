package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
)

var validateH0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const validateARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/cmd-trail"

// testTrail is what writeTestTrail delivered.
type testTrail struct {
	digests []string   // digest keys, oldest first
	logs    [][]string // log keys per hour
}

// writeTestTrail delivers hours of log files (logsPerHour an hour, five
// records each) and their digests to s, as the trail does.
func writeTestTrail(t *testing.T, s sink.Sink, key *rsa.PrivateKey, hours, logsPerHour int) testTrail {
	t.Helper()
	ctx := context.Background()
	chain, err := digest.NewChain(digest.ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "cmd-trail",
		Bucket: s.Bucket(), Signer: digest.NewRSASigner(key)})
	require.NoError(t, err)
	g := synth.New(7, validateH0)
	g.Account = "111122223333"
	var tt testTrail
	for h := range hours {
		start := validateH0.Add(time.Duration(h) * time.Hour)
		var logs []digest.LogFile
		var keys []string
		for i := range logsPerHour {
			at := start.Add(time.Duration(i*60/logsPerHour+3) * time.Minute)
			var buf bytes.Buffer
			lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
			require.NoError(t, err)
			for range 5 {
				r := g.Record()
				r.EventTime = at.Add(-time.Minute)
				require.NoError(t, lw.Write(r))
			}
			require.NoError(t, lw.Close())
			k := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/%s/111122223333_CloudTrail_us-east-1_%s_%016d.json.gz",
				at.Format("2006/01/02"), at.Format("20060102T1504Z"), h*100+i)
			require.NoError(t, s.Put(ctx, sink.Object{Key: k, Body: buf.Bytes(), ContentType: "application/json", ContentEncoding: "gzip"}))
			logs = append(logs, digest.LogFile{Bucket: s.Bucket(), Key: k, SHA256: lw.SHA256(), OldestEventTime: at.Add(-time.Minute), NewestEventTime: at.Add(-time.Minute)})
			keys = append(keys, k)
		}
		obj, err := chain.Seal(ctx, start, start.Add(time.Hour), logs)
		require.NoError(t, err)
		require.NoError(t, s.Put(ctx, obj))
		tt.digests = append(tt.digests, obj.Key)
		tt.logs = append(tt.logs, keys)
	}
	return tt
}

// keygenPair runs trailkit keygen and loads the private key.
func keygenPair(t *testing.T, bin string) (*rsa.PrivateKey, string) {
	t.Helper()
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "key.pem"), filepath.Join(dir, "key.der")
	r := runTrailkitBin(t, bin, nil, "keygen", "--private-key", priv, "--public-key", pub)
	require.Equal(t, 0, r.code, r.stderr)
	key, err := digest.LoadPrivateKey(priv)
	require.NoError(t, err)
	return key, pub
}

func TestValidateCommandDir(t *testing.T) {
	bin := buildTrailkit(t)
	key, pub := keygenPair(t, bin)
	root := filepath.Join(t.TempDir(), "cmd-bucket")
	d, err := sink.NewDir(root, sink.DirOptions{})
	require.NoError(t, err)
	tt := writeTestTrail(t, d, key, 3, 2)
	args := []string{"validate", "--dir", root, "--trail-arn", validateARN, "--public-key", pub,
		"--start-time", "2026-03-02T10:00:00Z", "--end-time", "2026-03-02T13:00:00Z"}

	r := runTrailkitBin(t, bin, nil, args...)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr)
	lines := strings.Split(r.stdout, "\n")
	assert.Equal(t, "Validating log files for trail "+validateARN+" between 2026-03-02T10:00:00Z and 2026-03-02T13:00:00Z", lines[0])
	assert.Equal(t, "", lines[1])
	assert.Equal(t, "Digest file\ts3://cmd-bucket/"+tt.digests[2]+"\tvalid", lines[2])
	assert.Equal(t, "Log file\ts3://cmd-bucket/"+tt.logs[2][0]+"\tvalid", lines[3])
	assert.True(t, strings.HasSuffix(r.stdout, "\nResults requested for 2026-03-02T10:00:00Z to 2026-03-02T13:00:00Z\n"+
		"Results found for 2026-03-02T10:00:00Z to 2026-03-02T13:00:00Z:\n\n3/3 digest files valid\n6/6 log files valid\n"), r.stdout)

	// Times in other forms the AWS CLI accepts.
	r = runTrailkitBin(t, bin, nil, "validate", "--dir", root, "--trail-arn", validateARN, "--public-key", pub,
		"--start-time", "2026-03-02 10:00", "--end-time", fmt.Sprint(validateH0.Add(3*time.Hour).Unix()), "--quiet")
	require.Equal(t, 0, r.code, r.stderr)
	assert.NotContains(t, r.stdout, "Digest file", "--quiet prints no valid files")
	assert.Contains(t, r.stdout, "3/3 digest files valid\n6/6 log files valid\n")

	// Tampered: a log file deleted, another modified.
	require.NoError(t, os.Remove(filepath.Join(root, filepath.FromSlash(tt.logs[1][0]))))
	require.NoError(t, os.WriteFile(filepath.Join(root, filepath.FromSlash(tt.logs[0][1])), emptyLogFile(t), 0o644))
	r = runTrailkitBin(t, bin, nil, args...)
	assert.Equal(t, 1, r.code)
	// As the AWS CLI spaces them: a blank line after each invalid file,
	// and before one that follows a valid file.
	assert.Equal(t, "\nLog file\ts3://cmd-bucket/"+tt.logs[1][0]+"\tINVALID: not found\n\n"+
		"\nLog file\ts3://cmd-bucket/"+tt.logs[0][1]+"\tINVALID: hash value doesn't match\n\n", r.stderr)
	assert.Contains(t, r.stdout, "\n3/3 digest files valid\n4/6 log files valid, 2/6 log files INVALID\n")

	r = runTrailkitBin(t, bin, nil, append(args, "--json")...)
	assert.Equal(t, 1, r.code)
	assert.Empty(t, r.stderr)
	var kinds []string
	var summary map[string]any
	sc := bufio.NewScanner(strings.NewReader(r.stdout))
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		if m["type"] == "summary" {
			summary = m
			continue
		}
		kinds = append(kinds, m["kind"].(string))
		if m["kind"] == "log not found" {
			assert.Equal(t, "INVALID", m["status"])
			assert.Equal(t, "not found", m["reason"])
			assert.Equal(t, tt.logs[1][0], m["key"])
			assert.Equal(t, "cmd-bucket", m["bucket"])
		}
	}
	assert.Len(t, kinds, 9)
	assert.Contains(t, kinds, "log hash mismatch")
	require.NotNil(t, summary)
	assert.Equal(t, false, summary["valid"])
	assert.Equal(t, 3.0, summary["validDigests"])
	assert.Equal(t, 2.0, summary["invalidLogs"])
	assert.Equal(t, validateARN, summary["trailArn"])
}

// emptyLogFile returns a log file with no records.
func emptyLogFile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
	require.NoError(t, err)
	require.NoError(t, lw.Close())
	return buf.Bytes()
}

// TestValidateCommandErrors runs the binary on the error paths: each is
// exit status 2 with one line on standard error.
func TestValidateCommandErrors(t *testing.T) {
	bin := buildTrailkit(t)
	key, pub := keygenPair(t, bin)
	root := filepath.Join(t.TempDir(), "cmd-bucket")
	d, err := sink.NewDir(root, sink.DirOptions{})
	require.NoError(t, err)
	writeTestTrail(t, d, key, 1, 1)
	expired := filepath.Join(t.TempDir(), "expired.json")
	pubDER, err := os.ReadFile(pub)
	require.NoError(t, err)
	keys, err := digest.ParsePublicKeys(pubDER)
	require.NoError(t, err)
	keys[0].ValidityEndTime = validateH0.Add(-24 * time.Hour)
	data, err := json.Marshal(digest.PublicKeyList{PublicKeyList: keys})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(expired, data, 0o644))

	base := func(extra ...string) []string {
		return append([]string{"validate", "--trail-arn", validateARN, "--start-time", "2026-03-02T10:00:00Z", "--end-time", "2026-03-02T11:00:00Z"}, extra...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing key file", base("--dir", root, "--public-key", filepath.Join(root, "nope.der")), "nope.der: no such file or directory"},
		{"key file not a key", base("--dir", root, "--public-key", filepath.Join(root, notAKeyFile(t, root))), "not a PKCS#1 DER, PEM or ListPublicKeys public key"},
		{"keys not valid in the range", base("--dir", root, "--public-key", expired), "no public keys found between 2026-03-02T10:00:00Z and 2026-03-02T13:00:00Z"},
		{"bad time range", []string{"validate", "--dir", root, "--trail-arn", validateARN, "--public-key", pub,
			"--start-time", "2026-03-02T12:00:00Z", "--end-time", "2026-03-02T11:00:00Z"}, "start-time must occur before end-time"},
		{"unreadable time", []string{"validate", "--dir", root, "--trail-arn", validateARN, "--public-key", pub, "--start-time", "last tuesday"}, `--start-time: cannot read "last tuesday"`},
		{"no store", base("--public-key", pub), "give one of --dir DIR and --s3"},
		{"two stores", base("--public-key", pub, "--dir", root, "--s3", "s3://b"), "give one of --dir DIR and --s3"},
		{"no key", base("--dir", root), "no --public-key FILE or --kms-key-id given"},
		{"no start", []string{"validate", "--dir", root, "--trail-arn", validateARN, "--public-key", pub}, "no --start-time given"},
		{"bad ARN", []string{"validate", "--dir", root, "--trail-arn", "arn:aws:s3:::b", "--public-key", pub, "--start-time", "2026-03-02"}, "invalid trail ARN provided: arn:aws:s3:::b"},
		{"missing directory", base("--dir", filepath.Join(root, "missing"), "--public-key", pub), "missing: no such file or directory"},
		{"bad S3 URL", base("--s3", "s3:/b", "--public-key", pub), "does not start with s3://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runTrailkitBin(t, bin, nil, tt.args...)
			assert.Equal(t, 2, r.code, "stdout: %s", r.stdout)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		})
	}
}

// notAKeyFile writes a file that is not a key and returns its name.
func notAKeyFile(t *testing.T, dir string) string {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "notakey.der"), []byte("not a key"), 0o644))
	return "notakey.der"
}
