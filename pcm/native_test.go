package pcm

import (
	"context"
	"fmt"
	"syscall"
	"testing"
)

// allStates lists the states in SNDRV_PCM_STATE_* order.
var allStates = []State{StateOpen, StateSetup, StatePrepared, StateRunning, StateXRun,
	StateDraining, StatePaused, StateSuspended, StateDisconnected}

// bringTo drives a fresh fixture into st by the shortest legal path.
// Playback RUNNING has a full buffer queued and hw_ptr 0.
func (f *fixture) bringTo(st State) {
	f.t.Helper()
	ctx := context.Background()
	if st == StateOpen {
		return
	}
	f.setup(stereo48k)
	if st == StateSetup {
		return
	}
	f.must("Prepare", f.s.Prepare())
	if st == StatePrepared {
		return
	}
	if f.s.playback() {
		f.write(pattern(stereo48k, 0, 1024))
	} else {
		f.must("Start", f.s.Start())
	}
	switch st {
	case StateRunning:
	case StateXRun:
		f.must("XRun", f.s.XRun())
	case StateDraining:
		if f.s.playback() {
			wantErrno(f.t, "Drain", f.s.Drain(ctx, true), syscall.EAGAIN)
		} else {
			f.advancePeriods(1) // something to read
			wantErrno(f.t, "Drain", f.s.Drain(ctx, true), syscall.EAGAIN)
		}
	case StatePaused:
		f.must("Pause", f.s.Pause(true))
	case StateSuspended:
		f.must("Suspend", f.s.Suspend())
	case StateDisconnected:
		f.s.Disconnect()
	}
	if got := f.s.State(); got != st {
		f.t.Fatalf("bringTo(%v): in %v", st, got)
	}
}

// op is one entry point with the kernel function it mirrors and the
// expected (errno, next state) per starting state. A next state of -1
// means "unchanged".
type op struct {
	name   string
	kernel string
	call   func(f *fixture) error
	want   [9]syscall.Errno
	next   [9]State
}

const same State = -1

func unchanged() [9]State { return [9]State{same, same, same, same, same, same, same, same, same} }

func nextOf(pairs ...any) [9]State {
	n := unchanged()
	for i := 0; i < len(pairs); i += 2 {
		n[pairs[i].(State)] = pairs[i+1].(State)
	}
	return n
}

const (
	ok     = syscall.Errno(0)
	ebadfd = syscall.EBADFD
)

var bg = context.Background()

