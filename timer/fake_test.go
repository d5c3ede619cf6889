package timer

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var p48k64 = Period{Frames: 64, Rate: 48000}

func TestFakeDeterministicOrder(t *testing.T) {
	f := NewFake()
	var got []string
	a := f.NewTimer(func(now time.Duration) { got = append(got, fmt.Sprintf("a%d", now)) })
	b := f.NewTimer(func(now time.Duration) { got = append(got, fmt.Sprintf("b%d", now)) })
	a.Start(0, Period{Frames: 1, Rate: 1000})   // every 1 ms
	b.Start(500, Period{Frames: 3, Rate: 2000}) // 500 ns + k*1.5 ms
	if d, ok := f.NextDeadline(); !ok || d != time.Millisecond {
		t.Fatalf("NextDeadline = %v, %v; want 1ms, true", d, ok)
	}
	f.Advance(3 * time.Millisecond)
	want := []string{"a1000000", "b1500500", "a2000000", "a3000000"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("callbacks %v, want %v", got, want)
	}
	if f.Now() != 3*time.Millisecond {
		t.Fatalf("Now = %v", f.Now())
	}
	if d, ok := f.NextDeadline(); !ok || d != 3000500 {
		t.Fatalf("NextDeadline = %v, %v; want 3000500", d, ok)
	}
	// Equal deadlines fire in creation order.
	got = nil
	a.Start(f.Now(), Period{Frames: 1, Rate: 1000})
	b.Start(f.Now(), Period{Frames: 1, Rate: 1000})
	f.Set(4 * time.Millisecond)
	if want := "[a4000000 b4000000]"; fmt.Sprint(got) != want {
		t.Fatalf("ties %v, want %s", got, want)
	}
	f.Set(time.Millisecond) // backwards: ignored
	if f.Now() != 4*time.Millisecond {
		t.Fatalf("Set backwards moved clock to %v", f.Now())
	}
}

func TestFakeOncePerBoundaryExactDeadlines(t *testing.T) {
	f := NewFake()
	var n int64
	var bad error
	tm := f.NewTimer(func(now time.Duration) {
		n++
		if want := 7 + p48k64.Offset(n); now != want || f.Now() != want {
			bad = fmt.Errorf("call %d at %v (Now %v), want %v", n, now, f.Now(), want)
		}
	})
	tm.Start(7, p48k64)
	f.Advance(time.Second + 7)
	if bad != nil {
		t.Fatal(bad)
	}
	if n != 750 { // 48000/64 periods in one second
		t.Fatalf("%d callbacks in 1 s, want 750", n)
	}
}

func TestFakeStopInsideCallback(t *testing.T) {
	f := NewFake()
	var n int
	var tm Timer
	tm = f.NewTimer(func(time.Duration) {
		n++
		if n == 3 {
			tm.Stop()
		}
	})
	tm.Start(0, p48k64)
	f.Advance(time.Second)
	if n != 3 {
		t.Fatalf("%d callbacks, want 3 (stopped in the third)", n)
	}
	if _, ok := f.NextDeadline(); ok {
		t.Fatal("stopped timer still has a deadline")
	}
	// Start again after Stop works, with a fresh phase.
	tm.Start(f.Now(), p48k64)
	f.Advance(p48k64.Offset(2))
	if n != 5 {
		t.Fatalf("%d callbacks after restart, want 5", n)
	}
}

func TestFakeStartInsideCallbackRestartsPhase(t *testing.T) {
	f := NewFake()
	var calls []time.Duration
	var tm Timer
	tm = f.NewTimer(func(now time.Duration) {
		calls = append(calls, now)
		if len(calls) == 1 {
			tm.Start(now+100, Period{Frames: 1, Rate: 1000})
		}
	})
	tm.Start(0, Period{Frames: 1, Rate: 1000})
	f.Advance(3 * time.Millisecond)
	want := []time.Duration{1000000, 2000100, 3000100}
	if fmt.Sprint(calls) != fmt.Sprint(want[:2]) {
		t.Fatalf("calls %v, want %v", calls, want[:2])
	}
	f.Advance(100)
	if fmt.Sprint(calls) != fmt.Sprint(want) {
		t.Fatalf("calls %v, want %v", calls, want)
	}
}

func TestFakeLateStartRunsOnceThenSkips(t *testing.T) {
	f := NewFake()
	f.Set(10 * time.Millisecond)
	var calls []time.Duration
	tm := f.NewTimer(func(now time.Duration) { calls = append(calls, now) })
	tm.Start(0, Period{Frames: 1, Rate: 1000}) // boundaries 1..10 ms already past
	f.Advance(0)
	f.Advance(time.Millisecond)
	if want := "[10ms 11ms]"; fmt.Sprint(calls) != want {
		t.Fatalf("calls %v, want %s", calls, want)
	}
}

