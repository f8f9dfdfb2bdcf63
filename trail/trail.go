package trail

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
)

// Errors Emit returns.
var (
	// ErrClosed is returned by Emit after Close has begun.
	ErrClosed = errors.New("trail closed")
	// ErrBufferFull is returned by Emit under the Drop policy when the
	// record does not fit in the buffer; the record is counted in
	// Counters.Dropped and not logged.
	ErrBufferFull = errors.New("buffer full, record dropped")
	// ErrInvalidRecord is wrapped by Emit's error for a record the trail
	// cannot file: no eventTime, a malformed awsRegion or
	// recipientAccountId, or larger than Files.MaxBytes.
	ErrInvalidRecord = errors.New("invalid record")
)

// Trail delivers records as CloudTrail log files. Its methods are safe for
// concurrent use.
type Trail struct {
	cfg      Config
	match    *selector.Matcher
	insights bool // the trail delivers Insights records
	clock    Clock
	level    int

	emitted, selected, delivered, dropped, retried, notLogging, rejected, recovered atomic.Int64

	budget budget

	// gate lets Close wait for Emits in progress: Emit holds it shared.
	gate    sync.RWMutex
	closed  atomic.Bool
	closing chan struct{} // closed when Close begins
	logging atomic.Bool

	mu        sync.Mutex // guards the fields below
	batches   map[routeKey]*batch
	timer     Timer
	timerAt   time.Time
	inflight  map[*batch]struct{}
	startTime time.Time // StartLoggingTime
	stopTime  time.Time // StopLoggingTime

	compressQ *queue[*batch]
	sinks     []*sinkState
	workers   sync.WaitGroup
	// deliverCtx is canceled when Close gives up, to end puts and backoff.
	deliverCtx context.Context
	abort      context.CancelFunc

	wal     *wal
	digests *digests  // nil without a signer
	ins     *insights // nil without InsightSelectors

	closeOnce sync.Once
	closeErr  error
}

// routeKey names the file a record goes to: one account, one region, log
// or Insights.
type routeKey struct {
	account, region string
	insight         bool
}

// batch is one log file, from its first record to its delivery.
type batch struct {
	route    routeKey
	buf      chunks // {"Records":[ … ]} once sealed
	n        int
	oldest   time.Time
	newest   time.Time
	deadline time.Time // end of the flush window it was opened in
	at       time.Time // delivery time, in the key
	accepted time.Time // when its first record was accepted, on the trail's clock

	refs     []uint64 // spool positions of its records
	sealRef  uint64   // spool position of its seal frame
	sealed   bool     // the seal frame is durable
	reserved int64    // budget bytes held

	key       string
	sum       [32]byte
	body      []byte
	remaining atomic.Int32 // sinks still to deliver to
	done      chan struct{}
	periods   []*period // digest period per sink
}