// playbackOps is the transition matrix of a playback substream with
// DefaultHardware (InfoPause and InfoResume set). Columns: OPEN, SETUP,
// PREPARED (nothing queued), RUNNING (full buffer), XRUN, DRAINING,
// PAUSED, SUSPENDED (from RUNNING), DISCONNECTED.
var playbackOps = []op{
	{"hw_refine", "snd_pcm_hw_refine", func(f *fixture) error { p := new(HWParams); p.Any(); return f.s.HWRefine(p) },
		[9]syscall.Errno{ok, ok, ok, ok, ok, ok, ok, ok, ebadfd}, unchanged()},
	{"hw_params", "snd_pcm_hw_params", func(f *fixture) error { return f.s.HWParams(hwParamsFor(stereo48k)) },
		[9]syscall.Errno{ok, ok, ok, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd},
		nextOf(StateOpen, StateSetup, StatePrepared, StateSetup)},
	{"hw_free", "snd_pcm_hw_free", func(f *fixture) error { return f.s.HWFree() },
		[9]syscall.Errno{ebadfd, ok, ok, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd},
		nextOf(StateSetup, StateOpen, StatePrepared, StateOpen)},
	{"sw_params", "snd_pcm_sw_params", func(f *fixture) error {
		p := SWParams{AvailMin: 256, StartThreshold: 1, StopThreshold: 1024}
		return f.s.SWParams(&p)
	}, [9]syscall.Errno{ebadfd, ok, ok, ok, ok, ok, ok, ok, ebadfd}, unchanged()},
	{"prepare", "snd_pcm_prepare", func(f *fixture) error { return f.s.Prepare() },
		[9]syscall.Errno{ebadfd, ok, ok, syscall.EBUSY, ok, syscall.EBUSY, ok, ok, ebadfd},
		nextOf(StateSetup, StatePrepared, StatePrepared, StatePrepared, StateXRun, StatePrepared,
			StatePaused, StatePrepared, StateSuspended, StatePrepared)},
	{"start", "snd_pcm_pre_start", func(f *fixture) error { return f.s.Start() },
		[9]syscall.Errno{ebadfd, ebadfd, syscall.EPIPE, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd}, unchanged()},
	{"drop", "snd_pcm_drop", func(f *fixture) error { return f.s.Drop() },
		[9]syscall.Errno{ebadfd, ok, ok, ok, ok, ok, ok, ok, ebadfd},
		nextOf(StatePrepared, StateSetup, StateRunning, StateSetup, StateXRun, StateSetup,
			StateDraining, StateSetup, StatePaused, StateSetup, StateSuspended, StateSetup)},
	{"drain(nonblock)", "snd_pcm_drain/snd_pcm_do_drain_init", func(f *fixture) error { return f.s.Drain(bg, true) },
		[9]syscall.Errno{ebadfd, syscall.EAGAIN, syscall.EAGAIN, syscall.EAGAIN, syscall.EAGAIN, syscall.EAGAIN,
			syscall.EAGAIN, ebadfd, ebadfd},
		nextOf(StatePrepared, StateSetup, StateRunning, StateDraining, StateXRun, StateSetup,
			StatePaused, StateDraining)},
	{"pause push", "snd_pcm_pre_pause", func(f *fixture) error { return f.s.Pause(true) },
		[9]syscall.Errno{ebadfd, ebadfd, ebadfd, ok, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd},
		nextOf(StateRunning, StatePaused)},
	{"pause release", "snd_pcm_pre_pause", func(f *fixture) error { return f.s.Pause(false) },
		[9]syscall.Errno{ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ok, ebadfd, ebadfd},
		nextOf(StatePaused, StateRunning)},
	{"reset", "snd_pcm_pre_reset", func(f *fixture) error { return f.s.Reset() },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, ebadfd, ebadfd, ok, ok, ebadfd}, unchanged()},
	{"rewind", "snd_pcm_rewind/do_pcm_hwsync", func(f *fixture) error { _, err := f.s.Rewind(1); return err },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, syscall.EPIPE, ok, ok, syscall.ESTRPIPE, ebadfd}, unchanged()},
	{"forward", "snd_pcm_forward/do_pcm_hwsync", func(f *fixture) error { _, err := f.s.Forward(1); return err },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, syscall.EPIPE, ok, ok, syscall.ESTRPIPE, ebadfd}, unchanged()},
	{"hwsync", "snd_pcm_hwsync/do_pcm_hwsync", func(f *fixture) error { return f.s.HWSync() },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, syscall.EPIPE, ok, ok, syscall.ESTRPIPE, ebadfd}, unchanged()},
	{"delay", "snd_pcm_delay", func(f *fixture) error { _, err := f.s.Delay(); return err },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, syscall.EPIPE, ok, ok, syscall.ESTRPIPE, ebadfd}, unchanged()},
	{"xrun", "snd_pcm_xrun", func(f *fixture) error { return f.s.XRun() },
		[9]syscall.Errno{ebadfd, ebadfd, ebadfd, ok, ok, ebadfd, ebadfd, ebadfd, ebadfd},
		nextOf(StateRunning, StateXRun)},
	{"suspend", "snd_pcm_pre_suspend", func(f *fixture) error { return f.s.Suspend() },
		[9]syscall.Errno{syscall.EBUSY, syscall.EBUSY, ok, ok, ok, ok, ok, syscall.EBUSY, syscall.EBUSY},
		nextOf(StatePrepared, StateSuspended, StateRunning, StateSuspended, StateXRun, StateSuspended,
			StateDraining, StateSuspended, StatePaused, StateSuspended)},
	{"resume", "snd_pcm_pre_resume", func(f *fixture) error { return f.s.Resume() },
		[9]syscall.Errno{ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ok, ebadfd},
		nextOf(StateSuspended, StateRunning)},
	{"status", "snd_pcm_status64", func(f *fixture) error { _, err := f.s.Status(); return err },
		[9]syscall.Errno{ok, ok, ok, ok, ok, ok, ok, ok, ebadfd}, unchanged()},
	{"write(nonblock)", "snd_pcm_write/__snd_pcm_lib_xfer", func(f *fixture) error {
		_, err := f.s.Write(bg, pattern(stereo48k, 0, 256), true)
		return err
	}, [9]syscall.Errno{ebadfd, ebadfd, ok, syscall.EAGAIN, syscall.EPIPE, ebadfd, syscall.EAGAIN, syscall.ESTRPIPE, ebadfd},
		nextOf(StatePrepared, StateRunning)},
	{"sync_ptr", "snd_pcm_sync_ptr", func(f *fixture) error {
		c := SyncPtrControl{}
		_, err := f.s.SyncPtr(SyncPtrAppl|SyncPtrAvailMin, &c)
		return err
	}, [9]syscall.Errno{ok, ok, ok, ok, ok, ok, ok, ok, ebadfd}, unchanged()},
	{"mmap_commit", "snd_pcm_start via alsa-lib snd_pcm_mmap_commit", func(f *fixture) error { return f.s.MMapCommit() },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, syscall.EPIPE, ebadfd, ok, syscall.ESTRPIPE, ebadfd}, unchanged()},
}

