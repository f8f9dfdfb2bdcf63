// Package miniotest runs a real MinIO server for tests, so that S3 code is
// exercised against the S3 API itself rather than a mock.
//
// Start launches one server per call on 127.0.0.1 with free ports and a
// temporary data directory, and stops it when the test ends:
//
//	srv := miniotest.Start(t)
//	srv.CreateBucket(t, "logs")
//	client := srv.Client(t) // *s3.Client, path-style, static credentials
//
// The server has a built-in KMS key (KMSKeyID), so both SSE-S3 ("AES256")
// and SSE-KMS ("aws:kms" with that key id) work. Stop and Restart keep the
// port and the data, for tests of outages.
//
// The MinIO binary is, in this order: the file named by TRAILKIT_MINIO,
// $HOME/.cache/trailkit/bin/minio, or minio on PATH. When none exists it is
// installed into $HOME/.cache/trailkit/bin with go install (about 9 minutes
// on 2 cores, once per machine), under a file lock so that test binaries of
// several packages running in parallel install it once. A test that cannot
// get or start MinIO fails; it never skips.
package miniotest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Module is the MinIO version installed when no binary is found.
const Module = "github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"

// Region is the region clients of the server use.
const Region = "us-east-1"

const (
	startTimeout = 60 * time.Second
	stopTimeout  = 15 * time.Second
	maxOutput    = 1 << 20 // bytes of server output kept for failure reports
)

// Server is a running (or stopped) MinIO server.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT
	AccessKey string // root user
	SecretKey string // root password
	KMSKeyID  string // key id for SSE-KMS ("aws:kms")

	bin     string
	dataDir string
	addr    string // 127.0.0.1:PORT
	console string // 127.0.0.1:PORT of the web console
	kmsKey  string // MINIO_KMS_SECRET_KEY, kept across restarts

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
	out  *tailBuffer
}

// Start starts a MinIO server and registers its shutdown with tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := binary(tb)
	secret := make([]byte, 32)
	rand.Read(secret)
	s := &Server{
		AccessKey: "trailkit-test",
		SecretKey: "trailkit-test-" + base64.RawURLEncoding.EncodeToString(secret[:12]),
		KMSKeyID:  "trailkit-test-key",
		bin:       bin,
		dataDir:   tb.TempDir(),
	}
	s.kmsKey = s.KMSKeyID + ":" + base64.StdEncoding.EncodeToString(secret)
	// A free port can be taken by someone else between our probe and
	// MinIO's bind; try a few times with fresh ports.
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		s.addr, s.console = freeAddr(tb), freeAddr(tb)
		s.Endpoint = "http://" + s.addr
		if err = s.start(); err == nil {
			break
		}
		if !strings.Contains(s.out.String(), "address already in use") {
			break
		}
	}
	if err != nil {
		tb.Fatalf("miniotest: %v\nMinIO output:\n%s", err, s.out.String())
	}
	tb.Cleanup(func() {
		if err := s.stop(); err != nil {
			tb.Errorf("miniotest: %v", err)
		}
	})
	return s
}

// Stop stops the server; its port and data are kept for Restart.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatalf("miniotest: %v", err)
	}
}

// Restart starts a stopped server again on the same port with the same data
// and credentials (a running server is stopped first).
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.stop(); err != nil {
		tb.Fatalf("miniotest: %v", err)
	}
	if err := s.start(); err != nil {
		tb.Fatalf("miniotest: restart: %v\nMinIO output:\n%s", err, s.out.String())
	}
}

// Client returns an S3 client for the server: static root credentials,
// region us-east-1, path-style addressing.
func (s *Server) Client(tb testing.TB) *s3.Client {
	tb.Helper()
	return s3.New(s3.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
	})
}

// CreateBucket creates a bucket, failing the test if it cannot.
func (s *Server) CreateBucket(tb testing.TB, name string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client(tb).CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		tb.Fatalf("miniotest: create bucket %q: %v", name, err)
	}
}

// Env returns environment variables (NAME=value) that point the AWS CLI, the
// AWS SDKs and the trailkit command at the server. AWS_EC2_METADATA_DISABLED
// keeps the SDKs from probing for an instance role.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + s.AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + s.SecretKey,
		"AWS_DEFAULT_REGION=" + Region,
		"AWS_REGION=" + Region,
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// CPUTime returns the processor time (user and system) the running server
// has used, from /proc/PID/stat (Linux): what a benchmark's requests cost
// the server, apart from what they cost its client.
func (s *Server) CPUTime() (time.Duration, error) {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return 0, errors.New("miniotest: server not running")
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return 0, fmt.Errorf("miniotest: server CPU time: %w", err)
	}
	// The fields after the command name, which is in parentheses and may
	// hold spaces: utime and stime are the 14th and 15th of the line.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("miniotest: server CPU time: short /proc stat %q", stat)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, fmt.Errorf("miniotest: server CPU time: %w", err)
	}
	const ticks = 100 // USER_HZ, clock ticks per second on Linux
	return time.Duration(utime+stime) * time.Second / ticks, nil
}

