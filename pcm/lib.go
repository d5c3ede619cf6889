package pcm

import (
	"math/bits"
	"syscall"
	"time"
)

// This file mirrors the pointer half of sound/core/pcm_lib.c:
// snd_pcm_period_elapsed, snd_pcm_update_hw_ptr0, snd_pcm_update_state,
// snd_pcm_playback_silence and the avail helpers of include/sound/pcm.h.
// Every function here runs with the stream lock held.

// applPtrLocked reads control->appl_ptr from the control page: a client
// that mmapped it may have moved it. Precondition: mu held.
func (s *Substream) applPtrLocked() uint64 { return s.area.ApplPtr() }

// playbackAvailLocked is snd_pcm_playback_avail: free frames.
// Precondition: mu held.
func (s *Substream) playbackAvailLocked() uint64 {
	avail := int64(s.hwPtr+s.bufferSize) - int64(s.applPtrLocked())
	if avail < 0 {
		avail += int64(s.boundary)
	} else if uint64(avail) >= s.boundary {
		avail -= int64(s.boundary)
	}
	return uint64(avail)
}

// captureAvailLocked is snd_pcm_capture_avail: frames ready to read.
// Precondition: mu held.
func (s *Substream) captureAvailLocked() uint64 {
	avail := int64(s.hwPtr) - int64(s.applPtrLocked())
	if avail < 0 {
		avail += int64(s.boundary)
	}
	return uint64(avail)
}

// availLocked is snd_pcm_avail. Precondition: mu held.
func (s *Substream) availLocked() uint64 {
	if s.playback() {
		return s.playbackAvailLocked()
	}
	return s.captureAvailLocked()
}

// hwAvailLocked is snd_pcm_hw_avail: frames queued for (playback) or
// room left in (capture) the hardware. Precondition: mu held.
func (s *Substream) hwAvailLocked() int64 {
	return int64(s.bufferSize) - int64(s.availLocked())
}

// playbackDataLocked is snd_pcm_playback_data. Precondition: mu held.
func (s *Substream) playbackDataLocked() bool {
	if s.stopThreshold >= s.boundary {
		return true
	}
	return s.playbackAvailLocked() < s.bufferSize
}

// playbackEmptyLocked is snd_pcm_playback_empty. Precondition: mu held.
func (s *Substream) playbackEmptyLocked() bool {
	return s.playbackAvailLocked() >= s.bufferSize
}

// PeriodElapsed is snd_pcm_period_elapsed: the driver's interrupt calls it
// (without the stream lock) when a period boundary passed. It takes the
// stream lock, updates hw_ptr, moves played/recorded frames between the
// buffer and the sink/source FIFOs, and may stop the stream (xrun, end of
// drain) from inside the interrupt. Calling it for a stream that is not
// running does nothing.
func (s *Substream) PeriodElapsed() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opened || !s.hasCfg || !s.running() {
		return
	}
	s.updateHWPtr0Locked(true)
}

// updateHWPtrLocked is snd_pcm_update_hw_ptr (process context).
// Precondition: mu held.
func (s *Substream) updateHWPtrLocked() error { return s.updateHWPtr0Locked(false) }