func TestPlaybackTransitions(t *testing.T) {
	runMatrix(t, Playback, playbackOps)
}

func runMatrix(t *testing.T, dir Stream, ops []op) {
	for _, o := range ops {
		for i, from := range allStates {
			name := fmt.Sprintf("%s in %v", o.name, from)
			t.Run(name, func(t *testing.T) {
				f := newFixture(t, dir)
				f.bringTo(from)
				err := o.call(f)
				if got := Errno(err); got != o.want[i] {
					t.Fatalf("%s (%s): got %v, want errno %v", name, o.kernel, err, o.want[i])
				}
				want := o.next[i]
				if want == same {
					want = from
				}
				if got := f.s.State(); got != want {
					t.Fatalf("%s (%s): state %v, want %v", name, o.kernel, got, want)
				}
			})
		}
	}
}

// captureOps lists the capture rows that differ from playback.
var captureOps = []op{
	{"start", "snd_pcm_pre_start", func(f *fixture) error { return f.s.Start() },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd, ebadfd},
		nextOf(StatePrepared, StateRunning)},
	{"drain(nonblock)", "snd_pcm_do_drain_init", func(f *fixture) error { return f.s.Drain(bg, true) },
		// A RUNNING capture with nothing recorded yet (hw_ptr 0) stops to
		// SETUP; so does a PAUSED one (released first).
		[9]syscall.Errno{ebadfd, syscall.EAGAIN, syscall.EAGAIN, syscall.EAGAIN, syscall.EAGAIN, syscall.EAGAIN,
			syscall.EAGAIN, ebadfd, ebadfd},
		nextOf(StateRunning, StateSetup, StatePaused, StateSetup)},
	{"prepare", "snd_pcm_pre_prepare", func(f *fixture) error { return f.s.Prepare() },
		// A DRAINING capture is not running: prepare works.
		[9]syscall.Errno{ebadfd, ok, ok, syscall.EBUSY, ok, ok, ok, ok, ebadfd},
		nextOf(StateSetup, StatePrepared, StatePrepared, StatePrepared, StateXRun, StatePrepared,
			StateDraining, StatePrepared, StatePaused, StatePrepared, StateSuspended, StatePrepared)},
	{"hwsync", "do_pcm_hwsync", func(f *fixture) error { return f.s.HWSync() },
		[9]syscall.Errno{ebadfd, ebadfd, ok, ok, syscall.EPIPE, ebadfd, ok, syscall.ESTRPIPE, ebadfd}, unchanged()},
	{"read(nonblock)", "snd_pcm_read/__snd_pcm_lib_xfer", func(f *fixture) error {
		_, err := f.s.Read(bg, make([]byte, 256*4), true)
		return err
		// PREPARED: 256 >= start_threshold starts the stream, then nothing
		// is recorded yet: EAGAIN, RUNNING. DRAINING: pcm_accessible_state
		// rejects it before the "stop when empty" logic: EBADFD.
	}, [9]syscall.Errno{ebadfd, ebadfd, syscall.EAGAIN, syscall.EAGAIN, syscall.EPIPE, ebadfd, syscall.EAGAIN, syscall.ESTRPIPE, ebadfd},
		nextOf(StatePrepared, StateRunning)},
}

