package alsa

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// PCMFile is one open of a pcmC<card>D<dev>p/c node: the kernel's struct
// snd_pcm_file with its substream. It is safe for concurrent use; ioctls
// that transfer samples serialize among themselves (they share one
// scratch buffer), every other ioctl runs in parallel with them, so a DROP
// from another thread wakes a blocked WRITEI as in the kernel.
type PCMFile struct {
	card *Card          // immutable
	dev  *pcm.Device    // immutable
	sub  *pcm.Substream // immutable

	released atomic.Bool // set once by Release

	// tstampType is runtime->tstamp_type (TTSTAMP, or sw_params from
	// protocol 2.0.12): the clock of the timestamps this file reports.
	tstampType atomic.Uint32
	// tstampMode mirrors runtime->tstamp_mode as the last successful
	// SW_PARAMS set it (HW_PARAMS resets it): STATUS_EXT reports the audio
	// timestamp only with TSTAMP_ENABLE.
	tstampMode atomic.Int32
	// userPVersion is pcm_file->user_pversion (USER_PVERSION).
	userPVersion atomic.Uint32

	xferMu  sync.Mutex // serializes transfers; guards the fields below
	scratch []byte     // guarded by xferMu: samples on their way to/from the caller
	bufs    [][]byte   // guarded by xferMu: per-channel views for WRITEN/READN
	ptrs    []byte     // guarded by xferMu: the caller's array of channel pointers
	// xferArg and result are guarded by xferMu: the snd_xfer[in] struct
	// read from the caller and the result word written back. They live
	// here because a buffer handed to the Caller interface escapes, so a
	// local one would cost an allocation per WRITEI/READI.
	xferArg [asound.XferISize]byte
	result  [8]byte
}

func newPCMFile(c *Card, d *pcm.Device, s *pcm.Substream) *PCMFile {
	return &PCMFile{card: c, dev: d, sub: s}
}

// Substream returns the substream this file holds (for mmap passthrough:
// Substream().Area(), and poll: Poll).
func (f *PCMFile) Substream() *pcm.Substream { return f.sub }

// Poll is snd_pcm_poll for the FUSE layer (go-fuse v2.12.1 answers
// FUSE_POLL itself with ENOSYS, so nothing calls it yet).
func (f *PCMFile) Poll() (ready, errored bool, wake <-chan struct{}) { return f.sub.Poll() }

// Release closes the file (snd_pcm_release: drop, hw_free, close, detach)
// and wakes blocking opens waiting for a substream. Idempotent.
func (f *PCMFile) Release() error {
	if f.released.Swap(true) {
		return nil
	}
	err := f.dev.Close(f.sub)
	f.card.wakeOpeners()
	return err
}

