package pcm

import "testing"

// iv builds an interval: iv(min, max, flags) where flags holds '(' open
// min, ')' open max, 'i' integer.
func iv(min, max uint32, flags string) Interval {
	i := Interval{Min: min, Max: max}
	for _, f := range flags {
		switch f {
		case '(':
			i.OpenMin = true
		case ')':
			i.OpenMax = true
		case 'i':
			i.Integer = true
		}
	}
	return i
}

// TestIntervalRefine checks snd_interval_refine's handling of open ends and
// the integer flag, case by case as the kernel computes them.
func TestIntervalRefine(t *testing.T) {
	tests := []struct {
		name    string
		i, v    Interval
		want    Interval
		changed int
	}{
		// (2,5] intersected with integer [1,10] is (2,5]; integer closes
		// the open min upward: [3,5].
		{"open min rounds up for integer", iv(1, 10, "i"), iv(2, 5, "("), iv(3, 5, "i"), 1},
		{"no change", iv(3, 5, "i"), iv(0, 100, ""), iv(3, 5, "i"), 0},
		{"open max rounds down for integer", iv(0, 10, ""), iv(0, 8, ")i"), iv(0, 7, "i"), 1},
		// same bound, v open: the end becomes open
		{"same min, v open", iv(4, 9, ""), iv(4, 20, "("), iv(4, 9, "("), 1},
		// a closed point becomes integer but does not count as a change
		{"point becomes integer silently", iv(4, 4, ""), iv(0, 100, ""), iv(4, 4, "i"), 0},
		{"open point stays", iv(2, 3, "()"), iv(0, 100, ""), iv(2, 3, "()"), 0},
		{"integer flag alone is a change", iv(2, 4, "()"), iv(0, 100, "i"), iv(3, 3, "i"), 1},
		{"disjoint", iv(5, 5, ""), iv(6, 7, ""), Interval{Min: 6, Max: 5, Integer: true, Empty: true}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := tt.i
			got := i.refine(&tt.v)
			if got != tt.changed {
				t.Errorf("changed = %d, want %d", got, tt.changed)
			}
			if got >= 0 && i != tt.want {
				t.Errorf("refine(%+v, %+v) = %+v, want %+v", tt.i, tt.v, i, tt.want)
			}
			if got < 0 && !i.Empty {
				t.Errorf("refine failed but interval not empty: %+v", i)
			}
		})
	}
	// open min meeting open max on one point is empty
	i := iv(10, 20, "")
	if got := i.refine(&Interval{Min: 20, Max: 30, OpenMin: true}); got != -1 || !i.Empty {
		t.Errorf("(20,20] refine = %d %+v, want -1 and empty", got, i)
	}
	// refining an empty interval fails (snd_BUG_ON in the kernel)
	e := Interval{Empty: true}
	if e.refine(&Interval{Max: 1}) != -1 {
		t.Error("refine of empty interval succeeded")
	}
}

