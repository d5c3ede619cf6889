package fusefs

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"
)

// newServerCloexec is fuse.NewServer with the FUSE connection's fd kept out
// of every child process.
//
// go-fuse v2.12.1's mountDirect (fuse/mount_linux.go) opens /dev/fuse
// without O_CLOEXEC and returns before the syscall.CloseOnExec that only
// its fusermount path runs. Every program the daemon starts (the clients of
// `vsnd run`, test clients) would then inherit the connection: a client
// stuck in a FUSE request keeps the connection alive, so it cannot be
// killed and the mount cannot be aborted by the daemon's exit. Holding
// syscall.ForkLock while the fd exists without the flag keeps a concurrent
// fork/exec from inheriting it (os/exec takes ForkLock for reading).
func newServerCloexec(fsys fuse.RawFileSystem, dir string, mo *fuse.MountOptions) (*fuse.Server, error) {
	syscall.ForkLock.Lock()
	defer syscall.ForkLock.Unlock()
	srv, err := fuse.NewServer(fsys, dir, mo)
	setFuseFdsCloexec()
	return srv, err
}

// setFuseFdsCloexec sets FD_CLOEXEC on every fd of this process open on
// /dev/fuse. Precondition: syscall.ForkLock held for writing.
func setFuseFdsCloexec() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && target == "/dev/fuse" {
			unix.CloseOnExec(fd)
		}
	}
}
