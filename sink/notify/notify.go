// Package notify tells other systems that a trail delivered a log file, as
// a CloudTrail trail with an SNS topic does: after each log file is stored,
// a [Message] naming the bucket and the object key is published.
//
// [Sink] wraps the sink that stores the files (usually an S3 sink):
//
//	s3 := s3sink.New(client, "my-trail-bucket", s3sink.Options{})
//	topic := sns.New(snsClient, "arn:aws:sns:eu-west-1:111122223333:trail-deliveries")
//	n, err := notify.New(s3, notify.Options{Publisher: topic})
//	...
//	trail.New(trail.Config{..., Sinks: []sink.Sink{n}})
//	...
//	defer n.Close(ctx) // after the trail's Close: publishes what is queued
//
// The publishers live in subpackages, one per AWS service, so that a
// program imports only the SDK it uses: sink/notify/sns (CloudTrail's own
// way, SnsTopicARN), sink/notify/sqs (straight to a queue) and
// sink/notify/eventbridge (an event on a bus). A [Publisher] of your own
// works as well.
//
// # Delivery first
//
// A notification never delays or fails the delivery of a file: Put stores
// the file, queues its notification and returns. Worker goroutines publish,
// retrying a failed publish with exponential backoff and jitter. A queue
// that is full (QueueSize notifications waiting) drops the new
// notification; a publish that still fails after MaxAttempts is given up.
// Either way the file itself is stored, the notification is counted in
// [Stats] (Dropped, GivenUp) and handed to Options.OnError with its
// message, so it can be sent again: nothing is lost silently. A trail shows
// the counters in its Status, for each sink that has them ([sink.Notifier]).
//
// # The message
//
// The message is CloudTrail's, byte for byte:
//
//	{"s3Bucket":"my-trail-bucket","s3ObjectKey":["AWSLogs/111122223333/CloudTrail/eu-west-1/2026/01/02/111122223333_CloudTrail_eu-west-1_20260102T0305Z_a1B2c3D4e5F6g7H8.json.gz"]}
//
// One message names one log file. Insights files are notified as log
// files are; digest files only with Options.Digests (CloudTrail does not
// notify them).
package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/trailkit/trailkit/sink"
)

// Message is CloudTrail's delivery notification.
type Message struct {
	S3Bucket    string   `json:"s3Bucket"`
	S3ObjectKey []string `json:"s3ObjectKey"`
}

// JSON returns the message as CloudTrail writes it.
func (m Message) JSON() string {
	b, _ := json.Marshal(m) // two strings and a list of strings: cannot fail
	return string(b)
}

// Publisher publishes a message: to an SNS topic, an SQS queue, an
// EventBridge bus, or anywhere else. Publish must be safe for concurrent
// use; an error makes the Sink try again later.
type Publisher interface {
	Publish(ctx context.Context, m Message) error
}

// Options configure a Sink. Publisher is required.
type Options struct {
	Publisher Publisher
	// Digests also notifies digest files.
	Digests bool
	// QueueSize is how many notifications may wait; default 1024.
	QueueSize int
	// Workers is how many publish at once; default 2.
	Workers int
	// MaxAttempts bounds the tries of one notification; default 10, about
	// 2.5 minutes of backoff with the default delays.
	MaxAttempts int
	// MinBackoff and MaxBackoff bound the wait between tries; default
	// 200 ms and 30 s.
	MinBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds one publish; default 10 s.
	AttemptTimeout time.Duration
	// OnError receives each notification dropped or given up, with the
	// last error. Default: logged with slog.Default().
	OnError func(m Message, err error)
}

// ErrQueueFull is the error of a notification dropped because the queue was
// full.
var ErrQueueFull = errors.New("notification queue full")

// ErrClosed is the error of a notification still queued when Close gave up
// waiting, or of a Put after Close.
var ErrClosed = errors.New("notifier closed")

// Stats is what [Sink.NotificationStats] reports.
type Stats = sink.NotificationStats

// Sink is a sink.Sink that notifies each log file its inner sink stores.
type Sink struct {
	inner sink.Sink
	opts  Options
	queue chan Message

	mu      sync.Mutex
	closed  bool
	stats   Stats
	closing chan struct{} // closed by Close when it stops waiting: backoffs end
	stop    sync.Once
	done    chan struct{} // closed when the workers have returned
}

var (
	_ sink.Sink     = (*Sink)(nil)
	_ sink.Notifier = (*Sink)(nil)
)

