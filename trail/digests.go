package trail

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trailkit/trailkit/digest"
)

// digestPeriod is the length of a digest's period.
const digestPeriod = time.Hour

func (c *Config) digestsEnabled() bool { return c.Digests.Signer != nil || c.Digests.Keys != nil }

// digests delivers, for each sink, one signed digest per account and region
// per hour: periods run from logging start to the next whole hour, then
// hour by hour, and the last one ends when logging stops. A log file
// belongs to the period holding its delivery time, start included and end
// excluded, as CloudTrail lists the files delivered during a digest's
// period: the minute its key names is then in the same period, so a writer
// sealing another's files from their keys (see sealer) dates them alike.
// A period's digests are sealed once the period is over and each of its
// files is in the sink, so the digest lists exactly the files of its hour.
type digests struct {
	t       *Trail
	sinks   []*sinkDigests
	journal *journal // with a Spool: the files of periods not yet sealed

	mu      sync.Mutex // guards timer
	timer   Timer
	stopped bool
}

// sinkDigests is the digest state of one sink.
type sinkDigests struct {
	d   *digests
	idx int // in t.sinks, as the journal names it
	s   *sinkState
	// sealer seals the chains in the sink; its store is nil when the
	// sink cannot be read: the chains are this process's alone.
	sealer *sealer

	mu      sync.Mutex
	periods []*period // oldest first; the last is open while logging
	chains  map[routeKey]*digest.Chain
	known   map[routeKey]bool // chains to seal each period
	busy    bool
	changed chan struct{} // closed and replaced on progress
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

type period struct {
	start, end time.Time
	closed     bool
	pending    int                           // files of this period not yet in the sink
	logs       map[routeKey][]digest.LogFile // by chain: account and Region, Insights files included
}

func newDigests(t *Trail, now time.Time) *digests {
	d := &digests{t: t}
	for i, s := range t.sinks {
		sd := &sinkDigests{
			d: d, idx: i, s: s,
			chains:  make(map[routeKey]*digest.Chain),
			known:   make(map[routeKey]bool),
			changed: make(chan struct{}),
			kick:    make(chan struct{}, 1),
			quit:    make(chan struct{}),
			done:    make(chan struct{}),
		}
		sd.sealer = newSealer(s.sink, t.cfg.S3KeyPrefix, t.cfg.OrganizationID, func(key string, err error) {
			now := t.clock.Now()
			s.record(now, now, true, key, err)
		})
		sd.known[routeKey{account: t.cfg.AccountID, region: t.cfg.HomeRegion}] = true
		if t.cfg.IncludeGlobalServiceEvents {
			sd.known[routeKey{account: t.cfg.AccountID, region: globalRegion}] = true
		}
		for _, r := range t.cfg.Digests.Regions {
			sd.known[routeKey{account: t.cfg.AccountID, region: r}] = true
		}
		sd.periods = []*period{newPeriod(now)}
		d.sinks = append(d.sinks, sd)
	}
	d.arm(now)
	return d
}

func newPeriod(start time.Time) *period {
	return &period{start: start, end: start.Truncate(digestPeriod).Add(digestPeriod), logs: make(map[routeKey][]digest.LogFile)}
}

func (d *digests) start() {
	for _, sd := range d.sinks {
		go sd.loop()
	}
}

// arm schedules the end of the period holding now.
func (d *digests) arm(now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.stopped = false
	end := now.Truncate(digestPeriod).Add(digestPeriod)
	d.timer = d.t.clock.AfterFunc(end.Sub(now), d.onTimer)
}

// onTimer closes the periods that are over and opens the next.
func (d *digests) onTimer() {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.timer = nil
	d.mu.Unlock()
	now := d.t.clock.Now()
	// Cut the files whose window ends now first: a file dated at the end
	// of the period belongs to the next one, which this opens.
	d.t.cutDue()
	for _, sd := range d.sinks {
		sd.mu.Lock()
		sd.advanceLocked(now)
		sd.mu.Unlock()
		sd.poke()
	}
	d.arm(now)
}

// advanceLocked closes the open period if it is over, opening periods up to
// the one holding now: every hour of logging gets its digest, also an hour
// without log files.
func (sd *sinkDigests) advanceLocked(now time.Time) {
	for len(sd.periods) > 0 {
		last := sd.periods[len(sd.periods)-1]
		if last.closed || now.Before(last.end) {
			return
		}
		last.closed = true
		sd.periods = append(sd.periods, newPeriod(last.end))
	}
}

// register assigns a sealed log file to its digest period in each sink.
// Insights files are listed in the digests of their account and Region with
// the other log files: CloudTrail documents one digest series per Region
// (CloudTrail-Digest), listing the log files delivered in its hour, and the
// AWS CLI validates only that series.
func (d *digests) register(b *batch) []*period {
	ps := make([]*period, len(d.sinks))
	for i, sd := range d.sinks {
		sd.mu.Lock()
		p := sd.periodForLocked(b.at)
		p.pending++
		ps[i] = p
		sd.mu.Unlock()
	}
	return ps
}

// periodForLocked returns the unsealed period holding at: the one with
// at < end, so that a file dated on the hour (the file of the window
// ending then, stamped HH:00 in its key) is in the digest of the hour it
// starts, as its key says. A file dated in a period already sealed (a file
// recovered from the spool) goes into the oldest unsealed period.
func (sd *sinkDigests) periodForLocked(at time.Time) *period {
	if len(sd.periods) == 0 {
		sd.periods = append(sd.periods, newPeriod(at))
	}
	if last := sd.periods[len(sd.periods)-1]; !at.Before(last.end) {
		sd.advanceLocked(at)
	}
	for _, p := range sd.periods {
		if at.Before(p.end) {
			return p
		}
	}
	return sd.periods[len(sd.periods)-1]
}

// delivered records a log file put to s.
func (d *digests) delivered(s *sinkState, b *batch) {
	if b.periods == nil {
		return
	}
	for i, sd := range d.sinks {
		if sd.s != s {
			continue
		}
		p := b.periods[i]
		chain := routeKey{account: b.route.account, region: b.route.region}
		lf := digest.LogFile{
			Bucket: s.sink.Bucket(), Key: b.key, SHA256: b.sum,
			OldestEventTime: b.oldest, NewestEventTime: b.newest,
		}
		if d.journal != nil {
			// Durable before the file's done frame in the spool (the
			// caller appends it next), so that a restarted trail
			// lists the file in its digest. On failure the file is
			// still listed by this process; only a crash before its
			// digest loses the listing.
			if err := d.journal.append(i, lf.Bucket, chain, p.start, lf); err != nil {
				now := d.t.clock.Now()
				s.record(now, now, true, "journal "+b.key, err)
			}
		}
		sd.mu.Lock()
		p.logs[chain] = append(p.logs[chain], lf)
		p.pending--
		sd.known[chain] = true
		ready := p.closed && p.pending == 0
		sd.mu.Unlock()
		if ready {
			sd.poke()
		}
	}
}

func (sd *sinkDigests) poke() {
	select {
	case sd.kick <- struct{}{}:
	default:
	}
}

// loop seals and delivers ready periods in order.
func (sd *sinkDigests) loop() {
	defer close(sd.done)
	for {
		select {
		case <-sd.kick:
		case <-sd.quit:
			return
		}
		for {
			sd.mu.Lock()
			if len(sd.periods) == 0 || !sd.periods[0].closed || sd.periods[0].pending > 0 {
				sd.busy = false
				sd.signalLocked()
				sd.mu.Unlock()
				break
			}
			p := sd.periods[0]
			sd.busy = true
			keys := make([]routeKey, 0, len(sd.known))
			for k := range sd.known {
				keys = append(keys, k)
			}
			last := len(sd.periods) == 1
			sd.mu.Unlock()
			if !last {
				sd.giveWay(p, keys)
			}
			carry, ok := sd.seal(p, keys)
			if !ok {
				return // the trail gave up delivering
			}
			if len(carry) > 0 {
				sd.carry(p, carry)
			}
			if j := sd.d.journal; j != nil {
				if err := j.sealed(sd.idx, p.start); err != nil {
					now := sd.d.t.clock.Now()
					sd.s.record(now, now, true, "journal", err)
				}
			}
			sd.mu.Lock()
			sd.periods = sd.periods[1:]
			sd.signalLocked()
			sd.mu.Unlock()
		}
	}
}

// giveWay waits, before sealing a period, for about as long as the
// sealer last worked on a digest another writer created first: writers of
// a trail reach the end of an hour at about the same time, and each would
// read the others' files for a race one wins. The writer that won goes
// first; the others then find its digest and link to it, reading one
// object. It waits at most a second (in real time), and not for the last
// period of a stopping trail: the wait is the digests' own, delivery of
// log files goes on meanwhile. It looks for the period's digest of every
// chain every quarter of the wait (every giveWayPoll at least) and ends
// when they are in the store: the winner is not waited for longer than
// it takes, and a stopping trail with several periods left, most of them
// sealed by then, links to them one after another instead of waiting
// before each. A stop or a quit ends it; the pokes of periods over or
// ready while the trail runs do not (the loop seals those next in any
// case), or a writer that lost would race again at once whenever the
// periods come faster than it seals them, as in a replay.
func (sd *sinkDigests) giveWay(p *period, keys []routeKey) {
	w := sd.sealer.lost
	if w <= 0 {
		return
	}
	w = min(w/2+rand.N(w+1), time.Second)
	deadline := time.Now().Add(w)
	if sd.d.stopping() && sd.sealedBy(p.end, keys, deadline) {
		// A stopping trail's periods are mostly sealed by now: look
		// before the first step of the wait, not after it.
		return
	}
	for {
		step := min(time.Until(deadline), max(giveWayPoll, w/4))
		if step <= 0 {
			return
		}
		select {
		case <-time.After(step):
		case <-sd.kick:
			if sd.d.stopping() {
				return // stop pokes: seal now
			}
			// A period over or ready: the loop seals it after this
			// one in any case.
			continue
		case <-sd.quit:
			return
		}
		if sd.sealedBy(p.end, keys, deadline) {
			return
		}
	}
}

// giveWayPoll is how often, at most, giveWay looks for the digests it
// waits for.
const giveWayPoll = 20 * time.Millisecond

// sealedBy reports whether the store holds the digest ending at end of
// each of the chains keys (one request each, stopping at the first
// missing, reading those it finds for the link that follows): another
// writer sealed them, this one has only to link. It
// gives up at deadline (or the attempt timeout, if sooner): a store that
// does not answer does not prolong the wait.
func (sd *sinkDigests) sealedBy(end time.Time, keys []routeKey, deadline time.Time) bool {
	if sd.sealer.store == nil {
		return false
	}
	t := sd.d.t
	end = end.UTC().Truncate(time.Second)
	for _, k := range keys {
		c := sd.chain(k)
		if c == nil {
			continue
		}
		ctx, cancel := context.WithDeadline(t.deliverCtx, minTime(deadline, time.Now().Add(t.cfg.Delivery.Retry.AttemptTimeout)))
		found := sd.sealer.fetch(ctx, c, digest.Key(c.Config(), end))
		cancel()
		if !found {
			return false
		}
	}
	return true
}

// stopping reports whether StopLogging or Close stopped the periods.
func (d *digests) stopping() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stopped
}

