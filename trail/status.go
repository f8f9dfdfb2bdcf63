package trail

import (
	"slices"
	"time"

	"github.com/trailkit/trailkit/sink"
)

// Status is the trail's state, with the fields of CloudTrail's
// GetTrailStatus that concern delivery to storage, and trailkit's counters.
// Times are on the trail's clock; a zero time means "never".
type Status struct {
	IsLogging bool
	// LatestDeliveryTime is when a log file was last delivered to a sink.
	LatestDeliveryTime time.Time
	// LatestDeliveryError is the error of the latest failed put of a log
	// file, "sink-bucket: message", from the first sink whose latest
	// attempt failed; empty when every sink's latest attempt succeeded.
	LatestDeliveryError string
	// LatestDeliveryAttemptTime is when a log file put was last attempted;
	// LatestDeliveryAttemptSucceeded when one last succeeded.
	LatestDeliveryAttemptTime      time.Time
	LatestDeliveryAttemptSucceeded time.Time
	LatestDigestDeliveryTime       time.Time
	LatestDigestDeliveryError      string
	StartLoggingTime               time.Time
	StopLoggingTime                time.Time

	// Sinks has one entry per configured sink, in order.
	Sinks    []SinkStatus
	Counters Counters
	// PendingFiles counts log files cut and not yet delivered to every
	// sink; BufferedBytes what the buffer holds.
	PendingFiles  int
	BufferedBytes int64
	// OldestUndelivered is when the oldest record accepted and not yet
	// delivered to every sink was accepted (its age is now minus it);
	// zero when every record was delivered. A stuck delivery shows here
	// long before an attempt times out.
	OldestUndelivered time.Time
	// SpoolSyncs counts the fsyncs of the spool's write-ahead files: one
	// for many Emits when they come together.
	SpoolSyncs int64
	// Insights reports the Insights analysis; nil for a trail without
	// InsightSelectors.
	Insights *InsightsStatus
}

// SinkStatus is the delivery status of one sink.
type SinkStatus struct {
	Bucket                         string
	LatestDeliveryTime             time.Time
	LatestDeliveryError            string // empty once a later put succeeds
	LatestDeliveryAttemptTime      time.Time
	LatestDeliveryAttemptSucceeded time.Time
	LatestDigestDeliveryTime       time.Time
	LatestDigestDeliveryError      string
	FilesDelivered                 int64
	DigestsDelivered               int64
	// Failures counts failed puts (log files and digests).
	Failures int64
	// FirstFailureTime and LatestFailureTime are the first and the latest
	// failed put of the current outage: since the last put that
	// succeeded. Both are zero once a put succeeds.
	FirstFailureTime, LatestFailureTime time.Time
	// InFlight lists the puts in progress, oldest first: a put that hangs
	// shows with its start time before its attempt times out.
	InFlight []Attempt
	// Pending counts log files waiting for or in a put to this sink.
	Pending int
	// Notifications counts the delivery notifications of a sink that
	// sends them (sink/notify); nil for others.
	Notifications *sink.NotificationStats
}

// Counters count records. Emitted = Selected + not selected + NotLogging
// + Rejected; every Selected record is eventually Delivered or Dropped,
// or is still pending (or, when Close gives up, left in the spool).
type Counters struct {
	Emitted    int64 // Emit calls on an open trail
	Selected   int64 // records the trail logs: selected, in its regions
	Delivered  int64 // records in log files delivered to every sink, Insights events the trail raised included
	Dropped    int64 // selected records not accepted: no buffer room, or the spool failed
	Retried    int64 // failed puts that were retried
	NotLogging int64 // records emitted while logging was stopped
	Rejected   int64 // invalid records (Emit returned ErrInvalidRecord)
	// Recovered counts records read back from the spool at New: records a
	// previous process acknowledged and had not delivered to every sink.
	// They count in Delivered once delivered, not in Selected.
	Recovered int64
}

// Counters returns the trail's counters.
func (t *Trail) Counters() Counters {
	return Counters{
		Emitted: t.emitted.Load(), Selected: t.selected.Load(), Delivered: t.delivered.Load(),
		Dropped: t.dropped.Load(), Retried: t.retried.Load(), NotLogging: t.notLogging.Load(),
		Rejected: t.rejected.Load(), Recovered: t.recovered.Load(),
	}
}

// Status returns the trail's status.
func (t *Trail) Status() Status {
	t.mu.Lock()
	st := Status{
		IsLogging:        t.logging.Load(),
		StartLoggingTime: t.startTime,
		StopLoggingTime:  t.stopTime,
		PendingFiles:     len(t.inflight),
	}
	for b := range t.inflight {
		st.OldestUndelivered = earlier(st.OldestUndelivered, b.accepted)
	}
	for _, b := range t.batches {
		if b != nil && b.n > 0 {
			st.OldestUndelivered = earlier(st.OldestUndelivered, b.accepted)
		}
	}
	t.mu.Unlock()
	st.Counters = t.Counters()
	st.BufferedBytes = t.budget.used.Load()
	if t.wal != nil {
		st.SpoolSyncs = t.wal.syncs.Load()
	}
	if t.ins != nil {
		st.Insights = t.ins.status()
	}
	for _, s := range t.sinks {
		s.mu.Lock()
		ss := s.status
		for _, a := range s.attempts {
			ss.InFlight = append(ss.InFlight, a)
		}
		s.mu.Unlock()
		slices.SortFunc(ss.InFlight, func(a, b Attempt) int { return a.Start.Compare(b.Start) })
		if n, ok := sink.As[sink.Notifier](s.sink); ok {
			ns := n.NotificationStats()
			ss.Notifications = &ns
		}
		st.Sinks = append(st.Sinks, ss)
		st.LatestDeliveryTime = later(st.LatestDeliveryTime, ss.LatestDeliveryTime)
		st.LatestDeliveryAttemptTime = later(st.LatestDeliveryAttemptTime, ss.LatestDeliveryAttemptTime)
		st.LatestDeliveryAttemptSucceeded = later(st.LatestDeliveryAttemptSucceeded, ss.LatestDeliveryAttemptSucceeded)
		st.LatestDigestDeliveryTime = later(st.LatestDigestDeliveryTime, ss.LatestDigestDeliveryTime)
		if st.LatestDeliveryError == "" && ss.LatestDeliveryError != "" {
			st.LatestDeliveryError = ss.Bucket + ": " + ss.LatestDeliveryError
		}
		if st.LatestDigestDeliveryError == "" && ss.LatestDigestDeliveryError != "" {
			st.LatestDigestDeliveryError = ss.Bucket + ": " + ss.LatestDigestDeliveryError
		}
	}
	return st
}

// Attempt is a put in progress.
type Attempt struct {
	Key   string    // the object's key
	Start time.Time // on the trail's clock
}

// earlier returns the earlier of a and b, a zero time counting as none.
func earlier(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
