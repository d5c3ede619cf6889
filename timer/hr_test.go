package timer

import (
	"errors"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// generous is the bound for anything the real timer must do "soon": the
// machine is shared and noisy, so only a stuck timer misses it.
const generous = 20 * time.Second

func newTestHR(t *testing.T) *HR {
	t.Helper()
	var mu sync.Mutex
	h, err := NewHR(HROptions{Logf: func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		t.Logf(format, args...)
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Error(err)
		}
	})
	return h
}

// waitFor polls cond until it holds or generous passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(generous)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestHRFiresNeverEarly(t *testing.T) {
	h := newTestHR(t)
	t.Logf("SCHED_FIFO: %v", h.FIFO())
	const n = 100
	var calls []time.Duration
	done := make(chan struct{})
	var tm Timer
	tm = h.NewTimer(func(now time.Duration) {
		calls = append(calls, now)
		if len(calls) == n {
			tm.Stop()
			close(done)
		}
	})
	start := h.Now()
	tm.Start(start, p48k64)
	select {
	case <-done:
	case <-time.After(generous):
		t.Fatal("100 periods of 1.333 ms did not elapse in 20 s")
	}
	tm.SyncStop()
	for i, now := range calls {
		// The i-th call serves boundary k >= i+1 (k grows by skips).
		if min := start + p48k64.Offset(int64(i+1)); now < min {
			t.Fatalf("call %d at %v, before its boundary %v", i, now, min)
		}
		if i > 0 && now <= calls[i-1] {
			t.Fatalf("call %d at %v not after call %d at %v", i, now, i-1, calls[i-1])
		}
	}
}

func TestHR64TimersAllFire(t *testing.T) {
	h := newTestHR(t)
	const streams, want = 64, 20
	var counts [streams]atomic.Int64
	timers := make([]Timer, streams)
	start := h.Now()
	for i := range timers {
		timers[i] = h.NewTimer(func(time.Duration) { counts[i].Add(1) })
		// Spread phases as independent streams would be.
		timers[i].Start(start+time.Duration(i)*20*time.Microsecond, p48k64)
	}
	waitFor(t, "64 timers to fire 20 times each", func() bool {
		for i := range counts {
			if counts[i].Load() < want {
				return false
			}
		}
		return true
	})
	for _, tm := range timers {
		tm.SyncStop()
	}
	snap := make([]int64, streams)
	for i := range counts {
		snap[i] = counts[i].Load()
	}
	// After SyncStop none may run: let the thread pass many boundaries.
	waitAfterBoundaries(t, h, 10)
	for i := range counts {
		if c := counts[i].Load(); c != snap[i] {
			t.Fatalf("timer %d fired %d times after SyncStop", i, c-snap[i])
		}
	}
}

// waitAfterBoundaries lets the HR thread serve n periods of a probe timer,
// proving it kept running past any deadline a stopped timer would have had.
func waitAfterBoundaries(t *testing.T, h *HR, n int64) {
	t.Helper()
	var c atomic.Int64
	probe := h.NewTimer(func(time.Duration) { c.Add(1) })
	probe.Start(h.Now(), p48k64)
	waitFor(t, "probe timer", func() bool { return c.Load() >= n })
	probe.SyncStop()
}

func TestHRStartEarlierWakesSleeper(t *testing.T) {
	h := newTestHR(t)
	slow := h.NewTimer(func(time.Duration) {})
	slow.Start(h.Now(), Period{Frames: 3600, Rate: 1}) // an hour away
	defer slow.Stop()
	// The thread must be asleep on the hour-long deadline: only a re-arm
	// by Start can wake it in time.
	waitFor(t, "the timer thread to sleep", func() bool {
		h.c.mu.Lock()
		defer h.c.mu.Unlock()
		return h.sleeping
	})
	fired := make(chan time.Duration, 1)
	fast := h.NewTimer(func(now time.Duration) {
		select {
		case fired <- now:
		default:
		}
	})
	start := h.Now()
	fast.Start(start, p48k64)
	defer fast.SyncStop()
	select {
	case now := <-fired:
		if now < start+p48k64.Offset(1) {
			t.Fatalf("fired early at %v", now-start)
		}
	case <-time.After(generous):
		t.Fatal("an earlier deadline did not wake the timer thread")
	}
}

// TestHRStartFromCallbackNeedsNoKick: a Start while the thread is awake
// (here from another timer's callback) does not re-arm the timerfd; the
// thread must pick the new earliest deadline up before it sleeps again,
// instead of sleeping until the other timer's next deadline an hour away.
func TestHRStartFromCallbackNeedsNoKick(t *testing.T) {
	h := newTestHR(t)
	fired := make(chan struct{})
	var once sync.Once
	fast := h.NewTimer(func(time.Duration) { once.Do(func() { close(fired) }) })
	defer fast.SyncStop()
	slow := h.NewTimer(func(now time.Duration) { fast.Start(now, p48k64) })
	defer slow.SyncStop()
	// First callback now, the next one an hour later.
	slow.Start(h.Now()-time.Hour+time.Millisecond, Period{Frames: 3600, Rate: 1})
	select {
	case <-fired:
	case <-time.After(generous):
		t.Fatal("a timer started from a callback did not fire: the thread slept on the old deadline")
	}
}

