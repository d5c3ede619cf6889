package alsa

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

const periodNs = time.Duration(5333334) // 256 frames at 48 kHz, rounded up

// advanceUntil plays the interrupt one period at a time whenever ready()
// says the client is waiting for it, until done() holds.
func (r *rig) advanceUntil(what string, done, ready func() bool) {
	r.t.Helper()
	for i := 0; ; i++ {
		waitFor(r.t, what, func() bool { return done() || ready() })
		if done() {
			return
		}
		if i > 10000 {
			r.t.Fatalf("%s: no end after %d periods", what, i)
		}
		r.fake.Advance(periodNs)
	}
}

// advanceWhile runs op (a blocking ioctl) on its own goroutine and plays
// the interrupt as advanceUntil does until op returns; it returns op's
// error.
func (r *rig) advanceWhile(what string, op func() error, ready func() bool) error {
	r.t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	var err error
	finished := false
	r.advanceUntil(what, func() bool {
		if !finished {
			select {
			case err = <-done:
				finished = true
			default:
			}
		}
		return finished
	}, ready)
	return err
}

// TestAplayPlayback replays aplay -D hw:0,0 (and plughw's refine walk):
// PREFER_SUBDEVICE on the control node, a non-blocking open, INFO,
// PVERSION, USER_PVERSION, TTSTAMP, refines, HW_PARAMS, SW_PARAMS,
// PREPARE, blocking WRITEI of more than a buffer, DRAIN; the sink gets the
// client's bytes exactly.
func TestAplayPlayback(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 1))
	c := newCaller(4242, 1<<20)
	ctl := r.card.OpenCtl(c.pid)
	defer ctl.Release()
	must(t, "PREFER_SUBDEVICE", fuseIoctl(bg, ctl, c, asound.CtlIoctlPCMPreferSubdevice, intArg(c, -1)))

	f, err := r.card.OpenPCM(bg, 0, pcm.Playback, c.pid, true)
	must(t, "open", err)
	defer f.Release()

	ia := c.alloc(asound.PCMInfoSize)
	must(t, "INFO", fuseIoctl(bg, f, c, asound.PCMIoctlInfo, ia))
	var info asound.PCMInfo
	info.Decode(c.get(ia, asound.PCMInfoSize))
	if info.Card != 0 || info.Device != 0 || info.Stream != pcm.Playback || info.SubdevicesCount != 1 ||
		info.SubdevicesAvail != 0 || info.Subname != "subdevice #0" || info.ID != "vsnd PCM" {
		t.Fatalf("INFO %+v", info)
	}
	va := intArg(c, 0)
	must(t, "PVERSION", fuseIoctl(bg, f, c, asound.PCMIoctlPVersion, va))
	if v := getInt(c, va); v != asound.PCMVersion {
		t.Fatalf("PVERSION %#x", v)
	}
	must(t, "USER_PVERSION", fuseIoctl(bg, f, c, asound.PCMIoctlUserPVersion, intArg(c, asound.PCMVersion)))
	if f.userPVersion.Load() != asound.PCMVersion {
		t.Fatalf("user_pversion %#x not kept", f.userPVersion.Load())
	}
	must(t, "TTSTAMP", fuseIoctl(bg, f, c, asound.PCMIoctlTTstamp, intArg(c, int32(asound.TstampTypeMonotonic))))

	// The refine answers never advertise PAUSE, although the hardware has it.
	p := newParams(c)
	must(t, "refine any", fuseIoctl(bg, f, c, asound.PCMIoctlHWRefine, p.addr))
	if hp := p.get(); hp.Info&pcm.InfoPause != 0 || hp.Info&pcm.InfoMMap == 0 {
		t.Fatalf("refine info %#x: want MMAP without PAUSE", hp.Info)
	}
	cfg := setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	if cfg.BufferSize != 1024 || cfg.PeriodSize != 256 || cfg.Rate != 48000 {
		t.Fatalf("config %+v", cfg)
	}
	sw := swParams(t, f, c, func(sp *pcm.SWParams) { sp.StartThreshold = 1024; sp.AvailMin = 256 })
	if sw.Boundary == 0 || sw.Boundary%1024 != 0 {
		t.Fatalf("SW_PARAMS boundary %d", sw.Boundary)
	}
	sink := &memSink{}
	f.Substream().SetSink(sink)
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))

	data := pattern(4, 20000, 1) // more than one xferChunk
	buf := c.put(data)
	x := xferi(c, buf, 20000)
	werr := r.advanceWhile("WRITEI", func() error {
		return fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, x)
	}, func() bool {
		av, err := f.Substream().Avail()
		return err == nil && av < 256 && f.Substream().State() == pcm.StateRunning
	})
	must(t, "WRITEI", werr)
	if n := result(c, x); n != 20000 {
		t.Fatalf("WRITEI result %d, want 20000", n)
	}

	werr = r.advanceWhile("DRAIN", func() error {
		return fuseIoctl(bg, f, c, asound.PCMIoctlDrain, 0)
	}, func() bool { return f.Substream().State() == pcm.StateDraining })
	must(t, "DRAIN", werr)
	if st := f.Substream().State(); st != pcm.StateSetup {
		t.Fatalf("state %v after DRAIN", st)
	}
	must(t, "HW_FREE", fuseIoctl(bg, f, c, asound.PCMIoctlHWFree, 0))
	if got := sink.bytes(); !bytes.Equal(got, data) {
		t.Fatalf("sink got %d bytes, want the %d written, bit-exact", len(got), len(data))
	}
}

