package trail

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/trail/insight"
)

// insights runs the Insights detectors of a trail with InsightSelectors:
// one per account and Region the trail logs, fed by Emit and advanced every
// minute on the trail's clock. The Insights events they raise are logged
// like any record, into CloudTrail-Insight files.
type insights struct {
	t   *Trail
	sel []selector.InsightSelector

	// idx is an immutable list of the detectors, replaced when one is
	// added, so that Emit finds its detector without a lock.
	idx atomic.Pointer[detectorIndex]
	add sync.Mutex // serializes adding detectors

	// tick serializes minute ticks, checkpoints and close; it guards the
	// fields below.
	tick     sync.Mutex
	timer    Timer
	stopped  bool
	lastSave time.Time
	scratch  []byte

	raised, unanalysed atomic.Int64

	mu          sync.Mutex // guards the status fields below
	lastErr     string
	lastErrSave bool // lastErr is about state a checkpoint replaces
	lastSync    time.Time
}

// detector is the Insights detector of one account and Region.
type detector struct {
	route routeKey
	d     *insight.Detector
	// pend holds what Emit captured of the records logged since the last
	// batch was observed; the trail's mu guards it. spare is an empty batch
	// for the next pend: two batches per detector suffice unless several
	// Emits observe full batches at once.
	pend  *obsBatch
	spare atomic.Pointer[obsBatch]
}

// detectorIndex finds a route's detector: by a scan of a short list (most
// trails log one account in a few Regions), else by a map.
type detectorIndex struct {
	list  []*detector
	byKey map[routeKey]*detector // nil while list is short
}

const indexScan = 8

func (x *detectorIndex) find(account, region string) *detector {
	if x.byKey != nil {
		return x.byKey[routeKey{account: account, region: region}]
	}
	for _, d := range x.list {
		if d.route.account == account && d.route.region == region {
			return d
		}
	}
	return nil
}

// newInsights starts the Insights analysis: it restores the detectors whose
// state the spool holds and arms the minute tick.
func newInsights(t *Trail, sel []selector.InsightSelector, now time.Time) *insights {
	s := &insights{t: t, sel: sel, lastSave: now}
	s.idx.Store(&detectorIndex{})
	if t.wal != nil {
		s.restore()
	}
	s.tick.Lock()
	s.armLocked(now)
	s.tick.Unlock()
	return s
}

// detector returns the detector of rk's account and Region, creating it;
// nil when MaxDetectors are running. It takes no lock and allocates nothing
// once the detector exists.
func (s *insights) detector(rk routeKey) *detector {
	if d := s.idx.Load().find(rk.account, rk.region); d != nil {
		return d
	}
	return s.detectorFor(rk)
}

// detectorFor returns the detector of rk's account and Region, creating it;
// nil when MaxDetectors are running.
func (s *insights) detectorFor(rk routeKey) *detector {
	s.add.Lock()
	defer s.add.Unlock()
	x := s.idx.Load()
	if d := x.find(rk.account, rk.region); d != nil {
		return d
	}
	if len(x.list) >= s.t.cfg.Insights.MaxDetectors {
		return nil
	}
	// The configuration was validated by New; only a bad account or
	// Region could fail here, and route has checked both.
	det, err := insight.New(s.t.cfg.detectorConfig(s.sel, rk.account, rk.region))
	if err != nil {
		s.fail(fmt.Errorf("detector for %s %s: %w", rk.account, rk.region, err))
		return nil
	}
	return s.publishLocked(routeKey{account: rk.account, region: rk.region}, det)
}

func (s *insights) publishLocked(rk routeKey, det *insight.Detector) *detector {
	old := s.idx.Load()
	d := &detector{route: rk, d: det}
	x := &detectorIndex{list: append(old.list[:len(old.list):len(old.list)], d)}
	if len(x.list) > indexScan {
		x.byKey = make(map[routeKey]*detector, len(x.list))
		for _, e := range x.list {
			x.byKey[e.route] = e
		}
	}
	s.idx.Store(x)
	return d
}

