package pcm

import (
	"context"
	"syscall"
	"time"
)

// This file is the transfer half of sound/core/pcm_lib.c
// (__snd_pcm_lib_xfer, wait_for_avail) behind the read/write entry points
// of pcm_native.c (snd_pcm_read, snd_pcm_write, snd_pcm_readv,
// snd_pcm_writev).
//
// vsnd copies between the caller's buffer and the DMA buffer with the
// stream lock held (the kernel drops it around copy_from_user, which may
// fault). A copy is therefore never observed in progress; the kernel's
// buffer_accessing check survives in its other direction: a transfer
// that finds hw_params/hw_free/prepare/reset owning the buffer gets EBUSY.

// Write queues interleaved frames for playback (write(2) on a PCM,
// snd_pcm_write / snd_pcm_lib_write). buf must hold whole frames. It
// returns the frames queued; it blocks until all fit unless nonblock. The
// stream starts once the queued frames reach start_threshold.
//
// Errors (only when no frame was transferred; otherwise the count is
// returned): EBADFD in OPEN, SETUP, DRAINING-capture, DISCONNECTED; EPIPE
// in XRUN (and when the stream xruns or drains while waiting); ESTRPIPE in
// SUSPENDED; EINVAL for a partial frame, a non-RW_INTERLEAVED access with
// more than one channel, a capture substream, or appl_ptr >= boundary;
// EAGAIN if nonblock and nothing fits; EINTR when ctx ends; EIO when no
// room appears for max(10 s, 2 periods); EBUSY while hw_params/hw_free/
// prepare/reset runs.
func (s *Substream) Write(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	if !s.playback() {
		return 0, Errorf(syscall.EINVAL, "write on a capture substream")
	}
	return s.xferInterleaved(ctx, buf, nonblock)
}

// Read takes interleaved recorded frames (read(2), snd_pcm_read /
// snd_pcm_lib_read). len(buf) must be whole frames. A PREPARED capture
// starts when the request is >= start_threshold. Errors as Write; a
// DRAINING capture with nothing left stops to SETUP and returns 0.
func (s *Substream) Read(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	if s.playback() {
		return 0, Errorf(syscall.EINVAL, "read on a playback substream")
	}
	return s.xferInterleaved(ctx, buf, nonblock)
}

// WriteN queues non-interleaved frames (writev(2) with one iovec per
// channel, snd_pcm_writev / snd_pcm_lib_writev): bufs has one slice per
// channel, all as long as bufs[0]; a nil slice plays silence. Errors as
// Write; EINVAL unless the access is RW_NONINTERLEAVED and len(bufs) is
// the channel count.
func (s *Substream) WriteN(ctx context.Context, bufs [][]byte, nonblock bool) (int, error) {
	if !s.playback() {
		return 0, Errorf(syscall.EINVAL, "write on a capture substream")
	}
	return s.xferNonInterleaved(ctx, bufs, nonblock)
}

// ReadN takes non-interleaved recorded frames (readv(2), snd_pcm_readv);
// a nil slice skips its channel. Errors as WriteN.
func (s *Substream) ReadN(ctx context.Context, bufs [][]byte, nonblock bool) (int, error) {
	if s.playback() {
		return 0, Errorf(syscall.EINVAL, "read on a playback substream")
	}
	return s.xferNonInterleaved(ctx, bufs, nonblock)
}

// fileOpCheckLocked is the state gate of snd_pcm_read/snd_pcm_write:
// EBADFD in OPEN or DISCONNECTED. Precondition: mu held.
func (s *Substream) fileOpCheckLocked() error {
	if err := s.checkOpenLocked(); err != nil {
		return err
	}
	if s.state == StateOpen || !s.hasCfg {
		return Errorf(syscall.EBADFD, "transfer: stream is OPEN (no hw_params)")
	}
	return nil
}

func (s *Substream) xferInterleaved(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fileOpCheckLocked(); err != nil {
		return 0, err
	}
	if len(buf)%s.fb != 0 {
		return 0, Errorf(syscall.EINVAL, "transfer of %d bytes is not a whole number of %d-byte frames", len(buf), s.fb)
	}
	if s.cfg.Access != AccessRWInterleaved && s.cfg.Channels > 1 {
		return 0, Errorf(syscall.EINVAL, "interleaved transfer with access %v", s.cfg.Access)
	}
	copyFn := func(hwOfs, off, frames uint64) {
		fb := uint64(s.fb)
		dma := s.dma[hwOfs*fb : (hwOfs+frames)*fb]
		usr := buf[off*fb : (off+frames)*fb]
		if s.playback() {
			copy(dma, usr)
		} else {
			copy(usr, dma)
		}
	}
	return s.xferLocked(ctx, uint64(len(buf)/s.fb), copyFn, nonblock)
}

func (s *Substream) xferNonInterleaved(ctx context.Context, bufs [][]byte, nonblock bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fileOpCheckLocked(); err != nil {
		return 0, err
	}
	if s.cfg.Access != AccessRWNonInterleaved {
		return 0, Errorf(syscall.EINVAL, "non-interleaved transfer with access %v", s.cfg.Access)
	}
	if len(bufs) != s.cfg.Channels {
		return 0, Errorf(syscall.EINVAL, "%d buffers for %d channels", len(bufs), s.cfg.Channels)
	}
	sb := s.cfg.Format.Bytes()
	n := -1
	for _, b := range bufs {
		if b == nil {
			continue
		}
		if n < 0 {
			n = len(b)
		}
		if len(b) != n {
			return 0, Errorf(syscall.EINVAL, "channel buffers of different lengths")
		}
	}
	if n < 0 {
		n = 0
	}
	if n%sb != 0 {
		return 0, Errorf(syscall.EINVAL, "channel buffer of %d bytes is not whole %d-byte samples", n, sb)
	}
	// The DMA buffer of a non-interleaved stream holds one block of
	// buffer_size samples per channel.
	copyFn := func(hwOfs, off, frames uint64) {
		for c, b := range bufs {
			base := uint64(c) * s.bufferSize * uint64(sb)
			dma := s.dma[base+hwOfs*uint64(sb) : base+(hwOfs+frames)*uint64(sb)]
			switch {
			case b == nil && s.playback():
				s.cfg.Format.Silence(dma)
			case b == nil:
			case s.playback():
				copy(dma, b[off*uint64(sb):(off+frames)*uint64(sb)])
			default:
				copy(b[off*uint64(sb):(off+frames)*uint64(sb)], dma)
			}
		}
	}
	return s.xferLocked(ctx, uint64(n/sb), copyFn, nonblock)
}

