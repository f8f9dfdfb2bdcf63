package digest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"log"
	"os"
	"path"
	"time"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

// A trail seals one digest an hour, linked to the one before, and
// delivers it with its log files; Validate checks the chain as the AWS
// CLI's validate-logs does.
func Example() {
	ctx := context.Background()
	root, err := os.MkdirTemp("", "trail")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	store, err := sink.NewDir(root, sink.DirOptions{Bucket: "audit-logs"})
	if err != nil {
		log.Fatal(err)
	}
	key, err := digest.GenerateKey(2048)
	if err != nil {
		log.Fatal(err)
	}
	signer := digest.NewRSASigner(key)
	chain, err := digest.NewChain(digest.ChainConfig{
		AccountID: "111122223333", Region: "us-east-1", TrailName: "main",
		Bucket: store.Bucket(), Signer: signer,
	})
	if err != nil {
		log.Fatal(err)
	}

	// Two hours: one log file in the first, none in the second.
	h0 := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	body := gzipLog(`{"Records":[]}`)
	logKey := "AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/01/111122223333_CloudTrail_us-east-1_20260301T0905Z_EXAMPLE000000001.json.gz"
	if err := store.Put(ctx, sink.Object{Key: logKey, Body: body, ContentType: "application/json", ContentEncoding: "gzip"}); err != nil {
		log.Fatal(err)
	}
	logs := [][]digest.LogFile{{{Bucket: store.Bucket(), Key: logKey, SHA256: sha256.Sum256([]byte(`{"Records":[]}`))}}, nil}
	for i, hour := range logs {
		start := h0.Add(time.Duration(i) * time.Hour)
		obj, err := chain.Seal(ctx, start, start.Add(time.Hour), hour)
		if err != nil {
			log.Fatal(err)
		}
		if err := store.Put(ctx, obj); err != nil {
			log.Fatal(err)
		}
	}

	opts := digest.ValidateOptions{
		TrailARN: "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
		Start:    h0, End: h0.Add(2 * time.Hour),
		Keys: []digest.PublicKey{signer.PublicKey()},
	}
	sum := digest.Summary{Start: opts.Start, End: opts.End}
	for f, err := range digest.Validate(ctx, store, opts) {
		if err != nil {
			log.Fatal(err)
		}
		sum.Add(&f)
		fmt.Println(f.Kind, path.Base(f.Key))
	}
	sum.WriteText(os.Stdout)
	// Output:
	// digest valid 111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20260301T110000Z.json.gz
	// digest valid 111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20260301T100000Z.json.gz
	// log valid 111122223333_CloudTrail_us-east-1_20260301T0905Z_EXAMPLE000000001.json.gz
	// Results requested for 2026-03-01T09:00:00Z to 2026-03-01T11:00:00Z
	// Results found for 2026-03-01T09:00:00Z to 2026-03-01T11:00:00Z:
	//
	// 2/2 digest files valid
	// 1/1 log files valid
}

// The digest object carries its signature in its metadata, and its key
// names the trail, regions and end time.
func ExampleChain_Seal() {
	key, err := digest.GenerateKey(2048)
	if err != nil {
		log.Fatal(err)
	}
	cfg := digest.ChainConfig{
		AccountID: "111122223333", Region: "eu-west-1", HomeRegion: "us-east-1", TrailName: "org",
		Bucket: "audit-logs", Signer: digest.NewRSASigner(key),
	}
	chain, err := digest.NewChain(cfg)
	if err != nil {
		log.Fatal(err)
	}
	end := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	obj, err := chain.Seal(context.Background(), end.Add(-time.Hour), end, nil)
	if err != nil {
		log.Fatal(err)
	}
	f, _, err := digest.Decode(obj.Body)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(obj.Key)
	fmt.Println(obj.ContentType, obj.ContentEncoding, obj.Metadata["signature-algorithm"], len(obj.Metadata["signature"]))
	fmt.Println(f.DigestStartTime, f.PreviousDigestS3Object == "", len(f.LogFiles))
	// Output:
	// AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2026/03/01/111122223333_CloudTrail-Digest_eu-west-1_org_us-east-1_20260301T100000Z.json.gz
	// application/json gzip SHA256withRSA 512
	// 2026-03-01 09:00:00 +0000 UTC true 0
}

// A key ring rotates signing keys: each digest is signed by the key valid
// at its end time, and validators get every public key with its window.
func ExampleKeyRing() {
	oldKey, err := digest.GenerateKey(2048)
	if err != nil {
		log.Fatal(err)
	}
	newKey, err := digest.GenerateKey(2048)
	if err != nil {
		log.Fatal(err)
	}
	rotation := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	var ring digest.KeyRing
	if err := ring.AddRSA(oldKey, time.Time{}, rotation); err != nil {
		log.Fatal(err)
	}
	if err := ring.AddRSA(newKey, rotation, time.Time{}); err != nil {
		log.Fatal(err)
	}
	before, _ := ring.SignerAt(rotation.Add(-time.Hour))
	after, _ := ring.SignerAt(rotation)
	fmt.Println(before.Fingerprint() == digest.NewRSASigner(oldKey).Fingerprint())
	fmt.Println(after.Fingerprint() == digest.NewRSASigner(newKey).Fingerprint())
	fmt.Println(len(ring.ListPublicKeys().PublicKeyList), len(ring.PublicKeys(rotation.Add(time.Hour), time.Time{})))
	// Output:
	// true
	// true
	// 2 1
}

// Parse reads a digest file's JSON, such as CloudTrail writes.
func ExampleParse() {
	f, err := digest.Parse([]byte(`{"awsAccountId":"111122223333","digestStartTime":"2015-08-20T17:01:31Z",
		"digestEndTime":"2015-08-20T18:01:31Z","digestS3Bucket":"example-bucket-name",
		"digestS3Object":"AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/20/111122223333_CloudTrail-Digest_us-east-2_example-trail-name_us-east-2_20150820T180131Z.json.gz",
		"digestPublicKeyFingerprint":"31e8b5433410dfb61a9dc45cc65b22ff","digestSignatureAlgorithm":"SHA256withRSA",
		"newestEventTime":null,"oldestEventTime":null,"previousDigestS3Bucket":null,"previousDigestS3Object":null,
		"previousDigestHashValue":null,"previousDigestHashAlgorithm":null,"previousDigestSignature":null,"logFiles":[]}`))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.DigestEndTime, f.DigestPublicKeyFingerprint, len(f.LogFiles))
	fmt.Printf("%q\n", f.StringToSign("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
	// Output:
	// 2015-08-20 18:01:31 +0000 UTC 31e8b5433410dfb61a9dc45cc65b22ff 0
	// "2015-08-20T18:01:31Z\nexample-bucket-name/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/20/111122223333_CloudTrail-Digest_us-east-2_example-trail-name_us-east-2_20150820T180131Z.json.gz\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nnull"
}

// gzipLog compresses a log file's JSON.
func gzipLog(s string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(s))
	zw.Close()
	return buf.Bytes()
}
