package pcm

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The refine engine: snd_pcm_hw_refine and friends (sound/core/pcm_native.c),
// and the parameter choosers of pcm_lib.c and pcm_oss.c.
//
// Refine is what the HW_REFINE ioctl answers: the constraints narrow every
// parameter the request marks in RMask, then the rules run until nothing
// changes. It does not allocate unless it fails (the failure reason is a
// formatted string); PortAudio issues thousands of refines per open.

// maxStackRules is how many rules Refine tracks without allocating.
const maxStackRules = 64

// Refine is snd_pcm_hw_refine followed by fixup_unreferenced_params, as
// snd_pcm_hw_refine_user does for the HW_REFINE ioctl: p is narrowed to
// what the hardware allows, CMask reports the parameters that changed,
// RMask is cleared, and Info, MSBits, RateNum/RateDen and FifoSize are
// filled in. Errors: EINVAL, with a reason naming the parameter and the
// allowed values, when no configuration satisfies p; p is then left
// partially refined (the kernel discards it).
func (c *Constraints) Refine(p *HWParams) error {
	if err := c.refine(p); err != nil {
		return err
	}
	return c.fixup(p)
}

// refine is snd_pcm_hw_refine: constrain_mask_params,
// constrain_interval_params, constrain_params_by_rules.
func (c *Constraints) refine(p *HWParams) error {
	p.Info = 0
	p.FifoSize = 0
	if p.RMask&(1<<ParamSampleBits) != 0 {
		p.MSBits = 0
	}
	if p.RMask&(1<<ParamRate) != 0 {
		p.RateNum, p.RateDen = 0, 0
	}

	// constrain_mask_params
	for k := ParamFirstMask; k <= ParamLastMask; k++ {
		m := p.Mask(k)
		if m.IsEmpty() {
			return Errorf(unix.EINVAL, "%s: the request allows no value", k)
		}
		if p.RMask&(1<<k) == 0 {
			continue
		}
		old := *m
		changed := m.refine(c.mask(k))
		if changed < 0 {
			return c.maskError(k, &old)
		}
		if changed > 0 {
			p.CMask |= 1 << k
		}
	}

	// constrain_interval_params
	for k := ParamFirstInterval; k <= ParamLastInterval; k++ {
		i := p.Interval(k)
		if i.Empty {
			return Errorf(unix.EINVAL, "%s: the request allows no value", k)
		}
		if p.RMask&(1<<k) == 0 {
			continue
		}
		old := *i
		changed := i.refine(c.interval(k))
		if changed < 0 {
			return Errorf(unix.EINVAL, "%s %s outside %s", k, rangeString(&old), rangeString(c.interval(k)))
		}
		if changed > 0 {
			p.CMask |= 1 << k
		}
	}

	// constrain_params_by_rules. vstamps[k] is the stamp of the rule
	// application that last changed parameter k (1: requested by the
	// caller, 0: never changes); rstamps[r] the stamp of rule r's last run.
	// A rule runs again only if one of its deps changed after it last ran.
	var vstamps [ParamLastInterval + 1]uint32
	for k := range vstamps {
		if p.RMask&(1<<k) != 0 {
			vstamps[k] = 1
		}
	}
	var rbuf [maxStackRules]uint32
	var rstamps []uint32
	if len(c.rules) <= maxStackRules {
		rstamps = rbuf[:len(c.rules)]
	} else {
		rstamps = make([]uint32, len(c.rules))
	}
	stamp := uint32(2)
	for again := true; again; {
		again = false
		for k := range c.rules {
			r := &c.rules[k]
			if r.cond != 0 && r.cond&p.Flags == 0 {
				continue
			}
			d := 0
			for ; d < r.ndeps; d++ {
				if vstamps[r.deps[d]] > rstamps[k] {
					break
				}
			}
			if d == r.ndeps {
				continue
			}
			var oldM Mask
			var oldI Interval
			if isMask(r.v) {
				oldM = *p.Mask(r.v)
			} else if isInterval(r.v) {
				oldI = *p.Interval(r.v)
			}
			changed := r.apply(p)
			if changed < 0 {
				if isMask(r.v) {
					*p.Mask(r.v) = oldM
				} else if isInterval(r.v) {
					*p.Interval(r.v) = oldI
				}
				return c.ruleError(p, r)
			}
			if changed > 0 && r.v >= 0 {
				p.CMask |= 1 << r.v
				vstamps[r.v] = stamp
				again = true
			}
			rstamps[k] = stamp
			stamp++
		}
	}
	p.RMask = 0
	return nil
}

// infoFifoInFrames is SNDRV_PCM_INFO_FIFO_IN_FRAMES.
const infoFifoInFrames uint32 = 0x80000000