func (sd *sinkDigests) signalLocked() {
	close(sd.changed)
	sd.changed = make(chan struct{})
}

// carry moves files that the digest of p (sealed by another writer before
// they were delivered) does not list into the next period. If p was the
// last, the trail is stopping: it seals one more hour, closed at once,
// only if that hour has begun by its clock (or with SealAheadOnStop);
// else it leaves the files, delivered and unlisted, to the chain's next
// sealer, which lists the stored files no digest lists. Sealing an hour
// ahead would let writers stopping one after another push the chain
// hours ahead of real time.
func (sd *sinkDigests) carry(p *period, logs map[routeKey][]digest.LogFile) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	if len(sd.periods) < 2 {
		t := sd.d.t
		if p.end.After(t.clock.Now()) && !t.cfg.Digests.SealAheadOnStop {
			return
		}
		next := newPeriod(p.end)
		next.closed = true
		sd.periods = append(sd.periods, next)
	}
	next := sd.periods[1]
	for k, l := range logs {
		next.logs[k] = append(next.logs[k], l...)
	}
}

// seal delivers the digests of p for each chain; false when the trail gave
// up. It returns the files of p that a digest another writer sealed does
// not list, for the next period.
func (sd *sinkDigests) seal(p *period, keys []routeKey) (map[routeKey][]digest.LogFile, bool) {
	t := sd.d.t
	slices.SortFunc(keys, func(a, b routeKey) int {
		return strings.Compare(a.account+"/"+a.region, b.account+"/"+b.region)
	})
	start, end := p.start.UTC().Truncate(time.Second), p.end.UTC().Truncate(time.Second)
	if !start.Before(end) {
		return nil, true // a period of less than a second
	}
	var carry map[routeKey][]digest.LogFile
	for _, k := range keys {
		c := sd.chain(k)
		if c == nil {
			continue
		}
		logs := slices.Clone(p.logs[k])
		slices.SortFunc(logs, func(a, b digest.LogFile) int { return strings.Compare(a.Key, b.Key) })
		// A file in the journal may have been put again from the spool
		// after a crash: same key, same bytes, listed once.
		logs = slices.CompactFunc(logs, func(a, b digest.LogFile) bool { return a.Key == b.Key })
		if sd.sealer.store == nil {
			// Nothing to read back: this process's chain alone.
			obj, err := c.Seal(t.deliverCtx, start, end, logs)
			if err != nil {
				sd.s.record(t.clock.Now(), t.clock.Now(), true, digest.Key(c.Config(), end), err)
				continue
			}
			if err := t.put(sd.s, obj, true); err != nil {
				return nil, false
			}
			continue
		}
		left, ok := sd.sealShared(c, k, start, end, logs)
		if !ok {
			return nil, false
		}
		if len(left) > 0 {
			if carry == nil {
				carry = make(map[routeKey][]digest.LogFile)
			}
			carry[k] = left
		}
	}
	return carry, true
}

