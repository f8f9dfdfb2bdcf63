// Package cloudwatchlogs is a trail sink that sends records to Amazon
// CloudWatch Logs, as a trail configured with a CloudWatch Logs log group
// does: each record becomes one log event whose message is the record's
// JSON and whose timestamp is its eventTime.
//
// The sink receives the log files a trail delivers (sink.Object), reads
// their records and sends them with PutLogEvents, in batches within the
// call's limits: at most 10,000 events and 1,048,576 bytes (each event's
// message plus 26 bytes), events in time order, spanning at most 24 hours.
// A record too large for one event (256 KB with the 26 bytes) is cut as
// CloudTrail cuts large records (redact.Limit). Digest files are not sent
// (CloudTrail does not send them either) and are counted as skipped.
//
// Throttling and server errors are retried with exponential backoff and
// jitter. Events CloudWatch Logs refuses (more than 14 days old, more than 2
// hours ahead, older than the group's retention) are counted in
// Stats.Rejected and reported to Options.OnRejected, not retried: sending
// them again would not change the answer. Those outside the 14-day window
// by the local clock are not sent at all. A Put that fails part way may
// have sent some batches; the trail's retry sends them again, so delivery
// is at least once.
package cloudwatchlogs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/sink"
)

// API is the part of the CloudWatch Logs client the sink uses;
// *cloudwatchlogs.Client satisfies it.
type API interface {
	PutLogEvents(ctx context.Context, in *cwl.PutLogEventsInput, optFns ...func(*cwl.Options)) (*cwl.PutLogEventsOutput, error)
	CreateLogGroup(ctx context.Context, in *cwl.CreateLogGroupInput, optFns ...func(*cwl.Options)) (*cwl.CreateLogGroupOutput, error)
	CreateLogStream(ctx context.Context, in *cwl.CreateLogStreamInput, optFns ...func(*cwl.Options)) (*cwl.CreateLogStreamOutput, error)
}

// PutLogEvents' limits.
const (
	MaxBatchEvents  = 10000
	MaxBatchBytes   = 1048576
	EventOverhead   = 26 // bytes counted per event on top of its message
	MaxBatchSpan    = 24 * time.Hour
	DefaultMaxEvent = 256 << 10 // bytes of one event, with its overhead
)

// Options configure a Sink.
type Options struct {
	// LogGroup is the log group's name. Required.
	LogGroup string
	// LogStream is the stream every record goes to. When empty, each log
	// file's records go to the stream CloudTrail would use for them,
	// AccountID_CloudTrail_Region, from the object's key.
	LogStream string
	// Create creates the log group and streams when they do not exist.
	Create bool
	// Name is what Bucket returns, the name digests record for this sink;
	// default "cloudwatchlogs:" + LogGroup.
	Name string
	// MaxEventBytes bounds one event, its 26 bytes included; default and
	// most 256 KB.
	MaxEventBytes int

	// MaxAttempts bounds the tries of one batch; default 8.
	MaxAttempts int
	// InitialBackoff is the wait before the second try, doubled each time
	// up to MaxBackoff, each wait a random time between half and all of
	// it; defaults 100ms and 10s.
	InitialBackoff, MaxBackoff time.Duration

	// OnRejected is told of events CloudWatch Logs refused; default: logged
	// with slog.Default(). They are counted in Stats.Rejected as well.
	OnRejected func(err *RejectedError)
}

// RejectedError reports log events CloudWatch Logs refused.
type RejectedError struct {
	Key                     string // the log file
	LogStream               string
	TooOld, TooNew, Expired int // events refused for each reason
}

func (e *RejectedError) Error() string {
	return fmt.Sprintf("%s to stream %s: %d events refused (%d too old, %d too new, %d expired)",
		e.Key, e.LogStream, e.TooOld+e.TooNew+e.Expired, e.TooOld, e.TooNew, e.Expired)
}