// updateHWPtr0Locked is snd_pcm_update_hw_ptr0. It returns EPIPE when the
// stream stopped (xrun or end of drain). Precondition: mu held.
func (s *Substream) updateHWPtr0Locked(inInterrupt bool) error {
	old := s.hwPtr
	pos := uint64(0)
	if p := s.opts.Driver.Pointer(s); p >= 0 {
		pos = uint64(p)
	}
	now := s.now()
	if pos >= s.bufferSize {
		if s.hwPtrErrorLocked() {
			s.logf("(%d times) invalid position: pos=%d, buffer=%d, period=%d", s.hwPtrErrors, pos, s.bufferSize, s.periodSize)
		}
		pos = 0
	}
	hwBase := s.hwPtrBase
	newHW := hwBase + pos
	crossed := false
	wrapBase := func() {
		hwBase += s.bufferSize
		if hwBase >= s.boundary {
			hwBase = 0
			crossed = true
		}
		newHW = hwBase + pos
	}
	doubleAck := false
	if inInterrupt {
		// We know that one period was processed: a position short of the
		// expected one after more than half a buffer time means the
		// buffer wrapped meanwhile ("double acknowledged interrupts").
		expected := s.hwPtrInterrupt + s.periodSize
		if expected > newHW && now-s.hwPtrTime > s.bufferTime()/2+time.Millisecond {
			wrapBase()
			doubleAck = true
		}
	}
	// new_hw_ptr is lower than old_hw_ptr when the pointer crossed the end
	// of the ring buffer.
	if !doubleAck && newHW < old {
		wrapBase()
	}
	delta := int64(newHW) - int64(old)
	if delta < 0 {
		delta += int64(s.boundary)
	}
	if !s.cfg.NoPeriodWakeup {
		// Something must be really wrong.
		if uint64(delta) >= s.bufferSize+s.periodSize {
			if s.hwPtrErrorLocked() {
				s.logf("(%d times) Unexpected hw_ptr: pos=%d, new_hw_ptr=%d, old_hw_ptr=%d", s.hwPtrErrors, pos, newHW, old)
			}
			return nil
		}
		if uint64(delta) > s.periodSize+s.periodSize/2 {
			if s.hwPtrErrorLocked() {
				s.logf("(%d times) Lost interrupts?: delta=%d, new_hw_ptr=%d, old_hw_ptr=%d", s.hwPtrErrors, delta, newHW, old)
			}
		}
	}
	if s.hwPtr == newHW {
		s.hwPtrTime = now
		s.updateAudioTstampLocked(now)
		return nil
	}

	// vsnd: hand the frames the pointer passed to the sink, or fill them
	// from the source, before silence may overwrite them.
	s.transferLocked(old, uint64(delta))

	if s.playback() && s.silenceSize > 0 {
		s.playbackSilenceLocked(newHW)
	}
	if inInterrupt {
		d := int64(newHW) - int64(s.hwPtrInterrupt)
		if d < 0 {
			d += int64(s.boundary)
		}
		d -= d % int64(s.periodSize)
		s.hwPtrInterrupt += uint64(d)
		if s.hwPtrInterrupt >= s.boundary {
			s.hwPtrInterrupt -= s.boundary
		}
	}
	s.hwPtrBase = hwBase
	s.hwPtr = newHW
	s.area.SetHWPtr(newHW)
	s.hwPtrTime = now
	if crossed {
		s.hwPtrWrap += s.boundary
	}
	s.updateAudioTstampLocked(now)
	return s.updateStateLocked()
}

// bufferTime is runtime->hw_ptr_buffer_jiffies. Precondition: mu held.
func (s *Substream) bufferTime() time.Duration {
	return time.Duration(s.bufferSize * uint64(time.Second) / uint64(s.cfg.Rate))
}

// hwPtrErrorLocked is hw_ptr_error's rate limit: it counts a report and
// says whether to log it (at powers of two). The caller formats the
// message only then: on a loaded machine "Lost interrupts?" can come with
// every interrupt, and boxing the log arguments each time allocated on
// the interrupt path. Precondition: mu held.
func (s *Substream) hwPtrErrorLocked() (due bool) {
	s.hwPtrErrors++
	n := s.hwPtrErrors
	return n&(n-1) == 0
}

// updateAudioTstampLocked is update_audio_tstamp with the default audio
// timestamp type: audio time from the frame count (hw_ptr_wrap + hw_ptr).
// Precondition: mu held.
func (s *Substream) updateAudioTstampLocked(now time.Duration) {
	if s.tstampMode != TstampEnable {
		return
	}
	s.tstamp = now
	hi, lo := bits.Mul64(s.hwPtrWrap+s.hwPtr, uint64(time.Second))
	if hi < uint64(s.cfg.Rate) {
		q, _ := bits.Div64(hi, lo, uint64(s.cfg.Rate))
		s.audioTstamp = time.Duration(q)
	}
	s.area.SetTstamp(timespecOf(s.tstamp), timespecOf(s.audioTstamp))
}

