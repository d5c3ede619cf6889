package pcm

import (
	"math"
	"strconv"
)

// Interval operations: the snd_interval_* inlines of include/sound/pcm_params.h
// and the interval arithmetic of sound/core/pcm_lib.c.
//
// An interval is [Min, Max] of unsigned 32-bit values; OpenMin/OpenMax
// exclude the end (so (2, 3] holds the reals above 2 up to 3), Integer says
// only integers are allowed, Empty marks a contradiction. The refine helpers
// return, as the kernel's, 1 if the interval changed, 0 if not, and a
// negative value (-EINVAL) if it became empty.

const uintMax = math.MaxUint32

// Any makes the interval [0, UINT_MAX] with no flags (snd_interval_any).
func (i *Interval) Any() { *i = Interval{Min: 0, Max: uintMax} }

// None marks the interval empty (snd_interval_none).
func (i *Interval) None() { i.Empty = true }

// checkEmpty is snd_interval_checkempty: the bounds admit no value.
func (i *Interval) checkEmpty() bool {
	return i.Min > i.Max || (i.Min == i.Max && (i.OpenMin || i.OpenMax))
}

// Single reports whether the interval holds exactly one value
// (snd_interval_single).
func (i *Interval) Single() bool {
	return i.Min == i.Max || (i.Min+1 == i.Max && (i.OpenMin || i.OpenMax))
}

// Value is the value of a single interval (snd_interval_value).
func (i *Interval) Value() uint32 {
	if i.OpenMin && !i.OpenMax {
		return i.Max
	}
	return i.Min
}

// MinValue is snd_interval_min.
func (i *Interval) MinValue() uint32 { return i.Min }

// MaxValue is snd_interval_max: the largest allowed integer.
func (i *Interval) MaxValue() uint32 {
	v := i.Max
	if i.OpenMax {
		v--
	}
	return v
}

// Test reports whether val is in the interval (snd_interval_test).
func (i *Interval) Test(val uint32) bool {
	return !(i.Min > val || (i.Min == val && i.OpenMin) ||
		i.Max < val || (i.Max == val && i.OpenMax))
}

// setInteger is snd_interval_setinteger.
func (i *Interval) setInteger() int {
	if i.Integer {
		return 0
	}
	if i.OpenMin && i.OpenMax && i.Min == i.Max {
		return -1
	}
	i.Integer = true
	return 1
}

// refine intersects i with v (snd_interval_refine, pcm_lib.c).
func (i *Interval) refine(v *Interval) int {
	if i.Empty {
		return -1
	}
	changed := 0
	if i.Min < v.Min {
		i.Min = v.Min
		i.OpenMin = v.OpenMin
		changed = 1
	} else if i.Min == v.Min && !i.OpenMin && v.OpenMin {
		i.OpenMin = true
		changed = 1
	}
	if i.Max > v.Max {
		i.Max = v.Max
		i.OpenMax = v.OpenMax
		changed = 1
	} else if i.Max == v.Max && !i.OpenMax && v.OpenMax {
		i.OpenMax = true
		changed = 1
	}
	if !i.Integer && v.Integer {
		i.Integer = true
		changed = 1
	}
	if i.Integer {
		if i.OpenMin {
			i.Min++
			i.OpenMin = false
		}
		if i.OpenMax {
			i.Max--
			i.OpenMax = false
		}
	} else if !i.OpenMin && !i.OpenMax && i.Min == i.Max {
		i.Integer = true
	}
	if i.checkEmpty() {
		i.None()
		return -1
	}
	return changed
}

// refineFirst keeps only the lowest value (snd_interval_refine_first).
func (i *Interval) refineFirst() int {
	if i.Empty {
		return -1
	}
	if i.Single() {
		return 0
	}
	lastMax := i.Max
	i.Max = i.Min
	if i.OpenMin {
		i.Max++
	}
	// only exclude max value if also excluded before refine
	i.OpenMax = i.OpenMax && i.Max >= lastMax
	return 1
}

