package fusefs

import (
	"context"
	"fmt"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/pcm"
)

// rootNode is the mount's root directory. OnAdd builds the whole tree once:
// the cards never change while mounted.
type rootNode struct {
	fs.Inode
	srv *Server // immutable
}

var _ = (fs.NodeOnAdder)((*rootNode)(nil))

// OnAdd implements fs.NodeOnAdder: it builds
//
//	cards
//	cardN/{id,info,pcmDp/{info,subS/...},pcmDc/...}
//	dev/snd/ (the ALSA face) and dev/dsp*, adsp*, mixer* (the OSS face)
func (r *rootNode) OnAdd(ctx context.Context) {
	s := r.srv
	r.addFile(ctx, &r.Inode, "cards", &procNode{gen: s.cardsText})
	for _, c := range s.cards {
		cd := r.addDir(ctx, &r.Inode, fmt.Sprintf("card%d", c.Number))
		r.addFile(ctx, cd, "id", &procNode{gen: func() string { return c.ID + "\n" }})
		r.addFile(ctx, cd, "info", &procNode{gen: func() string { return cardInfoText(c) }})
		for _, d := range c.Devices {
			for st := pcm.Playback; st <= pcm.Capture; st++ {
				if len(d.Substreams(st)) == 0 {
					continue
				}
				sd := r.addDir(ctx, cd, d.StreamDir(st))
				r.addFile(ctx, sd, "info", &procNode{gen: func() string { return pcmInfoText(d, st, 0) }})
			}
		}
	}
	for _, ss := range s.streams {
		cd := r.GetChild(fmt.Sprintf("card%d", ss.dev.Card.Number))
		sd := cd.GetChild(ss.dev.StreamDir(ss.dir))
		sub := r.addDir(ctx, sd, fmt.Sprintf("sub%d", ss.num))
		r.addFile(ctx, sub, "info", &procNode{gen: func() string { return pcmInfoText(ss.dev, ss.dir, ss.num) }})
		r.addFile(ctx, sub, "status", &procNode{gen: ss.statusText})
		r.addFile(ctx, sub, "error", &procNode{gen: ss.errorText})
		r.addFile(ctx, sub, "hw_params", &paramsNode{st: ss, hw: true})
		r.addFile(ctx, sub, "sw_params", &paramsNode{st: ss})
		for _, a := range []action{actPrepare, actHWFree, actTrigger} {
			r.addFile(ctx, sub, a.String(), &actionNode{st: ss, act: a})
		}
		r.addFile(ctx, sub, ss.endpointName(), &endpointNode{st: ss})
		r.addFile(ctx, sub, "data", &dataNode{st: ss})
	}
	dev := r.addDir(ctx, &r.Inode, "dev")
	r.addALSANodes(ctx, r.addDir(ctx, dev, "snd"))
	r.addOSSNodes(ctx, dev)
}

func (r *rootNode) addDir(ctx context.Context, parent *fs.Inode, name string) *fs.Inode {
	ch := parent.NewPersistentInode(ctx, &dirNode{}, fs.StableAttr{Mode: syscall.S_IFDIR})
	parent.AddChild(name, ch, false)
	return ch
}

func (r *rootNode) addFile(ctx context.Context, parent *fs.Inode, name string, n fs.InodeEmbedder) {
	ch := parent.NewPersistentInode(ctx, n, fs.StableAttr{Mode: syscall.S_IFREG})
	parent.AddChild(name, ch, false)
}

// fileAttr fills the attributes every file of the tree shares: a regular
// file of size 0 (the content is generated per open), owned by root.
func fileAttr(out *fuse.AttrOut, mode uint32) {
	out.Mode = syscall.S_IFREG | mode
	out.Nlink = 1
	out.Size = 0
	setTimes(out)
}

// startTime stamps every file and directory: the tree is created when the
// daemon starts and never changes shape.
var startTime = time.Now()

func setTimes(out *fuse.AttrOut) {
	t := startTime
	out.SetTimes(&t, &t, &t)
}

// dirNode is a directory of the tree (cardN, pcmDp, subS, dev, dev/snd):
// its children are added once by rootNode.OnAdd.
type dirNode struct {
	fs.Inode
}

var _ = (fs.NodeGetattrer)((*dirNode)(nil))

// Getattr implements fs.NodeGetattrer: 0755, two links, the start time.
func (n *dirNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFDIR | 0o755
	out.Nlink = 2
	setTimes(out)
	return 0
}

// openFlags is what every open of a generated or control file answers:
// FOPEN_DIRECT_IO, because the size is meaningless and the content changes
// from one read to the next; no page cache, so every read and write
// reaches the daemon.
const openFlags = fuse.FOPEN_DIRECT_IO

func accMode(flags uint32) uint32 { return flags & syscall.O_ACCMODE }

func wantsRead(flags uint32) bool  { return accMode(flags) != syscall.O_WRONLY }
func wantsWrite(flags uint32) bool { return accMode(flags) != syscall.O_RDONLY }

// textHandle is the per-open state of a generated file: a snapshot taken at
// open, served by offset, so `cat` sees one consistent text however many
// reads it takes.
type textHandle struct {
	text []byte // immutable
}

func (h *textHandle) read(dest []byte, off int64) fuse.ReadResult {
	if h == nil || off >= int64(len(h.text)) {
		return fuse.ReadResultData(nil)
	}
	end := min(int64(len(h.text)), off+int64(len(dest)))
	return fuse.ReadResultData(h.text[off:end])
}

// procNode is a read-only generated file, like a /proc/asound entry: cards,
// id, info, status, error.
type procNode struct {
	fs.Inode
	gen func() string // immutable
}

var (
	_ = (fs.NodeOpener)((*procNode)(nil))
	_ = (fs.NodeReader)((*procNode)(nil))
	_ = (fs.NodeGetattrer)((*procNode)(nil))
	_ = (fs.NodeSetattrer)((*procNode)(nil))
)

// Open implements fs.NodeOpener: a snapshot of the text; write opens are
// EACCES.
func (n *procNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	if wantsWrite(flags) {
		return nil, 0, syscall.EACCES
	}
	return &textHandle{text: []byte(n.gen())}, openFlags, 0
}

// Read implements fs.NodeReader.
func (n *procNode) Read(ctx context.Context, f fs.FileHandle, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	h, _ := f.(*textHandle)
	return h.read(dest, off), 0
}

// Getattr implements fs.NodeGetattrer.
func (n *procNode) Getattr(ctx context.Context, f fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	fileAttr(out, 0o444)
	return 0
}

// Setattr implements fs.NodeSetattrer: read-only.
func (n *procNode) Setattr(ctx context.Context, f fs.FileHandle, in *fuse.SetAttrIn, out *fuse.AttrOut) syscall.Errno {
	return syscall.EACCES
}
