// Package auditq is the bounded queue between a server's request path and
// an Emitter, shared by trail/httpaudit and trail/grpcaudit.
//
// A request only queues its record; worker goroutines fill in its IDs,
// redact it, cut it to CloudTrail's size and call the Emitter, so a slow
// Emitter never delays a response until the queue is full. Then the
// Overflow policy decides: Block waits for room (for at most BlockTimeout
// when set), Drop drops at once. A record that is not emitted is never lost
// silently: it is counted and handed to OnError.
package auditq

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
)

// Emitter receives the records. *trail.Trail is one.
type Emitter interface {
	Emit(ctx context.Context, r *event.Record) error
}

// Overflow says what happens to a record when the queue is full.
type Overflow int

const (
	// Block makes the request wait for room in the queue (for at most
	// BlockTimeout when that is set, after which the record is dropped and
	// counted).
	Block Overflow = iota
	// Drop drops the record at once and counts it.
	Drop
)

// ErrQueueFull is the error of a record dropped because the queue was full.
var ErrQueueFull = errors.New("audit queue full")

// Error reports a record that could not be built or delivered whole; the
// packages' OnError callbacks receive it.
type Error struct {
	Op     string        // "emit", "drop", "decode", "redact" or "callback"
	Record *event.Record // the record concerned
	Err    error
}

func (e *Error) Error() string {
	if e.Record == nil {
		return fmt.Sprintf("%s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("%s record %s (%s %s): %v", e.Op, e.Record.EventID, e.Record.EventSource, e.Record.EventName, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// SetName sets the record's eventSource and eventName where the handler
// left them empty.
func SetName(rec *event.Record, source, name string) {
	if rec.EventSource == "" {
		rec.EventSource = source
	}
	if rec.EventName == "" {
		rec.EventName = name
	}
}

// Options configure a Queue; zero values get the defaults named.
type Options struct {
	Emitter Emitter
	// AccountID is recipientAccountId for records that lack one.
	AccountID      string
	Redactor       *redact.Redactor
	MaxRecordBytes int // default redact.MaxRecordBytes
	QueueSize      int // default 4096
	Workers        int // default 1
	Overflow       Overflow
	BlockTimeout   time.Duration
	EmitTimeout    time.Duration
	// OnError receives every record not emitted whole: op is "emit",
	// "drop" or "redact". Required.
	OnError func(op string, rec *event.Record, err error)
}

// Check fills in the defaults and reports the first invalid option; owner
// names the package in the error.
func (o *Options) Check(owner string) error {
	if o.Emitter == nil {
		return fmt.Errorf("new %s: Options.Emitter is required", owner)
	}
	if o.MaxRecordBytes <= 0 {
		o.MaxRecordBytes = redact.MaxRecordBytes
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 4096
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.Overflow != Block && o.Overflow != Drop {
		return fmt.Errorf("new %s: unknown Overflow %d", owner, o.Overflow)
	}
	return nil
}

// Stats counts what the queue did.
type Stats struct {
	Emitted, Failed, Dropped, Blocked, Truncated, RedactErrors uint64
	Queued                                                     int
}

// Queue is the bounded queue with its workers.
type Queue struct {
	opts      Options
	queue     chan *event.Record
	mu        sync.RWMutex // held for reading while a record is queued, for writing by Close
	closed    bool
	closing   chan struct{} // closed when Close begins: blocked requests stop waiting
	closeOnce sync.Once
	done      chan struct{}

	// Counters that requests update and counters that workers update are
	// kept on separate cache lines, so that the two sides do not take a
	// line from each other on every record.
	_                                        [64]byte
	dropped, blocked                         atomic.Uint64
	_                                        [64]byte
	emitted, failed, truncated, redactErrors atomic.Uint64
	_                                        [64]byte
}

// New starts a Queue's workers; opts must have passed Check.
func New(opts Options) *Queue {
	q := &Queue{
		opts:    opts,
		queue:   make(chan *event.Record, opts.QueueSize),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Go(func() {
			for rec := range q.queue {
				q.emit(rec)
			}
		})
	}
	go func() { wg.Wait(); close(q.done) }()
	return q
}

// Stats returns the counters.
func (q *Queue) Stats() Stats {
	return Stats{
		Emitted: q.emitted.Load(), Failed: q.failed.Load(), Dropped: q.dropped.Load(),
		Blocked: q.blocked.Load(), Truncated: q.truncated.Load(), RedactErrors: q.redactErrors.Load(),
		Queued: len(q.queue),
	}
}

// Close emits the queued records and stops the workers, waiting at most
// until ctx is done; owner names the package in the error. Records added
// after Close are emitted by the caller of Add, before it returns.
func (q *Queue) Close(ctx context.Context, owner string) error {
	q.closeOnce.Do(func() { close(q.closing) })
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.queue)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("close %s: %d records queued: %w", owner, len(q.queue), ctx.Err())
	}
}

// Add hands the record to the workers, by the Overflow policy.
func (q *Queue) Add(rec *event.Record) {
	if !q.tryAdd(rec) {
		q.emit(rec) // closed: the request emits its own record
	}
}

// tryAdd queues rec by the Overflow policy (dropping it counts as done)
// and reports false when the queue is closed.
func (q *Queue) tryAdd(rec *event.Record) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return false
	}
	select {
	case q.queue <- rec:
		return true
	default:
	}
	if q.opts.Overflow == Drop {
		q.drop(rec)
		return true
	}
	q.blocked.Add(1)
	var timeout <-chan time.Time
	if q.opts.BlockTimeout > 0 {
		t := time.NewTimer(q.opts.BlockTimeout)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case q.queue <- rec:
		return true
	case <-timeout:
		q.drop(rec)
		return true
	case <-q.closing:
		// Close waits for this lock; rather than hold it while waiting
		// for room, emit here.
		return false
	}
}

func (q *Queue) drop(rec *event.Record) {
	q.dropped.Add(1)
	q.fillIDs(rec)
	q.opts.OnError("drop", rec, ErrQueueFull)
}

func (q *Queue) fillIDs(rec *event.Record) {
	if rec.RequestID == "" {
		rec.RequestID = NewID()
	}
	if rec.EventID == "" {
		rec.EventID = NewID()
	}
	rec.Fill(q.opts.AccountID, rec.EventTime)
}

// emit prepares a queued record and gives it to the Emitter.
func (q *Queue) emit(rec *event.Record) {
	q.fillIDs(rec)
	if q.opts.Redactor != nil {
		if err := q.opts.Redactor.Record(rec); err != nil {
			q.redactErrors.Add(1)
			q.opts.OnError("redact", rec, err)
		}
	}
	if res := redact.Limit(rec, q.opts.MaxRecordBytes); len(res.Cuts) > 0 {
		q.truncated.Add(1)
	}
	ctx := context.Background()
	if q.opts.EmitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, q.opts.EmitTimeout)
		defer cancel()
	}
	if err := q.opts.Emitter.Emit(ctx, rec); err != nil {
		q.failed.Add(1)
		q.opts.OnError("emit", rec, err)
		return
	}
	q.emitted.Add(1)
}

// NewID returns a random (version 4) UUID for eventID and requestID. The
// bits come from math/rand/v2, whose global source is ChaCha8 seeded by the
// operating system: unique and unpredictable enough for identifiers, which
// are not secrets, at a fraction of the cost of reading crypto/rand per
// request.
func NewID() string {
	var u [16]byte
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}