// fixup is fixup_unreferenced_params: the read-only fields a refine or
// hw_params reports.
func (c *Constraints) fixup(p *HWParams) error {
	fm := p.Mask(ParamFormat)
	if p.MSBits == 0 {
		if i := p.Interval(ParamSampleBits); i.Single() {
			p.MSBits = i.Value()
		}
		if fm.Single() {
			p.MSBits = uint32(Format(fm.Min()).Width())
		}
	}
	if p.MSBits != 0 && fm.Single() {
		f := Format(fm.Min())
		if f.Known() && !f.Float() && uint32(f.Width()) != p.MSBits {
			sf := p.Mask(ParamSubformat)
			sf.Reset(SubformatMSBitsMax)
			if sf.IsEmpty() {
				return Errorf(unix.EINVAL, "subformat: only MSBITS_MAX allowed but %s has %d significant bits", f, p.MSBits)
			}
		}
	}
	if p.RateDen == 0 {
		if i := p.Interval(ParamRate); i.Single() {
			p.RateNum, p.RateDen = i.Value(), 1
		}
	}
	if p.FifoSize == 0 {
		// SNDRV_PCM_IOCTL1_FIFO_SIZE (snd_pcm_lib_ioctl_fifo_size)
		if ch := p.Interval(ParamChannels); fm.Single() && ch.Single() {
			p.FifoSize = uint64(c.hw.FifoSize)
			if c.hw.Info&infoFifoInFrames == 0 {
				if fs := uint64(Format(fm.Min()).PhysicalWidth()) * uint64(ch.Value()) / 8; fs > 0 {
					p.FifoSize /= fs
				}
			}
		}
	}
	if p.Info == 0 {
		p.Info = c.hw.Info &^ (infoFifoInFrames | InfoDrainTrigger)
		if c.hw.Info&InfoMMap == 0 { // !hw_support_mmap
			p.Info &^= InfoMMap | InfoMMapValid
		}
	}
	return nil
}

// chooseVars is the order of snd_pcm_hw_params_choose: first access, first
// format, first subformat, min channels, min rate, min period time, max
// buffer size, min tick time.
var chooseVars = [...]Param{ParamAccess, ParamFormat, ParamSubformat, ParamChannels,
	ParamRate, ParamPeriodTime, ParamBufferSize, ParamTickTime}

// Choose is what HW_PARAMS does to a request before installing it
// (snd_pcm_hw_params: rmask = ~0, snd_pcm_hw_refine,
// snd_pcm_hw_params_choose, fixup_unreferenced_params): every parameter
// ends single. Errors: EINVAL with a reason, as Refine.
func (c *Constraints) Choose(p *HWParams) error {
	p.RMask = ^uint32(0)
	if err := c.refine(p); err != nil {
		return err
	}
	for _, v := range chooseVars {
		var err error
		if v != ParamBufferSize {
			_, _, err = c.ParamFirst(p, v)
		} else {
			_, _, err = c.ParamLast(p, v)
		}
		if err != nil {
			return err
		}
	}
	return c.fixup(p)
}

// ParamValue is snd_pcm_hw_param_value: the value of a single parameter and
// its direction (1 if the interval's min is open). EINVAL if not single.
func ParamValue(p *HWParams, v Param) (val uint32, dir int, err error) {
	switch {
	case isMask(v):
		m := p.Mask(v)
		if !m.Single() || m.IsEmpty() {
			return 0, 0, Errorf(unix.EINVAL, "%s is not a single value", v)
		}
		return m.Value(), 0, nil
	case isInterval(v):
		i := p.Interval(v)
		if !i.Single() || i.Empty {
			return 0, 0, Errorf(unix.EINVAL, "%s is not a single value: %s", v, rangeString(i))
		}
		if i.OpenMin {
			dir = 1
		}
		return i.Value(), dir, nil
	}
	return 0, 0, errBadParam(v)
}

// markChanged records a change a chooser made, as the kernel's
// _snd_pcm_hw_param_* helpers do.
func markChanged(p *HWParams, v Param, changed int) error {
	if changed < 0 {
		return Errorf(unix.EINVAL, "%s: no value left", v)
	}
	if changed > 0 {
		p.CMask |= 1 << v
		p.RMask |= 1 << v
	}
	return nil
}

// ParamFirst is snd_pcm_hw_param_first: keep only the lowest value of v,
// refine, and return it.
func (c *Constraints) ParamFirst(p *HWParams, v Param) (uint32, int, error) {
	var changed int
	switch {
	case isMask(v):
		changed = p.Mask(v).refineFirst()
	case isInterval(v):
		changed = p.Interval(v).refineFirst()
	default:
		return 0, 0, errBadParam(v)
	}
	return c.afterChange(p, v, changed)
}