func TestCaptureTransitions(t *testing.T) { runMatrix(t, Capture, captureOps) }

// TestTransitionsExtra covers rows that need a special set-up.
func TestTransitionsExtra(t *testing.T) {
	t.Run("start in PREPARED with data (snd_pcm_do_start)", func(t *testing.T) {
		f := newFixture(t, Playback).setup(stereo48k)
		f.must("Prepare", f.s.Prepare())
		p := SWParams{AvailMin: 256, StartThreshold: 4096, StopThreshold: 1024}
		f.must("SWParams", f.s.SWParams(&p))
		f.write(pattern(stereo48k, 0, 256))
		if st := f.s.State(); st != StatePrepared {
			t.Fatalf("state %v before start, want PREPARED (threshold not reached)", st)
		}
		f.must("Start", f.s.Start())
		if st := f.s.State(); st != StateRunning {
			t.Fatalf("state %v, want RUNNING", st)
		}
	})
	t.Run("pause without INFO_PAUSE is ENOSYS (snd_pcm_pre_pause)", func(t *testing.T) {
		hw := DefaultHardware()
		hw.Info &^= InfoPause
		f := newFixtureHW(t, Playback, hw)
		f.bringTo(StateRunning)
		wantErrno(t, "Pause", f.s.Pause(true), syscall.ENOSYS)
	})
	t.Run("resume without INFO_RESUME is ENOSYS (snd_pcm_pre_resume)", func(t *testing.T) {
		hw := DefaultHardware()
		hw.Info &^= InfoResume
		f := newFixtureHW(t, Playback, hw)
		f.bringTo(StateSuspended)
		wantErrno(t, "Resume", f.s.Resume(), syscall.ENOSYS)
		// snd_pcm_recover's path: prepare works from SUSPENDED.
		f.must("Prepare", f.s.Prepare())
		if st := f.s.State(); st != StatePrepared {
			t.Fatalf("state %v, want PREPARED", st)
		}
	})
	t.Run("hw_params while mmapped is EBADFD (snd_pcm_hw_params mmap_count)", func(t *testing.T) {
		f := newFixture(t, Playback).setup(stereo48k)
		f.s.Area().Pin()
		wantErrno(t, "HWParams", f.s.HWParams(hwParamsFor(stereo48k)), ebadfd)
		wantErrno(t, "HWFree", f.s.HWFree(), ebadfd)
		f.s.Area().Unpin()
		f.must("HWFree", f.s.HWFree())
	})
	t.Run("sw_params validation (snd_pcm_sw_params)", func(t *testing.T) {
		f := newFixture(t, Playback).setup(stereo48k)
		cur, err := f.s.CurrentSWParams()
		f.must("CurrentSWParams", err)
		for _, c := range []struct {
			name string
			mod  func(p *SWParams)
			want syscall.Errno
		}{
			{"avail_min 0", func(p *SWParams) { p.AvailMin = 0 }, syscall.EINVAL},
			{"tstamp_mode 2", func(p *SWParams) { p.TstampMode = 2 }, syscall.EINVAL},
			{"tstamp_type 3 (proto 2.0.12)", func(p *SWParams) { p.Proto = protoTstampType; p.TstampType = 3 }, syscall.EINVAL},
			{"tstamp_type 3 (old proto ignored)", func(p *SWParams) { p.TstampType = 3 }, ok},
			{"silence_size > threshold", func(p *SWParams) { p.SilenceThreshold = 10; p.SilenceSize = 11 }, syscall.EINVAL},
			{"silence_threshold > buffer", func(p *SWParams) { p.SilenceThreshold = 1025; p.SilenceSize = 1 }, syscall.EINVAL},
			{"silence_size = boundary with threshold", func(p *SWParams) { p.SilenceSize = cur.Boundary; p.SilenceThreshold = 1 }, syscall.EINVAL},
			{"silence_size = boundary", func(p *SWParams) { p.SilenceSize = cur.Boundary }, ok},
			{"silence in range", func(p *SWParams) { p.SilenceThreshold = 512; p.SilenceSize = 256 }, ok},
		} {
			p := cur
			c.mod(&p)
			if got := Errno(f.s.SWParams(&p)); got != c.want {
				t.Errorf("%s: errno %v, want %v", c.name, got, c.want)
			}
		}
	})
	t.Run("defaults after hw_params (snd_pcm_hw_params)", func(t *testing.T) {
		f := newFixture(t, Playback).setup(stereo48k)
		p, err := f.s.CurrentSWParams()
		f.must("CurrentSWParams", err)
		if p.AvailMin != 256 || p.StartThreshold != 1 || p.StopThreshold != 1024 ||
			p.SilenceSize != 0 || p.SilenceThreshold != 0 {
			t.Fatalf("defaults %+v", p)
		}
		// boundary: 1024 doubled while boundary*2 <= LONG_MAX - 1024:
		// 1024 << 52 = 2^62.
		if p.Boundary != 1<<62 {
			t.Fatalf("boundary %d, want 2^62", p.Boundary)
		}
	})
	t.Run("open twice is EBUSY; ops after release are EBADFD", func(t *testing.T) {
		f := newFixture(t, Playback)
		wantErrno(t, "Open", f.s.Open(), syscall.EBUSY)
		f.must("Release", f.s.Release())
		wantErrno(t, "Prepare", f.s.Prepare(), ebadfd)
		wantErrno(t, "Release", f.s.Release(), ebadfd)
	})
	t.Run("release from every state", func(t *testing.T) {
		for _, st := range allStates {
			f := newFixture(t, Playback)
			f.bringTo(st)
			f.must("Release "+st.String(), f.s.Release())
		}
	})
	t.Run("drain in DISCONNECTED is EBADFD, blocked drain woken by disconnect is ENODEV", func(t *testing.T) {
		f := newFixture(t, Playback)
		f.bringTo(StateRunning)
		done := make(chan error, 1)
		go func() { done <- f.s.Drain(bg, false) }()
		waitFor(t, "DRAINING", func() bool { return f.s.State() == StateDraining })
		f.s.Disconnect()
		wantErrno(t, "Drain", <-done, syscall.ENODEV)
		wantErrno(t, "Drain again", f.s.Drain(bg, false), ebadfd)
	})
}

func TestPoll(t *testing.T) {
	f := newFixture(t, Playback)
	if ready, errored, _ := f.s.Poll(); !ready || !errored {
		t.Fatalf("OPEN: ready %v errored %v, want POLLERR", ready, errored)
	}
	f.setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	if ready, errored, _ := f.s.Poll(); !ready || errored {
		t.Fatalf("PREPARED empty: ready %v errored %v", ready, errored)
	}
	f.write(pattern(stereo48k, 0, 1024))
	ready, _, w := f.s.Poll()
	if ready {
		t.Fatalf("full buffer polls ready")
	}
	f.advancePeriods(1) // avail 256 = avail_min
	select {
	case <-w:
	default:
		t.Fatalf("poll not woken at avail_min")
	}
	if ready, _, _ := f.s.Poll(); !ready {
		t.Fatalf("not ready at avail_min")
	}
	f.must("XRun", f.s.XRun())
	if ready, errored, _ := f.s.Poll(); !ready || !errored {
		t.Fatalf("XRUN: ready %v errored %v, want POLLERR", ready, errored)
	}
}
