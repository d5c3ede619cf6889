package pcm

import "math/bits"

// Mask operations, mirroring the snd_mask_* inlines of
// include/sound/pcm_params.h.
//
// The kernel's struct snd_mask holds SNDRV_MASK_MAX (256) bits, but every
// operation looks only at the first SNDRV_MASK_BITS (64) of them: snd_mask_any
// fills two words, snd_mask_empty/min/max/single/refine read two words. Bits
// above 63 that a client passes in are carried through untouched and never
// counted. vsnd does the same so a HW_REFINE answer is byte-identical.

// maskBits is SNDRV_MASK_BITS: the bits the mask operations use.
const maskBits = 64

// maskWords is SNDRV_MASK_SIZE.
const maskWords = maskBits / 32

// None empties the whole mask (snd_mask_none: all 256 bits).
func (m *Mask) None() { m.Bits = [len(m.Bits)]uint32{} }

// Any fills the used bits (snd_mask_any).
func (m *Mask) Any() {
	for i := 0; i < maskWords; i++ {
		m.Bits[i] = ^uint32(0)
	}
}

// IsEmpty reports whether no used bit is set (snd_mask_empty).
func (m *Mask) IsEmpty() bool {
	for i := 0; i < maskWords; i++ {
		if m.Bits[i] != 0 {
			return false
		}
	}
	return true
}

// Min is the lowest set bit, 0 for an empty mask (snd_mask_min).
func (m *Mask) Min() uint32 {
	for i := 0; i < maskWords; i++ {
		if m.Bits[i] != 0 {
			return uint32(bits.TrailingZeros32(m.Bits[i]) + i*32)
		}
	}
	return 0
}

// Max is the highest set bit, 0 for an empty mask (snd_mask_max).
func (m *Mask) Max() uint32 {
	for i := maskWords - 1; i >= 0; i-- {
		if m.Bits[i] != 0 {
			return uint32(31 - bits.LeadingZeros32(m.Bits[i]) + i*32)
		}
	}
	return 0
}

// Set sets bit val (snd_mask_set). Values >= MaskMax are ignored.
func (m *Mask) Set(val uint32) {
	if val < MaskMax {
		m.Bits[val>>5] |= 1 << (val & 31)
	}
}

// Reset clears bit val (snd_mask_reset).
func (m *Mask) Reset(val uint32) {
	if val < MaskMax {
		m.Bits[val>>5] &^= 1 << (val & 31)
	}
}

// resetRange clears bits from..to inclusive (snd_mask_reset_range).
func (m *Mask) resetRange(from, to uint32) {
	if to >= MaskMax {
		to = MaskMax - 1
	}
	for i := from; i <= to; i++ {
		m.Bits[i>>5] &^= 1 << (i & 31)
	}
}

// Test reports whether bit val is set (snd_mask_test).
func (m *Mask) Test(val uint32) bool {
	return val < MaskMax && m.Bits[val>>5]&(1<<(val&31)) != 0
}

// leave keeps only bit val, if it was set (snd_mask_leave).
func (m *Mask) leave(val uint32) {
	var v uint32
	if val < MaskMax {
		v = m.Bits[val>>5] & (1 << (val & 31))
	}
	m.None()
	if val < MaskMax {
		m.Bits[val>>5] = v
	}
}

// intersect is snd_mask_intersect.
func (m *Mask) intersect(v *Mask) {
	for i := 0; i < maskWords; i++ {
		m.Bits[i] &= v.Bits[i]
	}
}

// eq is snd_mask_eq (used bits only).
func (m *Mask) eq(v *Mask) bool {
	for i := 0; i < maskWords; i++ {
		if m.Bits[i] != v.Bits[i] {
			return false
		}
	}
	return true
}

// Single reports whether exactly one used bit is set, or none
// (snd_mask_single: an empty mask also counts as single, as in the kernel).
func (m *Mask) Single() bool {
	c := 0
	for i := 0; i < maskWords; i++ {
		w := m.Bits[i]
		if w == 0 {
			continue
		}
		if w&(w-1) != 0 || c != 0 {
			return false
		}
		c++
	}
	return true
}

// Value is the value of a single mask (snd_mask_value = snd_mask_min).
func (m *Mask) Value() uint32 { return m.Min() }

// Count is the number of used bits set.
func (m *Mask) Count() int {
	n := 0
	for i := 0; i < maskWords; i++ {
		n += bits.OnesCount32(m.Bits[i])
	}
	return n
}

// The refine operations return, as the kernel's, 1 if the mask changed, 0 if
// not, and a negative value (-EINVAL) if the mask became empty.

// refine intersects m with v (snd_mask_refine).
func (m *Mask) refine(v *Mask) int {
	old := *m
	m.intersect(v)
	if m.IsEmpty() {
		return -1
	}
	if m.eq(&old) {
		return 0
	}
	return 1
}

// refineFirst keeps only the lowest bit (snd_mask_refine_first).
func (m *Mask) refineFirst() int {
	if m.Single() {
		return 0
	}
	m.leave(m.Min())
	return 1
}

// refineLast keeps only the highest bit (snd_mask_refine_last).
func (m *Mask) refineLast() int {
	if m.Single() {
		return 0
	}
	m.leave(m.Max())
	return 1
}

// refineMin drops the bits below val (snd_mask_refine_min).
func (m *Mask) refineMin(val uint32) int {
	if m.Min() >= val {
		return 0
	}
	m.resetRange(0, val-1)
	if m.IsEmpty() {
		return -1
	}
	return 1
}

// refineMax drops the bits above val (snd_mask_refine_max).
func (m *Mask) refineMax(val uint32) int {
	if m.Max() <= val {
		return 0
	}
	m.resetRange(val+1, maskBits)
	if m.IsEmpty() {
		return -1
	}
	return 1
}

// refineSet keeps only val (snd_mask_refine_set).
func (m *Mask) refineSet(val uint32) int {
	changed := 0
	if !m.Single() {
		changed = 1
	}
	m.leave(val)
	if m.IsEmpty() {
		return -1
	}
	return changed
}
