package pcm

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// Fake-clock tests of the pointer logic (pcm_lib.c): every callback runs
// in the test goroutine inside fake.Set, so each step is deterministic.

func TestXRunAtPeriodCallback(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024)) // full buffer, starts
	f.advancePeriods(3)
	if st := f.status(); st.State != StateRunning || st.HWPtr != 768 || st.Avail != 768 {
		t.Fatalf("after 3 periods: %v hw %d avail %d", st.State, st.HWPtr, st.Avail)
	}
	// The fourth callback finds avail = buffer = stop_threshold.
	f.advancePeriods(1)
	st := f.status()
	if st.State != StateXRun || st.XRuns != 1 {
		t.Fatalf("after 4 periods: %v xruns %d, want XRUN 1 (snd_pcm_update_state)", st.State, st.XRuns)
	}
	_, err := f.s.Write(bg, pattern(stereo48k, 0, 256), false)
	wantErrno(t, "Write in XRUN", err, syscall.EPIPE)
	wantErrno(t, "HWSync in XRUN", f.s.HWSync(), syscall.EPIPE)
	// Recovery as snd_pcm_recover does it.
	f.must("Prepare", f.s.Prepare())
	if n := f.write(pattern(stereo48k, 0, 256)); n != 256 {
		t.Fatalf("write after prepare: %d", n)
	}
	if st := f.s.State(); st != StateRunning {
		t.Fatalf("state %v after recovery write", st)
	}
}

func TestCaptureOverrun(t *testing.T) {
	f := newFixture(t, Capture).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.must("Start", f.s.Start())
	f.advancePeriods(3)
	buf := make([]byte, 256*4)
	if n, err := f.s.Read(bg, buf, true); n != 256 || err != nil {
		t.Fatalf("Read: %d %v", n, err)
	}
	f.advancePeriods(2) // avail 4 periods = buffer: overrun
	if st := f.s.State(); st != StateXRun {
		t.Fatalf("state %v, want XRUN", st)
	}
	_, err := f.s.Read(bg, buf, true)
	wantErrno(t, "Read in XRUN", err, syscall.EPIPE)
}

func TestDrainBlockingDeliversExactly(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	sink := &memSink{}
	f.s.SetSink(sink)
	f.must("Prepare", f.s.Prepare())
	// 1000 frames: the last period is partial, so hw_ptr overshoots
	// appl_ptr before the drain ends; the overshoot must not be delivered.
	data := pattern(stereo48k, 0, 1000)
	f.write(data)
	done := make(chan error, 1)
	go func() { done <- f.s.Drain(bg, false) }()
	waitFor(t, "DRAINING", func() bool { return f.s.State() == StateDraining })
	periods := 0
	for f.s.State() == StateDraining {
		if periods > 10 {
			t.Fatalf("drain did not end after %d periods", periods)
		}
		f.advancePeriods(1) // the callback ends the drain in here
		periods++
	}
	select {
	case err := <-done:
		f.must("Drain", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("Drain did not return after the stream left DRAINING")
	}
	if st := f.s.State(); st != StateSetup {
		t.Fatalf("state %v after drain, want SETUP", st)
	}
	// avail >= buffer first holds at hw_ptr 1024: four periods.
	if periods != 4 {
		t.Fatalf("drain took %d periods, want 4", periods)
	}
	f.must("HWFree", f.s.HWFree()) // ends the run: the sink is flushed and closed
	got, opens, closes := sink.snapshot()
	if opens != 1 || closes != 1 {
		t.Fatalf("sink opened %d, closed %d times", opens, closes)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("sink got %d bytes, want the %d written, bit-exact", len(got), len(data))
	}
	if sink.cfg.Rate != 48000 || sink.cfg.Channels != 2 {
		t.Fatalf("sink config %+v", sink.cfg)
	}
}

// stalledDriver never raises an interrupt and its position never moves:
// "DMA or IRQ trouble".
type stalledDriver struct{ Driver }

func (d stalledDriver) Trigger(s *Substream, cmd TriggerCmd) error { return nil }
func (d stalledDriver) Pointer(s *Substream) int                   { return 0 }

func newStalled(t *testing.T, dir Stream) *fixture {
	fake := timer.NewFake()
	s := NewSubstream(Options{Stream: dir, Hardware: DefaultHardware(),
		Driver: stalledDriver{NewVirtualDriver(fake)}, Clock: fake, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Release() })
	return &fixture{t: t, fake: fake, s: s}
}

// advanceUntil moves the fake clock by step until done yields a value.
func advanceUntil[T any](t *testing.T, fake *timer.Fake, step time.Duration, done <-chan T) T {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case v := <-done:
			return v
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no result")
		}
		fake.Advance(step)
	}
}

