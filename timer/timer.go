package timer

import (
	"math/bits"
	"time"
)

// Clock reads a monotonic time: CLOCK_MONOTONIC for the real source, a
// hand-driven value for Fake, or a scaled clock. The PCM core reads time only
// through a Clock, so any of them can drive it without touching pcm/.
type Clock interface {
	// Now returns the time elapsed since the clock's fixed origin.
	Now() time.Duration
}

// Period is a rational period of Frames/Rate seconds. Deadlines are derived
// from it as start + k*Frames*1e9/Rate in exact integer arithmetic, so a
// periodic timer never drifts from the sample clock (TIMER-NOTES.md: adding a
// fixed integer-ns interval each time drifts 0.25 ppm at 48 kHz / 64 frames).
type Period struct {
	Frames int64 // frames per period, > 0
	Rate   int64 // frames per second, > 0
}

// Offset returns the exact offset of the k-th period boundary from the start,
// rounded up to the next nanosecond (so a timer never fires before the
// boundary it serves).
func (p Period) Offset(k int64) time.Duration {
	if k <= 0 || p.Frames <= 0 || p.Rate <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(k)*uint64(p.Frames), 1e9)
	q, r := bits.Div64(hi, lo, uint64(p.Rate))
	if r != 0 {
		q++
	}
	return time.Duration(q)
}

// Duration is the nominal length of one period, rounded up.
func (p Period) Duration() time.Duration { return p.Offset(1) }

// Callback is a timer's interrupt handler. It runs on the timer goroutine
// (the "interrupt context"): it must not block, must not call SyncStop on any
// timer, and may call Stop on its own timer. now is the clock reading taken
// at wake-up.
type Callback func(now time.Duration)

// Timer is one stream's periodic interrupt, like the hrtimer of
// sound/drivers/dummy.c.
//
// The contract mirrors dummy_hrtimer_stop / dummy_hrtimer_sync:
//   - Stop never blocks and is legal from inside the callback. A callback
//     that is already running completes; none starts after Stop returns.
//   - SyncStop returns only when no callback of this timer is running, and
//     none will run until the next Start. It must never be called from the
//     timer goroutine, nor while holding a lock the callback takes.
type Timer interface {
	// Start arms the timer: the k-th callback is due at start+p.Offset(k),
	// k = 1, 2, ... A callback that finds itself more than one period late
	// runs once and the schedule skips to the next future boundary (the
	// period_elapsed contract: once, even if several periods passed).
	Start(start time.Duration, p Period)
	// Stop disarms the timer without waiting.
	Stop()
	// SyncStop waits until the timer's callback has returned.
	// Both sources detect a call from the timer's own callback: they stop
	// the timer, log ErrSyncStopInCallback and return without waiting.
	SyncStop()
}

// Source is the clock plus the interrupt source built on it.
type Source interface {
	Clock
	// NewTimer returns a stopped timer that calls cb on each period.
	NewTimer(cb Callback) Timer
}