// ParamLast is snd_pcm_hw_param_last: keep only the highest value of v,
// refine, and return it.
func (c *Constraints) ParamLast(p *HWParams, v Param) (uint32, int, error) {
	var changed int
	switch {
	case isMask(v):
		changed = p.Mask(v).refineLast()
	case isInterval(v):
		changed = p.Interval(v).refineLast()
	default:
		return 0, 0, errBadParam(v)
	}
	return c.afterChange(p, v, changed)
}

func (c *Constraints) afterChange(p *HWParams, v Param, changed int) (uint32, int, error) {
	if err := markChanged(p, v, changed); err != nil {
		return 0, 0, err
	}
	if p.RMask != 0 {
		if err := c.refine(p); err != nil {
			return 0, 0, err
		}
	}
	return ParamValue(p, v)
}

// ParamMin is snd_pcm_hw_param_min (pcm_oss.c): drop the values of v below
// val (dir > 0: not above val; dir < 0: from just below val), refine, and
// return the new minimum and its direction.
func (c *Constraints) ParamMin(p *HWParams, v Param, val uint32, dir int) (uint32, int, error) {
	open := false
	if dir > 0 {
		open = true
	} else if dir < 0 && val > 0 {
		open = true
		val--
	}
	var changed int
	switch {
	case isMask(v):
		if open {
			val++
		}
		changed = p.Mask(v).refineMin(val)
	case isInterval(v):
		changed = p.Interval(v).refineMin(val, open)
	default:
		return 0, 0, errBadParam(v)
	}
	if err := markChanged(p, v, changed); err != nil {
		return 0, 0, Errorf(unix.EINVAL, "%s: nothing at or above %d", v, val)
	}
	if p.RMask != 0 {
		if err := c.refine(p); err != nil {
			return 0, 0, err
		}
	}
	if isMask(v) {
		return p.Mask(v).Min(), 0, nil
	}
	i := p.Interval(v)
	if i.OpenMin {
		return i.MinValue(), 1, nil
	}
	return i.MinValue(), 0, nil
}

// ParamMax is snd_pcm_hw_param_max (pcm_oss.c): drop the values of v above
// val, refine, and return the new maximum and its direction (-1 if open).
func (c *Constraints) ParamMax(p *HWParams, v Param, val uint32, dir int) (uint32, int, error) {
	open := false
	if dir < 0 {
		open = true
	} else if dir > 0 {
		open = true
		val++
	}
	var changed int
	switch {
	case isMask(v):
		if val == 0 && open {
			p.Mask(v).None()
			changed = -1
		} else {
			if open {
				val--
			}
			changed = p.Mask(v).refineMax(val)
		}
	case isInterval(v):
		changed = p.Interval(v).refineMax(val, open)
	default:
		return 0, 0, errBadParam(v)
	}
	if err := markChanged(p, v, changed); err != nil {
		return 0, 0, Errorf(unix.EINVAL, "%s: nothing at or below %d", v, val)
	}
	if p.RMask != 0 {
		if err := c.refine(p); err != nil {
			return 0, 0, err
		}
	}
	if isMask(v) {
		return p.Mask(v).Max(), 0, nil
	}
	i := p.Interval(v)
	if i.OpenMax {
		return i.MaxValue(), -1, nil
	}
	return i.MaxValue(), 0, nil
}

// boundarySub, boundaryLT and boundaryNearer are pcm_oss.c's helpers for
// comparing values with directions (a value "val, dir" lies just above val
// for dir > 0, just below for dir < 0).
func boundarySub(a, adir, b, bdir int) (c, cdir int) {
	adir, bdir = sign(adir), sign(bdir)
	c, cdir = a-b, adir-bdir
	if cdir == -2 {
		c--
	} else if cdir == 2 {
		c++
	}
	return c, cdir
}

func boundaryLT(a uint32, adir int, b uint32, bdir int) bool {
	if adir < 0 {
		a--
		adir = 1
	} else if adir > 0 {
		adir = 1
	}
	if bdir < 0 {
		b--
		bdir = 1
	} else if bdir > 0 {
		bdir = 1
	}
	return a < b || (a == b && adir < bdir)
}

// boundaryNearer reports whether min is nearer to best than max.
func boundaryNearer(min, mindir, best, bestdir, max, maxdir int) bool {
	dmin, dmindir := boundarySub(best, bestdir, min, mindir)
	dmax, dmaxdir := boundarySub(max, maxdir, best, bestdir)
	return boundaryLT(uint32(dmin), dmindir, uint32(dmax), dmaxdir)
}

func sign(x int) int {
	if x < 0 {
		return -1
	}
	if x > 0 {
		return 1
	}
	return 0
}