// Ioctl answers one ioctl on the node, as snd_pcm_ioctl and
// snd_pcm_common_ioctl (pcm_native.c). in holds the bytes FUSE copied in
// (_IOC_SIZE of them for _IOW/_IOWR requests), out the buffer it copies
// back on success (_IOC_SIZE for _IOR/_IOWR); arg is the caller's address
// of the argument, for what FUSE does not carry (see the package
// documentation). The error, when not nil, is a *pcm.Error whose errno
// is the ioctl's answer (pcm.Errno).
//
// Errors of the dispatch itself: ENOTTY for a request this face does not
// know (another type than 'A', a 32-bit compat layout, an unknown number);
// EINVAL when in or out is shorter than the request's struct; EBADF after
// Release.
func (f *PCMFile) Ioctl(ctx context.Context, c Caller, cmd uint32, arg uintptr, in, out []byte) error {
	if f.released.Load() {
		return errClosed
	}
	req := asound.Ioctl(cmd)
	// The hot requests first: a poll-driven client issues one per spin.
	switch req {
	case asound.PCMIoctlHWSync:
		return f.sub.HWSync()
	case asound.PCMIoctlSyncPtr:
		return f.syncPtr(in, out)
	case asound.PCMIoctlWriteIFrames, asound.PCMIoctlReadIFrames:
		return f.xferI(ctx, c, arg, in, out)
	case asound.PCMIoctlDelay:
		if len(out) < 8 {
			return errShort
		}
		d, err := f.sub.Delay()
		if err != nil {
			return err
		}
		return asound.PutLong(out, d)
	case asound.PCMIoctlStatus, asound.PCMIoctlStatusExt:
		return f.status(req == asound.PCMIoctlStatusExt, in, out)
	}
	if req.Type() != 'A' {
		return errNotTTY
	}
	switch req {
	case asound.PCMIoctlPVersion:
		if err := f.checkConnected(); err != nil {
			return err
		}
		return putInt(out, asound.PCMVersion)
	case asound.PCMIoctlInfo:
		return f.info(out)
	case asound.PCMIoctlTstamp: // "just for compatibility"
		return f.checkConnected()
	case asound.PCMIoctlTTstamp:
		return f.ttstamp(in)
	case asound.PCMIoctlUserPVersion:
		if err := f.checkConnected(); err != nil {
			return err
		}
		v, err := asound.GetInt(in)
		if err != nil {
			return errShort
		}
		f.userPVersion.Store(uint32(v))
		return nil
	case asound.PCMIoctlHWRefine:
		return f.hwRefine(in, out, false)
	case asound.PCMIoctlHWParams:
		defer f.pinIfMapped(c)()
		return f.hwRefine(in, out, true)
	case asound.PCMIoctlHWFree:
		defer f.pinIfMapped(c)()
		return f.sub.HWFree()
	case asound.PCMIoctlSWParams:
		return f.swParams(in, out)
	case asound.PCMIoctlChannelInfo:
		return f.channelInfo(c, arg, in, out)
	case asound.PCMIoctlPrepare:
		return f.sub.Prepare()
	case asound.PCMIoctlReset:
		return f.sub.Reset()
	case asound.PCMIoctlStart:
		return f.sub.Start()
	case asound.PCMIoctlDrop:
		return f.sub.Drop()
	case asound.PCMIoctlDrain:
		// snd_pcm_drain reads file->f_flags & O_NONBLOCK.
		return f.sub.Drain(ctx, c != nil && c.Nonblock())
	case asound.PCMIoctlPause:
		return f.pause(in)
	case asound.PCMIoctlRewind, asound.PCMIoctlForward:
		return f.rewindForward(c, arg, in, req == asound.PCMIoctlRewind)
	case asound.PCMIoctlResume:
		return f.sub.Resume()
	case asound.PCMIoctlXRun:
		return f.sub.XRun()
	case asound.PCMIoctlWriteNFrames, asound.PCMIoctlReadNFrames:
		return f.xferN(ctx, c, arg, in, out)
	case asound.PCMIoctlLink:
		if err := f.checkConnected(); err != nil {
			return err
		}
		return errLinkFd
	case asound.PCMIoctlUnlink:
		if err := f.checkConnected(); err != nil {
			return err
		}
		return errUnlinked
	}
	return errNotTTY
}

// pinIfMapped stands in for substream->mmap_count at HW_PARAMS and
// HW_FREE: with FUSE passthrough the kernel maps the area's memfd for the
// client directly and the daemon never sees mmap or munmap, so the caller's
// /proc/<pid>/maps is asked (mmap.Area.DataMappedBy) and the area pinned
// for the call when the data is mapped; the core then answers EBADFD as
// snd_pcm_hw_params/snd_pcm_hw_free do. Other processes sharing the
// mapping (a forked child) are not seen; an unreadable maps file counts as
// not mapped. It returns the unpin.
func (f *PCMFile) pinIfMapped(c Caller) func() {
	a := f.sub.Area()
	if a == nil || c == nil || c.Pid() <= 0 {
		return func() {}
	}
	if mapped, err := a.DataMappedBy(c.Pid()); err != nil || !mapped {
		return func() {}
	}
	a.Pin()
	return a.Unpin
}

// checkConnected is the DISCONNECTED gate of snd_pcm_common_ioctl for the
// requests that do not reach a core method with its own gate.
func (f *PCMFile) checkConnected() error {
	if f.sub.State() == pcm.StateDisconnected {
		return pcm.Errorf(syscall.EBADFD, "alsa: %s is disconnected", f.sub.Name())
	}
	return nil
}

func putInt(out []byte, v int) error {
	if err := asound.PutInt(out, int32(v)); err != nil {
		return errShort
	}
	return nil
}

// info is snd_pcm_info_user.
func (f *PCMFile) info(out []byte) error {
	if len(out) < asound.PCMInfoSize {
		return errShort
	}
	if err := f.checkConnected(); err != nil {
		return err
	}
	in, err := f.dev.Info(f.sub.Stream(), f.sub.Number())
	if err != nil {
		return err
	}
	return encodeInfo(out, &in)
}

func encodeInfo(out []byte, in *pcm.Info) error {
	pi := asound.PCMInfo{
		Device: uint32(in.Device), Subdevice: uint32(in.Subdevice), Stream: in.Stream, Card: int32(in.Card),
		ID: in.ID, Name: in.Name, Subname: in.Subname, DevClass: int32(in.Class), DevSubclass: int32(in.Subclass),
		SubdevicesCount: uint32(in.SubdevicesCount), SubdevicesAvail: uint32(in.SubdevicesAvail),
	}
	return pi.Encode(out)
}