// refineLast keeps only the highest value (snd_interval_refine_last).
func (i *Interval) refineLast() int {
	if i.Empty {
		return -1
	}
	if i.Single() {
		return 0
	}
	lastMin := i.Min
	i.Min = i.Max
	if i.OpenMax {
		i.Min--
	}
	// only exclude min value if also excluded before refine
	i.OpenMin = i.OpenMin && i.Min <= lastMin
	return 1
}

// refineMin raises the lower bound (snd_interval_refine_min, pcm_oss.c).
func (i *Interval) refineMin(min uint32, openMin bool) int {
	changed := 0
	if i.Min < min {
		i.Min = min
		i.OpenMin = openMin
		changed = 1
	} else if i.Min == min && !i.OpenMin && openMin {
		i.OpenMin = true
		changed = 1
	}
	if i.Integer && i.OpenMin {
		i.Min++
		i.OpenMin = false
	}
	if i.checkEmpty() {
		i.None()
		return -1
	}
	return changed
}

// refineMax lowers the upper bound (snd_interval_refine_max, pcm_oss.c).
func (i *Interval) refineMax(max uint32, openMax bool) int {
	changed := 0
	if i.Max > max {
		i.Max = max
		i.OpenMax = openMax
		changed = 1
	} else if i.Max == max && !i.OpenMax && openMax {
		i.OpenMax = true
		changed = 1
	}
	if i.Integer && i.OpenMax {
		i.Max--
		i.OpenMax = false
	}
	if i.checkEmpty() {
		i.None()
		return -1
	}
	return changed
}

// Arithmetic helpers of pcm_lib.c, saturating at UINT_MAX.

// div32 is div32: a/b and the remainder; UINT_MAX for b == 0.
func div32(a, b uint32) (q, r uint32) {
	if b == 0 {
		return uintMax, 0
	}
	return a / b, a % b
}

// divDown is div_down.
func divDown(a, b uint32) uint32 {
	if b == 0 {
		return uintMax
	}
	return a / b
}

// divUp is div_up.
func divUp(a, b uint32) uint32 {
	if b == 0 {
		return uintMax
	}
	q, r := a/b, a%b
	if r != 0 {
		q++
	}
	return q
}

// mul is mul: a*b saturating at UINT_MAX.
func mul(a, b uint32) uint32 {
	if a == 0 {
		return 0
	}
	if divDown(uintMax, a) < b {
		return uintMax
	}
	return a * b
}

// muldiv32 is muldiv32: a*b/c in 64 bits, saturating at UINT_MAX (and then
// reporting no remainder).
func muldiv32(a, b, c uint32) (q, r uint32) {
	if c == 0 {
		return uintMax, 0
	}
	n := uint64(a) * uint64(b)
	q64, r64 := n/uint64(c), n%uint64(c)
	if q64 >= uintMax {
		return uintMax, 0
	}
	return uint32(q64), uint32(r64)
}

// intervalMul sets c = a*b (snd_interval_mul).
func intervalMul(a, b, c *Interval) {
	if a.Empty || b.Empty {
		c.None()
		return
	}
	c.Empty = false
	c.Min = mul(a.Min, b.Min)
	c.OpenMin = a.OpenMin || b.OpenMin
	c.Max = mul(a.Max, b.Max)
	c.OpenMax = a.OpenMax || b.OpenMax
	c.Integer = a.Integer && b.Integer
}

// intervalDiv sets c = a/b (snd_interval_div).
func intervalDiv(a, b, c *Interval) {
	if a.Empty || b.Empty {
		c.None()
		return
	}
	c.Empty = false
	var r uint32
	c.Min, r = div32(a.Min, b.Max)
	c.OpenMin = r != 0 || a.OpenMin || b.OpenMax
	if b.Min > 0 {
		c.Max, r = div32(a.Max, b.Min)
		if r != 0 {
			c.Max++
			c.OpenMax = true
		} else {
			c.OpenMax = a.OpenMax || b.OpenMin
		}
	} else {
		c.Max = uintMax
		c.OpenMax = false
	}
	c.Integer = false
}

