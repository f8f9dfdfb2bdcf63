package s3_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/s3stall"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// A Get whose answer stalls, before its headers or after the first bytes
// of its body, fails after ReadIdleTimeout with an error naming the
// object and wrapping ErrIdleTimeout, although the caller's context has
// no deadline. A body that sends a byte well within the timeout, however
// long it takes in all, and a caller that pauses between reads longer
// than the timeout, are not cut.
func TestS3GetIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	client := s3stall.Start(t, []byte(strings.Repeat("x", 20)), idle/6)
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

// A Put or PutIfAbsent that S3 neither takes nor answers fails after
// WriteIdleTimeout with an error naming the object and wrapping
// ErrIdleTimeout, although the caller's context has no deadline; one that
// S3 answers within it succeeds.
func TestS3PutIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	client := s3stall.Start(t, nil, idle/6)
	s := s3sink.New(client, "bucket", s3sink.Options{WriteIdleTimeout: idle})
	ctx := context.Background()
	obj := sink.Object{Key: "AWSLogs/headers.json.gz", Body: []byte(strings.Repeat("x", 20)), ContentType: "application/json"}

	for _, put := range []struct {
		op string
		fn func(context.Context, sink.Object) error
	}{{"put", s.Put}, {"put if absent", s.PutIfAbsent}} {
		t.Run(put.op+" stalls", func(t *testing.T) {
			start := time.Now()
			err := put.fn(ctx, obj)
			took := time.Since(start)
			require.Error(t, err)
			assert.ErrorIs(t, err, s3sink.ErrIdleTimeout)
			assert.Contains(t, err.Error(), put.op+" s3://bucket/AWSLogs/headers.json.gz: idle timeout: S3 sent nothing for 300ms")
			assert.GreaterOrEqual(t, took, idle)
			assert.Less(t, took, 5*idle, "failed %v after the request", took)
		})
	}
	t.Run("answered", func(t *testing.T) {
		require.NoError(t, s.Put(ctx, sink.Object{Key: "AWSLogs/a.json.gz", Body: []byte("x")}))
	})
}