// patternSource produces an endless byte pattern and says how much of it
// is surely in the core's FIFO: everything handed out before its latest
// Read (the pump writes a chunk into the FIFO before reading the next).
type patternSource struct {
	mu       sync.Mutex
	produced int
	reads    int
	before   int
}

func (s *patternSource) Open(pcm.Config) error { return nil }
func (s *patternSource) Close() error          { return nil }
func (s *patternSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.before = s.produced
	for i := range p {
		p[i] = byte((s.produced+i)*5 + 3)
	}
	s.produced += len(p)
	s.reads++
	return len(p), nil
}
func (s *patternSource) buffered() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.before
}
func sourceBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*5 + 3)
	}
	return b
}

// TestArecordCapture replays arecord: READI is _IOR, so the struct is
// read from the caller, the samples are written to its buffer and the
// result to the struct.
func TestArecordCapture(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 1))
	c := newCaller(77, 1<<20)
	f := r.open(pcm.Capture, c.pid)
	setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	src := &patternSource{}
	f.Substream().SetSource(src)
	waitFor(t, "source read-ahead", func() bool { return src.buffered() >= 1024*4 })
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))

	buf := c.alloc(1024 * 4)
	x := xferi(c, buf, 1024)
	rerr := r.advanceWhile("READI", func() error {
		return fuseIoctl(bg, f, c, asound.PCMIoctlReadIFrames, x)
	}, func() bool {
		av, err := f.Substream().Avail()
		return err == nil && av < 256 && f.Substream().State() == pcm.StateRunning
	})
	must(t, "READI", rerr)
	if n := result(c, x); n != 1024 {
		t.Fatalf("READI result %d", n)
	}
	var xi asound.XferI
	xi.Decode(c.get(x, asound.XferISize))
	if xi.Buf != uint64(buf) || xi.Frames != 1024 {
		t.Fatalf("READI's copy-out clobbered the struct: %+v", xi)
	}
	if got := c.get(buf, 1024*4); !bytes.Equal(got, sourceBytes(1024*4)) {
		t.Fatalf("recorded bytes differ from the source's")
	}
	st, _ := f.Substream().Status()
	if st.SourceUnderrun != 0 {
		t.Fatalf("source underrun %d", st.SourceUnderrun)
	}
}

