package oss

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// smallPlayback configures 48 kHz S16 stereo with 4 fragments of 4 KiB
// (a 16 KiB, 85 ms buffer), as aplay -D oss asks.
func smallPlayback(t testing.TB) *rig {
	r := newRig(t, true, false)
	r.ioctlInt(SNDCTL_DSP_SETFRAGMENT, 4<<16|12)
	r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE)
	r.ioctlInt(SNDCTL_DSP_CHANNELS, 2)
	r.ioctlInt(SNDCTL_DSP_SPEED, 48000)
	if sp := r.ospace(); sp.Fragsize != 4096 || sp.Fragstotal != 4 {
		t.Fatalf("setup: %+v", sp)
	}
	return r
}

// A blocking write of four buffers returns only when all but the last
// buffer has played, and GETOPTR/GETOSPACE follow hw_ptr exactly while it
// blocks.
func TestWriteBlocksAtRealTimePace(t *testing.T) {
	r := smallPlayback(t)
	data := pattern(0, 4*16384)
	done := make(chan struct{})
	var n int
	var werr error
	go func() {
		defer close(done)
		n, werr = r.d.Write(context.Background(), data, false)
	}()
	full := func() bool { s, _ := r.subs[pcm.Playback].Status(); return s.ApplPtr-s.HWPtr == 4096 }
	period := r.frames(pcm.Playback, 1024)
	// (64 KiB - 16 KiB) / 4 KiB = 12 periods must play before the write
	// can return.
	for k := 0; k < 12; k++ {
		waitFor(t, "the writer to fill the buffer", full)
		select {
		case <-done:
			t.Fatalf("write returned after %d periods: %d %v", k, n, werr)
		default:
		}
		st := r.status(pcm.Playback)
		ci := r.optr()
		if ci.Bytes != int32(st.HWPtr*4) || ci.Ptr != int32(st.HWPtr%4096*4) || ci.Blocks != 4 {
			t.Fatalf("period %d: GETOPTR %+v, hw_ptr %d", k, ci, st.HWPtr)
		}
		if sp := r.ospace(); sp.Bytes != 0 || sp.Fragments != 0 {
			t.Fatalf("period %d: GETOSPACE %+v with a full buffer", k, sp)
		}
		r.fake.Advance(period)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("write did not return after 12 periods played")
	}
	if n != len(data) || werr != nil {
		t.Fatalf("write: %d %v", n, werr)
	}
	if got := r.ioctlInt(SNDCTL_DSP_GETODELAY, 0); got != 16384 {
		t.Fatalf("GETODELAY %d", got)
	}
	r.whileAdvancing(period, nil, func() { r.mustIoctl(SNDCTL_DSP_SYNC) })
	r.d.Close(context.Background(), false)
	if got := r.sink.bytes(); !bytes.Equal(got, data) {
		t.Fatalf("sink %d bytes, first diff %d", len(got), firstDiff(got, data))
	}
}

func TestWriteNonblock(t *testing.T) {
	r := smallPlayback(t)
	ctx := context.Background()
	// Four fragments fill the ring; the 3616-byte tail is shorter than a
	// fragment and is held in the fragment buffer (snd_pcm_oss_write1).
	n, err := r.d.Write(ctx, pattern(0, 20000), true)
	if n != 20000 || err != nil {
		t.Fatalf("non-blocking write into an empty 16 KiB buffer: %d %v", n, err)
	}
	if sp := r.ospace(); sp.Bytes != -3616 {
		t.Fatalf("GETOSPACE counts the held bytes: %+v", sp)
	}
	// Completing the fragment accepts 480 bytes but cannot queue it.
	if n, err := r.d.Write(ctx, pattern(0, 4096), true); n != 480 || err != nil {
		t.Fatalf("completing the fragment: %d %v", n, err)
	}
	_, err = r.d.Write(ctx, pattern(0, 10), true)
	wantErrno(t, "held fragment, full ring", err, syscall.EAGAIN)
	// One period later the held fragment goes in and the write continues.
	r.fake.Advance(r.frames(pcm.Playback, 1024))
	if n, err := r.d.Write(ctx, pattern(0, 10), true); n != 10 || err != nil {
		t.Fatalf("after a period: %d %v", n, err)
	}
	if s := r.status(pcm.Playback); s.ApplPtr != 5*1024 {
		t.Fatalf("appl_ptr %d", s.ApplPtr)
	}
	// SNDCTL_DSP_NONBLOCK makes every later write non-blocking.
	r.mustIoctl(SNDCTL_DSP_NONBLOCK)
	if !r.d.Nonblock() {
		t.Fatal("NONBLOCK not recorded")
	}
	// The ring is full again: the write fills the held fragment (10 bytes
	// in it already) and stops there.
	if n, err := r.d.Write(ctx, pattern(0, 8192), false); n != 4086 || err != nil {
		t.Fatalf("after NONBLOCK: %d %v", n, err)
	}
	_, err = r.d.Write(ctx, pattern(0, 8192), false)
	wantErrno(t, "after NONBLOCK, full", err, syscall.EAGAIN)
}

