package pcm

import (
	"syscall"
	"time"
)

// This file holds the pointer ioctls of pcm_native.c: hwsync, delay,
// status, rewind, forward and sync_ptr, plus MMapCommit for clients that
// write the mmapped buffer directly.

// doHWSyncLocked is do_pcm_hwsync. Precondition: mu held.
func (s *Substream) doHWSyncLocked() error {
	switch s.state {
	case StateDraining:
		if !s.playback() {
			return Errorf(syscall.EBADFD, "hwsync: capture is DRAINING")
		}
		return s.updateHWPtrLocked()
	case StateRunning:
		return s.updateHWPtrLocked()
	case StatePrepared, StatePaused:
		return nil
	case StateSuspended:
		return Errorf(syscall.ESTRPIPE, "hwsync: stream is SUSPENDED")
	case StateXRun:
		return Errorf(syscall.EPIPE, "hwsync: stream is in XRUN")
	}
	return Errorf(syscall.EBADFD, "hwsync: stream is %v", s.state)
}

// HWSync brings hw_ptr up to date (SNDRV_PCM_IOCTL_HWSYNC,
// snd_pcm_hwsync); the status page shows it.
//
// Errors: EBADFD unless PREPARED, RUNNING, PAUSED or playback DRAINING;
// EPIPE in XRUN (also when this update found the xrun); ESTRPIPE in
// SUSPENDED.
func (s *Substream) HWSync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openHWSyncLocked()
}

// openHWSyncLocked checks the stream is open, then does do_pcm_hwsync:
// what every pointer ioctl that syncs first (HWSync, Delay, Avail,
// Rewind, Forward) starts with. Precondition: mu held.
func (s *Substream) openHWSyncLocked() error {
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	return s.doHWSyncLocked()
}

// calcDelayLocked is snd_pcm_calc_delay (runtime->delay is 0 in vsnd).
// Precondition: mu held.
func (s *Substream) calcDelayLocked() int64 {
	if s.playback() {
		return s.hwAvailLocked()
	}
	return int64(s.captureAvailLocked())
}

// Delay returns the frames between the application and the "speaker"
// (SNDRV_PCM_IOCTL_DELAY, snd_pcm_delay): for playback the queued frames
// (negative after an underrun overshoot), for capture the frames ready.
// Errors: as HWSync.
func (s *Substream) Delay() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openHWSyncLocked(); err != nil {
		return 0, err
	}
	return s.calcDelayLocked(), nil
}

// Avail brings hw_ptr up to date and returns the frames that can be
// written (playback) or read (capture) now, as alsa-lib's snd_pcm_avail
// does with HWSYNC. Errors: as HWSync.
func (s *Substream) Avail() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openHWSyncLocked(); err != nil {
		return 0, err
	}
	return s.availLocked(), nil
}

// Status reports the runtime (SNDRV_PCM_IOCTL_STATUS, snd_pcm_status64)
// and vsnd's counters. It refreshes hw_ptr of a running stream and resets
// avail_max. Tstamp and AudioTstamp are filled only with
// SWParams.TstampMode = TstampEnable, as in the kernel.
//
// Errors: EBADFD if not open or DISCONNECTED.
func (s *Substream) Status() (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return Status{}, err
	}
	st := Status{State: s.state, SuspendedState: s.suspendedState}
	if s.state == StateOpen || !s.hasCfg {
		return st, nil
	}
	st.TriggerTstamp = s.triggerTstamp
	if s.running() {
		s.updateHWPtrLocked()
		if s.tstampMode == TstampEnable {
			st.Tstamp, st.AudioTstamp = s.tstamp, s.audioTstamp
		}
	} else if s.tstampMode == TstampEnable {
		st.Tstamp = s.now()
	}
	st.State = s.state // the update may have stopped the stream
	st.ApplPtr = s.applPtrLocked()
	st.HWPtr = s.hwPtr
	st.Avail = s.availLocked()
	if s.running() {
		st.Delay = s.calcDelayLocked()
	}
	st.AvailMax = s.availMax
	s.availMax = 0
	st.XRuns = s.xruns
	st.SinkOverflow = s.sinkOverflow
	st.SourceUnderrun = s.sourceUnderrun
	return st, nil
}

// Rewind moves appl_ptr back by up to frames, no further than the frames
// queued (SNDRV_PCM_IOCTL_REWIND, snd_pcm_rewind); it returns the frames
// moved. Errors: as HWSync; EINVAL if the result would be >= boundary.
func (s *Substream) Rewind(frames uint64) (uint64, error) {
	if frames == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openHWSyncLocked(); err != nil {
		return 0, err
	}
	// rewind_appl_ptr
	avail := s.hwAvailLocked()
	if avail <= 0 {
		return 0, nil
	}
	frames = min(frames, uint64(avail))
	appl := int64(s.applPtrLocked()) - int64(frames)
	if appl < 0 {
		appl += int64(s.boundary)
	}
	if err := s.applyApplPtrLocked(uint64(appl)); err != nil {
		return 0, err
	}
	return frames, nil
}

