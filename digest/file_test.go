package digest_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/testdata"
)

// corpusDir holds the digest files of the corpus (internal/testdata).
func corpusDir(t *testing.T) string {
	t.Helper()
	return testdata.Dir(t, "digests")
}

func TestParseCorpus(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		file  string
		check func(t *testing.T, f *digest.File)
	}{{
		file: "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-validation-digest-file-structure.md__block01.json",
		check: func(t *testing.T, f *digest.File) {
			assert.Equal(t, "111122223333", f.AWSAccountID)
			assert.Equal(t, time.Date(2015, 8, 17, 14, 1, 31, 0, time.UTC), f.DigestStartTime)
			assert.Equal(t, time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC), f.DigestEndTime)
			assert.Equal(t, "S3-bucket-name", f.DigestS3Bucket)
			assert.Equal(t, "31e8b5433410dfb61a9dc45cc65b22ff", f.DigestPublicKeyFingerprint)
			assert.Equal(t, "SHA256withRSA", f.DigestSignatureAlgorithm)
			assert.Equal(t, time.Date(2015, 8, 17, 14, 52, 27, 0, time.UTC), f.NewestEventTime)
			assert.Equal(t, time.Date(2015, 8, 17, 14, 42, 27, 0, time.UTC), f.OldestEventTime)
			assert.Equal(t, "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d", f.PreviousDigestHashValue)
			assert.Equal(t, "SHA-256", f.PreviousDigestHashAlgorithm)
			assert.Len(t, f.PreviousDigestSignature, 512)
			require.Len(t, f.LogFiles, 1)
			assert.Equal(t, digest.LogEntry{
				S3Bucket:        "S3-bucket-name",
				S3Object:        "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
				HashValue:       "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",
				HashAlgorithm:   "SHA-256",
				NewestEventTime: time.Date(2015, 8, 17, 14, 52, 27, 0, time.UTC),
				OldestEventTime: time.Date(2015, 8, 17, 14, 42, 27, 0, time.UTC),
			}, f.LogFiles[0])
			// The key naming of the example is the one Key builds.
			cfg := digest.ChainConfig{AccountID: "111122223333", Region: "us-east-2", TrailName: "your-trail-name"}
			assert.Equal(t, digest.Key(cfg, f.DigestEndTime), f.DigestS3Object)
			assert.Equal(t, digest.Key(cfg, f.DigestStartTime), f.PreviousDigestS3Object)
		},
	}, {
		file: "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-validation-digest-file-structure.md__block02.json",
		check: func(t *testing.T, f *digest.File) {
			assert.Equal(t, "example-bucket-name", f.DigestS3Bucket)
			assert.True(t, f.NewestEventTime.IsZero())
			assert.True(t, f.OldestEventTime.IsZero())
			assert.NotNil(t, f.LogFiles)
			assert.Empty(t, f.LogFiles)
		},
	}}
	for _, tt := range tests {
		t.Run(tt.file[len(tt.file)-12:], func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, tt.file))
			require.NoError(t, err)
			f, err := digest.Parse(data)
			require.NoError(t, err)
			tt.check(t, f)

			// Writing it back gives the same fields in the same order.
			var want, got any
			require.NoError(t, json.Unmarshal(data, &want))
			out := f.AppendJSON(nil)
			require.NoError(t, json.Unmarshal(out, &got))
			assert.Equal(t, want, got)
			assert.Equal(t, keyOrder(t, data), keyOrder(t, out))
		})
	}
}

// keyOrder returns the object keys of a JSON document in document order.
func keyOrder(t *testing.T, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	var keys []string
	var walk func()
	walk = func() {
		tok, err := dec.Token()
		require.NoError(t, err)
		switch tok {
		case json.Delim('{'):
			for dec.More() {
				k, err := dec.Token()
				require.NoError(t, err)
				keys = append(keys, k.(string))
				walk()
			}
			_, err = dec.Token()
			require.NoError(t, err)
		case json.Delim('['):
			for dec.More() {
				walk()
			}
			_, err = dec.Token()
			require.NoError(t, err)
		}
	}
	walk()
	return keys
}

