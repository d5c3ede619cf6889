package fusefs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/fusefs/alsa"
	"github.com/vsnd/vsnd/fusefs/procmem"
	"github.com/vsnd/vsnd/pcm"
)

// addALSANodes fills DIR/dev/snd with the ALSA face's nodes: controlC<card>,
// pcmC<card>D<dev>p/c (fusefs/alsa answers their ioctls). They are
// regular files: alsa-lib opens /dev/snd/* with plain open(2) and never
// checks for a character device (ALSA-ABI-NOTES.md).
func (r *rootNode) addALSANodes(ctx context.Context, snd *fs.Inode) {
	face := r.srv.alsa
	if face == nil {
		return
	}
	var shared []string
	for n, c := range face.cards {
		name := fmt.Sprintf("controlC%d", n)
		r.addFile(ctx, snd, name, &alsaCtlNode{face: face, card: c, name: name})
		for _, d := range c.PCM().Devices {
			for st := pcm.Playback; st <= pcm.Capture; st++ {
				subs := len(d.Substreams(st))
				if subs == 0 {
					continue
				}
				name := fmt.Sprintf("pcmC%dD%d%c", n, d.Number, "pc"[st])
				// go-fuse keeps one passthrough backing file per inode
				// while any open exists: with several substreams behind
				// one node only the first opener would map its own
				// memfd. Such nodes are DIRECT_IO (mmap fails with
				// ENODEV) and offer no MMAP access (alsa_nommap.go).
				pass := subs == 1
				if !pass {
					shared = append(shared, name)
				}
				r.addFile(ctx, snd, name, &alsaPCMNode{face: face, card: c, dev: d.Number, st: st, name: name,
					pass: pass, open: map[*alsaPCMHandle]struct{}{}})
			}
		}
	}
	if len(shared) > 0 {
		face.warn.Do(func() {
			r.srv.log.Warn("ALSA PCM nodes with several substreams offer no MMAP access "+
				"(go-fuse passes one file per node through for mmap): aplay -M on hw fails, plughw emulates it, "+
				"and plughw/default cannot convert formats; configure one substream per device for mmap", "nodes", strings.Join(shared, ","))
		})
	}
}

// callerPid is the pid FUSE reports for the request (the calling thread,
// in the daemon's pid namespace; 0 when the caller is outside it).
func callerPid(ctx context.Context) int {
	if c, ok := fuse.FromContext(ctx); ok {
		return int(c.Pid)
	}
	return 0
}

// requestCancel is the request's cancel channel (unique among requests in
// flight), or nil.
func requestCancel(ctx context.Context) <-chan struct{} {
	if fc, ok := ctx.(*fuse.Context); ok {
		return fc.Cancel
	}
	return nil
}

// alsaAttr is the attributes of every dev/snd node: a regular file anyone
// may open, like the 0660 audio-group devices of a real card but without
// the group.
func alsaAttr(out *fuse.AttrOut) {
	fileAttr(out, 0o666)
}

// alsaCtlNode is controlC<card>.
type alsaCtlNode struct {
	fs.Inode
	face *alsaFace  // immutable
	card *alsa.Card // immutable
	name string     // immutable
}

var (
	_ = (fs.NodeOpener)((*alsaCtlNode)(nil))
	_ = (fs.NodeGetattrer)((*alsaCtlNode)(nil))
)

// Getattr implements fs.NodeGetattrer.
func (n *alsaCtlNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	alsaAttr(out)
	return 0
}

// Open implements fs.NodeOpener: snd_ctl_open.
func (n *alsaCtlNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	pid := callerPid(ctx)
	h := &alsaCtlHandle{alsaHandle: newALSAHandle(n.face, n.name, flags), ctl: n.card.OpenCtl(pid)}
	h.self = h
	if !n.face.add(&h.alsaHandle) {
		h.ctl.Release()
		return nil, 0, syscall.ENODEV
	}
	n.face.srv.log.Debug("alsa open", "node", n.name, "pid", pid)
	return h, fuse.FOPEN_DIRECT_IO | fuse.FOPEN_NONSEEKABLE, 0
}

