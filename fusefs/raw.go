package fusefs

import (
	"context"
	"sync"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
)

// flagsFS wraps go-fuse's node filesystem to hand each READ and WRITE the
// file's current open flags. go-fuse's node-level Read and Write get no
// flags, and the kernel never forwards fcntl(F_SETFL); but every FUSE READ
// and WRITE carries the file's flags as they are now (ReadIn.Flags,
// WriteIn.Flags). A client that opens O_NONBLOCK and clears it later
// (python's ossaudiodev, alsa-lib) must block after that: see OSS-NOTES.md.
//
// The flags travel by the request's cancel channel: go-fuse builds the
// node-level context from it (fuse.Context.Cancel), and it is unique among
// requests in flight.
type flagsFS struct {
	fuse.RawFileSystem

	mu    sync.Mutex
	flags map[<-chan struct{}]uint32 // guarded by mu: flags of READ/WRITE requests in flight
}

func (f *flagsFS) set(cancel <-chan struct{}, flags uint32) {
	f.mu.Lock()
	if f.flags == nil {
		f.flags = make(map[<-chan struct{}]uint32)
	}
	f.flags[cancel] = flags
	f.mu.Unlock()
}

func (f *flagsFS) clear(cancel <-chan struct{}) {
	f.mu.Lock()
	delete(f.flags, cancel)
	f.mu.Unlock()
}

// nonblock reports O_NONBLOCK as the READ or WRITE request whose
// node-level context is ctx carries it; outside such a request (FLUSH,
// IOCTL carry no flags) it returns cur, the flag as last seen.
func (f *flagsFS) nonblock(ctx context.Context, cur bool) bool {
	fc, ok := ctx.(*fuse.Context)
	if !ok || fc.Cancel == nil {
		return cur
	}
	f.mu.Lock()
	fl, ok := f.flags[fc.Cancel]
	f.mu.Unlock()
	if !ok {
		return cur
	}
	return fl&syscall.O_NONBLOCK != 0
}

// Read implements fuse.RawFileSystem.
func (f *flagsFS) Read(cancel <-chan struct{}, in *fuse.ReadIn, buf []byte) (fuse.ReadResult, fuse.Status) {
	f.set(cancel, in.Flags)
	defer f.clear(cancel)
	return f.RawFileSystem.Read(cancel, in, buf)
}

// Write implements fuse.RawFileSystem.
func (f *flagsFS) Write(cancel <-chan struct{}, in *fuse.WriteIn, data []byte) (uint32, fuse.Status) {
	f.set(cancel, in.Flags)
	defer f.clear(cancel)
	return f.RawFileSystem.Write(cancel, in, data)
}

// Writev implements fuse.RawFileSystem (go-fuse uses it for large writes).
func (f *flagsFS) Writev(cancel <-chan struct{}, in *fuse.WriteIn, data [][]byte) (uint32, fuse.Status) {
	f.set(cancel, in.Flags)
	defer f.clear(cancel)
	return f.RawFileSystem.Writev(cancel, in, data)
}
