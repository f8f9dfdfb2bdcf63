package insight

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The state encoding: a magic string and a version, then varints. Minutes
// and days are written as absolute numbers rather than ring positions, so
// that state written with one Window or MinuteBuckets can be read by a
// detector configured with another.
const (
	stateMagic   = "trailkit-insight"
	stateVersion = 1
)

// ErrState is wrapped by the errors UnmarshalBinary returns.
var ErrState = errors.New("bad insight detector state")

// MarshalBinary encodes the detector's state: its clock, and for every
// series the open minutes, the baseline days, the tracked attribute values
// and the Insight in progress. A detector restored from it with
// UnmarshalBinary continues exactly as this one would: the same Insights
// events, with the same IDs.
//
// It is safe to call at any time; the state is exact when no Observe runs
// at the same time (a record observed during the call may or may not be
// in it). The trail persists it with its spool, typically right after an
// Advance.
func (d *Detector) MarshalBinary() ([]byte, error) { return d.AppendBinary(nil) }

// AppendBinary appends the encoding MarshalBinary returns to b.
func (d *Detector) AppendBinary(b []byte) ([]byte, error) {
	d.advMu.Lock()
	defer d.advMu.Unlock()
	b = append(b, stateMagic...)
	b = append(b, stateVersion)
	b = binary.AppendVarint(b, d.closed.Load())
	b = binary.AppendVarint(b, d.origin.Load())
	b = binary.AppendUvarint(b, d.late.Load())
	b = binary.AppendUvarint(b, d.early.Load())
	b = binary.AppendUvarint(b, d.overflow.Load())
	apis := d.sortedAPIs()
	b = binary.AppendUvarint(b, uint64(len(apis)))
	for _, a := range apis {
		a.mu.Lock()
		b = d.appendAPI(b, a)
		a.mu.Unlock()
	}
	return b, nil
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func (d *Detector) appendAPI(b []byte, a *api) []byte {
	b = append(b, a.key.cat)
	b = appendString(b, a.key.source)
	b = appendString(b, a.key.name)
	b = binary.AppendVarint(b, a.folded)
	b = binary.AppendUvarint(b, a.counted)
	n := len(a.errs)
	if a.call != nil {
		n++
	}
	b = binary.AppendUvarint(b, uint64(n))
	a.each(func(s *series) { b = d.appendSeries(b, a, s) })
	return b
}

// openMinutes lists the minutes a ring holds when folded is the last
// folded minute, with their slots.
func (g *geometry) openMinutes(folded int64, f func(m int64, slot int)) {
	for m := folded + 1; m <= folded+int64(g.ring); m++ {
		f(m, ringSlot(m, g.ring))
	}
}

// appendCounts writes the non-zero counters of a ring: minutes, or days.
func appendCounts(b []byte, n int, at func(i int) (key int64, count uint64)) []byte {
	k := 0
	for i := range n {
		if _, c := at(i); c != 0 {
			k++
		}
	}
	b = binary.AppendUvarint(b, uint64(k))
	for i := range n {
		if key, c := at(i); c != 0 {
			b = binary.AppendVarint(b, key)
			b = binary.AppendUvarint(b, c)
		}
	}
	return b
}

func (d *Detector) appendSeries(b []byte, a *api, s *series) []byte {
	g := &d.g
	b = append(b, byte(s.kind))
	b = appendString(b, s.code)
	mins := make([]int64, 0, g.ring)
	slots := make([]int, 0, g.ring)
	g.openMinutes(a.folded, func(m int64, slot int) { mins, slots = append(mins, m), append(slots, slot) })
	b = appendCounts(b, len(mins), func(i int) (int64, uint64) { return mins[i], uint64(s.mins[slots[i]]) })
	b = binary.AppendVarint(b, s.curDay)
	b = appendCounts(b, len(s.days), func(i int) (int64, uint64) { return s.days[i].day, s.days[i].sum })
	for i := range s.days {
		if s.days[i].sum != 0 {
			b = binary.AppendUvarint(b, s.days[i].sumsq)
		}
	}
	b = binary.AppendUvarint(b, uint64(len(s.attrs)))
	for i := range s.attrs {
		t := &s.attrs[i]
		b = binary.AppendUvarint(b, uint64(t.n))
		for e := 0; e < t.n; e++ {
			row := t.counts[e*g.stride : (e+1)*g.stride]
			b = appendString(b, t.value[e])
			b = appendCounts(b, len(mins), func(i int) (int64, uint64) { return mins[i], uint64(row[slots[i]]) })
			b = appendCounts(b, g.days, func(i int) (int64, uint64) { return s.days[i].day, uint64(row[g.ring+i]) })
			b = binary.AppendUvarint(b, uint64(row[g.ring+g.days]))
		}
	}
	if s.open == nil {
		return append(b, 0)
	}
	o := s.open
	b = append(b, 1)
	b = binary.AppendVarint(b, o.start)
	b = binary.AppendVarint(b, o.dur)
	b = binary.AppendUvarint(b, o.total)
	b = appendString(b, o.shared)
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(o.mean))
	b = binary.AppendVarint(b, o.minutes)
	b = binary.AppendUvarint(b, uint64(len(o.baseline)))
	for _, list := range o.baseline {
		b = binary.AppendUvarint(b, uint64(len(list)))
		for _, v := range list {
			b = appendString(b, v.value)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.avg))
		}
	}
	return b
}

