package mmap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// DataMappedBy reports whether process pid has any part of this Area's
// data region mapped, by reading /proc/<pid>/maps and matching the
// memfd's device and inode with a file offset below OffsetStatus.
//
// Why it exists: with FUSE passthrough the kernel maps the backing memfd
// directly (fuse_passthrough_mmap), so the daemon never sees a client's
// mmap or munmap of the data and cannot count them the way the kernel's
// snd_pcm_mmap_data_open/close count substream->mmap_count. A face can
// call DataMappedBy for the calling pid when it handles HW_PARAMS or
// HW_FREE (alsa-lib munmaps the data before both; status and control
// mappings, which the kernel does not count either, are ignored) and Pin
// around the call, or answer EBADFD itself. A pid that has exited reports
// false.
//
// Note that when pid is the daemon itself, its own data mapping counts.
//
// Errors: EBADF after Close; the errno of reading /proc/<pid>/maps other
// than ENOENT/ESRCH (EACCES without ptrace rights over pid).
func (a *Area) DataMappedBy(pid int) (bool, error) {
	a.mu.Lock()
	fd := a.fd
	var st unix.Stat_t
	var err error
	if fd >= 0 {
		err = unix.Fstat(fd, &st)
	}
	a.mu.Unlock()
	if fd < 0 {
		return false, errorf(unix.EBADF, "DataMappedBy on a closed area")
	}
	if err != nil {
		return false, wrapErrno(err, "fstat memfd")
	}
	maps, err := os.ReadFile(fmt.Sprintf("/proc/%d/maps", pid))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ESRCH) {
			return false, nil // the process is gone, and its mappings with it
		}
		return false, wrapErrno(err, "read maps")
	}
	return dataMapped(maps, uint64(st.Dev), st.Ino), nil
}

// dataMapped scans the text of a /proc/<pid>/maps file for a mapping of
// the file (dev, ino) starting below OffsetStatus. Each line reads
// "start-end perms offset major:minor inode [path]", numbers in hex except
// the inode (fs/proc/task_mmu.c, show_vma_header_prefix).
func dataMapped(maps []byte, dev, ino uint64) bool {
	sc := bufio.NewScanner(bytes.NewReader(maps))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 5 {
			continue
		}
		i, err := strconv.ParseUint(string(f[4]), 10, 64)
		if err != nil || i != ino {
			continue
		}
		maj, min, ok := bytes.Cut(f[3], []byte{':'})
		if !ok {
			continue
		}
		ma, err1 := strconv.ParseUint(string(maj), 16, 32)
		mi, err2 := strconv.ParseUint(string(min), 16, 32)
		if err1 != nil || err2 != nil || unix.Mkdev(uint32(ma), uint32(mi)) != dev {
			continue
		}
		off, err := strconv.ParseUint(string(f[2]), 16, 64)
		if err == nil && off < OffsetStatus {
			return true
		}
	}
	return false
}