func TestDrainTimeout(t *testing.T) {
	f := newStalled(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 512))
	done := make(chan error, 1)
	go func() { done <- f.s.Drain(bg, false) }()
	// max(100 ms, 1024*1100/48000 = 23 ms) of clock time without progress.
	err := advanceUntil(t, f.fake, 30*time.Millisecond, done)
	wantErrno(t, "Drain", err, syscall.EIO)
	if st := f.s.State(); st != StateSetup {
		t.Fatalf("state %v after drain timeout, want SETUP (stopped)", st)
	}
}

func TestWriteTimeout(t *testing.T) {
	f := newStalled(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024))
	done := make(chan error, 1)
	go func() {
		_, err := f.s.Write(bg, pattern(stereo48k, 0, 256), false)
		done <- err
	}()
	// max(10 s, 2 periods) without a wake-up: EIO (wait_for_avail).
	err := advanceUntil(t, f.fake, 3*time.Second, done)
	wantErrno(t, "Write", err, syscall.EIO)
}

func TestWriteInterrupted(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024))
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() {
		_, err := f.s.Write(ctx, pattern(stereo48k, 0, 256), false)
		done <- err
	}()
	waitFor(t, "writer asleep", func() bool { f.s.mu.Lock(); defer f.s.mu.Unlock(); return f.s.twake != 0 })
	cancel()
	wantErrno(t, "Write", <-done, syscall.EINTR)
	// Partial transfer: interrupted after some frames went in returns the
	// count, not EINTR.
	f.advancePeriods(1) // 256 frames of room
	ctx2, cancel2 := context.WithCancel(bg)
	type res struct {
		n   int
		err error
	}
	done2 := make(chan res, 1)
	go func() {
		n, err := f.s.Write(ctx2, pattern(stereo48k, 0, 512), false)
		done2 <- res{n, err}
	}()
	waitFor(t, "writer asleep", func() bool { f.s.mu.Lock(); defer f.s.mu.Unlock(); return f.s.twake != 0 })
	cancel2()
	if r := <-done2; r.n != 256 || r.err != nil {
		t.Fatalf("partial write: %d frames, %v; want 256, nil", r.n, r.err)
	}
}

func TestAvailMinWakeup(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	p, _ := f.s.CurrentSWParams()
	p.AvailMin = 512
	f.must("SWParams", f.s.SWParams(&p))
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024))
	done := make(chan int, 1)
	go func() {
		n, err := f.s.Write(bg, pattern(stereo48k, 1024, 512), false)
		if err != nil {
			t.Errorf("Write: %v", err)
		}
		done <- n
	}()
	// twake = min(512, avail_min 512).
	waitFor(t, "writer asleep", func() bool { f.s.mu.Lock(); defer f.s.mu.Unlock(); return f.s.twake == 512 })
	w := f.s.Wait()
	f.advancePeriods(1) // avail 256 < 512: no wake-up
	select {
	case <-w:
		t.Fatalf("woken at avail 256 < avail_min 512")
	default:
	}
	if st := f.status(); st.ApplPtr != 1024 {
		t.Fatalf("appl_ptr moved to %d before the wake-up", st.ApplPtr)
	}
	f.advancePeriods(1) // avail 512: wake
	select {
	case <-w:
	default:
		t.Fatalf("not woken at avail 512")
	}
	if n := <-done; n != 512 {
		t.Fatalf("wrote %d", n)
	}
}

func TestPauseFreezesPosition(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024))
	f.advancePeriods(1)
	f.fake.Advance(f.period() / 2) // mid-period
	f.must("Pause", f.s.Pause(true))
	st := f.status()
	if st.HWPtr != 384 {
		t.Fatalf("hw_ptr %d at pause, want 384", st.HWPtr)
	}
	f.advancePeriods(20)
	if st2 := f.status(); st2.HWPtr != st.HWPtr || st2.State != StatePaused {
		t.Fatalf("paused: hw_ptr %d -> %d, state %v", st.HWPtr, st2.HWPtr, st2.State)
	}
	f.must("Release", f.s.Pause(false))
	f.fake.Advance(f.period() / 2) // next boundary: callback
	if st := f.status(); st.HWPtr != 512 || st.State != StateRunning {
		t.Fatalf("after release + half a period: hw %d %v, want 512 RUNNING", st.HWPtr, st.State)
	}
	f.advancePeriods(1)
	if st := f.status(); st.HWPtr != 768 {
		t.Fatalf("hw %d, want 768", st.HWPtr)
	}
}