func TestParseFormatErrors(t *testing.T) {
	full := `{"awsAccountId":"111122223333","digestStartTime":"2026-01-01T00:00:00Z","digestEndTime":"2026-01-01T01:00:00Z",` +
		`"digestS3Bucket":"b","digestS3Object":"k","digestPublicKeyFingerprint":"f","digestSignatureAlgorithm":"SHA256withRSA",` +
		`"newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,` +
		`"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}`
	_, err := digest.Parse([]byte(full))
	require.NoError(t, err)
	tests := []struct{ name, json, want string }{
		{"not JSON", `{"awsAccountId":`, "malformed JSON at offset 16: unexpected end of input, want a value"},
		{"not an object", `[1]`, "malformed JSON at offset 0: unexpected '[', want '{'"},
		{"trailing data", full + `x`, "data after the object"},
		{"bad number", replace(full, `"awsAccountId":"111122223333"`, `"awsAccountId":"1","extra":01`), "malformed JSON"},
		{"control character", replace(full, `"b"`, "\"b\x01\""), "control character"},
		{"number for a string", replace(full, `"digestS3Object":"k"`, `"digestS3Object":5`), "digestS3Object: not a string"},
		{"log bucket null", replace(full, `"logFiles":[]`, `"logFiles":[{"s3Bucket":null,"s3Object":"k","hashValue":"h"}]`), "logFiles[0]: field s3Bucket is null"},
		{"not UTF-8", replace(full, `"b"`, "\"b\xff\""), "not UTF-8"},
		{"empty end time", replace(full, `"digestEndTime":"2026-01-01T01:00:00Z"`, `"digestEndTime":""`), "is empty"},
		{"logFiles null", replace(full, `"logFiles":[]`, `"logFiles":null`), "logFiles missing"},
		{"no digestEndTime", strip(full, `"digestEndTime":"2026-01-01T01:00:00Z",`), "digestEndTime missing"},
		{"no previousDigestSignature", strip(full, `"previousDigestSignature":null,`), "previousDigestSignature missing"},
		{"no fingerprint", strip(full, `"digestPublicKeyFingerprint":"f",`), "digestPublicKeyFingerprint missing"},
		{"null bucket", replace(full, `"digestS3Bucket":"b"`, `"digestS3Bucket":null`), "digestS3Bucket is null"},
		{"bad time", replace(full, `"2026-01-01T00:00:00Z"`, `"yesterday"`), "not a time"},
		{"no logFiles", replace(full, `,"logFiles":[]`, ``), "logFiles missing"},
		{"log without hash", replace(full, `"logFiles":[]`, `"logFiles":[{"s3Bucket":"b","s3Object":"k"}]`), "logFiles[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := digest.Parse([]byte(tt.json))
			require.Error(t, err)
			assert.ErrorIs(t, err, digest.ErrFormat)
			assert.ErrorContains(t, err, tt.want)
		})
	}
	_, _, err = digest.Decode([]byte(full))
	assert.ErrorIs(t, err, digest.ErrFormat, "Decode wants gzip")
}

func TestAppendJSONEscapes(t *testing.T) {
	f := digest.File{DigestS3Object: "a\"b\\c\n\x01é", LogFiles: []digest.LogEntry{}}
	var m map[string]any
	require.NoError(t, json.Unmarshal(f.AppendJSON(nil), &m))
	assert.Equal(t, "a\"b\\c\n\x01é", m["digestS3Object"])
}

func strip(s, part string) string { return replace(s, part, "") }

func replace(s, old, new string) string {
	out := strings.Replace(s, old, new, 1)
	if out == s {
		panic("test: " + old + " not found")
	}
	return out
}

// TestParseDoesNotKeepItsInput: the file's strings do not change when the
// caller reuses the buffer it parsed.
func TestParseDoesNotKeepItsInput(t *testing.T) {
	data := []byte(`{"digestStartTime":"2026-01-01T00:00:00Z","digestEndTime":"2026-01-01T01:00:00Z","digestS3Bucket":"bucket",` +
		`"digestS3Object":"key","digestPublicKeyFingerprint":"f","previousDigestSignature":null,"logFiles":[]}`)
	f, err := digest.Parse(data)
	require.NoError(t, err)
	for i := range data {
		data[i] = 'x'
	}
	assert.Equal(t, "bucket", f.DigestS3Bucket)
	assert.Equal(t, "key", f.DigestS3Object)
}