// updateStateLocked is snd_pcm_update_state: end of drain, xrun at
// stop_threshold, wake-ups at avail_min (or at the blocked transfer's
// threshold). It returns EPIPE when it stopped the stream.
// Precondition: mu held.
func (s *Substream) updateStateLocked() error {
	avail := s.availLocked()
	if avail > s.availMax {
		s.availMax = avail
	}
	if s.state == StateDraining {
		if avail >= s.bufferSize {
			s.stopLocked(StateSetup) // snd_pcm_drain_done
			return Errorf(syscall.EPIPE, "drain done")
		}
	} else if avail >= s.stopThreshold {
		s.xrunLocked()
		return Errorf(syscall.EPIPE, "xrun: avail %d >= stop_threshold %d", avail, s.stopThreshold)
	}
	if s.twake != 0 {
		if avail >= s.twake {
			s.wakeAllLocked()
		}
	} else if avail >= s.availMinLocked() {
		s.wakeAllLocked()
	}
	return nil
}

// silenceInit is the ULONG_MAX argument of snd_pcm_playback_silence:
// initialize instead of following a pointer update.
const silenceInit = ^uint64(0)

// playbackSilenceLocked is snd_pcm_playback_silence (kernel >= 6.5):
// keep silence_threshold frames of silence ahead of appl_ptr, or, with
// silence_size >= boundary, silence what was just played.
// Precondition: mu held.
func (s *Substream) playbackSilenceLocked(newHW uint64) {
	var frames uint64
	if s.silenceSize < s.boundary {
		appl := s.applPtrLocked()
		s.updateSilenceVarsLocked(s.silenceStart, appl)
		if newHW == silenceInit {
			newHW = s.hwPtr
		}
		// hw_avail with the boundary crossing
		noiseDist := int64(appl) - int64(newHW)
		if noiseDist < 0 {
			noiseDist += int64(s.boundary)
		}
		noiseDist += int64(s.silenceFilled)
		if noiseDist >= int64(s.silenceThreshold) {
			return
		}
		frames = s.silenceThreshold - uint64(noiseDist)
		frames = min(frames, s.silenceSize)
	} else {
		// Free-running mode (dmix), which does not move appl_ptr.
		hw := s.hwPtr
		if newHW == silenceInit {
			avail := int64(s.applPtrLocked()) - int64(hw)
			if avail < 0 {
				avail += int64(s.boundary)
			}
			s.silenceFilled = 0
			if uint64(avail) <= s.bufferSize {
				s.silenceFilled = uint64(avail)
			}
			s.silenceStart = hw
		} else {
			// Silence the just played area immediately.
			s.updateSilenceVarsLocked(hw, newHW)
		}
		frames = s.bufferSize - s.silenceFilled
	}
	if frames == 0 || frames > s.bufferSize {
		return
	}
	ofs := (s.silenceStart + s.silenceFilled) % s.bufferSize
	for frames > 0 {
		n := min(frames, s.bufferSize-ofs)
		s.silenceFramesLocked(ofs, n)
		s.silenceFilled += n
		frames -= n
		ofs = 0
	}
}

// updateSilenceVarsLocked is update_silence_vars. Precondition: mu held.
func (s *Substream) updateSilenceVarsLocked(ptr, newPtr uint64) {
	delta := int64(newPtr) - int64(ptr)
	if delta == 0 {
		return
	}
	if delta < 0 {
		delta += int64(s.boundary)
	}
	if uint64(delta) < s.silenceFilled {
		s.silenceFilled -= uint64(delta)
	} else {
		s.silenceFilled = 0
	}
	s.silenceStart = newPtr
}

// applyApplPtrLocked is pcm_lib_apply_appl_ptr. Precondition: mu held.
func (s *Substream) applyApplPtrLocked(appl uint64) error {
	if s.applPtrLocked() == appl {
		return nil
	}
	if appl >= s.boundary {
		return Errorf(syscall.EINVAL, "appl_ptr %d >= boundary %d", appl, s.boundary)
	}
	s.area.SetApplPtr(appl)
	return nil
}