func TestSuspendResume(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024))
	f.advancePeriods(1)
	f.must("Suspend", f.s.Suspend())
	_, err := f.s.Write(bg, pattern(stereo48k, 0, 256), false)
	wantErrno(t, "Write while suspended", err, syscall.ESTRPIPE)
	st := f.status()
	if st.State != StateSuspended || st.SuspendedState != StateRunning {
		t.Fatalf("state %v (saved %v)", st.State, st.SuspendedState)
	}
	f.advancePeriods(5)
	f.must("Resume", f.s.Resume())
	f.advancePeriods(1)
	if st := f.status(); st.State != StateRunning || st.HWPtr != 512 {
		t.Fatalf("after resume: %v hw %d, want RUNNING 512", st.State, st.HWPtr)
	}
	if got := f.s.Area().SuspendedState(); got != int32(StateRunning) {
		t.Fatalf("status page suspended_state %d", got)
	}
}

// TestBoundaryWrap shrinks the boundary (test-only) so that both pointers
// wrap many times, and checks pointers, avail and the delivered data
// across every wrap.
func TestBoundaryWrap(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	sink := &memSink{}
	f.s.SetSink(sink)
	f.s.mu.Lock()
	f.s.boundary = 4 * f.s.bufferSize // 4096
	f.s.mu.Unlock()
	f.must("Prepare", f.s.Prepare())
	var all []byte
	k := 0
	wrapsHW, wrapsAppl := 0, 0
	lastHW, lastAppl := uint64(0), uint64(0)
	for step := 0; step < 100; step++ {
		chunk := pattern(stereo48k, k, 256)
		if n := f.write(chunk); n != 256 {
			t.Fatalf("step %d: wrote %d", step, n)
		}
		all = append(all, chunk...)
		k += 256
		if step < 3 {
			continue // fill the buffer first
		}
		f.advancePeriods(1)
		f.waitSinkDrained()
		st := f.status()
		if st.HWPtr >= 4096 || st.ApplPtr >= 4096 {
			t.Fatalf("step %d: pointer beyond boundary: hw %d appl %d", step, st.HWPtr, st.ApplPtr)
		}
		if st.HWPtr < lastHW {
			wrapsHW++
		}
		if st.ApplPtr < lastAppl {
			wrapsAppl++
		}
		lastHW, lastAppl = st.HWPtr, st.ApplPtr
		if st.Avail != 256 || st.State != StateRunning {
			t.Fatalf("step %d: avail %d state %v (hw %d appl %d)", step, st.Avail, st.State, st.HWPtr, st.ApplPtr)
		}
		if want := uint64(k-1024+256) % 4096; st.HWPtr != want {
			t.Fatalf("step %d: hw %d, want %d", step, st.HWPtr, want)
		}
	}
	if st := f.status(); st.SinkOverflow != 0 {
		t.Fatalf("sink overflow %d", st.SinkOverflow)
	}
	if wrapsHW < 5 || wrapsAppl < 5 {
		t.Fatalf("wraps: hw %d appl %d", wrapsHW, wrapsAppl)
	}
	f.s.mu.Lock()
	wrap := f.s.hwPtrWrap
	f.s.mu.Unlock()
	if wrap != uint64(wrapsHW)*4096 {
		t.Fatalf("hw_ptr_wrap %d, want %d", wrap, wrapsHW*4096)
	}
	f.must("Drop", f.s.Drop())
	f.must("HWFree", f.s.HWFree())
	got, _, _ := sink.snapshot()
	played := (k - 1024 + 256) * 4 // frames hw_ptr passed
	if !bytes.Equal(got, all[:played]) {
		t.Fatalf("sink got %d bytes, want %d, bit-exact", len(got), played)
	}
}

