package pcm

import (
	"context"
	"syscall"
	"time"
)

// This file holds the atomic state transitions of sound/core/pcm_native.c:
// each is an action table {pre, do, undo, post} run by actionLocked under
// the stream lock, exactly as snd_pcm_action_single runs struct
// action_ops. vsnd has no linked streams, so trigger_master is always the
// substream itself and the group variants collapse into the single one.

// action mirrors struct action_ops. pre checks the state (-EBADFD...), do
// talks to the driver, undo reverts do when it failed, post commits the
// new state. st is the target state argument of the kernel's actions.
type action struct {
	pre  func(s *Substream, st State) error
	do   func(s *Substream, st State) error
	undo func(s *Substream, st State)
	post func(s *Substream, st State)
}

// actionLocked is snd_pcm_action_single. Precondition: mu held.
func (s *Substream) actionLocked(a *action, st State) error {
	if err := a.pre(s, st); err != nil {
		return err
	}
	if err := a.do(s, st); err != nil {
		if a.undo != nil {
			a.undo(s, st)
		}
		return err
	}
	a.post(s, st)
	return nil
}

// running is snd_pcm_running: the interrupt runs in RUNNING, and in
// DRAINING for playback. Precondition: mu held.
func (s *Substream) running() bool {
	return s.state == StateRunning || (s.state == StateDraining && s.playback())
}

// triggerTstampLocked is snd_pcm_trigger_tstamp. Precondition: mu held.
func (s *Substream) triggerTstampLocked() { s.triggerTstamp = s.now() }

// ---- start (snd_pcm_action_start) ----

var actionStart = action{
	pre: func(s *Substream, st State) error { // snd_pcm_pre_start
		if s.state != StatePrepared {
			return Errorf(syscall.EBADFD, "start: stream is %v, not PREPARED", s.state)
		}
		if s.playback() && !s.playbackDataLocked() {
			return Errorf(syscall.EPIPE, "start: playback has no data queued")
		}
		return s.checkNotReconfiguringLocked()
	},
	do: func(s *Substream, st State) error { // snd_pcm_do_start
		err := s.opts.Driver.Trigger(s, TriggerStart)
		if Errno(err) == syscall.EPIPE {
			// XRUN happened during the start.
			s.setStateLocked(StateXRun)
		}
		return err
	},
	undo: func(s *Substream, st State) { // snd_pcm_undo_start
		s.opts.Driver.Trigger(s, TriggerStop)
		s.stopOperating = true
	},
	post: func(s *Substream, st State) { // snd_pcm_post_start
		s.triggerTstampLocked()
		s.hwPtrTime = s.now()
		s.setStateLocked(st)
		if s.playback() && s.silenceSize > 0 {
			s.playbackSilenceLocked(silenceInit)
		}
	},
}

// checkNotReconfiguringLocked refuses to start the interrupt while
// hw_params, hw_free, prepare or reset runs (accessing < 0): they checked
// the state and then work without the stream lock, and a start in that
// window would run the interrupt on state being freed. The kernel leaves
// this window to the application; vsnd answers EBUSY, as a transfer gets
// in the same window. Precondition: mu held.
func (s *Substream) checkNotReconfiguringLocked() error {
	if s.accessing < 0 {
		return Errorf(syscall.EBUSY, "start: hw_params/hw_free/prepare/reset in progress")
	}
	return nil
}

// startLocked is snd_pcm_start. Precondition: mu held.
func (s *Substream) startLocked() error { return s.actionLocked(&actionStart, StateRunning) }

// Start starts a PREPARED stream (SNDRV_PCM_IOCTL_START,
// snd_pcm_start_lock_irq).
//
// Errors: EBADFD unless PREPARED (or not open / disconnected); EPIPE for
// playback with nothing queued; the driver's trigger error (EPIPE leaves
// the stream in XRUN).
func (s *Substream) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	return s.startLocked()
}

// ---- stop (snd_pcm_action_stop) ----

var actionStop = action{
	pre: func(s *Substream, st State) error { // snd_pcm_pre_stop
		if s.state == StateOpen {
			return Errorf(syscall.EBADFD, "stop: stream is OPEN")
		}
		return nil
	},
	do: func(s *Substream, st State) error { // snd_pcm_do_stop
		if s.running() {
			s.opts.Driver.Trigger(s, TriggerStop)
			s.stopOperating = true
		}
		return nil // unconditionally stop
	},
	post: func(s *Substream, st State) { // snd_pcm_post_stop
		if s.state != st {
			s.triggerTstampLocked()
			s.setStateLocked(st)
		}
		s.wakeAllLocked()
	},
}