// Stats counts what a Sink did.
type Stats struct {
	Objects   uint64 // log files sent
	Skipped   uint64 // objects that are not log files (digests)
	Events    uint64 // log events CloudWatch Logs accepted
	Batches   uint64 // PutLogEvents calls that succeeded
	Retries   uint64 // tries after a throttling or server error
	Rejected  uint64 // events refused (see OnRejected)
	Truncated uint64 // records cut to fit MaxEventBytes
}

// Sink sends log files' records to CloudWatch Logs. It is safe for
// concurrent use.
type Sink struct {
	api  API
	opts Options

	created sync.Map // stream name -> struct{}: streams known to exist
	groupOK atomic.Bool

	objects, skipped, events, batches, retries, rejected, truncated atomic.Uint64
}

// New returns a Sink writing with client.
func New(client API, opts Options) (*Sink, error) {
	if client == nil {
		return nil, errors.New("new CloudWatch Logs sink: nil client")
	}
	if opts.LogGroup == "" {
		return nil, errors.New("new CloudWatch Logs sink: Options.LogGroup is required")
	}
	if opts.Name == "" {
		opts.Name = "cloudwatchlogs:" + opts.LogGroup
	}
	if opts.MaxEventBytes <= 0 || opts.MaxEventBytes > DefaultMaxEvent {
		opts.MaxEventBytes = DefaultMaxEvent
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 8
	}
	if opts.InitialBackoff <= 0 {
		opts.InitialBackoff = 100 * time.Millisecond
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 10 * time.Second
	}
	if opts.OnRejected == nil {
		opts.OnRejected = func(err *RejectedError) { slog.Default().Warn(err.Error()) }
	}
	return &Sink{api: client, opts: opts}, nil
}

// Bucket returns Options.Name.
func (s *Sink) Bucket() string { return s.opts.Name }

// Stats returns the counters.
func (s *Sink) Stats() Stats {
	return Stats{
		Objects: s.objects.Load(), Skipped: s.skipped.Load(), Events: s.events.Load(),
		Batches: s.batches.Load(), Retries: s.retries.Load(), Rejected: s.rejected.Load(),
		Truncated: s.truncated.Load(),
	}
}

// logEvent is one record ready to send.
type logEvent struct {
	ts  int64 // milliseconds since the epoch
	msg string
}

// Put sends the records of a log file. Objects that are not log files (a
// digest) are skipped.
func (s *Sink) Put(ctx context.Context, obj sink.Object) error {
	stream, ok := s.stream(obj.Key)
	if !ok {
		s.skipped.Add(1)
		return nil
	}
	evs, err := s.read(obj)
	if err != nil {
		return err
	}
	// PutLogEvents wants each batch in time order; the records of a log
	// file are in no particular order. Stable, so equal times keep the
	// file's order.
	slices.SortStableFunc(evs, func(a, b logEvent) int { return cmpInt(a.ts, b.ts) })
	evs = s.window(obj.Key, stream, evs, time.Now())
	if len(evs) == 0 {
		s.objects.Add(1)
		return nil
	}
	if s.opts.Create {
		if err := s.ensure(ctx, stream); err != nil {
			return err
		}
	}
	for i, batch := range Batches(evsInput(evs)) {
		if err := s.send(ctx, obj.Key, stream, batch); err != nil {
			return fmt.Errorf("put %s: batch %d to %s/%s: %w", obj.Key, i, s.opts.LogGroup, stream, err)
		}
	}
	s.objects.Add(1)
	return nil
}

// stream returns the log stream for a key, and whether the key is a log
// file at all.
func (s *Sink) stream(key string) (string, bool) {
	parts := strings.Split(key, "/")
	for i, p := range parts {
		if p != "CloudTrail" && p != "CloudTrail-Insight" {
			continue
		}
		// AWSLogs/[o-org/]account/CloudTrail/region/...
		if i < 2 || i+1 >= len(parts) || !strings.HasSuffix(key, ".json.gz") {
			return "", false
		}
		if s.opts.LogStream != "" {
			return s.opts.LogStream, true
		}
		return parts[i-1] + "_CloudTrail_" + parts[i+1], true
	}
	return "", false
}

