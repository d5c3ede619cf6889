package oss

import (
	"context"
	"errors"
	"math/rand"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// The setting at open (snd_pcm_oss_init_substream): 8000 Hz, mono, U8,
// and the kernel's default fragments for it: 8000 B/s gives 4 KiB
// fragments (a second rounded down to a power of two, not subdivided
// below 4 KiB), 1024 of them (the hardware's maximum) in the 4 MiB buffer.
func TestDefaultsAtOpen(t *testing.T) {
	r := newRig(t, true, false)
	for _, tc := range []struct {
		cmd  Ioctl
		want int32
	}{
		{SOUND_PCM_READ_RATE, 8000}, {SOUND_PCM_READ_CHANNELS, 1}, {SOUND_PCM_READ_BITS, AFMT_U8},
		{SNDCTL_DSP_SETFMT, AFMT_U8}, // AFMT_QUERY
		{SNDCTL_DSP_GETBLKSIZE, 4096}, {SNDCTL_DSP_GETTRIGGER, PCM_ENABLE_OUTPUT},
		{OSS_GETVERSION, SNDRV_OSS_VERSION}, {OSS_ALSAEMULVER, 1},
	} {
		if got := r.ioctlInt(tc.cmd, 0); got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.cmd, got, tc.want)
		}
	}
	if sp := r.ospace(); sp.Fragstotal != 1024 || sp.Fragsize != 4096 {
		t.Errorf("GETOSPACE %+v", sp)
	}
	// The next default: 48 kHz S16 stereo (192000 B/s) gives 131072 / 8.
	r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE)
	r.ioctlInt(SNDCTL_DSP_CHANNELS, 2)
	r.ioctlInt(SNDCTL_DSP_SPEED, 48000)
	if got := r.ioctlInt(SNDCTL_DSP_GETBLKSIZE, 0); got != 16384 {
		t.Errorf("GETBLKSIZE at 48 kHz S16 stereo: %d", got)
	}
	// SUBDIVIDE 2 halves the second instead: 131072 / 2.
	r2 := newRig(t, true, false)
	r2.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE)
	r2.ioctlInt(SNDCTL_DSP_CHANNELS, 2)
	if got := r2.ioctlInt(SNDCTL_DSP_SUBDIVIDE, 2); got != 2 {
		t.Fatalf("SUBDIVIDE answered %d", got)
	}
	r2.ioctlInt(SNDCTL_DSP_SPEED, 48000)
	if got := r2.ioctlInt(SNDCTL_DSP_GETBLKSIZE, 0); got != 65536 {
		t.Errorf("GETBLKSIZE with SUBDIVIDE 2: %d", got)
	}
	_, err := r2.ioctl(SNDCTL_DSP_SETFRAGMENT, EncodeInt(12))
	wantErrno(t, "SETFRAGMENT after SUBDIVIDE", err, syscall.EINVAL)
	if got := r2.ioctlInt(SNDCTL_DSP_SUBDIVIDE, 0); got != 2 {
		t.Errorf("SUBDIVIDE query: %d", got)
	}
}