// UnmarshalBinary restores state written by MarshalBinary into a detector
// that has not observed or advanced yet, typically one just made with New
// when the trail starts. The configuration may differ from the one the
// state was written with: series of analyses that are now off are dropped,
// baseline days outside a shorter window are dropped, and open minutes
// that no longer fit MinuteBuckets are counted in Stats.Late.
func (d *Detector) UnmarshalBinary(data []byte) error {
	d.advMu.Lock()
	defer d.advMu.Unlock()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed.Load() != noMinute || d.apis.Load().n > 0 || len(d.recent) > 0 {
		return fmt.Errorf("%w: UnmarshalBinary on a detector that is already running", ErrState)
	}
	r := &reader{buf: data}
	if len(data) < len(stateMagic)+1 || string(data[:len(stateMagic)]) != stateMagic {
		return fmt.Errorf("%w: not detector state (no %q header)", ErrState, stateMagic)
	}
	r.pos = len(stateMagic)
	if v := r.byte(); v != stateVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrState, v, stateVersion)
	}
	closed, origin := r.minuteOrNone(), r.minuteOrNone()
	late, early, overflow := r.uvarint(), r.uvarint(), r.uvarint()
	n := r.count()
	apis := make(map[apiKey]*api, n)
	var nseries int64
	for i := 0; i < n && r.err == nil; i++ {
		a, dropped := d.readAPI(r, i)
		late += dropped
		if a == nil || r.err != nil {
			continue
		}
		if _, dup := apis[a.key]; dup {
			r.fail(fmt.Sprintf("api %d (%s %s) appears twice", i, a.key.source, a.key.name))
			break
		}
		if a.call == nil && len(a.errs) == 0 {
			continue
		}
		a.each(func(*series) { nseries++ })
		apis[a.key] = a
	}
	if r.err == nil && r.pos != len(data) {
		r.fail(fmt.Sprintf("%d bytes after the state", len(data)-r.pos))
	}
	if r.err != nil {
		return r.err
	}
	if nseries > int64(d.cfg.MaxSeries) {
		return fmt.Errorf("%w: %d series, more than MaxSeries (%d)", ErrState, nseries, d.cfg.MaxSeries)
	}
	if (closed == noMinute) != (origin == noMinute) || closed != noMinute && origin > closed+1 {
		return fmt.Errorf("%w: clock (closed minute %d, origin %d) is inconsistent", ErrState, closed, origin)
	}
	if closed == noMinute && len(apis) > 0 {
		return fmt.Errorf("%w: series without a clock", ErrState)
	}
	list := make([]*api, 0, len(apis))
	for _, a := range apis {
		list = append(list, a)
	}
	d.apis.Store(newAPIIndex(list))
	d.nseries.Store(nseries)
	d.closed.Store(closed)
	d.origin.Store(origin)
	d.late.Store(late)
	d.early.Store(early)
	d.overflow.Store(overflow)
	return nil
}