func TestHRSyncStopWaitsForRunningCallback(t *testing.T) {
	h := newTestHR(t)
	entered := make(chan struct{})
	release := make(chan struct{})
	var relOnce sync.Once
	rel := func() { relOnce.Do(func() { close(release) }) }
	defer rel() // a failing test must not leave the runner blocked
	var calls atomic.Int32
	tm := h.NewTimer(func(time.Duration) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	tm.Start(h.Now(), p48k64)
	<-entered
	syncDone := make(chan int32)
	go func() {
		tm.SyncStop()
		syncDone <- calls.Load()
	}()
	waitSyncStopBlocked(t, &h.c)
	select {
	case <-syncDone:
		t.Fatal("SyncStop returned while the callback was running")
	default:
	}
	rel()
	if n := <-syncDone; n != 1 {
		t.Fatalf("%d callbacks when SyncStop returned, want 1", n)
	}
	waitAfterBoundaries(t, h, 5)
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d callbacks after SyncStop, want 1", n)
	}
	// Start after SyncStop works.
	tm.Start(h.Now(), p48k64)
	waitFor(t, "restart", func() bool { return calls.Load() >= 3 })
	tm.SyncStop()
}

func TestHRStopAndSyncStopInsideCallback(t *testing.T) {
	h := newTestHR(t)
	var logged atomic.Int32
	h.c.logf = func(string, ...any) { logged.Add(1) }
	var calls atomic.Int32
	errc := make(chan error, 1)
	var tm Timer
	tm = h.NewTimer(func(time.Duration) {
		if calls.Add(1) == 3 {
			errc <- tm.(*entry).SyncStopErr()
			tm.SyncStop() // logs instead of deadlocking
			tm.Stop()
		}
	})
	tm.Start(h.Now(), p48k64)
	var err error
	select {
	case err = <-errc:
	case <-time.After(generous):
		t.Fatal("timer did not fire 3 times")
	}
	if !errors.Is(err, ErrSyncStopInCallback) {
		t.Fatalf("SyncStopErr from own callback = %v", err)
	}
	tm.SyncStop()
	waitAfterBoundaries(t, h, 5)
	if n, l := calls.Load(), logged.Load(); n != 3 || l != 1 {
		t.Fatalf("calls=%d logged=%d, want 3 and 1", n, l)
	}
}

func TestHRCloseFromCallback(t *testing.T) {
	h, err := NewHR(HROptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	tm := h.NewTimer(func(time.Duration) { errc <- h.Close() })
	tm.Start(h.Now(), p48k64)
	if err := <-errc; !errors.Is(err, ErrCloseInCallback) {
		t.Fatalf("Close from callback = %v", err)
	}
	if err := h.Close(); err != nil { // waits for the thread
		t.Fatal(err)
	}
	tm.Start(h.Now(), p48k64) // harmless after Close
	tm.SyncStop()
}

// TestHRNoCallbackAfterStop is TestFakeNoCallbackAfterStop on the real
// thread: many goroutines start and stop 1.333 ms timers at random phases.
func TestHRNoCallbackAfterStop(t *testing.T) {
	h := newTestHR(t)
	var violations, fired atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var stopped atomic.Bool
			tm := h.NewTimer(func(time.Duration) {
				fired.Add(1)
				if stopped.Load() {
					violations.Add(1)
				}
			})
			for i := 0; i < 100; i++ {
				stopped.Store(false)
				// Start in the past so the first deadline is due now.
				tm.Start(h.Now()-p48k64.Offset(1)+time.Duration(i*7)*time.Microsecond, p48k64)
				// The sleep is the stress: Stop lands 0-1.5 ms after
				// Start, before, during or after the first callbacks.
				time.Sleep(time.Duration(i%4) * 500 * time.Microsecond)
				stopBothWays(tm, i)
				stopped.Store(true)
			}
		}()
	}
	wg.Wait()
	waitAfterBoundaries(t, h, 5)
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d of %d callbacks ran after Stop returned", v, fired.Load())
	}
	if fired.Load() == 0 {
		t.Fatal("no callback ran at all: the stress proved nothing")
	}
}