// New starts a trail: it validates the configuration, compiles the
// selectors, recovers the spool if there is one (records a previous process
// acknowledged and did not deliver are delivered again), and starts logging.
func New(cfg Config) (*Trail, error) {
	cfg, m, err := cfg.prepare()
	if err != nil {
		return nil, err
	}
	sel := m.InsightSelectors()
	if len(sel) == 0 {
		sel = nil
	}
	ctx, abort := context.WithCancel(context.Background())
	t := &Trail{
		cfg:        cfg,
		match:      m,
		insights:   sel != nil,
		clock:      cfg.Clock,
		level:      cfg.Files.GzipLevel,
		closing:    make(chan struct{}),
		batches:    make(map[routeKey]*batch),
		inflight:   make(map[*batch]struct{}),
		compressQ:  newQueue[*batch](),
		deliverCtx: ctx,
		abort:      abort,
	}
	t.budget.limit = cfg.Durability.Buffer.MaxBytes
	for _, s := range cfg.Delivery.Sinks {
		t.sinks = append(t.sinks, &sinkState{sink: s, q: newQueue[*batch](), status: SinkStatus{Bucket: s.Bucket()}})
	}
	now := t.clock.Now()
	t.startTime = now
	t.logging.Store(true)
	if cfg.digestsEnabled() {
		t.digests = newDigests(t, now)
	}
	var recovered *recovery
	if cfg.Durability.Spool != nil {
		if t.wal, recovered, err = openWAL(cfg.Durability.Spool.Dir, cfg.Durability.Spool.SegmentBytes); err != nil {
			abort()
			return nil, fmt.Errorf("trail %s: %w", cfg.Name, err)
		}
		if t.digests != nil {
			j, entries, err := openJournal(t.wal.root, cfg.Durability.Spool.Dir)
			if err != nil {
				t.wal.close()
				abort()
				return nil, fmt.Errorf("trail %s: %w", cfg.Name, err)
			}
			t.digests.journal = j
			t.digests.restore(entries, now)
		}
	}
	for range cfg.Files.CompressionWorkers {
		t.workers.Add(1)
		go t.compressLoop()
	}
	for _, s := range t.sinks {
		for range cfg.Delivery.Concurrency {
			t.workers.Add(1)
			go t.sinkLoop(s)
		}
	}
	if t.digests != nil {
		t.digests.start()
	}
	if sel != nil {
		t.ins = newInsights(t, sel, now)
	}
	if recovered != nil {
		t.recover(recovered)
	}
	if t.digests != nil {
		// Periods restored from the journal are sealed once the files
		// recover put again are in the sinks.
		t.digests.pokeAll()
	}
	return t, nil
}

// Name returns the trail's name.
func (t *Trail) Name() string { return t.cfg.Name }