// Output returns what the server printed (the last megabyte of it).
func (s *Server) Output() string { return s.out.String() }

func (s *Server) start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return errors.New("server already running")
	}
	if s.out == nil {
		s.out = &tailBuffer{}
	}
	cmd := exec.Command(s.bin, "server", s.dataDir,
		"--address", s.addr, "--console-address", s.console,
		"--certs-dir", filepath.Join(s.dataDir, ".certs"))
	cmd.Env = append(withoutMinIOEnv(os.Environ()),
		"MINIO_ROOT_USER="+s.AccessKey,
		"MINIO_ROOT_PASSWORD="+s.SecretKey,
		"MINIO_KMS_SECRET_KEY="+s.kmsKey,
		"MINIO_UPDATE=off",
	)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	// Kill the server if the test binary dies without running cleanups.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	if err := waitLive(s.Endpoint, done); err != nil {
		cmd.Process.Kill()
		<-done
		s.cmd, s.done = nil, nil
		if errors.Is(err, errExited) {
			return fmt.Errorf("%w (%v)", err, cmd.ProcessState)
		}
		return err
	}
	return nil
}

func (s *Server) stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	cmd, done := s.cmd, s.done
	s.cmd, s.done = nil, nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(stopTimeout):
		cmd.Process.Kill()
		<-done
	}
	// The port must be free again before Stop returns, so that a test's
	// outage is real and Restart can bind it.
	deadline := time.Now().Add(stopTimeout)
	for {
		c, err := net.DialTimeout("tcp", s.addr, 200*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still accepts connections after stop", s.addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var errExited = errors.New("MinIO exited during startup")

// waitLive polls the liveness endpoint, then the cluster health endpoint,
// until both answer 200, the process exits or the start timeout passes.
// Live alone is not enough: MinIO answers it before its object layer is
// initialized, and S3 requests then fail with XMinioServerNotInitialized.
func waitLive(endpoint string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(startTimeout)
	for _, path := range []string{"/minio/health/live", "/minio/health/cluster"} {
		for {
			resp, err := client.Get(endpoint + path)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
				err = fmt.Errorf("status %s", resp.Status)
			}
			select {
			case <-exited:
				return errExited
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("MinIO not ready at %s after %v: %s: %v", endpoint, startTimeout, path, err)
			}
		}
	}
	return nil
}

func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("miniotest: find a free port: %v", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// withoutMinIOEnv drops MINIO_* variables of the caller, which could change
// the server's configuration.
func withoutMinIOEnv(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "MINIO_") {
			out = append(out, kv)
		}
	}
	return out
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// binary returns the MinIO binary's path, installing it if needed.
func binary(tb testing.TB) string {
	tb.Helper()
	binOnce.Do(func() { binPath, binErr = findOrInstall() })
	if binErr != nil {
		tb.Fatalf("miniotest: no MinIO server: %v\n"+
			"make test builds it into ~/.cache/trailkit/bin (go install %s); TRAILKIT_MINIO names another binary", binErr, Module)
	}
	return binPath
}

func findOrInstall() (string, error) {
	if p := os.Getenv("TRAILKIT_MINIO"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("TRAILKIT_MINIO: %w", err)
		}
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the MinIO cache: %w", err)
	}
	binDir := filepath.Join(home, ".cache", "trailkit", "bin")
	cached := filepath.Join(binDir, "minio")
	if isExecutable(cached) {
		return cached, nil
	}
	if p, err := exec.LookPath("minio"); err == nil {
		return p, nil
	}
	return cached, install(binDir, cached)
}

// install runs go install into binDir while holding an exclusive lock on a
// file there; whoever gets the lock second finds the binary and returns.
func install(binDir, bin string) error {
	if err := os.MkdirAll(binDir, 0o755); err != nil {
		return fmt.Errorf("install MinIO: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(binDir, ".minio.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("install MinIO: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("install MinIO: lock %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if isExecutable(bin) {
		return nil
	}
	fmt.Fprintf(os.Stderr, "miniotest: installing %s into %s (several minutes, once)\n", Module, binDir)
	cmd := exec.Command("go", "install", Module)
	cmd.Dir = os.TempDir() // outside any module: the version is pinned above
	cmd.Env = append(os.Environ(), "GOBIN="+binDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go install %s: %w\n%s", Module, err, out)
	}
	if !isExecutable(bin) {
		return fmt.Errorf("go install %s did not produce %s", Module, bin)
	}
	return nil
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// tailBuffer keeps the last maxOutput bytes written to it; the server writes
// from its own goroutines while a failing test reads.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - maxOutput; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	if b == nil {
		return ""
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
