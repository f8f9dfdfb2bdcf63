package trail

import (
	"context"
	"sync"
	"sync/atomic"
)

// budget bounds the bytes a trail holds. The fast path is one atomic add;
// waiters sleep on a channel that release closes.
type budget struct {
	limit   int64
	used    atomic.Int64
	waiters atomic.Int32
	mu      sync.Mutex
	freed   chan struct{} // closed by release when waiters may proceed
}

func (b *budget) tryAcquire(n int64) bool {
	if b.used.Add(n) <= b.limit {
		return true
	}
	b.used.Add(-n)
	return false
}

// acquire waits for n bytes until ctx or stop is done. onWait is called
// before each wait and reports whether it freed room: the trail cuts its
// open files when no file is being delivered, so that waiting never depends
// on the flush interval.
func (b *budget) acquire(ctx context.Context, n int64, stop <-chan struct{}, onWait func() bool) error {
	if b.tryAcquire(n) {
		return nil
	}
	b.waiters.Add(1)
	defer b.waiters.Add(-1)
	for {
		b.mu.Lock()
		if b.freed == nil {
			b.freed = make(chan struct{})
		}
		ch := b.freed
		b.mu.Unlock()
		// A release between the failed add and taking ch has already
		// returned its bytes, so this retry sees them.
		if b.tryAcquire(n) {
			return nil
		}
		if onWait() {
			continue
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-stop:
			return ErrClosed
		}
	}
}

func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.used.Add(-n)
	if b.waiters.Load() > 0 {
		b.mu.Lock()
		if b.freed != nil {
			close(b.freed)
			b.freed = nil
		}
		b.mu.Unlock()
	}
}

// queue is an unbounded FIFO whose pop blocks; the trail's budget bounds what
// it holds.
type queue[T any] struct {
	mu     sync.Mutex
	cond   sync.Cond
	items  []T
	head   int
	closed bool
}

func newQueue[T any]() *queue[T] {
	q := &queue[T]{}
	q.cond.L = &q.mu
	return q
}

func (q *queue[T]) push(x T) {
	q.mu.Lock()
	q.items = append(q.items, x)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop returns the next item, or false once the queue is closed and empty.
func (q *queue[T]) pop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.head == len(q.items) && !q.closed {
		q.cond.Wait()
	}
	var zero T
	if q.head == len(q.items) {
		return zero, false
	}
	x := q.items[q.head]
	q.items[q.head] = zero
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	}
	return x, true
}

func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