// accessibleStateLocked is pcm_accessible_state. Precondition: mu held.
func (s *Substream) accessibleStateLocked() error {
	switch s.state {
	case StatePrepared, StateRunning, StatePaused:
		return nil
	case StateXRun:
		return Errorf(syscall.EPIPE, "stream is in XRUN: prepare to recover")
	case StateSuspended:
		return Errorf(syscall.ESTRPIPE, "stream is SUSPENDED: resume or prepare")
	}
	return Errorf(syscall.EBADFD, "transfer: stream is %v", s.state)
}

// availMinLocked is control->avail_min, 0 read as 1 ("avail_min ? : 1").
// Precondition: mu held.
func (s *Substream) availMinLocked() uint64 { return max(s.area.AvailMin(), 1) }

// xferLocked is __snd_pcm_lib_xfer: copyFn(hwOfs, off, frames) moves
// frames between the caller's buffer at frame off and the DMA buffer at
// frame hwOfs. Precondition: mu held.
func (s *Substream) xferLocked(ctx context.Context, size uint64, copyFn func(hwOfs, off, frames uint64), nonblock bool) (int, error) {
	if size == 0 {
		return 0, nil
	}
	if err := s.accessibleStateLocked(); err != nil {
		return 0, err
	}
	s.twake = s.availMinLocked()
	if s.state == StateRunning {
		s.updateHWPtrLocked()
	}
	// If size < start_threshold, wait indefinitely: another thread may
	// start the capture.
	if !s.playback() && s.state == StatePrepared && size >= s.startThreshold {
		if err := s.startLocked(); err != nil {
			s.twake = 0
			return 0, err
		}
	}
	var err error
	var off uint64
	avail := s.availLocked()
	for size > 0 {
		if avail == 0 {
			if !s.playback() && s.state == StateDraining {
				s.stopLocked(StateSetup)
				break
			}
			if nonblock {
				err = Errorf(syscall.EAGAIN, "no room/data and non-blocking")
				break
			}
			s.twake = min(size, s.availMinLocked())
			avail, err = s.waitForAvailLocked(ctx)
			if err != nil {
				break
			}
			if avail == 0 {
				continue // draining
			}
		}
		frames := min(size, avail)
		appl := s.applPtrLocked()
		ofs := appl % s.bufferSize
		frames = min(frames, s.bufferSize-ofs)
		if s.accessing < 0 {
			err = Errorf(syscall.EBUSY, "hw_params/hw_free/prepare in progress")
			break
		}
		copyFn(ofs, off, frames)
		appl += frames
		if appl >= s.boundary {
			appl -= s.boundary
		}
		if err = s.applyApplPtrLocked(appl); err != nil {
			break
		}
		off += frames
		size -= frames
		avail -= frames
		if s.playback() && s.state == StatePrepared &&
			s.hwAvailLocked() >= int64(s.startThreshold) {
			if err = s.startLocked(); err != nil {
				break
			}
		}
	}
	s.twake = 0
	if off > 0 && err == nil {
		s.updateStateLocked()
	}
	if off > 0 {
		return int(off), nil
	}
	return 0, err
}

// waitForAvailLocked is wait_for_avail: sleep until avail >= twake, the
// state changes, ctx ends (EINTR) or max(10 s, 2 periods) pass without a
// wake-up (EIO). It returns avail 0 for a DRAINING capture.
// Precondition: mu held.
func (s *Substream) waitForAvailLocked(ctx context.Context) (uint64, error) {
	tout := 10 * time.Second
	if t := time.Duration(s.periodSize*2/uint64(s.cfg.Rate)) * time.Second; t > tout {
		tout = t
	}
	for {
		if ctx.Err() != nil {
			return 0, Errorf(syscall.EINTR, "interrupted")
		}
		avail := s.availLocked()
		if avail >= s.twake {
			return avail, nil
		}
		woke, err := s.sleepLocked(ctx, tout, s.cfg.NoPeriodWakeup)
		if err != nil {
			return 0, err
		}
		switch s.state {
		case StateSuspended:
			return 0, Errorf(syscall.ESTRPIPE, "stream suspended while waiting")
		case StateXRun:
			return 0, Errorf(syscall.EPIPE, "xrun while waiting")
		case StateDraining:
			if s.playback() {
				return 0, Errorf(syscall.EPIPE, "write while draining")
			}
			return 0, nil // indicate draining
		case StateOpen, StateSetup, StateDisconnected:
			return 0, Errorf(syscall.EBADFD, "stream became %v while waiting", s.state)
		case StatePaused:
			continue
		}
		if !woke {
			dir := "capture read"
			if s.playback() {
				dir = "playback write"
			}
			s.logf("%s timeout (DMA or IRQ trouble?)", dir)
			return 0, Errorf(syscall.EIO, "%s timeout after %v", dir, tout)
		}
	}
}
