package timer

import (
	"errors"
	"fmt"
	"log"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultFIFOPriority is the SCHED_FIFO priority HR asks for when
// HROptions.FIFOPriority is 0: above ordinary tasks, below the kernel's
// threaded interrupt handlers (50), so a stuck callback cannot starve them.
const DefaultFIFOPriority = 20

// HROptions configures NewHR. The zero value is the measured default:
// SCHED_FIFO at DefaultFIFOPriority when permitted, else timer slack 1 ns.
type HROptions struct {
	// FIFOPriority is the SCHED_FIFO priority (1..99) of the timer thread;
	// 0 selects DefaultFIFOPriority, a negative value keeps SCHED_OTHER.
	FIFOPriority int
	// Logf receives diagnostics (FIFO refused, SyncStop from a callback,
	// invalid period); nil means log.Printf.
	Logf func(format string, args ...any)
	// HoldP makes the thread sleep in a raw read(2) that keeps its Go P
	// while blocked, so its wake-up never waits for a P. Measured (doc.go):
	// with every P busy this keeps callbacks on time (p99 38-79 us
	// instead of 11-16 ms) but goroutines the callback wakes still wait 20 ms
	// for a P, GC stop-the-world pauses grow to ~1 ms (they wait for the
	// thread's next wake-up, at most rawMaxSleep away) and NewHR raises
	// GOMAXPROCS by one (Close lowers it again). Off by default.
	HoldP bool
	// Slack lets the thread wake up to Slack after a deadline so that one
	// wake-up serves every timer due by then, like the kernel's hrtimer
	// range timers (hrtimer_set_expires_range_ns): fewer wake-ups when
	// many streams have close deadlines, at the price of up to Slack more
	// lateness. Callbacks never run before their deadline. Default 0;
	// measured in BENCHMARKS.md.
	Slack time.Duration
}

// rawMaxSleep bounds a P-holding sleep, hence how long the thread can delay a
// GC stop-the-world.
const rawMaxSleep = time.Millisecond

// HR is the real interrupt source: one goroutine locked to its OS thread
// serves every timer. It keeps the armed timers in a min-heap by deadline and
// sleeps in read(2) on a timerfd armed, with TFD_TIMER_ABSTIME on
// CLOCK_MONOTONIC, to the earliest deadline. Another goroutine that moves
// the earliest deadline earlier (Start) while the thread sleeps re-arms the
// same timerfd under the scheduler lock, which wakes the sleeper at the new
// time with no lost-wakeup window (a re-armed timerfd also clears its
// expiration count); while the thread is awake it re-arms by itself before
// it sleeps again, so a Start then costs no system call. The sleeping
// primitive and the scheduling class were chosen by measurement: see doc.go.
type HR struct {
	c      core
	fd     int           // immutable: the timerfd; the thread closes it on exit, after which closed forbids its use
	tid    int           // immutable after NewHR: OS thread id of the timer thread
	fifo   bool          // immutable after NewHR: the thread runs SCHED_FIFO
	holdP  bool          // immutable
	slack  time.Duration // immutable, >= 0
	unhold sync.Once     // gives back the extra GOMAXPROCS once
	done   chan struct{} // closed when the timer thread has exited

	closed   bool                 // guarded by c.mu
	sleeping bool                 // guarded by c.mu: the thread armed fd and released mu to block on it; a Start must re-arm
	its      unix.ItimerSpec      // guarded by c.mu: scratch for timerfd_settime (keeps it allocation-free)
	buf      [8]byte              // owned by the timer thread: expiration count read from fd
	logf     func(string, ...any) // immutable
}

var _ Source = (*HR)(nil)

// ErrCloseInCallback is returned by Close when called from a timer callback:
// the thread cannot wait for itself. It stops after the callback returns.
var ErrCloseInCallback = errors.New("timer: HR.Close called from a timer callback; closing without waiting")

// NewHR starts the timer thread. It fails only if the timerfd cannot be
// created; a refused SCHED_FIFO is logged and replaced by timer slack 1 ns.
func NewHR(opts HROptions) (*HR, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timer: timerfd_create: %w", err)
	}
	h := &HR{fd: fd, done: make(chan struct{}), logf: opts.Logf, holdP: opts.HoldP, slack: max(opts.Slack, 0)}
	if h.holdP {
		runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) + 1)
	}
	if h.logf == nil {
		h.logf = log.Printf
	}
	h.c.init(gettid, h.kickLocked, h.logf)
	ready := make(chan struct{})
	go h.run(opts, ready)
	<-ready
	return h, nil
}

func gettid() int64 { return int64(unix.Gettid()) }

// Now returns CLOCK_MONOTONIC (Clock).
func (h *HR) Now() time.Duration { return time.Duration(nanotime()) }

// NewTimer returns a stopped timer served by the HR thread (Source).
func (h *HR) NewTimer(cb Callback) Timer { return h.c.newTimer(cb) }

// FIFO reports whether the timer thread obtained SCHED_FIFO.
func (h *HR) FIFO() bool { return h.fifo }

// Close stops the timer thread and waits for it to exit; armed timers never
// fire again. Close is idempotent. From inside a callback it cannot wait:
// it returns ErrCloseInCallback and the thread exits after the callback
// (with HoldP, GOMAXPROCS is lowered again by a later Close from outside).
func (h *HR) Close() error {
	h.c.mu.Lock()
	if !h.closed {
		h.closed = true
		h.armLocked(1) // an absolute time in the past: wake the thread now
	}
	self := unix.Gettid() == h.tid
	h.c.mu.Unlock()
	if self {
		return ErrCloseInCallback
	}
	<-h.done
	if h.holdP {
		h.unhold.Do(func() { runtime.GOMAXPROCS(runtime.GOMAXPROCS(0) - 1) })
	}
	return nil
}

