package oss

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// rig is one open /dev/dsp over real core substreams driven by the virtual
// driver on a fake clock: time moves only when the test advances it.
type rig struct {
	t    testing.TB
	fake *timer.Fake
	subs [2]*pcm.Substream
	sink *recSink
	src  *patternSource
	d    *DSP
}

func newRig(t testing.TB, playback, capture bool) *rig {
	t.Helper()
	return newRigHW(t, playback, capture, pcm.DefaultHardware(), nil)
}

func newRigHW(t testing.TB, playback, capture bool, hw pcm.Hardware, mixer *Mixer) *rig {
	t.Helper()
	r := &rig{t: t, fake: timer.NewFake(), sink: &recSink{}, src: &patternSource{}}
	var opts Options
	opts.Mixer = mixer
	for dir, on := range [2]bool{playback, capture} {
		if !on {
			continue
		}
		s := pcm.NewSubstream(pcm.Options{Stream: pcm.Stream(dir), Hardware: hw,
			Driver: pcm.NewVirtualDriver(r.fake), Clock: r.fake, Name: t.Name()})
		if err := s.Open(); err != nil {
			t.Fatalf("Open: %v", err)
		}
		if dir == int(pcm.Playback) {
			s.SetSink(r.sink)
		} else {
			s.SetSource(r.src)
		}
		r.subs[dir] = s
		so := &StreamOptions{Sub: s, Hardware: hw, Substreams: 1, Release: s.Release}
		if dir == int(pcm.Playback) {
			opts.Playback = so
		} else {
			opts.Capture = so
		}
	}
	d, err := NewDSP(opts)
	if err != nil {
		t.Fatalf("NewDSP: %v", err)
	}
	r.d = d
	t.Cleanup(func() { r.d.Close(context.Background(), true) })
	return r
}

// ioctl issues a request the way the FUSE layer does: _IOC_SIZE bytes in
// for _IOC_WRITE requests.
func (r *rig) ioctl(cmd Ioctl, in []byte) ([]byte, error) {
	r.t.Helper()
	var arg []byte
	if cmd.CopiesIn() {
		arg = make([]byte, cmd.Size())
		copy(arg, in)
	}
	out, err := r.d.Ioctl(context.Background(), uint32(cmd), arg)
	if err == nil && cmd.CopiesOut() && len(out) != cmd.Size() {
		r.t.Fatalf("%s answered %d bytes, want %d", cmd, len(out), cmd.Size())
	}
	if err == nil && !cmd.CopiesOut() && out != nil {
		r.t.Fatalf("%s answered bytes without _IOC_READ", cmd)
	}
	return out, err
}

// ioctlInt issues an int request and returns the answer; failures are fatal.
func (r *rig) ioctlInt(cmd Ioctl, v int32) int32 {
	r.t.Helper()
	out, err := r.ioctl(cmd, EncodeInt(v))
	if err != nil {
		r.t.Fatalf("%s(%d): %v", cmd, v, err)
	}
	if !cmd.CopiesOut() {
		return 0
	}
	got, _ := DecodeInt(out)
	return got
}

func (r *rig) mustIoctl(cmd Ioctl) {
	r.t.Helper()
	if _, err := r.ioctl(cmd, nil); err != nil {
		r.t.Fatalf("%s: %v", cmd, err)
	}
}

func (r *rig) optr() CountInfo { return r.countInfo(SNDCTL_DSP_GETOPTR) }
func (r *rig) iptr() CountInfo { return r.countInfo(SNDCTL_DSP_GETIPTR) }

func (r *rig) countInfo(cmd Ioctl) CountInfo {
	r.t.Helper()
	out, err := r.ioctl(cmd, nil)
	if err != nil {
		r.t.Fatalf("%s: %v", cmd, err)
	}
	ci, _ := DecodeCountInfo(out)
	return ci
}

func (r *rig) ospace() AudioBufInfo { return r.bufInfo(SNDCTL_DSP_GETOSPACE) }
func (r *rig) ispace() AudioBufInfo { return r.bufInfo(SNDCTL_DSP_GETISPACE) }

func (r *rig) bufInfo(cmd Ioctl) AudioBufInfo {
	r.t.Helper()
	out, err := r.ioctl(cmd, nil)
	if err != nil {
		r.t.Fatalf("%s: %v", cmd, err)
	}
	a, _ := DecodeAudioBufInfo(out)
	return a
}

func (r *rig) status(dir pcm.Stream) pcm.Status {
	r.t.Helper()
	s, err := r.subs[dir].Status()
	if err != nil {
		r.t.Fatalf("Status: %v", err)
	}
	return s
}

// periodTime is the duration of n frames at the installed rate.
func (r *rig) frames(dir pcm.Stream, n int) time.Duration {
	c, _ := r.subs[dir].Config()
	return timer.Period{Frames: int64(n), Rate: int64(c.Rate)}.Duration()
}

// whileAdvancing runs f on its own goroutine and advances the fake clock
// by step, each time after waiting until ready() holds (or f returned), until
// f returns. Waits are bounded by a generous wall-clock deadline.
func (r *rig) whileAdvancing(step time.Duration, ready func() bool, f func()) {
	r.t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		for ready != nil && !ready() {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
			if time.Now().After(deadline) {
				r.t.Fatal("timed out waiting for the transfer to catch up")
			}
		}
		select {
		case <-done:
			return
		default:
		}
		if time.Now().After(deadline) {
			r.t.Fatal("timed out: the operation did not finish")
		}
		r.fake.Advance(step)
		// Pacing between clock steps; a caller that needs f to have
		// reacted to a step says so with ready, which is waited for above.
		time.Sleep(50 * time.Microsecond)
	}
}

// waitFor polls cond with a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

func wantErrno(t testing.TB, what string, err error, want syscall.Errno) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: %v, want %v", what, err, want)
	}
}

// recSink records everything played, across runs.
type recSink struct {
	mu   sync.Mutex
	data []byte // guarded by mu
}

func (k *recSink) Open(pcm.Config) error { return nil }
func (k *recSink) Close() error          { return nil }
func (k *recSink) Write(p []byte) (int, error) {
	k.mu.Lock()
	k.data = append(k.data, p...)
	k.mu.Unlock()
	return len(p), nil
}
func (k *recSink) bytes() []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]byte(nil), k.data...)
}

// patternSource produces byte i of a run as patternByte(i).
type patternSource struct {
	mu       sync.Mutex
	produced int // guarded by mu: bytes of the current run
}

func patternByte(i int) byte { return byte(i % 251) }

func (s *patternSource) Open(pcm.Config) error {
	s.mu.Lock()
	s.produced = 0
	s.mu.Unlock()
	return nil
}
func (s *patternSource) Close() error { return nil }
func (s *patternSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range p {
		p[i] = patternByte(s.produced + i)
	}
	s.produced += len(p)
	return len(p), nil
}
func (s *patternSource) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.produced
}

// pattern returns n bytes of a recognizable signal starting at byte off.
func pattern(off, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte((off+i)*7 + 1)
	}
	return b
}
