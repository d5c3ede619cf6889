package pcm

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// The sync_stop stress test: the period callback stops the stream from
// inside the interrupt (an underrun xrun, or the end of a drain), and the
// test goroutine, as soon as it sees the new state, frees or reinitializes
// what the callback still uses (hw_free, prepare, hw_params, release). The
// virtual driver's detector counts callbacks that touched released or
// reinitialized state after PeriodElapsed returned: with sync_stop it must
// stay 0 (TestSyncStopStress); with sync_stop disabled it must fire
// (TestSyncStopStressWithoutSyncStop), which proves the test sees the race
// that "ALSA: pcm: Add the support for sync-stop operation" fixed.

// stressCfg is small so that the first callback after a start already
// stops the stream: 64-frame periods, 256-frame buffer.
var stressCfg = testCfg{AccessRWInterleaved, FormatS16LE, 2, 48000, 64, 4}

// stressResult summarizes one run.
type stressResult struct {
	cycles   int
	raced    int    // cycles whose op started while a callback sat in the window
	detected uint64 // detector delta
}

// inWindow is 1 while a callback is between PeriodElapsed and its check.
var inWindow atomic.Int32

// widenWindow is the afterPeriodElapsedHook of the stress tests: it yields
// and spins a little so the test goroutine can get in.
func widenWindow() {
	inWindow.Store(1)
	for i := 0; i < 20; i++ {
		runtime.Gosched()
	}
	inWindow.Store(0)
}

