package pcm

import (
	"math"
	"sync/atomic"
	"syscall"
)

// This file holds the process-context operations of pcm_native.c that
// reconfigure or reset the buffer: hw_refine, hw_params, hw_free,
// sw_params, prepare, reset, and sync_stop. They run under bufMu (the
// kernel's buffer_mutex via snd_pcm_buffer_access_lock) and call the
// driver's non-atomic ops without the stream lock.

// debugDisableSyncStop turns syncStop into a no-op: the negative twin of
// the sync_stop stress test uses it to prove the detector sees the
// use-after-free the kernel's sync_stop prevents. Test-only.
var debugDisableSyncStop atomic.Bool

// syncStop is snd_pcm_sync_stop: if a stop happened since the last call,
// wait (Driver.SyncStop) until the interrupt cannot be running any more.
// Precondition: mu NOT held; never called from the interrupt.
func (s *Substream) syncStop() {
	s.mu.Lock()
	need := s.stopOperating
	s.stopOperating = false
	s.mu.Unlock()
	if !need || debugDisableSyncStop.Load() {
		return
	}
	s.opts.Driver.SyncStop(s)
}

// bufferAccessLock is snd_pcm_buffer_access_lock: EBUSY while a transfer
// copies, else take buffer_mutex and keep transfers out (accessing < 0).
func (s *Substream) bufferAccessLock() error {
	s.mu.Lock()
	if s.accessing > 0 {
		s.mu.Unlock()
		return Errorf(syscall.EBUSY, "a read/write is in progress")
	}
	s.accessing--
	s.mu.Unlock()
	s.bufMu.Lock()
	return nil
}

// bufferAccessUnlock is snd_pcm_buffer_access_unlock.
func (s *Substream) bufferAccessUnlock() {
	s.bufMu.Unlock()
	s.mu.Lock()
	s.accessing++
	s.mu.Unlock()
}

// HWRefine narrows p to what the hardware allows
// (SNDRV_PCM_IOCTL_HW_REFINE, snd_pcm_hw_refine). It works in every state
// of an open substream.
//
// Errors: EBADFD if not open or DISCONNECTED; EINVAL if p leaves no
// configuration.
func (s *Substream) HWRefine(p *HWParams) error {
	s.mu.Lock()
	err := s.checkOpenLocked()
	cons := s.cons
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return cons.Refine(p)
}

