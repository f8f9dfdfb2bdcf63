package digest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/testdata"
)

// FuzzParse checks the digest parser against encoding/json: it accepts
// only valid JSON, and the fields it reads are the ones encoding/json
// reads (for documents whose field names are not case variants of the
// known ones, which encoding/json would also match).
func FuzzParse(f *testing.F) {
	for _, data := range digestSeeds(f) {
		f.Add(data)
	}
	f.Add([]byte(`{"digestStartTime":"2026-01-01T00:00:00Z","digestEndTime":"2026-01-01T01:00:00Z","digestS3Bucket":"b\u0041","digestS3Object":"k\\n",` +
		`"digestPublicKeyFingerprint":"f","previousDigestSignature":null,"x":[1,-2.5e3,{"y":[true,false,null]}],"logFiles":[{"s3Bucket":"b","s3Object":"o","hashValue":"h","z":{}}]}`))
	for _, seed := range hostileDigests() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := digest.Parse(data)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("Parse accepted invalid JSON %q", data)
		}
		var want struct {
			DigestS3Bucket  string `json:"digestS3Bucket"`
			DigestS3Object  string `json:"digestS3Object"`
			PreviousDigest  string `json:"previousDigestSignature"`
			DigestEndTime   string `json:"digestEndTime"`
			DigestPublicKey string `json:"digestPublicKeyFingerprint"`
			LogFiles        []struct {
				S3Object  string `json:"s3Object"`
				HashValue string `json:"hashValue"`
			} `json:"logFiles"`
		}
		if err := json.Unmarshal(data, &want); err != nil {
			return // a case variant of a field name, which encoding/json also matches
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(data, &raw) != nil || len(raw) == 0 {
			t.Fatalf("not an object: %q", data)
		}
		if got.DigestS3Bucket != want.DigestS3Bucket || got.DigestS3Object != want.DigestS3Object ||
			got.PreviousDigestSignature != want.PreviousDigest || got.EndTimeText() != want.DigestEndTime ||
			got.DigestPublicKeyFingerprint != want.DigestPublicKey || len(got.LogFiles) != len(want.LogFiles) {
			if caseVariants(raw) {
				return
			}
			t.Fatalf("Parse read %+v, encoding/json %+v from %q", got, want, data)
		}
		for i := range got.LogFiles {
			if got.LogFiles[i].S3Object != want.LogFiles[i].S3Object || got.LogFiles[i].HashValue != want.LogFiles[i].HashValue {
				t.Fatalf("logFiles[%d]: Parse read %+v, encoding/json %+v", i, got.LogFiles[i], want.LogFiles[i])
			}
		}
	})
}

// caseVariants reports whether an object has a field name that differs
// from a known one only in case, which encoding/json matches and Parse,
// like Python, does not.
func caseVariants(raw map[string]json.RawMessage) bool {
	known := []string{"digestS3Bucket", "digestS3Object", "previousDigestSignature", "digestEndTime", "digestPublicKeyFingerprint", "logFiles"}
	for k := range raw {
		for _, n := range known {
			if k != n && len(k) == len(n) && equalFold(k, n) {
				return true
			}
		}
	}
	return false
}

func equalFold(a, b string) bool {
	for i := range len(a) {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// digestSeeds are the digest files of the test data.
func digestSeeds(f *testing.F) [][]byte {
	dir := testdata.Dir(f, "digests")
	entries, err := os.ReadDir(dir)
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// hostileDigests are size and depth hostile digest documents.
func hostileDigests() [][]byte {
	return [][]byte{
		[]byte(`{"logFiles":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`),
		[]byte(`{"x":` + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + `}`),
		[]byte(`{"digestS3Object":"` + strings.Repeat("k", 1<<16) + `"}`),
		[]byte(`{"logFiles":[` + strings.TrimSuffix(strings.Repeat(`{"s3Bucket":"b","s3Object":"o","hashValue":"h"},`, 2000), ",") + `]}`),
		[]byte("{}\x00{}"),
		[]byte(`{"digestS3Bucket":"a","digestS3Bucket":"b"}`),
	}
}

// FuzzDecode reads digest objects as stored, gzipped: any body gives a
// file whose raw bytes Parse reads alike, or an error wrapping ErrFormat,
// never a panic or unbounded memory (a bomb stops at the size limit).
func FuzzDecode(f *testing.F) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	for _, data := range digestSeeds(f) {
		f.Add(gz(data))
		f.Add(gz(data)[:len(gz(data))/2])
	}
	for _, seed := range hostileDigests() {
		f.Add(gz(seed))
	}
	f.Add(gz(bytes.Repeat([]byte(" "), 8<<20))) // 8 MiB of spaces in 8 KB
	f.Add(append(gz([]byte("{}")), 0, 0, 0))
	f.Add([]byte{0x1f, 0x8b})
	f.Fuzz(func(t *testing.T, body []byte) {
		file, raw, err := digest.Decode(body)
		if err != nil {
			if !errors.Is(err, digest.ErrFormat) {
				t.Fatalf("error not wrapping ErrFormat: %v", err)
			}
			return
		}
		again, err := digest.Parse(raw)
		if err != nil || again.DigestS3Object != file.DigestS3Object || len(again.LogFiles) != len(file.LogFiles) {
			t.Fatalf("Decode and Parse disagree: %v", err)
		}
	})
}