// runStress runs cycles until minCycles are done and, if untilDetected, the
// detector fired; it stops at the deadline in any case.
func runStress(t *testing.T, minCycles int, deadline time.Duration, untilDetected bool) stressResult {
	t.Helper()
	fake := timer.NewFake()
	// The interrupt: a goroutine that keeps the fake clock moving, so
	// callbacks run concurrently with the test goroutine.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		step := timer.Period{Frames: int64(stressCfg.period), Rate: int64(stressCfg.rate)}.Duration() / 4
		for {
			select {
			case <-stop:
				return
			default:
			}
			fake.Advance(step)
			runtime.Gosched()
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()
	return stressLoop(t, fake, stressCfg, minCycles, deadline, untilDetected)
}

// stressLoop runs the cycles on src (whose interrupt must be running).
func stressLoop(t *testing.T, src timer.Source, cfg testCfg, minCycles int, deadline time.Duration, untilDetected bool) stressResult {
	t.Helper()
	hook := widenWindow
	afterPeriodElapsedHook.Store(&hook)
	defer afterPeriodElapsedHook.Store(nil)
	s := NewSubstream(Options{Stream: Playback, Hardware: DefaultHardware(),
		Driver: NewVirtualDriver(src), Clock: src, Name: "stress"})
	defer func() {
		if s.opened {
			s.Release()
		}
	}()

	before := virtualUseAfterFree.Load()
	var res stressResult
	end := time.Now().Add(deadline)
	frames := pattern(cfg, 0, cfg.period)
	params := func() {
		if err := s.HWParams(hwParamsFor(cfg)); err != nil {
			t.Fatalf("cycle %d: HWParams: %v", res.cycles, err)
		}
		// No automatic start: the test starts explicitly.
		p, _ := s.CurrentSWParams()
		p.StartThreshold = p.Boundary
		if err := s.SWParams(&p); err != nil {
			t.Fatalf("SWParams: %v", err)
		}
	}
	for {
		if res.cycles >= minCycles && (!untilDetected || virtualUseAfterFree.Load() > before) {
			break
		}
		if time.Now().After(end) {
			break
		}
		i := res.cycles
		if !s.opened {
			if err := s.Open(); err != nil {
				t.Fatalf("cycle %d: Open: %v", i, err)
			}
		}
		if s.State() == StateOpen {
			params()
		}
		if err := s.Prepare(); err != nil {
			t.Fatalf("cycle %d: Prepare in %v: %v", i, s.State(), err)
		}
		if _, err := s.Write(context.Background(), frames, true); err != nil {
			t.Fatalf("cycle %d: Write: %v", i, err)
		}
		drain := i%2 == 1
		if drain {
			// PREPARED with data: starts in DRAINING; the callback ends it.
			if err := s.Drain(context.Background(), true); Errno(err) != syscall.EAGAIN {
				t.Fatalf("cycle %d: Drain: %v", i, err)
			}
		} else if err := s.Start(); err != nil {
			// Start; the first callback finds the underrun.
			t.Fatalf("cycle %d: Start: %v", i, err)
		}
		// Wait for the callback's stop, as soon as it happens.
		for {
			w := s.Wait()
			st := s.State()
			if st != StateRunning && st != StateDraining {
				break
			}
			<-w
		}
		if inWindow.Load() == 1 {
			res.raced++
		}
		switch (i / 2) % 4 {
		case 0: // hw_free (snd_pcm_hw_free -> do_hw_free -> sync_stop)
			s.Drop()
			if err := s.HWFree(); err != nil {
				t.Fatalf("cycle %d: HWFree: %v", i, err)
			}
		case 1: // prepare (snd_pcm_do_prepare -> sync_stop)
			if err := s.Prepare(); err != nil {
				t.Fatalf("cycle %d: Prepare: %v", i, err)
			}
		case 2: // hw_params (snd_pcm_hw_params -> sync_stop)
			s.Drop()
			params()
		case 3: // release (snd_pcm_release_substream -> do_hw_free)
			if err := s.Release(); err != nil {
				t.Fatalf("cycle %d: Release: %v", i, err)
			}
		}
		res.cycles++
	}
	res.detected = virtualUseAfterFree.Load() - before
	return res
}

func stressCycles() int {
	if testing.Short() {
		return 2000
	}
	return 10000
}

func TestSyncStopStress(t *testing.T) {
	debugDisableSyncStop.Store(false)
	n := stressCycles()
	res := runStress(t, n, 45*time.Second, false)
	t.Logf("%d cycles, %d with a callback inside the window, detector %d", res.cycles, res.raced, res.detected)
	if res.cycles < n {
		t.Fatalf("only %d of %d cycles before the deadline", res.cycles, n)
	}
	if res.detected != 0 {
		t.Fatalf("use-after-free detector fired %d times with sync_stop enabled", res.detected)
	}
	if res.raced == 0 {
		t.Fatalf("no cycle hit the window: the test does not exercise sync_stop")
	}
}

// TestSyncStopStressWithoutSyncStop is the negative twin: with sync_stop a
// no-op the same loop must make the detector fire. It must stay free of
// data races under -race: everything the late callback touches is atomic.
func TestSyncStopStressWithoutSyncStop(t *testing.T) {
	debugDisableSyncStop.Store(true)
	defer debugDisableSyncStop.Store(false)
	res := runStress(t, 200, 30*time.Second, true)
	t.Logf("%d cycles, %d with a callback inside the window, detector %d", res.cycles, res.raced, res.detected)
	if res.detected == 0 {
		t.Fatalf("detector never fired in %d cycles without sync_stop: the stress test cannot see the race", res.cycles)
	}
}

// hrStressCfg runs the real timer fast: 64-frame periods at 384 kHz
// (167 us).
var hrStressCfg = testCfg{AccessRWInterleaved, FormatS16LE, 2, 384000, 64, 4}

// TestSyncStopStressHR is the stress test on the real HR timer thread:
// the callbacks run on their own OS thread, truly in parallel.
func TestSyncStopStressHR(t *testing.T) {
	hr, err := timer.NewHR(timer.HROptions{})
	if err != nil {
		t.Skip(err)
	}
	defer hr.Close()
	debugDisableSyncStop.Store(false)
	n := stressCycles() / 4
	res := stressLoop(t, hr, hrStressCfg, n, 30*time.Second, false)
	t.Logf("HR: %d cycles, %d with a callback inside the window, detector %d", res.cycles, res.raced, res.detected)
	if res.cycles < n {
		t.Fatalf("only %d of %d cycles before the deadline", res.cycles, n)
	}
	if res.detected != 0 {
		t.Fatalf("use-after-free detector fired %d times with sync_stop enabled", res.detected)
	}
}

// TestSyncStopStressHRWithoutSyncStop is the HR negative twin.
func TestSyncStopStressHRWithoutSyncStop(t *testing.T) {
	hr, err := timer.NewHR(timer.HROptions{})
	if err != nil {
		t.Skip(err)
	}
	defer hr.Close()
	debugDisableSyncStop.Store(true)
	defer debugDisableSyncStop.Store(false)
	res := stressLoop(t, hr, hrStressCfg, 100, 30*time.Second, true)
	t.Logf("HR: %d cycles, %d with a callback inside the window, detector %d", res.cycles, res.raced, res.detected)
	if res.detected == 0 {
		t.Fatalf("detector never fired in %d cycles without sync_stop", res.cycles)
	}
}