// Emit does not call Observe itself: it captures what Observe reads (a few
// string headers, the time and two flags) into the detector's pending
// batch, under the lock it already holds to add the record to its file,
// and every obsBatchLen records the Emit that fills the batch observes it.
// Observe then runs back to back over the batch, with the detector's memory
// in the caches, for much less than it costs when each Emit calls it
// between encoding records (see BenchmarkEmitInsights). The tick, Status
// and Close observe what is pending first, so that no minute is judged
// without its records.
const obsBatchLen = 128

type obsBatch struct {
	n int
	e [obsBatchLen]observation
	// rec is the record Observe is given, refilled for each observation.
	rec   event.Record
	ui    event.UserIdentity
	bools [2]bool // false, true: what rec.ReadOnly points to
}

// observation is what Observe reads of a record. The strings are the
// record's own (strings are immutable, so keeping them is safe, as
// Observe does until the next Advance).
type observation struct {
	sec                                      int64 // eventTime, Unix seconds
	category, source, name, arn, agent, code string
	readOnly                                 int8 // -1 absent, 0 false, 1 true
}

// captureLocked adds r to d's pending batch and returns the batch when it
// is full, for the caller to observe outside the lock. t.mu is held.
func (d *detector) captureLocked(r *event.Record) *obsBatch {
	b := d.pend
	if b == nil {
		if b = d.spare.Swap(nil); b == nil {
			b = &obsBatch{bools: [2]bool{false, true}}
		}
		d.pend = b
	}
	o := &b.e[b.n]
	b.n++
	o.sec = r.EventTime.Unix()
	o.category, o.source, o.name = r.Category(), r.EventSource, r.EventName
	o.arn = ""
	if r.UserIdentity != nil {
		o.arn = r.UserIdentity.ARN
	}
	o.agent, o.code = r.UserAgent, r.ErrorCode
	o.readOnly = -1
	if r.ReadOnly != nil {
		o.readOnly = 0
		if *r.ReadOnly {
			o.readOnly = 1
		}
	}
	if b.n < obsBatchLen {
		return nil
	}
	d.pend = nil
	return b
}

// observe feeds a batch to the detector and keeps it as the spare.
func (d *detector) observe(b *obsBatch) {
	r := &b.rec
	r.UserIdentity = &b.ui
	for i := range b.n {
		o := &b.e[i]
		r.EventTime = time.Unix(o.sec, 0)
		r.EventCategory, r.EventSource, r.EventName = o.category, o.source, o.name
		b.ui.ARN, r.UserAgent, r.ErrorCode = o.arn, o.agent, o.code
		r.ReadOnly = nil
		if o.readOnly >= 0 {
			r.ReadOnly = &b.bools[o.readOnly]
		}
		d.d.Observe(r)
	}
	clear(b.e[:b.n]) // let go of the records' strings
	b.n = 0
	*r = event.Record{}
	b.ui = event.UserIdentity{}
	d.spare.Store(b)
}

// flush observes every pending batch.
func (s *insights) flush() {
	list := s.idx.Load().list
	pending := make([]*obsBatch, len(list))
	s.t.mu.Lock()
	for i, d := range list {
		pending[i], d.pend = d.pend, nil
	}
	s.t.mu.Unlock()
	for i, b := range pending {
		if b != nil {
			list[i].observe(b)
		}
	}
}

// armLocked schedules the next tick at the next whole minute of the clock.
func (s *insights) armLocked(now time.Time) {
	next := now.Truncate(time.Minute).Add(time.Minute)
	s.timer = s.t.clock.AfterFunc(next.Sub(now), s.onTick)
}

func (s *insights) onTick() {
	s.tick.Lock()
	defer s.tick.Unlock()
	if s.stopped {
		return
	}
	now := s.t.clock.Now()
	s.advanceLocked(now, false)
	s.armLocked(now)
}

