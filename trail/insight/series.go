package insight

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

// kind is the analysis a series belongs to.
type kind uint8

const (
	callRate  kind = 1
	errorRate kind = 2
)

// Attributes, in the order CloudTrail writes their attributions. Error-rate
// series track the first two: their error code is the series' own.
const (
	attrARN = iota
	attrAgent
	attrError
	numAttrs
)

var attrNames = [numAttrs]string{"userIdentityArn", "userAgent", "errorCode"}

func (k kind) attrs() int {
	if k == errorRate {
		return 2
	}
	return numAttrs
}

// tracked is how many values of each attribute a series tracks. CloudTrail
// writes the top five; the rest is headroom so that a value climbing into
// the top five is already being counted.
const tracked = 16

// topN is how many values an attribution lists.
const topN = 5

// series is the per-minute count of one subject: an API's calls, or its
// calls that failed with one error code.
type series struct {
	kind kind
	code string // the error code of an error-rate series

	// mins counts the open minutes: minute m is in mins[m mod ring]. The
	// api's folded minute says which minutes are open, so a slot needs no
	// minute number of its own.
	mins []uint32
	// days holds the window's days and the current one: day n is in
	// days[n mod len(days)]. curDay is the current day, noMinute before the
	// first.
	days   []dayStat
	curDay int64

	attrs []attrTable
	open  *anomaly // the Insight in progress, nil when none
}

// dayStat sums a day's per-minute counts and their squares: enough for the
// mean and the variance of the counts over any set of whole days.
type dayStat struct {
	day        int64
	sum, sumsq uint64
}

// anomaly is an Insight in progress: what its Start said, and what its End
// will say.
type anomaly struct {
	start  int64  // first minute
	dur    int64  // minutes so far
	total  uint64 // count over those minutes
	shared string // sharedEventID
	// The baseline as it was at the start, which both records carry.
	mean     float64
	minutes  int64
	baseline [][]attrValue
}

type attrValue struct {
	value string
	avg   float64
}

// attrValues are one record's attribute values and their hashes.
type attrValues struct {
	value [numAttrs]string
	hash  [numAttrs]uint64
}

// attrTable counts the values of one attribute of a series: a bounded
// table in which a new value takes a free entry or, when all are taken,
// the entry of the value with the least weight (its count over the window
// and the open minutes), as in the space-saving algorithm. Heavy values
// therefore stay and are counted exactly; light ones come and go.
type attrTable struct {
	n int
	// tags holds the top byte of each entry's hash, eight to a word, so
	// that one word operation compares eight entries (as swiss tables do).
	tags   [tracked / 8]uint64
	hash   [tracked]uint64
	weight [tracked]uint64
	value  [tracked]string
	// borrowed has bit i set while value[i] is the record's own string;
	// the next Advance replaces it with a copy. Copying on the hot path
	// would allocate for every new value.
	borrowed uint32
	// counts holds, for each entry, stride counters: the ring's minutes,
	// the window's days, and the count during the Insight in progress.
	counts []uint32
}

func newSeries(g *geometry, k kind, code string) *series {
	s := &series{
		kind:   k,
		code:   code,
		mins:   make([]uint32, g.ring),
		days:   make([]dayStat, g.days),
		curDay: noMinute,
		attrs:  make([]attrTable, k.attrs()),
	}
	for i := range s.attrs {
		s.attrs[i].counts = make([]uint32, tracked*g.stride)
	}
	return s
}

// add counts one record in the minute of ring slot.
func (s *series) add(g *geometry, slot int, v *attrValues) {
	s.mins[slot] = satInc(s.mins[slot])
	for i := range s.attrs {
		s.attrs[i].add(g, slot, v.hash[i], v.value[i])
	}
}

func satAdd(a, b uint32) uint32 {
	if c := a + b; c >= a {
		return c
	}
	return math.MaxUint32
}

