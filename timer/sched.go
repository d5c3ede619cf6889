package timer

import (
	"errors"
	"log"
	"math/bits"
	"sync"
	"time"
)

// ErrSyncStopInCallback is returned by SyncStopErr (and logged by SyncStop)
// when SyncStop is called from the goroutine that is running the timer's own
// callback: waiting there would deadlock (STYLE.md, trap 2; the kernel hit
// the same bug with hrtimer_cancel from an hrtimer callback in dummy.c). The
// timer is stopped anyway; the running callback simply completes.
var ErrSyncStopInCallback = errors.New("timer: SyncStop called from its own callback; stopped without waiting")

// core is the scheduler shared by Fake and HR: a min-heap of armed timers
// ordered by (deadline, id), each timer's armed/running state, and the
// condition SyncStop waits on. The driver (Fake.Advance or the HR thread)
// pops due timers with popDueLocked, runs the callback with mu released, and
// hands the timer back with finishLocked.
//
// Lock order: core.mu is the only lock; it is never held while a callback
// runs, so a callback may call Start/Stop on any timer.
type core struct {
	mu      sync.Mutex
	idle    sync.Cond // L = &mu; broadcast when a callback returns and waiters > 0
	heap    []*entry  // guarded by mu: armed timers not currently running their callback
	nextID  uint64    // guarded by mu
	waiters int       // guarded by mu: SyncStop callers blocked on idle
	owner   int64     // guarded by mu: identity (see self) of the callback runner while a callback runs, else 0

	// self returns the caller's identity in the same space as owner: the
	// goroutine id for Fake, the OS thread id for HR (whose runner is locked
	// to its thread). Immutable; called only on SyncStop's slow path.
	self func() int64
	// kick, if non-nil, is called with mu held when Start put a timer at
	// the head of the heap (the earliest deadline is now the given time),
	// so a sleeping runner re-arms. Immutable.
	kick func(deadline time.Duration)
	// logf reports misuse (SyncStop from a callback, invalid period). Immutable.
	logf func(format string, args ...any)
}

func (c *core) init(self func() int64, kick func(time.Duration), logf func(string, ...any)) {
	c.idle.L = &c.mu
	c.self = self
	c.kick = kick
	if logf == nil {
		logf = log.Printf
	}
	c.logf = logf
}

// entry is a Timer of a core (Fake or HR).
type entry struct {
	c  *core    // immutable
	cb Callback // immutable
	id uint64   // immutable: tie-break for equal deadlines, so order is deterministic

	armed    bool          // guarded by c.mu: started and not stopped
	running  bool          // guarded by c.mu: the callback is executing now
	gen      uint64        // guarded by c.mu: bumped by every Start and Stop
	start    time.Duration // guarded by c.mu
	period   Period        // guarded by c.mu
	k        int64         // guarded by c.mu: index of the pending deadline, start+period.Offset(k)
	deadline time.Duration // guarded by c.mu: start+period.Offset(k)
	index    int           // guarded by c.mu: position in c.heap, -1 when not queued
}

// SyncStopErrer is implemented by the timers of HR and Fake (assert it on
// a Timer): SyncStopErr is SyncStop returning ErrSyncStopInCallback instead
// of logging it.
type SyncStopErrer interface {
	SyncStopErr() error
}

var (
	_ Timer         = (*entry)(nil)
	_ SyncStopErrer = (*entry)(nil)
)

func (c *core) newTimer(cb Callback) *entry {
	c.mu.Lock()
	c.nextID++
	t := &entry{c: c, cb: cb, id: c.nextID, index: -1}
	c.mu.Unlock()
	return t
}

// maxPeriodField bounds Frames and Rate so that the skip arithmetic in
// nextAfter cannot overflow (e*Rate < 2^95, Frames*1e9 < 2^62).
const maxPeriodField = 1 << 31

// Start arms the timer (Timer.Start). Starting an armed timer restarts its
// phase at start. Starting from inside the timer's own callback is allowed:
// the new schedule replaces the old one when the callback returns. An
// invalid period (Frames or Rate <= 0 or >= 2^31) or a nil callback stops
// the timer and is logged.
func (t *entry) Start(start time.Duration, p Period) {
	if p.Frames <= 0 || p.Rate <= 0 || p.Frames >= maxPeriodField || p.Rate >= maxPeriodField || t.cb == nil {
		t.c.logf("timer: Start with invalid period %d/%d or nil callback; timer stopped", p.Frames, p.Rate)
		t.Stop()
		return
	}
	c := t.c
	c.mu.Lock()
	t.gen++
	t.armed = true
	t.start, t.period, t.k = start, p, 1
	t.deadline = start + p.Offset(1)
	if t.index >= 0 {
		c.fixLocked(t.index)
	} else {
		c.pushLocked(t)
	}
	if t.index == 0 && c.kick != nil {
		c.kick(t.deadline)
	}
	c.mu.Unlock()
}

