package fusefs

import (
	"context"
	"sync/atomic"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/fusefs/oss"
	"github.com/vsnd/vsnd/pcm"
)

// dspNode is DIR/dev/dsp (or dspN, adsp, adspN): one PCM device of a card
// seen through OSS (sound/core/oss/pcm_oss.c, snd_pcm_oss_f_reg). Every
// open is an independent oss.DSP on free substreams of the device.
type dspNode struct {
	fs.Inode
	face  *ossFace    // immutable
	dev   *pcm.Device // immutable
	mixer *oss.Mixer  // immutable: the card's mixer, for 'M' requests on the dsp file
	name  string      // immutable: "dev/dsp", for the log
}

var (
	_ = (fs.NodeOpener)((*dspNode)(nil))
	_ = (fs.NodeReader)((*dspNode)(nil))
	_ = (fs.NodeWriter)((*dspNode)(nil))
	_ = (fs.NodeIoctler)((*dspNode)(nil))
	_ = (fs.NodeFlusher)((*dspNode)(nil))
	_ = (fs.NodeReleaser)((*dspNode)(nil))
	_ = (fs.NodeGetattrer)((*dspNode)(nil))
	_ = (fs.NodeSetattrer)((*dspNode)(nil))
)

// dspHandle is one open of a dsp node (struct snd_pcm_oss_file).
type dspHandle struct {
	node *dspNode // immutable
	dsp  *oss.DSP // immutable
	mode uint32   // immutable: the access mode it was opened with (O_ACCMODE bits)

	// nonblock is O_NONBLOCK as the last READ or WRITE carried it (the
	// open flags until then). Each transfer uses its own request's flags;
	// FLUSH carries none and uses this.
	nonblock atomic.Bool
	// written: playback bytes were accepted since the last flush.
	written atomic.Bool
	// idle is set by a flush and cleared by the next request: the file
	// was closed and its RELEASE is probably in flight (see openDSP).
	idle     atomic.Bool
	released chan struct{} // closed by Release
}

// Open implements fs.NodeOpener: snd_pcm_oss_open. O_WRONLY plays,
// O_RDONLY records, O_RDWR does both when the device has both directions.
// EBUSY when a wanted direction has no free substream (the kernel's answer
// with nonblock_open=1, its default).
func (n *dspNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	h, err := n.face.openDSP(ctx, n, flags)
	if err != nil {
		return nil, 0, n.face.fail(n.name, "open", err)
	}
	n.face.ok(n.name, "open", "flags", flags)
	return h, openFlags | fuse.FOPEN_NONSEEKABLE, 0
}

// handle returns f as a dsp handle, updating its O_NONBLOCK from the
// request (READ and WRITE carry the file's current flags; see flagsFS).
func (n *dspNode) handle(ctx context.Context, f fs.FileHandle) (*dspHandle, bool) {
	h, ok := f.(*dspHandle)
	if !ok {
		return nil, false
	}
	h.idle.Store(false)
	h.nonblock.Store(n.face.srv.raw.nonblock(ctx, h.nonblock.Load()))
	return h, true
}

// Write implements fs.NodeWriter: snd_pcm_oss_write. It blocks at the pace
// of the stream until everything is queued unless the file is
// non-blocking (now, or by SNDCTL_DSP_NONBLOCK); a FUSE interrupt (the
// writer got a signal) ends it with the bytes accepted so far, EINTR if
// none.
func (n *dspNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	h, ok := n.handle(ctx, f)
	if !ok {
		return 0, syscall.EBADF
	}
	w, err := h.dsp.Write(ctx, data, h.nonblock.Load())
	if w > 0 {
		h.written.Store(true)
		return uint32(w), 0
	}
	return 0, n.face.fail(n.name, "write", err)
}

// Read implements fs.NodeReader: snd_pcm_oss_read, a fragment at a time.
func (n *dspNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, ok := n.handle(ctx, f)
	if !ok {
		return nil, syscall.EBADF
	}
	r, err := h.dsp.Read(ctx, dest, h.nonblock.Load())
	if r > 0 || err == nil {
		return fuse.ReadResultData(dest[:r]), 0
	}
	return nil, n.face.fail(n.name, "read", err)
}

// Ioctl implements fs.NodeIoctler: snd_pcm_oss_ioctl. FUSE passes
// restricted ioctls only: the kernel copies _IOC_SIZE bytes in (input)
// for _IOC_WRITE and out (output) for _IOC_READ, which is exactly what the
// OSS requests use. Unknown requests answer as the kernel (EINVAL).
func (n *dspNode) Ioctl(ctx context.Context, f fs.FileHandle, cmd uint32, arg uint64, input, output []byte) (int32, syscall.Errno) {
	h, ok := f.(*dspHandle)
	if !ok {
		return 0, syscall.EBADF
	}
	h.idle.Store(false)
	out, err := h.dsp.Ioctl(ctx, cmd, input)
	if err != nil {
		return 0, n.face.fail(n.name, ioctlOp(cmd), err)
	}
	clear(output[copy(output, out):])
	return 0, 0
}

// Flush implements fs.NodeFlusher: close(2). Like snd_pcm_oss_release's
// sync, a file that played something drains before close returns: the
// tail of the sound is not lost and `close` returns when it has played.
// A non-blocking file (as last seen, or by SNDCTL_DSP_NONBLOCK) does not
// wait: its RELEASE drops what is queued. A closer that is exiting
// (killed: its FLUSH is interrupted) stops waiting; one that merely
// handles a signal drains on, as the data file does (drainOnClose).
func (n *dspNode) Flush(ctx context.Context, f fs.FileHandle) syscall.Errno {
	h, ok := f.(*dspHandle)
	if !ok {
		return 0
	}
	defer h.idle.Store(true)
	if !h.written.Swap(false) || h.nonblock.Load() || h.dsp.Nonblock() {
		return 0
	}
	err := h.dsp.Sync(ctx)
	if pcm.Errno(err) == syscall.EINTR && ctx.Err() != nil && !callerExiting(ctx) {
		n.face.ok(n.name, "close: sync interrupted by a handled signal; syncing on")
		err = h.dsp.Sync(context.Background())
	}
	if err != nil {
		n.face.fail(n.name, "close: sync", err)
	}
	return 0
}

// Release implements fs.NodeReleaser: the last descriptor is gone (also
// when the kernel closes a killed process's files). The substreams are
// given back at once, dropping whatever still plays; it never waits.
func (n *dspNode) Release(ctx context.Context, f fs.FileHandle) syscall.Errno {
	h, ok := f.(*dspHandle)
	if !ok {
		return 0
	}
	defer close(h.released)
	if err := h.dsp.Release(); err != nil {
		n.face.fail(n.name, "release", err)
	}
	n.face.forget(h)
	n.face.ok(n.name, "release")
	return 0
}

// Getattr implements fs.NodeGetattrer: rw for everyone, like /dev/dsp.
func (n *dspNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o666)
	return 0
}

// Setattr implements fs.NodeSetattrer: an O_TRUNC open (`sox ... > dsp`
// in a shell) becomes a size-0 setattr, accepted and ignored.
func (n *dspNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o666)
	return 0
}