// intervalMulDivK sets c = a*b/k (snd_interval_muldivk).
func intervalMulDivK(a, b *Interval, k uint32, c *Interval) {
	if a.Empty || b.Empty {
		c.None()
		return
	}
	c.Empty = false
	var r uint32
	c.Min, r = muldiv32(a.Min, b.Min, k)
	c.OpenMin = r != 0 || a.OpenMin || b.OpenMin
	c.Max, r = muldiv32(a.Max, b.Max, k)
	if r != 0 {
		c.Max++
		c.OpenMax = true
	} else {
		c.OpenMax = a.OpenMax || b.OpenMax
	}
	c.Integer = false
}

// intervalMulKDiv sets c = a*k/b (snd_interval_mulkdiv).
func intervalMulKDiv(a *Interval, k uint32, b, c *Interval) {
	if a.Empty || b.Empty {
		c.None()
		return
	}
	c.Empty = false
	var r uint32
	c.Min, r = muldiv32(a.Min, k, b.Max)
	c.OpenMin = r != 0 || a.OpenMin || b.OpenMax
	if b.Min > 0 {
		c.Max, r = muldiv32(a.Max, k, b.Min)
		if r != 0 {
			c.Max++
			c.OpenMax = true
		} else {
			c.OpenMax = a.OpenMax || b.OpenMin
		}
	} else {
		c.Max = uintMax
		c.OpenMax = false
	}
	c.Integer = false
}

// Ratnum is struct snd_ratnum: the rates num/den for den in
// DenMin..DenMax stepping by DenStep (a clock divided by an integer).
type Ratnum struct {
	Num, DenMin, DenMax, DenStep uint32
}

// intervalRatnum refines i to the rates reachable by rats and returns the
// best num/den when i became single (snd_interval_ratnum). The C code
// mixes int and unsigned arithmetic; the uint32 conversions below keep its
// wrap-around exactly.
func intervalRatnum(i *Interval, rats []Ratnum) (ret int, num, den uint32) {
	var bestNum, bestDen uint32
	var bestDiff int32
	for k := range rats {
		rn := rats[k].Num
		q := i.Min
		if q == 0 {
			q = 1
		}
		d := divUp(rn, q)
		if d < rats[k].DenMin {
			continue
		}
		if d > rats[k].DenMax {
			d = rats[k].DenMax
		} else if rats[k].DenStep != 0 {
			if r := (d - rats[k].DenMin) % rats[k].DenStep; r != 0 {
				d -= r
			}
		}
		diff := int32(rn - q*d)
		if diff < 0 {
			diff = -diff
		}
		if bestNum == 0 || uint32(diff)*bestDen < uint32(bestDiff)*d {
			bestDiff, bestDen, bestNum = diff, d, rn
		}
	}
	if bestDen == 0 {
		i.Empty = true
		return -1, 0, 0
	}
	var t Interval
	t.Min = divDown(bestNum, bestDen)
	t.OpenMin = bestNum%bestDen != 0

	resultNum, resultDiff, resultDen := bestNum, bestDiff, bestDen
	bestNum, bestDen, bestDiff = 0, 0, 0
	for k := range rats {
		rn := rats[k].Num
		q := i.Max
		if q == 0 {
			i.Empty = true
			return -1, 0, 0
		}
		d := divDown(rn, q)
		if d > rats[k].DenMax {
			continue
		}
		if d < rats[k].DenMin {
			d = rats[k].DenMin
		} else if rats[k].DenStep != 0 {
			if r := (d - rats[k].DenMin) % rats[k].DenStep; r != 0 {
				d += rats[k].DenStep - r
			}
		}
		diff := int32(q*d - rn)
		if diff < 0 {
			diff = -diff
		}
		if bestNum == 0 || uint32(diff)*bestDen < uint32(bestDiff)*d {
			bestDiff, bestDen, bestNum = diff, d, rn
		}
	}
	if bestDen == 0 {
		i.Empty = true
		return -1, 0, 0
	}
	t.Max = divUp(bestNum, bestDen)
	t.OpenMax = bestNum%bestDen != 0
	t.Integer = false
	ret = i.refine(&t)
	if ret < 0 {
		return ret, 0, 0
	}
	if i.Single() {
		if uint32(bestDiff)*resultDen < uint32(resultDiff)*bestDen {
			resultNum, resultDen = bestNum, bestDen
		}
		return ret, resultNum, resultDen
	}
	return ret, 0, 0
}