// Stop disarms the timer without waiting (Timer.Stop); see dummy_hrtimer_stop.
// A callback that is running completes; none starts after Stop returns,
// because the runner re-checks armed and gen under c.mu before every call.
func (t *entry) Stop() {
	t.c.mu.Lock()
	t.stopLocked()
	t.c.mu.Unlock()
}

// stopLocked disarms t. Precondition: c.mu held.
func (t *entry) stopLocked() {
	if !t.armed {
		return
	}
	t.armed = false
	t.gen++
	if t.index >= 0 {
		t.c.removeLocked(t.index)
	}
}

// SyncStop stops the timer and waits until its callback is not running
// (Timer.SyncStop; the kernel's dummy_hrtimer_sync / hrtimer_cancel). No
// callback runs afterwards until the next Start. Called from the timer's own
// callback it cannot wait: it stops the timer, logs ErrSyncStopInCallback
// and returns (use SyncStopErr to get the error instead).
func (t *entry) SyncStop() {
	if err := t.SyncStopErr(); err != nil {
		t.c.logf("%v", err)
	}
}

// SyncStopErr is SyncStop returning ErrSyncStopInCallback instead of logging
// when called from the goroutine running this timer's callback.
func (t *entry) SyncStopErr() error {
	c := t.c
	c.mu.Lock()
	defer c.mu.Unlock()
	t.stopLocked()
	if !t.running {
		return nil
	}
	if c.owner != 0 && c.owner == c.self() {
		return ErrSyncStopInCallback
	}
	c.waiters++
	for t.running {
		c.idle.Wait()
	}
	c.waiters--
	return nil
}

// nextLocked returns the earliest queued deadline. Precondition: c.mu held.
func (c *core) nextLocked() (time.Duration, bool) {
	if len(c.heap) == 0 {
		return 0, false
	}
	return c.heap[0].deadline, true
}

// popDueLocked dequeues the earliest timer if its deadline is <= now, marks
// it running with owner as the runner's identity, and returns it with its
// generation. Precondition: c.mu held. Every queued timer is armed (Stop
// dequeues), so the armed check the contract needs is this dequeue under mu.
func (c *core) popDueLocked(now time.Duration, owner int64) (*entry, uint64) {
	if len(c.heap) == 0 || c.heap[0].deadline > now {
		return nil, 0
	}
	t := c.heap[0]
	c.removeLocked(0)
	t.running = true
	c.owner = owner
	return t, t.gen
}

// finishLocked ends a callback run popped with generation gen at clock
// reading now: wakes SyncStop waiters and, unless the timer was stopped or
// restarted meanwhile, queues its next deadline, skipping boundaries that
// already passed (run once when late). Precondition: c.mu held.
func (c *core) finishLocked(t *entry, gen uint64, now time.Duration) {
	t.running = false
	c.owner = 0
	if c.waiters > 0 {
		c.idle.Broadcast()
	}
	if !t.armed || t.gen != gen {
		return // stopped, or Start already queued a new schedule
	}
	t.k, t.deadline = t.period.nextAfter(t.start, t.k, now)
	c.pushLocked(t)
}

// nextAfter returns the index k' of the first boundary after k whose
// deadline start+Offset(k') is later than now (k+1 when on time, more when
// late), and that deadline. The on-time case, every interrupt's, computes
// Offset once.
func (p Period) nextAfter(start time.Duration, k int64, now time.Duration) (int64, time.Duration) {
	next := k + 1
	d := start + p.Offset(next)
	e := now - start
	if e < 0 || d > now {
		return next, d
	}
	// Offset(k') > e  <=>  k'*Frames*1e9 > e*Rate  <=>  k' > e*Rate/(Frames*1e9).
	hi, lo := bits.Mul64(uint64(e), uint64(p.Rate))
	q, _ := bits.Div64(hi, lo, uint64(p.Frames)*1e9)
	if kk := int64(q) + 1; kk > next {
		next = kk
		d = start + p.Offset(next)
	}
	return next, d
}

// less orders by deadline, then creation order.
func less(a, b *entry) bool {
	if a.deadline != b.deadline {
		return a.deadline < b.deadline
	}
	return a.id < b.id
}

func (c *core) pushLocked(t *entry) {
	t.index = len(c.heap)
	c.heap = append(c.heap, t)
	c.upLocked(t.index)
}

func (c *core) removeLocked(i int) {
	h := c.heap
	n := len(h) - 1
	t := h[i]
	if i != n {
		h[i] = h[n]
		h[i].index = i
	}
	h[n] = nil
	c.heap = h[:n]
	t.index = -1
	if i != n {
		c.fixLocked(i)
	}
}

func (c *core) fixLocked(i int) {
	if !c.downLocked(i) {
		c.upLocked(i)
	}
}

func (c *core) upLocked(i int) {
	h := c.heap
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		h[i].index, h[p].index = i, p
		i = p
	}
}

func (c *core) downLocked(i0 int) bool {
	h := c.heap
	i := i0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		h[i].index, h[m].index = i, m
		i = m
	}
	return i > i0
}
