package pcm

import "golang.org/x/sys/unix"

// Constraints is struct snd_pcm_hw_constraints: the per-parameter masks and
// intervals of what the hardware allows, plus the rules linking parameters.
//
// NewConstraints builds it as snd_pcm_open_substream does
// (snd_pcm_hw_constraints_init, the driver's open, then
// snd_pcm_hw_constraints_complete). The Add* methods are the driver-side
// snd_pcm_hw_constraint_* helpers; call them only while building, before the
// Constraints is shared. After that it is immutable: Refine, Choose and the
// Param* helpers only read it and are safe for concurrent use.
type Constraints struct {
	masks     [ParamLastMask - ParamFirstMask + 1]Mask             // immutable after build
	intervals [ParamLastInterval - ParamFirstInterval + 1]Interval // immutable after build
	rules     []rule                                               // immutable after build
	hw        Hardware                                             // immutable
}

func (c *Constraints) mask(v Param) *Mask         { return &c.masks[v-ParamFirstMask] }
func (c *Constraints) interval(v Param) *Interval { return &c.intervals[v-ParamFirstInterval] }

// Hardware returns the hardware description the constraints were built from.
func (c *Constraints) Hardware() Hardware { return c.hw }

func isMask(v Param) bool     { return v >= ParamFirstMask && v <= ParamLastMask }
func isInterval(v Param) bool { return v >= ParamFirstInterval && v <= ParamLastInterval }

// NewConstraints validates hw and builds its constraints: the kernel's
// standard rules (snd_pcm_hw_constraints_init), the limits of hw
// (snd_pcm_hw_constraints_complete), and vsnd's driver constraint that
// periods is an integer (as HDA's azx_pcm_open and most drivers add; it
// keeps buffer_size a whole number of periods). Errors: EINVAL with the
// reason from Validate.
func NewConstraints(hw Hardware) (*Constraints, error) {
	if err := hw.Validate(); err != nil {
		return nil, err
	}
	c := &Constraints{hw: hw, rules: make([]rule, 0, 24)}
	c.init()
	if err := c.complete(); err != nil {
		return nil, err
	}
	// Driver open: snd_pcm_hw_constraint_integer(runtime, PERIODS).
	if err := c.AddInteger(ParamPeriods); err != nil {
		return nil, err
	}
	return c, nil
}

// init is snd_pcm_hw_constraints_init: everything open, a few integer
// parameters, and the standard rules, in the kernel's order (the order
// matters: it decides which rule narrows first, and so the exact
// intervals a HW_REFINE answers).
func (c *Constraints) init() {
	for k := range c.masks {
		c.masks[k].Any()
	}
	for k := range c.intervals {
		c.intervals[k].Any()
	}
	c.interval(ParamChannels).setInteger()
	c.interval(ParamBufferSize).setInteger()
	c.interval(ParamBufferBytes).setInteger()
	c.interval(ParamSampleBits).setInteger()
	c.interval(ParamFrameBits).setInteger()

	add := func(v Param, kind ruleKind, k uint32, deps ...Param) {
		r := rule{v: v, kind: kind, k: k}
		r.ndeps = copy(r.deps[:], deps)
		c.rules = append(c.rules, r)
	}
	add(ParamFormat, kindFormat, 0, ParamSampleBits)
	add(ParamSampleBits, kindSampleBits, 0, ParamFormat, ParamSampleBits)
	add(ParamSampleBits, kindDiv, 0, ParamFrameBits, ParamChannels)
	add(ParamFrameBits, kindMul, 0, ParamSampleBits, ParamChannels)
	add(ParamFrameBits, kindMulKDiv, 8, ParamPeriodBytes, ParamPeriodSize)
	add(ParamFrameBits, kindMulKDiv, 8, ParamBufferBytes, ParamBufferSize)
	add(ParamChannels, kindDiv, 0, ParamFrameBits, ParamSampleBits)
	add(ParamRate, kindMulKDiv, 1000000, ParamPeriodSize, ParamPeriodTime)
	add(ParamRate, kindMulKDiv, 1000000, ParamBufferSize, ParamBufferTime)
	add(ParamPeriods, kindDiv, 0, ParamBufferSize, ParamPeriodSize)
	add(ParamPeriodSize, kindDiv, 0, ParamBufferSize, ParamPeriods)
	add(ParamPeriodSize, kindMulKDiv, 8, ParamPeriodBytes, ParamFrameBits)
	add(ParamPeriodSize, kindMulDivK, 1000000, ParamPeriodTime, ParamRate)
	add(ParamBufferSize, kindMul, 0, ParamPeriodSize, ParamPeriods)
	add(ParamBufferSize, kindMulKDiv, 8, ParamBufferBytes, ParamFrameBits)
	add(ParamBufferSize, kindMulDivK, 1000000, ParamBufferTime, ParamRate)
	add(ParamPeriodBytes, kindMulDivK, 8, ParamPeriodSize, ParamFrameBits)
	add(ParamBufferBytes, kindMulDivK, 8, ParamBufferSize, ParamFrameBits)
	add(ParamPeriodTime, kindMulKDiv, 1000000, ParamPeriodSize, ParamRate)
	add(ParamBufferTime, kindMulKDiv, 1000000, ParamBufferSize, ParamRate)
}

