package fusefs

import (
	"context"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/fusefs/oss"
)

// mixerNode is DIR/dev/mixer (mixerN): a card's mixer through OSS
// (sound/core/oss/mixer_oss.c). Opens hold nothing; every request goes to
// the card's oss.Mixer, whose backend is the card's pcm/mixer, so a level
// set here is the gain the card's sinks and sources apply.
type mixerNode struct {
	fs.Inode
	face  *ossFace   // immutable
	mixer *oss.Mixer // immutable
	name  string     // immutable: "dev/mixer", for the log
}

var (
	_ = (fs.NodeOpener)((*mixerNode)(nil))
	_ = (fs.NodeReader)((*mixerNode)(nil))
	_ = (fs.NodeWriter)((*mixerNode)(nil))
	_ = (fs.NodeIoctler)((*mixerNode)(nil))
	_ = (fs.NodeGetattrer)((*mixerNode)(nil))
	_ = (fs.NodeSetattrer)((*mixerNode)(nil))
)

// mixerHandle is one open of a mixer node; it only marks the file as the
// mixer's.
type mixerHandle struct{}

// Open implements fs.NodeOpener: snd_mixer_oss_open, any mode.
func (n *mixerNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	return &mixerHandle{}, openFlags | fuse.FOPEN_NONSEEKABLE, 0
}

// Read implements fs.NodeReader: the OSS mixer has no read (EINVAL, the
// VFS's answer for a file without a read method).
func (n *mixerNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	return nil, syscall.EINVAL
}

// Write implements fs.NodeWriter: no write either.
func (n *mixerNode) Write(ctx context.Context, f fs.FileHandle, data []byte, off int64) (uint32, syscall.Errno) {
	return 0, syscall.EINVAL
}

// Ioctl implements fs.NodeIoctler: snd_mixer_oss_ioctl (restricted
// ioctls: the kernel copies _IOC_SIZE in and out, as for dsp).
func (n *mixerNode) Ioctl(ctx context.Context, f fs.FileHandle, cmd uint32, arg uint64, input, output []byte) (int32, syscall.Errno) {
	out, err := n.mixer.Ioctl(cmd, input)
	if err != nil {
		return 0, n.face.fail(n.name, ioctlOp(cmd), err)
	}
	clear(output[copy(output, out):])
	return 0, 0
}

// Getattr implements fs.NodeGetattrer.
func (n *mixerNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o666)
	return 0
}

// Setattr implements fs.NodeSetattrer: O_TRUNC is accepted and ignored.
func (n *mixerNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o666)
	return 0
}