// read decodes the log file's records into log events.
func (s *Sink) read(obj sink.Object) ([]logEvent, error) {
	sc := event.NewScanner(bytes.NewReader(obj.Body))
	sc.Name = obj.Key
	defer sc.Close()
	max := s.opts.MaxEventBytes - EventOverhead
	var evs []logEvent
	for sc.Scan() {
		raw := sc.Bytes()
		var ts time.Time
		if text, ok := event.Get(raw, "eventTime").Text(); ok {
			ts, _ = time.Parse(event.TimeLayout, text)
		}
		if ts.IsZero() {
			ts = time.Now() // not CloudTrail-shaped; sent as of now rather than lost
		}
		msg := string(raw)
		if len(msg) > max {
			var rec event.Record
			if err := event.Unmarshal(raw, &rec); err != nil {
				return nil, fmt.Errorf("read %s: record %d: %w", obj.Key, sc.Index(), err)
			}
			redact.Limit(&rec, max)
			msg = string(rec.AppendJSON(nil))
			s.truncated.Add(1)
		}
		evs = append(evs, logEvent{ts: ts.UnixMilli(), msg: msg})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return evs, nil
}

// CloudWatch Logs accepts events from 14 days before now to 2 hours after.
const (
	maxAge    = 14 * 24 * time.Hour
	maxFuture = 2 * time.Hour
)

// window keeps the events (sorted by time) that CloudWatch Logs would
// accept and reports the others as refused, without sending them: they
// would be refused anyway, and a batch of only such events would be sent in
// vain. The clock may differ from the service's by a little; events near
// the edges that the service refuses are reported from its answer.
func (s *Sink) window(key, stream string, evs []logEvent, now time.Time) []logEvent {
	oldest, newest := now.Add(-maxAge).UnixMilli(), now.Add(maxFuture).UnixMilli()
	lo, _ := slices.BinarySearchFunc(evs, oldest, func(e logEvent, t int64) int { return cmpInt(e.ts, t) })
	hi, _ := slices.BinarySearchFunc(evs, newest+1, func(e logEvent, t int64) int { return cmpInt(e.ts, t) })
	if lo > 0 || hi < len(evs) {
		rej := &RejectedError{Key: key, LogStream: stream, TooOld: lo, TooNew: len(evs) - hi}
		s.rejected.Add(uint64(rej.TooOld + rej.TooNew))
		s.opts.OnRejected(rej)
	}
	return evs[lo:hi]
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func evsInput(evs []logEvent) []types.InputLogEvent {
	out := make([]types.InputLogEvent, len(evs))
	for i := range evs {
		out[i] = types.InputLogEvent{Timestamp: aws.Int64(evs[i].ts), Message: aws.String(evs[i].msg)}
	}
	return out
}

// Batches splits events, which must be in time order, into batches within
// PutLogEvents' limits: at most MaxBatchEvents events, MaxBatchBytes bytes
// counting EventOverhead per event, and MaxBatchSpan from the first event
// to the last.
func Batches(evs []types.InputLogEvent) [][]types.InputLogEvent {
	var out [][]types.InputLogEvent
	start, size := 0, 0
	for i, e := range evs {
		n := len(aws.ToString(e.Message)) + EventOverhead
		if i > start && (i-start == MaxBatchEvents || size+n > MaxBatchBytes ||
			time.Duration(aws.ToInt64(e.Timestamp)-aws.ToInt64(evs[start].Timestamp))*time.Millisecond > MaxBatchSpan) {
			out = append(out, evs[start:i:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(evs) {
		out = append(out, evs[start:])
	}
	return out
}

// send puts one batch, retrying what is worth retrying.
func (s *Sink) send(ctx context.Context, key, stream string, batch []types.InputLogEvent) error {
	in := &cwl.PutLogEventsInput{
		LogGroupName:  aws.String(s.opts.LogGroup),
		LogStreamName: aws.String(stream),
		LogEvents:     batch,
	}
	backoff := s.opts.InitialBackoff
	createdNow := false
	for attempt := 1; ; attempt++ {
		out, err := s.api.PutLogEvents(ctx, in)
		if err == nil {
			s.batches.Add(1)
			s.accepted(key, stream, len(batch), out.RejectedLogEventsInfo)
			return nil
		}
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) && s.opts.Create && !createdNow {
			// Deleted since it was created, or created by another process
			// and gone: create it again, once.
			s.created.Delete(stream)
			s.groupOK.Store(false)
			if cerr := s.ensure(ctx, stream); cerr != nil {
				return errors.Join(err, cerr)
			}
			createdNow = true
			continue
		}
		if !retryable(err) || attempt >= s.opts.MaxAttempts {
			return err
		}
		s.retries.Add(1)
		wait := backoff/2 + rand.N(backoff/2+1)
		backoff = min(2*backoff, s.opts.MaxBackoff)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
	}
}

// accepted counts the events of a successful call and reports the refused.
func (s *Sink) accepted(key, stream string, n int, info *types.RejectedLogEventsInfo) {
	rej := &RejectedError{Key: key, LogStream: stream}
	if info != nil {
		// TooOldLogEventEndIndex and ExpiredLogEventEndIndex end the
		// refused events at the start of the batch (exclusive);
		// TooNewLogEventStartIndex starts those at its end (inclusive).
		old := int(aws.ToInt32(info.TooOldLogEventEndIndex))
		expired := int(aws.ToInt32(info.ExpiredLogEventEndIndex))
		rej.Expired = max(0, expired-old)
		rej.TooOld = min(old, n)
		if info.TooNewLogEventStartIndex != nil {
			rej.TooNew = max(0, n-int(*info.TooNewLogEventStartIndex))
		}
	}
	refused := min(n, rej.TooOld+rej.TooNew+rej.Expired)
	s.events.Add(uint64(n - refused))
	if refused > 0 {
		s.rejected.Add(uint64(refused))
		s.opts.OnRejected(rej)
	}
}

// retryable reports errors that a later try may not get: throttling,
// server-side failures and network errors.
func retryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ThrottlingException", "Throttling", "ServiceUnavailableException", "ServiceUnavailable",
			"InternalFailure", "InternalServerError", "RequestTimeout", "RequestTimeoutException",
			"LimitExceededException", "TooManyRequestsException", "OperationAbortedException":
			return true
		}
		return ae.ErrorFault() == smithy.FaultServer
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	// Not an API error: the request did not get an answer (connection
	// refused or reset). Worth another try.
	return true
}

// ensure creates the log group (once) and the stream (once each), taking
// "already exists" as success.
func (s *Sink) ensure(ctx context.Context, stream string) error {
	if _, ok := s.created.Load(stream); ok {
		return nil
	}
	if !s.groupOK.Load() {
		_, err := s.api.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(s.opts.LogGroup)})
		var exists *types.ResourceAlreadyExistsException
		if err != nil && !errors.As(err, &exists) {
			return fmt.Errorf("create log group %s: %w", s.opts.LogGroup, err)
		}
		s.groupOK.Store(true)
	}
	_, err := s.api.CreateLogStream(ctx, &cwl.CreateLogStreamInput{
		LogGroupName: aws.String(s.opts.LogGroup), LogStreamName: aws.String(stream),
	})
	var exists *types.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create log stream %s/%s: %w", s.opts.LogGroup, stream, err)
	}
	s.created.Store(stream, struct{}{})
	return nil
}