// HWParams installs a configuration (SNDRV_PCM_IOCTL_HW_PARAMS,
// snd_pcm_hw_params): sync_stop, refine every parameter, choose single
// values, allocate the buffer (zeroed), Driver.HWParams, default sw
// params, state SETUP. p is updated to the chosen configuration. On
// failure the driver's HWFree runs and the state is OPEN.
//
// Errors: EBADFD unless OPEN, SETUP or PREPARED, or while the buffer is
// mmapped (Area pinned); EBUSY while a read/write is in progress; EINVAL
// when p has no valid configuration; ENOMEM for the buffer; the driver's.
func (s *Substream) HWParams(p *HWParams) error {
	if err := s.bufferAccessLock(); err != nil {
		return err
	}
	defer s.bufferAccessUnlock()

	s.mu.Lock()
	err := s.checkOpenLocked()
	if err == nil {
		switch s.state {
		case StateOpen, StateSetup, StatePrepared:
			if s.area.Pinned() > 0 {
				err = Errorf(syscall.EBADFD, "hw_params: the buffer is mmapped")
			}
		default:
			err = Errorf(syscall.EBADFD, "hw_params: stream is %v", s.state)
		}
	}
	cons, area := s.cons, s.area
	s.mu.Unlock()
	if err != nil {
		return err
	}

	s.syncStop()
	// A previous run's sink/source ends here: its configuration is gone.
	s.stopPumps()

	cfg, err := s.chooseConfig(cons, p)
	if err == nil {
		err = s.checkConfig(cfg)
	}
	var dma []byte
	if err == nil {
		dma, err = area.Alloc(cfg.BufferBytes())
	}
	if err == nil {
		err = s.opts.Driver.HWParams(s, cfg)
	}
	if err == nil {
		s.mu.Lock()
		if s.state == StateDisconnected {
			// The card went away while we worked unlocked: keep it so.
			err = Errorf(syscall.ENODEV, "hw_params: the card was disconnected")
		}
		s.mu.Unlock()
	}
	if err != nil {
		// The hardware might be unusable from now on: force the
		// application to set hw_params again.
		s.mu.Lock()
		s.hasCfg, s.dma = false, nil
		if s.state != StateDisconnected {
			s.setStateLocked(StateOpen)
		}
		s.mu.Unlock()
		s.opts.Driver.HWFree(s)
		area.Free()
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.hasCfg, s.cfg, s.dma = true, cfg, dma
	s.fb = cfg.FrameBytes()
	s.bufferSize, s.periodSize = uint64(cfg.BufferSize), uint64(cfg.PeriodSize)
	// Default sw params.
	s.tstampMode, s.tstampType, s.periodStep = TstampNone, 0, 1
	s.area.SetAvailMin(s.periodSize)
	s.startThreshold = 1
	s.stopThreshold = s.bufferSize
	s.silenceThreshold, s.silenceSize = 0, 0
	s.boundary = computeBoundary(s.bufferSize)
	s.hwPtr, s.hwPtrBase, s.hwPtrInterrupt, s.hwPtrWrap = 0, 0, 0, 0
	s.area.SetHWPtr(0)
	s.area.SetApplPtr(0)
	s.silenceStart, s.silenceFilled, s.availMax = 0, 0, 0
	// The buffer is zeroed by Alloc "for avoiding possible kernel info
	// leaks", as snd_pcm_hw_params clears the DMA area.
	s.setStateLocked(StateSetup)
	s.startPumpsLocked()
	return nil
}

// computeBoundary is the kernel's boundary: buffer_size doubled while
// boundary*2 <= LONG_MAX - buffer_size (snd_pcm_hw_params).
func computeBoundary(buffer uint64) uint64 {
	b := buffer
	for b*2 <= math.MaxInt64-buffer {
		b *= 2
	}
	return b
}

// chooseConfig refines p and picks one value per parameter
// (snd_pcm_hw_refine + snd_pcm_hw_params_choose).
func (s *Substream) chooseConfig(cons *Constraints, p *HWParams) (Config, error) {
	p.RMask = ^uint32(0)
	if err := cons.Refine(p); err != nil {
		return Config{}, err
	}
	if err := cons.Choose(p); err != nil {
		return Config{}, err
	}
	return p.Config()
}

// checkConfig rejects configurations the core cannot run, whatever the
// hardware description says.
func (s *Substream) checkConfig(c Config) error {
	if c.Rate <= 0 || c.Channels <= 0 || c.PeriodSize <= 0 || c.BufferSize < c.PeriodSize ||
		!c.Format.Known() || c.Format.Bytes() == 0 {
		return Errorf(syscall.EINVAL, "hw_params: unusable configuration %+v", c)
	}
	return nil
}

// HWFree releases the configuration (SNDRV_PCM_IOCTL_HW_FREE,
// snd_pcm_hw_free): sync_stop, Driver.HWFree, free the buffer, end the
// sink/source run (draining the sink FIFO first), state OPEN.
//
// Errors: EBADFD unless SETUP or PREPARED, or while the buffer is
// mmapped; EBUSY while a read/write is in progress.
func (s *Substream) HWFree() error {
	if err := s.bufferAccessLock(); err != nil {
		return err
	}
	defer s.bufferAccessUnlock()
	s.mu.Lock()
	err := s.checkOpenLocked()
	if err == nil {
		switch s.state {
		case StateSetup, StatePrepared:
			if s.area.Pinned() > 0 {
				err = Errorf(syscall.EBADFD, "hw_free: the buffer is mmapped")
			}
		default:
			err = Errorf(syscall.EBADFD, "hw_free: stream is %v", s.state)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	err = s.doHWFree()
	s.mu.Lock()
	if s.state != StateDisconnected { // disconnected meanwhile: stays so
		s.setStateLocked(StateOpen)
	}
	s.mu.Unlock()
	return err
}

// doHWFree is do_hw_free: sync_stop, the driver's hw_free, free the
// buffer; plus the end of the sink/source run. Precondition: bufMu held,
// mu not held.
func (s *Substream) doHWFree() error {
	s.syncStop()
	s.stopPumps()
	err := s.opts.Driver.HWFree(s)
	s.mu.Lock()
	area := s.area
	s.hasCfg, s.dma = false, nil
	s.mu.Unlock()
	if ferr := area.Free(); ferr != nil {
		s.logf("freeing the buffer: %v", ferr)
	}
	return err
}

// SWParams installs software parameters (SNDRV_PCM_IOCTL_SW_PARAMS,
// snd_pcm_sw_params); p.Boundary is set on return. They apply at once,
// also to a running stream (which may then xrun).
//
// Errors: EBADFD in OPEN or DISCONNECTED; EINVAL for a bad tstamp mode or
// type, avail_min 0, or silence sizes out of range; EPIPE if the new
// thresholds put a running stream in XRUN.
func (s *Substream) SWParams(p *SWParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkConfiguredLocked(); err != nil {
		return err
	}
	if p.TstampMode < TstampNone || p.TstampMode > TstampEnable {
		return Errorf(syscall.EINVAL, "sw_params: bad tstamp_mode %d", p.TstampMode)
	}
	if p.Proto >= protoTstampType && p.TstampType > tstampTypeLast {
		return Errorf(syscall.EINVAL, "sw_params: bad tstamp_type %d", p.TstampType)
	}
	if p.AvailMin == 0 {
		return Errorf(syscall.EINVAL, "sw_params: avail_min is 0")
	}
	if p.SilenceSize >= s.boundary {
		if p.SilenceThreshold != 0 {
			return Errorf(syscall.EINVAL, "sw_params: silence_threshold must be 0 with silence_size >= boundary")
		}
	} else {
		if p.SilenceSize > p.SilenceThreshold {
			return Errorf(syscall.EINVAL, "sw_params: silence_size %d > silence_threshold %d", p.SilenceSize, p.SilenceThreshold)
		}
		if p.SilenceThreshold > s.bufferSize {
			return Errorf(syscall.EINVAL, "sw_params: silence_threshold %d > buffer %d", p.SilenceThreshold, s.bufferSize)
		}
	}
	s.tstampMode = p.TstampMode
	if p.Proto >= protoTstampType {
		s.tstampType = p.TstampType
	}
	s.periodStep = p.PeriodStep
	s.area.SetAvailMin(p.AvailMin)
	s.startThreshold = p.StartThreshold
	s.stopThreshold = p.StopThreshold
	s.silenceThreshold = p.SilenceThreshold
	s.silenceSize = p.SilenceSize
	p.Boundary = s.boundary
	if s.running() {
		if s.playback() && s.silenceSize > 0 {
			s.playbackSilenceLocked(silenceInit)
		}
		return s.updateStateLocked()
	}
	return nil
}

// Prepare makes the stream ready to start (SNDRV_PCM_IOCTL_PREPARE,
// snd_pcm_prepare): from PAUSED release and stop, from SUSPENDED stop to
// SETUP; then sync_stop, Driver.Prepare, reset the pointers,
// appl_ptr = hw_ptr, PREPARED. It recovers from XRUN.
//
// Errors: EBADFD in OPEN or DISCONNECTED; EBUSY while running (RUNNING,
// playback DRAINING) or while a read/write is in progress; the driver's.
func (s *Substream) Prepare() error {
	s.mu.Lock()
	if err := s.checkOpenLocked(); err != nil {
		s.mu.Unlock()
		return err
	}
	switch s.state {
	case StatePaused:
		s.pauseLocked(false)
		s.stopLocked(StateSetup)
	case StateSuspended:
		s.stopLocked(StateSetup)
	}
	s.mu.Unlock()

	// snd_pcm_action_nonatomic(&snd_pcm_action_prepare)
	if err := s.bufferAccessLock(); err != nil {
		return err
	}
	defer s.bufferAccessUnlock()
	s.mu.Lock()
	err := s.prePrepareLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	// snd_pcm_do_prepare
	s.syncStop()
	if err := s.opts.Driver.Prepare(s); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.prePrepareLocked(); err != nil {
		return err // changed state while the driver prepared
	}
	s.doResetLocked()
	// snd_pcm_post_prepare
	s.area.SetApplPtr(s.hwPtr)
	s.setStateLocked(StatePrepared)
	s.availMax = 0
	s.wakeAllLocked()
	return nil
}

// prePrepareLocked is snd_pcm_pre_prepare. Precondition: mu held.
func (s *Substream) prePrepareLocked() error {
	if err := s.checkConfiguredLocked(); err != nil {
		return err
	}
	if s.running() {
		return Errorf(syscall.EBUSY, "prepare: stream is %v", s.state)
	}
	return nil
}

// doResetLocked is snd_pcm_do_reset with snd_pcm_lib_ioctl_reset.
// Precondition: mu held.
func (s *Substream) doResetLocked() {
	if s.running() && s.updateHWPtrLocked() == nil {
		s.hwPtr %= s.bufferSize
	} else {
		s.hwPtr = 0
		s.hwPtrWrap = 0
	}
	s.area.SetHWPtr(s.hwPtr)
	s.hwPtrBase = 0
	s.hwPtrInterrupt = s.hwPtr - s.hwPtr%s.periodSize
	s.silenceStart = s.hwPtr
	s.silenceFilled = 0
}

// Reset discards pending frames without stopping
// (SNDRV_PCM_IOCTL_RESET, snd_pcm_reset): appl_ptr = hw_ptr.
//
// Errors: EBADFD unless RUNNING, PREPARED, PAUSED or SUSPENDED; EBUSY
// while a read/write is in progress.
func (s *Substream) Reset() error {
	s.mu.Lock()
	err := s.checkOpenLocked()
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := s.bufferAccessLock(); err != nil {
		return err
	}
	defer s.bufferAccessUnlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	// snd_pcm_pre_reset
	switch s.state {
	case StateRunning, StatePrepared, StatePaused, StateSuspended:
	default:
		return Errorf(syscall.EBADFD, "reset: stream is %v", s.state)
	}
	s.doResetLocked()
	// snd_pcm_post_reset
	s.area.SetApplPtr(s.hwPtr)
	if s.playback() && s.silenceSize > 0 {
		s.playbackSilenceLocked(silenceInit)
	}
	return nil
}
