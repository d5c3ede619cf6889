package pcm

import (
	"errors"
	"fmt"
	"syscall"
)

// Error is an errno the kernel would return, with a readable reason. Every
// error the core returns to a face is an *Error (or a bare syscall.Errno), so
// a face turns it into the right errno with Errno and shows Reason to the
// user (log line, error file).
type Error struct {
	Errno  syscall.Errno
	Reason string
}

func (e *Error) Error() string { return e.Reason + " (" + e.Errno.Error() + ")" }

// Unwrap lets errors.Is(err, syscall.EINVAL) work.
func (e *Error) Unwrap() error { return e.Errno }

// Errorf returns an *Error with errno and a formatted reason.
func Errorf(errno syscall.Errno, format string, args ...any) error {
	return &Error{Errno: errno, Reason: fmt.Sprintf(format, args...)}
}

// Errno extracts the errno from err: the errno of an *Error or a wrapped
// syscall.Errno, EIO for any other non-nil error, 0 for nil. (go-fuse's
// fs.ToErrno would turn a wrapped errno into ENOSYS: STYLE.md, trap 1.)
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe.Errno
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}
