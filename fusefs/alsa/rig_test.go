package alsa

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/mixer"
	"github.com/vsnd/vsnd/timer"
)

var bg = context.Background()

// fakeCaller is a client process whose memory is one byte slice mapped
// at base: addresses outside it are EFAULT, as process_vm_readv answers
// for unmapped ones.
type fakeCaller struct {
	pid      int
	nonblock atomic.Bool

	mu   sync.Mutex
	base uintptr
	mem  []byte // guarded by mu
	next uintptr
}

func newCaller(pid int, size int) *fakeCaller {
	return &fakeCaller{pid: pid, base: 0x10000, mem: make([]byte, size), next: 0x10000}
}

func (c *fakeCaller) Pid() int       { return c.pid }
func (c *fakeCaller) Nonblock() bool { return c.nonblock.Load() }

func (c *fakeCaller) span(addr uintptr, n int) ([]byte, error) {
	if addr < c.base || addr-c.base > uintptr(len(c.mem)) || uintptr(len(c.mem))-(addr-c.base) < uintptr(n) {
		return nil, pcm.Errorf(syscall.EFAULT, "fake: bad address %#x+%d", addr, n)
	}
	off := addr - c.base
	return c.mem[off : off+uintptr(n)], nil
}

func (c *fakeCaller) ReadMem(addr uintptr, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.span(addr, len(p))
	if err != nil {
		return err
	}
	copy(p, s)
	return nil
}

func (c *fakeCaller) WriteMem(addr uintptr, p []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, err := c.span(addr, len(p))
	if err != nil {
		return err
	}
	copy(s, p)
	return nil
}

// alloc reserves n bytes (8-aligned) and returns their address.
func (c *fakeCaller) alloc(n int) uintptr {
	c.mu.Lock()
	defer c.mu.Unlock()
	a := c.next
	c.next += uintptr((n + 7) &^ 7)
	if c.next-c.base > uintptr(len(c.mem)) {
		panic("fake caller out of memory")
	}
	return a
}

// put copies b to a fresh allocation and returns its address.
func (c *fakeCaller) put(b []byte) uintptr {
	a := c.alloc(len(b))
	if err := c.WriteMem(a, b); err != nil {
		panic(err)
	}
	return a
}

func (c *fakeCaller) get(addr uintptr, n int) []byte {
	b := make([]byte, n)
	if err := c.ReadMem(addr, b); err != nil {
		panic(err)
	}
	return b
}

// ioctler is what both file kinds offer.
type ioctler interface {
	Ioctl(ctx context.Context, c Caller, cmd uint32, arg uintptr, in, out []byte) error
}

// fuseIoctl issues an ioctl the way the FUSE kernel carries a restricted
// one: _IOC_SIZE bytes copied in from arg for _IOW, copied back to arg on
// success for _IOR, arg passed along.
func fuseIoctl(ctx context.Context, f ioctler, c *fakeCaller, req asound.Ioctl, arg uintptr) error {
	var in, out []byte
	if req.CopiesIn() && req.Size() > 0 {
		in = make([]byte, req.Size())
		if err := c.ReadMem(arg, in); err != nil {
			return err // fuse_do_ioctl's copy fails before the daemon sees it
		}
	}
	if req.CopiesOut() && req.Size() > 0 {
		out = make([]byte, req.Size())
	}
	if err := f.Ioctl(ctx, c, uint32(req), arg, in, out); err != nil {
		return err
	}
	if out != nil {
		return c.WriteMem(arg, out)
	}
	return nil
}

// rig is a card of the face on a fake clock.
type rig struct {
	t     testing.TB
	fake  *timer.Fake
	pc    *pcm.Card
	card  *Card
	mixer *mixer.Mixer
	tm    *asound.ClockOffsets
}