func TestWriteInterrupted(t *testing.T) {
	r := smallPlayback(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var n int
	var err error
	go func() {
		defer close(done)
		n, err = r.d.Write(ctx, pattern(0, 65536), false)
	}()
	waitFor(t, "the buffer to fill", func() bool { s, _ := r.subs[pcm.Playback].Status(); return s.ApplPtr == 4096 })
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("write ignored the interrupt")
	}
	if n != 16384 || err != nil {
		t.Fatalf("interrupted write: %d %v, want the 16384 bytes accepted", n, err)
	}
	n, err = r.d.Write(ctx, pattern(0, 8192), false)
	if n != 0 {
		t.Fatalf("write with a dead context moved %d bytes", n)
	}
	wantErrno(t, "nothing accepted", err, syscall.EINTR)
}

func TestUnderrunRecovery(t *testing.T) {
	r := smallPlayback(t)
	ctx := context.Background()
	r.d.Write(ctx, pattern(0, 8192), false)
	r.fake.Advance(100 * time.Millisecond) // past the two fragments
	if s := r.status(pcm.Playback); s.State != pcm.StateXRun {
		t.Fatalf("expected an underrun, state %v", s.State)
	}
	if d := r.ioctlInt(SNDCTL_DSP_GETODELAY, 0); d != 0 {
		t.Fatalf("GETODELAY in XRUN: %d", d)
	}
	if sp := r.ospace(); sp.Bytes != 16384 || sp.Fragments != 4 {
		t.Fatalf("GETOSPACE in XRUN: %+v", sp)
	}
	if ci := r.optr(); ci.Bytes != 8192 || ci.Blocks != 0 {
		t.Fatalf("GETOPTR in XRUN: %+v", ci)
	}
	// snd_pcm_oss_write3 prepares and goes on.
	if n, err := r.d.Write(ctx, pattern(0, 4096), false); n != 4096 || err != nil {
		t.Fatalf("write after underrun: %d %v", n, err)
	}
	if s := r.status(pcm.Playback); s.State != pcm.StateRunning || s.ApplPtr != 1024 {
		t.Fatalf("after recovery: %v appl %d", s.State, s.ApplPtr)
	}
	if ci := r.optr(); ci.Bytes != 8192 {
		t.Fatalf("GETOPTR bytes after recovery: %+v (oss.bytes keeps counting)", ci)
	}
}

// Close of a non-blocking file does not wait for the queue to play.
func TestCloseNonblockDoesNotDrain(t *testing.T) {
	r := smallPlayback(t)
	r.d.Write(context.Background(), pattern(0, 16384), false)
	done := make(chan error)
	go func() { done <- r.d.Close(context.Background(), true) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("non-blocking close waited for the drain")
	}
	if got := len(r.sink.bytes()); got != 0 {
		t.Fatalf("%d bytes reached the sink without time passing", got)
	}
}