func TestFakeSyncStopWaitsForRunningCallback(t *testing.T) {
	f := NewFake()
	entered := make(chan struct{})
	release := make(chan struct{})
	var relOnce sync.Once
	rel := func() { relOnce.Do(func() { close(release) }) }
	defer rel() // a failing test must not leave the runner blocked
	var after atomic.Int32
	var tm Timer
	var calls atomic.Int32
	tm = f.NewTimer(func(time.Duration) {
		if calls.Add(1) == 1 {
			close(entered)
			<-release
		}
	})
	tm.Start(0, p48k64)
	advDone := make(chan struct{})
	go func() { // the "interrupt"
		defer close(advDone)
		f.Advance(time.Second)
	}()
	<-entered
	syncDone := make(chan struct{})
	go func() {
		tm.SyncStop()
		after.Store(calls.Load())
		close(syncDone)
	}()
	waitSyncStopBlocked(t, &f.c)
	select {
	case <-syncDone:
		t.Fatal("SyncStop returned while the callback was running")
	default:
	}
	rel()
	<-syncDone
	<-advDone
	if n := calls.Load(); n != 1 || after.Load() != 1 {
		t.Fatalf("%d callbacks (%d when SyncStop returned), want 1", n, after.Load())
	}
}

func TestFakeSyncStopFromOwnCallback(t *testing.T) {
	f := NewFake()
	var logged []string
	f.c.logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	var tm Timer
	var n int
	var err error
	tm = f.NewTimer(func(time.Duration) {
		n++
		err = tm.(*entry).SyncStopErr()
		tm.SyncStop() // must log, not deadlock
	})
	tm.Start(0, p48k64)
	f.Advance(time.Second)
	if n != 1 || !errors.Is(err, ErrSyncStopInCallback) || len(logged) != 1 {
		t.Fatalf("n=%d err=%v logged=%q", n, err, logged)
	}
	// From another timer's callback, SyncStop of a timer that is not
	// running simply stops it without error.
	var other Timer
	var otherN int
	other = f.NewTimer(func(time.Duration) { otherN++ })
	other.Start(f.Now(), p48k64)
	tm.Start(f.Now(), Period{Frames: 32, Rate: 48000})
	var err2 error = errors.New("not called")
	tm2 := f.NewTimer(func(time.Duration) { err2 = other.(*entry).SyncStopErr() })
	tm.Stop()
	tm2.Start(f.Now(), Period{Frames: 32, Rate: 48000})
	f.Advance(time.Second)
	if err2 != nil || otherN != 0 {
		t.Fatalf("SyncStop of idle timer from callback: err=%v, other ran %d times", err2, otherN)
	}
}

// TestFakeNoCallbackAfterStop stresses the contract "none starts after Stop
// returns": an interrupt goroutine advances the clock while many goroutines
// start and stop their timers; a callback that runs after its owner's Stop
// returned is counted as a violation.
func TestFakeNoCallbackAfterStop(t *testing.T) {
	f := NewFake()
	const workers = 16
	stop := make(chan struct{})
	var violations atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
				f.Advance(100 * time.Microsecond)
			}
		}
	}()
	var ww sync.WaitGroup
	for w := 0; w < workers; w++ {
		ww.Add(1)
		go func() {
			defer ww.Done()
			var stopped atomic.Bool
			tm := f.NewTimer(func(time.Duration) {
				if stopped.Load() {
					violations.Add(1)
				}
			})
			for i := 0; i < 300; i++ {
				stopped.Store(false)
				tm.Start(f.Now(), Period{Frames: 1, Rate: 20000})
				for j := 0; j < i%5; j++ {
					runtime.Gosched()
				}
				stopBothWays(tm, i)
				stopped.Store(true)
			}
		}()
	}
	ww.Wait()
	close(stop)
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Fatalf("%d callbacks ran after Stop returned", v)
	}
}

func TestFakeAdvanceFromCallbackIgnored(t *testing.T) {
	f := NewFake()
	var logged []string
	f.c.logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	var n int
	tm := f.NewTimer(func(time.Duration) {
		n++
		f.Advance(time.Second) // would deadlock
		f.Set(time.Hour)
	})
	tm.Start(0, p48k64)
	f.Advance(p48k64.Offset(2))
	if n != 2 || len(logged) != 4 || f.Now() != p48k64.Offset(2) {
		t.Fatalf("n=%d logged=%d Now=%v", n, len(logged), f.Now())
	}
}

// waitSyncStopBlocked waits until one SyncStop is provably blocked inside
// its wait loop on c.
func waitSyncStopBlocked(t *testing.T, c *core) {
	t.Helper()
	waitFor(t, "SyncStop to block", func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.waiters == 1
	})
}

// stopBothWays stops tm with Stop on even rounds and SyncStop on odd ones.
// After Stop alone a callback already marked running may complete: it waits
// for that one, so in both cases no callback may run after it returns.
func stopBothWays(tm Timer, round int) {
	if round%2 == 0 {
		tm.Stop()
		waitNotRunning(tm.(*entry))
	} else {
		tm.SyncStop()
	}
}

// waitNotRunning spins until e's callback, if one is in flight, has
// returned: what Stop alone does not wait for.
func waitNotRunning(e *entry) {
	for {
		e.c.mu.Lock()
		r := e.running
		e.c.mu.Unlock()
		if !r {
			return
		}
		runtime.Gosched()
	}
}
