package trail

import (
	"sort"
	"sync"
	"time"
)

// Clock is the trail's time: it dates log files (their keys and the
// delivery times in Status) and decides when a file's flush interval is
// over. The default is the system clock; tests and "trailkit replay" use a
// ManualClock, which moves only when told to.
//
// Retry backoff of a failing sink always waits in real time, so a trail on a
// ManualClock still retries.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f, in its own goroutine or in the goroutine that
	// moves the clock, once d has passed on this clock.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop prevents the call if it has not started; it reports whether it
	// did so.
	Stop() bool
}

// SystemClock is the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer {
	return time.AfterFunc(d, f)
}

// ManualClock is a Clock that moves only when Set or Advance move it, and
// then runs the AfterFunc calls that became due, in the goroutine that moved
// it, in order of their times. It is safe for concurrent use.
type ManualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

type manualTimer struct {
	c  *ManualClock
	at time.Time
	f  func()
}

// NewManualClock returns a ManualClock showing t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t, if t is later than its time (a clock never goes
// back), and runs the calls that became due.
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	if t.After(c.now) {
		c.now = t
	}
	c.mu.Unlock()
	c.fire()
}

// Advance moves the clock forward by d and runs the calls that became due.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	if d > 0 {
		c.now = c.now.Add(d)
	}
	c.mu.Unlock()
	c.fire()
}

// AfterFunc schedules f for d from the clock's time. It never calls f
// itself, even for d <= 0: f runs at the next Set or Advance, so callers may
// hold locks f takes.
func (c *ManualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	t := &manualTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	return t
}

func (t *manualTimer) Stop() bool {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.timers {
		if x == t {
			c.timers = append(c.timers[:i], c.timers[i+1:]...)
			return true
		}
	}
	return false
}

// fire runs due calls one at a time, without holding the lock, so a call may
// schedule another.
func (c *ManualClock) fire() {
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool { return c.timers[i].at.Before(c.timers[j].at) })
		if len(c.timers) == 0 || c.timers[0].at.After(c.now) {
			c.mu.Unlock()
			return
		}
		t := c.timers[0]
		c.timers = c.timers[1:]
		c.mu.Unlock()
		t.f()
	}
}
