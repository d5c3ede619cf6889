package oss

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Substream is the part of *pcm.Substream the OSS emulation drives: the
// kernel's snd_pcm_kernel_ioctl calls and __snd_pcm_lib_xfer. Tests may
// substitute a model.
type Substream interface {
	HWParams(p *pcm.HWParams) error
	SWParams(p *pcm.SWParams) error
	CurrentSWParams() (pcm.SWParams, error)
	Prepare() error
	Start() error
	Drop() error
	Drain(ctx context.Context, nonblock bool) error
	Forward(frames uint64) (uint64, error)
	Write(ctx context.Context, buf []byte, nonblock bool) (int, error)
	Read(ctx context.Context, buf []byte, nonblock bool) (int, error)
	Status() (pcm.Status, error)
	Delay() (int64, error)
	State() pcm.State
	Config() (pcm.Config, bool)
}

var _ Substream = (*pcm.Substream)(nil)

// StreamOptions describes one direction of an open /dev/dsp.
type StreamOptions struct {
	// Sub is the substream, already opened (snd_pcm_open_substream).
	Sub Substream
	// Hardware is the substream's struct snd_pcm_hardware; the emulation
	// builds the same constraints from it as the core (pcm.NewConstraints)
	// to run pcm_oss.c's parameter choosers. Zero: taken from
	// Sub.Hardware() if Sub has that method.
	Hardware pcm.Hardware
	// Substreams is the number of substreams of this direction on the
	// device; more than one playback substream sets DSP_CAP_MULTI.
	Substreams int
	// Release is called by Close after the final sync, in place of
	// snd_pcm_release_substream (e.g. pcm.Device.Close). Nil: nothing.
	Release func() error
	// Setup overrides the default fragments, as a line
	// "app periods period_size" of /proc/asound/cardN/pcmMX/oss does.
	Setup Setup
}

// Setup is the numeric part of struct snd_pcm_oss_setup: zero fields keep
// the kernel's defaults. SETFRAGMENT cannot override PeriodSize.
type Setup struct {
	// Periods, if above 1, is the number of fragments wanted (still
	// bounded by the hardware and SETFRAGMENT's maximum).
	Periods int
	// PeriodSize, if above 16, is the fragment size in bytes, rounded
	// down to a power of two as snd_pcm_oss_proc_write does.
	PeriodSize int
}

// Options configures a DSP.
type Options struct {
	Playback *StreamOptions // nil: the file was not opened for writing
	Capture  *StreamOptions // nil: the file was not opened for reading
	// Format is the initial AFMT_*: AFMT_U8 for /dev/dsp (the default, as
	// SNDRV_MINOR_OSS_PCM_8), AFMT_S16_LE for /dev/dspW.
	Format uint32
	// Mixer answers the mixer requests ('M') issued on the dsp file, as
	// snd_mixer_oss_ioctl_card does. Nil: those requests fail with ENXIO
	// (a card without an OSS mixer).
	Mixer *Mixer
}

// DSP is one open of /dev/dsp (struct snd_pcm_oss_file) with the OSS state
// of its substreams (struct snd_pcm_oss_runtime).
//
// Lock order: stream.xfer, then stream.mu (runtime->oss.params_lock); the
// core's locks come after both. stream.mu is dropped around every core
// call that may sleep (Write, Read, Drain), as snd_pcm_oss_write3 drops
// params_lock around __snd_pcm_lib_xfer.
type DSP struct {
	streams  [2]*stream  // immutable; indexed by pcm.Stream, nil if not open
	mixer    *Mixer      // immutable, may be nil
	nonblock atomic.Bool // SNDCTL_DSP_NONBLOCK was issued (file->f_flags |= O_NONBLOCK)
	released atomic.Bool // Release ran
}