// Emit logs r if the trail's selectors and region select it. Emit encodes r
// before it returns, so the caller may reuse r.
//
// Emit returns nil when the record is accepted (with a Spool: on disk),
// when the trail does not log it (not selected, or logging is stopped:
// see Counters), and an error when it is not accepted: ErrClosed,
// ErrBufferFull, the context's error when Block waited in vain, an error
// wrapping ErrInvalidRecord, or the spool's write error.
func (t *Trail) Emit(ctx context.Context, r *event.Record) error {
	if r == nil {
		t.rejected.Add(1)
		return fmt.Errorf("trail %s: emit: nil record: %w", t.cfg.Name, ErrInvalidRecord)
	}
	t.gate.RLock()
	defer t.gate.RUnlock()
	if t.closed.Load() {
		return ErrClosed
	}
	t.emitted.Add(1)
	rk, ok, err := t.route(r)
	if err != nil {
		t.rejected.Add(1)
		return fmt.Errorf("trail %s: emit record %s: %w: %w", t.cfg.Name, r.EventID, ErrInvalidRecord, err)
	}
	if !t.logging.Load() {
		t.notLogging.Add(1)
		return nil
	}
	if !ok {
		return nil
	}
	if t.cfg.ValidateRecords {
		if err := r.Validate(); err != nil {
			t.rejected.Add(1)
			return fmt.Errorf("trail %s: emit record %s: %w: %w", t.cfg.Name, r.EventID, ErrInvalidRecord, err)
		}
	}
	var det *detector
	if t.ins != nil && !rk.insight {
		det = t.ins.detector(rk)
	}
	sp := scratchPool.Get().(*scratch)
	defer putScratch(sp)
	var buf []byte
	if r.RecipientAccountID == "" {
		// CloudTrail always writes recipientAccountId: write the account
		// the record is filed under, from a pooled copy of the record so
		// that the caller's is not changed and nothing is allocated.
		sp.rec = *r
		sp.rec.RecipientAccountID = rk.account
		buf = sp.rec.AppendJSON(sp.buf[:0])
		sp.rec = event.Record{}
	} else {
		buf = r.AppendJSON(sp.buf[:0])
	}
	if len(buf) > redact.MaxRecordBytes {
		// CloudTrail delivers at most 256 KB of a record: cut it as
		// CloudTrail does (free-form parts omitted, long strings
		// truncated), from a copy, so the caller's record is unchanged.
		sp.rec = *r
		sp.rec.Extra = slices.Clone(r.Extra)
		if sp.rec.RecipientAccountID == "" {
			sp.rec.RecipientAccountID = rk.account
		}
		res := redact.Limit(&sp.rec, redact.MaxRecordBytes)
		buf = sp.rec.AppendJSON(buf[:0])
		sp.rec = event.Record{}
		if !res.Fits {
			sp.buf = buf
			t.rejected.Add(1)
			return fmt.Errorf("trail %s: emit record %s: %w: %d bytes encoded after CloudTrail's cuts, more than %d",
				t.cfg.Name, r.EventID, ErrInvalidRecord, len(buf), redact.MaxRecordBytes)
		}
	}
	sp.buf = buf
	if len(buf)+len(logHead)+len(logTail) > t.cfg.Files.MaxBytes {
		t.rejected.Add(1)
		return fmt.Errorf("trail %s: emit record %s: %w: %d bytes encoded, more than Files.MaxBytes %d",
			t.cfg.Name, r.EventID, ErrInvalidRecord, len(buf), t.cfg.Files.MaxBytes)
	}
	t.selected.Add(1)
	size := int64(len(buf) + 1)
	if t.cfg.Durability.Buffer.OnFull == Drop {
		if !t.budget.tryAcquire(size) {
			t.dropped.Add(1)
			return ErrBufferFull
		}
	} else if err := t.budget.acquire(ctx, size, t.closing, t.relieve); err != nil {
		t.dropped.Add(1)
		return fmt.Errorf("trail %s: emit record %s: buffer full: %w", t.cfg.Name, r.EventID, err)
	}
	var ref uint64
	if t.wal != nil {
		var err error
		if ref, err = t.wal.appendRecord(rk, r.EventTime, buf); err != nil {
			t.budget.release(size)
			t.dropped.Add(1)
			return fmt.Errorf("trail %s: emit record %s: spool: %w", t.cfg.Name, r.EventID, err)
		}
	}
	if full := t.add(rk, buf, r.EventTime, ref, size, det, r); full != nil {
		det.observe(full)
	} else if det == nil && t.ins != nil && !rk.insight {
		t.ins.unanalysed.Add(1)
	}
	if t.cfg.Inspector != nil {
		t.cfg.Inspector.Inspect(r)
	}
	return nil
}

// scratch is what Emit encodes a record with.
type scratch struct {
	buf []byte
	rec event.Record // a copy of a record that Emit completes
}

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 4096)} }}

// putScratch keeps ordinary buffers; a rare huge record's is left to the GC.
func putScratch(p *scratch) {
	if cap(p.buf) <= 256<<10 {
		scratchPool.Put(p)
	}
}

const (
	logHead = `{"Records":[`
	logTail = `]}`
)

// Global services, whose events CloudTrail files under us-east-1.
const globalRegion = "us-east-1"

// route decides whether the trail logs r and into which file.
func (t *Trail) route(r *event.Record) (routeKey, bool, error) {
	if r.EventTime.IsZero() {
		return routeKey{}, false, &event.ShapeError{Field: "eventTime", Reason: "missing"}
	}
	rk := routeKey{account: r.RecipientAccountID, region: r.AWSRegion}
	if rk.account == "" {
		rk.account = t.cfg.AccountID
	} else if err := ValidateAccountID("recipientAccountId", rk.account); err != nil {
		return rk, false, err
	}
	if rk.region == "" {
		rk.region = t.cfg.HomeRegion
	} else if !isRegionSegment(rk.region) {
		return rk, false, configError("awsRegion", rk.region, "InvalidParameterException",
			"a region is 1 to 64 lower-case letters, digits and inner hyphens")
	}
	all := t.cfg.LogAllEvents
	if r.EventType == event.TypeInsight {
		rk.insight = true
		return rk, (all || t.insights) && (t.cfg.IsMultiRegionTrail || rk.region == t.cfg.HomeRegion), nil
	}
	if isGlobalServiceEvent(r) {
		rk.region = globalRegion
		return rk, t.cfg.IncludeGlobalServiceEvents && (all || t.match.Match(r)), nil
	}
	if !t.cfg.IsMultiRegionTrail && rk.region != t.cfg.HomeRegion {
		return rk, false, nil
	}
	return rk, all || t.match.Match(r), nil
}