// chain returns the chain of k, creating it on first use. A chain that
// cannot be configured is reported in the sink's status and is nil.
func (sd *sinkDigests) chain(k routeKey) *digest.Chain {
	sd.mu.Lock()
	c := sd.chains[k]
	sd.mu.Unlock()
	if c != nil {
		return c
	}
	t := sd.d.t
	c, err := digest.NewChain(digest.ChainConfig{
		AccountID: k.account, Region: k.region, HomeRegion: t.cfg.HomeRegion, TrailName: t.cfg.Name,
		KeyPrefix: t.cfg.S3KeyPrefix, OrganizationID: t.cfg.OrganizationID, Bucket: sd.s.sink.Bucket(),
		Signer: t.cfg.Digests.Signer, Keys: t.cfg.Digests.Keys,
	})
	if err != nil {
		sd.s.record(t.clock.Now(), t.clock.Now(), true, k.account+"/"+k.region, err)
		return nil
	}
	sd.mu.Lock()
	sd.chains[k] = c
	sd.mu.Unlock()
	return c
}

// sealShared seals the digest of chain k ending at end, retrying failures
// like a put; false means the trail gave up. It returns the files of own
// that are in no digest because another writer sealed the period first.
func (sd *sinkDigests) sealShared(c *digest.Chain, k routeKey, start, end time.Time, own []digest.LogFile) ([]digest.LogFile, bool) {
	t := sd.d.t
	p := t.cfg.Delivery.Retry
	backoff := p.InitialBackoff
	for {
		ctx, cancel := context.WithTimeout(t.deliverCtx, p.AttemptTimeout)
		left, err := sd.sealer.sealOwed(ctx, c, k, start, end, own)
		cancel()
		if err == nil {
			return left, true
		}
		now := t.clock.Now()
		sd.s.record(now, now, true, digest.Key(c.Config(), end), err)
		if t.deliverCtx.Err() != nil {
			return nil, false
		}
		select {
		case <-time.After(backoff/2 + rand.N(backoff/2+1)):
		case <-t.deliverCtx.Done():
			return nil, false
		}
		backoff = min(time.Duration(float64(backoff)*p.Multiplier), p.MaxBackoff)
	}
}

