package timer

import (
	"errors"
	"runtime"
	"sync"
	"time"
)

// Fake is a hand-driven Source for deterministic tests. Time stands still
// until Advance or Set moves it; the callbacks that fall due run
// synchronously in the goroutine calling Advance, which thereby plays the
// interrupt. Advance may run on its own goroutine (an "interrupt" goroutine
// in a stress test) while other goroutines Start, Stop and SyncStop timers.
//
// Firing rule: when Advance spans several periods of a timer, the callback
// runs once per period boundary crossed, in deadline order across all timers
// (equal deadlines: in timer creation order), with now equal to the exact
// deadline start+Period.Offset(k). Now() read from inside a callback returns
// that same deadline. A Fake callback is therefore never late, except
// when a timer is started with boundaries already in the past: the first
// Advance (even Advance(0)) then runs it once with now = Now() and the
// schedule skips to the next future boundary, as for a late HR timer.
//
// Advance and Set must not be called from inside a callback: there they
// log ErrAdvanceInCallback and do nothing, instead of deadlocking.
type Fake struct {
	adv sync.Mutex // serializes Advance/Set: only one goroutine runs callbacks
	c   core
	now time.Duration // guarded by c.mu
}

var _ Source = (*Fake)(nil)

// NewFake returns a Fake whose clock reads 0.
func NewFake() *Fake {
	f := &Fake{}
	f.c.init(goid, nil, nil)
	return f
}

// Now returns the fake time (Clock).
func (f *Fake) Now() time.Duration {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.now
}

// NewTimer returns a stopped timer that calls cb on each period (Source).
// The concrete type also has SyncStopErr.
func (f *Fake) NewTimer(cb Callback) Timer { return f.c.newTimer(cb) }

// Advance moves time forward by d (negative d is treated as 0) and runs
// every callback that falls due, as described on Fake.
func (f *Fake) Advance(d time.Duration) {
	if d < 0 {
		d = 0
	}
	if f.inCallback() {
		return
	}
	f.adv.Lock()
	defer f.adv.Unlock()
	f.c.mu.Lock()
	target := f.now + d
	f.c.mu.Unlock()
	f.runUntil(target)
}

// Set moves time to t, running due callbacks like Advance. The clock is
// monotonic: a t earlier than Now is ignored.
func (f *Fake) Set(t time.Duration) {
	if f.inCallback() {
		return
	}
	f.adv.Lock()
	defer f.adv.Unlock()
	f.runUntil(t)
}

// ErrAdvanceInCallback is logged when Fake.Advance or Fake.Set is called
// from a callback, where it would deadlock; the call does nothing.
var ErrAdvanceInCallback = errors.New("timer: Fake.Advance or Set called from a callback; ignored")

// inCallback reports (and logs) a call from the goroutine running a
// callback.
func (f *Fake) inCallback() bool {
	f.c.mu.Lock()
	owner := f.c.owner
	f.c.mu.Unlock()
	if owner != 0 && owner == goid() {
		f.c.logf("%v", ErrAdvanceInCallback)
		return true
	}
	return false
}

// NextDeadline returns the earliest pending deadline of an armed timer, and
// false if no timer is armed.
func (f *Fake) NextDeadline() (time.Duration, bool) {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.c.nextLocked()
}

// runUntil fires due timers up to target in deadline order. Precondition:
// f.adv held, f.c.mu not held.
func (f *Fake) runUntil(target time.Duration) {
	var me int64
	c := &f.c
	c.mu.Lock()
	for {
		next, ok := c.nextLocked()
		if !ok || next > target {
			break
		}
		if next > f.now {
			f.now = next
		}
		if me == 0 {
			me = goid()
		}
		t, gen := c.popDueLocked(f.now, me)
		now := f.now
		c.mu.Unlock()
		t.cb(now)
		c.mu.Lock()
		c.finishLocked(t, gen, now)
	}
	if target > f.now {
		f.now = target
	}
	c.mu.Unlock()
}

// goid returns the current goroutine's id, parsed from runtime.Stack's
// "goroutine N [" header. Only used to detect SyncStop from a callback, on
// a slow path; 0 never names a goroutine.
func goid() int64 {
	var buf [32]byte
	n := runtime.Stack(buf[:], false)
	b := buf[:n]
	const prefix = "goroutine "
	if len(b) < len(prefix) {
		return 0
	}
	var id int64
	for _, ch := range b[len(prefix):] {
		if ch < '0' || ch > '9' {
			break
		}
		id = id*10 + int64(ch-'0')
	}
	return id
}