// complete is snd_pcm_hw_constraints_complete: the limits of struct
// snd_pcm_hardware.
func (c *Constraints) complete() error {
	hw := &c.hw
	var access uint32
	if hw.Info&InfoInterleaved != 0 {
		access |= 1 << AccessRWInterleaved
	}
	if hw.Info&InfoNonInterleaved != 0 {
		access |= 1 << AccessRWNonInterleaved
	}
	if hw.Info&InfoMMap != 0 { // hw_support_mmap
		if hw.Info&InfoInterleaved != 0 {
			access |= 1 << AccessMMapInterleaved
		}
		if hw.Info&InfoNonInterleaved != 0 {
			access |= 1 << AccessMMapNonInterleaved
		}
		if hw.Info&InfoComplex != 0 {
			access |= 1 << AccessMMapComplex
		}
	}
	if err := c.AddMask64(ParamAccess, uint64(access)); err != nil {
		return err
	}
	if err := c.AddMask64(ParamFormat, hw.Formats); err != nil {
		return err
	}
	// snd_pcm_hw_constraint_subformats(runtime, 0, &hw->subformats); vsnd's
	// Hardware has no subformats, so S32_LE gets MSBITS_MAX like the rest.
	c.addRule(rule{v: ParamSubformat, kind: kindSubformat,
		deps: [maxDeps]Param{ParamFormat}, ndeps: 1})
	steps := []struct {
		v        Param
		min, max int
	}{
		{ParamChannels, hw.ChannelsMin, hw.ChannelsMax},
		{ParamRate, hw.RateMin, hw.RateMax},
		{ParamPeriodBytes, hw.PeriodBytesMin, hw.PeriodBytesMax},
		{ParamPeriods, hw.PeriodsMin, hw.PeriodsMax},
		{ParamBufferBytes, hw.PeriodBytesMin, hw.BufferBytesMax},
	}
	for _, s := range steps {
		if err := c.AddMinMax(s.v, uint32(s.min), uint32(s.max)); err != nil {
			return err
		}
	}
	c.addRule(rule{v: ParamBufferBytes, kind: kindBufferBytesMax,
		bbmax: uint32(hw.BufferBytesMax), deps: [maxDeps]Param{ParamBufferBytes}, ndeps: 1})
	// hw.rates is SNDRV_PCM_RATE_CONTINUOUS for vsnd: no snd_pcm_hw_rule_rate.
	// "FIXME: this belong to lowlevel" in the kernel, kept as it is:
	return c.AddInteger(ParamPeriodSize)
}

func (c *Constraints) addRule(r rule) { c.rules = append(c.rules, r) }