// TestHRHotPathAllocationFree counts heap allocations of the whole process
// while the thread serves 4 timers for 200 periods; the hot path (pop, run,
// re-queue, timerfd re-arm, read) must not allocate per wake-up.
func TestHRHotPathAllocationFree(t *testing.T) {
	h := newTestHR(t)
	var c atomic.Int64
	done := make(chan struct{})
	timers := make([]Timer, 4)
	for i := range timers {
		timers[i] = h.NewTimer(func(time.Duration) {
			if c.Add(1) == 800 {
				close(done)
			}
		})
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := h.Now()
	for i, tm := range timers {
		tm.Start(start+time.Duration(i)*100*time.Microsecond, p48k64)
	}
	<-done
	runtime.ReadMemStats(&after)
	for _, tm := range timers {
		tm.SyncStop()
	}
	if n := after.Mallocs - before.Mallocs; n > 100 {
		t.Fatalf("%d allocations for 800 wake-ups", n)
	}
}

func TestHRCloseIdempotentAndStopsFiring(t *testing.T) {
	h, err := NewHR(HROptions{FIFOPriority: -1, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if h.FIFO() {
		t.Fatal("FIFOPriority -1 still got SCHED_FIFO")
	}
	var c atomic.Int64
	tm := h.NewTimer(func(time.Duration) { c.Add(1) })
	tm.Start(h.Now(), p48k64)
	waitFor(t, "first callback", func() bool { return c.Load() > 0 })
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-h.done:
	default:
		t.Fatal("Close returned before the timer thread exited")
	}
	// With the thread gone no callback can run; the window of almost four
	// periods is what is observed, not a wait for something to happen.
	n := c.Load()
	time.Sleep(5 * time.Millisecond)
	if c.Load() != n {
		t.Fatal("callbacks after Close returned")
	}
}

func TestHRHoldP(t *testing.T) {
	before := runtime.GOMAXPROCS(0)
	h, err := NewHR(HROptions{HoldP: true, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if n := runtime.GOMAXPROCS(0); n != before+1 {
		t.Errorf("GOMAXPROCS %d with HoldP, want %d", n, before+1)
	}
	var c atomic.Int64
	start := h.Now()
	var early atomic.Bool
	tm := h.NewTimer(func(now time.Duration) {
		if now < start+p48k64.Offset(c.Add(1)) {
			early.Store(true)
		}
	})
	tm.Start(start, p48k64)
	waitFor(t, "50 periods with HoldP", func() bool { return c.Load() >= 50 })
	tm.SyncStop()
	runtime.GC() // must not hang on the P-holding thread
	if early.Load() {
		t.Error("a callback ran before its boundary")
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if n := runtime.GOMAXPROCS(0); n != before {
		t.Errorf("GOMAXPROCS %d after Close, want %d", n, before)
	}
}

// fifoThreads lists the threads of this process running SCHED_FIFO.
func fifoThreads(t *testing.T) []int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	var fifo []int
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			continue // exited meanwhile
		}
		if attr.Policy == unix.SCHED_FIFO {
			fifo = append(fifo, tid)
		}
	}
	return fifo
}

// TestHRFIFODoesNotLeak checks that only the timer thread runs SCHED_FIFO
// and that after Close no thread of the process does: the thread exits
// locked instead of returning to Go's pool.
func TestHRFIFODoesNotLeak(t *testing.T) {
	// Threads of HRs closed by earlier tests exit asynchronously.
	waitFor(t, "earlier timer threads to exit", func() bool { return len(fifoThreads(t)) == 0 })
	h, err := NewHR(HROptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	if !h.FIFO() {
		h.Close()
		t.Skip("SCHED_FIFO not permitted here")
	}
	// Make the thread work (and enter syscalls) for a while first.
	var c atomic.Int64
	tm := h.NewTimer(func(time.Duration) { c.Add(1) })
	tm.Start(h.Now(), p48k64)
	waitFor(t, "20 periods", func() bool { return c.Load() >= 20 })
	tm.SyncStop()
	if got := fifoThreads(t); len(got) != 1 || got[0] != h.tid {
		t.Fatalf("FIFO threads %v, want only the timer thread %d", got, h.tid)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "no SCHED_FIFO thread left", func() bool { return len(fifoThreads(t)) == 0 })
}

// TestHRSlackNeverEarly: with Slack, one wake-up serves timers due within
// the window, but none runs before its own boundary.
func TestHRSlackNeverEarly(t *testing.T) {
	h, err := NewHR(HROptions{Slack: 300 * time.Microsecond, Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	const streams = 8
	var early atomic.Int64
	var counts [streams]atomic.Int64
	start := h.Now()
	timers := make([]Timer, streams)
	for i := range timers {
		st := start + time.Duration(i)*25*time.Microsecond
		timers[i] = h.NewTimer(func(time.Duration) {
			k := counts[i].Add(1)
			if now := h.Now(); now < st+p48k64.Offset(k) {
				early.Add(1)
			}
		})
		timers[i].Start(st, p48k64)
	}
	waitFor(t, "50 periods of 8 timers", func() bool {
		for i := range counts {
			if counts[i].Load() < 50 {
				return false
			}
		}
		return true
	})
	for _, tm := range timers {
		tm.SyncStop()
	}
	if n := early.Load(); n != 0 {
		t.Fatalf("%d callbacks ran before their boundary", n)
	}
}
