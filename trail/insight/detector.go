package insight

import (
	"math"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// Detector watches the records a trail logs and reports unusual API call
// and error rates as CloudTrail Insights events. Observe is safe for
// concurrent use with itself and with the other methods.
type Detector struct {
	cfg     Config
	g       geometry
	enabled bool
	// call and errs say, per category (catManagement, catData), whether the
	// call-rate and error-rate analyses are on.
	call, errs [2]bool
	ids        uuid.UUID // namespace of the IDs of this trail's Insights events

	// apis is a snapshot index that is never changed once published, so
	// Observe finds known APIs without a lock; APIs first seen since the
	// last snapshot wait in recent, under mu, until the next merge.
	apis    atomic.Pointer[apiIndex]
	mu      sync.Mutex
	recent  map[apiKey]*api
	nseries atomic.Int64

	// advMu serializes Advance, MarshalBinary and UnmarshalBinary. The
	// clock fields are written under it; closed is also read by Observe.
	advMu  sync.Mutex
	closed atomic.Int64 // last closed minute; noMinute before the clock starts
	origin atomic.Int64 // first minute of history

	late, early, overflow atomic.Uint64
}

// geometry is the shape of a series' rings, fixed by the Config.
type geometry struct {
	ring   int // minute buckets a series keeps: MinuteBuckets open, as many ahead
	days   int // day slots: the window's days and the current day
	stride int // counters per tracked attribute value: ring, days, anomaly
}

const (
	catManagement = 0
	catData       = 1

	noMinute = math.MinInt64
)

type apiKey struct {
	cat          uint8
	source, name string
}

// api holds the series of one API: its call rate and its error rate for
// each error code. Its mutex guards everything in it.
type api struct {
	mu      sync.Mutex
	key     apiKey
	hash    uint64 // key.hash()
	folded  int64  // last minute folded into the series' baselines
	counted uint64
	call    *series   // nil when the call-rate analysis is off for the category
	errs    []*series // one per error code
}

// New returns a Detector for cfg, or an error wrapping ErrConfig that names
// the bad field.
func New(cfg Config) (*Detector, error) {
	cfg, err := cfg.normalize()
	if err != nil {
		return nil, err
	}
	d := &Detector{
		cfg:    cfg,
		g:      geometry{ring: 2 * cfg.MinuteBuckets, days: int(cfg.Window/day) + 1},
		recent: map[apiKey]*api{},
	}
	d.g.stride = d.g.ring + d.g.days + 1
	d.closed.Store(noMinute)
	d.origin.Store(noMinute)
	d.apis.Store(newAPIIndex(nil))
	for _, s := range cfg.Selectors {
		cats := s.EventCategories
		if cats == nil {
			cats = []string{selector.CategoryManagement}
		}
		for _, c := range cats {
			i := catManagement
			if c == selector.CategoryData {
				i = catData
			}
			if s.InsightType == selector.APICallRateInsight {
				d.call[i] = true
			} else {
				d.errs[i] = true
			}
			d.enabled = true
		}
	}
	d.ids = uuid.NewSHA1(uuid.NameSpaceURL, []byte("trailkit:insight:"+cfg.AccountID+":"+cfg.Region+":"+cfg.Trail))
	return d, nil
}

// Enabled reports whether any analysis is on. The trail may skip a detector
// that is not.
func (d *Detector) Enabled() bool { return d.enabled }

// Config returns the detector's configuration with the defaults filled in.
func (d *Detector) Config() Config {
	c := d.cfg
	c.Selectors = append([]selector.InsightSelector(nil), c.Selectors...)
	for i := range c.Selectors {
		if cats := c.Selectors[i].EventCategories; cats != nil {
			c.Selectors[i].EventCategories = append([]string{}, cats...)
		}
	}
	return c
}

// nullValue is the attribution value of a record without the attribute, as
// CloudTrail writes errorCode "null" for calls that did not fail.
const nullValue = "null"

// Observe counts one record the trail logs. It reads the record and keeps
// none of it past the next Advance: the analysis keeps its own copies of
// the strings it needs. It does not allocate once the record's API and
// attribute values have been seen, and takes one short lock per record,
// that of the record's API.
//
// Which records count is CloudTrail's rule: for management events the call
// rate counts write events (readOnly false) and the error rate counts every
// event with an errorCode; for data events both count every event. Records
// of other categories, Insights events included, are ignored, and so are
// records the trail's InsightSelectors do not cover.
func (d *Detector) Observe(r *event.Record) {
	if r == nil || !d.enabled {
		return
	}
	var cat uint8
	switch r.Category() {
	case event.CategoryManagement:
		cat = catManagement
	case event.CategoryData:
		cat = catData
	default:
		return
	}
	call := d.call[cat] && (cat == catData || r.ReadOnly != nil && !*r.ReadOnly)
	errs := d.errs[cat] && r.ErrorCode != ""
	if !call && !errs || r.EventSource == "" || r.EventName == "" {
		return
	}
	m := minuteOf(r.EventTime)
	if d.closed.Load() == noMinute {
		d.startClock(m)
	}
	a := d.lookup(apiKey{cat, r.EventSource, r.EventName})
	if a == nil {
		d.overflow.Add(1)
		return
	}

	var v attrValues
	v.value[attrARN] = nullValue
	if r.UserIdentity != nil && r.UserIdentity.ARN != "" {
		v.value[attrARN] = r.UserIdentity.ARN
	}
	v.value[attrAgent] = nullValue
	if r.UserAgent != "" {
		v.value[attrAgent] = r.UserAgent
	}
	v.value[attrError] = nullValue
	if r.ErrorCode != "" {
		v.value[attrError] = r.ErrorCode
	}
	v.hash[attrARN] = fingerprint(v.value[attrARN])
	v.hash[attrAgent] = fingerprint(v.value[attrAgent])
	v.hash[attrError] = fingerprint(v.value[attrError])

	a.mu.Lock()
	switch {
	case m <= a.folded:
		a.mu.Unlock()
		d.late.Add(1)
		return
	case m > a.folded+int64(d.g.ring):
		a.mu.Unlock()
		d.early.Add(1)
		return
	}
	slot := ringSlot(m, d.g.ring)
	counted := false
	if call {
		if a.call == nil && d.reserveSeries() {
			a.call = newSeries(&d.g, callRate, "")
		}
		if a.call != nil {
			a.call.add(&d.g, slot, &v)
			counted = true
		} else {
			d.overflow.Add(1)
		}
	}
	if errs {
		if s := a.errSeries(d, r.ErrorCode); s != nil {
			s.add(&d.g, slot, &v)
			counted = true
		} else {
			d.overflow.Add(1)
		}
	}
	if counted {
		a.counted++
	}
	a.mu.Unlock()
}

// minuteOf is the minute number of t: minutes since the Unix epoch.
func minuteOf(t time.Time) int64 {
	s := t.Unix()
	m := s / 60
	if s%60 < 0 {
		m--
	}
	return m
}

func ringSlot(m int64, n int) int {
	i := int(m % int64(n))
	if i < 0 {
		i += n
	}
	return i
}

// startClock starts the clock at minute m, if it has not started yet:
// history begins with m, and the minutes before it, which the detector did
// not watch, are closed.
func (d *Detector) startClock(m int64) {
	d.advMu.Lock()
	defer d.advMu.Unlock()
	d.startClockLocked(m)
}

func (d *Detector) startClockLocked(m int64) {
	if d.closed.Load() == noMinute {
		d.origin.Store(m)
		d.closed.Store(m - 1)
	}
}

func (d *Detector) lookup(k apiKey) *api {
	h := k.hash()
	if a := d.apis.Load().find(k, h); a != nil {
		return a
	}
	return d.lookupSlow(k, h)
}

func (d *Detector) lookupSlow(k apiKey, h uint64) *api {
	d.mu.Lock()
	defer d.mu.Unlock()
	if a := d.apis.Load().find(k, h); a != nil {
		return a
	}
	if a := d.recent[k]; a != nil {
		// The API is in use: publish it now while copying the snapshot is
		// cheap; a large snapshot waits for the next Advance.
		if d.apis.Load().n < 1024 {
			d.mergeLocked()
		}
		return a
	}
	// MaxSeries bounds the APIs too, so that records with ever new names
	// cannot grow memory without end.
	if d.apis.Load().n+len(d.recent) >= d.cfg.MaxSeries {
		return nil
	}
	a := &api{key: apiKey{k.cat, strings.Clone(k.source), strings.Clone(k.name)}, hash: h, folded: d.closed.Load()}
	d.recent[a.key] = a
	// Merging copies the snapshot; doing it when recent has grown by a
	// quarter of it keeps the copying linear in the number of APIs.
	if len(d.recent) > 64+d.apis.Load().n/4 {
		d.mergeLocked()
	}
	return a
}

func (d *Detector) reserveSeries() bool {
	for {
		n := d.nseries.Load()
		if n >= int64(d.cfg.MaxSeries) {
			return false
		}
		if d.nseries.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// errSeries returns the error-rate series of code, creating it; nil when
// MaxSeries is reached. a.mu is held.
func (a *api) errSeries(d *Detector, code string) *series {
	for _, s := range a.errs {
		if s.code == code {
			return s
		}
	}
	if !d.reserveSeries() {
		return nil
	}
	s := newSeries(&d.g, errorRate, strings.Clone(code))
	a.errs = append(a.errs, s)
	return s
}

// merge publishes a snapshot holding the recent APIs.
func (d *Detector) merge() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.mergeLocked()
}

func (d *Detector) mergeLocked() {
	if len(d.recent) == 0 {
		return
	}
	list := d.apis.Load().all()
	for _, a := range d.recent {
		list = append(list, a)
	}
	d.apis.Store(newAPIIndex(list))
	d.recent = map[apiKey]*api{}
}

// sortedAPIs returns every API in a fixed order, so that Advance emits in
// an order that does not depend on map iteration.
func (d *Detector) sortedAPIs() []*api {
	d.merge()
	list := d.apis.Load().all()
	sort.Slice(list, func(i, j int) bool { return list[i].key.less(list[j].key) })
	return list
}

func (k apiKey) less(o apiKey) bool {
	if k.cat != o.cat {
		return k.cat < o.cat
	}
	if k.source != o.source {
		return k.source < o.source
	}
	return k.name < o.name
}

// Advance moves the detector's clock to now: it closes every minute that is
// no longer open (see Config.MinuteBuckets), judges each closed minute of
// each series against its baseline and returns the Insights events that
// begin or end in them, Start before End of the same series, in order of
// eventTime. Call it on the trail's clock, at least once a minute; a now
// that goes back in time closes nothing. Records observed later for a
// closed minute are counted in Stats.Late.
//
// The records are complete CloudTrail Insights events: write them, in a
// {"Records":[...]} log file, under the CloudTrail-Insight key layout.
func (d *Detector) Advance(now time.Time) []*event.Record {
	if !d.enabled {
		return nil
	}
	d.advMu.Lock()
	defer d.advMu.Unlock()
	if d.closed.Load() == noMinute {
		d.startClockLocked(minuteOf(now))
		return nil
	}
	target := minuteOf(now) - int64(d.cfg.MinuteBuckets)
	closed := d.closed.Load()
	if target <= closed {
		d.merge()
		return nil
	}
	// Publish the new clock before the APIs are listed, so that an API
	// created during the pass starts at target and one created before it
	// is in the list.
	d.closed.Store(target)
	var out []*event.Record
	for _, a := range d.sortedAPIs() {
		a.mu.Lock()
		a.advance(d, target, &out)
		a.mu.Unlock()
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].EventTime.Before(out[j].EventTime) })
	return out
}