// ParamNear is snd_pcm_hw_param_near (pcm_oss.c): restrict v to the value
// nearest to best (ties go to the value above), refine, and return it with
// its direction. The OSS emulation and the native face use it for
// "buffer_time_near"-style requests.
func (c *Constraints) ParamNear(p *HWParams, v Param, best uint32, dir int) (uint32, int, error) {
	if best > 1<<31-1 {
		best = 1<<31 - 1
	}
	min, max := int(best), int(best)
	valdir := dir
	mindir, maxdir := valdir, valdir
	if maxdir > 0 {
		maxdir = 0
	} else if maxdir == 0 {
		maxdir = -1
	} else {
		maxdir = 1
		max--
	}
	save := *p
	last := false
	umin, mindir, err := c.ParamMin(p, v, uint32(min), mindir)
	if err == nil {
		if max < 0 || (umin == uint32(min) && mindir == valdir) {
			goto end
		}
		p1 := save
		umax, maxdir, err := c.ParamMax(&p1, v, uint32(max), maxdir)
		if err != nil {
			goto end
		}
		if boundaryNearer(int(umax), maxdir, int(best), valdir, int(umin), mindir) {
			*p = p1
			last = true
		}
	} else {
		*p = save
		if _, _, err := c.ParamMax(p, v, uint32(max), maxdir); err != nil {
			return 0, 0, Errorf(unix.EINVAL, "%s: no value near %d: %s", v, best, reasonOf(err))
		}
		last = true
	}
end:
	if last {
		return c.ParamLast(p, v)
	}
	return c.ParamFirst(p, v)
}

func reasonOf(err error) string {
	if e, ok := err.(*Error); ok {
		return e.Reason
	}
	return err.Error()
}

// Error reasons. Built only on failure.

// maskError explains a request mask that the hardware mask empties.
func (c *Constraints) maskError(v Param, req *Mask) error {
	return Errorf(unix.EINVAL, "%s %s not supported (allowed: %s)", v, maskNames(v, req), maskNames(v, c.mask(v)))
}

// maskNames lists the values of m by name.
func maskNames(v Param, m *Mask) string {
	var b strings.Builder
	for k := uint32(0); k < maskBits; k++ {
		if !m.Test(k) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(maskValueName(v, k))
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

var subformatNames = [...]string{"STD", "MSBITS_MAX", "MSBITS_20", "MSBITS_24"}

func maskValueName(v Param, k uint32) string {
	switch v {
	case ParamAccess:
		return Access(k).String()
	case ParamFormat:
		return Format(k).String()
	case ParamSubformat:
		if int(k) < len(subformatNames) {
			return subformatNames[k]
		}
	}
	return strconv.FormatUint(uint64(k), 10)
}

// ruleError explains a rule that emptied its parameter. p holds the values
// the rule saw (the parameter restored to its value before the rule).
func (c *Constraints) ruleError(p *HWParams, r *rule) error {
	d := func(n int) string { return r.deps[n].String() }
	var expr string
	switch r.kind {
	case kindMul:
		expr = d(0) + "*" + d(1)
	case kindDiv:
		expr = d(0) + "/" + d(1)
	case kindMulDivK:
		expr = d(0) + "*" + d(1) + "/" + strconv.Itoa(int(r.k))
	case kindMulKDiv:
		expr = d(0) + "*" + strconv.Itoa(int(r.k)) + "/" + d(1)
	case kindFormat:
		return Errorf(unix.EINVAL, "format %s: no format with sample_bits %s",
			maskNames(ParamFormat, p.Mask(ParamFormat)), rangeString(p.Interval(ParamSampleBits)))
	case kindSampleBits:
		return Errorf(unix.EINVAL, "sample_bits %s does not match format %s",
			rangeString(p.Interval(ParamSampleBits)), maskNames(ParamFormat, p.Mask(ParamFormat)))
	case kindSubformat:
		return Errorf(unix.EINVAL, "subformat %s not available with format %s",
			maskNames(ParamSubformat, p.Mask(ParamSubformat)), maskNames(ParamFormat, p.Mask(ParamFormat)))
	case kindBufferBytesMax:
		return Errorf(unix.EINVAL, "buffer_bytes %s above the maximum %d",
			rangeString(p.Interval(ParamBufferBytes)), r.bbmax)
	case kindStep:
		return Errorf(unix.EINVAL, "%s %s has no multiple of %d", r.v, rangeString(p.Interval(r.v)), r.k)
	default:
		return Errorf(unix.EINVAL, "%s %s: no value the hardware supports", r.v, rangeString(p.Interval(r.v)))
	}
	// Arithmetic rule: recompute what it computed, for the reason.
	var t Interval
	r.arith(p, &t)
	var b strings.Builder
	for n := 0; n < r.ndeps; n++ {
		if n > 0 {
			b.WriteString(", ")
		}
		b.WriteString(d(n) + " " + rangeString(r.dep(p, n)))
	}
	return Errorf(unix.EINVAL, "%s %s conflicts with %s = %s (%s)",
		r.v, rangeString(p.Interval(r.v)), expr, rangeString(&t), b.String())
}