// isRegionSegment reports whether a record's awsRegion can name a key
// segment. Records are filed under the region they name, also one AWS does
// not have yet (or a test fixture's), so this checks safety, not CloudTrail's
// region list: lower-case letters, digits and hyphens, no leading or
// trailing hyphen, so never "." or "..".
func isRegionSegment(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// isGlobalServiceEvent reports whether r is an event of a global service:
// IAM, CloudFront, or STS called at its global endpoint (an STS event
// recorded in another region came through a regional endpoint and is that
// region's).
func isGlobalServiceEvent(r *event.Record) bool {
	switch r.EventSource {
	case "iam.amazonaws.com", "cloudfront.amazonaws.com":
		return true
	case "sts.amazonaws.com":
		return r.AWSRegion == "" || r.AWSRegion == globalRegion
	}
	return false
}

// add appends an encoded record to its file, cutting the file first when
// its window is over or it is full. With det, it captures r for det's
// analysis, and returns the batch of captures when it is full, for the
// caller to observe.
func (t *Trail) add(rk routeKey, rec []byte, et time.Time, ref uint64, size int64, det *detector, r *event.Record) (full *obsBatch) {
	now := t.clock.Now() // outside the lock, which emitters share
	t.mu.Lock()
	b := t.batches[rk]
	if b != nil {
		switch {
		case !now.Before(b.deadline):
			t.sealLocked(b, b.deadline)
			b = nil
		case b.n >= t.cfg.Files.MaxRecords || b.buf.len()+1+len(rec)+len(logTail) > t.cfg.Files.MaxBytes:
			t.sealLocked(b, now)
			b = nil
		}
	}
	if b == nil {
		b = t.newBatchLocked(rk, now)
	}
	if b.n == 0 {
		b.accepted = now
	}
	if b.n > 0 {
		b.buf.writeString(",")
	}
	b.buf.write(rec)
	b.n++
	b.reserved += size
	if b.oldest.IsZero() || et.Before(b.oldest) {
		b.oldest = et
	}
	if et.After(b.newest) {
		b.newest = et
	}
	if t.wal != nil {
		b.refs = append(b.refs, ref)
	}
	if det != nil {
		full = det.captureLocked(r)
	}
	t.mu.Unlock()
	return full
}

func (t *Trail) newBatchLocked(rk routeKey, now time.Time) *batch {
	b := &batch{route: rk, deadline: windowEnd(now, t.cfg.Files.FlushInterval)}
	b.buf.writeString(logHead)
	t.batches[rk] = b
	t.armLocked(b.deadline)
	return b
}

// windowEnd returns the end of the flush window holding now: the next
// multiple of interval since the Unix epoch.
func windowEnd(now time.Time, interval time.Duration) time.Time {
	return now.Truncate(interval).Add(interval)
}

func (t *Trail) armLocked(at time.Time) {
	if t.timer != nil && !at.Before(t.timerAt) {
		return
	}
	if t.timer != nil {
		t.timer.Stop()
	}
	t.timerAt = at
	t.timer = t.clock.AfterFunc(at.Sub(t.clock.Now()), t.onTimer)
}

// onTimer cuts the files whose window is over and arms the timer for the
// next window's end.
func (t *Trail) onTimer() {
	t.mu.Lock()
	t.timer, t.timerAt = nil, time.Time{}
	next := t.cutDueLocked()
	if !next.IsZero() && !t.closed.Load() {
		t.armLocked(next)
	}
	t.mu.Unlock()
	if t.wal != nil {
		// A new write-ahead file each window, so the previous one can be
		// deleted as soon as its records are delivered.
		t.wal.rotate()
	}
}

// cutDue cuts the files whose window is over, leaving the timer alone.
func (t *Trail) cutDue() {
	t.mu.Lock()
	t.cutDueLocked()
	t.mu.Unlock()
}

// cutDueLocked cuts the files whose window is over and returns the
// earliest end of the windows still open.
func (t *Trail) cutDueLocked() (next time.Time) {
	now := t.clock.Now()
	for rk, b := range t.batches {
		if b == nil {
			continue
		}
		if !now.Before(b.deadline) {
			t.sealLocked(b, b.deadline)
			delete(t.batches, rk)
		} else if next.IsZero() || b.deadline.Before(next) {
			next = b.deadline
		}
	}
	return next
}

// sealLocked ends a file and queues it for compression.
func (t *Trail) sealLocked(b *batch, at time.Time) {
	if t.batches[b.route] == b {
		t.batches[b.route] = nil
	}
	b.buf.writeString(logTail)
	b.at = at
	t.enqueueLocked(b)
}

// enqueueLocked queues a complete file for compression and delivery.
func (t *Trail) enqueueLocked(b *batch) {
	b.done = make(chan struct{})
	b.remaining.Store(int32(len(t.sinks)))
	t.inflight[b] = struct{}{}
	if t.digests != nil {
		b.periods = t.digests.register(b)
	}
	t.compressQ.push(b)
}

// relieve cuts the open files when the buffer is full and no file is on
// its way to the sinks: only open files hold the buffer then, and nothing
// else would free it before the flush interval ends. It reports whether it
// cut any.
func (t *Trail) relieve() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.inflight) > 0 {
		return false
	}
	now := t.clock.Now()
	cut := false
	for _, b := range t.batches {
		if b != nil && b.n > 0 {
			t.sealLocked(b, minTime(now, b.deadline))
			cut = true
		}
	}
	return cut
}

