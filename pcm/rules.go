package pcm

import "math/bits"

// Rules: struct snd_pcm_hw_rule and the rule functions of
// sound/core/pcm_native.c and pcm_lib.c.
//
// A rule narrows one parameter (v) from the values of up to four others
// (deps). The refine loop (refine.go) re-runs a rule whenever one of its deps
// changed since the rule last ran. A rule function returns 1 if it changed
// v, 0 if not, and a negative value (-EINVAL) if v became empty; it must not
// allocate (it runs ~20 times per HW_REFINE).

// ruleKind names what a rule computes, for error reasons.
type ruleKind uint8

const (
	kindMul ruleKind = iota
	kindDiv
	kindMulDivK
	kindMulKDiv
	kindFormat     // format <- sample_bits
	kindSampleBits // sample_bits <- format
	kindSubformat  // subformat <- format
	kindBufferBytesMax
	kindList
	kindRanges
	kindRatnums
	kindMSBits
	kindStep
	kindPow2
)

// maxDeps is the size of snd_pcm_hw_rule.deps without the sentinel.
const maxDeps = 4

// rule is struct snd_pcm_hw_rule. Immutable once added. The kernel's func
// pointer is the kind here: apply dispatches with a switch, so the params
// a rule works on never escape to the heap (an indirect call would make
// every Refine allocate its HWParams).
type rule struct {
	cond  uint32 // SNDRV_PCM_HW_PARAMS_* flags the rule needs, 0 = always
	v     Param  // the parameter it narrows, -1 for none (msbits)
	deps  [maxDeps]Param
	ndeps int
	kind  ruleKind
	// private data (the kernel's void *private), by kind:
	k      uint32     // the constant of muldivk/mulkdiv, the step, msbits
	width  uint32     // msbits: the sample width it applies to
	list   []uint32   // kindList
	lmask  uint32     // kindList, kindRanges: entries to use, 0 = all
	ranges []Interval // kindRanges
	rats   []Ratnum   // kindRatnums
	subfmt uint32     // kindSubformat: hw subformats of S32_LE
	bbmax  uint32     // kindBufferBytesMax
}

func (r *rule) dep(p *HWParams, n int) *Interval { return p.Interval(r.deps[n]) }

// apply runs the rule's function (the kernel's r->func(params, r)).
func (r *rule) apply(p *HWParams) int {
	switch r.kind {
	case kindMul, kindDiv, kindMulDivK, kindMulKDiv:
		var t Interval
		r.arith(p, &t)
		return p.Interval(r.v).refine(&t)
	case kindFormat:
		return ruleFormat(p, r)
	case kindSampleBits:
		return ruleSampleBits(p, r)
	case kindSubformat:
		return ruleSubformats(p, r)
	case kindBufferBytesMax:
		return ruleBufferBytesMax(p, r)
	case kindList:
		return ruleList(p, r)
	case kindRanges:
		return ruleRanges(p, r)
	case kindRatnums:
		return ruleRatnums(p, r)
	case kindMSBits:
		return ruleMSBits(p, r)
	case kindStep:
		return ruleStep(p, r)
	case kindPow2:
		return rulePow2(p, r)
	}
	return -1
}

// arith computes into t the interval an arithmetic rule narrows v to:
// snd_pcm_hw_rule_mul (deps[0] * deps[1]), snd_pcm_hw_rule_div
// (deps[0] / deps[1]), snd_pcm_hw_rule_muldivk (deps[0] * deps[1] / k) and
// snd_pcm_hw_rule_mulkdiv (deps[0] * k / deps[1]). apply refines v with t;
// ruleError recomputes t to explain a refusal. Other kinds leave t alone.
func (r *rule) arith(p *HWParams, t *Interval) {
	switch r.kind {
	case kindMul:
		intervalMul(r.dep(p, 0), r.dep(p, 1), t)
	case kindDiv:
		intervalDiv(r.dep(p, 0), r.dep(p, 1), t)
	case kindMulDivK:
		intervalMulDivK(r.dep(p, 0), r.dep(p, 1), r.k, t)
	case kindMulKDiv:
		intervalMulKDiv(r.dep(p, 0), r.k, r.dep(p, 1), t)
	}
}

// formatList is pcm_for_each_format restricted to the formats vsnd knows,
// in ascending order (the kernel walks 0..SNDRV_PCM_FORMAT_LAST and skips
// formats whose physical width is unknown).
var formatList = func() []Format {
	var l []Format
	for f := Format(0); f <= FormatLast; f++ {
		if f.Known() {
			l = append(l, f)
		}
	}
	return l
}()

// formatPhys caches the physical width per format number (hot path: the map
// in format.go is too slow for ~3,000 refines per client open).
var formatPhys = func() (w [maskBits]uint8) {
	for _, f := range formatList {
		if int(f) < maskBits {
			w[f] = uint8(f.PhysicalWidth())
		}
	}
	return w
}()

// formatLinear caches snd_pcm_format_linear (every known non-float format).
var formatLinear = func() (l [maskBits]bool) {
	for _, f := range formatList {
		if int(f) < maskBits {
			l[f] = !f.Float()
		}
	}
	return l
}()

