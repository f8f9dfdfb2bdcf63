// Package mototest runs moto's server mode for tests, so that code calling
// SNS, SQS, EventBridge, KMS and CloudWatch Logs is exercised against those
// APIs over HTTP rather than against mocks. No real AWS service is reachable
// from the machines trailkit is tested on; moto implements each API's wire
// protocol and most of its rules.
//
// Start launches one server per call on 127.0.0.1 with a free port and stops
// it when the test ends:
//
//	srv := mototest.Start(t)
//	cfg := srv.Config() // aws.Config with the endpoint, region and static credentials
//	client := sqs.NewFromConfig(cfg)
//
// The server is moto_server from Python's moto (`make deps` installs it). A
// test that cannot start it fails with a message saying how to install it;
// it never skips.
package mototest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Region is the region clients of the server use.
const Region = "us-east-1"

// AccountID is the account moto answers for.
const AccountID = "123456789012"

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 5 * time.Second
	maxOutput    = 1 << 20
)

// Server is a running moto server.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT

	cmd  *exec.Cmd
	out  *tailBuffer
	done chan struct{}
}

// Start starts moto_server and registers its shutdown with tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	path, err := exec.LookPath("moto_server")
	if err != nil {
		tb.Fatalf("mototest: moto_server (Python's moto, server mode) is not on PATH: run `make deps` (it installs python3-moto) or `pip install 'moto[server]'`")
	}
	var srv *Server
	for attempt := 0; attempt < 3; attempt++ {
		srv, err = start(path)
		if err == nil || !strings.Contains(srv.out.String(), "Address already in use") {
			break
		}
	}
	if err != nil {
		tb.Fatalf("mototest: %v\nmoto output:\n%s", err, srv.out.String())
	}
	tb.Cleanup(srv.stop)
	return srv
}

func start(path string) (*Server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return &Server{out: &tailBuffer{}}, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return &Server{out: &tailBuffer{}}, err
	}
	s := &Server{
		Endpoint: fmt.Sprintf("http://127.0.0.1:%d", port),
		out:      &tailBuffer{},
		done:     make(chan struct{}),
	}
	s.cmd = exec.Command(path, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	// Its own process group, stopped whole; killed if the test binary dies.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return s, fmt.Errorf("start %s: %w", path, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	if err := s.waitReady(); err != nil {
		s.stop()
		return s, err
	}
	return s, nil
}

// waitReady polls the server's own API until it answers, the process
// exits, or startTimeout passes.
func (s *Server) waitReady() error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.NewTimer(startTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get(s.Endpoint + "/moto-api/")
		if err == nil {
			_ = resp.Body.Close()
			return nil
		}
		select {
		case <-s.done:
			return errors.New("moto_server exited before it answered")
		case <-deadline.C:
			return fmt.Errorf("moto_server did not answer on %s within %s: %w", s.Endpoint, startTimeout, err)
		case <-tick.C:
		}
	}
}

func (s *Server) stop() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// Config returns an aws.Config for the server: region us-east-1, static
// credentials, the server's endpoint for every service, and the SDK's own
// retries off, so that the code under test is what retries.
func (s *Server) Config() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(s.Endpoint),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// Env returns environment variables (NAME=value) that point the AWS CLI,
// the AWS SDKs and the trailkit command at the server for every service.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL=" + s.Endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// Reset clears every resource of the server (moto's own reset API), for
// tests that share one server.
func (s *Server) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint+"/moto-api/reset", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("mototest: reset: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mototest: reset: %s", resp.Status)
	}
	return nil
}

// Output returns what the server printed (the last megabyte of it).
func (s *Server) Output() string { return s.out.String() }

// tailBuffer keeps the last maxOutput bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - maxOutput; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