// ttstamp is snd_pcm_tstamp: EINVAL outside SNDRV_PCM_TSTAMP_TYPE_*.
func (f *PCMFile) ttstamp(in []byte) error {
	v, err := asound.GetInt(in)
	if err != nil {
		return errShort
	}
	if err := f.checkConnected(); err != nil {
		return err
	}
	if v < 0 || uint32(v) > asound.TstampTypeLast {
		return pcm.Errorf(syscall.EINVAL, "alsa: TTSTAMP: bad timestamp type %d", v)
	}
	f.tstampType.Store(uint32(v))
	return nil
}

// hwRefine is snd_pcm_hw_refine_user (install=false) and
// snd_pcm_hw_params_user (install=true). The answer never carries
// SNDRV_PCM_INFO_PAUSE: over FUSE the PAUSE ioctl fails with EFAULT in the
// kernel before vsnd sees it (alsa-lib passes the push flag by value), so
// a client must not believe it can pause (snd_pcm_hw_params_can_pause
// reads this field). On error nothing is copied back, as in the kernel.
func (f *PCMFile) hwRefine(in, out []byte, install bool) error {
	if len(out) < asound.HWParamsSize {
		return errShort
	}
	var p pcm.HWParams
	if err := asound.DecodeHWParams(in, &p); err != nil {
		return errShort
	}
	var err error
	if install {
		err = f.sub.HWParams(&p)
	} else {
		err = f.sub.HWRefine(&p)
	}
	if err != nil {
		return err
	}
	if install {
		f.tstampMode.Store(pcm.TstampNone) // default sw params
	}
	p.Info &^= pcm.InfoPause
	copy(out[:asound.HWParamsSize], in) // reserved masks/intervals, sync
	return asound.EncodeHWParams(out, &p)
}

// swParams is snd_pcm_sw_params_user. The kernel copies the struct back
// even on error; FUSE copies nothing back with an error reply.
func (f *PCMFile) swParams(in, out []byte) error {
	if len(out) < asound.SWParamsSize {
		return errShort
	}
	var p pcm.SWParams
	if err := asound.DecodeSWParams(in, &p); err != nil {
		return errShort
	}
	if err := f.sub.SWParams(&p); err != nil {
		return err
	}
	f.tstampMode.Store(p.TstampMode)
	if p.Proto >= protoTstampType {
		f.tstampType.Store(p.TstampType)
	}
	copy(out[:asound.SWParamsSize], in)
	return asound.EncodeSWParams(out, &p)
}

// protoTstampType is SNDRV_PROTOCOL_VERSION(2, 0, 12), from which
// sw_params.tstamp_type counts.
const protoTstampType = 2<<16 | 0<<8 | 12

// status is snd_pcm_status_user64 (ext: STATUS_EXT, whose caller passes
// audio_tstamp_data in). Times go through the card's TimeMap for the
// file's tstamp_type.
func (f *PCMFile) status(ext bool, in, out []byte) error {
	if len(out) < asound.StatusSize {
		return errShort
	}
	var req uint32
	if ext {
		r, err := asound.StatusExtRequest(in)
		if err != nil {
			return errShort
		}
		req = r
	}
	st, err := f.sub.Status()
	if err != nil {
		return err
	}
	tt := f.tstampType.Load()
	// snd_pcm_status64: the request stays in audio_tstamp_data; a report
	// is packed only for a non-COMPAT request of a running stream with
	// TSTAMP_ENABLE. vsnd has no get_time_info: the actual type is
	// DEFAULT (stream time from hw_ptr) and no accuracy is reported.
	rep := asound.StatusReport{AudioTstampData: req}
	if runningState(st.State, f.sub.Stream()) && f.tstampMode.Load() == pcm.TstampEnable {
		rep.DriverTstamp = st.Tstamp // runtime->driver_tstamp, taken with the hw_ptr update
		if typ, _ := asound.UnpackAudioTstampConfig(req); typ != asound.AudioTstampTypeCompat {
			rep.AudioTstampData = asound.PackAudioTstampReport(req, true, asound.AudioTstampTypeDefault, false)
		}
	}
	return asound.EncodeStatus(out, &st, f.card.opts.TimeMap, tt, &rep)
}

// runningState is snd_pcm_running on a state.
func runningState(s pcm.State, st pcm.Stream) bool {
	return s == pcm.StateRunning || (s == pcm.StateDraining && st == pcm.Playback)
}

