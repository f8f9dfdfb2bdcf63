package cloudwatchlogs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/mototest"
)

// No real CloudWatch Logs server runs on these machines. The tests talk to
// moto's server mode (internal/mototest), which implements the CloudWatch
// Logs API over HTTP as the service does, including the 14-day window and
// the time order of a batch. A test that cannot start it fails; it does not
// skip.

// startMoto runs a moto server for the test and returns its URL.
func startMoto(t *testing.T) string {
	t.Helper()
	return mototest.Start(t).Endpoint
}

// newClient returns a CloudWatch Logs client for endpoint. The SDK's own
// retries are off, so that the sink's are the ones tested.
func newClient(t *testing.T, endpoint string) *cwl.Client {
	t.Helper()
	return cwl.New(cwl.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		Retryer:      aws.NopRetryer{},
	})
}

// getAll reads every event of a stream from the start, following the
// forward token until it stops changing.
func getAll(t *testing.T, c *cwl.Client, group, stream string) []types.OutputLogEvent {
	t.Helper()
	var evs []types.OutputLogEvent
	var token *string
	for {
		out, err := c.GetLogEvents(context.Background(), &cwl.GetLogEventsInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
			StartFromHead: aws.Bool(true), NextToken: token,
		})
		require.NoError(t, err)
		evs = append(evs, out.Events...)
		if out.NextForwardToken == nil || (token != nil && *out.NextForwardToken == *token) || len(out.Events) == 0 {
			return evs
		}
		token = out.NextForwardToken
	}
}
