package timer

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// nanotime is the runtime's monotonic clock: clock_gettime(CLOCK_MONOTONIC)
// through the vDSO on Linux, without a system call or allocation. The
// runtime keeps this linkname working on purpose ("widely used packages
// access it using linkname", runtime/time_nofake.go).
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64

// rawRead is read(2) through RawSyscall: the calling goroutine keeps its P
// while blocked (HROptions.HoldP).
func rawRead(fd int, b *[8]byte) unix.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return e
}