// Forward moves appl_ptr ahead by up to frames, no further than avail
// (SNDRV_PCM_IOCTL_FORWARD, snd_pcm_forward); it returns the frames moved.
// Errors: as Rewind.
func (s *Substream) Forward(frames uint64) (uint64, error) {
	if frames == 0 {
		return 0, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.openHWSyncLocked(); err != nil {
		return 0, err
	}
	// forward_appl_ptr
	avail := int64(s.availLocked())
	if avail <= 0 {
		return 0, nil
	}
	frames = min(frames, uint64(avail))
	appl := s.applPtrLocked() + frames
	if appl >= s.boundary {
		appl -= s.boundary
	}
	if err := s.applyApplPtrLocked(appl); err != nil {
		return 0, err
	}
	return frames, nil
}

// SyncPtr flags, SNDRV_PCM_SYNC_PTR_*.
const (
	SyncPtrHWSync   uint32 = 1 << 0 // update hw_ptr first
	SyncPtrAppl     uint32 = 1 << 1 // get appl_ptr instead of setting it
	SyncPtrAvailMin uint32 = 1 << 2 // get avail_min instead of setting it
)

// SyncPtrControl is the control half of struct snd_pcm_sync_ptr.
type SyncPtrControl struct {
	ApplPtr  uint64
	AvailMin uint64
}

// SyncPtrStatus is the status half of struct snd_pcm_sync_ptr.
type SyncPtrStatus struct {
	State          State
	HWPtr          uint64
	Tstamp         time.Duration
	SuspendedState State
	AudioTstamp    time.Duration
}

// SyncPtr is SNDRV_PCM_IOCTL_SYNC_PTR (snd_pcm_sync_ptr), for clients
// that cannot map the status/control pages: optionally hwsync, then set
// (or, with SyncPtrAppl/SyncPtrAvailMin, get) appl_ptr and avail_min in
// c, and return the status. Like the kernel it never starts the stream:
// alsa-lib does that itself with START once start_threshold is reached.
//
// Errors: the HWSync errors with SyncPtrHWSync; EINVAL for appl_ptr >=
// boundary; EBADFD if not open or DISCONNECTED.
func (s *Substream) SyncPtr(flags uint32, c *SyncPtrControl) (SyncPtrStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return SyncPtrStatus{}, err
	}
	if flags&SyncPtrHWSync != 0 {
		if err := s.doHWSyncLocked(); err != nil {
			return SyncPtrStatus{}, err
		}
	}
	if flags&SyncPtrAppl == 0 {
		if err := s.applyApplPtrLocked(c.ApplPtr); err != nil {
			return SyncPtrStatus{}, err
		}
	} else {
		c.ApplPtr = s.applPtrLocked()
	}
	if flags&SyncPtrAvailMin == 0 {
		s.area.SetAvailMin(c.AvailMin)
	} else {
		c.AvailMin = s.area.AvailMin()
	}
	return SyncPtrStatus{State: s.state, HWPtr: s.hwPtr, Tstamp: s.tstamp,
		SuspendedState: s.suspendedState, AudioTstamp: s.audioTstamp}, nil
}

// MMapCommit tells the core that an mmap client moved appl_ptr in the
// control page (vsnd's native face; alsa-lib's snd_pcm_mmap_commit plus
// the start logic of its snd_pcm_write_areas): hw_ptr is brought up to
// date, a PREPARED playback starts once the queued frames reach
// start_threshold, and the stop/wake thresholds are applied as after a
// write.
//
// Errors: EBADFD in OPEN, SETUP, DISCONNECTED; EPIPE in XRUN (also when
// the update finds one); ESTRPIPE in SUSPENDED; EINVAL for appl_ptr >=
// boundary; the start errors.
func (s *Substream) MMapCommit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fileOpCheckLocked(); err != nil {
		return err
	}
	if err := s.accessibleStateLocked(); err != nil {
		return err
	}
	if appl := s.applPtrLocked(); appl >= s.boundary {
		return Errorf(syscall.EINVAL, "appl_ptr %d >= boundary %d", appl, s.boundary)
	}
	if s.running() {
		if err := s.updateHWPtrLocked(); err != nil {
			return err
		}
	}
	if s.playback() && s.state == StatePrepared && s.hwAvailLocked() >= int64(s.startThreshold) {
		return s.startLocked()
	}
	if s.running() {
		return s.updateStateLocked()
	}
	return nil
}

// Poll is snd_pcm_poll: ready reports that a Write (playback) or Read
// (capture) would transfer at least avail_min frames now, in PREPARED,
// RUNNING or PAUSED; a DRAINING capture is ready (with errored set once it
// is empty); every other state is ready and errored (POLLERR), like a
// stream that is not open. wake fires at the next change worth polling
// again for.
func (s *Substream) Poll() (ready, errored bool, wake <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	wake = s.waitChanLocked()
	if !s.opened || !s.hasCfg || s.state == StateDisconnected {
		return true, true, wake
	}
	avail := s.availLocked()
	switch s.state {
	case StateRunning, StatePrepared, StatePaused:
		return avail >= s.availMinLocked(), false, wake
	case StateDraining:
		if !s.playback() {
			return true, avail == 0, wake
		}
		return false, false, wake
	}
	return true, true, wake
}