// stream is one direction of a DSP: the substream and runtime->oss.
type stream struct {
	dir     pcm.Stream       // immutable
	sub     Substream        // immutable
	cons    *pcm.Constraints // immutable: the substream's hw constraints
	count   int              // immutable: substreams of this direction
	release func() error     // immutable, may be nil

	// xfer serializes the data path (write1/read1/sync) so that only one
	// transfer uses buffer at a time; the kernel relies on params_lock
	// and rw_ref for the same.
	xfer sync.Mutex

	// rwRef is runtime->oss.rw_ref: transfers in progress. lock_params
	// refuses to change the parameters while it is non-zero (EBUSY).
	rwRef atomic.Int32

	mu sync.Mutex // runtime->oss.params_lock; guards everything below

	params  bool // the OSS setting changed: hw_params must be (re)installed
	prepare bool // the substream must be prepared before the next transfer
	trigger bool // PCM_ENABLE_{OUTPUT,INPUT}: start on the first transfer

	rate        int    // requested, then installed, rate
	channels    int    // requested, then installed, channels
	format      uint32 // requested, then installed, AFMT_*
	setup       Setup  // the /proc oss setup (immutable after NewDSP)
	fragshift   int    // SETFRAGMENT: log2 of the fragment size, 0 = unset
	maxfrags    int    // SETFRAGMENT: maximum fragments, 0 = unset
	subdivision int    // SUBDIVIDE, 0 = unset

	periodBytes  int // fragment size in bytes (oss.period_bytes)
	periods      int // fragments in the buffer (oss.periods)
	bufferBytes  int // oss.buffer_bytes
	periodFrames int // oss.period_frames

	cfg      pcm.Config // installed configuration (runtime->buffer_size, ...)
	boundary uint64     // runtime->boundary of the installed configuration

	bytes      uint64 // oss.bytes: bytes handed to / taken from the core
	buffer     []byte // oss.buffer: one fragment being assembled or drained
	bufferUsed int    // oss.buffer_used
	periodPtr  int    // oss.period_ptr
}

// NewDSP sets up the OSS state of an open /dev/dsp, as
// snd_pcm_oss_open_file and snd_pcm_oss_init_substream: 8000 Hz, mono,
// opts.Format (default AFMT_U8), trigger enabled, nothing installed yet.
// Errors: EINVAL when neither direction is given (the kernel's answer when
// no substream matched the open mode) or a hardware description is invalid.
func NewDSP(opts Options) (*DSP, error) {
	d := &DSP{mixer: opts.Mixer}
	format := opts.Format
	if format == AFMT_QUERY {
		format = AFMT_U8
	}
	for dir, so := range [2]*StreamOptions{opts.Playback, opts.Capture} {
		if so == nil {
			continue
		}
		if so.Sub == nil {
			return nil, pcm.Errorf(syscall.EINVAL, "oss: %s options without a substream", pcm.Stream(dir))
		}
		hw := so.Hardware
		if hw.Info == 0 && hw.Formats == 0 {
			if h, ok := so.Sub.(interface{ Hardware() pcm.Hardware }); ok {
				hw = h.Hardware()
			}
		}
		cons, err := pcm.NewConstraints(hw)
		if err != nil {
			return nil, err
		}
		d.streams[dir] = &stream{
			dir:      pcm.Stream(dir),
			sub:      so.Sub,
			cons:     cons,
			count:    so.Substreams,
			release:  so.Release,
			params:   true,
			trigger:  true,
			rate:     8000,
			channels: 1,
			format:   format,
			setup:    Setup{Periods: so.Setup.Periods, PeriodSize: int(roundDownPow2(int64(so.Setup.PeriodSize)))},
		}
	}
	if d.streams[0] == nil && d.streams[1] == nil {
		return nil, pcm.Errorf(syscall.EINVAL, "oss: neither playback nor capture opened")
	}
	return d, nil
}

// SetNonblock sets the sticky O_NONBLOCK that SNDCTL_DSP_NONBLOCK sets;
// Nonblock reports it. Read and Write treat it as OR'ed into their flag.
func (d *DSP) SetNonblock(v bool) { d.nonblock.Store(v) }

// Nonblock reports the sticky O_NONBLOCK set by SNDCTL_DSP_NONBLOCK.
func (d *DSP) Nonblock() bool { return d.nonblock.Load() }

// Write is snd_pcm_oss_write: it queues p for playback, a fragment at a
// time. A tail shorter than a fragment is kept in the fragment buffer until
// the fragment is full (or SYNC pads it with silence). It blocks at the
// pace of the stream until everything is accepted unless nonblock is set
// (or SNDCTL_DSP_NONBLOCK was issued); then it returns what fitted, or
// EAGAIN if nothing did. When ctx is done it returns the bytes accepted
// so far, or EINTR if none.
//
// Errors: ENXIO if the file is not open for writing; EBUSY never (the
// parameters are locked while writing); the core's errno otherwise.
func (d *DSP) Write(ctx context.Context, p []byte, nonblock bool) (int, error) {
	st := d.streams[pcm.Playback]
	if st == nil {
		return 0, pcm.Errorf(syscall.ENXIO, "oss: not open for writing")
	}
	return st.write1(ctx, p, nonblock || d.nonblock.Load())
}