func TestTransferAndStartDuringHWParamsAreEBUSY(t *testing.T) {
	f, drv := newBlockingHWParamsFixture(t)
	s := f.s
	f.setup(stereo48k)
	p, _ := s.CurrentSWParams()
	p.StartThreshold = p.Boundary
	f.must("SWParams", s.SWParams(&p))
	f.must("Prepare", s.Prepare())
	f.write(pattern(stereo48k, 0, 256)) // queued, not started
	done := drv.hwParamsHeld(s)
	_, err := s.Write(bg, pattern(stereo48k, 0, 256), true)
	wantErrno(t, "Write during hw_params", err, syscall.EBUSY)
	// Nor can the interrupt be started on state being replaced.
	wantErrno(t, "Start during hw_params", s.Start(), syscall.EBUSY)
	wantErrno(t, "Drain during hw_params", s.Drain(bg, true), syscall.EBUSY)
	drv.unblock()
	f.must("HWParams", <-done)
}

// blockingHWParams is a driver whose HWParams, once block is set, stops
// until unblock is called.
type blockingHWParams struct {
	Driver
	block   atomic.Bool
	hold    chan struct{}
	entered chan struct{}
	unblock func() // closes hold; idempotent
}

// newBlockingHWParamsFixture opens a playback substream on a
// blockingHWParams driver. The cleanup unblocks the driver before
// Release, even when the test fails.
func newBlockingHWParamsFixture(t *testing.T) (*fixture, *blockingHWParams) {
	t.Helper()
	fake := timer.NewFake()
	drv := &blockingHWParams{Driver: NewVirtualDriver(fake), hold: make(chan struct{}),
		entered: make(chan struct{}, 1)}
	drv.unblock = sync.OnceFunc(func() { close(drv.hold) })
	s := NewSubstream(Options{Stream: Playback, Hardware: DefaultHardware(), Driver: drv, Clock: fake, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		drv.unblock()
		s.Release()
	})
	return &fixture{t: t, fake: fake, s: s}, drv
}

// hwParamsHeld starts HWParams on s and returns once the driver holds
// it; the channel gets its result after unblock.
func (d *blockingHWParams) hwParamsHeld(s *Substream) <-chan error {
	d.block.Store(true)
	done := make(chan error, 1)
	go func() { done <- s.HWParams(hwParamsFor(stereo48k)) }()
	<-d.entered
	return done
}

func (d *blockingHWParams) HWParams(s *Substream, c Config) error {
	if d.block.Load() {
		d.entered <- struct{}{}
		<-d.hold
	}
	return d.Driver.HWParams(s, c)
}

func TestPlaybackSilence(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	p, _ := f.s.CurrentSWParams()
	p.StartThreshold = p.Boundary // no auto start
	f.must("SWParams", f.s.SWParams(&p))
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024)) // garbage everywhere
	f.must("Drop", f.s.Drop())
	f.must("Prepare", f.s.Prepare())
	p.SilenceThreshold, p.SilenceSize = 512, 512
	p.StartThreshold = 1
	f.must("SWParams", f.s.SWParams(&p))
	f.write(pattern(stereo48k, 0, 256)) // starts: post_start silences ahead
	f.s.mu.Lock()
	dma := bytes.Clone(f.s.dma)
	f.s.mu.Unlock()
	fb := 4
	if !bytes.Equal(dma[256*fb:512*fb], make([]byte, 256*fb)) {
		t.Fatalf("frames [256, 512) not silenced up to silence_threshold")
	}
	if bytes.Equal(dma[512*fb:], make([]byte, 512*fb)) {
		t.Fatalf("frames beyond silence_threshold were silenced too")
	}
}

// With silence_size >= boundary (free-running mode, dmix), what was just
// played is silenced at each pointer update and nothing ahead of it is.
func TestPlaybackSilenceFreeRunning(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	p, _ := f.s.CurrentSWParams()
	p.StartThreshold = p.Boundary // no auto start
	p.SilenceThreshold, p.SilenceSize = 0, p.Boundary
	f.must("SWParams", f.s.SWParams(&p))
	f.must("Prepare", f.s.Prepare())
	data := pattern(stereo48k, 1, 1024)
	f.write(data)
	f.must("Start", f.s.Start())
	fb := 4
	for played := 256; played <= 512; played += 256 {
		f.advancePeriods(1)
		f.s.mu.Lock()
		dma := bytes.Clone(f.s.dma)
		f.s.mu.Unlock()
		if !bytes.Equal(dma[:played*fb], make([]byte, played*fb)) {
			t.Fatalf("after %d frames played: the played frames are not silence", played)
		}
		if !bytes.Equal(dma[played*fb:], data[played*fb:]) {
			t.Fatalf("after %d frames played: frames not yet played were touched", played)
		}
	}
}

func TestPartialFrameIsEINVAL(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	_, err := f.s.Write(bg, make([]byte, 5), true)
	wantErrno(t, "Write 5 bytes", err, syscall.EINVAL)
	if !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("errors.Is does not see EINVAL")
	}
}