// ruleFormat is snd_pcm_hw_rule_format: drop formats whose physical width
// is outside sample_bits.
func ruleFormat(p *HWParams, r *rule) int {
	i := r.dep(p, 0)
	mask := p.Mask(ParamFormat)
	var m Mask
	m.Any()
	for w := 0; w < maskWords; w++ {
		for set := mask.Bits[w]; set != 0; set &= set - 1 {
			k := uint32(w*32 + bits.TrailingZeros32(set))
			pw := uint32(formatPhys[k])
			if pw == 0 {
				continue // ignore invalid formats
			}
			if pw < i.Min || pw > i.Max {
				m.Reset(k)
			}
		}
	}
	return mask.refine(&m)
}

// ruleSampleBits is snd_pcm_hw_rule_sample_bits: sample_bits spans the
// physical widths of the formats left.
func ruleSampleBits(p *HWParams, r *rule) int {
	t := Interval{Min: uintMax, Max: 0}
	mask := p.Mask(ParamFormat)
	for w := 0; w < maskWords; w++ {
		for set := mask.Bits[w]; set != 0; set &= set - 1 {
			k := uint32(w*32 + bits.TrailingZeros32(set))
			pw := uint32(formatPhys[k])
			if pw == 0 {
				continue
			}
			t.Min = min(t.Min, pw)
			t.Max = max(t.Max, pw)
		}
	}
	t.Integer = true
	return p.Interval(r.v).refine(&t)
}

// Subformats, SNDRV_PCM_SUBFORMAT_*.
const (
	SubformatStd       = 0
	SubformatMSBitsMax = 1
	SubformatMSBits20  = 2
	SubformatMSBits24  = 3
)

// ruleSubformats is snd_pcm_hw_rule_subformats (kernel >= 6.8): STD always,
// plus MSBITS_MAX for every linear format (or the hardware's subformats for
// S32_LE).
func ruleSubformats(p *HWParams, r *rule) int {
	sf := p.Mask(ParamSubformat)
	fm := p.Mask(ParamFormat)
	var m Mask
	m.Set(SubformatStd)
	for w := 0; w < maskWords; w++ {
		for set := fm.Bits[w]; set != 0; set &= set - 1 {
			k := w*32 + bits.TrailingZeros32(set)
			if formatPhys[k] == 0 {
				continue
			}
			if Format(k) == FormatS32LE && r.subfmt != 0 {
				m.Bits[0] |= r.subfmt
			} else if formatLinear[k] {
				m.Set(SubformatMSBitsMax)
			}
		}
	}
	return sf.refine(&m)
}

// ruleBufferBytesMax is snd_pcm_hw_rule_buffer_bytes_max: the buffer must
// fit the preallocated DMA area (for vsnd: Hardware.BufferBytesMax).
func ruleBufferBytesMax(p *HWParams, r *rule) int {
	t := Interval{Min: 0, Max: r.bbmax, Integer: true}
	return p.Interval(r.v).refine(&t)
}

// ruleList is snd_pcm_hw_rule_list.
func ruleList(p *HWParams, r *rule) int {
	return intervalList(p.Interval(r.v), r.list, r.lmask)
}

// ruleRanges is snd_pcm_hw_rule_ranges.
func ruleRanges(p *HWParams, r *rule) int {
	return intervalRanges(p.Interval(r.v), r.ranges, r.lmask)
}

// ruleRatnums is snd_pcm_hw_rule_ratnums: also reports rate_num/rate_den.
func ruleRatnums(p *HWParams, r *rule) int {
	ret, num, den := intervalRatnum(p.Interval(r.v), r.rats)
	if ret >= 0 && den != 0 && r.v == ParamRate {
		p.RateNum, p.RateDen = num, den
	}
	return ret
}

// ruleMSBits is snd_pcm_hw_rule_msbits: once sample_bits is single and
// matches width (or width is 0 and it exceeds msbits), report msbits.
func ruleMSBits(p *HWParams, r *rule) int {
	i := p.Interval(ParamSampleBits)
	if !i.Single() {
		return 0
	}
	if v := i.Value(); v == r.width || (r.width == 0 && v > r.k) {
		if p.MSBits == 0 || r.k < p.MSBits { // min_not_zero
			p.MSBits = r.k
		}
	}
	return 0
}

// ruleStep is snd_pcm_hw_rule_step.
func ruleStep(p *HWParams, r *rule) int { return intervalStep(p.Interval(r.v), r.k) }

// pow2Sizes is the table of snd_pcm_hw_rule_pow2.
var pow2Sizes = func() (l [31]uint32) {
	for i := range l {
		l[i] = 1 << i
	}
	return l
}()

// rulePow2 is snd_pcm_hw_rule_pow2.
func rulePow2(p *HWParams, r *rule) int { return intervalList(p.Interval(r.v), pow2Sizes[:], 0) }

// KnownRates is snd_pcm_known_rates (pcm_native.c; note: unsorted, as in the
// kernel), for drivers that list discrete rates with AddList.
var KnownRates = []uint32{
	5512, 8000, 11025, 16000, 22050, 32000, 44100,
	48000, 64000, 88200, 96000, 176400, 192000, 352800, 384000, 705600, 768000,
	12000, 24000, 128000,
}