func satInc(n uint32) uint32 {
	if n == math.MaxUint32 {
		return n
	}
	return n + 1
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// find returns the entry of value v with hash h, or -1.
func (t *attrTable) find(h uint64, v string) int {
	pattern := (h >> 56) * lsb
	for w, tags := range t.tags {
		// The bytes of x that are zero are the entries whose tag matches;
		// m has their top bits set (and perhaps, past a match, a false
		// one, which the comparison below rejects).
		x := tags ^ pattern
		for m := (x - lsb) &^ x & msb; m != 0; m &= m - 1 {
			i := w*8 + bits.TrailingZeros64(m)>>3
			if i < t.n && t.hash[i] == h && t.value[i] == v {
				return i
			}
		}
	}
	return -1
}

func (t *attrTable) setHash(i int, h uint64) {
	t.hash[i] = h
	shift := uint(i%8) * 8
	t.tags[i/8] = t.tags[i/8]&^(0xff<<shift) | (h>>56)<<shift
}

func (t *attrTable) add(g *geometry, slot int, h uint64, v string) {
	if i := t.find(h, v); i >= 0 {
		c := &t.counts[i*g.stride+slot]
		*c = satInc(*c)
		t.weight[i]++
		return
	}
	i := t.n
	if i < tracked {
		t.n++
	} else {
		i = 0
		for j := 1; j < tracked; j++ {
			if t.weight[j] < t.weight[i] {
				i = j
			}
		}
		clear(t.counts[i*g.stride : (i+1)*g.stride])
	}
	t.setHash(i, h)
	t.value[i], t.weight[i] = v, 1
	t.borrowed |= 1 << i
	t.counts[i*g.stride+slot] = 1
}

// settle replaces borrowed strings with copies.
func (t *attrTable) settle() {
	for t.borrowed != 0 {
		i := bitIndex(t.borrowed)
		t.value[i] = strings.Clone(t.value[i])
		t.borrowed &^= 1 << i
	}
}

func bitIndex(b uint32) int {
	i := 0
	for b&1 == 0 {
		b >>= 1
		i++
	}
	return i
}

// advance folds the minutes after a.folded up to target into the series of
// a, appending the Insights events they begin or end to out.
func (a *api) advance(d *Detector, target int64, out *[]*event.Record) {
	a.each(func(s *series) {
		for i := range s.attrs {
			s.attrs[i].settle()
		}
	})
	ring := int64(d.g.ring)
	last := min(target, a.folded+ring)
	for m := a.folded + 1; m <= last; m++ {
		slot := ringSlot(m, d.g.ring)
		a.each(func(s *series) { s.step(d, a, m, slot, out) })
	}
	if target > last {
		a.each(func(s *series) { s.idle(d, a, last+1, target, out) })
	}
	a.folded = target
}

func dayOf(m int64) int64 {
	n := m / minutesPerDay
	if m%minutesPerDay < 0 {
		n--
	}
	return n
}

// step judges minute m, held in ring slot, then folds it into the current
// day.
func (s *series) step(d *Detector, a *api, m int64, slot int, out *[]*event.Record) {
	g := &d.g
	s.rotate(g, dayOf(m))
	c := s.mins[slot]
	if s.open != nil || int64(c) >= int64(d.cfg.MinVolume) {
		s.judge(d, a, m, slot, c, out)
	}
	if c == 0 {
		return
	}
	di := ringSlot(s.curDay, g.days)
	ds := &s.days[di]
	ds.sum += uint64(c)
	ds.sumsq += uint64(c) * uint64(c)
	s.mins[slot] = 0
	for i := range s.attrs {
		t := &s.attrs[i]
		for e := 0; e < t.n; e++ {
			row := t.counts[e*g.stride : (e+1)*g.stride]
			n := row[slot]
			if n == 0 {
				continue
			}
			row[slot] = 0
			row[g.ring+di] = satAdd(row[g.ring+di], n)
			if s.open != nil {
				row[g.ring+g.days] = satAdd(row[g.ring+g.days], n)
			}
		}
	}
}

// idle handles minutes from to to, which had no records: the first ends
// the Insight in progress, if any.
func (s *series) idle(d *Detector, a *api, from, to int64, out *[]*event.Record) {
	if s.open != nil {
		s.rotate(&d.g, dayOf(from))
		s.end(d, a, from, out)
	}
	s.rotate(&d.g, dayOf(to))
}

// rotate makes day the current day, expiring the days that leave the
// window.
func (s *series) rotate(g *geometry, day int64) {
	if s.curDay == day {
		return
	}
	from := day - int64(g.days) + 1
	if s.curDay != noMinute && s.curDay+1 > from {
		from = s.curDay + 1
	}
	for n := from; n <= day; n++ {
		di := ringSlot(n, g.days)
		s.days[di] = dayStat{day: n}
		for i := range s.attrs {
			t := &s.attrs[i]
			for e := 0; e < t.n; e++ {
				c := &t.counts[e*g.stride+g.ring+di]
				t.weight[e] -= uint64(*c)
				*c = 0
			}
		}
	}
	s.curDay = day
}

// baseline returns the mean and standard deviation of the per-minute count
// over the baseline of minute m, and the baseline's length in minutes.
func (s *series) baseline(d *Detector, m int64) (mean, sd float64, minutes int64) {
	var sum, sumsq float64
	for _, ds := range s.days {
		sum += float64(ds.sum)
		sumsq += float64(ds.sumsq)
	}
	from := max(d.origin.Load(), (s.curDay-int64(d.g.days)+1)*minutesPerDay)
	minutes = m - from
	if minutes <= 0 {
		return 0, 0, 0
	}
	n := float64(minutes)
	mean = sum / n
	sd = math.Sqrt(max(sumsq/n-mean*mean, 0))
	return mean, sd, minutes
}

// judge decides whether minute m, with count c, starts, continues or ends
// an Insight.
func (s *series) judge(d *Detector, a *api, m int64, slot int, c uint32, out *[]*event.Record) {
	mean, sd, minutes := s.baseline(d, m)
	// A count of calls varies at least as a Poisson count does, by the
	// square root of its mean; without this floor an API called at a
	// perfectly steady rate would raise an Insight for one extra call.
	spread := max(sd, math.Sqrt(mean))
	x := float64(c)
	if s.open == nil {
		if minutes < int64(d.cfg.MinBaseline/time.Minute) || int64(c) < int64(d.cfg.MinVolume) || x <= mean+d.cfg.Deviations*spread {
			return
		}
		s.begin(d, a, m, slot, c, mean, minutes, out)
		return
	}
	// An Insight goes on while the count stays above half the threshold's
	// distance from the mean, so that a burst hovering at the threshold
	// makes one Insight, not several.
	if x > mean+d.cfg.Deviations/2*spread {
		s.open.dur++
		s.open.total += uint64(c)
		return
	}
	s.end(d, a, m, out)
}

func (s *series) begin(d *Detector, a *api, m int64, slot int, c uint32, mean float64, minutes int64, out *[]*event.Record) {
	g := &d.g
	o := &anomaly{start: m, dur: 1, total: uint64(c), mean: mean, minutes: minutes}
	o.shared = d.sharedID(a, s, m)
	o.baseline = make([][]attrValue, len(s.attrs))
	insight := make([][]attrValue, len(s.attrs))
	for i := range s.attrs {
		t := &s.attrs[i]
		o.baseline[i] = t.top(g, float64(minutes), func(row []uint32) uint64 {
			var n uint64
			for _, c := range row[g.ring : g.ring+g.days] {
				n += uint64(c)
			}
			return n
		})
		insight[i] = t.top(g, 1, func(row []uint32) uint64 { return uint64(row[slot]) })
	}
	s.open = o
	*out = append(*out, d.record(a, s, "Start", m, float64(c), insight))
}

func (s *series) end(d *Detector, a *api, m int64, out *[]*event.Record) {
	g := &d.g
	o := s.open
	insight := make([][]attrValue, len(s.attrs))
	for i := range s.attrs {
		t := &s.attrs[i]
		insight[i] = t.top(g, float64(o.dur), func(row []uint32) uint64 { return uint64(row[g.ring+g.days]) })
		for e := 0; e < t.n; e++ {
			t.counts[e*g.stride+g.ring+g.days] = 0
		}
	}
	*out = append(*out, d.record(a, s, "End", o.start+o.dur, float64(o.total)/float64(o.dur), insight))
	s.open = nil
}

// top lists the topN values of t by count, each with count/per as its
// average, by descending count and then by value.
func (t *attrTable) top(g *geometry, per float64, count func(row []uint32) uint64) []attrValue {
	type vc struct {
		v string
		n uint64
	}
	list := make([]vc, 0, t.n)
	for e := 0; e < t.n; e++ {
		if n := count(t.counts[e*g.stride : (e+1)*g.stride]); n > 0 {
			list = append(list, vc{t.value[e], n})
		}
	}
	slices.SortFunc(list, func(x, y vc) int {
		if x.n != y.n {
			if x.n > y.n {
				return -1
			}
			return 1
		}
		return strings.Compare(x.v, y.v)
	})
	list = list[:min(len(list), topN)]
	out := make([]attrValue, len(list))
	for i, x := range list {
		out[i] = attrValue{strings.Clone(x.v), float64(x.n) / per}
	}
	return out
}
