package oss

import (
	"bytes"
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// The ioctl sequences real clients issue (OSS-NOTES.md, strace), replayed
// against the emulation over the real core.

// python3 ossaudiodev: GETFMTS at open, SETFMT, CHANNELS, SPEED, writes,
// GETOSPACE for obuffree, SYNC.
func TestPythonOssaudiodevSequence(t *testing.T) {
	r := newRig(t, true, false)
	fmts := r.ioctlInt(SNDCTL_DSP_GETFMTS, 0)
	if fmts&AFMT_S16_LE == 0 || fmts&AFMT_U8 == 0 || fmts&AFMT_MU_LAW != 0 {
		t.Fatalf("GETFMTS %#x", fmts)
	}
	if got := r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE); got != AFMT_S16_LE {
		t.Fatalf("SETFMT answered %#x", got)
	}
	if got := r.ioctlInt(SNDCTL_DSP_CHANNELS, 2); got != 2 {
		t.Fatalf("CHANNELS answered %d", got)
	}
	if got := r.ioctlInt(SNDCTL_DSP_SPEED, 44100); got != 44100 {
		t.Fatalf("SPEED answered %d", got)
	}
	// snd_pcm_oss_period_size's default: a second of audio rounded down to
	// a power of two (131072 bytes), cut in 8 fragments of 16 KiB; the
	// 4 MiB buffer_bytes_max of DefaultHardware holds 256 of them.
	sp := r.ospace()
	if sp != (AudioBufInfo{Fragments: 256, Fragstotal: 256, Fragsize: 16384, Bytes: 4 << 20}) {
		t.Fatalf("GETOSPACE before writing: %+v", sp)
	}
	c, _ := r.subs[pcm.Playback].Config()
	if c.Format != pcm.FormatS16LE || c.Channels != 2 || c.Rate != 44100 || c.PeriodSize != 4096 || c.Periods != 256 {
		t.Fatalf("installed %+v", c)
	}

	data := pattern(0, 100000) // 6 fragments and 1696 bytes
	n, err := r.d.Write(context.Background(), data, false)
	if err != nil || n != len(data) {
		t.Fatalf("Write: %d %v", n, err)
	}
	if s := r.status(pcm.Playback); s.State != pcm.StateRunning || s.ApplPtr != 6*4096 {
		t.Fatalf("after write: %v appl_ptr %d", s.State, s.ApplPtr)
	}
	// Nothing played yet (the clock stands still): the room is the buffer
	// minus the queued fragments minus the fragment being assembled.
	if sp := r.ospace(); sp.Bytes != 4<<20-100000 || sp.Fragments != (4<<20-100000)/16384 {
		t.Fatalf("GETOSPACE after writing: %+v", sp)
	}

	r.whileAdvancing(10*time.Millisecond, nil, func() {
		if _, err := r.ioctl(SNDCTL_DSP_SYNC, nil); err != nil {
			t.Errorf("SYNC: %v", err)
		}
	})
	if s := r.status(pcm.Playback); s.State != pcm.StateSetup {
		t.Fatalf("after SYNC: %v", s.State)
	}
	if err := r.d.Close(context.Background(), false); err != nil {
		t.Fatalf("Close: %v", err)
	}
	got := r.sink.bytes()
	want := append(append([]byte(nil), data...), make([]byte, 7*16384-len(data))...)
	if !bytes.Equal(got, want) {
		t.Fatalf("sink got %d bytes (first diff at %d), want the %d written + silence to %d",
			len(got), firstDiff(got, want), len(data), len(want))
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// sox/play 14.4.2: RESET, GETFMTS, SETFMT, STEREO, SPEED, 8 KiB writes,
// SYNC.
func TestSoxSequence(t *testing.T) {
	r := newRig(t, true, false)
	r.mustIoctl(SNDCTL_DSP_RESET)
	r.ioctlInt(SNDCTL_DSP_GETFMTS, 0)
	if got := r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE); got != AFMT_S16_LE {
		t.Fatalf("SETFMT %#x", got)
	}
	if got := r.ioctlInt(SNDCTL_DSP_STEREO, 1); got != 1 {
		t.Fatalf("STEREO answered %d", got)
	}
	if got := r.ioctlInt(SNDCTL_DSP_SPEED, 48000); got != 48000 {
		t.Fatalf("SPEED %d", got)
	}
	var all []byte
	for i := 0; i < 10; i++ {
		chunk := pattern(len(all), 8192)
		if n, err := r.d.Write(context.Background(), chunk, false); n != len(chunk) || err != nil {
			t.Fatalf("write %d: %d %v", i, n, err)
		}
		all = append(all, chunk...)
	}
	r.whileAdvancing(20*time.Millisecond, nil, func() {
		if _, err := r.ioctl(SNDCTL_DSP_SYNC, nil); err != nil {
			t.Errorf("SYNC: %v", err)
		}
	})
	r.d.Close(context.Background(), false)
	got := r.sink.bytes()
	// 80 KiB = 5 fragments of 16 KiB: nothing to pad.
	if !bytes.Equal(got, all) {
		t.Fatalf("sink got %d bytes, want %d (first diff %d)", len(got), len(all), firstDiff(got, all))
	}
}

// aplay -D oss (alsa-plugins' oss plugin): GETCAPS, GETFMTS, CHANNELS,
// SETFRAGMENT, RESET, SETFMT, SPEED, SETTRIGGER(0), writes, then
// SETTRIGGER(OUTPUT), GETOPTR as its clock, SYNC.
func TestAplayOSSSequence(t *testing.T) {
	r := newRig(t, true, false)
	caps := r.ioctlInt(SNDCTL_DSP_GETCAPS, 0)
	if caps&DSP_CAP_TRIGGER == 0 || caps&DSP_CAP_DUPLEX != 0 || caps&DSP_CAP_MMAP != 0 || caps&DSP_CAP_REVISION != 1 {
		t.Fatalf("GETCAPS %#x", caps)
	}
	r.ioctlInt(SNDCTL_DSP_GETFMTS, 0)
	r.ioctlInt(SNDCTL_DSP_CHANNELS, 2)
	r.ioctlInt(SNDCTL_DSP_SETFRAGMENT, 4<<16|12) // 4 fragments of 4 KiB
	// alsa-plugins sets it again on each hw_params and accepts EINVAL.
	_, err := r.ioctl(SNDCTL_DSP_SETFRAGMENT, EncodeInt(4<<16|12))
	wantErrno(t, "second SETFRAGMENT", err, syscall.EINVAL)
	r.mustIoctl(SNDCTL_DSP_RESET)
	r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE)
	r.ioctlInt(SNDCTL_DSP_SPEED, 48000)
	r.ioctlInt(SNDCTL_DSP_SETTRIGGER, 0)
	if got := r.ioctlInt(SNDCTL_DSP_GETTRIGGER, 0); got != 0 {
		t.Fatalf("GETTRIGGER %#x", got)
	}
	if got := r.ioctlInt(SNDCTL_DSP_GETBLKSIZE, 0); got != 4096 {
		t.Fatalf("GETBLKSIZE %d", got)
	}
	data := pattern(0, 4*4096)
	if n, err := r.d.Write(context.Background(), data, false); n != len(data) || err != nil {
		t.Fatalf("Write with trigger off: %d %v", n, err)
	}
	if s := r.status(pcm.Playback); s.State != pcm.StatePrepared {
		t.Fatalf("trigger off: the write started the stream (%v)", s.State)
	}
	if ci := r.optr(); ci != (CountInfo{Bytes: 0, Blocks: 4, Ptr: 0}) {
		t.Fatalf("GETOPTR before start: %+v", ci)
	}
	if sp := r.ospace(); sp.Bytes != 0 || sp.Fragments != 0 || sp.Fragstotal != 4 {
		t.Fatalf("GETOSPACE full: %+v", sp)
	}
	r.ioctlInt(SNDCTL_DSP_SETTRIGGER, PCM_ENABLE_OUTPUT)
	if s := r.status(pcm.Playback); s.State != pcm.StateRunning {
		t.Fatalf("SETTRIGGER(OUTPUT): %v", s.State)
	}
	// GETOPTR is the client's clock: exactly the frames hw_ptr passed.
	start := r.fake.Now()
	for _, ms := range []int{1, 5, 21, 40, 64, 85} {
		r.fake.Set(start + time.Duration(ms)*time.Millisecond)
		st := r.status(pcm.Playback)
		ci := r.optr()
		if st.State != pcm.StateRunning {
			break
		}
		played := int32(st.HWPtr * 4)
		queued := int32((st.ApplPtr - st.HWPtr) * 4)
		want := CountInfo{Bytes: played, Blocks: queued / 4096, Ptr: int32(st.HWPtr%4096) * 4}
		if ci != want {
			t.Fatalf("at %d ms: GETOPTR %+v, want %+v (hw_ptr %d)", ms, ci, want, st.HWPtr)
		}
		if d := r.ioctlInt(SNDCTL_DSP_GETODELAY, 0); d != queued {
			t.Fatalf("at %d ms: GETODELAY %d, want %d", ms, d, queued)
		}
	}
	r.whileAdvancing(5*time.Millisecond, nil, func() {
		if _, err := r.ioctl(SNDCTL_DSP_SYNC, nil); err != nil {
			t.Errorf("SYNC: %v", err)
		}
	})
	r.d.Close(context.Background(), false)
	if got := r.sink.bytes(); !bytes.Equal(got, data) {
		t.Fatalf("sink %d bytes, want %d (first diff %d)", len(got), len(data), firstDiff(got, data))
	}
}

