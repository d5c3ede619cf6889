package alsa

import (
	"context"
	"encoding/binary"
	"math"
	"syscall"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// xferChunk bounds the samples one step of a transfer moves between the
// caller and the core (the scratch buffer's size): a large blocking
// WRITEI is fed to the core in pieces, each piece read from the caller
// just before it is queued, so the daemon never holds more than this per
// file, whatever the client asks for.
const xferChunk = 64 << 10

var errMaxChannels = &pcm.Error{Errno: syscall.EINVAL, Reason: "alsa: WRITEN/READN: more than 128 channels"}

// xferI is snd_pcm_xferi_frames_ioctl. WRITEI is _IOW: its struct comes
// in, nothing goes back, yet the kernel put_user's the result into it;
// READI is _IOR: nothing comes in, yet the kernel reads buf and frames.
// So the struct is taken from in or read at arg, and the result is always
// written at arg+offsetof(result) with Caller.WriteMem (and into out for
// READI, whose copy-out would otherwise overwrite it). Like the kernel,
// the result slot is zeroed before anything moves, so a caller whose
// memory cannot be written fails with EFAULT without losing samples.
//
// The direction follows the substream, not the request (the kernel
// dispatches both numbers to the same function).
func (f *PCMFile) xferI(ctx context.Context, c Caller, arg uintptr, in, out []byte) error {
	f.xferMu.Lock()
	defer f.xferMu.Unlock()
	b, err := argIn(c, arg, in, f.xferArg[:asound.XferISize])
	if err != nil {
		return err
	}
	var x asound.XferI
	x.Decode(b)
	if f.sub.State() == pcm.StateOpen {
		return pcm.Errorf(syscall.EBADFD, "alsa: transfer before hw_params")
	}
	if err := f.putResultLocked(c, arg, 0); err != nil {
		return err
	}
	frames, xerr := f.transferILocked(ctx, c, uintptr(x.Buf), x.Frames)
	return f.finishXferLocked(c, arg, out, &x.Result, frames, xerr, func() { x.Encode(out) })
}

// finishXfer is the tail of snd_pcm_xfer[in]_frames_ioctl: put_user of
// the result (frames, or the negative errno), and the ioctl's own return.
// Precondition: xferMu held.
func (f *PCMFile) finishXferLocked(c Caller, arg uintptr, out []byte, result *int64, frames int64, xerr error, encode func()) error {
	r := frames
	if xerr != nil {
		r = -int64(pcm.Errno(xerr))
	}
	if err := f.putResultLocked(c, arg, r); err != nil {
		return err
	}
	if len(out) >= asound.XferISize {
		*result = r
		encode()
	}
	return xerr
}

// putResultLocked writes the result word at arg (offsetof(struct
// snd_xferi, result) == offsetof(struct snd_xfern, result) == 0).
// Precondition: xferMu held.
func (f *PCMFile) putResultLocked(c Caller, arg uintptr, v int64) error {
	if c == nil {
		return pcm.Errorf(syscall.EFAULT, "alsa: no caller to write the transfer result to")
	}
	asound.PutLong(f.result[:], v)
	return c.WriteMem(arg+asound.XferIResultOffset, f.result[:])
}

// transferILocked is snd_pcm_lib_write / snd_pcm_lib_read of frames at the
// caller's address addr, in steps of at most xferChunk bytes. A NULL
// playback buffer plays silence (__snd_pcm_lib_xfer's fill_silence); a
// NULL capture buffer is EINVAL. It returns the frames moved, or an error
// when none moved: the kernel's "xfer > 0 ? xfer : err".
// Precondition: xferMu held.
func (f *PCMFile) transferILocked(ctx context.Context, c Caller, addr uintptr, frames uint64) (int64, error) {
	nonblock := c.Nonblock()
	playback := f.sub.Stream() == pcm.Playback
	cfg, ok := f.sub.Config()
	if ok && addr == 0 && !playback {
		return 0, pcm.Errorf(syscall.EINVAL, "alsa: READI into a NULL buffer")
	}
	if !ok || frames == 0 {
		// Let the core give its state and access errors, or 0.
		if playback {
			n, err := f.sub.Write(ctx, nil, nonblock)
			return int64(n), err
		}
		n, err := f.sub.Read(ctx, nil, nonblock)
		return int64(n), err
	}
	fb := uint64(cfg.FrameBytes())
	if fb == 0 || frames > math.MaxInt64/fb || (addr != 0 && uint64(addr)+frames*fb < uint64(addr)) {
		return 0, pcm.Errorf(syscall.EFAULT, "alsa: %d frames at %#x do not fit the address space", frames, addr)
	}
	step := max(1, xferChunk/fb)
	var done uint64
	for done < frames {
		n := min(frames-done, step)
		buf := f.scratchLocked(int(n * fb))
		var got int
		var err error
		if playback {
			if addr == 0 {
				cfg.Format.Silence(buf)
			} else if err := c.ReadMem(addr+uintptr(done*fb), buf); err != nil {
				return moved(done, err)
			}
			got, err = f.sub.Write(ctx, buf, nonblock)
		} else {
			got, err = f.sub.Read(ctx, buf, nonblock)
			if got > 0 {
				if werr := c.WriteMem(addr+uintptr(done*fb), buf[:uint64(got)*fb]); werr != nil {
					// copy_to_user failed: those frames are lost,
					// as the kernel has moved appl_ptr for them.
					return moved(done, werr)
				}
			}
		}
		done += uint64(got)
		if err != nil || uint64(got) < n {
			return moved(done, err)
		}
	}
	return int64(done), nil
}

// moved is the "xfer > 0 ? xfer : err" of __snd_pcm_lib_xfer: frames
// already moved win over the error that stopped the transfer.
func moved(done uint64, err error) (int64, error) {
	if done > 0 {
		return int64(done), nil
	}
	return 0, err
}

// scratchLocked returns n bytes of the scratch buffer, growing it.
// Precondition: xferMu held.
func (f *PCMFile) scratchLocked(n int) []byte {
	if cap(f.scratch) < n {
		f.scratch = make([]byte, n)
	}
	return f.scratch[:n]
}

// xferN is snd_pcm_xfern_frames_ioctl: bufs is the caller's array of one
// pointer per channel, read with Caller.ReadMem (memdup_array_user), then
// each channel's samples; a NULL channel plays silence or is skipped on
// capture. Result handling as xferI.
func (f *PCMFile) xferN(ctx context.Context, c Caller, arg uintptr, in, out []byte) error {
	f.xferMu.Lock()
	defer f.xferMu.Unlock()
	b, err := argIn(c, arg, in, f.xferArg[:asound.XferNSize])
	if err != nil {
		return err
	}
	var x asound.XferN
	x.Decode(b)
	cfg, ok := f.sub.Config()
	if f.sub.State() == pcm.StateOpen || !ok {
		return pcm.Errorf(syscall.EBADFD, "alsa: transfer before hw_params")
	}
	if cfg.Channels > 128 {
		return errMaxChannels
	}
	if err := f.putResultLocked(c, arg, 0); err != nil {
		return err
	}
	frames, xerr := f.transferNLocked(ctx, c, cfg, uintptr(x.Bufs), x.Frames)
	return f.finishXferLocked(c, arg, out, &x.Result, frames, xerr, func() { x.Encode(out) })
}

// transferNLocked is snd_pcm_lib_writev / snd_pcm_lib_readv through the
// scratch buffer, one block of n samples per channel per step.
// Precondition: xferMu held.
func (f *PCMFile) transferNLocked(ctx context.Context, c Caller, cfg pcm.Config, bufsAddr uintptr, frames uint64) (int64, error) {
	nonblock := c.Nonblock()
	playback := f.sub.Stream() == pcm.Playback
	ch := cfg.Channels
	sb := uint64(cfg.Format.Bytes())
	if cap(f.ptrs) < ch*8 {
		f.ptrs = make([]byte, ch*8)
	}
	ptrs := f.ptrs[:ch*8]
	if bufsAddr == 0 {
		if !playback {
			return 0, pcm.Errorf(syscall.EINVAL, "alsa: READN into a NULL buffer array")
		}
		clear(ptrs) // every channel NULL: silence
	} else if err := c.ReadMem(bufsAddr, ptrs); err != nil {
		return 0, err
	}
	if cap(f.bufs) < ch {
		f.bufs = make([][]byte, ch)
	}
	bufs := f.bufs[:ch]
	if frames == 0 || sb == 0 {
		clear(bufs)
		var n int
		var err error
		if playback {
			n, err = f.sub.WriteN(ctx, bufs, nonblock)
		} else {
			n, err = f.sub.ReadN(ctx, bufs, nonblock)
		}
		return int64(n), err
	}
	if frames > math.MaxInt64/sb {
		return 0, pcm.Errorf(syscall.EFAULT, "alsa: %d frames do not fit the address space", frames)
	}
	defer clear(bufs) // do not keep views of the scratch buffer around
	allNil := true
	for i := 0; i < ch; i++ {
		if ptrAt(ptrs, i) != 0 {
			allNil = false
		}
	}
	step := max(1, xferChunk/(sb*uint64(ch)))
	var done uint64
	for done < frames {
		n := min(frames-done, step)
		blk := n * sb
		scratch := f.scratchLocked(int(blk) * ch)
		for i := 0; i < ch; i++ {
			p := uintptr(ptrAt(ptrs, i))
			bufs[i] = scratch[uint64(i)*blk : uint64(i+1)*blk]
			switch {
			case p == 0 && playback && allNil:
				cfg.Format.Silence(bufs[i]) // the core needs one non-nil length
			case p == 0:
				bufs[i] = nil // silence (playback) or skipped (capture)
			case playback:
				if err := c.ReadMem(p+uintptr(done*sb), bufs[i]); err != nil {
					return moved(done, err)
				}
			}
		}
		var got int
		var err error
		if playback {
			got, err = f.sub.WriteN(ctx, bufs, nonblock)
		} else {
			got, err = f.sub.ReadN(ctx, bufs, nonblock)
			for i := 0; i < ch && got > 0; i++ {
				p := uintptr(ptrAt(ptrs, i))
				if p == 0 {
					continue
				}
				if werr := c.WriteMem(p+uintptr(done*sb), bufs[i][:uint64(got)*sb]); werr != nil {
					return moved(done, werr)
				}
			}
		}
		done += uint64(got)
		if err != nil || uint64(got) < n {
			return moved(done, err)
		}
	}
	return int64(done), nil
}

// ptrAt is element i of the caller's void *bufs[] (8-byte pointers).
func ptrAt(ptrs []byte, i int) uint64 { return binary.LittleEndian.Uint64(ptrs[i*8:]) }