// readAPI reads one API, keeping the series the configuration analyses.
// It returns the count of records in open minutes it had to drop.
func (d *Detector) readAPI(r *reader, i int) (*api, uint64) {
	cat := r.byte()
	if r.err == nil && cat != catManagement && cat != catData {
		r.fail(fmt.Sprintf("api %d: category %d", i, cat))
	}
	a := &api{key: apiKey{cat: cat, source: r.str(), name: r.str()}, folded: r.minute(), counted: r.uvarint()}
	a.hash = a.key.hash()
	ns := r.count()
	var dropped uint64
	for j := 0; j < ns && r.err == nil; j++ {
		s, lost := d.readSeries(r, a, fmt.Sprintf("api %d series %d", i, j))
		dropped += lost
		if s == nil || r.err != nil {
			continue
		}
		switch {
		case s.kind == callRate && d.call[cat]:
			if a.call != nil {
				r.fail(fmt.Sprintf("api %d: two call-rate series", i))
			}
			a.call = s
		case s.kind == errorRate && d.errs[cat]:
			for _, e := range a.errs {
				if e.code == s.code {
					r.fail(fmt.Sprintf("api %d: two error-rate series for %q", i, s.code))
				}
			}
			a.errs = append(a.errs, s)
		}
	}
	if r.err != nil {
		return nil, dropped
	}
	return a, dropped
}

func (d *Detector) readSeries(r *reader, a *api, at string) (*series, uint64) {
	g := &d.g
	k := kind(r.byte())
	if r.err == nil && k != callRate && k != errorRate {
		r.fail(at + fmt.Sprintf(": kind %d", k))
		return nil, 0
	}
	s := newSeries(g, k, r.str())
	var dropped uint64
	// Open minutes: kept in the ring when they fit the current geometry.
	minuteSlot := func(m int64) (int, bool) {
		if m <= a.folded || m > a.folded+int64(g.ring) {
			return 0, false
		}
		return ringSlot(m, g.ring), true
	}
	for n := r.count(); n > 0 && r.err == nil; n-- {
		m, c := r.minute(), r.count32()
		if slot, ok := minuteSlot(m); ok {
			s.mins[slot] = c
		} else {
			dropped += uint64(c)
		}
	}
	s.curDay = r.minuteOrNone()
	daySlot := func(day int64) (int, bool) {
		if s.curDay == noMinute || day > s.curDay || day <= s.curDay-int64(g.days) {
			return 0, false
		}
		return ringSlot(day, g.days), true
	}
	if s.curDay != noMinute {
		for n := s.curDay - int64(g.days) + 1; n <= s.curDay; n++ {
			s.days[ringSlot(n, g.days)].day = n
		}
	}
	type daySum struct {
		day int64
		sum uint64
	}
	var sums []daySum
	for n := r.count(); n > 0 && r.err == nil; n-- {
		sums = append(sums, daySum{r.minute(), r.uvarint()})
	}
	for _, x := range sums {
		sumsq := r.uvarint()
		if di, ok := daySlot(x.day); ok {
			s.days[di].sum, s.days[di].sumsq = x.sum, sumsq
		}
	}
	if na := r.count(); r.err == nil && na != len(s.attrs) {
		r.fail(fmt.Sprintf("%s: %d attributes, want %d", at, na, len(s.attrs)))
	}
	for i := 0; i < len(s.attrs) && r.err == nil; i++ {
		t := &s.attrs[i]
		t.n = r.count()
		if t.n > tracked {
			r.fail(fmt.Sprintf("%s: %d tracked values, at most %d", at, t.n, tracked))
			break
		}
		for e := 0; e < t.n && r.err == nil; e++ {
			row := t.counts[e*g.stride : (e+1)*g.stride]
			t.value[e] = r.str()
			t.setHash(e, fingerprint(t.value[e]))
			for n := r.count(); n > 0 && r.err == nil; n-- {
				m, c := r.minute(), r.count32()
				if slot, ok := minuteSlot(m); ok {
					row[slot] = c
					t.weight[e] += uint64(c)
				}
			}
			for n := r.count(); n > 0 && r.err == nil; n-- {
				day, c := r.minute(), r.count32()
				if di, ok := daySlot(day); ok {
					row[g.ring+di] = c
					t.weight[e] += uint64(c)
				}
			}
			row[g.ring+g.days] = r.count32()
		}
	}
	switch open := r.byte(); {
	case r.err != nil:
	case open == 1:
		o := &anomaly{start: r.minute(), dur: r.minute(), total: r.uvarint(), shared: r.str(), mean: r.float(), minutes: r.minute()}
		if na := r.count(); r.err == nil && na != len(s.attrs) {
			r.fail(fmt.Sprintf("%s: Insight with %d baseline attributions, want %d", at, na, len(s.attrs)))
		}
		o.baseline = make([][]attrValue, len(s.attrs))
		for i := 0; i < len(s.attrs) && r.err == nil; i++ {
			n := r.count()
			if n > topN {
				r.fail(fmt.Sprintf("%s: %d baseline values, at most %d", at, n, topN))
				break
			}
			o.baseline[i] = make([]attrValue, n)
			for j := range n {
				o.baseline[i][j] = attrValue{r.str(), r.float()}
			}
		}
		if r.err == nil && (o.dur < 1 || o.minutes < 1) {
			r.fail(fmt.Sprintf("%s: Insight of %d minutes on a baseline of %d", at, o.dur, o.minutes))
		}
		s.open = o
	case open != 0:
		r.fail(fmt.Sprintf("%s: Insight flag %d", at, open))
	}
	return s, dropped
}