// stopLocked is snd_pcm_stop: legal from the interrupt (never waits).
// Precondition: mu held.
func (s *Substream) stopLocked(st State) error { return s.actionLocked(&actionStop, st) }

// xrunLocked is __snd_pcm_xrun. Precondition: mu held.
func (s *Substream) xrunLocked() {
	s.xruns++
	s.triggerTstampLocked()
	s.stopLocked(StateXRun)
}

// Drop stops the stream at once and discards pending frames
// (SNDRV_PCM_IOCTL_DROP, snd_pcm_drop): unpause first, then stop to SETUP.
//
// Errors: EBADFD in OPEN or DISCONNECTED (or not open).
func (s *Substream) Drop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	if s.state == StateOpen {
		return Errorf(syscall.EBADFD, "drop: stream is OPEN")
	}
	if s.state == StatePaused {
		s.pauseLocked(false)
	}
	return s.stopLocked(StateSetup)
}

// XRun forces an xrun (SNDRV_PCM_IOCTL_XRUN, snd_pcm_xrun).
//
// Errors: EBADFD unless RUNNING or already XRUN (0).
func (s *Substream) XRun() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	switch s.state {
	case StateXRun:
		return nil // already there
	case StateRunning:
		s.xrunLocked()
		return nil
	}
	return Errorf(syscall.EBADFD, "xrun: stream is %v", s.state)
}

// ---- pause (snd_pcm_action_pause) ----

// The target state argument of the pause action encodes push (PAUSED)
// or release (RUNNING).
var actionPause = action{
	pre: func(s *Substream, st State) error { // snd_pcm_pre_pause
		if s.opts.Hardware.Info&InfoPause == 0 {
			return Errorf(syscall.ENOSYS, "pause: the hardware cannot pause")
		}
		if st == StatePaused {
			if s.state != StateRunning {
				return Errorf(syscall.EBADFD, "pause push: stream is %v, not RUNNING", s.state)
			}
		} else if s.state != StatePaused {
			return Errorf(syscall.EBADFD, "pause release: stream is %v, not PAUSED", s.state)
		}
		return nil
	},
	do: func(s *Substream, st State) error { // snd_pcm_do_pause
		if st == StatePaused {
			// Some drivers use hw_ptr to recover from the pause.
			s.updateHWPtrLocked()
		}
		// Skip the "double acknowledged interrupt" check once.
		s.hwPtrTime = s.now() - time.Hour
		if st == StatePaused {
			return s.opts.Driver.Trigger(s, TriggerPausePush)
		}
		return s.opts.Driver.Trigger(s, TriggerPauseRelease)
	},
	undo: func(s *Substream, st State) { // snd_pcm_undo_pause
		if st == StatePaused {
			s.opts.Driver.Trigger(s, TriggerPauseRelease)
		} else {
			s.opts.Driver.Trigger(s, TriggerPausePush)
		}
	},
	post: func(s *Substream, st State) { // snd_pcm_post_pause
		s.triggerTstampLocked()
		if st == StatePaused {
			s.setStateLocked(StatePaused)
			s.wakeAllLocked()
		} else {
			s.setStateLocked(StateRunning)
		}
	},
}

// pauseLocked is snd_pcm_pause. Precondition: mu held.
func (s *Substream) pauseLocked(push bool) error {
	if push {
		return s.actionLocked(&actionPause, StatePaused)
	}
	return s.actionLocked(&actionPause, StateRunning)
}

// Pause pushes (push=true, RUNNING -> PAUSED) or releases (PAUSED ->
// RUNNING) a pause (SNDRV_PCM_IOCTL_PAUSE, snd_pcm_pause).
//
// Errors: ENOSYS without InfoPause; EBADFD from any other state.
func (s *Substream) Pause(push bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	return s.pauseLocked(push)
}

// ---- suspend / resume (snd_pcm_action_suspend, snd_pcm_action_resume) ----

