package alsa

import (
	"bytes"
	"context"
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// TestWriteNReadN moves non-interleaved frames through the caller's array
// of channel pointers; a NULL channel plays silence.
func TestWriteNReadN(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 1))
	c := newCaller(5, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessRWNonInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	sink := &memSink{}
	f.Substream().SetSink(sink)
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))
	left := pattern(2, 512, 9)
	lp := c.put(left)
	ptrs := make([]byte, 16)
	binary.LittleEndian.PutUint64(ptrs, uint64(lp)) // right channel NULL
	pa := c.put(ptrs)
	xb := make([]byte, asound.XferNSize)
	(&asound.XferN{Bufs: uint64(pa), Frames: 512}).Encode(xb)
	x := c.put(xb)
	c.nonblock.Store(true)
	must(t, "WRITEN", fuseIoctl(bg, f, c, asound.PCMIoctlWriteNFrames, x))
	if n := result(c, x); n != 512 {
		t.Fatalf("WRITEN result %d", n)
	}
	if st := f.Substream().State(); st != pcm.StateRunning {
		t.Fatalf("state %v after WRITEN reached start_threshold 1", st)
	}
	r.fake.Advance(2 * periodNs)
	must(t, "DROP", fuseIoctl(bg, f, c, asound.PCMIoctlDrop, 0))
	must(t, "HW_FREE", fuseIoctl(bg, f, c, asound.PCMIoctlHWFree, 0))
	got := sink.bytes()
	if len(got) < 512*4 {
		t.Fatalf("sink got %d bytes", len(got))
	}
	for i := 0; i < 512; i++ {
		if !bytes.Equal(got[i*4:i*4+2], left[i*2:i*2+2]) || got[i*4+2] != 0 || got[i*4+3] != 0 {
			t.Fatalf("frame %d: % x, want left % x and silent right", i, got[i*4:i*4+4], left[i*2:i*2+2])
		}
	}

	// Capture: READN into two channel buffers.
	fc := r.open(pcm.Capture, c.pid)
	setup(t, fc, c, pcm.AccessRWNonInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	src := &patternSource{}
	fc.Substream().SetSource(src)
	waitFor(t, "source read-ahead", func() bool { return src.buffered() >= 256*4 })
	must(t, "PREPARE", fuseIoctl(bg, fc, c, asound.PCMIoctlPrepare, 0))
	must(t, "START", fuseIoctl(bg, fc, c, asound.PCMIoctlStart, 0))
	r.fake.Advance(periodNs)
	lb, rb := c.alloc(512), c.alloc(512)
	binary.LittleEndian.PutUint64(ptrs, uint64(lb))
	binary.LittleEndian.PutUint64(ptrs[8:], uint64(rb))
	pa = c.put(ptrs)
	(&asound.XferN{Bufs: uint64(pa), Frames: 256}).Encode(xb)
	x = c.put(xb)
	must(t, "READN", fuseIoctl(bg, fc, c, asound.PCMIoctlReadNFrames, x))
	if n := result(c, x); n != 256 {
		t.Fatalf("READN result %d", n)
	}
	want := sourceBytes(256 * 4)
	gl, gr := c.get(lb, 512), c.get(rb, 512)
	for i := 0; i < 256; i++ {
		if !bytes.Equal(gl[i*2:i*2+2], want[i*4:i*4+2]) || !bytes.Equal(gr[i*2:i*2+2], want[i*4+2:i*4+4]) {
			t.Fatalf("frame %d: L % x R % x, want % x", i, gl[i*2:i*2+2], gr[i*2:i*2+2], want[i*4:i*4+4])
		}
	}
}