// TestSyncPtrRoundTrip drives the pointers the way alsa-lib does when the
// status/control mmap fails.
func TestSyncPtrRoundTrip(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 0))
	c := newCaller(9, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessMMapInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))

	sync := func(flags uint32, appl, availMin uint64) asound.SyncPtr {
		t.Helper()
		b := make([]byte, asound.SyncPtrSize)
		(&asound.SyncPtr{Flags: flags, Control: asound.MMapControl{ApplPtr: appl, AvailMin: availMin}}).Encode(b)
		a := c.put(b)
		must(t, "SYNC_PTR", fuseIoctl(bg, f, c, asound.PCMIoctlSyncPtr, a))
		var sp asound.SyncPtr
		sp.Decode(c.get(a, asound.SyncPtrSize))
		return sp
	}
	// The client "wrote" 512 frames into the mmapped buffer.
	sp := sync(0, 512, 128)
	if sp.Status.State != pcm.StatePrepared || sp.Control.ApplPtr != 512 || sp.Control.AvailMin != 128 {
		t.Fatalf("SYNC_PTR after commit: %+v", sp)
	}
	sp = sync(asound.SyncPtrAppl|asound.SyncPtrAvailMin, 0, 0)
	if sp.Control.ApplPtr != 512 || sp.Control.AvailMin != 128 {
		t.Fatalf("SYNC_PTR get: %+v", sp.Control)
	}
	must(t, "START", fuseIoctl(bg, f, c, asound.PCMIoctlStart, 0))
	r.fake.Advance(periodNs)
	sp = sync(asound.SyncPtrHWSync|asound.SyncPtrAppl|asound.SyncPtrAvailMin, 0, 0)
	if sp.Status.State != pcm.StateRunning || sp.Status.HWPtr != 256 {
		t.Fatalf("SYNC_PTR hwsync: state %v hw_ptr %d, want RUNNING 256", sp.Status.State, sp.Status.HWPtr)
	}
	// appl_ptr >= boundary is EINVAL, as pcm_lib_apply_appl_ptr.
	b := make([]byte, asound.SyncPtrSize)
	(&asound.SyncPtr{Control: asound.MMapControl{ApplPtr: 1 << 62, AvailMin: 1}}).Encode(b)
	wantErrno(t, "SYNC_PTR beyond boundary", fuseIoctl(bg, f, c, asound.PCMIoctlSyncPtr, c.put(b)), syscall.EINVAL)
}

// TestChannelInfo checks snd_pcm_lib_ioctl_channel_info's answers; the
// channel number is read from the caller although the request is _IOR.
func TestChannelInfo(t *testing.T) {
	for _, tc := range []struct {
		access      pcm.Access
		ch          uint32
		first, step uint32
	}{
		{pcm.AccessMMapInterleaved, 0, 0, 32},
		{pcm.AccessMMapInterleaved, 1, 16, 32},
		{pcm.AccessMMapNonInterleaved, 0, 0, 16},
		{pcm.AccessMMapNonInterleaved, 1, 1024 * 2 * 8, 16}, // a block of buffer_bytes/channels each
	} {
		r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 0))
		c := newCaller(3, 1<<20)
		f := r.open(pcm.Playback, c.pid)
		ask := func() (asound.ChannelInfo, error) {
			b := make([]byte, asound.ChannelInfoSize)
			(&asound.ChannelInfo{Channel: tc.ch, Offset: 99, First: 99, Step: 99}).Encode(b)
			a := c.put(b)
			err := fuseIoctl(bg, f, c, asound.PCMIoctlChannelInfo, a)
			var ci asound.ChannelInfo
			ci.Decode(c.get(a, asound.ChannelInfoSize))
			return ci, err
		}
		_, err := ask()
		wantErrno(t, "CHANNEL_INFO in OPEN", err, syscall.EBADFD)
		setup(t, f, c, tc.access, pcm.FormatS16LE, 2, 48000, 256, 4)
		ci, err := ask()
		must(t, "CHANNEL_INFO", err)
		if ci.Channel != tc.ch || ci.Offset != 0 || ci.First != tc.first || ci.Step != tc.step {
			t.Fatalf("%v ch %d: %+v, want first %d step %d", tc.access, tc.ch, ci, tc.first, tc.step)
		}
	}
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 0))
	c := newCaller(3, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	b := make([]byte, asound.ChannelInfoSize)
	(&asound.ChannelInfo{Channel: 2}).Encode(b)
	wantErrno(t, "CHANNEL_INFO channel 2 of 2", fuseIoctl(bg, f, c, asound.PCMIoctlChannelInfo, c.put(b)), syscall.EINVAL)
	if ci := ChannelArea(pcm.Config{Access: pcm.AccessRWInterleaved, Format: pcm.FormatS16LE, Channels: 2}, 0, 1); ci.Offset != -1 || ci.First != ^uint32(0) || ci.Step != ^uint32(0) {
		t.Fatalf("without INFO_MMAP: %+v, want -1s", ci)
	}
}