var actionSuspend = action{
	pre: func(s *Substream, st State) error { // snd_pcm_pre_suspend
		switch s.state {
		case StateSuspended:
			return Errorf(syscall.EBUSY, "suspend: already SUSPENDED")
		case StateOpen, StateSetup, StateDisconnected:
			// Unresumable state: EBUSY skips it in snd_pcm_suspend_all.
			return Errorf(syscall.EBUSY, "suspend: nothing to suspend in %v", s.state)
		}
		return nil
	},
	do: func(s *Substream, st State) error { // snd_pcm_do_suspend
		if !s.running() {
			return nil
		}
		s.opts.Driver.Trigger(s, TriggerSuspend)
		s.stopOperating = true
		return nil // suspend unconditionally
	},
	post: func(s *Substream, st State) { // snd_pcm_post_suspend
		s.triggerTstampLocked()
		s.suspendedState = s.state
		s.area.SetSuspendedState(int32(s.state))
		s.setStateLocked(StateSuspended)
		s.wakeAllLocked()
	},
}

// Suspend is the card going to sleep (snd_pcm_suspend_all for one
// substream): a running stream is stopped with TriggerSuspend and the
// state is SUSPENDED, remembering the previous one; then sync_stop.
//
// Errors: EBUSY when there is nothing to suspend (OPEN, SETUP,
// DISCONNECTED, already SUSPENDED; snd_pcm_suspend_all skips these), EBADFD
// if not open.
func (s *Substream) Suspend() error {
	s.mu.Lock()
	if !s.opened {
		s.mu.Unlock()
		return Errorf(syscall.EBADFD, "%s is not open", s.opts.Name)
	}
	err := s.actionLocked(&actionSuspend, 0)
	s.mu.Unlock()
	s.syncStop()
	return err
}

var actionResume = action{
	pre: func(s *Substream, st State) error { // snd_pcm_pre_resume
		if s.state != StateSuspended {
			return Errorf(syscall.EBADFD, "resume: stream is %v, not SUSPENDED", s.state)
		}
		if s.opts.Hardware.Info&InfoResume == 0 {
			return Errorf(syscall.ENOSYS, "resume: the hardware cannot resume")
		}
		return nil
	},
	do: func(s *Substream, st State) error { // snd_pcm_do_resume
		// DMA not running previously?
		if s.suspendedState != StateRunning &&
			(s.suspendedState != StateDraining || !s.playback()) {
			return nil
		}
		return s.opts.Driver.Trigger(s, TriggerResume)
	},
	undo: func(s *Substream, st State) { // snd_pcm_undo_resume
		if s.running() {
			s.opts.Driver.Trigger(s, TriggerSuspend)
		}
	},
	post: func(s *Substream, st State) { // snd_pcm_post_resume
		s.triggerTstampLocked()
		s.setStateLocked(s.suspendedState)
	},
}

// Resume returns a SUSPENDED stream to the state it had
// (SNDRV_PCM_IOCTL_RESUME, snd_pcm_resume).
//
// Errors: EBADFD unless SUSPENDED; ENOSYS without InfoResume (the
// application must then prepare, as alsa-lib's snd_pcm_recover does).
func (s *Substream) Resume() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	return s.actionLocked(&actionResume, 0)
}

// ---- drain (snd_pcm_action_drain_init, snd_pcm_drain) ----

var actionDrainInit = action{
	pre: func(s *Substream, st State) error { // snd_pcm_pre_drain_init
		switch s.state {
		case StateOpen, StateDisconnected, StateSuspended:
			return Errorf(syscall.EBADFD, "drain: stream is %v", s.state)
		case StatePrepared:
			return s.checkNotReconfiguringLocked()
		}
		return nil
	},
	do: func(s *Substream, st State) error { // snd_pcm_do_drain_init
		if s.playback() {
			switch s.state {
			case StatePrepared:
				// Start the playback stream if possible.
				if !s.playbackEmptyLocked() {
					actionStart.do(s, StateDraining)
					actionStart.post(s, StateDraining)
				} else {
					s.setStateLocked(StateSetup)
				}
			case StateRunning:
				s.setStateLocked(StateDraining)
			case StateXRun:
				s.setStateLocked(StateSetup)
			}
		} else if s.state == StateRunning {
			// Stop a running capture; keep what is left readable.
			next := StateSetup
			if s.captureAvailLocked() > 0 {
				next = StateDraining
			}
			actionStop.do(s, next)
			actionStop.post(s, next)
		}
		if s.state == StateDraining && s.opts.Hardware.Info&InfoDrainTrigger != 0 {
			return s.opts.Driver.Trigger(s, TriggerDrain)
		}
		return nil
	},
	post: func(s *Substream, st State) {},
}

