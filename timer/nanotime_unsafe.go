package timer

import (
	"time"
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

// Monotonic is a Clock reading CLOCK_MONOTONIC: the time base of HR
// deadlines and of the kernel's hrtimers.
type Monotonic struct{}

var _ Clock = Monotonic{}

// Now returns CLOCK_MONOTONIC (Clock).
func (Monotonic) Now() time.Duration { return time.Duration(nanotime()) }

// rawRead is read(2) through RawSyscall: the calling goroutine keeps its P
// while blocked (HROptions.HoldP).
func rawRead(fd int, b *[8]byte) unix.Errno {
	_, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return e
}