// TestRewindForward: the frames moved are written back to the _IOW
// argument.
func TestRewindForward(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 0))
	c := newCaller(3, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))
	c.nonblock.Store(true)
	x := xferi(c, c.put(pattern(4, 600, 0)), 600)
	must(t, "WRITEI", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, x))
	long := func(v int64) uintptr {
		var b [8]byte
		binary.LittleEndian.PutUint64(b[:], uint64(v))
		return c.put(b[:])
	}
	a := long(1000)
	must(t, "REWIND", fuseIoctl(bg, f, c, asound.PCMIoctlRewind, a))
	if n := result(c, a); n != 600 {
		t.Fatalf("REWIND moved %d, want all 600 queued", n)
	}
	a = long(100)
	must(t, "FORWARD", fuseIoctl(bg, f, c, asound.PCMIoctlForward, a))
	if n := result(c, a); n != 100 {
		t.Fatalf("FORWARD moved %d", n)
	}
	// A caller whose memory cannot take the result: EFAULT before moving.
	wantErrno(t, "REWIND to a bad address", f.Ioctl(bg, c, uint32(asound.PCMIoctlRewind), 8, make([]byte, 8), nil), syscall.EFAULT)
	st, _ := f.Substream().Status()
	if st.ApplPtr != 100 {
		t.Fatalf("appl_ptr %d after the failed REWIND, want 100", st.ApplPtr)
	}
}

// TestWriteIPartialAndFaults: a non-blocking WRITEI returns the frames
// that fit; a bad sample pointer is EFAULT with nothing queued; a NULL
// buffer plays silence; an interrupted blocking WRITEI returns what it
// queued.
func TestWriteIPartialAndFaults(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 1))
	c := newCaller(3, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	swParams(t, f, c, func(sp *pcm.SWParams) { sp.StartThreshold = 1 << 40 }) // never auto-start
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))
	c.nonblock.Store(true)

	x := xferi(c, 8, 100) // samples at an unmapped address
	wantErrno(t, "WRITEI from a bad pointer", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, x), syscall.EFAULT)
	if n := result(c, x); n != -int64(syscall.EFAULT) {
		t.Fatalf("result %d, want -EFAULT", n)
	}
	if st, _ := f.Substream().Status(); st.ApplPtr != 0 {
		t.Fatalf("appl_ptr %d after a faulting write", st.ApplPtr)
	}
	x = xferi(c, 0, 100) // NULL: silence
	must(t, "WRITEI of NULL", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, x))
	if n := result(c, x); n != 100 {
		t.Fatalf("NULL WRITEI result %d", n)
	}
	x = xferi(c, c.put(pattern(4, 2000, 0)), 2000)
	must(t, "WRITEI beyond the buffer", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, x))
	if n := result(c, x); n != 924 {
		t.Fatalf("non-blocking WRITEI result %d, want the 924 frames that fit", n)
	}
	x = xferi(c, c.put(pattern(4, 10, 0)), 10)
	wantErrno(t, "WRITEI into a full buffer", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, x), syscall.EAGAIN)
	if n := result(c, x); n != -int64(syscall.EAGAIN) {
		t.Fatalf("result %d, want -EAGAIN", n)
	}

	// Blocking, interrupted after one period's room appeared.
	must(t, "START", fuseIoctl(bg, f, c, asound.PCMIoctlStart, 0))
	c.nonblock.Store(false)
	ctx, cancel := context.WithCancel(bg)
	x = xferi(c, c.put(pattern(4, 1000, 0)), 1000)
	done := make(chan error, 1)
	go func() { done <- fuseIoctl(ctx, f, c, asound.PCMIoctlWriteIFrames, x) }()
	r.fake.Advance(periodNs)
	waitFor(t, "the writer to take the free period", func() bool {
		av, _ := f.Substream().Avail()
		return av == 0
	})
	cancel()
	select {
	case err := <-done:
		must(t, "interrupted WRITEI", err)
	case <-time.After(20 * time.Second):
		t.Fatal("WRITEI ignored the interrupt")
	}
	if n := result(c, x); n != 256 {
		t.Fatalf("interrupted WRITEI result %d, want the 256 frames queued", n)
	}
	// READI into NULL is EINVAL.
	fc := r.open(pcm.Capture, c.pid)
	setup(t, fc, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	must(t, "PREPARE", fuseIoctl(bg, fc, c, asound.PCMIoctlPrepare, 0))
	wantErrno(t, "READI into NULL", fuseIoctl(bg, fc, c, asound.PCMIoctlReadIFrames, xferi(c, 0, 10)), syscall.EINVAL)
}