func newRig(t testing.TB, cfg pcm.CardConfig) *rig {
	t.Helper()
	fake := timer.NewFake()
	fake.Advance(time.Second) // a non-zero core time, so timestamps show
	pc, err := pcm.NewCard(0, cfg, pcm.Backend{Clock: fake, NewDriver: func() pcm.Driver { return pcm.NewVirtualDriver(fake) }})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mixer.New(mixer.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	tm := &asound.ClockOffsets{1000 * time.Hour, 10 * time.Second, 20 * time.Second}
	card, err := NewCard(pc, Options{TimeMap: tm, Mixer: m, Components: "vsnd:test"})
	if err != nil {
		t.Fatal(err)
	}
	return &rig{t: t, fake: fake, pc: pc, card: card, mixer: m, tm: tm}
}

func oneDevice(hw pcm.Hardware, play, capt int) pcm.CardConfig {
	return pcm.CardConfig{Devices: []pcm.DeviceConfig{{Playback: play, Capture: capt, Hardware: [2]pcm.Hardware{hw, hw}}}}
}

func (r *rig) open(st pcm.Stream, pid int) *PCMFile {
	r.t.Helper()
	f, err := r.card.OpenPCM(bg, 0, st, pid, true)
	if err != nil {
		r.t.Fatalf("OpenPCM: %v", err)
	}
	r.t.Cleanup(func() { f.Release() })
	return f
}

func wantErrno(t testing.TB, what string, err error, want syscall.Errno) {
	t.Helper()
	if got := pcm.Errno(err); got != want {
		t.Fatalf("%s: errno %v (%v), want %v", what, got, err, want)
	}
	if err != nil {
		var pe *pcm.Error
		if !errors.As(err, &pe) {
			t.Fatalf("%s: error %T is not a *pcm.Error", what, err)
		}
	}
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// params is a client's view of hw params: the 608 bytes in its memory.
type params struct {
	c    *fakeCaller
	addr uintptr
}

func newParams(c *fakeCaller) *params {
	var p pcm.HWParams
	p.Any()
	b := make([]byte, asound.HWParamsSize)
	asound.EncodeHWParams(b, &p)
	return &params{c: c, addr: c.put(b)}
}

func (p *params) get() pcm.HWParams {
	var hp pcm.HWParams
	asound.DecodeHWParams(p.c.get(p.addr, asound.HWParamsSize), &hp)
	return hp
}

func (p *params) set(hp *pcm.HWParams) {
	b := p.c.get(p.addr, asound.HWParamsSize)
	asound.EncodeHWParams(b, hp)
	p.c.WriteMem(p.addr, b)
}

// refine narrows one parameter and refines, as snd_pcm_hw_param_set does
// through alsa-lib's hw plugin (one HW_REFINE per call).
func (p *params) refine(f *PCMFile, v pcm.Param, min, max uint32) error {
	hp := p.get()
	if v <= pcm.ParamLastMask {
		hp.SetMask(v, min)
	} else {
		hp.SetInterval(v, min, max)
	}
	hp.RMask = 1 << v
	p.set(&hp)
	return fuseIoctl(bg, f, p.c, asound.PCMIoctlHWRefine, p.addr)
}

// setup installs access/format/channels/rate/period/buffer the way a
// plughw client walks there: many refines, then HW_PARAMS.
func setup(t testing.TB, f *PCMFile, c *fakeCaller, access pcm.Access, format pcm.Format, channels, rate, period, periods uint32) pcm.Config {
	t.Helper()
	p := newParams(c)
	must(t, "refine any", fuseIoctl(bg, f, c, asound.PCMIoctlHWRefine, p.addr))
	steps := []struct {
		v        pcm.Param
		min, max uint32
	}{
		{pcm.ParamAccess, uint32(access), 0}, {pcm.ParamFormat, uint32(format), 0},
		{pcm.ParamSubformat, 0, 0}, {pcm.ParamChannels, channels, channels},
		{pcm.ParamRate, rate, rate}, {pcm.ParamPeriodSize, period, period},
		{pcm.ParamPeriods, periods, periods},
	}
	for _, s := range steps {
		must(t, "refine "+s.v.String(), p.refine(f, s.v, s.min, s.max))
	}
	must(t, "HW_PARAMS", fuseIoctl(bg, f, c, asound.PCMIoctlHWParams, p.addr))
	cfg, ok := f.Substream().Config()
	if !ok {
		t.Fatal("no config after HW_PARAMS")
	}
	return cfg
}

// swParams reads the current sw params, lets mod change them and installs
// them with SW_PARAMS (proto 2.0.18, as alsa-lib 1.2.8 sends).
func swParams(t testing.TB, f *PCMFile, c *fakeCaller, mod func(p *pcm.SWParams)) pcm.SWParams {
	t.Helper()
	sp, err := f.Substream().CurrentSWParams()
	must(t, "CurrentSWParams", err)
	sp.Proto = asound.PCMVersion
	if mod != nil {
		mod(&sp)
	}
	b := make([]byte, asound.SWParamsSize)
	asound.EncodeSWParams(b, &sp)
	a := c.put(b)
	must(t, "SW_PARAMS", fuseIoctl(bg, f, c, asound.PCMIoctlSWParams, a))
	var got pcm.SWParams
	asound.DecodeSWParams(c.get(a, asound.SWParamsSize), &got)
	return got
}

// xferi puts a struct snd_xferi in the caller's memory.
func xferi(c *fakeCaller, buf uintptr, frames uint64) uintptr {
	b := make([]byte, asound.XferISize)
	x := asound.XferI{Result: 12345, Buf: uint64(buf), Frames: frames}
	x.Encode(b)
	return c.put(b)
}

func result(c *fakeCaller, x uintptr) int64 {
	return int64(binary.LittleEndian.Uint64(c.get(x, 8)))
}

func intArg(c *fakeCaller, v int32) uintptr {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(v))
	return c.put(b[:])
}

func getInt(c *fakeCaller, a uintptr) int32 { return int32(binary.LittleEndian.Uint32(c.get(a, 4))) }

// pattern is n frames of a counting byte pattern.
func pattern(fb, n, seed int) []byte {
	b := make([]byte, fb*n)
	for i := range b {
		b[i] = byte(i*7 + seed)
	}
	return b
}

// memSink records what a playback substream plays.
type memSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (m *memSink) Open(pcm.Config) error { return nil }
func (m *memSink) Close() error          { return nil }
func (m *memSink) Write(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.buf.Write(p)
}
func (m *memSink) bytes() []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.buf.Bytes())
}

// memSource records a fixed byte string, then silence.
type memSource struct {
	mu   sync.Mutex
	data []byte
}

func (m *memSource) Open(pcm.Config) error { return nil }
func (m *memSource) Close() error          { return nil }
func (m *memSource) Read(p []byte) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := copy(p, m.data)
	m.data = m.data[n:]
	clear(p[n:])
	return len(p), nil
}
