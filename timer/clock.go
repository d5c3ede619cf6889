package timer

import "time"

// Monotonic is a Clock reading CLOCK_MONOTONIC: the time base of HR
// deadlines and of the kernel's hrtimers.
type Monotonic struct{}

var _ Clock = Monotonic{}

// Now returns CLOCK_MONOTONIC (Clock).
func (Monotonic) Now() time.Duration { return time.Duration(nanotime()) }

// Scaled is a Clock that runs Factor times faster than its base from the
// moment it is created, when it reads 0: Now = (base.Now() - origin) *
// factor. Tests use it to play minutes of audio in seconds.
type Scaled struct {
	base   Clock         // immutable
	origin time.Duration // immutable: base reading at creation
	factor int64         // immutable, >= 1
}

var _ Clock = (*Scaled)(nil)

// NewScaled returns a clock running factor times faster than base; a factor
// below 1 is taken as 1.
func NewScaled(base Clock, factor int64) *Scaled {
	return &Scaled{base: base, origin: base.Now(), factor: max(factor, 1)}
}

// Now returns the scaled time (Clock).
func (s *Scaled) Now() time.Duration { return s.toScaled(s.base.Now()) }

// Factor returns the speed-up.
func (s *Scaled) Factor() int64 { return s.factor }

func (s *Scaled) toScaled(b time.Duration) time.Duration {
	return (b - s.origin) * time.Duration(s.factor)
}

// toBase returns the earliest base time whose scaled reading is >= t.
func (s *Scaled) toBase(t time.Duration) time.Duration {
	f := time.Duration(s.factor)
	q := t / f
	if q*f < t {
		q++
	}
	return s.origin + q
}

// ScaledSource runs the timers of a Source on a Scaled clock: a timer
// started with period Frames/Rate fires every Frames/(Rate*factor) seconds
// of the base, and its callbacks see scaled time. Deadlines stay exact: the
// base timer runs the period Frames/(Rate*factor), so Rate*factor must stay
// below 2^31 (48 kHz allows factors up to 44,000).
type ScaledSource struct {
	*Scaled
	src Source // immutable
}

var _ Source = (*ScaledSource)(nil)

// NewScaledSource wraps src with a clock factor times faster.
func NewScaledSource(src Source, factor int64) *ScaledSource {
	return &ScaledSource{Scaled: NewScaled(src, factor), src: src}
}

// NewTimer returns a stopped timer of the underlying source whose callback
// receives scaled time (Source).
func (s *ScaledSource) NewTimer(cb Callback) Timer {
	st := &scaledTimer{s: s.Scaled}
	if cb != nil {
		st.t = s.src.NewTimer(func(now time.Duration) { cb(s.toScaled(now)) })
	} else {
		st.t = s.src.NewTimer(nil)
	}
	return st
}

type scaledTimer struct {
	s *Scaled // immutable
	t Timer   // immutable
}

// Start arms the timer at scaled time start with the scaled period p: the
// k-th callback is due at base time toBase(start) + Offset'(k) of the
// period Frames/(Rate*factor).
func (t *scaledTimer) Start(start time.Duration, p Period) {
	t.t.Start(t.s.toBase(start), Period{Frames: p.Frames, Rate: p.Rate * t.s.factor})
}

func (t *scaledTimer) Stop()     { t.t.Stop() }
func (t *scaledTimer) SyncStop() { t.t.SyncStop() }