// stop ends the open period at now and waits until every period is sealed
// and delivered, or ctx is done.
func (d *digests) stop(ctx context.Context, now time.Time) error {
	d.mu.Lock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	d.mu.Unlock()
	for _, sd := range d.sinks {
		sd.mu.Lock()
		sd.advanceLocked(now)
		if n := len(sd.periods); n > 0 && !sd.periods[n-1].closed {
			// Sealed now, under the key of its hour, if this trail
			// delivered files in it: the period has begun. Another
			// writer of the trail may still deliver files in the
			// hour, which the chain's next digest lists (never one
			// this trail seals ahead of its clock: see carry). An
			// hour without files is left to the writers still
			// running (or to the next start).
			if last := sd.periods[n-1]; len(last.logs) == 0 && last.pending == 0 {
				sd.periods = sd.periods[:n-1]
			} else {
				last.closed = true
			}
		}
		sd.mu.Unlock()
		sd.poke()
	}
	for _, sd := range d.sinks {
		for {
			sd.mu.Lock()
			idle := len(sd.periods) == 0
			ch := sd.changed
			sd.mu.Unlock()
			if idle {
				break
			}
			select {
			case <-ch:
			case <-ctx.Done():
				return fmt.Errorf("trail %s: digests not yet delivered to %s: %w", d.t.cfg.Name, sd.s.sink.Bucket(), ctx.Err())
			}
		}
	}
	return nil
}