// syncPtr is snd_pcm_sync_ptr (the 64-bit layout).
func (f *PCMFile) syncPtr(in, out []byte) error {
	if len(in) < asound.SyncPtrSize || len(out) < asound.SyncPtrSize {
		return errShort
	}
	var sp asound.SyncPtr
	if err := sp.Decode(in); err != nil {
		return errShort
	}
	ctl := pcm.SyncPtrControl{ApplPtr: sp.Control.ApplPtr, AvailMin: sp.Control.AvailMin}
	s, err := f.sub.SyncPtr(sp.Flags, &ctl)
	if err != nil {
		return err
	}
	sp.Control = asound.MMapControl{ApplPtr: ctl.ApplPtr, AvailMin: ctl.AvailMin}
	sp.Status = asound.MMapStatus{
		State:          s.State,
		HWPtr:          s.HWPtr,
		Tstamp:         f.card.opts.TimeMap.Timespec(s.Tstamp, f.tstampType.Load()),
		SuspendedState: s.SuspendedState,
		AudioTstamp:    asound.DurationTimespec(s.AudioTstamp),
	}
	return sp.Encode(out)
}

// channelInfo is snd_pcm_channel_info_user with
// snd_pcm_lib_ioctl_channel_info (pcm_lib.c): where channel's samples
// are in the data area of the mmap (offset 0 of the node). CHANNEL_INFO is
// _IOR, yet the kernel reads the channel number from the caller: it comes
// from arg.
func (f *PCMFile) channelInfo(c Caller, arg uintptr, in, out []byte) error {
	if len(out) < asound.ChannelInfoSize {
		return errShort
	}
	var buf [asound.ChannelInfoSize]byte
	b, err := argIn(c, arg, in, buf[:])
	if err != nil {
		return err
	}
	var ci asound.ChannelInfo
	ci.Decode(b)
	cfg, ok := f.sub.Config()
	switch st := f.sub.State(); {
	case st == pcm.StateDisconnected:
		return pcm.Errorf(syscall.EBADFD, "alsa: %s is disconnected", f.sub.Name())
	case st == pcm.StateOpen || !ok:
		return pcm.Errorf(syscall.EBADFD, "alsa: CHANNEL_INFO: no hw_params")
	}
	if int64(ci.Channel) >= int64(cfg.Channels) {
		return pcm.Errorf(syscall.EINVAL, "alsa: CHANNEL_INFO: channel %d of %d", ci.Channel, cfg.Channels)
	}
	res := ChannelArea(cfg, f.sub.Hardware().Info, ci.Channel)
	return res.Encode(out)
}

// ChannelArea is snd_pcm_lib_ioctl_channel_info: without
// SNDRV_PCM_INFO_MMAP every field is -1; interleaved buffers put channel
// ch at bit ch*width of each frame of channels*width bits; non-interleaved
// ones give each channel a block of buffer_bytes/channels.
func ChannelArea(cfg pcm.Config, info uint32, ch uint32) asound.ChannelInfo {
	ci := asound.ChannelInfo{Channel: ch}
	if info&pcm.InfoMMap == 0 {
		ci.Offset, ci.First, ci.Step = -1, ^uint32(0), ^uint32(0)
		return ci
	}
	width := uint32(cfg.Format.PhysicalWidth())
	if cfg.Access.Interleaved() {
		ci.First = ch * width
		ci.Step = uint32(cfg.Channels) * width
	} else {
		size := uint32(cfg.BufferBytes() / cfg.Channels)
		ci.First = ch * size * 8
		ci.Step = width
	}
	return ci
}

// pause is snd_pcm_pause_lock_irq. alsa-lib passes the push flag BY VALUE
// where the number says _IOW: the FUSE kernel fails to copy 4 bytes from
// address 0 or 1 with EFAULT before vsnd sees the request, which is why
// no answer advertises SNDRV_PCM_INFO_PAUSE. A client that passes a
// pointer to the flag does reach this; it is answered with the flag it
// points to.
func (f *PCMFile) pause(in []byte) error {
	v, err := asound.GetInt(in)
	if err != nil {
		return errShort
	}
	return f.sub.Pause(v != 0)
}

// rewindForward is snd_pcm_rewind_ioctl / snd_pcm_forward_ioctl. Both are
// _IOW, yet the kernel writes the frames moved back to the argument
// (put_user): over FUSE with Caller.WriteMem at arg, after the same
// put_user(0) probe that makes a bad address fail before anything moves.
func (f *PCMFile) rewindForward(c Caller, arg uintptr, in []byte, rewind bool) error {
	n, err := asound.GetLong(in)
	if err != nil {
		return errShort
	}
	if c == nil {
		return pcm.Errorf(syscall.EFAULT, "alsa: no caller to write the result to")
	}
	var res [8]byte
	if err := c.WriteMem(arg, res[:]); err != nil {
		return err
	}
	var moved uint64
	if rewind {
		moved, err = f.sub.Rewind(uint64(n))
	} else {
		moved, err = f.sub.Forward(uint64(n))
	}
	if err != nil {
		// put_user(result) writes the negative errno too.
		asound.PutLong(res[:], -int64(pcm.Errno(err)))
		c.WriteMem(arg, res[:])
		return err
	}
	asound.PutLong(res[:], int64(moved))
	return c.WriteMem(arg, res[:])
}
