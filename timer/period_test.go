package timer

import (
	"math/big"
	"testing"
	"time"
)

// exactOffset is Period.Offset in big integers: ceil(k*Frames*1e9/Rate).
// ok is false when the result does not fit a Duration.
func exactOffset(p Period, k int64) (time.Duration, bool) {
	n := new(big.Int).Mul(big.NewInt(k), big.NewInt(p.Frames))
	n.Mul(n, big.NewInt(1e9))
	q, r := new(big.Int).QuoRem(n, big.NewInt(p.Rate), new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return time.Duration(q.Int64()), q.IsInt64()
}

func TestPeriodOffsetExactOver1e9Periods(t *testing.T) {
	// 64 frames at 48 kHz: every third boundary is a whole 4 ms.
	if got, want := p48k64.Offset(3e9), time.Duration(4e15); got != want {
		t.Fatalf("Offset(3e9) = %d, want %d", got, want)
	}
	if got, want := p48k64.Offset(1e9), time.Duration(1333333333333334); got != want {
		t.Fatalf("Offset(1e9) = %d, want %d", got, want)
	}
	// Adding the rounded-up period 1e9 times would be 0.5 ppm off; Offset is not.
	if drift := time.Duration(1e9)*p48k64.Duration() - p48k64.Offset(1e9); drift != 666666666 {
		t.Fatalf("naive accumulation drift %d ns, want 666666666", drift)
	}
	periods := []Period{p48k64, {256, 48000}, {64, 44100}, {1024, 44100}, {1, 8000}, {7, 96000}, {1 << 30, 1<<31 - 1}}
	ks := []int64{1, 2, 3, 749, 750, 751, 44099, 1e6 + 7, 1e9 - 1, 1e9, 1e9 + 1, 123456789012}
	for _, p := range periods {
		prev := time.Duration(0)
		for _, k := range ks {
			want, ok := exactOffset(p, k)
			if !ok {
				continue
			}
			got := p.Offset(k)
			if got != want {
				t.Errorf("%v.Offset(%d) = %d, want %d", p, k, got, want)
			}
			if got <= prev {
				t.Errorf("%v.Offset(%d) = %d not increasing", p, k, got)
			}
			prev = got
		}
	}
}

func TestPeriodNextAfter(t *testing.T) {
	p := Period{Frames: 1, Rate: 1000} // 1 ms
	const start = 5 * time.Millisecond
	cases := []struct {
		k    int64
		now  time.Duration
		want int64
	}{
		{1, start + 1*time.Millisecond, 2},       // on time
		{1, start + 2*time.Millisecond - 1, 2},   // late, but before the next boundary
		{1, start + 2*time.Millisecond, 3},       // exactly at the next: skip it
		{1, start + 7*time.Millisecond + 300, 8}, // several periods late
		{10, start + 3*time.Millisecond, 11},     // clock behind k: never go back
		{1, 0, 2},                                // now before start
		{2, start + 1234*time.Millisecond, 1235},
	}
	for _, c := range cases {
		got, d := p.nextAfter(start, c.k, c.now)
		if got != c.want {
			t.Errorf("nextAfter(k=%d, now=%v) = %d, want %d", c.k, c.now, got, c.want)
		}
		if want := start + p.Offset(got); d != want {
			t.Errorf("nextAfter(k=%d, now=%v) deadline %v, want %v", c.k, c.now, d, want)
		}
	}
	// Rounded-up offsets: with 64/48000, the first boundary after now is
	// always strictly later than now and the previous one is not.
	for _, now := range []time.Duration{0, 1, 1333333, 1333334, 4e6, 4e6 + 1, 1e12 + 17} {
		k, d := p48k64.nextAfter(0, 0, now)
		if d != p48k64.Offset(k) {
			t.Errorf("nextAfter(now=%d) = %d: deadline %d, want Offset %d", now, k, d, p48k64.Offset(k))
		}
		if p48k64.Offset(k) <= now || (k > 1 && p48k64.Offset(k-1) > now) {
			t.Errorf("nextAfter(now=%d) = %d: Offset %d, previous %d", now, k, p48k64.Offset(k), p48k64.Offset(k-1))
		}
	}
}

// TestFakeNoDriftOneMinute drives a 48 kHz/64-frame timer through one
// minute of fake time: exactly 45,000 periods, the last exactly at 60 s.
func TestFakeNoDriftOneMinute(t *testing.T) {
	f := NewFake()
	var n int64
	var last time.Duration
	tm := f.NewTimer(func(now time.Duration) { n++; last = now })
	tm.Start(0, p48k64)
	for i := 0; i < 60; i++ {
		f.Advance(time.Second)
	}
	if n != 45000 || last != 60*time.Second {
		t.Fatalf("%d periods, last at %v; want 45000 at 1m0s", n, last)
	}
}
