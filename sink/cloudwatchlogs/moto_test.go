package cloudwatchlogs_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"
)

// No real CloudWatch Logs server runs on these machines. The tests talk to
// moto's server mode (moto_server, installed with Python's moto), which
// implements the CloudWatch Logs API over HTTP as the service does,
// including the 14-day window and the time order of a batch. A test that
// cannot start it fails; it does not skip.

// startMoto runs moto_server on a free port of 127.0.0.1 and returns its URL.
// It is stopped when the test ends.
func startMoto(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("moto_server")
	require.NoError(t, err, "moto_server (Python's moto, server mode) is needed: pip install 'moto[server]'")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	require.NoError(t, l.Close())

	cmd := exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // its own group, stopped whole
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case err := <-exited:
			t.Fatalf("moto_server exited before it answered: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s within a minute: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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