// Drain plays out what is queued, then stops (SNDRV_PCM_IOCTL_DRAIN,
// snd_pcm_drain). Playback: PREPARED with data starts and drains,
// PREPARED empty or XRUN goes to SETUP, RUNNING drains; Drain waits until
// the stream leaves DRAINING (the interrupt moves it to SETUP when
// avail >= buffer). Capture: a running stream stops, to DRAINING while
// frames are left to read, else SETUP; Drain does not wait.
//
// Errors: EBADFD in OPEN, SUSPENDED, DISCONNECTED; EAGAIN if nonblock
// (after starting the drain: poll for the end); EINTR when ctx ends first;
// EIO when no progress for max(100 ms, buffer*1100/rate ms) (the stream
// is stopped to SETUP); ESTRPIPE if it got suspended meanwhile; ENODEV
// if the card was disconnected meanwhile.
func (s *Substream) Drain(ctx context.Context, nonblock bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	if s.state == StateOpen {
		return Errorf(syscall.EBADFD, "drain: stream is OPEN")
	}
	if s.state == StatePaused {
		s.pauseLocked(false) // resume pause
	}
	if err := s.actionLocked(&actionDrainInit, 0); err != nil {
		return err
	}
	if nonblock {
		// In non-blocking mode the caller polls for the end.
		return Errorf(syscall.EAGAIN, "drain: started, non-blocking")
	}
	for {
		if !(s.playback() && s.running()) {
			return nil // all drained
		}
		tout := 100 * time.Millisecond
		if s.cfg.Rate > 0 {
			t := time.Duration(s.bufferSize*1100/uint64(s.cfg.Rate)) * time.Millisecond
			tout = max(t, tout)
		}
		woke, err := s.sleepLocked(ctx, tout, s.cfg.NoPeriodWakeup)
		if s.state == StateDisconnected {
			return Errorf(syscall.ENODEV, "drain: the card was disconnected")
		}
		if err != nil {
			return err
		}
		if !woke {
			if s.state == StateSuspended {
				return Errorf(syscall.ESTRPIPE, "drain: stream suspended")
			}
			s.logf("playback drain timeout (DMA or IRQ trouble?)")
			s.stopLocked(StateSetup)
			return Errorf(syscall.EIO, "drain: timeout, no progress in %v", tout)
		}
	}
}

// ---- disconnect (snd_pcm_dev_disconnect) ----

// Disconnect is the card going away (snd_pcm_dev_disconnect): a running
// stream stops, the state becomes DISCONNECTED, every waiter wakes, then
// sync_stop and the end of the sink/source run. From then on every
// method but Release fails with EBADFD
// (Drain woken by it: ENODEV). Disconnect of a closed substream does
// nothing.
func (s *Substream) Disconnect() {
	s.mu.Lock()
	if !s.opened {
		s.mu.Unlock()
		return
	}
	if s.running() {
		s.stopLocked(StateDisconnected)
	}
	// To be sure, set the state unconditionally.
	s.setStateLocked(StateDisconnected)
	s.wakeAllLocked()
	s.mu.Unlock()
	s.syncStop()
	// The sink gets what was played, then is closed; the source too.
	s.stopPumps()
}

// sleepLocked waits, with mu released, until woken (wakeAllLocked), ctx
// ends or tout passes on the core's clock without a wake-up. It returns
// woke=false on timeout, and EINTR when ctx ended. infinite disables the
// timeout (no_period_wakeup). The clock may be fake: the timeout is
// checked against it each pollInterval of real time.
// Precondition: mu held; it is held again on return.
func (s *Substream) sleepLocked(ctx context.Context, tout time.Duration, infinite bool) (woke bool, err error) {
	w := s.waitChanLocked()
	deadline := s.now() + tout
	s.mu.Unlock()
	defer s.mu.Lock()
	var tick *time.Ticker
	var tc <-chan time.Time
	if !infinite {
		tick = time.NewTicker(pollInterval)
		defer tick.Stop()
		tc = tick.C
	}
	for {
		select {
		case <-w:
			return true, nil
		case <-ctx.Done():
			return false, Errorf(syscall.EINTR, "interrupted")
		case <-tc:
			if s.now() >= deadline {
				return false, nil
			}
		}
	}
}

// pollInterval is how often (real time) a sleeping waiter re-reads the
// core's clock for its timeout.
const pollInterval = 20 * time.Millisecond