// alsaPCMNode is pcmC<card>D<dev>p or ...c.
type alsaPCMNode struct {
	fs.Inode
	face *alsaFace  // immutable
	card *alsa.Card // immutable
	dev  int        // immutable
	st   pcm.Stream // immutable
	name string     // immutable
	pass bool       // immutable: one substream: mmap passes through to its memfd

	mu   sync.Mutex
	open map[*alsaPCMHandle]struct{} // guarded by mu: handles whose RELEASE has not finished
}

var (
	_ = (fs.NodeOpener)((*alsaPCMNode)(nil))
	_ = (fs.NodeGetattrer)((*alsaPCMNode)(nil))
)

// Getattr implements fs.NodeGetattrer.
func (n *alsaPCMNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	alsaAttr(out)
	return 0
}

// Open implements fs.NodeOpener: snd_pcm_open (alsa.Card.OpenPCM). When
// the substream is busy because its previous opener has closed the file
// but the RELEASE is still in flight, the open waits for it, then tries
// once more.
func (n *alsaPCMNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	pid := callerPid(ctx)
	nonblock := flags&syscall.O_NONBLOCK != 0
	var f *alsa.PCMFile
	for waited := false; ; waited = true {
		var err error
		f, err = n.card.OpenPCM(ctx, n.dev, n.st, pid, nonblock)
		if err == nil {
			break
		}
		if pcm.Errno(err) == syscall.EBUSY && !waited && n.waitClosing(ctx, true) {
			continue
		}
		n.face.srv.log.Debug("alsa open", "node", n.name, "pid", pid, "err", err)
		return nil, 0, pcm.Errno(err)
	}
	// The previous handle's RELEASE may have freed the substream and not
	// yet returned from go-fuse, which drops its passthrough backing file
	// only afterwards: wait, so that this open registers its own memfd.
	n.waitClosing(ctx, false)
	h := &alsaPCMHandle{alsaHandle: newALSAHandle(n.face, n.name, flags), node: n, pcm: f}
	h.self = h
	h.spin.face = n.face
	h.onDone = func() {
		n.mu.Lock()
		delete(n.open, h)
		n.mu.Unlock()
	}
	n.mu.Lock()
	n.open[h] = struct{}{}
	n.mu.Unlock()
	if !n.face.add(&h.alsaHandle) {
		h.finish()
		f.Release()
		return nil, 0, syscall.ENODEV
	}
	n.face.srv.log.Debug("alsa open", "node", n.name, "pid", pid, "sub", f.Substream().Name())
	// FOPEN_DIRECT_IO is also the fallback of a passthrough handle: if
	// go-fuse cannot register the memfd (no CAP_SYS_ADMIN), mmap fails
	// with ENODEV instead of going through the page cache (SIGBUS), and
	// alsa-lib falls back to SYNC_PTR. With FOPEN_PASSTHROUGH the kernel
	// ignores DIRECT_IO (fuse_file_io_open).
	if n.pass {
		return &alsaPassHandle{h}, fuse.FOPEN_DIRECT_IO, 0
	}
	return h, fuse.FOPEN_DIRECT_IO, 0
}

// waitClosing waits until every handle of the node whose release has
// begun (and, with idle, every handle that was flushed: closed by its
// process, its RELEASE probably in flight) has finished its RELEASE, at
// most releaseWait or until ctx ends (waitReleased). It reports whether
// there was one.
func (n *alsaPCMNode) waitClosing(ctx context.Context, idle bool) bool {
	var waits []<-chan struct{}
	n.mu.Lock()
	for h := range n.open {
		if (idle && h.idle.Load()) || h.releasing.Load() {
			waits = append(waits, h.done)
		}
	}
	n.mu.Unlock()
	if len(waits) == 0 {
		return false
	}
	waitReleased(ctx, waits...)
	return true
}

