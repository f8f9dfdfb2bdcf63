// Package iox holds small io helpers the trailkit packages share.
package iox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrReader reads R and remembers its first error other than io.EOF, so
// that a reader of a stream decoded from R (gunzipped, parsed) can tell a
// source that failed (a store's connection dropped) from a stream that is
// not valid.
type ErrReader struct {
	R   io.Reader
	Err error
}

func (e *ErrReader) Read(p []byte) (int, error) {
	n, err := e.R.Read(p)
	if err != nil && err != io.EOF && e.Err == nil {
		e.Err = err
	}
	return n, err
}

// ErrIdleTimeout is wrapped by the error of a wait that an IdleWatch cut.
var ErrIdleTimeout = errors.New("idle timeout")

// DefaultIdleTimeout is the timeout of an IdleWatch given none: far longer
// than a server pauses between the bytes of an answer, short enough that
// a dead connection is noticed.
const DefaultIdleTimeout = 30 * time.Second

// IdleWatch cancels its context when a wait it watches (a request waiting
// for its answer, a read of a body) lasts longer than its timeout, so that
// a server that stops sending fails the request instead of hanging it as
// long as the caller's context allows. The time between waits (the
// caller's own work) does not count.
type IdleWatch struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	timeout time.Duration
	timer   *time.Timer
}

// NewIdleWatch returns a watch whose Context is derived from ctx; timeout
// 0 or less means DefaultIdleTimeout. peer names the server in the error.
// Close it when the request is done.
func NewIdleWatch(ctx context.Context, timeout time.Duration, peer string) *IdleWatch {
	if timeout <= 0 {
		timeout = DefaultIdleTimeout
	}
	w := &IdleWatch{timeout: timeout}
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	idle := fmt.Errorf("%w: %s sent nothing for %v", ErrIdleTimeout, peer, timeout)
	w.timer = time.AfterFunc(timeout, func() { w.cancel(idle) })
	w.timer.Stop()
	return w
}

// Context is the context to make the watched request with.
func (w *IdleWatch) Context() context.Context { return w.ctx }

// Start starts a wait; Stop ends it.
func (w *IdleWatch) Start() { w.timer.Reset(w.timeout) }

// Stop ends a wait.
func (w *IdleWatch) Stop() { w.timer.Stop() }

// Close releases the watch and cancels its context.
func (w *IdleWatch) Close() {
	w.timer.Stop()
	w.cancel(nil)
}

// Explain returns the idle timeout, rather than the cancellation it
// caused, when that is why err happened; otherwise err.
func (w *IdleWatch) Explain(err error) error {
	if cause := context.Cause(w.ctx); errors.Is(cause, ErrIdleTimeout) {
		return cause
	}
	return err
}

// Reader returns r with each Read a watched wait, its errors explained.
func (w *IdleWatch) Reader(r io.Reader) io.Reader { return &idleReader{r: r, w: w} }

type idleReader struct {
	r io.Reader
	w *IdleWatch
}

func (r *idleReader) Read(p []byte) (int, error) {
	r.w.Start()
	n, err := r.r.Read(p)
	r.w.Stop()
	if err != nil && err != io.EOF {
		err = r.w.Explain(err)
	}
	return n, err
}
