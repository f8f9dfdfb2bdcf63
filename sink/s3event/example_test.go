package s3event_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/sink/s3event"
)

// A Lambda function subscribed to a trail bucket's ObjectCreated events
// counts the records of each delivered log file by event name. Pass handle
// to lambda.Start (see examples/lambda).
func ExampleRecords() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	client := s3.NewFromConfig(cfg)
	handle := func(ctx context.Context, ev events.S3Event) error {
		counts := map[string]int{}
		for rec, err := range s3event.Records(ctx, client, ev, s3event.Options{}) {
			if err != nil {
				return err // Lambda retries the notification
			}
			counts[rec.EventName]++
		}
		fmt.Println(counts)
		return nil
	}
	_ = handle
}
