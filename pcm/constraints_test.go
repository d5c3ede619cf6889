package pcm

import (
	"math/rand"
	"syscall"
	"testing"
)

func TestConstraintHelpers(t *testing.T) {
	c := newDefault(t)
	if err := c.AddMask64(ParamRate, 1); Errno(err) != syscall.EINVAL {
		t.Errorf("mask on interval: %v", err)
	}
	if err := c.AddInteger(ParamFormat); Errno(err) != syscall.EINVAL {
		t.Errorf("integer on mask: %v", err)
	}
	if err := c.AddMinMax(ParamChannels, 40, 50); Errno(err) != syscall.EINVAL {
		t.Errorf("minmax outside 1..32: %v", err)
	}
	if err := c.AddStep(0, ParamPeriodSize, 0); Errno(err) != syscall.EINVAL {
		t.Errorf("step 0: %v", err)
	}
	if err := c.AddMask64(ParamFormat, 1<<uint(FormatU24LE)); Errno(err) != syscall.EINVAL {
		t.Errorf("mask leaving nothing: %v", err)
	}
}

// A driver that steps periods by 32 frames and wants power-of-2 buffers,
// with rates from one 12.288 MHz clock (the snd_pcm_hw_constraint_step,
// _pow2 and _ratnums a real driver adds in its open callback).
func TestDriverConstraints(t *testing.T) {
	c := newDefault(t)
	for _, err := range []error{
		c.AddStep(0, ParamPeriodSize, 32),
		c.AddPow2(0, ParamBufferSize),
		c.AddRatnums(0, ParamRate, []Ratnum{{Num: 12288000, DenMin: 256, DenMax: 256, DenStep: 1}}),
		c.AddRanges(0, ParamChannels, []Interval{{Min: 2, Max: 2}, {Min: 6, Max: 8}}, 0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	var p HWParams
	p.Any()
	p.SetMask(ParamFormat, uint32(FormatS16LE))
	p.SetInterval(ParamPeriodSize, 100, 200)
	p.SetInterval(ParamBufferSize, 1000, 5000)
	p.SetInterval(ParamChannels, 3, 7)
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	checkIv(t, &p, ParamPeriodSize, iv(128, 192, "i"))
	checkIv(t, &p, ParamBufferSize, iv(1024, 4096, "i"))
	checkIv(t, &p, ParamRate, iv(48000, 48000, "i"))
	checkIv(t, &p, ParamChannels, iv(6, 7, "i"))
	// snd_pcm_hw_rule_ratnums reports the clock ratio
	if p.RateNum != 12288000 || p.RateDen != 256 {
		t.Errorf("rate %d/%d, want 12288000/256", p.RateNum, p.RateDen)
	}
}

// Garbage requests (what a hostile client can pass through HW_REFINE) must
// never panic; whatever Refine accepts must Choose into a consistent
// configuration inside the hardware's limits.
func TestRefineRandom(t *testing.T) {
	c := newDefault(t)
	hw := DefaultHardware()
	rng := rand.New(rand.NewSource(1))
	pick := func(max uint32) uint32 {
		switch rng.Intn(4) {
		case 0:
			return uint32(rng.Int63())
		case 1:
			return 0
		}
		return uint32(rng.Int63n(int64(max) + 1))
	}
	accepted := 0
	for n := 0; n < 3000; n++ {
		var p HWParams
		p.Any()
		p.Flags = uint32(rng.Intn(16))
		if rng.Intn(2) == 0 {
			p.Mask(ParamFormat).Bits[rng.Intn(8)] = rng.Uint32()
		}
		if rng.Intn(3) == 0 {
			p.Mask(ParamAccess).Bits[0] = rng.Uint32() & 0x1f
		}
		for k := 0; k < 3; k++ {
			v := ParamFirstInterval + Param(rng.Intn(int(ParamLastInterval-ParamFirstInterval+1)))
			a, b := pick(500000), pick(500000)
			if rng.Intn(3) == 0 {
				p.SetIntervalValue(v, a)
			} else {
				p.SetInterval(v, min(a, b), max(a, b))
				i := p.Interval(v)
				i.OpenMin, i.OpenMax = rng.Intn(4) == 0, rng.Intn(4) == 0
			}
		}
		if rng.Intn(8) == 0 {
			p.RMask = rng.Uint32()
		}
		if err := c.Refine(&p); err != nil {
			if Errno(err) != syscall.EINVAL {
				t.Fatalf("errno %v", err)
			}
			continue
		}
		if p.RMask != 0 {
			continue // partially requested refine: not a full space
		}
		if err := c.Choose(&p); err != nil {
			if Errno(err) != syscall.EINVAL {
				t.Fatalf("choose errno %v", err)
			}
			continue
		}
		cfg, err := p.Config()
		if err != nil {
			t.Fatalf("Config after Choose: %v\n%s", err, p.String())
		}
		accepted++
		fb := cfg.FrameBytes()
		switch {
		case cfg.PeriodSize*cfg.Periods != cfg.BufferSize,
			cfg.Rate < hw.RateMin || cfg.Rate > hw.RateMax,
			cfg.Channels < hw.ChannelsMin || cfg.Channels > hw.ChannelsMax,
			cfg.Periods < hw.PeriodsMin || cfg.Periods > hw.PeriodsMax,
			cfg.PeriodSize*fb < hw.PeriodBytesMin || cfg.PeriodSize*fb > hw.PeriodBytesMax,
			cfg.BufferSize*fb > hw.BufferBytesMax,
			hw.Formats&(1<<uint(cfg.Format)) == 0:
			t.Fatalf("inconsistent config %+v from\n%s", cfg, p.String())
		}
	}
	if accepted < 100 {
		t.Errorf("only %d random requests accepted", accepted)
	}
	t.Logf("%d of 3000 random requests installed", accepted)
}

// Without SNDRV_PCM_INFO_MMAP, constraints_complete offers only the RW
// accesses and fixup_unreferenced_params hides MMAP_VALID; DRAIN_TRIGGER
// never reaches user space.
func TestNoMMapHardware(t *testing.T) {
	hw := DefaultHardware()
	hw.Info = (hw.Info | InfoDrainTrigger) &^ InfoMMap
	c, err := NewConstraints(hw)
	if err != nil {
		t.Fatal(err)
	}
	var p HWParams
	p.Any()
	if err := c.Refine(&p); err != nil {
		t.Fatal(err)
	}
	if *p.Mask(ParamAccess) != mk(uint32(AccessRWInterleaved), uint32(AccessRWNonInterleaved)) {
		t.Errorf("access = %s", maskNames(ParamAccess, p.Mask(ParamAccess)))
	}
	if p.Info&(InfoMMap|InfoMMapValid|InfoDrainTrigger) != 0 || p.Info&InfoInterleaved == 0 {
		t.Errorf("info = %#x", p.Info)
	}
}

// snd_pcm_hw_param_min/max (pcm_oss.c) with directions.
func TestParamMinMax(t *testing.T) {
	c := newDefault(t)
	var p HWParams
	p.Any()
	if v, dir, err := c.ParamMin(&p, ParamRate, 44100, 0); err != nil || v != 44100 || dir != 0 {
		t.Errorf("rate min 44100 = %d %d %v", v, dir, err)
	}
	// dir > 0: strictly above 44100 -> (44100, ...], reported as 44100 dir 1
	if v, dir, err := c.ParamMin(&p, ParamRate, 44100, 1); err != nil || v != 44100 || dir != 1 {
		t.Errorf("rate min 44100+ = %d %d %v", v, dir, err)
	}
	if v, dir, err := c.ParamMax(&p, ParamChannels, 6, 0); err != nil || v != 6 || dir != 0 {
		t.Errorf("channels max 6 = %d %d %v", v, dir, err)
	}
	checkIv(t, &p, ParamChannels, iv(1, 6, "i"))
	// masks: first format at or above S16_LE is S16_LE
	if v, _, err := c.ParamMin(&p, ParamFormat, uint32(FormatS16LE), 0); err != nil || v != uint32(FormatS16LE) {
		t.Errorf("format min = %d %v", v, err)
	}
	if _, _, err := c.ParamMax(&p, ParamRate, 1000, 0); Errno(err) != syscall.EINVAL {
		t.Errorf("rate max 1000: %v", err)
	}
	// ParamNear where nothing lies on one side: only 96000 and up remain
	p.Any()
	p.SetInterval(ParamRate, 96000, 192000)
	if v, _, err := c.ParamNear(&p, ParamRate, 44100, 0); err != nil || v != 96000 {
		t.Errorf("near 44100 in [96000,192000] = %d %v", v, err)
	}
	p.Any()
	p.SetInterval(ParamRate, 8000, 22050)
	if v, _, err := c.ParamNear(&p, ParamRate, 44100, 0); err != nil || v != 22050 {
		t.Errorf("near 44100 in [8000,22050] = %d %v", v, err)
	}
	if _, _, err := c.ParamFirst(&p, Param(5)); Errno(err) != syscall.EINVAL {
		t.Errorf("first of param 5: %v", err)
	}
}
