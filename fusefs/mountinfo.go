package fusefs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// MountEntry is one line of /proc/self/mountinfo (proc(5)).
type MountEntry struct {
	MountPoint string
	FsType     string
	Source     string
}

// Mounts returns the mounts of this mount namespace whose mount point is
// dir, oldest first.
func Mounts(dir string) ([]MountEntry, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []MountEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw
		fields := strings.Fields(sc.Text())
		sep := -1
		for i, f := range fields {
			if f == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || len(fields) < sep+3 {
			continue
		}
		mp := unescapeMountinfo(fields[4])
		if mp != dir {
			continue
		}
		out = append(out, MountEntry{MountPoint: mp, FsType: fields[sep+1], Source: unescapeMountinfo(fields[sep+2])})
	}
	return out, sc.Err()
}

// unescapeMountinfo undoes the octal escapes (\040 for space ...) of
// mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// VsndMount returns the newest vsnd mount on dir and the pid of the daemon
// serving it (from the "vsnd:PID" source name; 0 if unknown).
func VsndMount(dir string) (MountEntry, int, bool) {
	ms, err := Mounts(dir)
	if err != nil {
		return MountEntry{}, 0, false
	}
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].FsType == FsType {
			pid, _ := strconv.Atoi(strings.TrimPrefix(ms[i].Source, "vsnd:"))
			return ms[i], pid, true
		}
	}
	return MountEntry{}, 0, false
}

// IsMounted reports whether a vsnd mount is on dir.
func IsMounted(dir string) bool {
	_, _, ok := VsndMount(dir)
	return ok
}

// isStale reports whether the mount on dir has lost its daemon: the kernel
// answers ENOTCONN ("Transport endpoint is not connected") once the FUSE
// connection is gone. statfs always reaches the daemon (stat could be
// answered from the attribute cache).
func isStale(dir string) bool {
	var st unix.Statfs_t
	err := unix.Statfs(dir, &st)
	return errors.Is(err, unix.ENOTCONN) || errors.Is(err, unix.ECONNABORTED)
}

// cleanStale detaches vsnd mounts on dir whose daemon died; a live one is
// an error.
func cleanStale(dir string, log *slog.Logger) error {
	for {
		m, pid, ok := VsndMount(dir)
		if !ok {
			return nil
		}
		if !isStale(dir) && pidAlive(pid) {
			return fmt.Errorf("%s is already mounted by a running vsnd (pid %d); use `vsnd umount %s`", dir, pid, dir)
		}
		log.Warn("removing stale mount left by a dead daemon", "dir", dir, "source", m.Source)
		if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
			return fmt.Errorf("cannot remove stale mount on %s: %w", dir, err)
		}
	}
}

// pidAlive reports whether pid names a live process (0: unknown, assumed
// alive).
func pidAlive(pid int) bool {
	if pid <= 0 {
		return true
	}
	err := unix.Kill(pid, 0)
	if err != nil && !errors.Is(err, unix.EPERM) {
		return false
	}
	// A zombie still answers kill(pid, 0).
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z' && stat[i+2] != 'X'
	}
	return true
}

// Unmount ends the vsnd mount on dir from another process (`vsnd
// umount`): it asks the daemon to stop with SIGTERM, so that it finishes
// its streams and files, and waits until the mount is gone or ctx ends; then
// (daemon dead or stuck) it detaches the mount itself.
func Unmount(ctx context.Context, dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	_, pid, ok := VsndMount(dir)
	if !ok {
		return fmt.Errorf("%s: no vsnd mount", dir)
	}
	if pid > 0 && pid != os.Getpid() && pidAlive(pid) && !isStale(dir) {
		if err := unix.Kill(pid, unix.SIGTERM); err == nil {
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for IsMounted(dir) {
				select {
				case <-ctx.Done():
					return forceUnmount(dir, fmt.Errorf("daemon %d did not unmount in time", pid))
				case <-tick.C:
				}
			}
			return nil
		}
	}
	return forceUnmount(dir, nil)
}

func forceUnmount(dir string, why error) error {
	if err := unix.Unmount(dir, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("umount %s: %w", dir, err)
	}
	return why
}
