package alsa

import (
	"syscall"

	"github.com/vsnd/vsnd/fusefs/procmem"
	"github.com/vsnd/vsnd/pcm"
)

// Caller is the process behind one FUSE request: what the kernel's ioctl
// handlers reach through copy_from_user/copy_to_user and file->f_flags.
// The FUSE plumbing builds one per request (ProcCaller), tests use a fake
// backed by a byte slice.
type Caller interface {
	// Pid is the caller's thread id in the daemon's pid namespace, 0 when
	// FUSE could not see it (a caller outside the namespace).
	Pid() int
	// ReadMem copies len(p) bytes at the caller's address addr into p
	// (copy_from_user): all or nothing, EFAULT for a bad address, ESRCH
	// when the pid is unknown.
	ReadMem(addr uintptr, p []byte) error
	// WriteMem copies p to the caller's address addr (copy_to_user,
	// put_user). Errors as ReadMem.
	WriteMem(addr uintptr, p []byte) error
	// Nonblock reports the file's current O_NONBLOCK (file->f_flags):
	// alsa-lib flips it with fcntl(F_SETFL), which FUSE never forwards, so
	// the open flags are stale (ALSA-ABI-NOTES.md).
	Nonblock() bool
}

// ProcCaller is the Caller of a real FUSE request: memory through
// process_vm_readv/writev (package procmem) and the flags through a
// procmem.Tracker owned by the file handle.
type ProcCaller struct {
	PID int
	// Flags follows the caller's descriptor on the node; nil means "use
	// OpenNonblock".
	Flags *procmem.Tracker
	// OpenNonblock is O_NONBLOCK as the open saw it: the answer when the
	// tracker cannot find the descriptor (pid 0, no ptrace right).
	OpenNonblock bool
}

// Pid implements Caller.
func (p *ProcCaller) Pid() int { return p.PID }

// ReadMem implements Caller with procmem.ReadFrom.
func (p *ProcCaller) ReadMem(addr uintptr, b []byte) error { return procmem.ReadFrom(p.PID, addr, b) }

// WriteMem implements Caller with procmem.WriteTo.
func (p *ProcCaller) WriteMem(addr uintptr, b []byte) error { return procmem.WriteTo(p.PID, addr, b) }

// Nonblock implements Caller: the live flag from fdinfo, else the open
// flag.
func (p *ProcCaller) Nonblock() bool {
	if p.Flags == nil || p.PID <= 0 {
		return p.OpenNonblock
	}
	nb, err := p.Flags.Nonblock(p.PID)
	if err != nil {
		return p.OpenNonblock
	}
	return nb
}

var _ Caller = (*ProcCaller)(nil)

// Errors shared by both node kinds. They are preallocated so that the hot
// paths of a spinning client cost no allocation.
var (
	errNotTTY   = &pcm.Error{Errno: syscall.ENOTTY, Reason: "alsa: unknown ioctl"}
	errShort    = &pcm.Error{Errno: syscall.EINVAL, Reason: "alsa: ioctl argument shorter than its struct"}
	errClosed   = &pcm.Error{Errno: syscall.EBADF, Reason: "alsa: file already released"}
	errLinkFd   = &pcm.Error{Errno: syscall.EBADFD, Reason: "alsa: LINK: the fd is not a kernel PCM file (vsnd cannot link streams)"}
	errUnlinked = &pcm.Error{Errno: syscall.EALREADY, Reason: "alsa: UNLINK: the stream is not linked"}
)

// argIn returns the n bytes of an argument the kernel reads: the bytes
// FUSE copied in when the request has _IOC_WRITE, else read from the
// caller at arg (the _IOR requests the kernel nevertheless reads:
// READI_FRAMES, CHANNEL_INFO, PCM_NEXT_DEVICE). buf must hold n bytes.
func argIn(c Caller, arg uintptr, in []byte, buf []byte) ([]byte, error) {
	if len(in) >= len(buf) {
		return in[:len(buf)], nil
	}
	if len(in) != 0 {
		return nil, errShort
	}
	if c == nil {
		return nil, pcm.Errorf(syscall.EFAULT, "alsa: no caller to read the argument from")
	}
	if err := c.ReadMem(arg, buf); err != nil {
		return nil, err
	}
	return buf, nil
}