// alsaHandle is what both kinds of open file share: the caller's flags
// and the release bookkeeping.
type alsaHandle struct {
	face     *alsaFace                  // immutable
	name     string                     // immutable: the node's name
	nonblock bool                       // immutable: O_NONBLOCK at open
	flags    *procmem.Tracker           // immutable: the live O_NONBLOCK (fcntl is never forwarded)
	self     interface{ releaseFile() } // immutable: the outer handle

	// idle is set by FLUSH (the descriptor was closed, RELEASE probably
	// follows) and cleared by the next ioctl or read.
	idle      atomic.Bool
	releasing atomic.Bool   // set when RELEASE (or Unmount) has begun
	done      chan struct{} // closed when the RELEASE has fully finished
	doneOnce  sync.Once
	onDone    func() // immutable: extra work of finish, or nil
}

func newALSAHandle(face *alsaFace, name string, flags uint32) alsaHandle {
	return alsaHandle{
		face:     face,
		name:     name,
		nonblock: flags&syscall.O_NONBLOCK != 0,
		flags:    procmem.NewTracker(func(link string) bool { return strings.HasSuffix(link, "/"+name) }),
		done:     make(chan struct{}),
	}
}

// caller is the alsa.Caller of one request.
func (h *alsaHandle) caller(ctx context.Context) *alsa.ProcCaller {
	return &alsa.ProcCaller{PID: callerPid(ctx), Flags: h.flags, OpenNonblock: h.nonblock}
}

// closeFile releases the ALSA file (idempotent: the face's files are
// idempotent).
func (h *alsaHandle) closeFile() {
	h.releasing.Store(true)
	if h.self != nil {
		h.self.releaseFile()
	}
}

// finish marks the handle's RELEASE complete.
func (h *alsaHandle) finish() {
	h.doneOnce.Do(func() {
		if h.onDone != nil {
			h.onDone()
		}
		h.flags.Close()
		close(h.done)
	})
}

// release is the common FileReleaser: track the request, release the
// file; releaseFS finishes the handle when go-fuse is done too.
func (h *alsaHandle) release(ctx context.Context) syscall.Errno {
	h.releasing.Store(true)
	tracked := h.face.releaseStarted(requestCancel(ctx), h)
	h.closeFile()
	if !tracked {
		h.finish()
	}
	return 0
}

// Flush implements fs.FileFlusher: close(2) of a descriptor. Nothing is
// drained (snd_pcm_release drops; alsa-lib drains itself before close).
func (h *alsaHandle) Flush(ctx context.Context) syscall.Errno {
	h.idle.Store(true)
	return 0
}

func (h *alsaHandle) busy() {
	if h.idle.Load() {
		h.idle.Store(false)
	}
}

// logIoctl logs a failed ioctl at debug level (EAGAIN, EPIPE, ENOTTY are
// the normal answers of a working client).
func (h *alsaHandle) logIoctl(ctx context.Context, cmd uint32, err error) {
	if lg := h.face.srv.log; lg.Enabled(ctx, slog.LevelDebug) {
		lg.Debug("alsa ioctl", "node", h.name, "cmd", fmt.Sprintf("%#x", cmd), "err", err)
	}
}

// alsaCtlHandle is one open control file.
type alsaCtlHandle struct {
	alsaHandle
	ctl *alsa.CtlFile // immutable
}

var (
	_ = (fs.FileIoctler)((*alsaCtlHandle)(nil))
	_ = (fs.FileReader)((*alsaCtlHandle)(nil))
	_ = (fs.FileReleaser)((*alsaCtlHandle)(nil))
	_ = (fs.FileFlusher)((*alsaCtlHandle)(nil))
)

func (h *alsaCtlHandle) releaseFile() { h.ctl.Release() }

// Ioctl implements fs.FileIoctler: snd_ctl_ioctl.
func (h *alsaCtlHandle) Ioctl(ctx context.Context, cmd uint32, arg uint64, in, out []byte) (int32, syscall.Errno) {
	h.busy()
	err := h.ctl.Ioctl(ctx, h.caller(ctx), cmd, uintptr(arg), in, out)
	if err != nil {
		h.logIoctl(ctx, cmd, err)
	}
	return 0, pcm.Errno(err)
}

