package fusefs

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/pcm"
)

// dataNode is a substream's data file: playback frames are written to it,
// capture frames read from it, with the semantics of read(2)/write(2) on
// an ALSA PCM device (snd_pcm_write/snd_pcm_read, sound/core/pcm_native.c).
// See the package doc, "The data file", for open and close.
type dataNode struct {
	fs.Inode
	st *stream // immutable
}

var (
	_ = (fs.NodeOpener)((*dataNode)(nil))
	_ = (fs.NodeReader)((*dataNode)(nil))
	_ = (fs.NodeWriter)((*dataNode)(nil))
	_ = (fs.NodeFlusher)((*dataNode)(nil))
	_ = (fs.NodeReleaser)((*dataNode)(nil))
	_ = (fs.NodeGetattrer)((*dataNode)(nil))
	_ = (fs.NodeSetattrer)((*dataNode)(nil))
)

// dataHandle is one open of a data file (only one at a time).
type dataHandle struct {
	st *stream // immutable

	mu       sync.Mutex // serializes this file's read, write, flush
	nonblock bool       // guarded by mu: O_NONBLOCK as last seen (FLUSH carries no flags)
	residue  []byte     // guarded by mu: bytes of an incomplete frame, written with the next write
	buf      []byte     // guarded by mu: scratch for residue+data
	written  bool       // guarded by mu: playback frames accepted since the last flush
	drained  bool       // guarded by mu: a flush drained the stream to SETUP; the next write prepares

	// idle is set by a flush and cleared by the next read or write: a
	// descriptor was closed and none has been used since, so the RELEASE
	// that ends this open is probably in flight (the kernel sends it
	// asynchronously after close(2) returns).
	idle     atomic.Bool
	released chan struct{} // closed by Release
}

// releaseWait bounds how long an open waits for the RELEASE of a closed
// previous handle before answering EBUSY: FUSE sends RELEASE after close(2)
// has returned, and `aplay a.wav; aplay b.wav` must not see EBUSY. The data
// file, the OSS dsp files and the ALSA PCM nodes all wait this long.
const releaseWait = 2 * time.Second