// reader decodes the state, remembering the first error.
type reader struct {
	buf []byte
	pos int
	err error
}

func (r *reader) fail(msg string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: at byte %d: %s", ErrState, r.pos, msg)
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.pos >= len(r.buf) {
		r.fail("unexpected end")
		return 0
	}
	r.pos++
	return r.buf[r.pos-1]
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf[r.pos:])
	if n <= 0 {
		r.fail("bad or truncated number")
		return 0
	}
	r.pos += n
	return v
}

// maxMinute bounds the minute and day numbers of a state, far beyond any
// real clock, so that no arithmetic on them overflows.
const maxMinute = 1 << 50

// minute reads a minute or day number, or a length in minutes.
func (r *reader) minute() int64 {
	v := r.varint()
	if r.err == nil && (v > maxMinute || v < -maxMinute) {
		r.fail(fmt.Sprintf("minute %d out of range", v))
		return 0
	}
	return v
}

// minuteOrNone reads a minute that may be noMinute.
func (r *reader) minuteOrNone() int64 {
	v := r.varint()
	if r.err == nil && v != noMinute && (v > maxMinute || v < -maxMinute) {
		r.fail(fmt.Sprintf("minute %d out of range", v))
		return 0
	}
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf[r.pos:])
	if n <= 0 {
		r.fail("bad or truncated number")
		return 0
	}
	r.pos += n
	return v
}

// count reads a length, which cannot exceed the bytes left since every
// element takes at least one: that bounds what decoding allocates.
func (r *reader) count() int {
	v := r.uvarint()
	if r.err == nil && v > uint64(len(r.buf)-r.pos) {
		r.fail(fmt.Sprintf("length %d exceeds the %d bytes left", v, len(r.buf)-r.pos))
		return 0
	}
	return int(v)
}

func (r *reader) count32() uint32 {
	v := r.uvarint()
	if r.err == nil && v > math.MaxUint32 {
		r.fail(fmt.Sprintf("count %d out of range", v))
		return 0
	}
	return uint32(v)
}

func (r *reader) str() string {
	n := r.count()
	if r.err != nil {
		return ""
	}
	s := string(r.buf[r.pos : r.pos+n])
	r.pos += n
	return s
}

func (r *reader) float() float64 {
	if r.err != nil {
		return 0
	}
	if len(r.buf)-r.pos < 8 {
		r.fail("unexpected end")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.buf[r.pos:]))
	r.pos += 8
	if math.IsNaN(v) || math.IsInf(v, 0) {
		r.fail("average is not a finite number")
		return 0
	}
	return v
}
