package pcm

import (
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"
)

func newDefault(t testing.TB) *Constraints {
	t.Helper()
	c, err := NewConstraints(DefaultHardware())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// request is the space most tests start from: Any, then one format, a
// channel count and a rate, as a client sets them.
func request(f Format, channels, rate uint32) HWParams {
	var p HWParams
	p.Any()
	p.SetMask(ParamFormat, uint32(f))
	p.SetIntervalValue(ParamChannels, channels)
	p.SetIntervalValue(ParamRate, rate)
	return p
}

// mustChoose runs Choose on p and returns the configuration it installs.
func mustChoose(t *testing.T, c *Constraints, p *HWParams) Config {
	t.Helper()
	if err := c.Choose(p); err != nil {
		t.Fatal(err)
	}
	cfg, err := p.Config()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func checkIv(t *testing.T, p *HWParams, v Param, want Interval) {
	t.Helper()
	if got := *p.Interval(v); got != want {
		t.Errorf("%s = %s %+v, want %s %+v", v, appendInterval(nil, &got), got, appendInterval(nil, &want), want)
	}
}

// (a) The full space refined on DefaultHardware, as the kernel computes it:
// sample_bits spans the physical widths 8 (S8) .. 64 (FLOAT64); frame_bits
// = sample_bits*channels = 8..2048; period_size = period_bytes*8/frame_bits
// = (64*8/2048 = 0.25 .. 2 MiB*8/8] -> integer [1, 2097152]; buffer_size =
// min(period_size*periods, buffer_bytes*8/frame_bits) = [2, 4194304];
// period_time = period_size*1e6/rate = (1e6/384000 = 2.6 .. 2097152e6/8000]
// = (2, 262144000]; buffer_time likewise (5.2 .. 524288000].
func TestRefineAny(t *testing.T) {
	c := newDefault(t)
	var p HWParams
	p.Any()
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	wantAccess := mk(uint32(AccessMMapInterleaved), uint32(AccessMMapNonInterleaved),
		uint32(AccessRWInterleaved), uint32(AccessRWNonInterleaved))
	if *p.Mask(ParamAccess) != wantAccess {
		t.Errorf("access = %s", maskNames(ParamAccess, p.Mask(ParamAccess)))
	}
	if p.Mask(ParamFormat).Bits[0] != uint32(DefaultHardware().Formats) || p.Mask(ParamFormat).Bits[1] != 3 {
		t.Errorf("format = %s", maskNames(ParamFormat, p.Mask(ParamFormat)))
	}
	if *p.Mask(ParamSubformat) != mk(SubformatStd, SubformatMSBitsMax) {
		t.Errorf("subformat = %s", maskNames(ParamSubformat, p.Mask(ParamSubformat)))
	}
	checkIv(t, &p, ParamSampleBits, iv(8, 64, "i"))
	checkIv(t, &p, ParamFrameBits, iv(8, 2048, "i"))
	checkIv(t, &p, ParamChannels, iv(1, 32, "i"))
	checkIv(t, &p, ParamRate, iv(8000, 384000, ""))
	checkIv(t, &p, ParamPeriodTime, iv(2, 262144000, "("))
	checkIv(t, &p, ParamPeriodSize, iv(1, 2097152, "i"))
	checkIv(t, &p, ParamPeriodBytes, iv(64, 2097152, ""))
	checkIv(t, &p, ParamPeriods, iv(2, 1024, "i"))
	checkIv(t, &p, ParamBufferTime, iv(5, 524288000, "("))
	checkIv(t, &p, ParamBufferSize, iv(2, 4194304, "i"))
	checkIv(t, &p, ParamBufferBytes, iv(64, 4194304, "i"))
	checkIv(t, &p, ParamTickTime, iv(0, uintMax, ""))
	if p.RMask != 0 {
		t.Errorf("rmask = %#x after refine", p.RMask)
	}
	// everything but tick_time changed
	if want := uint32(0x7ff07); p.CMask != want {
		t.Errorf("cmask = %#x, want %#x", p.CMask, want)
	}
	if p.Info != DefaultHardware().Info || p.MSBits != 0 || p.RateDen != 0 || p.FifoSize != 0 {
		t.Errorf("info %#x msbits %d rate %d/%d fifo %d", p.Info, p.MSBits, p.RateNum, p.RateDen, p.FifoSize)
	}

	// Refining the result again changes nothing (cmask stays clear).
	q := p
	q.CMask = 0
	q.RMask = ^uint32(0)
	if err := c.Refine(&q); err != nil {
		t.Fatal(err)
	}
	q.RMask, p.CMask = 0, 0
	if q != p {
		t.Errorf("second refine changed the space:\n%s\nvs\n%s", q.String(), p.String())
	}
}

// (b) S16_LE, 2 channels, 48000 Hz, buffer_time 500000 us, as the kernel
// computes it:
//   - frame_bits = 16*2 = 32; buffer_size = 500000*48000/1e6 = 24000 exactly,
//     buffer_bytes = 24000*32/8 = 96000.
//   - periods <= 1024 forces period_size >= 24000/1024 = 23.4 -> 24; periods
//     >= 2 gives period_size <= 12000; so periods = 24000/[24,12000] =
//     [2, 1000].
//   - period_bytes = period_size*4 = [96, 48000]; period_time =
//     [24, 12000]*1e6/48000 = [500, 250000] (both exact).
//   - msbits 16 (the single format's width), rate 48000/1.
func TestRefineStereo48k(t *testing.T) {
	c := newDefault(t)
	p := request(FormatS16LE, 2, 48000)
	p.SetIntervalValue(ParamBufferTime, 500000)
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	checkIv(t, &p, ParamSampleBits, iv(16, 16, "i"))
	checkIv(t, &p, ParamFrameBits, iv(32, 32, "i"))
	checkIv(t, &p, ParamBufferSize, iv(24000, 24000, "i"))
	checkIv(t, &p, ParamBufferBytes, iv(96000, 96000, "i"))
	checkIv(t, &p, ParamPeriodSize, iv(24, 12000, "i"))
	checkIv(t, &p, ParamPeriods, iv(2, 1000, "i"))
	checkIv(t, &p, ParamPeriodBytes, iv(96, 48000, ""))
	checkIv(t, &p, ParamPeriodTime, iv(500, 250000, ""))
	if p.MSBits != 16 || p.RateNum != 48000 || p.RateDen != 1 {
		t.Errorf("msbits %d rate %d/%d", p.MSBits, p.RateNum, p.RateDen)
	}
	if *p.Mask(ParamSubformat) != mk(SubformatStd, SubformatMSBitsMax) {
		t.Errorf("subformat = %s", maskNames(ParamSubformat, p.Mask(ParamSubformat)))
	}
}

// (c) The sequence aplay runs (through alsa-lib) for a 44.1 kHz S16 stereo
// file: access, format, channels, rate near 44100, period_time near
// buffer_time/4 = 125000, buffer_time near 500000, then HW_PARAMS.
// 125000 us at 44100 Hz is 5512.5 frames: no exact period. The nearest
// periods are 5512 frames (124988.66 us) and 5513 frames (125011.34 us).
// pcm_oss.c's snd_pcm_hw_param_near finds them as "124988, dir -1" and
// "125011, dir 1"; boundary_nearer measures 12 (dir 1) below and 11 (dir
// 1) above, so the period becomes 5513 frames. buffer_time near 500000 then gives
// 22050 frames (exact), which holds 22050/5513 = 3.99 periods: periods is
// integer, so buffer_size = period_size*periods picks 4 periods = 22052
// frames (500045 us, the nearest above).
func TestAplaySequence(t *testing.T) {
	c := newDefault(t)
	var p HWParams
	p.Any()
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		v    Param
		val  uint32
		want uint32
	}{
		{ParamAccess, uint32(AccessRWInterleaved), uint32(AccessRWInterleaved)},
		{ParamFormat, uint32(FormatS16LE), uint32(FormatS16LE)},
		{ParamChannels, 2, 2},
	}
	for _, s := range steps {
		p.SetMask(s.v, s.val)
		if err := c.Refine(&p); err != nil {
			t.Fatalf("%s: %v", s.v, err)
		}
		if got, _, err := ParamValue(&p, s.v); err != nil || got != s.want {
			t.Fatalf("%s = %d %v, want %d", s.v, got, err, s.want)
		}
	}
	if got, dir, err := c.ParamNear(&p, ParamRate, 44100, 0); err != nil || got != 44100 || dir != 0 {
		t.Fatalf("rate near 44100 = %d %d %v", got, dir, err)
	}
	// snd_pcm_hw_param_value reports (125011, 125012) as 125011, dir 1:
	// "just above 125011".
	if got, dir, err := c.ParamNear(&p, ParamPeriodTime, 125000, 0); err != nil || got != 125011 || dir != 1 {
		t.Fatalf("period_time near 125000 = %d dir %d err %v, want 125011 dir 1", got, dir, err)
	}
	checkIv(t, &p, ParamPeriodTime, iv(125011, 125012, "()"))
	checkIv(t, &p, ParamPeriodSize, iv(5513, 5513, "i"))
	if _, _, err := c.ParamNear(&p, ParamBufferTime, 500000, 0); err != nil {
		t.Fatal(err)
	}
	checkIv(t, &p, ParamPeriods, iv(4, 4, "i"))
	checkIv(t, &p, ParamBufferSize, iv(22052, 22052, "i"))
	cfg := mustChoose(t, c, &p)
	want := Config{Access: AccessRWInterleaved, Format: FormatS16LE, Channels: 2, Rate: 44100,
		PeriodSize: 5513, Periods: 4, BufferSize: 22052}
	if cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
	if cfg.BufferBytes() != 88208 || cfg.PeriodBytes() != 22052 {
		t.Errorf("bytes: buffer %d period %d", cfg.BufferBytes(), cfg.PeriodBytes())
	}
}

// (d) Impossible requests fail with EINVAL and a reason naming the
// parameter and what is allowed.
func TestRefineImpossible(t *testing.T) {
	c := newDefault(t)
	tests := []struct {
		name  string
		set   func(p *HWParams)
		wants []string
	}{
		{"rate too low", func(p *HWParams) { p.SetIntervalValue(ParamRate, 1000) },
			[]string{"rate 1000 outside 8000..384000"}},
		{"too many channels", func(p *HWParams) { p.SetIntervalValue(ParamChannels, 64) },
			[]string{"channels 64 outside 1..32"}},
		{"format not offered", func(p *HWParams) { p.SetMask(ParamFormat, uint32(FormatU24LE)) },
			[]string{"format U24_LE not supported", "S16_LE"}},
		{"access not offered", func(p *HWParams) { p.SetMask(ParamAccess, uint32(AccessMMapComplex)) },
			[]string{"access MMAP_COMPLEX not supported"}},
		// periods = buffer_size/period_size = 1024/2048 = (0, 1): below 2
		{"period bigger than buffer", func(p *HWParams) {
			p.SetIntervalValue(ParamPeriodSize, 2048)
			p.SetIntervalValue(ParamBufferSize, 1024)
		}, []string{"periods 2..1024", "buffer_size/period_size", "buffer_size 1024", "period_size 2048"}},
		// 2 channels of FLOAT64 = 128 bits a frame; 4 MiB / 16 bytes =
		// 262144 frames is the most that fits.
		{"buffer too big", func(p *HWParams) {
			p.SetMask(ParamFormat, uint32(FormatFloat64LE))
			p.SetIntervalValue(ParamChannels, 2)
			p.SetIntervalValue(ParamBufferSize, 262145)
		}, []string{"buffer_bytes"}},
		{"empty request", func(p *HWParams) { p.Mask(ParamFormat).None() },
			[]string{"format: the request allows no value"}},
		{"inverted interval", func(p *HWParams) { p.SetInterval(ParamRate, 48000, 44100) },
			[]string{"rate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p HWParams
			p.Any()
			tt.set(&p)
			err := c.Refine(&p)
			if !errors.Is(err, syscall.EINVAL) || Errno(err) != syscall.EINVAL {
				t.Fatalf("err = %v, want EINVAL", err)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("reason %q lacks %q", err, w)
				}
			}
		})
	}
	// The largest buffer that fits is accepted.
	var p HWParams
	p.Any()
	p.SetMask(ParamFormat, uint32(FormatFloat64LE))
	p.SetIntervalValue(ParamChannels, 2)
	p.SetIntervalValue(ParamBufferSize, 262144)
	if err := c.Refine(&p); err != nil {
		t.Fatalf("262144 frames of FLOAT64 stereo: %v", err)
	}
	checkIv(t, &p, ParamBufferBytes, iv(4<<20, 4<<20, "i"))
}

