package timer

import (
	"time"
	_ "unsafe" // go:linkname
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