// restart opens a period at now, after StopLogging. The chains continue:
// other writers of the trail may have sealed hours meanwhile, and a
// digest chain of a shared trail has one tip.
func (d *digests) restart(now time.Time) {
	for _, sd := range d.sinks {
		sd.mu.Lock()
		sd.periods = append(sd.periods, newPeriod(now))
		sd.mu.Unlock()
	}
	d.arm(now)
}

// close stops the digest goroutines.
func (d *digests) close() {
	d.mu.Lock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
	for _, sd := range d.sinks {
		close(sd.quit)
		<-sd.done
	}
}

// restore puts the journal's entries back in the periods they were
// delivered in, before the trail starts: each period of a previous process
// whose digests were not delivered is rebuilt with its start (its end is
// the next whole hour, or the next such period's start if earlier) and
// sealed as soon as the files the spool puts again are in the sink; the
// period still running at now is the open one. Entries of a sink no longer
// configured (its index or bucket changed) are dropped.
func (d *digests) restore(entries []journalEntry, now time.Time) {
	for _, sd := range d.sinks {
		var mine []journalEntry
		for _, e := range entries {
			if e.sink == sd.idx && e.bucket == sd.s.sink.Bucket() {
				mine = append(mine, e)
			}
		}
		if len(mine) == 0 {
			continue
		}
		slices.SortStableFunc(mine, func(a, b journalEntry) int { return a.start.Compare(b.start) })
		sd.mu.Lock()
		open := sd.periods[len(sd.periods)-1] // newPeriod(now)
		var ps []*period
		for _, e := range mine {
			var p *period
			switch {
			case !e.start.Before(now):
				p = open // a clock set back: list the file now
			case len(ps) > 0 && !e.start.Before(ps[len(ps)-1].start) && e.start.Before(ps[len(ps)-1].end):
				p = ps[len(ps)-1] // the same hour, logging stopped and started
			default:
				p = newPeriod(e.start)
				ps = append(ps, p)
			}
			p.logs[e.chain] = append(p.logs[e.chain], e.log)
			sd.known[e.chain] = true
		}
		for _, p := range ps {
			p.closed = true
		}
		if n := len(ps); n > 0 && now.Before(ps[n-1].end) {
			// Still running: the open period, from its first start.
			last := ps[n-1]
			last.closed = false
			for k, logs := range open.logs {
				last.logs[k] = append(last.logs[k], logs...)
			}
			open = nil
		}
		if open != nil {
			ps = append(ps, open)
		}
		sd.periods = ps
		sd.mu.Unlock()
	}
}

// pokeAll makes every sink seal the periods that are ready.
func (d *digests) pokeAll() {
	for _, sd := range d.sinks {
		sd.poke()
	}
}
