package sink_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/trailkit/trailkit/sink"
)

// A directory sink stores objects under their keys and keeps the metadata
// in a hidden tree beside them.
func ExampleDir() {
	root, err := os.MkdirTemp("", "trail-bucket")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(root)
	ctx := context.Background()

	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "my-trail-bucket", Fsync: true})
	if err != nil {
		log.Fatal(err)
	}
	const key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20260102T030000Z.json.gz"
	err = d.Put(ctx, sink.Object{
		Key:             key,
		Body:            []byte("(gzipped digest)"),
		Metadata:        map[string]string{"signature": "3a0c9f", "signature-algorithm": "SHA256withRSA"},
		ContentType:     "application/json",
		ContentEncoding: "gzip",
	})
	if err != nil {
		log.Fatal(err)
	}

	for info, err := range d.List(ctx, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/", "") {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("listed:", filepath.Base(info.Key), info.Size)
	}
	body, info, err := sink.ReadAll(ctx, d, key, 1<<30)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s signature=%s\n", body, info.Metadata["signature"])
	meta, err := os.ReadFile(filepath.Join(root, ".metadata", key+".meta"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", meta)

	_, _, err = sink.ReadAll(ctx, d, "AWSLogs/missing.json.gz", 1<<30)
	fmt.Println(errors.Is(err, sink.ErrNotFound))
	err = d.Put(ctx, sink.Object{Key: "../outside.json"})
	fmt.Println(errors.Is(err, sink.ErrInvalidKey))
	// Output:
	// listed: 111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20260102T030000Z.json.gz 16
	// (gzipped digest) signature=3a0c9f
	// {"contentType":"application/json","contentEncoding":"gzip","metadata":{"signature":"3a0c9f","signature-algorithm":"SHA256withRSA"}}
	// true
	// true
}

// A Writer prints the records of each delivered log file as JSON Lines and
// skips digest files.
func ExampleWriter() {
	ctx := context.Background()
	w := sink.NewWriter(os.Stdout, sink.WriterOptions{})
	logFile := `{"Records":[
		{"eventVersion":"1.08","eventTime":"2026-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e1"},
		{"eventVersion":"1.08","eventTime":"2026-01-02T03:04:06Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"e2"}
	]}`
	err := w.Put(ctx, sink.Object{
		Key:  "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0305Z_a1B2c3D4e5F6g7H8.json",
		Body: []byte(logFile),
	})
	if err != nil {
		log.Fatal(err)
	}
	err = w.Put(ctx, sink.Object{
		Key:  "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/111122223333_CloudTrail-Digest_us-east-1_main_us-east-1_20260102T030000Z.json.gz",
		Body: []byte(`{"awsAccountId":"111122223333"}`),
	})
	fmt.Println(err, w.Bucket())
	// Output:
	// {"eventVersion":"1.08","eventTime":"2026-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"e1"}
	// {"eventVersion":"1.08","eventTime":"2026-01-02T03:04:06Z","eventSource":"iam.amazonaws.com","eventName":"ListUsers","eventID":"e2"}
	// <nil> stdout
}