// sealAll cuts every open file now.
func (t *Trail) sealAll() {
	t.mu.Lock()
	now := t.clock.Now()
	for _, b := range t.batches {
		if b != nil && b.n > 0 {
			t.sealLocked(b, minTime(now, b.deadline))
		}
	}
	t.mu.Unlock()
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Flush cuts the open log files and waits until every file cut so far is
// delivered to every sink, or ctx is done.
func (t *Trail) Flush(ctx context.Context) error {
	t.sealAll()
	t.mu.Lock()
	waits := make([]chan struct{}, 0, len(t.inflight))
	for b := range t.inflight {
		waits = append(waits, b.done)
	}
	t.mu.Unlock()
	for _, ch := range waits {
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("trail %s: flush: %d log files not yet delivered: %w", t.cfg.Name, t.pendingFiles(), ctx.Err())
		}
	}
	return nil
}

func (t *Trail) pendingFiles() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.inflight)
}

// StopLogging stops logging, as CloudTrail's StopLogging: records emitted
// from now on are counted in Counters.NotLogging and not delivered. The
// open files are cut and delivered, and with digests on, the digest of the
// partial hour is delivered; the next StartLogging starts a new digest
// chain, as CloudTrail's does.
func (t *Trail) StopLogging(ctx context.Context) error {
	t.mu.Lock()
	if !t.logging.Load() {
		t.mu.Unlock()
		return nil
	}
	t.logging.Store(false)
	t.stopTime = t.clock.Now()
	t.mu.Unlock()
	err := t.Flush(ctx)
	if t.digests != nil {
		if derr := t.digests.stop(ctx, t.clock.Now()); err == nil {
			err = derr
		}
	}
	return err
}