// advanceLocked advances every detector to now and logs the Insights events
// they return; then, with a spool, it writes their state when an Insight
// started or ended, when the checkpoint interval is over, or when force is
// set. The events are in the spool before the state that raised them, so a
// crash between the two raises them again from the older state, with the
// same IDs, rather than losing them.
func (s *insights) advanceLocked(now time.Time, force bool) {
	s.flush()
	list := s.idx.Load().list
	var raised []*detector
	for _, d := range list {
		recs := d.d.Advance(now)
		for _, r := range recs {
			s.raised.Add(1)
			if err := s.log(d.route, r); err != nil {
				s.fail(err)
			}
		}
		if len(recs) > 0 {
			raised = append(raised, d)
		}
	}
	switch {
	case s.t.wal == nil:
	case force || now.Sub(s.lastSave) >= s.t.cfg.Insights.CheckpointInterval:
		if s.saveLocked(list) {
			s.lastSave = now
			s.saved(now)
		}
	case len(raised) > 0:
		// Only the detectors whose Insights changed: the others' state
		// waits for the next checkpoint.
		if s.saveLocked(raised) {
			s.saved(now)
		}
	}
}

// log logs an Insights event of rk's account and Region, as Emit logs a
// selected record, except that it does not wait for buffer room: it runs on
// the clock's goroutine, and Insights events are few (two per Insight).
func (s *insights) log(rk routeKey, r *event.Record) error {
	t := s.t
	if !t.logging.Load() {
		t.notLogging.Add(1)
		return nil
	}
	rk.insight = true
	s.scratch = r.AppendJSON(s.scratch[:0])
	buf := s.scratch
	if len(buf)+len(logHead)+len(logTail) > t.cfg.Files.MaxBytes {
		t.dropped.Add(1)
		return fmt.Errorf("log Insights event %s: %w: %d bytes encoded, more than Files.MaxBytes %d",
			r.EventID, ErrInvalidRecord, len(buf), t.cfg.Files.MaxBytes)
	}
	size := int64(len(buf) + 1)
	t.budget.used.Add(size)
	var ref uint64
	if t.wal != nil {
		var err error
		if ref, err = t.wal.appendRecord(rk, r.EventTime, buf); err != nil {
			t.budget.release(size)
			t.dropped.Add(1)
			return fmt.Errorf("log Insights event %s: spool: %w", r.EventID, err)
		}
	}
	t.add(rk, buf, r.EventTime, ref, size, nil, nil)
	return nil
}

// close stops the tick, advances the detectors a last time and, with a
// spool, writes their state. No Emit runs any more.
func (s *insights) close(now time.Time) {
	s.tick.Lock()
	defer s.tick.Unlock()
	if s.stopped {
		return
	}
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	s.advanceLocked(now, true)
}

// The state of the detector of an account and Region is the file
// insight_ACCOUNT_REGION.state in the spool directory, replaced atomically
// (written beside it, fsync'ed, renamed, and the directory fsync'ed).
const (
	statePrefix = "insight_"
	stateExt    = ".state"
	tmpExt      = ".tmp"
)

func stateName(rk routeKey) string {
	return statePrefix + rk.account + "_" + rk.region + stateExt
}

// parseStateName returns the account and Region a state file is for.
func parseStateName(name string) (routeKey, bool) {
	rest, ok := strings.CutPrefix(name, statePrefix)
	if !ok {
		return routeKey{}, false
	}
	if rest, ok = strings.CutSuffix(rest, stateExt); !ok {
		return routeKey{}, false
	}
	account, region, ok := strings.Cut(rest, "_")
	if !ok || ValidateAccountID("account", account) != nil || !isRegionSegment(region) {
		return routeKey{}, false
	}
	return routeKey{account: account, region: region}, true
}

