package pcm

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// Test helpers shared by the substream tests.

// testCfg is the configuration most tests install.
type testCfg struct {
	access   Access
	format   Format
	channels int
	rate     int
	period   int
	periods  int
}

var stereo48k = testCfg{AccessRWInterleaved, FormatS16LE, 2, 48000, 256, 4}

// fixture is one substream on a fake clock with the virtual driver.
type fixture struct {
	t    *testing.T
	fake *timer.Fake
	s    *Substream
}

func newFixture(t *testing.T, dir Stream) *fixture {
	t.Helper()
	return newFixtureHW(t, dir, DefaultHardware())
}

func newFixtureHW(t *testing.T, dir Stream, hw Hardware) *fixture {
	t.Helper()
	fake := timer.NewFake()
	s := NewSubstream(Options{Stream: dir, Hardware: hw, Driver: NewVirtualDriver(fake),
		Clock: fake, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatalf("Open: %v", err)
	}
	f := &fixture{t: t, fake: fake, s: s}
	t.Cleanup(func() {
		if s.opened {
			s.Release()
		}
	})
	return f
}

func hwParamsFor(c testCfg) *HWParams {
	p := new(HWParams)
	p.Any()
	p.SetMask(ParamAccess, uint32(c.access))
	p.SetMask(ParamFormat, uint32(c.format))
	p.SetIntervalValue(ParamChannels, uint32(c.channels))
	p.SetIntervalValue(ParamRate, uint32(c.rate))
	p.SetIntervalValue(ParamPeriodSize, uint32(c.period))
	p.SetIntervalValue(ParamPeriods, uint32(c.periods))
	return p
}

// setup installs c and returns the fixture, in SETUP.
func (f *fixture) setup(c testCfg) *fixture {
	f.t.Helper()
	if err := f.s.HWParams(hwParamsFor(c)); err != nil {
		f.t.Fatalf("HWParams: %v", err)
	}
	return f
}

func (f *fixture) must(what string, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("%s: %v", what, err)
	}
}

// period returns the duration of one period of the installed config.
func (f *fixture) period() time.Duration {
	c, _ := f.s.Config()
	return timer.Period{Frames: int64(c.PeriodSize), Rate: int64(c.Rate)}.Duration()
}

// advancePeriods moves the fake clock n periods (callbacks run here).
func (f *fixture) advancePeriods(n int) {
	c, _ := f.s.Config()
	p := timer.Period{Frames: int64(c.PeriodSize), Rate: int64(c.Rate)}
	for i := 0; i < n; i++ {
		now := f.fake.Now()
		f.fake.Set(now + p.Duration())
	}
}

// frames returns n frames of a counting pattern starting at frame k.
func pattern(c testCfg, k, n int) []byte {
	fb := c.format.Bytes() * c.channels
	b := make([]byte, n*fb)
	for i := range b {
		b[i] = byte((k*fb + i) * 7 / 3)
	}
	return b
}

func (f *fixture) write(b []byte) int {
	f.t.Helper()
	n, err := f.s.Write(context.Background(), b, true)
	if err != nil {
		f.t.Fatalf("Write: %v", err)
	}
	return n
}

func (f *fixture) status() Status {
	f.t.Helper()
	st, err := f.s.Status()
	if err != nil {
		f.t.Fatalf("Status: %v", err)
	}
	return st
}

func errnoOf(err error) syscall.Errno { return Errno(err) }

func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	if got := Errno(err); got != want {
		t.Fatalf("%s: got %v (errno %d %v), want %v", what, err, int(got), got, want)
	}
	if err != nil {
		var pe *Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %T is not a *pcm.Error", what, err)
		}
	}
}

// memSink records what it is given.
type memSink struct {
	mu     sync.Mutex
	cfg    Config
	buf    bytes.Buffer
	opens  int
	closes int
}

func (m *memSink) Open(c Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cfg = c
	m.opens++
	return nil
}

func (m *memSink) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}

func (m *memSink) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closes++
	return nil
}

func (m *memSink) snapshot() ([]byte, int, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.buf.Bytes()), m.opens, m.closes
}

// memSource produces a fixed byte string, then io.EOF.
type memSource struct {
	mu     sync.Mutex
	data   []byte
	off    int
	chunk  int
	opens  int
	closes int
}

func (m *memSource) Open(c Config) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.opens++
	return nil
}

func (m *memSource) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.off >= len(m.data) {
		return 0, io.EOF
	}
	n := len(p)
	if m.chunk > 0 {
		n = min(n, m.chunk)
	}
	n = copy(p[:n], m.data[m.off:])
	m.off += n
	return n, nil
}

func (m *memSource) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closes++
	return nil
}

// waitSinkDrained waits until the sink pump emptied its FIFO (the fake
// clock can play far faster than real time).
func (f *fixture) waitSinkDrained() {
	f.t.Helper()
	waitFor(f.t, "sink FIFO empty", func() bool {
		f.s.mu.Lock()
		defer f.s.mu.Unlock()
		return f.s.sinkPump == nil || f.s.sinkPump.fifo.Length() == 0
	})
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestSmokePlayback(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	sink := &memSink{}
	f.s.SetSink(sink)
	f.must("Prepare", f.s.Prepare())
	data := pattern(stereo48k, 0, 1024)
	if n := f.write(data); n != 1024 {
		t.Fatalf("wrote %d frames, want 1024", n)
	}
	if st := f.s.State(); st != StateRunning {
		t.Fatalf("state %v, want RUNNING", st)
	}
	f.advancePeriods(1)
	st := f.status()
	if st.HWPtr != 256 || st.ApplPtr != 1024 || st.Avail != 256 {
		t.Fatalf("after one period: hw %d appl %d avail %d", st.HWPtr, st.ApplPtr, st.Avail)
	}
	wantErrno(t, "Drain", f.s.Drain(context.Background(), true), syscall.EAGAIN)
}