func errBadParam(v Param) error {
	return Errorf(unix.EINVAL, "constraint on %s: not a parameter of that kind", v)
}

// AddMask64 is snd_pcm_hw_constraint_mask64: v's allowed values are
// narrowed to the bits of mask. EINVAL if none is left.
func (c *Constraints) AddMask64(v Param, mask uint64) error {
	if !isMask(v) {
		return errBadParam(v)
	}
	m := c.mask(v)
	m.Bits[0] &= uint32(mask)
	m.Bits[1] &= uint32(mask >> 32)
	for i := 2; i < len(m.Bits); i++ {
		m.Bits[i] = 0
	}
	if m.Bits[0] == 0 && m.Bits[1] == 0 {
		return Errorf(unix.EINVAL, "constraint on %s: no value left", v)
	}
	return nil
}

// AddInteger is snd_pcm_hw_constraint_integer.
func (c *Constraints) AddInteger(v Param) error {
	if !isInterval(v) {
		return errBadParam(v)
	}
	if c.interval(v).setInteger() < 0 {
		return Errorf(unix.EINVAL, "constraint on %s: no integer left", v)
	}
	return nil
}

// AddMinMax is snd_pcm_hw_constraint_minmax.
func (c *Constraints) AddMinMax(v Param, min, max uint32) error {
	if !isInterval(v) {
		return errBadParam(v)
	}
	t := Interval{Min: min, Max: max}
	if c.interval(v).refine(&t) < 0 {
		return Errorf(unix.EINVAL, "constraint on %s: %d..%d leaves no value", v, min, max)
	}
	return nil
}

func (c *Constraints) addSelfRule(cond uint32, v Param, r rule) error {
	if !isInterval(v) {
		return errBadParam(v)
	}
	r.cond, r.v, r.deps[0], r.ndeps = cond, v, v, 1
	c.addRule(r)
	return nil
}

// AddList is snd_pcm_hw_constraint_list: v takes only listed values (a
// non-zero mask selects entries by bit). cond is SNDRV_PCM_HW_PARAMS_*
// flags the rule needs (0: always).
func (c *Constraints) AddList(cond uint32, v Param, list []uint32, mask uint32) error {
	return c.addSelfRule(cond, v, rule{kind: kindList,
		list: append([]uint32(nil), list...), lmask: mask})
}

// AddRanges is snd_pcm_hw_constraint_ranges.
func (c *Constraints) AddRanges(cond uint32, v Param, ranges []Interval, mask uint32) error {
	return c.addSelfRule(cond, v, rule{kind: kindRanges,
		ranges: append([]Interval(nil), ranges...), lmask: mask})
}

// AddRatnums is snd_pcm_hw_constraint_ratnums.
func (c *Constraints) AddRatnums(cond uint32, v Param, rats []Ratnum) error {
	return c.addSelfRule(cond, v, rule{kind: kindRatnums,
		rats: append([]Ratnum(nil), rats...)})
}

// AddStep is snd_pcm_hw_constraint_step.
func (c *Constraints) AddStep(cond uint32, v Param, step uint32) error {
	if step == 0 {
		return Errorf(unix.EINVAL, "constraint on %s: step 0", v)
	}
	return c.addSelfRule(cond, v, rule{kind: kindStep, k: step})
}

// AddPow2 is snd_pcm_hw_constraint_pow2.
func (c *Constraints) AddPow2(cond uint32, v Param) error {
	return c.addSelfRule(cond, v, rule{kind: kindPow2})
}

// AddMSBits is snd_pcm_hw_constraint_msbits: with a format of width sample
// bits (0: any width above msbits), only msbits bits are significant.
func (c *Constraints) AddMSBits(cond uint32, width, msbits uint32) error {
	c.addRule(rule{cond: cond, v: -1, kind: kindMSBits, k: msbits, width: width,
		deps: [maxDeps]Param{ParamSampleBits}, ndeps: 1})
	return nil
}