// saveLocked writes the state of the detectors to the spool, and reports
// whether it succeeded; a failure is reported in Status, and the next tick
// tries again.
func (s *insights) saveLocked(list []*detector) bool {
	dir := s.t.cfg.Durability.Spool.Dir
	var errs []error
	for _, d := range list {
		state, err := d.d.AppendBinary(s.scratch[:0])
		if err == nil {
			s.scratch = state
			err = writeFileAtomic(s.t.wal.root, dir, stateName(d.route), state)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("save Insights state of %s %s: %w", d.route.account, d.route.region, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		s.failState(err)
		return false
	}
	return true
}

func (s *insights) saved(now time.Time) {
	s.mu.Lock()
	s.lastSync = now
	if s.lastErrSave {
		s.lastErr, s.lastErrSave = "", false
	}
	s.mu.Unlock()
}

// writeFileAtomic replaces the file name in root (the spool, named dir in
// errors) by one holding data.
func writeFileAtomic(root *os.Root, dir, name string, data []byte) error {
	path := name
	f, err := root.OpenFile(path+tmpExt, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = root.Rename(path+tmpExt, path)
	}
	if err != nil {
		root.Remove(path + tmpExt)
		return err
	}
	return syncDir(root, dir)
}

// restore starts a detector for each state file in the spool, restored
// from it. A file that cannot be read or restored is reported in Status
// and its detector starts afresh (the next checkpoint replaces the file):
// losing a baseline must not stop a trail from logging.
func (s *insights) restore() {
	root := s.t.wal.root
	entries, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		s.failState(fmt.Errorf("restore Insights state: %w", err))
		return
	}
	s.add.Lock()
	defer s.add.Unlock()
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, stateExt+tmpExt) {
			root.Remove(name) // a checkpoint a crash interrupted
			continue
		}
		rk, ok := parseStateName(name)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		det, err := insight.New(s.t.cfg.detectorConfig(s.sel, rk.account, rk.region))
		if err != nil {
			s.fail(fmt.Errorf("detector for %s %s: %w", rk.account, rk.region, err))
			continue
		}
		data, err := root.ReadFile(name)
		if err == nil {
			err = det.UnmarshalBinary(data)
		}
		if err != nil {
			// UnmarshalBinary changes nothing when it fails: det is new.
			s.failState(fmt.Errorf("restore Insights state %s: %w", name, err))
		}
		if len(s.idx.Load().list) < s.t.cfg.Insights.MaxDetectors {
			s.publishLocked(rk, det)
		}
	}
}

// fail reports an error that stays in Status until the next one.
func (s *insights) fail(err error) {
	s.mu.Lock()
	s.lastErr, s.lastErrSave = err.Error(), false
	s.mu.Unlock()
}

// failState reports state that could not be restored or saved, which the
// next successful checkpoint replaces.
func (s *insights) failState(err error) {
	s.mu.Lock()
	s.lastErr, s.lastErrSave = err.Error(), true
	s.mu.Unlock()
}

// InsightsStatus reports a trail's Insights analysis.
type InsightsStatus struct {
	// Detectors is the number of accounts and Regions analysed.
	Detectors int
	// Raised counts the Insights events the detectors raised (Start and
	// End records). Delivered ones count in Counters.Delivered.
	Raised int64
	// Unanalysed counts logged records not analysed because their account
	// and Region would exceed InsightOptions.MaxDetectors.
	Unanalysed int64
	// Stats sums the detectors' counters: records counted, late, early
	// and over MaxSeries, series analysed and Insights in progress.
	Stats insight.Stats
	// LatestCheckpointTime is when detector state was last written
	// to the spool (on the trail's clock); zero without a spool.
	LatestCheckpointTime time.Time
	// LatestError is the latest failure to restore or save the detectors'
	// state, or to log an Insights event (also counted in
	// Counters.Dropped). A state failure is cleared by the next
	// checkpoint that succeeds; the others stay until the next failure.
	LatestError string
}

func (s *insights) status() *InsightsStatus {
	s.flush()
	st := &InsightsStatus{Raised: s.raised.Load(), Unanalysed: s.unanalysed.Load()}
	list := s.idx.Load().list
	st.Detectors = len(list)
	for _, d := range list {
		x := d.d.Stats()
		st.Stats.Counted += x.Counted
		st.Stats.Late += x.Late
		st.Stats.Early += x.Early
		st.Stats.Overflow += x.Overflow
		st.Stats.Series += x.Series
		st.Stats.Open += x.Open
	}
	s.mu.Lock()
	st.LatestCheckpointTime, st.LatestError = s.lastSync, s.lastErr
	s.mu.Unlock()
	return st
}