// (f) Choose picks what snd_pcm_hw_params_choose picks: the first access
// (MMAP_INTERLEAVED, bit 0), the first format, min channels, min rate, min
// period_time, then the max buffer_size. For S16_LE stereo at 48 kHz the
// smallest period is period_bytes_min 64 / 4 = 16 frames (period_time
// (333, 334]); the largest buffer is then 1024 periods = 16384 frames
// (65536 bytes, under buffer_bytes_max).
func TestChoose(t *testing.T) {
	c := newDefault(t)
	p := request(FormatS16LE, 2, 48000)
	cfg := mustChoose(t, c, &p)
	want := Config{Access: AccessMMapInterleaved, Format: FormatS16LE, Channels: 2, Rate: 48000,
		PeriodSize: 16, Periods: 1024, BufferSize: 16384}
	if cfg != want {
		t.Errorf("config = %+v, want %+v", cfg, want)
	}
	if *p.Mask(ParamSubformat) != mk(SubformatStd) {
		t.Errorf("subformat = %s, want STD", maskNames(ParamSubformat, p.Mask(ParamSubformat)))
	}
	checkIv(t, &p, ParamTickTime, iv(0, 0, "i"))
	for v := ParamFirstInterval; v <= ParamLastInterval; v++ {
		if !p.Interval(v).Single() {
			t.Errorf("%s not single after choose: %s", v, rangeString(p.Interval(v)))
		}
	}

	// The whole space: S8 (format 0), 1 channel, 8000 Hz, 64-byte period
	// = 64 frames; buffer 1024 periods = 65536 frames.
	p.Any()
	cfg = mustChoose(t, c, &p)
	want = Config{Access: AccessMMapInterleaved, Format: FormatS8, Channels: 1, Rate: 8000,
		PeriodSize: 64, Periods: 1024, BufferSize: 65536}
	if cfg != want {
		t.Errorf("config(any) = %+v, want %+v", cfg, want)
	}
}