// intervalList refines i to the span of the listed values it contains
// (snd_interval_list). A non-zero mask selects list entries by bit.
func intervalList(i *Interval, list []uint32, mask uint32) int {
	if len(list) == 0 {
		i.Empty = true
		return -1
	}
	var r Interval
	r.Any()
	r.Min, r.Max = uintMax, 0
	for k, v := range list {
		if mask != 0 && (k >= 32 || mask&(1<<k) == 0) {
			continue
		}
		if !i.Test(v) {
			continue
		}
		r.Min = min(r.Min, v)
		r.Max = max(r.Max, v)
	}
	return i.refine(&r)
}

// intervalRanges refines i to the union of the ranges it meets
// (snd_interval_ranges).
func intervalRanges(i *Interval, ranges []Interval, mask uint32) int {
	if len(ranges) == 0 {
		i.None()
		return -1
	}
	var u Interval
	u.Any()
	u.Min, u.Max = uintMax, 0
	for k := range ranges {
		if mask != 0 && (k >= 32 || mask&(1<<k) == 0) {
			continue
		}
		rg := ranges[k]
		if rg.refine(i) < 0 || rg.Empty {
			continue
		}
		if rg.Min < u.Min {
			u.Min = rg.Min
			u.OpenMin = true
		}
		if rg.Min == u.Min && !rg.OpenMin {
			u.OpenMin = false
		}
		if rg.Max > u.Max {
			u.Max = rg.Max
			u.OpenMax = true
		}
		if rg.Max == u.Max && !rg.OpenMax {
			u.OpenMax = false
		}
	}
	return i.refine(&u)
}

// intervalStep rounds the bounds inward to multiples of step
// (snd_interval_step).
func intervalStep(i *Interval, step uint32) int {
	if step == 0 {
		return 0
	}
	changed := 0
	if n := i.Min % step; n != 0 || i.OpenMin {
		i.Min += step - n
		i.OpenMin = false
		changed = 1
	}
	if n := i.Max % step; n != 0 || i.OpenMax {
		i.Max -= n
		i.OpenMax = false
		changed = 1
	}
	if i.checkEmpty() {
		i.Empty = true
		return -1
	}
	return changed
}

// appendInterval formats i as alsa-lib's snd_interval_print does: "NONE",
// "ALL", a single value, or "[min max]" with '(' / ')' for open ends.
func appendInterval(b []byte, i *Interval) []byte {
	switch {
	case i.Empty:
		return append(b, "NONE"...)
	case i.Min == 0 && !i.OpenMin && i.Max == uintMax && !i.OpenMax:
		return append(b, "ALL"...)
	case i.Single() && i.Integer:
		return strconv.AppendUint(b, uint64(i.Value()), 10)
	}
	if i.OpenMin {
		b = append(b, '(')
	} else {
		b = append(b, '[')
	}
	b = strconv.AppendUint(b, uint64(i.Min), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(i.Max), 10)
	if i.OpenMax {
		b = append(b, ')')
	} else {
		b = append(b, ']')
	}
	return b
}

// rangeString formats i for an error reason: "48000", "8000..384000", or
// the bracket form when an end is open.
func rangeString(i *Interval) string {
	switch {
	case i.Empty:
		return "nothing"
	case i.Single() && (i.Integer || (!i.OpenMin && !i.OpenMax)):
		return strconv.FormatUint(uint64(i.Value()), 10)
	case !i.OpenMin && !i.OpenMax:
		return strconv.FormatUint(uint64(i.Min), 10) + ".." + strconv.FormatUint(uint64(i.Max), 10)
	}
	return string(appendInterval(nil, i))
}
