package digest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"iter"
	"testing"
	"time"

	"github.com/trailkit/trailkit/sink"
)

// BenchmarkDigestCheck measures one digest check as Validate makes it:
// gunzip, parse, location, key lookup and SHA256withRSA verification with
// a 2048-bit key, for a digest listing 12 log files (2,000 files over 168
// hours). Target: under 0.1 ms.
func BenchmarkDigestCheck(b *testing.B) {
	key, err := GenerateKey(2048)
	if err != nil {
		b.Fatal(err)
	}
	signer := NewRSASigner(key)
	cfg := ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "bench", Bucket: "bench-bucket", Signer: signer}
	c, err := NewChain(cfg)
	if err != nil {
		b.Fatal(err)
	}
	h0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logs := make([]LogFile, 12)
	for i := range logs {
		logs[i] = LogFile{Bucket: "bench-bucket", SHA256: sha256.Sum256([]byte{byte(i)}),
			Key:             fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/01/111122223333_CloudTrail_us-east-1_20260101T00%02dZ_abcdefghijklmnop.json.gz", i*5),
			OldestEventTime: h0.Add(time.Duration(i) * 5 * time.Minute), NewestEventTime: h0.Add(time.Duration(i)*5*time.Minute + time.Minute)}
	}
	if _, err := c.Seal(context.Background(), h0.Add(-time.Hour), h0, nil); err != nil {
		b.Fatal(err)
	}
	obj, err := c.Seal(context.Background(), h0, h0.Add(time.Hour), logs)
	if err != nil {
		b.Fatal(err)
	}
	v, err := newValidator(bucketOnly("bench-bucket"), ValidateOptions{TrailARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/bench",
		Start: h0, End: h0.Add(time.Hour), Keys: []PublicKey{signer.PublicKey()}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(obj.Body)))
	b.ReportAllocs()
	for b.Loop() {
		_, kind, err := v.verify(obj.Body, obj.Metadata, "bench-bucket", obj.Key, false)
		if kind != DigestValid {
			b.Fatalf("%v: %v", kind, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/digest")
}

// bucketOnly is a store with nothing in it.
type bucketOnly string

func (b bucketOnly) Bucket() string { return string(b) }
func (b bucketOnly) List(context.Context, string, string) iter.Seq2[sink.ObjectInfo, error] {
	return func(func(sink.ObjectInfo, error) bool) {}
}
func (b bucketOnly) Get(_ context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	return nil, sink.ObjectInfo{}, sink.ErrNotFound
}