// Read implements fs.FileReader: snd_ctl_read, the subscribed events as
// 72-byte records. O_NONBLOCK comes with the READ request.
func (h *alsaCtlHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h.busy()
	n, err := h.ctl.Read(ctx, dest, h.face.srv.raw.nonblock(ctx, h.nonblock))
	if err != nil {
		return nil, pcm.Errno(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

// Release implements fs.FileReleaser: snd_ctl_release.
func (h *alsaCtlHandle) Release(ctx context.Context) syscall.Errno { return h.release(ctx) }

// alsaPCMHandle is one open PCM file.
type alsaPCMHandle struct {
	alsaHandle
	node *alsaPCMNode  // immutable
	pcm  *alsa.PCMFile // immutable
	spin spinGuard     // the poll FUSE cannot block in (alsa_spin.go)

	noMMap noMMap // HW_REFINE/HW_PARAMS without MMAP access, for nodes without passthrough
}

var (
	_ = (fs.FileIoctler)((*alsaPCMHandle)(nil))
	_ = (fs.FileReleaser)((*alsaPCMHandle)(nil))
	_ = (fs.FileFlusher)((*alsaPCMHandle)(nil))
)

func (h *alsaPCMHandle) releaseFile() {
	if err := h.pcm.Release(); err != nil {
		h.face.srv.log.Warn("alsa release", "node", h.name, "err", err)
	}
}

// Ioctl implements fs.FileIoctler: snd_pcm_ioctl. A FUSE INTERRUPT (a
// signal to the client) cancels ctx: a blocked transfer or DRAIN ends
// with EINTR or its partial count.
func (h *alsaPCMHandle) Ioctl(ctx context.Context, cmd uint32, arg uint64, in, out []byte) (int32, syscall.Errno) {
	h.busy()
	h.face.ioctls.Add(1)
	c := h.caller(ctx)
	sync, xfer := spinSync(cmd, in), spinXfer(cmd)
	if sync {
		h.face.syncs.Add(1)
	}
	if sync || xfer {
		h.spin.before(ctx, h.pcm, xfer, c)
	}
	var err error
	if !h.node.pass && isHWParams(cmd) {
		err = h.noMMap.hwParams(ctx, h.pcm, c, cmd, arg, in, out)
	} else {
		err = h.pcm.Ioctl(ctx, c, cmd, uintptr(arg), in, out)
	}
	if sync || xfer {
		h.spin.done()
	}
	if err != nil {
		h.logIoctl(ctx, cmd, err)
	}
	return 0, pcm.Errno(err)
}

// Release implements fs.FileReleaser: snd_pcm_release.
func (h *alsaPCMHandle) Release(ctx context.Context) syscall.Errno { return h.release(ctx) }

// alsaPassHandle is a PCM file whose mmap is the substream's memfd: FUSE
// passthrough (go-fuse registers the fd at open and answers
// FOPEN_PASSTHROUGH), so the client's MAP_SHARED mappings of the data,
// status (0x80000000) and control (0x81000000) offsets are the core's own
// pages, and alsa-lib needs no SYNC_PTR (ALSA-ABI-NOTES.md, "mmap").
type alsaPassHandle struct{ *alsaPCMHandle }

var (
	_ = (fs.FilePassthroughFder)((*alsaPassHandle)(nil))
	_ = (fs.FileIoctler)((*alsaPassHandle)(nil))
	_ = (fs.FileReleaser)((*alsaPassHandle)(nil))
	_ = (fs.FileFlusher)((*alsaPassHandle)(nil))
)

// PassthroughFd implements fs.FilePassthroughFder.
func (h *alsaPassHandle) PassthroughFd() (int, bool) {
	a := h.pcm.Substream().Area()
	if a == nil {
		return 0, false
	}
	return a.Fd(), true
}
