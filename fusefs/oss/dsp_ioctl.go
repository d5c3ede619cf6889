package oss

import (
	"context"
	"math"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// The /dev/dsp ioctls: snd_pcm_oss_ioctl and the handlers it calls.

// dspHandler answers one request: arg holds the _IOC_SIZE bytes copied in
// (checked by Ioctl), the result the bytes to copy out.
type dspHandler func(d *DSP, ctx context.Context, arg []byte) ([]byte, error)

// intHandler adapts "read an int, answer an int" requests.
func intHandler(f func(d *DSP, v int32) (int32, error)) dspHandler {
	return func(d *DSP, _ context.Context, arg []byte) ([]byte, error) {
		var v int32
		if len(arg) >= sizeInt {
			v, _ = DecodeInt(arg)
		}
		r, err := f(d, v)
		if err != nil {
			return nil, err
		}
		return EncodeInt(r), nil
	}
}

// noArg adapts requests without argument.
func noArg(f func(d *DSP, ctx context.Context) error) dspHandler {
	return func(d *DSP, ctx context.Context, _ []byte) ([]byte, error) { return nil, f(d, ctx) }
}

// dspIoctls is the switch of snd_pcm_oss_ioctl, keyed by request number.
var dspIoctls = map[Ioctl]dspHandler{
	SNDCTL_DSP_RESET: noArg(func(d *DSP, _ context.Context) error { return d.reset() }),
	SNDCTL_DSP_SYNC:  noArg(func(d *DSP, ctx context.Context) error { return d.sync(ctx) }),
	SNDCTL_DSP_SPEED: intHandler(func(d *DSP, v int32) (int32, error) {
		r, err := d.setRate(int(v))
		return int32(r), err
	}),
	SOUND_PCM_READ_RATE: intHandler(func(d *DSP, _ int32) (int32, error) {
		r, err := d.getRate()
		return int32(r), err
	}),
	SNDCTL_DSP_STEREO: intHandler(func(d *DSP, v int32) (int32, error) {
		ch := 1
		if v > 0 {
			ch = 2
		}
		r, err := d.setChannels(ch)
		return int32(r - 1), err
	}),
	SNDCTL_DSP_GETBLKSIZE: intHandler(func(d *DSP, _ int32) (int32, error) {
		r, err := d.getBlockSize()
		return int32(r), err
	}),
	SNDCTL_DSP_SETFMT: intHandler(func(d *DSP, v int32) (int32, error) {
		r, err := d.setFormat(uint32(v))
		return int32(r), err
	}),
	SOUND_PCM_READ_BITS: intHandler(func(d *DSP, _ int32) (int32, error) {
		r, err := d.getFormat()
		return int32(r), err
	}),
	SNDCTL_DSP_CHANNELS: intHandler(func(d *DSP, v int32) (int32, error) {
		r, err := d.setChannels(int(v))
		return int32(r), err
	}),
	SOUND_PCM_READ_CHANNELS: intHandler(func(d *DSP, _ int32) (int32, error) {
		r, err := d.getChannels()
		return int32(r), err
	}),
	SOUND_PCM_WRITE_FILTER: errHandler(syscall.EIO, "filters are not supported"),
	SOUND_PCM_READ_FILTER:  errHandler(syscall.EIO, "filters are not supported"),
	SNDCTL_DSP_POST:        noArg(func(d *DSP, _ context.Context) error { return d.post() }),
	SNDCTL_DSP_SUBDIVIDE: intHandler(func(d *DSP, v int32) (int32, error) {
		r, err := d.setSubdivide(int(v))
		return int32(r), err
	}),
	SNDCTL_DSP_SETFRAGMENT: func(d *DSP, _ context.Context, arg []byte) ([]byte, error) {
		v, _ := DecodeInt(arg)
		return nil, d.setFragment(uint32(v))
	},
	SNDCTL_DSP_GETFMTS: intHandler(func(d *DSP, _ int32) (int32, error) {
		r, err := d.getFormats()
		return int32(r), err
	}),
	SNDCTL_DSP_GETOSPACE: func(d *DSP, _ context.Context, _ []byte) ([]byte, error) {
		i, err := d.getSpace(pcm.Playback)
		return i.Encode(), err
	},
	SNDCTL_DSP_GETISPACE: func(d *DSP, _ context.Context, _ []byte) ([]byte, error) {
		i, err := d.getSpace(pcm.Capture)
		return i.Encode(), err
	},
	SNDCTL_DSP_NONBLOCK: noArg(func(d *DSP, _ context.Context) error { d.nonblock.Store(true); return nil }),
	SNDCTL_DSP_GETCAPS: intHandler(func(d *DSP, _ int32) (int32, error) {
		return int32(d.caps()), nil
	}),
	SNDCTL_DSP_GETTRIGGER: intHandler(func(d *DSP, _ int32) (int32, error) {
		return int32(d.getTrigger()), nil
	}),
	SNDCTL_DSP_SETTRIGGER: func(d *DSP, _ context.Context, arg []byte) ([]byte, error) {
		v, _ := DecodeInt(arg)
		return nil, d.setTrigger(uint32(v))
	},
	SNDCTL_DSP_GETIPTR: func(d *DSP, _ context.Context, _ []byte) ([]byte, error) {
		i, err := d.getPtr(pcm.Capture)
		return i.Encode(), err
	},
	SNDCTL_DSP_GETOPTR: func(d *DSP, _ context.Context, _ []byte) ([]byte, error) {
		i, err := d.getPtr(pcm.Playback)
		return i.Encode(), err
	},
	// snd_pcm_oss_get_mapbuf: "it won't be probably implemented".
	SNDCTL_DSP_MAPINBUF:  errHandler(syscall.EINVAL, "MAPINBUF is not implemented"),
	SNDCTL_DSP_MAPOUTBUF: errHandler(syscall.EINVAL, "MAPOUTBUF is not implemented"),
	SNDCTL_DSP_SETSYNCRO: noArg(func(*DSP, context.Context) error { return nil }), // "stop DMA now.."
	SNDCTL_DSP_SETDUPLEX: noArg(func(d *DSP, _ context.Context) error {
		if d.caps()&DSP_CAP_DUPLEX != 0 {
			return nil
		}
		return pcm.Errorf(syscall.EIO, "oss: not open for both directions")
	}),
	SNDCTL_DSP_GETODELAY: intHandler(func(d *DSP, _ int32) (int32, error) {
		r, err := d.getODelay()
		return int32(r), err
	}),
	SNDCTL_DSP_PROFILE: noArg(func(*DSP, context.Context) error { return nil }), // "silently ignore"
}

func errHandler(errno syscall.Errno, why string) dspHandler {
	return func(*DSP, context.Context, []byte) ([]byte, error) { return nil, pcm.Errorf(errno, "oss: %s", why) }
}

// Ioctl answers a request on the dsp file, as snd_pcm_oss_ioctl: arg holds
// the bytes the kernel copied in (at least _IOC_SIZE for a request with
// _IOC_WRITE), the result the bytes to copy out (_IOC_SIZE of them for a
// request with _IOC_READ, nil otherwise). ctx bounds the requests that
// block (SYNC drains).
//
// Errors: EINVAL for a request that is not OSS's (the kernel's default
// branch); EFAULT when arg is shorter than the request says; ENXIO for a
// mixer request without a mixer; the handler's errno otherwise. Never
// panics.
func (d *DSP) Ioctl(ctx context.Context, cmd uint32, arg []byte) ([]byte, error) {
	c := Ioctl(cmd)
	switch {
	case c == OSS_GETVERSION:
		return EncodeInt(SNDRV_OSS_VERSION), nil
	case c == OSS_ALSAEMULVER:
		return EncodeInt(1), nil
	case c.Type() == 'M':
		if d.mixer == nil {
			return nil, pcm.Errorf(syscall.ENXIO, "oss: the card has no OSS mixer")
		}
		return d.mixer.Ioctl(cmd, arg)
	case c.Type() != 'P':
		return nil, pcm.Errorf(syscall.EINVAL, "oss: %s is not a dsp request", c)
	}
	h, ok := dspIoctls[c]
	if !ok {
		return nil, pcm.Errorf(syscall.EINVAL, "oss: unknown dsp request %s", c)
	}
	if c.CopiesIn() && len(arg) < c.Size() {
		return nil, errShort(c.String(), len(arg), c.Size())
	}
	out, err := h(d, ctx, arg)
	if err != nil {
		return nil, err
	}
	if !c.CopiesOut() {
		return nil, nil
	}
	if out == nil {
		// A _SIOWR request the kernel answers without put_user
		// (SETFRAGMENT): the caller's int stays as it was.
		out = make([]byte, c.Size())
		copy(out, arg)
	}
	return out, nil
}

// reset is snd_pcm_oss_reset: drop both directions and forget the
// fragment in progress; the next transfer prepares again.
func (d *DSP) reset() error {
	for _, st := range d.streams {
		if st == nil {
			continue
		}
		st.sub.Drop() // errors ignored, as the kernel's
		st.mu.Lock()
		st.prepare = true
		st.bufferUsed = 0
		st.periodPtr = 0
		st.mu.Unlock()
	}
	return nil
}

// post is snd_pcm_oss_post: start playback now. "All errors from the start
// action are ignored: OSS apps do not know how to handle them."
func (d *DSP) post() error {
	st := d.streams[pcm.Playback]
	if st == nil {
		return nil
	}
	if err := st.makeReady(); err != nil {
		return err
	}
	st.sub.Start()
	return nil
}

// caps is snd_pcm_oss_get_caps. vsnd's dsp cannot be mmapped, so
// DSP_CAP_MMAP is left out (the kernel sets it).
func (d *DSP) caps() uint32 {
	res := uint32(DSP_CAP_TRIGGER | DSP_CAP_DUPLEX | DSP_CAP_REALTIME)
	for dir, st := range d.streams {
		if st == nil {
			res &^= DSP_CAP_DUPLEX
			continue
		}
		if pcm.Stream(dir) == pcm.Playback && st.count > 1 {
			res |= DSP_CAP_MULTI
		}
	}
	return res | 0x0001 // "revision - same as SB AWE 64"
}

// setTrigger is snd_pcm_oss_set_trigger: enabling a direction starts it
// (start_threshold 1), disabling drops it and makes writes queue without
// starting (start_threshold = boundary) until enabled again.
func (d *DSP) setTrigger(trigger uint32) error {
	for _, st := range d.streams {
		if st != nil {
			if err := st.makeReady(); err != nil {
				return err
			}
		}
	}
	for dir, st := range d.streams {
		if st == nil {
			continue
		}
		enable := uint32(PCM_ENABLE_OUTPUT)
		if pcm.Stream(dir) == pcm.Capture {
			enable = PCM_ENABLE_INPUT
		}
		st.mu.Lock()
		start, stop := false, false
		switch {
		case trigger&enable != 0 && !st.trigger:
			st.trigger = true
			st.setStartThresholdLocked(1)
			start = true
		case trigger&enable == 0 && st.trigger:
			st.trigger = false
			st.setStartThresholdLocked(st.boundary)
			st.prepare = true
			stop = true
		}
		st.mu.Unlock()
		var err error
		switch {
		case start:
			err = st.sub.Start()
		case stop:
			err = st.sub.Drop()
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// setStartThresholdLocked writes runtime->start_threshold, as
// snd_pcm_oss_set_trigger does directly, through sw_params.
func (st *stream) setStartThresholdLocked(v uint64) {
	sw, err := st.sub.CurrentSWParams()
	if err != nil {
		return
	}
	sw.StartThreshold = v
	st.sub.SWParams(&sw)
}

// getTrigger is snd_pcm_oss_get_trigger.
func (d *DSP) getTrigger() uint32 {
	var res uint32
	if st := d.streams[pcm.Playback]; st != nil {
		st.mu.Lock()
		if st.trigger {
			res |= PCM_ENABLE_OUTPUT
		}
		st.mu.Unlock()
	}
	if st := d.streams[pcm.Capture]; st != nil {
		st.mu.Lock()
		if st.trigger {
			res |= PCM_ENABLE_INPUT
		}
		st.mu.Unlock()
	}
	return res
}

// getODelay is snd_pcm_oss_get_odelay: bytes queued in the core (the
// fragment being assembled is not counted). An XRUN answers 0 ("hack for
// broken OSS applications").
func (d *DSP) getODelay() (int, error) {
	st := d.streams[pcm.Playback]
	if st == nil {
		return 0, pcm.Errorf(syscall.EINVAL, "oss: not open for writing")
	}
	if err := st.makeReady(); err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.params || st.prepare {
		return 0, nil
	}
	delay, err := st.sub.Delay()
	if isErrno(err, syscall.EPIPE) {
		delay = 0
	} else if err != nil {
		return 0, err
	}
	return int(st.ossBytes(delay)), nil
}

// getPtr is snd_pcm_oss_get_ptr (GETOPTR, GETIPTR) for a read/write
// stream: bytes is oss.bytes minus (playback) or plus (capture) the core's
// delay, so it counts what the "DMA" has played or captured; blocks the
// whole fragments queued (playback) or ready (capture); ptr the hw_ptr's
// byte offset in the buffer.
func (d *DSP) getPtr(dir pcm.Stream) (CountInfo, error) {
	st := d.streams[dir]
	if st == nil {
		return CountInfo{}, pcm.Errorf(syscall.EINVAL, "oss: %s not open", dir)
	}
	if err := st.makeReady(); err != nil {
		return CountInfo{}, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.params || st.prepare {
		return CountInfo{}, nil
	}
	var delay, fixup int64
	var err error
	if dir == pcm.Playback {
		delay, err = st.sub.Delay()
		if isErrno(err, syscall.EPIPE) || isErrno(err, syscall.ESTRPIPE) || (err == nil && delay < 0) {
			delay, fixup, err = 0, 0, nil
		} else {
			fixup = int64(st.bufferUsed)
		}
	} else {
		delay, err = st.capturePositionFixupLocked()
		fixup = -int64(st.bufferUsed)
	}
	if err != nil {
		return CountInfo{}, err
	}
	s, err := st.sub.Status()
	if err != nil {
		return CountInfo{}, err
	}
	var info CountInfo
	info.Ptr = int32(st.ossBytes(int64(s.HWPtr % uint64(st.cfg.BufferSize))))
	delay = st.ossBytes(delay)
	if dir == pcm.Playback {
		info.Blocks = int32((delay + fixup) / int64(st.periodBytes))
		info.Bytes = int32((int64(st.bytes) - delay) & math.MaxInt32)
	} else {
		delay += fixup
		info.Blocks = int32(delay / int64(st.periodBytes))
		info.Bytes = int32((int64(st.bytes) + delay) & math.MaxInt32)
	}
	return info, nil
}

// getSpace is snd_pcm_oss_get_space (GETOSPACE, GETISPACE): the room for
// writing, or the data ready for reading, in bytes and whole fragments.
// It installs pending parameters but does not prepare: before the first
// transfer playback reports the whole buffer free, capture nothing ready.
func (d *DSP) getSpace(dir pcm.Stream) (AudioBufInfo, error) {
	st := d.streams[dir]
	if st == nil {
		return AudioBufInfo{}, pcm.Errorf(syscall.EINVAL, "oss: %s not open", dir)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if err := st.changeParamsLocked(); err != nil {
		return AudioBufInfo{}, err
	}
	info := AudioBufInfo{Fragsize: int32(st.periodBytes), Fragstotal: int32(st.cfg.Periods)}
	if st.prepare {
		if dir == pcm.Playback {
			info.Bytes = int32(st.periodBytes * st.periods)
			info.Fragments = int32(st.periods)
		}
		return info, nil
	}
	var avail, fixup int64
	var err error
	if dir == pcm.Playback {
		avail, err = st.sub.Delay()
		if isErrno(err, syscall.EPIPE) || isErrno(err, syscall.ESTRPIPE) || (err == nil && avail < 0) {
			avail, fixup, err = int64(st.cfg.BufferSize), 0, nil
		} else {
			avail = int64(st.cfg.BufferSize) - avail
			fixup = -int64(st.bufferUsed)
		}
	} else {
		avail, err = st.capturePositionFixupLocked()
		fixup = int64(st.bufferUsed)
	}
	if err != nil {
		return AudioBufInfo{}, err
	}
	info.Bytes = int32(st.ossBytes(avail) + fixup)
	info.Fragments = info.Bytes / int32(st.periodBytes)
	return info, nil
}

// Poll is snd_pcm_oss_poll for a read/write stream: writable when
// playback is not draining and, if running, has room for a fragment;
// readable when capture is not running or has a fragment ready. Like the
// kernel, polling a capture that is not running (re)starts it when its
// trigger is enabled (need_input_retrigger). vsnd's FUSE mount cannot
// deliver poll (go-fuse answers FUSE_POLL with ENOSYS), so this serves a
// face that can, and tests.
func (d *DSP) Poll() (readable, writable bool) {
	if st := d.streams[pcm.Playback]; st != nil {
		if s, err := st.sub.Status(); err == nil {
			st.mu.Lock()
			frames := uint64(max(st.periodFrames, 1))
			st.mu.Unlock()
			writable = s.State != pcm.StateDraining && (s.State != pcm.StateRunning || s.Avail >= frames)
		}
	}
	if st := d.streams[pcm.Capture]; st != nil {
		if s, err := st.sub.Status(); err == nil {
			st.mu.Lock()
			frames := uint64(max(st.periodFrames, 1))
			retrigger := s.State != pcm.StateRunning && st.trigger
			if retrigger {
				st.trigger = false
			}
			st.mu.Unlock()
			readable = s.State != pcm.StateRunning || s.Avail >= frames
			if retrigger {
				(&DSP{streams: [2]*stream{nil, st}}).setTrigger(PCM_ENABLE_INPUT)
			}
		}
	}
	return readable, writable
}
