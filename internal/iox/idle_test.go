package iox_test

import (
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/iox"
)

// slowReader returns one byte after each delay in turn, then io.EOF; a
// negative delay blocks until ctx is done, as a connection whose request
// context is canceled does.
type slowReader struct {
	ctx    context.Context
	delays []time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if len(r.delays) == 0 {
		return 0, io.EOF
	}
	d := r.delays[0]
	r.delays = r.delays[1:]
	if d < 0 {
		<-r.ctx.Done()
		return 0, r.ctx.Err()
	}
	select {
	case <-time.After(d):
		p[0] = 'x'
		return 1, nil
	case <-r.ctx.Done():
		return 0, r.ctx.Err()
	}
}

// In a bubble of fake time: a wait longer than the timeout is cut at the
// timeout with ErrIdleTimeout; waits shorter than it are not, however many
// and however long the caller pauses between them; the caller's own
// cancellation stays itself.
func TestIdleWatch(t *testing.T) {
	const timeout = 30 * time.Second
	t.Run("stall", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := iox.NewIdleWatch(context.Background(), timeout, "the server")
			defer w.Close()
			r := w.Reader(&slowReader{ctx: w.Context(), delays: []time.Duration{time.Second, -1}})
			start := time.Now()
			got, err := io.ReadAll(r)
			assert.Equal(t, "x", string(got))
			require.ErrorIs(t, err, iox.ErrIdleTimeout)
			assert.EqualError(t, err, "idle timeout: the server sent nothing for 30s")
			assert.Equal(t, time.Second+timeout, time.Since(start), "cut at the timeout after the last byte")
		})
	})
	t.Run("slow bytes and a slow caller", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := iox.NewIdleWatch(context.Background(), timeout, "the server")
			defer w.Close()
			r := w.Reader(&slowReader{ctx: w.Context(), delays: []time.Duration{29 * time.Second, 29 * time.Second, 29 * time.Second}})
			b := make([]byte, 1)
			for range 3 {
				_, err := r.Read(b)
				require.NoError(t, err)
				time.Sleep(time.Minute) // the caller's own work: not idle
			}
			_, err := r.Read(b)
			assert.Equal(t, io.EOF, err)
		})
	})
	t.Run("caller cancels", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			w := iox.NewIdleWatch(ctx, timeout, "the server")
			defer w.Close()
			r := w.Reader(&slowReader{ctx: w.Context(), delays: []time.Duration{-1}})
			time.AfterFunc(time.Second, cancel)
			_, err := r.Read(make([]byte, 1))
			assert.ErrorIs(t, err, context.Canceled)
			assert.False(t, errors.Is(err, iox.ErrIdleTimeout))
		})
	})
	t.Run("default timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			w := iox.NewIdleWatch(context.Background(), 0, "S3")
			defer w.Close()
			start := time.Now()
			_, err := w.Reader(&slowReader{ctx: w.Context(), delays: []time.Duration{-1}}).Read(make([]byte, 1))
			require.ErrorIs(t, err, iox.ErrIdleTimeout)
			assert.Equal(t, iox.DefaultIdleTimeout, time.Since(start))
		})
	})
}
