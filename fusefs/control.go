package fusefs

import (
	"context"
	"strings"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
)

// The control files. Each write is one request, performed before the write
// returns; its errno is the write's errno and its reason goes to the log
// and the substream's error file. A read shows a snapshot taken at open.
// O_TRUNC opens (`echo x > file`) reach Setattr, which accepts size 0.

// paramsNode is hw_params or sw_params: read the current params in the
// /proc/asound format, write key=value pairs to set them.
type paramsNode struct {
	fs.Inode
	st *stream // immutable
	hw bool    // immutable: hw_params (else sw_params)
}

var (
	_ = (fs.NodeOpener)((*paramsNode)(nil))
	_ = (fs.NodeReader)((*paramsNode)(nil))
	_ = (fs.NodeWriter)((*paramsNode)(nil))
	_ = (fs.NodeGetattrer)((*paramsNode)(nil))
	_ = (fs.NodeSetattrer)((*paramsNode)(nil))
)

func (n *paramsNode) op() string {
	if n.hw {
		return "hw_params"
	}
	return "sw_params"
}

// Open implements fs.NodeOpener.
func (n *paramsNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	h := &textHandle{}
	if wantsRead(flags) {
		if n.hw {
			h.text = []byte(n.st.hwParamsText())
		} else {
			h.text = []byte(n.st.swParamsText())
		}
	}
	return h, openFlags, 0
}

// Read implements fs.NodeReader.
func (n *paramsNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, _ := f.(*textHandle)
	return h.read(dest, off), 0
}

// Write implements fs.NodeWriter: set the params.
func (n *paramsNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	var err error
	if n.hw {
		err = n.st.setHWParams(string(data))
	} else {
		err = n.st.setSWParams(string(data))
	}
	if err != nil {
		return 0, n.st.fail(n.op()+" "+strings.TrimSpace(string(data)), err)
	}
	return uint32(len(data)), 0
}

// Getattr implements fs.NodeGetattrer.
func (n *paramsNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o644)
	return 0
}

// Setattr implements fs.NodeSetattrer: truncation is accepted and ignored.
func (n *paramsNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o644)
	return 0
}

// actionNode is prepare, hw_free or trigger: a write performs the action
// (waiting as the kernel's ioctl would: sync_stop, drain); a read shows
// usage.
type actionNode struct {
	fs.Inode
	st  *stream // immutable
	act action  // immutable
}

var (
	_ = (fs.NodeOpener)((*actionNode)(nil))
	_ = (fs.NodeReader)((*actionNode)(nil))
	_ = (fs.NodeWriter)((*actionNode)(nil))
	_ = (fs.NodeGetattrer)((*actionNode)(nil))
	_ = (fs.NodeSetattrer)((*actionNode)(nil))
)

// Open implements fs.NodeOpener.
func (n *actionNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	return &textHandle{text: []byte(n.act.usage())}, openFlags, 0
}

// Read implements fs.NodeReader.
func (n *actionNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, _ := f.(*textHandle)
	return h.read(dest, off), 0
}

// Write implements fs.NodeWriter: perform the action. A drain waits for
// the queued audio whatever the file's O_NONBLOCK: Go's os.OpenFile makes
// every FUSE file non-blocking (it enters the runtime poller), and an
// EAGAIN there would park the writer forever, since go-fuse has no FUSE
// poll to wake it. The caller's signals end the wait (the request
// context).
func (n *actionNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	arg := strings.TrimSpace(string(data))
	if err := n.st.control(ctx, n.act, arg); err != nil {
		op := n.act.String()
		if n.act == actTrigger {
			op += " " + arg
		}
		return 0, n.st.fail(op, err)
	}
	n.st.ok(n.act.String(), "arg", arg)
	return uint32(len(data)), 0
}

// Getattr implements fs.NodeGetattrer.
func (n *actionNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o644)
	return 0
}

// Setattr implements fs.NodeSetattrer: truncation is accepted and ignored.
func (n *actionNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o644)
	return 0
}

// endpointNode is sink (playback) or source (capture): read the SPEC,
// write a new one to switch at run time.
type endpointNode struct {
	fs.Inode
	st *stream // immutable
}

var (
	_ = (fs.NodeOpener)((*endpointNode)(nil))
	_ = (fs.NodeReader)((*endpointNode)(nil))
	_ = (fs.NodeWriter)((*endpointNode)(nil))
	_ = (fs.NodeGetattrer)((*endpointNode)(nil))
	_ = (fs.NodeSetattrer)((*endpointNode)(nil))
)

// Open implements fs.NodeOpener.
func (n *endpointNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	n.st.mu.Lock()
	spec := n.st.spec
	n.st.mu.Unlock()
	return &textHandle{text: []byte(spec + "\n")}, openFlags, 0
}

// Read implements fs.NodeReader.
func (n *endpointNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, _ := f.(*textHandle)
	return h.read(dest, off), 0
}

// Write implements fs.NodeWriter: parse the SPEC and switch to it.
func (n *endpointNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	spec := strings.TrimSpace(string(data))
	if err := n.st.setEndpoint(spec); err != nil {
		return 0, n.st.fail(n.st.endpointName()+" "+spec, err)
	}
	n.st.ok(n.st.endpointName(), "spec", spec)
	return uint32(len(data)), 0
}

// Getattr implements fs.NodeGetattrer.
func (n *endpointNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o644)
	return 0
}

// Setattr implements fs.NodeSetattrer: truncation is accepted and ignored.
func (n *endpointNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o644)
	return 0
}
