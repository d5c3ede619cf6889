package procmem

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/vsnd/vsnd/pcm"
)

// FD is one file descriptor of a client process, found once by Find and
// then read again cheaply: it keeps /proc/<pid>/fdinfo/<num> open and
// re-reads it with a single pread at offset 0 (fdinfo is a seq_file whose
// show function, seq_show in fs/proc/fd.c, runs afresh on every read from
// the start, so each read reports the current f_flags).
//
// An FD is safe for concurrent use. Close it when the open file it tracks
// is released.
type FD struct {
	pid   int    // immutable
	num   int    // immutable
	link  string // immutable: readlink of /proc/<pid>/fd/<num> at Find
	ino   uint64 // immutable: "ino:" of the first read, 0 if not reported
	mntID int64  // immutable: "mnt_id:" of the first read, -1 if not reported

	mu   sync.Mutex
	info int // guarded by mu: our fd on the fdinfo file, -1 once closed
}

// Pid returns the process the descriptor belongs to.
func (f *FD) Pid() int { return f.pid }

// Num returns the descriptor number in that process.
func (f *FD) Num() int { return f.num }

// Link returns what /proc/<pid>/fd/<num> pointed to when it was found.
func (f *FD) Link() string { return f.link }

// Ino returns the inode number fdinfo reported (0 on kernels before 5.14,
// which do not print "ino:").
func (f *FD) Ino() uint64 { return f.ino }

// Find scans /proc/<pid>/fd and returns the lowest-numbered descriptor
// whose link target satisfies match. The link text is the path as the
// kernel's d_path prints it, relative to the mount namespace the file was
// opened in (a client that bind-mounted the FUSE mount on /dev/snd shows
// "/dev/snd/pcmC0D0p"); match on the suffix that names the node.
// Readlink never reaches the FUSE daemon, so Find is safe to call from a
// FUSE handler.
//
// Errors: ESRCH if pid is 0 or gone; ENOENT if no descriptor matches (the
// caller closed it, or the request came from a process that inherited
// the file through a path we do not recognise); EACCES/EPERM from /proc.
func Find(pid int, match func(link string) bool) (*FD, error) {
	if pid <= 0 {
		return nil, pcm.Errorf(syscall.ESRCH, "procmem: caller pid %d is unknown", pid)
	}
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	d, err := os.Open(dir)
	if err != nil {
		return nil, procError(err, pid, dir)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return nil, procError(err, pid, dir)
	}
	nums := make([]int, 0, len(names))
	for _, n := range names {
		if v, err := strconv.Atoi(n); err == nil {
			nums = append(nums, v)
		}
	}
	slices.Sort(nums)
	for _, num := range nums {
		link, err := os.Readlink(dir + "/" + strconv.Itoa(num))
		if err != nil || !match(link) {
			continue // closed meanwhile, or not ours
		}
		f, err := openFD(pid, num, link)
		if err != nil {
			if errors.Is(err, syscall.ENOENT) {
				continue // closed between readlink and open
			}
			return nil, err
		}
		return f, nil
	}
	return nil, pcm.Errorf(syscall.ENOENT, "procmem: pid %d has no open fd matching the node", pid)
}

func openFD(pid, num int, link string) (*FD, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/fdinfo/" + strconv.Itoa(num)
	info, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, procError(err, pid, path)
	}
	f := &FD{pid: pid, num: num, link: link, info: info, mntID: -1}
	var buf [fdinfoBuf]byte
	n, err := preadInfo(info, buf[:])
	if err != nil {
		unix.Close(info)
		return nil, procError(err, pid, path)
	}
	fi, ok := parseFdinfo(buf[:n])
	if !ok {
		unix.Close(info)
		return nil, pcm.Errorf(syscall.EIO, "procmem: %s has no flags: line", path)
	}
	f.ino, f.mntID = fi.ino, fi.mntID
	return f, nil
}

// fdinfoBuf holds the lines we need: pos, flags, mnt_id, ino come first
// (fs/proc/fd.c seq_show); anything after them (eventfd counts, inotify
// marks, ...) may be cut.
const fdinfoBuf = 256