// StartLogging resumes logging after StopLogging.
func (t *Trail) StartLogging() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.logging.Load() || t.closed.Load() {
		return
	}
	now := t.clock.Now()
	t.startTime = now
	if t.digests != nil {
		t.digests.restart(now)
	}
	t.logging.Store(true)
}

// Close stops accepting records (Emit returns ErrClosed), delivers every
// pending file and, with digests on, the digest of the partial hour, then
// stops the trail's goroutines. If ctx ends first, Close abandons the
// deliveries in progress and returns an error that wraps ctx's; with a
// Spool, what was not delivered is delivered by the next trail started on
// the spool. Close returns the same result when called again.
func (t *Trail) Close(ctx context.Context) error {
	t.closeOnce.Do(func() { t.closeErr = t.close(ctx) })
	return t.closeErr
}

func (t *Trail) close(ctx context.Context) error {
	close(t.closing)
	t.gate.Lock()
	t.closed.Store(true)
	t.gate.Unlock()
	if t.ins != nil {
		// Log the Insights events due now and save the detectors' state
		// before the last files are cut.
		t.ins.close(t.clock.Now())
	}
	err := t.Flush(ctx)
	if err == nil && t.digests != nil {
		err = t.digests.stop(ctx, t.clock.Now())
	}
	t.mu.Lock()
	if t.timer != nil {
		t.timer.Stop()
		t.timer = nil
	}
	t.mu.Unlock()
	if err != nil {
		// Give up: end the puts and backoffs in progress.
		t.abort()
	}
	t.compressQ.close()
	for _, s := range t.sinks {
		s.q.close()
	}
	if t.digests != nil {
		t.digests.close()
	}
	t.workers.Wait()
	t.abort()
	if t.digests != nil && t.digests.journal != nil {
		if jerr := t.digests.journal.close(); jerr != nil && err == nil {
			err = fmt.Errorf("trail %s: close digest journal: %w", t.cfg.Name, jerr)
		}
	}
	if t.wal != nil {
		if werr := t.wal.close(); werr != nil && err == nil {
			err = fmt.Errorf("trail %s: close spool: %w", t.cfg.Name, werr)
		}
	} else if err != nil {
		err = t.keepUndelivered(err)
	}
	return err
}

// keepUndelivered, after a Close that gave up without a spool, counts the
// records of the files not delivered to every sink and writes those files
// to Durability.FallbackDir if it is set. The error says how many records
// and where they are, or that they are lost.
func (t *Trail) keepUndelivered(cause error) error {
	t.mu.Lock()
	var left []*batch
	records := 0
	for b := range t.inflight {
		left = append(left, b)
		records += b.n
	}
	t.mu.Unlock()
	if records == 0 {
		return cause
	}
	dir := t.cfg.Durability.FallbackDir
	if dir == "" {
		return fmt.Errorf("trail %s: close: %d records in %d log files not delivered and lost (no Durability.Spool or FallbackDir): %w",
			t.cfg.Name, records, len(left), cause)
	}
	d, err := sink.NewDir(dir, sink.DirOptions{Bucket: t.sinks[0].sink.Bucket(), Fsync: true})
	kept := 0
	for _, b := range left {
		if err != nil {
			break
		}
		if b.body == nil {
			continue // not compressed when Close gave up: counted, not kept
		}
		if err = d.Put(context.Background(), b.object()); err == nil {
			kept += b.n
		}
	}
	if err != nil || kept < records {
		return fmt.Errorf("trail %s: close: %d records in %d log files not delivered; %d kept in %s (%v): %w",
			t.cfg.Name, records, len(left), kept, dir, err, cause)
	}
	return fmt.Errorf("trail %s: close: %d records in %d log files not delivered, kept in %s: %w",
		t.cfg.Name, records, len(left), dir, cause)
}