// Read is snd_pcm_oss_read: it returns captured data, taken from the core
// a whole fragment at a time. With nonblock (or SNDCTL_DSP_NONBLOCK) it
// returns EAGAIN until a whole fragment is available (see doc.go). When
// ctx is done it returns the bytes read so far, or EINTR if none.
//
// Errors: ENXIO if the file is not open for reading; the core's errno.
func (d *DSP) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	st := d.streams[pcm.Capture]
	if st == nil {
		return 0, pcm.Errorf(syscall.ENXIO, "oss: not open for reading")
	}
	return st.read1(ctx, p, nonblock || d.nonblock.Load())
}

// Close is snd_pcm_oss_release: it plays out what is queued (Sync: the
// partial fragment padded with silence, then a blocking drain) and calls
// each stream's Release. With nonblock the sync is skipped and queued data
// is dropped by the release: a daemon must not block a FLUSH of a
// non-blocking file (the kernel drains even then). The first error is
// returned; the releases run regardless.
//
// A FUSE layer may instead call Sync from FLUSH (the caller's close(2)
// waits for the playback, as with the kernel) and Release from RELEASE.
func (d *DSP) Close(ctx context.Context, nonblock bool) error {
	var first error
	if !nonblock {
		first = d.sync(ctx)
	}
	if err := d.Release(); err != nil && first == nil {
		first = err
	}
	return first
}

// Sync is snd_pcm_oss_sync, what SNDCTL_DSP_SYNC and close do: playback
// pads the fragment in progress with silence and drains, blocking until
// everything played or ctx ends (EINTR); capture stops.
func (d *DSP) Sync(ctx context.Context) error { return d.sync(ctx) }

// Release calls each stream's StreamOptions.Release (the substreams' part
// of snd_pcm_oss_release_file) and returns the first error. The DSP must
// not be used afterwards; a second Release does nothing.
func (d *DSP) Release() error {
	if d.released.Swap(true) {
		return nil
	}
	var first error
	for _, st := range d.streams {
		if st == nil || st.release == nil {
			continue
		}
		if err := st.release(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// activeStream is snd_pcm_oss_get_active_substream: install pending
// parameters on both directions and return the first one.
func (d *DSP) activeStream() (*stream, error) {
	var active *stream
	for _, st := range d.streams {
		if st == nil {
			continue
		}
		if active == nil {
			active = st
		}
		st.mu.Lock()
		err := st.changeParamsLocked()
		st.mu.Unlock()
		if err != nil {
			return nil, err
		}
	}
	if active == nil {
		return nil, pcm.Errorf(syscall.EIO, "oss: no substream")
	}
	return active, nil
}

// lockParams is lock_params: take params_lock unless a transfer is in
// progress (EBUSY: the parameters cannot change while streaming).
func (st *stream) lockParams() error {
	st.mu.Lock()
	if st.rwRef.Load() != 0 {
		st.mu.Unlock()
		return pcm.Errorf(syscall.EBUSY, "oss: parameters cannot change during a transfer")
	}
	return nil
}

// makeReadyLocked is snd_pcm_oss_make_ready_locked: install pending
// parameters, then prepare if needed. Precondition: st.mu held.
func (st *stream) makeReadyLocked() error {
	if st.params {
		if err := st.changeParamsLocked(); err != nil {
			return err
		}
	}
	if st.prepare {
		return st.prepareLocked()
	}
	return nil
}

// makeReady is snd_pcm_oss_make_ready.
func (st *stream) makeReady() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.makeReadyLocked()
}

// prepareLocked is snd_pcm_oss_prepare: PREPARE unconditionally and forget
// the fragment in progress. Precondition: st.mu held.
func (st *stream) prepareLocked() error {
	if err := st.sub.Prepare(); err != nil {
		return err
	}
	st.prepare = false
	st.periodPtr = 0
	st.bufferUsed = 0
	return nil
}

// frameBytes is the installed frame size.
func (st *stream) frameBytes() int { return st.cfg.FrameBytes() }

// ossBytes is snd_pcm_oss_bytes: frames of the core in OSS bytes (the
// same buffer: vsnd does no conversion).
func (st *stream) ossBytes(frames int64) int64 { return frames * int64(st.frameBytes()) }

// isErrno reports whether err carries errno e.
func isErrno(err error, e syscall.Errno) bool { return errors.Is(err, e) }

// interrupted is the error of a transfer whose ctx ended before any byte
// moved (-ERESTARTSYS, seen by the caller as EINTR).
func interrupted(ctx context.Context) error {
	return pcm.Errorf(syscall.EINTR, "oss: interrupted: %v", context.Cause(ctx))
}