// Flags returns the descriptor's current file status flags (f_flags, as
// fcntl(F_GETFL) would show them plus O_CLOEXEC: the "flags:" line is
// f_flags with O_CLOEXEC or'ed in from the fd table). It costs one pread
// and no allocation.
//
// Errors: ENOENT if the fd was closed or the process is gone; ESTALE if the
// number now refers to another file (closed and reused: the inode or mount
// changed); EBADF after Close. After any error the FD is useless: Close it
// and Find again.
func (f *FD) Flags() (int, error) {
	var buf [fdinfoBuf]byte
	f.mu.Lock()
	if f.info < 0 {
		f.mu.Unlock()
		return 0, pcm.Errorf(syscall.EBADF, "procmem: fd %d of pid %d: tracker closed", f.num, f.pid)
	}
	n, err := preadInfo(f.info, buf[:])
	f.mu.Unlock()
	if err != nil {
		return 0, procError(err, f.pid, "fdinfo/"+strconv.Itoa(f.num))
	}
	fi, ok := parseFdinfo(buf[:n])
	if !ok {
		return 0, pcm.Errorf(syscall.EIO, "procmem: fdinfo/%d of pid %d has no flags: line", f.num, f.pid)
	}
	if fi.ino != f.ino || fi.mntID != f.mntID {
		return 0, pcm.Errorf(syscall.ESTALE, "procmem: fd %d of pid %d now refers to another file", f.num, f.pid)
	}
	return fi.flags, nil
}

// Nonblock reports whether O_NONBLOCK is set on the descriptor: what a
// FUSE handler needs to follow fcntl(F_SETFL), which FUSE never forwards.
func (f *FD) Nonblock() (bool, error) {
	fl, err := f.Flags()
	return fl&unix.O_NONBLOCK != 0, err
}

// Close releases the fdinfo descriptor. Safe to call more than once.
func (f *FD) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.info < 0 {
		return nil
	}
	err := unix.Close(f.info)
	f.info = -1
	return err
}

// FileFlags finds the descriptor of pid whose link satisfies match and
// returns its current flags: Find, Flags, Close in one call, for callers
// that do not keep state. A FUSE handler should keep a Tracker per open
// file instead.
func FileFlags(pid int, match func(link string) bool) (int, error) {
	f, err := Find(pid, match)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.Flags()
}

func preadInfo(fd int, buf []byte) (int, error) {
	for {
		n, err := unix.Pread(fd, buf, 0)
		if err == unix.EINTR {
			continue
		}
		return n, err
	}
}

type fdinfo struct {
	flags int
	mntID int64
	ino   uint64
}

// parseFdinfo reads "flags:\t0100002" (octal), "mnt_id:\t29" and
// "ino:\t1234" from fdinfo text without allocating.
func parseFdinfo(b []byte) (fi fdinfo, ok bool) {
	fi.mntID = -1
	for len(b) > 0 {
		var line []byte
		line, b, _ = bytes.Cut(b, []byte{'\n'})
		key, val, found := bytes.Cut(line, []byte{':'})
		if !found {
			continue
		}
		val = bytes.Trim(val, " \t")
		switch string(key) { // no allocation: the compiler special-cases this
		case "flags":
			v, good := parseUint(val, 8)
			if !good {
				return fi, false
			}
			fi.flags, ok = int(v), true
		case "mnt_id":
			if v, good := parseUint(val, 10); good {
				fi.mntID = int64(v)
			}
		case "ino":
			if v, good := parseUint(val, 10); good {
				fi.ino = v
			}
		}
	}
	return fi, ok
}

func parseUint(b []byte, base uint64) (uint64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		d := uint64(c - '0')
		if c < '0' || d >= base {
			return 0, false
		}
		v = v*base + d
	}
	return v, true
}

// procError turns an error from /proc into an errno: a missing
// /proc/<pid> means the process is gone (ESRCH); a missing fd entry is
// ENOENT.
func procError(err error, pid int, path string) error {
	var en syscall.Errno
	if !errors.As(err, &en) {
		en = syscall.EIO
	}
	if en == syscall.ENOENT || en == syscall.ESRCH {
		if _, serr := os.Stat("/proc/" + strconv.Itoa(pid)); serr != nil {
			return pcm.Errorf(syscall.ESRCH, "procmem: pid %d is gone", pid)
		}
		return pcm.Errorf(syscall.ENOENT, "procmem: %s: no such fd", path)
	}
	return pcm.Errorf(en, "procmem: %s: %v", path, en)
}
