package pcm

import (
	"log"
	"math/bits"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// This file is vsnd's virtual sound card driver, modelled on the hrtimer
// backend of sound/drivers/dummy.c (dummy_hrtimer_ops): a timer fires at
// every period boundary and its callback calls PeriodElapsed; the position
// is the clock time elapsed since start (minus paused time) times the
// rate, modulo the buffer, never a count of periods, so it cannot drift.

// NewVirtualDriver returns a driver whose interrupt is a timer of src and
// whose position comes from src's clock.
func NewVirtualDriver(src timer.Source) Driver { return &virtualDriver{src: src} }

type virtualDriver struct {
	src timer.Source // immutable
}

var _ Driver = (*virtualDriver)(nil)

// vstream is the per-run state, dummy's struct dummy_hrtimer_pcm:
// allocated by HWParams, released by HWFree/Close. The timer callback
// still reads it after PeriodElapsed returns, as dummy_hrtimer_callback
// reads dpcm after snd_pcm_period_elapsed; only sync_stop makes that safe.
type vstream struct {
	sub    *Substream   // immutable
	tm     timer.Timer  // immutable
	period timer.Period // immutable
	rate   uint64       // immutable
	buffer uint64       // immutable

	// Guarded by the stream lock (Trigger and Pointer run under it).
	running bool
	start   time.Duration // clock time at which the position was 0
	elapsed time.Duration // time played before the current pause

	// released is set when HWFree/Close gives the state up; gen changes
	// when Prepare reinitializes it. The callback checks both after
	// PeriodElapsed: the use-after-free detector. Atomic.
	released atomic.Bool
	gen      atomic.Uint64
	irqs     atomic.Uint64 // callbacks run
}

// virtualUseAfterFree counts timer callbacks that touched released or
// reinitialized per-run state: each is a use-after-free the kernel's
// sync_stop exists to prevent. It must stay 0.
var virtualUseAfterFree atomic.Uint64

// VirtualUseAfterFree returns the detector's count (for health checks).
func VirtualUseAfterFree() uint64 { return virtualUseAfterFree.Load() }

// afterPeriodElapsedHook, when set, runs in the callback between
// PeriodElapsed and the detector's check, to widen the window. Test-only.
var afterPeriodElapsedHook atomic.Pointer[func()]

func (d *virtualDriver) state(s *Substream) *vstream {
	v, _ := s.DriverData().(*vstream)
	return v
}

// Open is dummy_pcm_open: nothing to allocate before hw_params.
func (d *virtualDriver) Open(s *Substream) error { return nil }

// Close releases what HWFree did not (dummy_pcm_close).
func (d *virtualDriver) Close(s *Substream) error { return d.HWFree(s) }

// HWParams allocates the run's state and its timer (dummy_hrtimer_create
// + dummy_hrtimer_prepare's period computation).
func (d *virtualDriver) HWParams(s *Substream, c Config) error {
	d.HWFree(s) // hw_params again without hw_free
	v := &vstream{sub: s, rate: uint64(c.Rate), buffer: uint64(c.BufferSize),
		period: timer.Period{Frames: int64(c.PeriodSize), Rate: int64(c.Rate)}}
	v.tm = d.src.NewTimer(v.callback)
	s.SetDriverData(v)
	return nil
}

// HWFree gives the run's state up. It does not wait for the timer: the
// core's sync_stop did, if a stop happened.
func (d *virtualDriver) HWFree(s *Substream) error {
	if v := d.state(s); v != nil {
		s.SetDriverData(nil)
		v.tm.Stop()
		v.released.Store(true)
	}
	return nil
}

// Prepare resets the position (dummy_hrtimer_prepare).
func (d *virtualDriver) Prepare(s *Substream) error {
	if v := d.state(s); v != nil {
		v.gen.Add(1)
		s.mu.Lock() // the fields below are read by Pointer under it
		v.start, v.elapsed, v.running = 0, 0, false
		s.mu.Unlock()
	}
	return nil
}

// Trigger starts and stops the timer (dummy_hrtimer_start/stop). Called
// with the stream lock; never blocks: Stop does not wait for a running
// callback, even from inside it.
func (d *virtualDriver) Trigger(s *Substream, cmd TriggerCmd) error {
	v := d.state(s)
	if v == nil {
		return Errorf(syscall.EINVAL, "virtual: trigger without hw_params")
	}
	now := d.src.Now()
	switch cmd {
	case TriggerStart:
		v.start, v.elapsed = now, 0
		v.arm(now)
	case TriggerPauseRelease, TriggerResume:
		v.start = now - v.elapsed
		v.arm(now)
	case TriggerStop:
		v.tm.Stop()
		v.running = false
	case TriggerPausePush, TriggerSuspend:
		v.elapsed = now - v.start
		v.tm.Stop()
		v.running = false
	case TriggerDrain:
	default:
		return Errorf(syscall.EINVAL, "virtual: unknown trigger %d", cmd)
	}
	return nil
}

// arm starts the timer so that it fires when the position crosses the
// next period boundary. Precondition: stream lock held.
func (v *vstream) arm(now time.Duration) {
	v.running = true
	k := int64(v.framesAt(now) / uint64(v.period.Frames))
	v.tm.Start(v.start+v.period.Offset(k), v.period)
}

// framesAt is the frames played at clock time now: elapsed * rate,
// rounded down. Precondition: stream lock held.
func (v *vstream) framesAt(now time.Duration) uint64 {
	el := v.elapsed
	if v.running {
		el = now - v.start
	}
	if el <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(el), v.rate)
	if hi >= uint64(time.Second) {
		return 0 // ~1.6e9 years; unreachable
	}
	q, _ := bits.Div64(hi, lo, uint64(time.Second))
	return q
}

// Pointer is dummy_hrtimer_pointer. Called with the stream lock.
func (d *virtualDriver) Pointer(s *Substream) int {
	v := d.state(s)
	if v == nil {
		return 0
	}
	return int(v.framesAt(d.src.Now()) % v.buffer)
}

// SyncStop is dummy_hrtimer_sync: wait until the callback is not running.
func (d *virtualDriver) SyncStop(s *Substream) {
	if v := d.state(s); v != nil {
		v.tm.SyncStop()
	}
}

// callback is dummy_hrtimer_callback: the interrupt.
func (v *vstream) callback(now time.Duration) {
	gen := v.gen.Load()
	v.sub.PeriodElapsed()
	if h := afterPeriodElapsedHook.Load(); h != nil {
		(*h)()
	}
	// dummy_hrtimer_callback goes on using dpcm here (hrtimer_forward_now).
	if v.released.Load() || v.gen.Load() != gen {
		if n := virtualUseAfterFree.Add(1); n&(n-1) == 0 {
			log.Printf("pcm %s: BUG: virtual timer callback used released stream state (%d times): sync_stop missing", v.sub.opts.Name, n)
		}
	}
	v.irqs.Add(1)
}