// ffmpeg -f oss capture: GETFMTS, SETFMT, STEREO, SPEED, O_NONBLOCK, and
// GETISPACE before every 4 KiB read.
func TestFFmpegCaptureSequence(t *testing.T) {
	r := newRig(t, false, true)
	r.ioctlInt(SNDCTL_DSP_GETFMTS, 0)
	r.ioctlInt(SNDCTL_DSP_SETFMT, AFMT_S16_LE)
	r.ioctlInt(SNDCTL_DSP_STEREO, 1)
	r.ioctlInt(SNDCTL_DSP_SPEED, 48000)
	r.mustIoctl(SNDCTL_DSP_NONBLOCK)
	frag := int(r.ioctlInt(SNDCTL_DSP_GETBLKSIZE, 0))
	if frag != 16384 {
		t.Fatalf("fragment %d", frag)
	}
	if sp := r.ispace(); sp.Bytes != 0 || sp.Fragments != 0 || sp.Fragsize != 16384 {
		t.Fatalf("GETISPACE before the first read: %+v", sp)
	}
	buf := make([]byte, 4096)
	_, err := r.d.Read(context.Background(), buf, false) // O_NONBLOCK via the ioctl
	wantErrno(t, "first read", err, syscall.EAGAIN)
	if s := r.status(pcm.Capture); s.State != pcm.StateRunning {
		t.Fatalf("the first read did not start capture: %v", s.State)
	}
	// Let the source pump read ahead so capture has data, not silence.
	waitFor(t, "source prefetch", func() bool { return r.src.count() >= 4*frag })

	var got []byte
	fragFrames := frag / 4
	for i := 0; i < 3; i++ {
		// Half a fragment is not enough for a non-blocking read.
		r.fake.Advance(r.frames(pcm.Capture, fragFrames/2))
		sp := r.ispace()
		if sp.Fragments != 0 || sp.Bytes == 0 {
			t.Fatalf("half a fragment: GETISPACE %+v", sp)
		}
		if _, err := r.d.Read(context.Background(), buf, true); err == nil {
			t.Fatalf("read %d: data before a whole fragment", i)
		} else {
			wantErrno(t, "half a fragment", err, syscall.EAGAIN)
		}
		r.fake.Advance(r.frames(pcm.Capture, fragFrames-fragFrames/2))
		sp = r.ispace()
		if sp.Fragments != 1 || sp.Bytes != int32(frag) {
			t.Fatalf("one fragment: GETISPACE %+v", sp)
		}
		for j := 0; j < frag/len(buf); j++ {
			n, err := r.d.Read(context.Background(), buf, true)
			if n != len(buf) || err != nil {
				t.Fatalf("read %d.%d: %d %v", i, j, n, err)
			}
			got = append(got, buf...)
			// GETISPACE counts what the emulation holds for the next reads.
			if sp := r.ispace(); sp.Bytes != int32(frag-(j+1)*len(buf)) {
				t.Fatalf("after read %d.%d: GETISPACE %+v", i, j, sp)
			}
		}
		if _, err := r.d.Read(context.Background(), buf, true); err == nil {
			t.Fatalf("fragment %d: more data than captured", i)
		}
	}
	if st := r.status(pcm.Capture); st.SourceUnderrun != 0 {
		t.Skipf("source pump fell behind (%d frames of silence): content not comparable", st.SourceUnderrun)
	}
	for i, b := range got {
		if b != patternByte(i) {
			t.Fatalf("captured byte %d = %d, want %d", i, b, patternByte(i))
		}
	}
	if ci := r.iptr(); ci.Bytes != int32(len(got)) || ci.Blocks != 0 {
		t.Fatalf("GETIPTR %+v after reading %d", ci, len(got))
	}
}
