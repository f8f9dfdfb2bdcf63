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
	body, info, err := d.Get(ctx, key)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s signature=%s\n", body, info.Metadata["signature"])
	meta, _ := os.ReadFile(filepath.Join(root, ".metadata", key+".json"))
	fmt.Printf("%s\n", meta)

	_, _, err = d.Get(ctx, "AWSLogs/missing.json.gz")
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