// A blocking close plays everything out, the partial fragment padded.
func TestCloseDrains(t *testing.T) {
	r := smallPlayback(t)
	data := pattern(0, 10000)
	r.d.Write(context.Background(), data, false)
	r.whileAdvancing(5*time.Millisecond, nil, func() {
		if err := r.d.Close(context.Background(), false); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	want := append(append([]byte(nil), data...), make([]byte, 12288-len(data))...)
	if got := r.sink.bytes(); !bytes.Equal(got, want) {
		t.Fatalf("sink %d bytes, want %d (first diff %d)", len(got), len(want), firstDiff(got, want))
	}
}

// A blocking read returns after one fragment, even for a few bytes, and
// the rest of the fragment serves the next reads.
func TestReadBlocksForAFragment(t *testing.T) {
	r := newRig(t, false, true)
	r.ioctlInt(SNDCTL_DSP_SETFRAGMENT, 8<<16|10) // 8 x 1 KiB
	r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE)
	r.ioctlInt(SNDCTL_DSP_SPEED, 8000) // mono: 512 frames a fragment
	waitFor(t, "source prefetch", func() bool { return r.src.count() >= 8192 })
	buf := make([]byte, 100)
	var n int
	var err error
	r.whileAdvancing(r.frames(pcm.Capture, 64), nil, func() {
		n, err = r.d.Read(context.Background(), buf, false)
	})
	if n != 100 || err != nil {
		t.Fatalf("read: %d %v", n, err)
	}
	if st := r.status(pcm.Capture); st.HWPtr < 512 {
		t.Fatalf("read returned at hw_ptr %d, before a fragment (512 frames) was captured", st.HWPtr)
	}
	// GETIPTR: oss.bytes (1024 taken from the core) + the core's delay -
	// the 924 bytes held for the next reads.
	st := r.status(pcm.Capture)
	if ci := r.iptr(); ci.Bytes != int32(1024+2*(st.HWPtr-st.ApplPtr)-924) {
		t.Fatalf("GETIPTR %+v, hw_ptr %d appl_ptr %d", ci, st.HWPtr, st.ApplPtr)
	}
	// The next 924 bytes come from the held fragment without waiting.
	rest := make([]byte, 924)
	if n, err := r.d.Read(context.Background(), rest, true); n != 924 || err != nil {
		t.Fatalf("rest of the fragment: %d %v", n, err)
	}
	if st := r.status(pcm.Capture); st.SourceUnderrun == 0 {
		for i, b := range append(buf, rest...) {
			if b != patternByte(i) {
				t.Fatalf("byte %d = %d, want %d", i, b, patternByte(i))
			}
		}
	}
}

// Capture never stops on overrun (stop_threshold = boundary); GETISPACE
// skips whole periods until at most a buffer is pending, as
// snd_pcm_oss_capture_position_fixup.
func TestCaptureOverrunFixup(t *testing.T) {
	r := newRig(t, false, true)
	r.ioctlInt(SNDCTL_DSP_SETFRAGMENT, 4<<16|10) // 4 x 1 KiB
	r.ioctlInt(SNDCTL_DSP_SPEED, 8000)           // U8 mono: 1024 frames a fragment
	r.ioctlInt(SNDCTL_DSP_SETTRIGGER, PCM_ENABLE_INPUT)
	if _, err := r.d.Read(context.Background(), make([]byte, 1), true); err == nil {
		t.Fatal("data before time passed")
	}
	r.fake.Advance(r.frames(pcm.Capture, 4096+2500))
	if s := r.status(pcm.Capture); s.State != pcm.StateRunning {
		t.Fatalf("capture stopped on overrun: %v", s.State)
	}
	sp := r.ispace()
	if sp.Bytes > 4096 || sp.Bytes < 4096-1024 {
		t.Fatalf("GETISPACE after overrun %+v: not within a buffer", sp)
	}
	if n, err := r.d.Read(context.Background(), make([]byte, 1024), true); n != 1024 || err != nil {
		t.Fatalf("read after overrun: %d %v", n, err)
	}
}

func TestPoll(t *testing.T) {
	r := smallPlayback(t)
	if _, w := r.d.Poll(); !w {
		t.Fatal("an idle playback is not writable")
	}
	r.d.Write(context.Background(), pattern(0, 16384), false)
	if _, w := r.d.Poll(); w {
		t.Fatal("a full running playback is writable")
	}
	r.fake.Advance(r.frames(pcm.Playback, 1024))
	if _, w := r.d.Poll(); !w {
		t.Fatal("a fragment of room is not writable")
	}

	c := newRig(t, false, true)
	c.ioctlInt(SNDCTL_DSP_SETFRAGMENT, 4<<16|10)
	c.ioctlInt(SNDCTL_DSP_SPEED, 8000)
	c.ioctlInt(SNDCTL_DSP_GETBLKSIZE, 0)
	c.ispace()
	// Not running: readable, and the poll starts the capture.
	if rd, _ := c.d.Poll(); !rd {
		t.Fatal("a stopped capture is not readable")
	}
	if s := c.status(pcm.Capture); s.State != pcm.StateRunning {
		t.Fatalf("poll did not start the capture: %v", s.State)
	}
	if rd, _ := c.d.Poll(); rd {
		t.Fatal("a running capture without a fragment is readable")
	}
	c.fake.Advance(c.frames(pcm.Capture, 1024))
	if rd, _ := c.d.Poll(); !rd {
		t.Fatal("a captured fragment is not readable")
	}
	if got := c.ioctlInt(SNDCTL_DSP_GETTRIGGER, 0); got != PCM_ENABLE_INPUT {
		t.Fatalf("GETTRIGGER after the retrigger: %#x", got)
	}
}

// Transfers, pointer queries and the interrupt run concurrently (for the
// race detector and the lock order).
func TestConcurrentQueries(t *testing.T) {
	r := smallPlayback(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ctx.Err() == nil {
			r.d.Write(ctx, pattern(0, 6000), false)
		}
	}()
	queries := make(chan struct{})
	go func() {
		defer close(queries)
		for ctx.Err() == nil {
			for _, cmd := range []Ioctl{SNDCTL_DSP_GETOPTR, SNDCTL_DSP_GETOSPACE, SNDCTL_DSP_GETODELAY,
				SNDCTL_DSP_GETTRIGGER, SNDCTL_DSP_GETBLKSIZE, SNDCTL_DSP_SPEED} {
				r.d.Ioctl(ctx, uint32(cmd), EncodeInt(48000))
			}
			r.d.Poll()
		}
	}()
	for i := 0; i < 300; i++ {
		r.fake.Advance(time.Millisecond)
		// Pacing, not waiting: the pause lets the writer and the query
		// goroutine run between interrupts, which is the interleaving
		// under test; nothing below depends on how far they got.
		time.Sleep(20 * time.Microsecond)
	}
	cancel()
	<-done
	<-queries
	if ci := r.optr(); ci.Bytes < 0 {
		t.Fatalf("GETOPTR %+v", ci)
	}
}

// A capture forced into XRUN (the OSS sw_params never let it overrun by
// itself) is recovered by the next read (snd_pcm_oss_read3).
func TestCaptureXRunRecovery(t *testing.T) {
	r := newRig(t, false, true)
	r.ioctlInt(SNDCTL_DSP_SETFRAGMENT, 4<<16|10)
	r.ioctlInt(SNDCTL_DSP_SPEED, 8000)
	buf := make([]byte, 1024)
	_, err := r.d.Read(context.Background(), buf, true)
	wantErrno(t, "first read", err, syscall.EAGAIN)
	if err := r.subs[pcm.Capture].XRun(); err != nil {
		t.Fatalf("XRun: %v", err)
	}
	var n int
	r.whileAdvancing(r.frames(pcm.Capture, 256), nil, func() {
		n, err = r.d.Read(context.Background(), buf, false)
	})
	if n != 1024 || err != nil {
		t.Fatalf("read after XRUN: %d %v", n, err)
	}
	if s := r.status(pcm.Capture); s.State != pcm.StateRunning {
		t.Fatalf("after recovery: %v", s.State)
	}
}

// A suspended playback is prepared again by the next write
// (snd_pcm_oss_write3), and GETOPTR answers meanwhile.
func TestPlaybackSuspendRecovery(t *testing.T) {
	r := smallPlayback(t)
	ctx := context.Background()
	r.d.Write(ctx, pattern(0, 8192), false)
	if err := r.subs[pcm.Playback].Suspend(); err != nil {
		t.Fatalf("Suspend: %v", err)
	}
	// ESTRPIPE from DELAY counts as no delay, as EPIPE does.
	if ci := r.optr(); ci.Bytes != 8192 || ci.Blocks != 0 {
		t.Fatalf("GETOPTR while suspended: %+v", ci)
	}
	if n, err := r.d.Write(ctx, pattern(0, 4096), false); n != 4096 || err != nil {
		t.Fatalf("write after suspend: %d %v", n, err)
	}
	if s := r.status(pcm.Playback); s.State != pcm.StateRunning || s.ApplPtr != 1024 {
		t.Fatalf("after recovery: %v appl %d", s.State, s.ApplPtr)
	}
}

// Sync from FLUSH, Release from RELEASE; a second release is harmless.
func TestSyncThenRelease(t *testing.T) {
	r := smallPlayback(t)
	data := pattern(0, 8192)
	r.d.Write(context.Background(), data, false)
	r.whileAdvancing(5*time.Millisecond, nil, func() {
		if err := r.d.Sync(context.Background()); err != nil {
			t.Errorf("Sync: %v", err)
		}
	})
	if err := r.d.Release(); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := r.d.Release(); err != nil {
		t.Fatalf("second Release: %v", err)
	}
	if got := r.sink.bytes(); !bytes.Equal(got, data) {
		t.Fatalf("sink %d bytes", len(got))
	}
}
