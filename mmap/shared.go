package mmap

import "sync/atomic"

// The accessors below are the only way the daemon touches the shared
// pages: clients read and write them concurrently through their own
// mappings, so every access is a single atomic load or store of a
// naturally aligned field (the kernel uses READ_ONCE/WRITE_ONCE-style
// plain accesses of aligned words; on x86_64 these compile to the same
// moves).

// HWPtr returns status->hw_ptr.
func (a *Area) HWPtr() uint64 { return atomic.LoadUint64(&a.status.Load().HWPtr) }

// SetHWPtr stores status->hw_ptr.
func (a *Area) SetHWPtr(v uint64) { atomic.StoreUint64(&a.status.Load().HWPtr, v) }

// State returns status->state (SNDRV_PCM_STATE_*).
func (a *Area) State() int32 { return atomic.LoadInt32(&a.status.Load().State) }

// SetState stores status->state.
func (a *Area) SetState(st int32) { atomic.StoreInt32(&a.status.Load().State, st) }

// SuspendedState returns status->suspended_state.
func (a *Area) SuspendedState() int32 { return atomic.LoadInt32(&a.status.Load().SuspendedState) }

// SetSuspendedState stores status->suspended_state.
func (a *Area) SetSuspendedState(st int32) {
	atomic.StoreInt32(&a.status.Load().SuspendedState, st)
}

// SetTstamp stores status->tstamp and status->audio_tstamp, audio first
// as in update_audio_tstamp (sound/core/pcm_lib.c). Each word is stored
// atomically; like the kernel, the pair is not a single atomic unit.
func (a *Area) SetTstamp(ts, audio Timespec) {
	s := a.status.Load()
	atomic.StoreInt64(&s.AudioTstamp.Sec, audio.Sec)
	atomic.StoreInt64(&s.AudioTstamp.Nsec, audio.Nsec)
	atomic.StoreInt64(&s.Tstamp.Sec, ts.Sec)
	atomic.StoreInt64(&s.Tstamp.Nsec, ts.Nsec)
}

// Tstamp returns status->tstamp and status->audio_tstamp.
func (a *Area) Tstamp() (ts, audio Timespec) {
	s := a.status.Load()
	ts = Timespec{atomic.LoadInt64(&s.Tstamp.Sec), atomic.LoadInt64(&s.Tstamp.Nsec)}
	audio = Timespec{atomic.LoadInt64(&s.AudioTstamp.Sec), atomic.LoadInt64(&s.AudioTstamp.Nsec)}
	return ts, audio
}

// ApplPtr returns control->appl_ptr, which a client may have just written.
func (a *Area) ApplPtr() uint64 { return atomic.LoadUint64(&a.control.Load().ApplPtr) }

// SetApplPtr stores control->appl_ptr.
func (a *Area) SetApplPtr(v uint64) { atomic.StoreUint64(&a.control.Load().ApplPtr, v) }

// AvailMin returns control->avail_min.
func (a *Area) AvailMin() uint64 { return atomic.LoadUint64(&a.control.Load().AvailMin) }

// SetAvailMin stores control->avail_min.
func (a *Area) SetAvailMin(v uint64) { atomic.StoreUint64(&a.control.Load().AvailMin, v) }
