package timer

import (
	"testing"
	"time"
)

func TestMonotonicAdvances(t *testing.T) {
	a := Monotonic{}.Now()
	time.Sleep(time.Millisecond)
	if b := (Monotonic{}).Now(); b-a < time.Millisecond {
		t.Fatalf("CLOCK_MONOTONIC advanced %v over a 1 ms sleep", b-a)
	}
}

func TestScaledSourceOnFake(t *testing.T) {
	f := NewFake()
	f.Set(5 * time.Second)
	s := NewScaledSource(f, 10)
	if s.Now() != 0 {
		t.Fatalf("scaled clock starts at %v, want 0", s.Now())
	}
	var calls []time.Duration
	tm := s.NewTimer(func(now time.Duration) { calls = append(calls, now) })
	tm.Start(0, Period{Frames: 48, Rate: 48000}) // 1 ms scaled = 100 us real
	f.Advance(time.Millisecond)                  // 10 ms scaled
	if len(calls) != 10 {
		t.Fatalf("%d callbacks in 10 scaled ms, want 10", len(calls))
	}
	for i, now := range calls {
		if want := time.Duration(i+1) * time.Millisecond; now != want {
			t.Fatalf("call %d at scaled %v, want %v", i, now, want)
		}
	}
	if s.Now() != 10*time.Millisecond {
		t.Fatalf("scaled Now %v, want 10ms", s.Now())
	}
	tm.SyncStop()
	f.Advance(time.Millisecond)
	if len(calls) != 10 {
		t.Fatal("callback after SyncStop")
	}
	// A scaled start time rounds up to the next base nanosecond: start
	// 20ms+5 is base 2ms+1ns, so the first deadline is scaled 21ms+10ns,
	// never earlier than the scaled boundary 21ms+5.
	tm.Start(s.Now()+5, Period{Frames: 48, Rate: 48000})
	f.Advance(100 * time.Microsecond)
	if len(calls) != 10 {
		t.Fatalf("fired %v before the rounded-up deadline", calls[10:])
	}
	f.Advance(1)
	if got, want := calls[len(calls)-1], 21*time.Millisecond+10; len(calls) != 11 || got != want {
		t.Fatalf("after restart: %d calls, last at %v, want 11 at %v", len(calls), got, want)
	}
}