// Stats describes what the detector has counted.
type Stats struct {
	// Counted is the number of records counted by at least one analysis.
	Counted uint64
	// Late counts records whose minute was already closed when they came;
	// Early those more than MinuteBuckets minutes ahead of the clock.
	// Neither is analysed.
	Late, Early uint64
	// Overflow counts records not analysed because MaxSeries was reached.
	Overflow uint64
	// Series is the number of series analysed; Open the number of Insights
	// that have started and not yet ended.
	Series, Open int
}

// Stats returns the detector's counters.
func (d *Detector) Stats() Stats {
	st := Stats{Late: d.late.Load(), Early: d.early.Load(), Overflow: d.overflow.Load(), Series: int(d.nseries.Load())}
	d.mu.Lock()
	var list []*api
	list = append(list, d.apis.Load().all()...)
	for _, a := range d.recent {
		list = append(list, a)
	}
	d.mu.Unlock()
	for _, a := range list {
		a.mu.Lock()
		st.Counted += a.counted
		a.each(func(s *series) {
			if s.open != nil {
				st.Open++
			}
		})
		a.mu.Unlock()
	}
	return st
}

func (a *api) each(f func(*series)) {
	if a.call != nil {
		f(a.call)
	}
	for _, s := range a.errs {
		f(s)
	}
}