// scriptedDriver reports whatever position the test sets; its trigger
// does nothing (no interrupt: the test calls PeriodElapsed itself).
type scriptedDriver struct {
	stalledDriver
	pos int
}

func (d *scriptedDriver) Pointer(s *Substream) int { return d.pos }

// TestUpdateHWPtr0 walks snd_pcm_update_hw_ptr0's cases with scripted
// positions.
func TestUpdateHWPtr0(t *testing.T) {
	fake := timer.NewFake()
	d := &scriptedDriver{stalledDriver: stalledDriver{NewVirtualDriver(fake)}}
	s := NewSubstream(Options{Stream: Playback, Hardware: DefaultHardware(), Driver: d, Clock: fake, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	defer s.Release()
	f := &fixture{t: t, fake: fake, s: s}
	f.setup(stereo48k)
	p, _ := s.CurrentSWParams()
	p.StopThreshold = p.Boundary // never xrun: pointers only
	f.must("SWParams", s.SWParams(&p))
	f.must("Prepare", s.Prepare())
	f.write(pattern(stereo48k, 0, 1024)) // RUNNING
	s.mu.Lock()
	s.boundary = 4096 // reachable
	s.mu.Unlock()
	hw := func() uint64 { st := f.status(); return st.HWPtr }
	errs := func() uint64 { s.mu.Lock(); defer s.mu.Unlock(); return s.hwPtrErrors }
	step := func(pos int, want uint64, what string) {
		t.Helper()
		d.pos = pos
		fake.Advance(time.Millisecond)
		if got := hw(); got != want {
			t.Fatalf("%s: pos %d -> hw_ptr %d, want %d", what, pos, got, want)
		}
	}
	step(100, 100, "forward")
	step(1024, 1024, "pos >= buffer counts as 0, behind: +buffer")
	if errs() != 2 { // the invalid position, and a 924-frame jump
		t.Fatalf("invalid position not reported (%d reports)", errs())
	}
	step(200, 1224, "forward in the second lap")
	step(100, 2148, "behind: hw_ptr_base += buffer")
	step(50, 3122, "behind again")
	step(10, 10, "hw_ptr_base reaches boundary: wraps to 0")
	s.mu.Lock()
	wrap := s.hwPtrWrap
	s.mu.Unlock()
	if wrap != 4096 {
		t.Fatalf("hw_ptr_wrap %d, want 4096", wrap)
	}
	e := errs()
	step(500, 500, "490 frames > 1.5 periods: accepted, logged")
	if errs() != e+1 {
		t.Fatalf("\"Lost interrupts?\" not reported")
	}
	// In the interrupt: a position short of the expected one after more
	// than half a buffer time is a whole buffer lost ("double
	// acknowledged interrupt").
	s.mu.Lock()
	s.hwPtrInterrupt = 512
	s.mu.Unlock()
	fake.Advance(time.Second)
	d.pos = 600 // < 512+256
	s.PeriodElapsed()
	if got := hw(); got != 1024+600 {
		t.Fatalf("double-ack: hw_ptr %d, want %d", got, 1024+600)
	}
	// A jump of buffer+period or more is ignored ("Unexpected hw_ptr").
	s.mu.Lock()
	s.hwPtrInterrupt = 1624 + 512 // crafted: expected far ahead
	s.mu.Unlock()
	fake.Advance(time.Second)
	d.pos = 600 + 300 // short of expected; +buffer makes delta 1324
	e = errs()
	s.PeriodElapsed()
	s.mu.Lock()
	got := s.hwPtr // (Status would update it again, from process context)
	s.mu.Unlock()
	if got != 1624 {
		t.Fatalf("unexpected jump applied: hw_ptr %d, want 1624 unchanged", got)
	}
	if errs() != e+1 {
		t.Fatalf("\"Unexpected hw_ptr\" not reported")
	}
}

func TestDisconnectDuringHWParams(t *testing.T) {
	f, drv := newBlockingHWParamsFixture(t)
	s := f.s
	done := drv.hwParamsHeld(s)
	s.Disconnect()
	drv.unblock()
	wantErrno(t, "HWParams", <-done, syscall.ENODEV)
	if st := s.State(); st != StateDisconnected {
		t.Fatalf("state %v, want DISCONNECTED kept", st)
	}
	if _, ok := s.Config(); ok {
		t.Fatalf("configuration installed on a disconnected stream")
	}
}
