package mmap

import (
	"errors"
	"syscall"
)

// Error is an errno the kernel would return, with a readable reason. mmap
// cannot use pcm.Error (pcm imports mmap), but the shape is the same:
// errors.As(err, &syscall.Errno) and pcm.Errno(err) both find Errno.
type Error struct {
	Errno  syscall.Errno
	Reason string
}

func (e *Error) Error() string { return "mmap: " + e.Reason + " (" + e.Errno.Error() + ")" }

// Unwrap lets errors.Is(err, unix.EBADFD) and errors.As(err, &errno) work.
func (e *Error) Unwrap() error { return e.Errno }

func errorf(errno syscall.Errno, reason string) error {
	return &Error{Errno: errno, Reason: reason}
}

// wrapErrno turns a syscall error, bare or wrapped (*os.PathError), into
// an *Error with the same errno, EIO if err carries none.
func wrapErrno(err error, what string) error {
	var en syscall.Errno
	if !errors.As(err, &en) {
		en = syscall.EIO
	}
	return &Error{Errno: en, Reason: what + ": " + err.Error()}
}