// TestStatusTimestamps: STATUS converts the core's times to the clock
// TTSTAMP or sw_params chose; STATUS_EXT reports the audio timestamp type.
func TestStatusTimestamps(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 0))
	c := newCaller(3, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessMMapInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	swParams(t, f, c, func(sp *pcm.SWParams) { sp.TstampMode = pcm.TstampEnable; sp.TstampType = asound.TstampTypeMonotonic })
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))
	b := make([]byte, asound.SyncPtrSize)
	(&asound.SyncPtr{Control: asound.MMapControl{ApplPtr: 1024, AvailMin: 256}}).Encode(b)
	must(t, "SYNC_PTR", fuseIoctl(bg, f, c, asound.PCMIoctlSyncPtr, c.put(b)))
	start := r.fake.Now()
	must(t, "START", fuseIoctl(bg, f, c, asound.PCMIoctlStart, 0))
	r.fake.Advance(periodNs)
	now := r.fake.Now()

	for typ := uint32(0); typ <= asound.TstampTypeLast; typ++ {
		must(t, "TTSTAMP", fuseIoctl(bg, f, c, asound.PCMIoctlTTstamp, intArg(c, int32(typ))))
		a := c.alloc(asound.StatusSize)
		must(t, "STATUS", fuseIoctl(bg, f, c, asound.PCMIoctlStatus, a))
		times, st, rep, _ := asound.DecodeStatus(c.get(a, asound.StatusSize))
		if st.State != pcm.StateRunning || st.HWPtr != 256 || st.ApplPtr != 1024 || st.Avail != 256 || st.Delay != 768 {
			t.Fatalf("STATUS %+v", st)
		}
		if want := asound.DurationTimespec(start + r.tm[typ]); times.Trigger != want {
			t.Fatalf("type %d: trigger %+v, want %+v", typ, times.Trigger, want)
		}
		if want := asound.DurationTimespec(now + r.tm[typ]); times.Tstamp != want {
			t.Fatalf("type %d: tstamp %+v, want %+v", typ, times.Tstamp, want)
		}
		if rep.AudioTstampData != 0 {
			t.Fatalf("STATUS reported audio tstamp data %#x", rep.AudioTstampData)
		}
	}
	wantErrno(t, "TTSTAMP 3", fuseIoctl(bg, f, c, asound.PCMIoctlTTstamp, intArg(c, 3)), syscall.EINVAL)

	// STATUS_EXT asking for the DEFAULT audio timestamp gets a valid report.
	b = make([]byte, asound.StatusSize)
	binary.LittleEndian.PutUint32(b[92:], asound.AudioTstampTypeDefault)
	a := c.put(b)
	must(t, "STATUS_EXT", fuseIoctl(bg, f, c, asound.PCMIoctlStatusExt, a))
	_, st, rep, _ := asound.DecodeStatus(c.get(a, asound.StatusSize))
	if want := asound.PackAudioTstampReport(asound.AudioTstampTypeDefault, true, asound.AudioTstampTypeDefault, false); rep.AudioTstampData != want {
		t.Fatalf("STATUS_EXT data %#x, want %#x", rep.AudioTstampData, want)
	}
	if st.State != pcm.StateRunning {
		t.Fatalf("STATUS_EXT state %v", st.State)
	}
	// DELAY is the queued frames.
	da := c.alloc(8)
	must(t, "DELAY", fuseIoctl(bg, f, c, asound.PCMIoctlDelay, da))
	if d := int64(binary.LittleEndian.Uint64(c.get(da, 8))); d != 768 {
		t.Fatalf("DELAY %d, want 768", d)
	}
}

// TestDrainInterruptAndNonblock: DRAIN honours the FUSE interrupt and the
// caller's current O_NONBLOCK.
func TestDrainInterruptAndNonblock(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 0))
	c := newCaller(3, 1<<20)
	f := r.open(pcm.Playback, c.pid)
	setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	must(t, "PREPARE", fuseIoctl(bg, f, c, asound.PCMIoctlPrepare, 0))
	c.nonblock.Store(true)
	must(t, "WRITEI", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, xferi(c, c.put(pattern(4, 512, 0)), 512)))
	wantErrno(t, "non-blocking DRAIN", fuseIoctl(bg, f, c, asound.PCMIoctlDrain, 0), syscall.EAGAIN)
	if st := f.Substream().State(); st != pcm.StateDraining {
		t.Fatalf("state %v", st)
	}
	c.nonblock.Store(false) // fcntl(F_SETFL) the daemon learns through the Caller
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- fuseIoctl(ctx, f, c, asound.PCMIoctlDrain, 0) }()
	select {
	case err := <-done:
		t.Fatalf("blocking DRAIN returned %v before the stream drained", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel() // FUSE_INTERRUPT
	select {
	case err := <-done:
		wantErrno(t, "interrupted DRAIN", err, syscall.EINTR)
	case <-time.After(20 * time.Second):
		t.Fatal("DRAIN ignored the interrupt")
	}
}