func TestConfigNotSingle(t *testing.T) {
	c := newDefault(t)
	var p HWParams
	p.Any()
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	_, err := p.Config()
	if Errno(err) != syscall.EINVAL || !strings.Contains(err.Error(), "access") {
		t.Errorf("Config of open space: %v", err)
	}
}

// A refine with an empty rmask runs no rule: the kernel's vstamps start at
// 0 for unrequested parameters, so nothing is ever stale.
func TestRefineNoRMask(t *testing.T) {
	c := newDefault(t)
	var p HWParams
	p.Any()
	p.SetIntervalValue(ParamRate, 1000)
	p.RMask = 0
	if err := c.Refine(&p); err != nil {
		t.Fatalf("refine with rmask 0: %v", err)
	}
	checkIv(t, &p, ParamRate, iv(1000, 1000, "i"))
	checkIv(t, &p, ParamPeriodSize, iv(0, uintMax, ""))
}

// Concurrent refines share one Constraints (-race checks it is read-only).
func TestRefineConcurrent(t *testing.T) {
	c := newDefault(t)
	var want HWParams
	want.Any()
	want.SetIntervalValue(ParamRate, 44100)
	if err := c.Refine(&want); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 100; n++ {
				var p HWParams
				p.Any()
				p.SetIntervalValue(ParamRate, 44100)
				if err := c.Refine(&p); err != nil || p != want {
					t.Errorf("concurrent refine differs: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Rules with a condition run only when the request sets the flag
// (SNDRV_PCM_HW_PARAMS_NO_PERIOD_WAKEUP is the kernel's example).
func TestConditionalRule(t *testing.T) {
	c := newDefault(t)
	if err := c.AddList(HWParamsNoPeriodWakeup, ParamPeriods, []uint32{2}, 0); err != nil {
		t.Fatal(err)
	}
	var p HWParams
	p.Any()
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	checkIv(t, &p, ParamPeriods, iv(2, 1024, "i"))
	p.Any()
	p.Flags = HWParamsNoPeriodWakeup
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	checkIv(t, &p, ParamPeriods, iv(2, 2, "i"))
}

// snd_pcm_hw_constraint_msbits: 24 valid bits in S32_LE; fixup then drops
// SUBFORMAT_MSBITS_MAX because msbits (24) != the format width (32).
func TestMSBits(t *testing.T) {
	c := newDefault(t)
	if err := c.AddMSBits(0, 32, 24); err != nil {
		t.Fatal(err)
	}
	var p HWParams
	p.Any()
	p.SetMask(ParamFormat, uint32(FormatS32LE))
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	if p.MSBits != 24 || *p.Mask(ParamSubformat) != mk(SubformatStd) {
		t.Errorf("msbits %d subformat %s", p.MSBits, maskNames(ParamSubformat, p.Mask(ParamSubformat)))
	}
	p.Any()
	p.SetMask(ParamFormat, uint32(FormatS16LE))
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	if p.MSBits != 16 || *p.Mask(ParamSubformat) != mk(SubformatStd, SubformatMSBitsMax) {
		t.Errorf("S16: msbits %d subformat %s", p.MSBits, maskNames(ParamSubformat, p.Mask(ParamSubformat)))
	}
}

// A card with discrete rates (snd_pcm_hw_rule_rate-like list): near picks
// the closer listed rate, ties going up.
func TestNearList(t *testing.T) {
	c := newDefault(t)
	if err := c.AddList(0, ParamRate, []uint32{8000, 48000, 96000}, 0); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ best, want uint32 }{
		{44100, 48000}, {20000, 8000}, {28000, 48000}, {200000, 96000}, {1, 8000},
	} {
		var p HWParams
		p.Any()
		if got, _, err := c.ParamNear(&p, ParamRate, tt.best, 0); err != nil || got != tt.want {
			t.Errorf("near %d = %d %v, want %d", tt.best, got, err, tt.want)
		}
	}
}

func TestHWParamsString(t *testing.T) {
	c := newDefault(t)
	var p HWParams
	p.Any()
	p.SetIntervalValue(ParamRate, 48000)
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	s := p.String()
	for _, w := range []string{"ACCESS:  MMAP_INTERLEAVED MMAP_NONINTERLEAVED RW_INTERLEAVED RW_NONINTERLEAVED\n",
		"RATE: 48000\n", "CHANNELS: [1 32]\n", "TICK_TIME: ALL\n", "FORMAT:  S8 U8 S16_LE"} {
		if !strings.Contains(s, w) {
			t.Errorf("dump lacks %q:\n%s", w, s)
		}
	}
	if v, ok := ParseParam("PERIOD_SIZE"); !ok || v != ParamPeriodSize || v.String() != "period_size" {
		t.Errorf("ParseParam: %v %v", v, ok)
	}
	if _, ok := ParseParam("bogus"); ok {
		t.Error("ParseParam accepted bogus")
	}
}

// BenchmarkRefine measures the HW_REFINE path: a full-space refine (what
// snd_pcm_hw_params_any issues), an aplay-like narrowed request, a refused
// request and a full Choose, against a baseline of copying the params.
func BenchmarkRefine(b *testing.B) {
	c := newDefault(b)
	var any HWParams
	any.Any()
	req := request(FormatS16LE, 2, 48000)
	req.SetMask(ParamAccess, uint32(AccessRWInterleaved))
	req.SetIntervalValue(ParamBufferTime, 500000)
	// Baseline: copying the request in and out, which every HW_REFINE
	// ioctl pays anyway; report refine as a ratio of it.
	var sink HWParams
	b.Run("baseline-copy", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := any
			p.Flags++
			sink = p
		}
	})
	_ = sink
	b.Run("any", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := any
			if err := c.Refine(&p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stereo48k", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := req
			if err := c.Refine(&p); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A refused probe (PortAudio tries rates and channel counts the card
	// lacks): the reason string is built, so this path allocates.
	bad := any
	bad.SetIntervalValue(ParamRate, 1000)
	b.Run("reject", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := bad
			if err := c.Refine(&p); err == nil {
				b.Fatal("rate 1000 accepted")
			}
		}
	})
	b.Run("choose", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			p := req
			if err := c.Choose(&p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Refine and Choose of an acceptable request do not allocate (the claim in
// refine.go: rules dispatch by kind, so the params never escape); a refused
// request may, for its reason.
func TestRefineNoAlloc(t *testing.T) {
	c := newDefault(t)
	var any HWParams
	any.Any()
	req := request(FormatS16LE, 2, 48000)
	req.SetIntervalValue(ParamBufferTime, 500000)
	for name, f := range map[string]func() error{
		"refine any":    func() error { p := any; return c.Refine(&p) },
		"refine stereo": func() error { p := req; return c.Refine(&p) },
		"choose stereo": func() error { p := req; return c.Choose(&p) },
	} {
		var err error
		if n := testing.AllocsPerRun(20, func() { err = f() }); n != 0 || err != nil {
			t.Errorf("%s: %v allocations, err %v", name, n, err)
		}
	}
}
