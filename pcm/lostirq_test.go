package pcm

import (
	"context"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// Lost interrupts on a capture stream: the period callback does not run
// for a while (a starved timer thread), then runs late, as the "Lost
// interrupts?" report of snd_pcm_update_hw_ptr0 describes. Every waiter
// must wake or time out as the kernel's would: the late callback's
// wake-up at avail_min, the xrun it finds, a process-context hwsync
// meanwhile, or wait_for_avail's timeout when no interrupt comes at all.

// lossySource is a fake timer source whose callbacks are dropped while
// drop is set: the interrupts are lost, the clock (and so the position)
// moves on.
type lossySource struct {
	*timer.Fake
	drop atomic.Bool
}

func (l *lossySource) NewTimer(cb timer.Callback) timer.Timer {
	return l.Fake.NewTimer(func(now time.Duration) {
		if !l.drop.Load() {
			cb(now)
		}
	})
}

func newLossy(t *testing.T, c testCfg) (*fixture, *lossySource) {
	t.Helper()
	src := &lossySource{Fake: timer.NewFake()}
	s := NewSubstream(Options{Stream: Capture, Hardware: DefaultHardware(),
		Driver: NewVirtualDriver(src), Clock: src, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Release() })
	f := (&fixture{t: t, fake: src.Fake, s: s}).setup(c)
	f.must("Prepare", f.s.Prepare())
	f.must("Start", f.s.Start())
	return f, src
}

// lose runs n periods without their interrupts.
func (l *lossySource) lose(f *fixture, n int) {
	l.drop.Store(true)
	f.advancePeriods(n)
	l.drop.Store(false)
}

func closed(w <-chan struct{}) bool {
	select {
	case <-w:
		return true
	default:
		return false
	}
}

func (f *fixture) hwPtrErrorCount() uint64 {
	f.s.mu.Lock()
	defer f.s.mu.Unlock()
	return f.s.hwPtrErrors
}

// An mmap capture client polls (the face's spin wait sleeps on the same
// channel): two lost periods, then the late third callback reports
// "Lost interrupts?", moves hw_ptr by three periods and wakes it.
func TestLostInterruptsLateCallbackWakesPoller(t *testing.T) {
	c := stereo48k
	c.access = AccessMMapInterleaved
	f, src := newLossy(t, c)
	ready, errored, w := f.s.Poll()
	if ready || errored {
		t.Fatalf("Poll at start: ready %v errored %v", ready, errored)
	}
	src.lose(f, 2)
	if closed(w) {
		t.Fatalf("woken without an interrupt or a hwsync")
	}
	f.advancePeriods(1) // the late interrupt
	if !closed(w) {
		t.Fatalf("the late interrupt did not wake the poller")
	}
	if n := f.hwPtrErrorCount(); n != 1 {
		t.Fatalf("%d hw_ptr errors, want the one \"Lost interrupts?\"", n)
	}
	if hw := f.s.Area().HWPtr(); hw != 768 {
		t.Fatalf("hw_ptr %d after the late interrupt, want 768", hw)
	}
	if ready, errored, _ := f.s.Poll(); !ready || errored {
		t.Fatalf("Poll after the late interrupt: ready %v errored %v", ready, errored)
	}
	// The client consumes through the control page; the stream goes on.
	f.s.Area().SetApplPtr(768)
	f.must("MMapCommit", f.s.MMapCommit())
	_, _, w = f.s.Poll()
	f.advancePeriods(1)
	if !closed(w) || f.s.State() != StateRunning {
		t.Fatalf("no wake-up after recovery (state %v)", f.s.State())
	}
}

// While the interrupts are lost, a process-context hwsync (the spinning
// client's own HWSYNC) moves hw_ptr and wakes the other waiters, as
// snd_pcm_update_hw_ptr -> snd_pcm_update_state does.
func TestLostInterruptsHWSyncWakes(t *testing.T) {
	c := stereo48k
	c.access = AccessMMapInterleaved
	f, src := newLossy(t, c)
	_, _, w := f.s.Poll()
	src.drop.Store(true)
	f.advancePeriods(2)
	if closed(w) {
		t.Fatalf("woken without an interrupt or a hwsync")
	}
	f.must("HWSync", f.s.HWSync())
	if !closed(w) {
		t.Fatalf("hwsync at avail 512 >= avail_min did not wake")
	}
	// No interrupt at all for a buffer: the hwsync finds the xrun.
	f.advancePeriods(2)
	_, _, w = f.s.Poll()
	wantErrno(t, "HWSync at avail = buffer", f.s.HWSync(), syscall.EPIPE)
	if !closed(w) || f.s.State() != StateXRun {
		t.Fatalf("xrun found by hwsync: woke %v, state %v", closed(w), f.s.State())
	}
}

// Three lost periods, the late fourth callback: the position wrapped to
// where it was, the "double acknowledged interrupt" check adds the
// buffer, avail reaches stop_threshold and the capture xruns inside the
// interrupt. A blocked Read, a poller, HWSync and Drain all see it; a
// prepare and start recover.
func TestLostInterruptsXRunWakesEveryWaiter(t *testing.T) {
	f, src := newLossy(t, stereo48k)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := f.s.Read(bg, make([]byte, 256*4), false)
		done <- result{n, err}
	}()
	waitFor(t, "reader asleep", func() bool { f.s.mu.Lock(); defer f.s.mu.Unlock(); return f.s.twake == 256 })
	_, _, w := f.s.Poll()
	src.lose(f, 3)
	if closed(w) {
		t.Fatalf("woken without an interrupt")
	}
	f.advancePeriods(1) // the late interrupt finds avail = buffer
	if st := f.s.State(); st != StateXRun {
		t.Fatalf("state %v after the late interrupt, want XRUN", st)
	}
	if !closed(w) {
		t.Fatalf("the xrun did not wake the poller")
	}
	select {
	case r := <-done:
		if r.n != 0 {
			t.Fatalf("Read got %d bytes in the xrun", r.n)
		}
		wantErrno(t, "blocked Read", r.err, syscall.EPIPE)
	case <-time.After(10 * time.Second):
		t.Fatalf("the blocked Read was not woken by the xrun")
	}
	if ready, errored, _ := f.s.Poll(); !ready || !errored {
		t.Fatalf("Poll in XRUN: ready %v errored %v, want POLLERR", ready, errored)
	}
	wantErrno(t, "HWSync in XRUN", f.s.HWSync(), syscall.EPIPE)
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	f.must("Drain of an XRUN capture", f.s.Drain(ctx, false))
	f.must("Prepare", f.s.Prepare())
	f.must("Start", f.s.Start())
	_, _, w = f.s.Poll()
	f.advancePeriods(1)
	if !closed(w) || f.s.State() != StateRunning {
		t.Fatalf("no wake-up after recovery (state %v)", f.s.State())
	}
}

// No interrupt at all (a dead timer): a blocked Read gives up with EIO
// after wait_for_avail's 10 s of the core's clock, as the kernel's
// "capture read timeout (DMA or IRQ trouble?)".
func TestLostInterruptsDeadTimerReadTimesOut(t *testing.T) {
	f, src := newLossy(t, stereo48k)
	src.drop.Store(true)
	done := make(chan error, 1)
	go func() {
		_, err := f.s.Read(bg, make([]byte, 256*4), false)
		done <- err
	}()
	waitFor(t, "reader asleep", func() bool { f.s.mu.Lock(); defer f.s.mu.Unlock(); return f.s.twake == 256 })
	start := f.fake.Now()
	err := advanceUntil(t, f.fake, 500*time.Millisecond, done)
	wantErrno(t, "Read with no interrupt", err, syscall.EIO)
	if el := f.fake.Now() - start; el < 10*time.Second {
		t.Fatalf("timed out after %v of clock time, want >= 10 s", el)
	}
}
