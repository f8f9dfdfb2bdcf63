package cloudwatchlogs_test

import (
	"context"
	"log"

	"github.com/aws/aws-sdk-go-v2/config"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/trailkit/trailkit/sink/cloudwatchlogs"
)

// A trail's records, sent to a CloudWatch Logs group as CloudTrail sends
// them: one stream per account and region, one event per record. Give the
// sink to a trail beside (or instead of) its S3 or directory sink.
func ExampleNew() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	logs, err := cloudwatchlogs.New(cwl.NewFromConfig(cfg), cloudwatchlogs.Options{
		LogGroup: "aws-cloudtrail-logs-orders",
		Create:   true,
	})
	if err != nil {
		log.Fatal(err)
	}
	_ = logs // trail.Config{Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{logs}}, ...}
}