// kickLocked is core.kick: the earliest deadline changed; re-arm if the
// thread sleeps on the old one. An awake thread (running callbacks, or
// between waking and sleeping) re-arms from the heap before it sleeps.
// Precondition: c.mu held.
func (h *HR) kickLocked(deadline time.Duration) {
	if h.closed || !h.sleeping {
		return
	}
	h.armLocked(h.wakeAt(deadline, time.Duration(nanotime())))
}

// wakeAt is when the thread wakes up to serve deadline, the earliest one,
// at clock reading now: deadline+Slack, and with HoldP no later than
// rawMaxSleep from now.
func (h *HR) wakeAt(deadline, now time.Duration) time.Duration {
	deadline += h.slack
	if h.holdP && deadline > now+rawMaxSleep {
		deadline = now + rawMaxSleep
	}
	return deadline
}

// armLocked arms the timerfd at the absolute CLOCK_MONOTONIC time d (d <= 0
// disarms). Precondition: c.mu held, fd open.
func (h *HR) armLocked(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.its.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(h.fd, unix.TFD_TIMER_ABSTIME, &h.its, nil); err != nil {
		h.logf("timer: timerfd_settime: %v", err)
	}
}

// run is the timer thread. It never unlocks the OS thread: when it returns
// the runtime destroys the thread (or parks it forever if it is the main
// thread), so its SCHED_FIFO policy cannot leak into Go's thread pool
// (TIMER-NOTES.md); it also resets the policy on the way out.
func (h *HR) run(opts HROptions, ready chan<- struct{}) {
	runtime.LockOSThread()
	defer close(h.done)
	h.tid = unix.Gettid()
	h.fifo = h.setSched(opts.FIFOPriority)
	close(ready)

	c := &h.c
	owner := int64(h.tid)
	c.mu.Lock()
	for !h.closed {
		now := time.Duration(nanotime())
		if t, gen := c.popDueLocked(now, owner); t != nil {
			c.mu.Unlock()
			t.cb(now)
			c.mu.Lock()
			c.finishLocked(t, gen, now)
			continue
		}
		next, armed := c.nextLocked() // 0 (disarm) when no timer is armed
		if armed {
			next = h.wakeAt(next, now)
		}
		h.armLocked(next)
		h.sleeping = true
		c.mu.Unlock()
		if armed && h.holdP {
			h.sleepRaw()
		} else {
			h.sleep()
		}
		c.mu.Lock()
		h.sleeping = false
	}
	c.mu.Unlock()
	unix.Close(h.fd) // closed is set: kickLocked no longer touches fd
	h.resetSched()
}

// resetSched puts the thread back to SCHED_OTHER with the default timer
// slack before it exits. Exiting locked already destroys an ordinary
// thread, but if the goroutine happened to start on the main thread (m0),
// the runtime cannot destroy that one and parks it forever instead; it must
// not stay SCHED_FIFO.
func (h *HR) resetSched() {
	if h.fifo {
		attr := unix.SchedAttr{Policy: unix.SCHED_NORMAL}
		if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
			h.logf("timer: resetting SCHED_OTHER: %v", err)
		}
	}
	unix.Prctl(unix.PR_SET_TIMERSLACK, 0, 0, 0, 0) // 0: back to the default
}

// sleep blocks until the timerfd expires. It goes through the ordinary
// syscall path, which hands the P back while blocked (RawSyscall would hold
// it and stretch GC stop-the-world pauses: TIMER-NOTES.md).
func (h *HR) sleep() {
	for {
		_, err := unix.Read(h.fd, h.buf[:])
		if err != unix.EINTR {
			if err != nil && err != unix.EAGAIN {
				h.logf("timer: read timerfd: %v", err)
			}
			return
		}
	}
}

// sleepRaw is sleep without leaving the Go scheduler: the P stays with
// this thread (HROptions.HoldP).
func (h *HR) sleepRaw() {
	for rawRead(h.fd, &h.buf) == unix.EINTR {
	}
}

// setSched puts the calling (locked) thread in SCHED_FIFO at prio, or, when
// that is disabled or refused, sets its timer slack to 1 ns so the kernel
// does not defer its wake-ups by the default 50 us. Reports whether FIFO
// is in effect. SCHED_FLAG_RESET_ON_FORK keeps children out of FIFO.
func (h *HR) setSched(prio int) bool {
	if prio == 0 {
		prio = DefaultFIFOPriority
	}
	if prio > 99 {
		prio = 99
	}
	if prio > 0 {
		attr := unix.SchedAttr{
			Policy:   unix.SCHED_FIFO,
			Flags:    unix.SCHED_FLAG_RESET_ON_FORK,
			Priority: uint32(prio),
		}
		err := unix.SchedSetAttr(0, &attr, 0)
		if err == nil {
			return true
		}
		h.logf("timer: SCHED_FIFO priority %d refused (%v); using SCHED_OTHER with timer slack 1 ns", prio, err)
	}
	if err := unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0); err != nil {
		h.logf("timer: PR_SET_TIMERSLACK: %v", err)
	}
	return false
}
