package pcm

import "testing"

func mk(vals ...uint32) Mask {
	var m Mask
	for _, v := range vals {
		m.Set(v)
	}
	return m
}

func TestMask(t *testing.T) {
	m := mk(3, 5, 40)
	if m.Min() != 3 || m.Max() != 40 || m.Single() || m.IsEmpty() || m.Count() != 3 {
		t.Errorf("min %d max %d single %v", m.Min(), m.Max(), m.Single())
	}
	v := mk(5, 40, 41)
	if r := m.refine(&v); r != 1 || m != mk(5, 40) {
		t.Errorf("refine = %d %v", r, m.Bits[:2])
	}
	if r := m.refine(&v); r != 0 {
		t.Errorf("refine again = %d", r)
	}
	w := mk(1)
	if r := m.refine(&w); r != -1 {
		t.Errorf("refine to empty = %d", r)
	}

	m = mk(3, 5, 40)
	if r := m.refineFirst(); r != 1 || m != mk(3) || !m.Single() || m.Value() != 3 {
		t.Errorf("first: %d %v", r, m.Bits[:2])
	}
	m = mk(3, 5, 40)
	if r := m.refineLast(); r != 1 || m != mk(40) {
		t.Errorf("last: %d %v", r, m.Bits[:2])
	}
	m = mk(3, 5, 40)
	if r := m.refineMin(4); r != 1 || m != mk(5, 40) {
		t.Errorf("min: %d %v", r, m.Bits[:2])
	}
	if r := m.refineMax(39); r != 1 || m != mk(5) {
		t.Errorf("max: %d %v", r, m.Bits[:2])
	}
	if r := m.refineMax(4); r != -1 {
		t.Errorf("max empty: %d", r)
	}
	m = mk(3, 5)
	if r := m.refineSet(5); r != 1 || m != mk(5) {
		t.Errorf("set: %d", r)
	}
	if r := m.refineSet(6); r != -1 {
		t.Errorf("set absent: %d", r)
	}

	// Only the first 64 bits count (SNDRV_MASK_BITS), as in the kernel.
	var a Mask
	a.Any()
	if a.Count() != 64 || a.Bits[2] != 0 {
		t.Errorf("any: %d bits", a.Count())
	}
	hi := mk(100)
	if !hi.IsEmpty() || !hi.Test(100) {
		t.Error("bit 100 should be carried but not counted")
	}
	a.None()
	if !a.IsEmpty() || !a.Single() {
		t.Error("none: empty mask counts as single, as snd_mask_single")
	}
}
