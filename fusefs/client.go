package fusefs

import (
	"os"
	"syscall"
)

// OpenBlocking opens a file of a vsnd mount for a Go program: with open(2)
// and os.NewFile, so the descriptor stays blocking and out of the runtime's
// poller. os.OpenFile would register the FUSE file with epoll (FUSE files
// accept it) and make it non-blocking; go-fuse does not answer FUSE poll, so
// the kernel reports the file always ready, and a write that would block
// parks the goroutine forever after EAGAIN. flag must not hold O_NONBLOCK
// (a non-blocking descriptor goes into the poller again: use raw syscalls
// for those).
func OpenBlocking(path string, flag int) (*os.File, error) {
	fd, err := syscall.Open(path, flag|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
