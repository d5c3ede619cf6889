package procmem

import (
	"errors"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vsnd/vsnd/pcm"
)

// ReadFrom copies len(dst) bytes from address addr of process pid into
// dst, like the kernel's copy_from_user on the caller's pointer. It is
// all or nothing for the caller: a transfer that stops short (the range runs
// into an unmapped page) is retried from where it stopped, and if no byte
// more can be moved the result is EFAULT, as copy_from_user's failure is.
//
// Errors (all *pcm.Error): EFAULT for an address that is not mapped
// readable in pid; ESRCH if pid does not exist (or is 0: FUSE reports 0 for
// a caller outside the daemon's pid namespace); EPERM if the daemon may not
// ptrace pid (process_vm_readv(2) checks PTRACE_MODE_ATTACH_REALCREDS).
func ReadFrom(pid int, addr uintptr, dst []byte) error {
	return transfer(pid, addr, dst, false)
}

// WriteTo copies src to address addr of process pid (copy_to_user /
// put_user on the caller's pointer). Errors as for ReadFrom; like a failed
// copy_to_user, a failed WriteTo may have stored a prefix of src.
func WriteTo(pid int, addr uintptr, src []byte) error {
	return transfer(pid, addr, src, true)
}

func transfer(pid int, addr uintptr, buf []byte, write bool) error {
	if len(buf) == 0 {
		return nil
	}
	if pid <= 0 {
		return pcm.Errorf(syscall.ESRCH, "procmem: caller pid %d is unknown (outside the daemon's pid namespace?)", pid)
	}
	if addr == 0 {
		return pcm.Errorf(syscall.EFAULT, "procmem: NULL address in pid %d", pid)
	}
	done := 0
	for done < len(buf) {
		n, err := vm(pid, addr+uintptr(done), buf[done:], write)
		if err != nil {
			return vmError(err, pid, addr, done, len(buf), write)
		}
		if n <= 0 {
			// No progress without an error: the next page is not
			// there. process_vm_*v report EFAULT only when not a
			// single byte moved; ask again to get it, else fail here.
			return pcm.Errorf(syscall.EFAULT, "procmem: %s pid %d at %#x: stopped after %d of %d bytes",
				op(write), pid, addr, done, len(buf))
		}
		done += n
	}
	return nil
}

// vm issues one process_vm_readv/writev with one iovec on each side.
func vm(pid int, addr uintptr, buf []byte, write bool) (int, error) {
	local := []unix.Iovec{{Base: unsafe.SliceData(buf)}}
	local[0].SetLen(len(buf))
	remote := []unix.RemoteIovec{{Base: addr, Len: len(buf)}}
	for {
		var n int
		var err error
		if write {
			n, err = unix.ProcessVMWritev(pid, local, remote, 0)
		} else {
			n, err = unix.ProcessVMReadv(pid, local, remote, 0)
		}
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

func vmError(err error, pid int, addr uintptr, done, total int, write bool) error {
	var en syscall.Errno
	if !errors.As(err, &en) {
		en = syscall.EIO
	}
	switch en {
	case syscall.EFAULT:
		return pcm.Errorf(syscall.EFAULT, "procmem: %s pid %d at %#x: bad address after %d of %d bytes",
			op(write), pid, addr, done, total)
	case syscall.ESRCH:
		return pcm.Errorf(syscall.ESRCH, "procmem: pid %d is gone", pid)
	case syscall.EPERM:
		return pcm.Errorf(syscall.EPERM, "procmem: not allowed to access pid %d's memory", pid)
	}
	return pcm.Errorf(en, "procmem: %s pid %d at %#x: %v", op(write), pid, addr, en)
}

func op(write bool) string {
	if write {
		return "write to"
	}
	return "read from"
}
