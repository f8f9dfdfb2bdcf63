package s3_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// stallingS3 answers GetObject as S3 does (path-style, headers the SDK
// reads) with a body of size bytes of which it sends: for key "headers",
// nothing, not even the headers; for "body", the first 10 bytes then
// nothing; for "steady", one byte every tick; otherwise all of it. A
// stalled answer waits until the client goes away.
func stallingS3(t *testing.T, size int, tick time.Duration) *s3.Client {
	t.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall := func() {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
		if r.Method != http.MethodGet || !strings.HasPrefix(r.URL.Path, "/bucket/") {
			http.Error(w, "not S3 enough", http.StatusNotImplemented)
			return
		}
		key := strings.TrimPrefix(r.URL.Path, "/bucket/")
		if key == "headers" {
			stall()
			return
		}
		h := w.Header()
		h.Set("Content-Length", strconv.Itoa(size))
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Last-Modified", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat))
		h.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		body := strings.Repeat("x", size)
		switch key {
		case "body":
			io.WriteString(w, body[:10])
			rc.Flush()
			stall()
		case "steady":
			ticker := time.NewTicker(tick)
			defer ticker.Stop()
			for i := range size {
				io.WriteString(w, body[i:i+1])
				rc.Flush()
				select {
				case <-ticker.C:
				case <-r.Context().Done():
					return
				}
			}
		default:
			io.WriteString(w, body)
		}
	}))
	t.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
}

// A Get whose answer stalls, before its headers or after the first bytes
// of its body, fails after ReadIdleTimeout with an error naming the
// object and wrapping ErrIdleTimeout, although the caller's context has
// no deadline. A body that sends a byte well within the timeout, however
// long it takes in all, and a caller that pauses between reads longer
// than the timeout, are not cut.
func TestS3GetIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	client := stallingS3(t, 20, idle/6)
	s := s3sink.New(client, "bucket", s3sink.Options{ReadIdleTimeout: idle})
	ctx := context.Background()

	t.Run("headers stall", func(t *testing.T) {
		start := time.Now()
		_, _, err := s.Get(ctx, "headers")
		took := time.Since(start)
		require.Error(t, err)
		assert.ErrorIs(t, err, s3sink.ErrIdleTimeout)
		assert.Contains(t, err.Error(), "get s3://bucket/headers: idle timeout: S3 sent nothing for 300ms")
		assert.GreaterOrEqual(t, took, idle)
		assert.Less(t, took, 5*idle, "failed %v after the request", took)
	})
	t.Run("body stalls", func(t *testing.T) {
		rc, info, err := s.Get(ctx, "body")
		require.NoError(t, err)
		defer rc.Close()
		assert.EqualValues(t, 20, info.Size)
		start := time.Now()
		got, err := io.ReadAll(rc)
		took := time.Since(start)
		assert.Equal(t, "xxxxxxxxxx", string(got), "the bytes sent before the stall")
		require.Error(t, err)
		assert.ErrorIs(t, err, s3sink.ErrIdleTimeout)
		assert.Contains(t, err.Error(), "read s3://bucket/body: idle timeout: S3 sent nothing for 300ms")
		assert.Less(t, took, 5*idle, "failed %v after the first read", took)
		t.Logf("stalled body failed after %v: %v", took, err)
	})
	t.Run("steady body slower in all than the timeout", func(t *testing.T) {
		rc, _, err := s.Get(ctx, "steady")
		require.NoError(t, err)
		defer rc.Close()
		start := time.Now()
		got, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Len(t, got, 20)
		assert.Greater(t, time.Since(start), idle, "the body took longer than the timeout in all")
	})
	t.Run("caller pauses between reads", func(t *testing.T) {
		rc, _, err := s.Get(ctx, "whole")
		require.NoError(t, err)
		defer rc.Close()
		first := make([]byte, 5)
		_, err = io.ReadFull(rc, first)
		require.NoError(t, err)
		<-time.After(2 * idle) // the caller is busy: S3 is not the one idle
		rest, err := io.ReadAll(rc)
		require.NoError(t, err)
		assert.Len(t, rest, 15)
	})
	t.Run("caller's cancellation is not a timeout", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		rc, _, err := s.Get(ctx, "body")
		require.NoError(t, err)
		defer rc.Close()
		buf := make([]byte, 10)
		_, err = io.ReadFull(rc, buf)
		require.NoError(t, err)
		cancel()
		_, err = rc.Read(buf)
		require.Error(t, err)
		assert.False(t, errors.Is(err, s3sink.ErrIdleTimeout), err.Error())
		assert.ErrorIs(t, err, context.Canceled)
	})
}
