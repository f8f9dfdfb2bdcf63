package lake_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
)

// Export a log file (here two records as JSON Lines) into a directory.
func Example() {
	dir, err := os.MkdirTemp("", "lake")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	out, err := sink.NewDir(dir, sink.DirOptions{})
	if err != nil {
		log.Fatal(err)
	}
	input := `{"eventVersion":"1.11","eventTime":"2026-03-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"eu-west-1","eventID":"e1","recipientAccountId":"111122223333"}
{"eventVersion":"1.11","eventTime":"2026-03-02T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"eu-west-1","eventID":"e2","recipientAccountId":"111122223333"}`
	w, err := lake.NewWriter(out, "AWSLogs/records.jsonl", lake.Options{Format: lake.CloudTrail})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Export(context.Background(), strings.NewReader(input)); err != nil {
		log.Fatal(err)
	}
	for _, key := range w.Keys() {
		fmt.Println(key)
	}
	// Output:
	// region=eu-west-1/accountId=111122223333/eventDay=20260301/records_eef2b021.parquet
	// region=eu-west-1/accountId=111122223333/eventDay=20260302/records_eef2b021.parquet
}
