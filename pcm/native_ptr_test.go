package pcm

import (
	"syscall"
	"testing"
	"time"
)

// Tests of the pointer ioctls (pcm_native.c): rewind/forward, status and
// its timestamps, and an mmap client moving appl_ptr itself.

func TestRewindForward(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(stereo48k, 0, 1024))
	f.advancePeriods(1) // hw 256, appl 1024, queued 768
	n, err := f.s.Rewind(1000)
	if err != nil || n != 768 {
		t.Fatalf("Rewind(1000) = %d, %v; want 768 (snd_pcm_hw_avail)", n, err)
	}
	if st := f.status(); st.ApplPtr != 256 || st.Avail != 1024 {
		t.Fatalf("after rewind: appl %d avail %d", st.ApplPtr, st.Avail)
	}
	n, err = f.s.Forward(100)
	if err != nil || n != 100 {
		t.Fatalf("Forward(100) = %d, %v", n, err)
	}
	n, err = f.s.Forward(5000)
	if err != nil || n != 924 {
		t.Fatalf("Forward(5000) = %d, %v; want 924 (avail)", n, err)
	}
	if d, err := f.s.Delay(); err != nil || d != 1024 {
		t.Fatalf("Delay = %d, %v; want 1024", d, err)
	}
	if n, err := f.s.Rewind(0); n != 0 || err != nil {
		t.Fatalf("Rewind(0) = %d, %v", n, err)
	}
}

func TestStatusTstamps(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	p, _ := f.s.CurrentSWParams()
	p.TstampMode = TstampEnable
	f.must("SWParams", f.s.SWParams(&p))
	f.must("Prepare", f.s.Prepare())
	f.fake.Advance(time.Second)
	f.write(pattern(stereo48k, 0, 1024))
	f.advancePeriods(2)
	st := f.status()
	if st.TriggerTstamp != time.Second {
		t.Fatalf("trigger_tstamp %v, want 1s", st.TriggerTstamp)
	}
	if want := time.Second + 2*f.period(); st.Tstamp < want-time.Microsecond || st.Tstamp > want+time.Microsecond {
		t.Fatalf("tstamp %v, want %v", st.Tstamp, want)
	}
	// audio_tstamp: 512 frames at 48 kHz.
	if want := 512 * time.Second / 48000; st.AudioTstamp != want {
		t.Fatalf("audio_tstamp %v, want %v", st.AudioTstamp, want)
	}
	if st.AvailMax != 512 {
		t.Fatalf("avail_max %d, want 512", st.AvailMax)
	}
	if st2 := f.status(); st2.AvailMax != 0 {
		// snd_pcm_status64 resets avail_max; no pointer moved since.
		t.Fatalf("avail_max %d after reset, want 0", st2.AvailMax)
	}
	ts, audio := f.s.Area().Tstamp()
	if time.Duration(ts.Sec)*time.Second+time.Duration(ts.Nsec) != st.Tstamp ||
		time.Duration(audio.Nsec) != st.AudioTstamp {
		t.Fatalf("status page tstamps %+v %+v", ts, audio)
	}
}

func TestMMapClient(t *testing.T) {
	c := stereo48k
	c.access = AccessMMapInterleaved
	f := newFixture(t, Playback).setup(c)
	f.must("Prepare", f.s.Prepare())
	a := f.s.Area()
	// The client writes two periods into the mapping and moves appl_ptr
	// in the control page, then tells the core.
	copy(a.Data(), pattern(c, 0, 512))
	a.SetApplPtr(512)
	f.must("MMapCommit", f.s.MMapCommit())
	if st := f.s.State(); st != StateRunning {
		t.Fatalf("state %v after commit, want RUNNING", st)
	}
	f.advancePeriods(1)
	if hw := a.HWPtr(); hw != 256 {
		t.Fatalf("status page hw_ptr %d", hw)
	}
	if st := a.State(); st != int32(StateRunning) {
		t.Fatalf("status page state %d", st)
	}
	// The interrupt reads appl_ptr from the control page: without another
	// commit, hw_ptr reaching it is an underrun.
	f.advancePeriods(1)
	if st := f.s.State(); st != StateXRun {
		t.Fatalf("state %v, want XRUN", st)
	}
	// SyncPtr sets appl_ptr and never starts.
	f.must("Prepare", f.s.Prepare())
	ctl := SyncPtrControl{ApplPtr: f.s.Area().ApplPtr() + 256, AvailMin: 256}
	sst, err := f.s.SyncPtr(SyncPtrHWSync, &ctl)
	f.must("SyncPtr", err)
	if sst.State != StatePrepared || a.ApplPtr() != ctl.ApplPtr {
		t.Fatalf("SyncPtr: state %v appl %d", sst.State, a.ApplPtr())
	}
	ctl.ApplPtr = 1 << 63
	_, err = f.s.SyncPtr(0, &ctl)
	wantErrno(t, "SyncPtr appl >= boundary", err, syscall.EINVAL)
	// write(2) on an MMAP access with 2 channels is EINVAL.
	_, err = f.s.Write(bg, pattern(c, 0, 1), true)
	wantErrno(t, "Write on MMAP access", err, syscall.EINVAL)
}

// TestPositionIsDriftFree runs 44.1 kHz (a period of 5.8049886... ms,
// not a whole number of nanoseconds) for two minutes of fake time in 7 ms
// steps: hw_ptr must equal elapsed*rate exactly, as dummy.c computes the
// position from the clock instead of counting periods.
func TestPositionIsDriftFree(t *testing.T) {
	c := stereo48k
	c.rate = 44100
	f := newFixture(t, Playback).setup(c)
	p, _ := f.s.CurrentSWParams()
	p.StopThreshold = p.Boundary // free-running: no xrun
	f.must("SWParams", f.s.SWParams(&p))
	f.must("Prepare", f.s.Prepare())
	f.write(pattern(c, 0, 1024))
	start := f.fake.Now()
	const step = 7 * time.Millisecond
	for f.fake.Now()-start < 2*time.Minute {
		f.fake.Advance(step)
	}
	elapsed := f.fake.Now() - start
	want := uint64(elapsed) * 44100 / uint64(time.Second)
	if st := f.status(); st.HWPtr != want {
		t.Fatalf("after %v: hw_ptr %d, want %d (elapsed x rate)", elapsed, st.HWPtr, want)
	}
}