// New returns a Sink that stores objects in inner and notifies them
// through opts.Publisher. Its workers run until Close.
func New(inner sink.Sink, opts Options) (*Sink, error) {
	switch {
	case inner == nil:
		return nil, errors.New("new notifier: inner sink is nil")
	case opts.Publisher == nil:
		return nil, errors.New("new notifier: Options.Publisher is required")
	case opts.QueueSize < 0, opts.Workers < 0, opts.MaxAttempts < 0, opts.MinBackoff < 0, opts.MaxBackoff < 0, opts.AttemptTimeout < 0:
		return nil, fmt.Errorf("new notifier: negative option in %+v", opts)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&opts.QueueSize, 1024)
	def(&opts.Workers, 2)
	def(&opts.MaxAttempts, 10)
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	defDur(&opts.MinBackoff, 200*time.Millisecond)
	defDur(&opts.MaxBackoff, 30*time.Second)
	defDur(&opts.AttemptTimeout, 10*time.Second)
	if opts.MaxBackoff < opts.MinBackoff {
		return nil, fmt.Errorf("new notifier: MaxBackoff %s is less than MinBackoff %s", opts.MaxBackoff, opts.MinBackoff)
	}
	if opts.OnError == nil {
		opts.OnError = func(m Message, err error) {
			slog.Default().Error("notify: notification not published", "message", m.JSON(), "error", err)
		}
	}
	s := &Sink{
		inner: inner, opts: opts,
		queue:   make(chan Message, opts.QueueSize),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	var wg sync.WaitGroup
	for range opts.Workers {
		wg.Go(s.work)
	}
	go func() { wg.Wait(); close(s.done) }()
	return s, nil
}

// Bucket is the inner sink's.
func (s *Sink) Bucket() string { return s.inner.Bucket() }

// Unwrap returns the inner sink.
func (s *Sink) Unwrap() sink.Sink { return s.inner }

// Put stores obj in the inner sink and, once it is stored, queues its
// notification. Only the inner sink's error is returned.
func (s *Sink) Put(ctx context.Context, obj sink.Object) error {
	if err := s.inner.Put(ctx, obj); err != nil {
		return err
	}
	s.notify(obj.Key)
	return nil
}

// PutIfAbsent stores obj with the inner sink's exclusive creation (see
// [sink.ExclusiveSink]) and queues its notification when it was created.
// An inner sink without exclusive creation gives an error wrapping
// errors.ErrUnsupported.
func (s *Sink) PutIfAbsent(ctx context.Context, obj sink.Object) error {
	ex, ok := sink.As[sink.ExclusiveSink](s.inner)
	if !ok {
		return fmt.Errorf("put if absent %s: sink %q: %w", obj.Key, s.inner.Bucket(), errors.ErrUnsupported)
	}
	if err := ex.PutIfAbsent(ctx, obj); err != nil {
		return err
	}
	s.notify(obj.Key)
	return nil
}

// notify queues the notification of a stored object, if it is one to
// notify. It never blocks.
func (s *Sink) notify(key string) {
	if !s.notified(key) {
		return
	}
	m := Message{S3Bucket: s.inner.Bucket(), S3ObjectKey: []string{key}}
	s.mu.Lock()
	if s.closed {
		s.stats.Dropped++
		s.mu.Unlock()
		s.opts.OnError(m, ErrClosed)
		return
	}
	select {
	case s.queue <- m:
		s.stats.Pending++
		s.mu.Unlock()
	default:
		s.stats.Dropped++
		s.mu.Unlock()
		s.opts.OnError(m, ErrQueueFull)
	}
}

// notified reports whether an object with this key is notified: log files
// (CloudTrail and CloudTrail-Insight), and digests with Options.Digests.
func (s *Sink) notified(key string) bool {
	switch {
	case strings.Contains(key, "/CloudTrail-Digest/"):
		return s.opts.Digests
	case strings.Contains(key, "/CloudTrail/"), strings.Contains(key, "/CloudTrail-Insight/"):
		return true
	}
	return false
}

func (s *Sink) work() {
	for m := range s.queue {
		err := s.publish(m)
		s.mu.Lock()
		s.stats.Pending--
		if err == nil {
			s.stats.Published++
			s.stats.LatestError, s.stats.FirstFailure = "", time.Time{}
		} else {
			s.stats.GivenUp++
		}
		s.mu.Unlock()
		if err != nil {
			s.opts.OnError(m, err)
		}
	}
}

// publish tries m until it is published, MaxAttempts tries failed, or
// Close gives up waiting.
func (s *Sink) publish(m Message) error {
	backoff := s.opts.MinBackoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), s.opts.AttemptTimeout)
		err := s.opts.Publisher.Publish(ctx, m)
		cancel()
		if err == nil {
			return nil
		}
		now := time.Now()
		s.mu.Lock()
		s.stats.Failures++
		s.stats.LatestError, s.stats.LatestFailure = err.Error(), now
		if s.stats.FirstFailure.IsZero() {
			s.stats.FirstFailure = now
		}
		s.mu.Unlock()
		if attempt >= s.opts.MaxAttempts {
			return fmt.Errorf("publish %s: gave up after %d attempts: %w", m.S3ObjectKey[0], attempt, err)
		}
		// Full jitter: a fleet of writers does not retry in step.
		wait := time.Duration(rand.Int64N(int64(backoff))) + 1
		select {
		case <-time.After(wait):
		case <-s.closing:
			return fmt.Errorf("publish %s: %w after %d attempts: %w", m.S3ObjectKey[0], ErrClosed, attempt, err)
		}
		s.mu.Lock()
		s.stats.Retried++
		s.mu.Unlock()
		backoff = min(2*backoff, s.opts.MaxBackoff)
	}
}

// NotificationStats returns the counters.
func (s *Sink) NotificationStats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Close publishes what is queued and stops the workers, waiting at most
// until ctx is done. Then notifications still failing are given up
// (reported to OnError) and Close returns an error counting them. Close the
// trail first: a Put after Close stores its object and drops its
// notification.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.queue)
	}
	s.mu.Unlock()
	select {
	case <-s.done:
	case <-ctx.Done():
		s.stop.Do(func() { close(s.closing) }) // retries stop waiting; the rest is given up
		<-s.done
	}
	st := s.NotificationStats()
	if st.GivenUp+st.Dropped > 0 {
		return fmt.Errorf("close notifier: %d notifications not published (%d dropped, %d given up); each was reported to OnError", st.GivenUp+st.Dropped, st.Dropped, st.GivenUp)
	}
	return nil
}