func TestIntervalArithmetic(t *testing.T) {
	tests := []struct {
		name string
		got  func() Interval
		want Interval
	}{
		// mul: ends multiply, opens and integer combine
		{"mul", func() (c Interval) { a, b := iv(2, 3, "i"), iv(4, 5, "("); intervalMul(&a, &b, &c); return },
			iv(8, 15, "(")},
		{"mul saturates", func() (c Interval) {
			a, b := iv(70000, 70000, "i"), iv(70000, 70000, "i")
			intervalMul(&a, &b, &c)
			return
		},
			iv(uintMax, uintMax, "i")},
		// div: 10/4 = 2.5 -> (2; 20/3 = 6.67 -> 7) ; never integer
		{"div", func() (c Interval) { a, b := iv(10, 20, "i"), iv(3, 4, "i"); intervalDiv(&a, &b, &c); return },
			iv(2, 7, "()")},
		{"div exact", func() (c Interval) { a, b := iv(12, 12, "i"), iv(3, 3, "i"); intervalDiv(&a, &b, &c); return },
			iv(4, 4, "")},
		{"div by zero min", func() (c Interval) { a, b := iv(12, 12, "i"), iv(0, 3, "i"); intervalDiv(&a, &b, &c); return },
			iv(4, uintMax, "")},
		// muldivk: 3*5/2 = 7.5 -> (7, 8)
		{"muldivk", func() (c Interval) { a, b := iv(3, 3, "i"), iv(5, 5, "i"); intervalMulDivK(&a, &b, 2, &c); return },
			iv(7, 8, "()")},
		// mulkdiv: 3*1000/7 = 428.57 -> (428, 429)
		{"mulkdiv", func() (c Interval) { a, b := iv(3, 3, "i"), iv(7, 7, "i"); intervalMulKDiv(&a, 1000, &b, &c); return },
			iv(428, 429, "()")},
		// the period_time rule at 48 kHz: 1024 frames = 21333.33 us
		{"period_time", func() (c Interval) {
			a, b := iv(1024, 1024, "i"), iv(48000, 48000, "i")
			intervalMulKDiv(&a, 1000000, &b, &c)
			return
		}, iv(21333, 21334, "()")},
		{"mulkdiv open b", func() (c Interval) { a, b := iv(4, 8, ""), iv(2, 4, "()"); intervalMulKDiv(&a, 1, &b, &c); return },
			iv(1, 4, "()")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.got(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	var c Interval
	a, e := iv(1, 2, ""), Interval{Empty: true}
	intervalMul(&a, &e, &c)
	if !c.Empty {
		t.Error("mul with empty operand not empty")
	}
}

func TestIntervalRatnum(t *testing.T) {
	clk := []Ratnum{{Num: 12288000, DenMin: 64, DenMax: 1024, DenStep: 1}}
	// 48000 = 12288000/256 exactly.
	i := iv(48000, 48000, "i")
	ret, num, den := intervalRatnum(&i, clk)
	if ret != 0 || num != 12288000 || den != 256 || i != iv(48000, 48000, "i") {
		t.Errorf("48000: ret %d %d/%d %+v", ret, num, den, i)
	}
	// 44100: den 279 gives 44043.01 (diff 15900 at q*den), den 278 gives
	// 44201.4 (diff 28200); the kernel keeps 44100 (inside (44043, 44202))
	// and reports the closer den 279.
	i = iv(44100, 44100, "i")
	ret, num, den = intervalRatnum(&i, clk)
	if ret != 0 || num != 12288000 || den != 279 {
		t.Errorf("44100: ret %d %d/%d", ret, num, den)
	}
	// one divider only: [40000, 50000] collapses to 48000
	one := []Ratnum{{Num: 12288000, DenMin: 256, DenMax: 256, DenStep: 1}}
	i = iv(40000, 50000, "")
	ret, num, den = intervalRatnum(&i, one)
	if ret != 1 || num != 12288000 || den != 256 || i.Min != 48000 || i.Max != 48000 {
		t.Errorf("collapse: ret %d %d/%d %+v", ret, num, den, i)
	}
	// nothing reachable above 100 kHz
	i = iv(100000, 200000, "")
	if ret, _, _ = intervalRatnum(&i, one); ret >= 0 {
		t.Errorf("unreachable: ret %d %+v", ret, i)
	}
}

func TestIntervalListRangesStep(t *testing.T) {
	i := iv(10, 100, "i")
	if r := intervalList(&i, []uint32{5, 20, 50, 200}, 0); r != 1 || i != iv(20, 50, "i") {
		t.Errorf("list: %d %+v", r, i)
	}
	i = iv(10, 100, "i")
	if r := intervalList(&i, []uint32{5, 20, 50, 200}, 1<<2); r != 1 || i != iv(50, 50, "i") {
		t.Errorf("list mask: %d %+v", r, i)
	}
	i = iv(10, 15, "i")
	if r := intervalList(&i, []uint32{5, 20}, 0); r != -1 {
		t.Errorf("list miss: %d %+v", r, i)
	}
	// [10,15] from the first range, [40,60) from the second: union [10,60)
	i = iv(10, 100, "")
	if r := intervalRanges(&i, []Interval{iv(0, 15, ""), iv(40, 60, ")")}, 0); r != 1 || i != iv(10, 60, ")") {
		t.Errorf("ranges: %d %+v", r, i)
	}
	i = iv(10, 100, "i")
	if r := intervalStep(&i, 32); r != 1 || i != iv(32, 96, "i") {
		t.Errorf("step: %d %+v", r, i)
	}
	i = iv(33, 60, "i")
	if r := intervalStep(&i, 32); r != -1 {
		t.Errorf("step empty: %d %+v", r, i)
	}
}

func TestIntervalFirstLast(t *testing.T) {
	tests := []struct {
		in, first, last Interval
	}{
		{iv(2, 10, "i"), iv(2, 2, "i"), iv(10, 10, "i")},
		// (2,10]: first is (2,3] (the single value 3), last [10,10]
		{iv(2, 10, "("), iv(2, 3, "("), iv(10, 10, "")},
		// [2,10): first [2,2]; last [9,10) (the single value 9)
		{iv(2, 10, ")"), iv(2, 2, ""), iv(9, 10, ")")},
	}
	for _, tt := range tests {
		f, l := tt.in, tt.in
		if f.refineFirst() != 1 || f != tt.first {
			t.Errorf("first of %+v = %+v, want %+v", tt.in, f, tt.first)
		}
		if l.refineLast() != 1 || l != tt.last {
			t.Errorf("last of %+v = %+v, want %+v", tt.in, l, tt.last)
		}
		if !f.Single() || !l.Single() {
			t.Errorf("first/last of %+v not single", tt.in)
		}
	}
	p := iv(3, 4, "(")
	if p.refineFirst() != 0 || p.Value() != 4 {
		t.Errorf("single (3,4]: %+v value %d", p, p.Value())
	}
}

func TestIntervalString(t *testing.T) {
	for _, tt := range []struct {
		i    Interval
		dump string
		rs   string
	}{
		{iv(0, uintMax, ""), "ALL", "0..4294967295"},
		{iv(48000, 48000, "i"), "48000", "48000"},
		{iv(8000, 384000, ""), "[8000 384000]", "8000..384000"},
		{iv(333, 334, "()"), "(333 334)", "(333 334)"},
		{Interval{Empty: true}, "NONE", "nothing"},
	} {
		if got := string(appendInterval(nil, &tt.i)); got != tt.dump {
			t.Errorf("dump %+v = %q, want %q", tt.i, got, tt.dump)
		}
		if got := rangeString(&tt.i); got != tt.rs {
			t.Errorf("rangeString %+v = %q, want %q", tt.i, got, tt.rs)
		}
	}
}