// waitReleased waits until every channel in released is closed (a handle's
// RELEASE has finished), at most releaseWait in all or until ctx ends (the
// opener got a signal). The caller then tries its open once more.
func waitReleased(ctx context.Context, released ...<-chan struct{}) {
	t := time.NewTimer(releaseWait)
	defer t.Stop()
	for _, r := range released {
		select {
		case <-r:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// Open implements fs.NodeOpener. The access mode must match the direction
// (playback: write, capture: read), else EINVAL, as read(2) on a playback
// PCM. The stream must be set up (EBADFD: write hw_params first); a second
// opener gets EBUSY. A stream in SETUP or XRUN is prepared.
func (n *dataNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	st := n.st
	h, err := st.openData(ctx, flags)
	if err != nil {
		return nil, 0, st.fail("open data", err)
	}
	st.ok("open data", "flags", flags)
	return h, openFlags | fuse.FOPEN_NONSEEKABLE, 0
}

func (st *stream) openData(ctx context.Context, flags uint32) (*dataHandle, error) {
	if st.dir == pcm.Playback && !wantsWrite(flags) {
		return nil, pcm.Errorf(syscall.EINVAL, "playback data is written, not read: open it for writing")
	}
	if st.dir == pcm.Capture && !wantsRead(flags) {
		return nil, pcm.Errorf(syscall.EINVAL, "capture data is read, not written: open it for reading")
	}
	waited := false
	for {
		h, old, err := st.tryOpenData(ctx, flags, waited)
		if old == nil {
			return h, err
		}
		// The previous open was closed but its RELEASE has not arrived:
		// wait for it (a program that closes and reopens must not see
		// EBUSY), then try once more.
		waited = true
		waitReleased(ctx, old.released)
	}
}

// tryOpenData is one attempt of openData. It returns the handle; or an
// idle previous handle to wait for (when waited is false); or an error.
func (st *stream) tryOpenData(ctx context.Context, flags uint32, waited bool) (*dataHandle, *dataHandle, error) {
	st.opMu.Lock()
	defer st.opMu.Unlock()
	st.mu.Lock()
	open, cur, shut := st.open, st.data, st.shut
	st.mu.Unlock()
	switch {
	case shut:
		return nil, nil, pcm.Errorf(syscall.ENODEV, "%s: the card is being unmounted", st.name)
	case cur != nil && cur.idle.Load() && !waited:
		return nil, cur, nil
	case cur != nil:
		return nil, nil, pcm.Errorf(syscall.EBUSY, "%s data is already open", st.name)
	case !open:
		return nil, nil, st.errNotOpen()
	}
	switch st.sub.State() {
	case pcm.StateOpen:
		return nil, nil, st.errNotOpen()
	case pcm.StateSetup, pcm.StateXRun:
		if err := st.sub.Prepare(); err != nil {
			return nil, nil, err
		}
	}
	h := &dataHandle{st: st, nonblock: flags&syscall.O_NONBLOCK != 0, released: make(chan struct{})}
	var pid uint32
	if c, ok := ctx.(*fuse.Context); ok {
		pid = c.Caller.Pid
	}
	st.mu.Lock()
	st.data = h
	st.ownerPid = pid
	st.mu.Unlock()
	return h, nil, nil
}

// startLocked begins a read or write of h: the request's O_NONBLOCK
// becomes the file's, and it returns the frame size of the stream's setup.
// Precondition: h.mu held.
func (h *dataHandle) startLocked(ctx context.Context) (int, error) {
	st := h.st
	h.nonblock = st.srv.raw.nonblock(ctx, h.nonblock)
	c, ok := st.sub.Config()
	if !ok {
		return 0, st.errNotOpen()
	}
	return c.FrameBytes(), nil
}

// Write implements fs.NodeWriter: snd_pcm_write. It blocks at real-time
// pace until every frame is queued; O_NONBLOCK queues what fits (EAGAIN if
// nothing); a signal ends it with what was accepted (EINTR if nothing). A
// trailing incomplete frame is kept and completed by the next write, so any
// byte stream (a pipe) can be written.
func (n *dataNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	h, ok := f.(*dataHandle)
	if !ok {
		return 0, syscall.EBADF
	}
	w, err := h.write(ctx, data)
	if err != nil && w == 0 {
		return 0, h.st.fail("write", err)
	}
	return uint32(w), 0
}

func (h *dataHandle) write(ctx context.Context, data []byte) (int, error) {
	st := h.st
	if st.dir != pcm.Playback {
		return 0, pcm.Errorf(syscall.EINVAL, "capture data cannot be written")
	}
	h.idle.Store(false)
	h.mu.Lock()
	defer h.mu.Unlock()
	fb, err := h.startLocked(ctx)
	if err != nil {
		return 0, err
	}
	if h.drained {
		// A flush drained the stream (a dup of this file was closed);
		// writing again starts a new run.
		if st.sub.State() == pcm.StateSetup {
			if err := st.sub.Prepare(); err != nil {
				return 0, err
			}
		}
		h.drained = false
	}
	old := len(h.residue)
	total := old + len(data)
	if total < fb {
		h.residue = append(h.residue, data...)
		return len(data), nil
	}
	buf := data
	if old > 0 {
		h.buf = append(append(h.buf[:0], h.residue...), data...)
		buf = h.buf
	}
	aligned := total / fb * fb
	frames, err := st.sub.Write(ctx, buf[:aligned], h.nonblock)
	w := frames * fb
	if w > 0 {
		h.written = true
	}
	if w == aligned {
		h.residue = append(h.residue[:0], buf[aligned:]...)
		return len(data), nil
	}
	// Short: a signal, O_NONBLOCK, or an error after some frames. The
	// residue went out first (w is whole frames, the residue less than
	// one).
	if w <= old {
		return 0, err
	}
	h.residue = h.residue[:0]
	return w - old, nil
}

// Read implements fs.NodeReader: snd_pcm_read, whole frames only.
func (n *dataNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, ok := f.(*dataHandle)
	if !ok {
		return nil, syscall.EBADF
	}
	r, err := h.read(ctx, dest)
	if err != nil && r == 0 {
		return nil, h.st.fail("read", err)
	}
	return fuse.ReadResultData(dest[:r]), 0
}

func (h *dataHandle) read(ctx context.Context, dest []byte) (int, error) {
	st := h.st
	if st.dir != pcm.Capture {
		return 0, pcm.Errorf(syscall.EINVAL, "playback data cannot be read")
	}
	h.idle.Store(false)
	h.mu.Lock()
	defer h.mu.Unlock()
	fb, err := h.startLocked(ctx)
	if err != nil {
		return 0, err
	}
	aligned := len(dest) / fb * fb
	if aligned == 0 {
		return 0, pcm.Errorf(syscall.EINVAL, "read of %d bytes is less than one frame (%d bytes)", len(dest), fb)
	}
	frames, err := st.sub.Read(ctx, dest[:aligned], h.nonblock)
	return frames * fb, err
}

// Flush implements fs.NodeFlusher: close(2) of a descriptor. If playback
// frames were written since the last flush, drain them: the close blocks
// until they have played (like OSS's close, snd_pcm_oss_release ->
// snd_pcm_oss_sync), so `cat f > data` returns when the sound has ended and
// the tail is not lost. A non-blocking file drops instead, and so does a
// closer that is exiting (killed): see drainOnClose. An incomplete trailing
// frame is discarded.
func (n *dataNode) Flush(ctx context.Context, f fs.FileHandle) syscall.Errno {
	h, ok := f.(*dataHandle)
	if !ok {
		return 0
	}
	defer h.idle.Store(true)
	if h.st.dir != pcm.Playback {
		return 0
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.written {
		return 0
	}
	h.written = false
	h.residue = h.residue[:0]
	st := h.st
	st.mu.Lock()
	shut := st.shut
	st.mu.Unlock()
	if shut {
		return 0 // the server released the substream; nothing to drain
	}
	if h.nonblock {
		if err := st.sub.Drop(); err != nil {
			st.fail("close data: drop", err)
		}
	} else if err := st.drainOnClose(ctx); err != nil {
		st.fail("close data: drain", err)
		if err := st.sub.Drop(); err != nil {
			st.fail("close data: drop", err)
		}
	}
	h.drained = true
	st.ok("close data")
	return 0
}

// drainOnClose drains for a closing writer. A signal interrupts the
// FLUSH (its context ends); if the closer is exiting (SIGKILL, or a fatal
// signal: the kernel closes its files) the drain stops there and the
// caller drops. A live closer that merely handles a signal (dd's SIGUSR1)
// keeps draining: losing the tail because of a progress report would be
// wrong. The core bounds every drain by the buffer's play-out time, so
// this never blocks for long.
func (st *stream) drainOnClose(ctx context.Context) error {
	err := st.sub.Drain(ctx, false)
	if pcm.Errno(err) == syscall.EINTR && ctx.Err() != nil && !callerExiting(ctx) {
		st.ok("close data: drain interrupted by a handled signal; draining on")
		err = st.sub.Drain(context.Background(), false)
	}
	return err
}

// callerExiting reports whether the process that made the request is
// exiting: its task flags (the 9th field of /proc/PID/stat) have PF_EXITING,
// or it is gone. FUSE reports the caller's thread id in the daemon's pid
// namespace.
func callerExiting(ctx context.Context) bool {
	c, ok := ctx.(*fuse.Context)
	if !ok || c.Caller.Pid == 0 {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(int(c.Caller.Pid)) + "/stat")
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return true
	}
	f := strings.Fields(string(b[i+1:])) // state ppid pgrp session tty_nr tpgid flags ...
	if len(f) < 7 {
		return true
	}
	flags, err := strconv.ParseUint(f[6], 10, 64)
	return err != nil || flags&pfExiting != 0 || f[0] == "Z" || f[0] == "X"
}

// pfExiting is PF_EXITING (include/linux/sched.h): set by do_exit before it
// closes the task's files.
const pfExiting = 0x00000004

// Release implements fs.NodeReleaser: the last descriptor is gone (also
// when the kernel closes a killed process's files). Whatever still runs is
// dropped without waiting, the stream is left in SETUP for the next run, and
// the data file can be opened again.
func (n *dataNode) Release(ctx context.Context, f fs.FileHandle) syscall.Errno {
	h, ok := f.(*dataHandle)
	if !ok {
		return 0
	}
	defer close(h.released)
	st := h.st
	st.opMu.Lock()
	defer st.opMu.Unlock()
	st.mu.Lock()
	mine, open := st.data == h, st.open
	st.mu.Unlock()
	if !mine {
		return 0
	}
	if open {
		switch st.sub.State() {
		case pcm.StateOpen, pcm.StateSetup, pcm.StateDisconnected:
		default:
			if err := st.sub.Drop(); err != nil {
				st.fail("release data: drop", err)
			}
		}
	}
	st.mu.Lock()
	st.data = nil
	st.ownerPid = 0
	st.mu.Unlock()
	st.maybeCloseLocked()
	st.ok("release data")
	return 0
}

// Getattr implements fs.NodeGetattrer: playback data is write-only,
// capture data read-only.
func (n *dataNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, n.mode())
	return 0
}

func (n *dataNode) mode() uint32 {
	if n.st.dir == pcm.Capture {
		return 0o444
	}
	return 0o222
}

// Setattr implements fs.NodeSetattrer: O_TRUNC (`cat f > data`) is
// accepted and ignored.
func (n *dataNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, n.mode())
	return 0
}
