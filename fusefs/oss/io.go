package oss

import (
	"context"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// The data path: snd_pcm_oss_write1/2/3, snd_pcm_oss_read1/2/3 and
// snd_pcm_oss_sync(1) of pcm_oss.c, without the plugin branches.

// write3Locked is snd_pcm_oss_write3: recover from XRUN or SUSPENDED by
// preparing, then transfer frames with st.mu dropped. It returns frames.
// Precondition: st.mu held (dropped and retaken around the transfer).
func (st *stream) write3Locked(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	for {
		if s := st.sub.State(); s == pcm.StateXRun || s == pcm.StateSuspended {
			if err := st.prepareLocked(); err != nil {
				return 0, err
			}
		}
		st.mu.Unlock()
		n, err := st.sub.Write(ctx, buf, nonblock)
		st.mu.Lock()
		if n > 0 {
			return n, nil // a partial transfer counts, as __snd_pcm_lib_xfer's
		}
		if !isErrno(err, syscall.EPIPE) && !isErrno(err, syscall.ESTRPIPE) {
			return 0, err
		}
		// "test, if we can't store new data, because the stream has not
		// been started"
		switch st.sub.State() {
		case pcm.StatePrepared:
			return 0, pcm.Errorf(syscall.EAGAIN, "oss: stream not started")
		case pcm.StateXRun, pcm.StateSuspended:
			// retry after prepare
		default:
			return 0, err
		}
	}
}

// write2Locked is snd_pcm_oss_write2: bytes in, bytes out, whole frames.
func (st *stream) write2Locked(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	fb := st.frameBytes()
	frames := len(buf) / fb
	if frames == 0 {
		return 0, nil
	}
	n, err := st.write3Locked(ctx, buf[:frames*fb], nonblock)
	return n * fb, err
}

// transfer1 is the frame snd_pcm_oss_write1 and snd_pcm_oss_read1 share:
// one transfer at a time, counted in rwRef (runtime->oss.rw_ref) so that
// parameters stay put, and step run under st.mu until p is used up, an
// error or a signal. Bytes already moved win over the error, as in the
// kernel's "return xfer > 0 ? xfer : tmp".
func (st *stream) transfer1(ctx context.Context, p []byte, nonblock bool,
	step func(ctx context.Context, p *[]byte, xfer *int, nonblock bool) error) (int, error) {
	st.xfer.Lock()
	defer st.xfer.Unlock()
	st.rwRef.Add(1)
	defer st.rwRef.Add(-1)
	xfer := 0
	var err error
	for len(p) > 0 {
		st.mu.Lock()
		err = step(ctx, &p, &xfer, nonblock)
		st.mu.Unlock()
		if err != nil {
			break
		}
		if ctx.Err() != nil {
			err = interrupted(ctx)
			break
		}
	}
	if xfer > 0 {
		return xfer, nil
	}
	return 0, err
}

// write1 is snd_pcm_oss_write1 (partial-frag off: a fragment reaches the
// core only when complete).
func (st *stream) write1(ctx context.Context, p []byte, nonblock bool) (int, error) {
	return st.transfer1(ctx, p, nonblock, st.write1StepLocked)
}

// write1StepLocked is one turn of snd_pcm_oss_write1's loop.
// Precondition: st.mu held.
func (st *stream) write1StepLocked(ctx context.Context, p *[]byte, xfer *int, nonblock bool) error {
	if err := st.makeReadyLocked(); err != nil {
		return err
	}
	if len(*p) < st.periodBytes || st.bufferUsed > 0 {
		n := len(*p)
		if n+st.bufferUsed > st.periodBytes {
			n = st.periodBytes - st.bufferUsed
		}
		copy(st.buffer[st.bufferUsed:], (*p)[:n])
		st.bufferUsed += n
		*p = (*p)[n:]
		*xfer += n
		if st.bufferUsed < st.periodBytes {
			return nil
		}
		tmp, err := st.write2Locked(ctx, st.buffer[st.periodPtr:st.bufferUsed], nonblock)
		if tmp <= 0 {
			return err
		}
		st.bytes += uint64(tmp)
		st.periodPtr = (st.periodPtr + tmp) % st.periodBytes
		if st.periodPtr == 0 || st.periodPtr == st.bufferUsed {
			st.bufferUsed = 0
		} else if nonblock {
			return pcm.Errorf(syscall.EAGAIN, "oss: fragment partly queued")
		}
		return nil
	}
	tmp, err := st.write2Locked(ctx, (*p)[:st.periodBytes], nonblock)
	if tmp <= 0 {
		return err
	}
	st.bytes += uint64(tmp)
	*p = (*p)[tmp:]
	*xfer += tmp
	if nonblock && tmp != st.periodBytes {
		return pcm.Errorf(syscall.EAGAIN, "oss: buffer full")
	}
	return nil
}

// capturePositionFixupLocked is snd_pcm_oss_capture_position_fixup: after
// an overrun (capture never stops: stop_threshold = boundary) skip whole
// periods until at most a buffer is pending. It returns the delay.
func (st *stream) capturePositionFixupLocked() (int64, error) {
	buffer := int64(st.cfg.BufferSize)
	period := int64(st.cfg.PeriodSize)
	for {
		delay, err := st.sub.Delay()
		if err != nil || delay <= buffer {
			return delay, err
		}
		frames := (delay - buffer + period - 1) / period * period
		if _, err := st.sub.Forward(uint64(frames)); err != nil {
			return delay, err
		}
	}
}

// read3Locked is snd_pcm_oss_read3. A capture XRUN (possible only with a
// core that stops capture on overrun) is recovered by DRAIN, or DROP if
// the drain leaves it there, and then PREPARE.
// Precondition: st.mu held (dropped and retaken around the transfer).
func (st *stream) read3Locked(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	for tries := 0; ; tries++ {
		if tries > 8 {
			return 0, pcm.Errorf(syscall.EIO, "oss: capture does not recover")
		}
		switch st.sub.State() {
		case pcm.StateXRun, pcm.StateSuspended:
			st.mu.Unlock()
			err := st.sub.Drain(ctx, false)
			st.mu.Lock()
			if err != nil {
				return 0, err
			}
			if s := st.sub.State(); s == pcm.StateXRun || s == pcm.StateSuspended {
				st.sub.Drop()
			}
			if err := st.prepareLocked(); err != nil {
				return 0, err
			}
		case pcm.StateSetup:
			if err := st.prepareLocked(); err != nil {
				return 0, err
			}
		}
		if _, err := st.capturePositionFixupLocked(); err != nil {
			return 0, err
		}
		st.mu.Unlock()
		n, err := st.sub.Read(ctx, buf, nonblock)
		st.mu.Lock()
		if n > 0 {
			return n, nil
		}
		if isErrno(err, syscall.EPIPE) {
			if st.sub.State() == pcm.StateDraining {
				if err := st.sub.Drop(); err != nil {
					return 0, err
				}
			}
			continue
		}
		if !isErrno(err, syscall.ESTRPIPE) {
			return 0, err
		}
	}
}

// read2Locked is snd_pcm_oss_read2.
func (st *stream) read2Locked(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	fb := st.frameBytes()
	frames := len(buf) / fb
	if frames == 0 {
		return 0, nil
	}
	n, err := st.read3Locked(ctx, buf[:frames*fb], nonblock)
	return n * fb, err
}

// fragmentReadyLocked is what a non-blocking read waits for: at least one
// whole fragment captured (snd_pcm_oss_capture_ready, the condition of
// snd_pcm_oss_poll). A prepared stream with the trigger enabled is started
// first, as the transfer itself would start it. EAGAIN until then.
func (st *stream) fragmentReadyLocked() error {
	if st.sub.State() == pcm.StatePrepared && st.trigger {
		if err := st.sub.Start(); err != nil {
			return err
		}
	}
	s, err := st.sub.Status()
	if err != nil {
		return err
	}
	switch s.State {
	case pcm.StateRunning, pcm.StateDraining:
		if s.Avail >= uint64(st.periodFrames) {
			return nil
		}
	case pcm.StateXRun, pcm.StateSuspended, pcm.StateSetup:
		return nil // let the transfer recover
	}
	return pcm.Errorf(syscall.EAGAIN, "oss: no whole fragment captured yet")
}

// read1 is snd_pcm_oss_read1.
func (st *stream) read1(ctx context.Context, p []byte, nonblock bool) (int, error) {
	return st.transfer1(ctx, p, nonblock, st.read1StepLocked)
}

// read1StepLocked is one turn of snd_pcm_oss_read1's loop.
// Precondition: st.mu held.
func (st *stream) read1StepLocked(ctx context.Context, p *[]byte, xfer *int, nonblock bool) error {
	if err := st.makeReadyLocked(); err != nil {
		return err
	}
	if len(*p) < st.periodBytes || st.bufferUsed > 0 {
		if st.bufferUsed == 0 {
			if nonblock {
				if err := st.fragmentReadyLocked(); err != nil {
					return err
				}
			}
			tmp, err := st.read2Locked(ctx, st.buffer[:st.periodBytes], nonblock)
			if tmp <= 0 {
				return err
			}
			st.bytes += uint64(tmp)
			st.periodPtr = tmp
			st.bufferUsed = tmp
		}
		n := min(len(*p), st.bufferUsed)
		copy(*p, st.buffer[st.periodPtr-st.bufferUsed:][:n])
		*p = (*p)[n:]
		*xfer += n
		st.bufferUsed -= n
		return nil
	}
	if nonblock {
		if err := st.fragmentReadyLocked(); err != nil {
			return err
		}
	}
	tmp, err := st.read2Locked(ctx, (*p)[:st.periodBytes], nonblock)
	if tmp <= 0 {
		return err
	}
	st.bytes += uint64(tmp)
	*p = (*p)[tmp:]
	*xfer += tmp
	return nil
}

// sync is snd_pcm_oss_sync: playback pads the fragment in progress with
// silence, queues it, fills the last ALSA period, drains (blocking, whatever
// O_NONBLOCK says) and leaves the stream to be prepared again; capture is
// dropped.
func (d *DSP) sync(ctx context.Context) error {
	if st := d.streams[pcm.Playback]; st != nil {
		if err := st.syncPlayback(ctx); err != nil {
			return err
		}
		if err := st.sub.Drain(ctx, false); err != nil {
			return err
		}
		st.mu.Lock()
		st.prepare = true
		st.mu.Unlock()
	}
	if st := d.streams[pcm.Capture]; st != nil {
		if err := st.makeReady(); err != nil {
			return err
		}
		if err := st.sub.Drop(); err != nil {
			return err
		}
		st.mu.Lock()
		st.bufferUsed = 0
		st.prepare = true
		st.mu.Unlock()
	}
	return nil
}

// syncPlayback is the part of snd_pcm_oss_sync under params_lock.
func (st *stream) syncPlayback(ctx context.Context) error {
	st.xfer.Lock()
	defer st.xfer.Unlock()
	st.rwRef.Add(1)
	defer st.rwRef.Add(-1)
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.makeReadyLocked(); err != nil {
		return err
	}
	format := st.cfg.Format
	switch {
	case st.bufferUsed > 0:
		// The kernel writes the whole fragment from its start again;
		// vsnd sends only what the core has not taken yet.
		format.Silence(st.buffer[st.bufferUsed:st.periodBytes])
		if err := st.sync1Locked(ctx, st.buffer[st.periodPtr:st.periodBytes]); err != nil {
			return err
		}
	case st.periodPtr > 0:
		size := st.periodBytes - st.periodPtr
		format.Silence(st.buffer[:size])
		if err := st.sync1Locked(ctx, st.buffer[:size]); err != nil {
			return err
		}
	}
	// "The ALSA's period might be a bit large than OSS one. Fill the
	// remain portion of ALSA period with zeros."
	s, err := st.sub.Status()
	if err != nil {
		return nil
	}
	if rem := s.ApplPtr % uint64(st.cfg.PeriodSize); rem > 0 {
		fill := make([]byte, (uint64(st.cfg.PeriodSize)-rem)*uint64(st.frameBytes()))
		format.Silence(fill)
		if n, _ := st.write2Locked(ctx, fill, false); n > 0 {
			st.bytes += uint64(n)
		}
	}
	return nil
}

// sync1Locked is snd_pcm_oss_sync1: queue the padded fragment, waiting
// for room. vsnd counts the padding in oss.bytes (the kernel does not, so
// its GETOPTR bytes can step back during a drain).
func (st *stream) sync1Locked(ctx context.Context, buf []byte) error {
	for len(buf) > 0 {
		n, err := st.write2Locked(ctx, buf, false)
		if n > 0 {
			st.bytes += uint64(n)
			buf = buf[n:]
			continue
		}
		if err == nil {
			break // less than a frame left
		}
		if !isErrno(err, syscall.EAGAIN) {
			return err
		}
		if st.sub.State() != pcm.StateRunning {
			break
		}
		if ctx.Err() != nil {
			return interrupted(ctx)
		}
	}
	st.bufferUsed = 0
	st.periodPtr = 0
	return nil
}
