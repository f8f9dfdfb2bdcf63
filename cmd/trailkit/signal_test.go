package main

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/miniotest"
)

// Every command stops on SIGINT and SIGTERM within a second, with exit
// status 128 + the signal, whatever it is waiting on: standard input that
// never ends, or an S3 endpoint that never answers.

// hangingEndpoint accepts connections and never answers; accepted receives
// once per connection.
func hangingEndpoint(t *testing.T) (url string, accepted <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ch := make(chan struct{}, 16)
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case ch <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	return "http://" + ln.Addr().String(), ch
}

// signalRecords is JSON Lines of n records, one a minute from 00:00.
func signalRecords(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, `{"eventVersion":"1.08","eventTime":"2026-01-01T%02d:%02d:00Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","eventID":"id-%06d","awsRegion":"us-east-1","eventType":"AwsApiCall","readOnly":false,"managementEvent":true,"eventCategory":"Management","recipientAccountId":"111122223333","pad":"%s"}`+"\n",
			i/60%24, i%60, i, strings.Repeat("x", 200))
	}
	return b.Bytes()
}

type signalCase struct {
	name  string
	args  []string
	env   []string
	stdin []byte // written to a pipe left open; the case is ready when it is all written
	ready <-chan struct{}
	sig   syscall.Signal
	check func(t *testing.T, stdout, stderr string)
}

func TestSignalsStopCommands(t *testing.T) {
	bin := buildTrailkit(t)
	dir := t.TempDir()
	endpoint, accepted := hangingEndpoint(t)
	s3env := []string{"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=y", "AWS_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1"}
	key, err := digest.GenerateKey(2048)
	require.NoError(t, err)
	keyFile := filepath.Join(dir, "key.der")
	require.NoError(t, os.WriteFile(keyFile, x509.MarshalPKCS1PublicKey(&key.PublicKey), 0o644))
	big := signalRecords(2000) // more than a pipe holds: written, it has been read
	replayArgs := []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "sig", "--all", "--quiet"}

	cases := []signalCase{
		{name: "cat stdin SIGINT", args: []string{"cat", "-"}, stdin: big, sig: syscall.SIGINT},
		{name: "cat stdin SIGTERM", args: []string{"cat", "--count", "-"}, stdin: big, sig: syscall.SIGTERM},
		{name: "schema validate stdin", args: []string{"schema", "validate", "-"}, stdin: big, sig: syscall.SIGINT},
		{name: "replay to dir SIGTERM", args: append(replayArgs, "--dir", filepath.Join(dir, "replayed"), "-"), stdin: big, sig: syscall.SIGTERM,
			check: func(t *testing.T, stdout, stderr string) {
				// What was read is delivered or counted as not delivered.
				assert.Regexp(t, `^\d+ records read, \d+ delivered in \d+ log files to replayed; 0 not logged by the trail, 0 rejected`, stdout)
			}},
		{name: "replay to dir SIGINT", args: append(replayArgs, "--dir", filepath.Join(dir, "replayed2"), "-"), stdin: big, sig: syscall.SIGINT,
			check: func(t *testing.T, stdout, stderr string) {
				assert.Contains(t, stdout, "records read")
			}},
		{name: "cat s3 hanging endpoint", args: []string{"cat", "--endpoint-url", endpoint, "s3://bucket/p"}, env: s3env, ready: accepted, sig: syscall.SIGINT},
		{name: "lookup s3 hanging endpoint", args: []string{"lookup", "--endpoint-url", endpoint, "--s3", "s3://bucket"}, env: s3env, ready: accepted, sig: syscall.SIGTERM},
		{name: "validate s3 hanging endpoint", args: []string{"validate", "--endpoint-url", endpoint, "--s3", "s3://bucket", "--trail-arn", "arn:aws:cloudtrail:us-east-1:111122223333:trail/t",
			"--public-key", keyFile, "--start-time", "2026-01-01"}, env: s3env, ready: accepted, sig: syscall.SIGINT},
		{name: "replay s3 hanging endpoint", args: append(replayArgs, "--endpoint-url", endpoint, "--s3", "s3://bucket", "-"), env: s3env, ready: accepted, sig: syscall.SIGTERM},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { checkStops(t, bin, c) })
	}
}

// checkStops runs the case and requires the command to stop within a
// second of the signal, with exit status 128 + the signal, saying so.
func checkStops(t *testing.T, bin string, c signalCase) {
	t.Helper()
	stdout, stderr, code, took := runSignaled(t, bin, c)
	want := 128 + int(c.sig)
	assert.Equal(t, want, code, "exit status; stderr: %s", stderr)
	assert.Less(t, took, time.Second, "stopped %v after the signal", took)
	assert.Contains(t, stderr, "stopped by "+c.sig.String())
	assert.NotContains(t, stderr, "panic")
	if c.check != nil {
		c.check(t, stdout, stderr)
	}
	t.Logf("exit %d %v after %v", code, took, c.sig)
}

// runSignaled starts the command, waits until it is busy (its input
// written, or a connection accepted), signals it and returns its output,
// exit status and the time from the signal to its exit.
func runSignaled(t *testing.T, bin string, c signalCase) (stdout, stderr string, code int, took time.Duration) {
	t.Helper()
	cmd := exec.Command(bin, c.args...)
	home := t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_EC2_METADATA_DISABLED=true"}, c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	written := make(chan error, 1)
	go func() {
		_, err := io.Copy(stdin, bytes.NewReader(c.stdin))
		written <- err
	}()
	ready := c.ready
	if ready == nil {
		ch := make(chan struct{})
		go func() {
			if <-written == nil {
				close(ch)
			}
		}()
		ready = ch
	}
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("exited before the signal: %v\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("never became busy")
	}
	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(c.sig))
	select {
	case <-exited:
		took = time.Since(sent)
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("still running 10s after %v\nstderr: %s", c.sig, errb.String())
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode(), took
}

// replay to a bucket that does not exist says so, with S3's error code,
// within seconds and before reading any record: its standard input is never
// written or closed.
func TestReplayMissingBucket(t *testing.T) {
	bin := buildTrailkit(t)
	srv := miniotest.Start(t)
	c := signalCase{args: []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--all",
		"--endpoint-url", srv.Endpoint, "--s3", "s3://no-such-bucket/logs", "-"}, env: srv.Env()}
	cmd := exec.Command(bin, c.args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	defer stdin.Close()
	start := time.Now()
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-exited:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("replay to a missing bucket still running after 20s: %s", errb.String())
	}
	t.Logf("exit %d after %v: %s", cmd.ProcessState.ExitCode(), time.Since(start), errb.String())
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.NotEqual(t, 0, cmd.ProcessState.ExitCode())
	assert.Contains(t, errb.String(), "s3://no-such-bucket")
	assert.Contains(t, errb.String(), "NoSuchBucket")
	assert.Empty(t, out.String(), "no report: nothing was read")
}