func TestSpeedChannelsFormat(t *testing.T) {
	r := newRig(t, true, false)
	for _, tc := range []struct{ in, want int32 }{
		{44100, 44100}, {1000, 8000}, // choose_rate: multiples of 1000 up to the hardware's 8000
		{500, 8000}, {7000, 14000}, {500000, 192000}, {-5, 8000},
	} {
		if got := r.ioctlInt(SNDCTL_DSP_SPEED, tc.in); got != tc.want {
			t.Errorf("SPEED(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ in, want int32 }{{0, 1}, {2, 2}, {6, 6}, {64, 32}} {
		if got := r.ioctlInt(SNDCTL_DSP_CHANNELS, tc.in); got != tc.want {
			t.Errorf("CHANNELS(%d) = %d, want %d", tc.in, got, tc.want)
		}
	}
	_, err := r.ioctl(SNDCTL_DSP_CHANNELS, EncodeInt(129))
	wantErrno(t, "CHANNELS(129)", err, syscall.EINVAL)
	if got := r.ioctlInt(SNDCTL_DSP_STEREO, 0); got != 0 {
		t.Errorf("STEREO(0) = %d", got)
	}
	for _, tc := range []struct{ in, want int32 }{
		{AFMT_S32_BE, AFMT_S32_BE}, {AFMT_FLOAT, AFMT_FLOAT}, {AFMT_S24_LE, AFMT_S24_LE},
		{AFMT_MU_LAW, AFMT_U8}, {AFMT_S16_LE | AFMT_S8, AFMT_U8}, {AFMT_QUERY, AFMT_U8},
	} {
		if got := r.ioctlInt(SNDCTL_DSP_SETFMT, tc.in); got != tc.want {
			t.Errorf("SETFMT(%#x) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
	// Hardware without U8: the fallback U8 becomes the first format it has.
	hw := pcm.DefaultHardware()
	hw.Formats = 1<<uint(pcm.FormatS16LE) | 1<<uint(pcm.FormatS32LE)
	r2 := newRigHW(t, true, false, hw, nil)
	if got := r2.ioctlInt(SNDCTL_DSP_GETFMTS, 0); got != AFMT_S16_LE|AFMT_S32_LE {
		t.Errorf("GETFMTS %#x", got)
	}
	if got := r2.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_MU_LAW); got != AFMT_S16_LE {
		t.Errorf("SETFMT(MU_LAW) on S16/S32 hardware = %#x", got)
	}
}

func TestSetFragment(t *testing.T) {
	for _, tc := range []struct {
		val               int32
		fragsize, nfrags  int32
		errno             syscall.Errno
		rate, ch, afmtReq int32
	}{
		{val: 0x0004000c, fragsize: 4096, nfrags: 4, rate: 48000, ch: 2, afmtReq: AFMT_S16_LE},
		{val: 0x7fff0008, fragsize: 256, nfrags: 1024, rate: 48000, ch: 2, afmtReq: AFMT_S16_LE}, // periods max 1024
		{val: 0x00000002, fragsize: 64, nfrags: 2, rate: 48000, ch: 1, afmtReq: AFMT_S16_LE},     // 2^2 -> 16 bytes -> period_bytes_min 64; maxfrags 0 -> 2
		{val: 0x00020019, errno: syscall.EINVAL},
	} {
		r := newRig(t, true, false)
		_, err := r.ioctl(SNDCTL_DSP_SETFRAGMENT, EncodeInt(tc.val))
		if tc.errno != 0 {
			wantErrno(t, "SETFRAGMENT", err, tc.errno)
			continue
		}
		if err != nil {
			t.Fatalf("SETFRAGMENT(%#x): %v", tc.val, err)
		}
		r.ioctlInt(SNDCTL_DSP_SETFMT, tc.afmtReq)
		r.ioctlInt(SNDCTL_DSP_CHANNELS, tc.ch)
		r.ioctlInt(SNDCTL_DSP_SPEED, tc.rate)
		if sp := r.ospace(); sp.Fragsize != tc.fragsize || sp.Fragstotal != tc.nfrags {
			t.Errorf("SETFRAGMENT(%#x): GETOSPACE %+v, want %d x %d", tc.val, sp, tc.nfrags, tc.fragsize)
		}
	}
}

// The parameters cannot change while a write blocks (lock_params: EBUSY).
func TestParamsBusyDuringWrite(t *testing.T) {
	r := smallPlayback(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.d.Write(ctx, pattern(0, 65536), false) }()
	waitFor(t, "the writer to block", func() bool { s, _ := r.subs[pcm.Playback].Status(); return s.ApplPtr == 4096 })
	_, err := r.ioctl(SNDCTL_DSP_SPEED, EncodeInt(44100))
	wantErrno(t, "SPEED during a write", err, syscall.EBUSY)
	// Pointer queries still answer.
	if ci := r.optr(); ci.Blocks != 4 {
		t.Errorf("GETOPTR during a write: %+v", ci)
	}
	cancel()
	<-done
	if got := r.ioctlInt(SNDCTL_DSP_SPEED, 44100); got != 44100 {
		t.Errorf("SPEED after the write: %d", got)
	}
}

func TestDuplexTriggerResetPost(t *testing.T) {
	r := newRig(t, true, true)
	caps := r.ioctlInt(SNDCTL_DSP_GETCAPS, 0)
	if caps&DSP_CAP_DUPLEX == 0 {
		t.Fatalf("GETCAPS %#x without DUPLEX on a read-write open", caps)
	}
	r.mustIoctl(SNDCTL_DSP_SETDUPLEX)
	if got := r.ioctlInt(SNDCTL_DSP_GETTRIGGER, 0); got != PCM_ENABLE_INPUT|PCM_ENABLE_OUTPUT {
		t.Fatalf("GETTRIGGER %#x", got)
	}
	r.ioctlInt(SNDCTL_DSP_SETTRIGGER, 0)
	if got := r.ioctlInt(SNDCTL_DSP_GETTRIGGER, 0); got != 0 {
		t.Fatalf("GETTRIGGER after SETTRIGGER(0): %#x", got)
	}
	r.ioctlInt(SNDCTL_DSP_SETTRIGGER, PCM_ENABLE_INPUT)
	if s := r.status(pcm.Capture); s.State != pcm.StateRunning {
		t.Fatalf("SETTRIGGER(INPUT): capture %v", s.State)
	}
	if s := r.status(pcm.Playback); s.State != pcm.StatePrepared {
		t.Fatalf("SETTRIGGER(INPUT): playback %v", s.State)
	}
	// POST starts queued playback; with nothing queued the start fails and
	// POST ignores it, as the kernel does.
	r.mustIoctl(SNDCTL_DSP_POST)
	r.d.Write(context.Background(), pattern(0, 4096), false)
	r.mustIoctl(SNDCTL_DSP_POST)
	if s := r.status(pcm.Playback); s.State != pcm.StateRunning {
		t.Fatalf("POST: playback %v", s.State)
	}
	r.mustIoctl(SNDCTL_DSP_RESET)
	for dir := range r.subs {
		if s := r.status(pcm.Stream(dir)); s.State != pcm.StateSetup {
			t.Fatalf("RESET: %v in %v", pcm.Stream(dir), s.State)
		}
	}
	if ci := r.optr(); ci.Blocks != 0 {
		t.Fatalf("GETOPTR after RESET: %+v", ci)
	}
	// Playback-only files are not duplex.
	r2 := newRig(t, true, false)
	_, err := r2.ioctl(SNDCTL_DSP_SETDUPLEX, nil)
	wantErrno(t, "SETDUPLEX on a write-only file", err, syscall.EIO)
	_, err = r2.ioctl(SNDCTL_DSP_GETIPTR, nil)
	wantErrno(t, "GETIPTR on a write-only file", err, syscall.EINVAL)
	_, err = r2.d.Read(context.Background(), make([]byte, 4), false)
	wantErrno(t, "read on a write-only file", err, syscall.ENXIO)
}

func TestMixerRequestsOnDSP(t *testing.T) {
	r := newRigHW(t, true, false, pcm.DefaultHardware(), NewMixer("vsnd", "vsnd mixer", NewMemMixer()))
	if got := r.ioctlInt(SOUND_MIXER_WRITE_PCM, 20|30<<8); got != 20|30<<8 {
		t.Fatalf("WRITE_PCM on dsp: %#x", got)
	}
	if got := r.ioctlInt(SOUND_MIXER_READ_PCM, 0); got != 20|30<<8 {
		t.Fatalf("READ_PCM on dsp: %#x", got)
	}
	r2 := newRig(t, true, false)
	_, err := r2.ioctl(SOUND_MIXER_READ_PCM, nil)
	wantErrno(t, "mixer request without a mixer", err, syscall.ENXIO)
}

// Unknown and malformed requests answer an errno and never panic.
func TestUnknownIoctls(t *testing.T) {
	r := newRig(t, true, true)
	for _, tc := range []struct {
		cmd   uint32
		arg   []byte
		errno syscall.Errno
	}{
		{uint32(sio('P', 200)), nil, syscall.EINVAL},
		{uint32(sior('P', 64, 4)), nil, syscall.EINVAL}, // GETCHANNELMASK is not ALSA's
		{uint32(sio('X', 1)), nil, syscall.EINVAL},
		{0, nil, syscall.EINVAL},
		{uint32(SNDCTL_DSP_SPEED), []byte{1, 2}, syscall.EFAULT},
		{uint32(SNDCTL_DSP_MAPOUTBUF), nil, syscall.EINVAL},
		{uint32(SOUND_PCM_WRITE_FILTER), EncodeInt(1), syscall.EIO},
		{uint32(SNDCTL_DSP_SPEED &^ (3 << 30)), nil, syscall.EINVAL}, // right number, wrong direction
	} {
		_, err := r.d.Ioctl(context.Background(), tc.cmd, tc.arg)
		if !errors.Is(err, tc.errno) {
			t.Errorf("%s: %v, want %v", Ioctl(tc.cmd), err, tc.errno)
		}
	}
	rng := rand.New(rand.NewSource(1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i := 0; i < 20000; i++ {
		cmd := rng.Uint32()
		switch i % 4 {
		case 0:
			cmd = cmd&^0xff00 | 'P'<<8
		case 1:
			cmd = cmd&^0xff00 | 'M'<<8
		}
		arg := make([]byte, rng.Intn(24))
		rng.Read(arg)
		r.d.Ioctl(ctx, cmd, arg) // must not panic or hang
	}
}

// StreamOptions.Setup is the /proc oss line "app periods period_size":
// it replaces the default fragments (the size rounded down to 2^n).
func TestSetupOverridesFragments(t *testing.T) {
	fake := timer.NewFake()
	s := pcm.NewSubstream(pcm.Options{Stream: pcm.Playback, Hardware: pcm.DefaultHardware(),
		Driver: pcm.NewVirtualDriver(fake), Clock: fake, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	d, err := NewDSP(Options{Playback: &StreamOptions{Sub: s, Release: s.Release,
		Setup: Setup{Periods: 4, PeriodSize: 5000}}})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background(), true)
	ctx := context.Background()
	for _, req := range []struct {
		cmd Ioctl
		v   int32
	}{{SNDCTL_DSP_SETFMT, AFMT_S16_LE}, {SNDCTL_DSP_CHANNELS, 2}, {SNDCTL_DSP_SPEED, 48000}} {
		if _, err := d.Ioctl(ctx, uint32(req.cmd), EncodeInt(req.v)); err != nil {
			t.Fatalf("%s: %v", req.cmd, err)
		}
	}
	out, err := d.Ioctl(ctx, uint32(SNDCTL_DSP_GETOSPACE), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sp, _ := DecodeAudioBufInfo(out); sp.Fragsize != 4096 || sp.Fragstotal != 4 {
		t.Fatalf("GETOSPACE %+v, want 4 x 4096", sp)
	}
}
