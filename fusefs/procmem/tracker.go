package procmem

import (
	"sync"

	"golang.org/x/sys/unix"
)

// trackerMax bounds the descriptors a Tracker keeps: one per caller pid
// (FUSE reports the calling thread's id, so every thread of a client that
// uses the file gets its own entry; a forked child that inherited the file
// gets one too).
const trackerMax = 8

// Tracker follows the flags of one open file of the filesystem across the
// requests made on it: a FUSE file handle owns one, created at open with a
// match function naming its node, and asks Flags(callerPid) whenever it
// needs to know whether the caller is non-blocking (WRITEI, READI, DRAIN,
// read, write). The first call for a pid scans /proc/<pid>/fd; later ones
// cost one pread of fdinfo. A descriptor that was closed or reused is
// found again transparently.
//
// Flags are per open file description, so any process or thread holding
// the description sees the same value; if a caller holds several
// descriptors on the same node (two opens of one control node), the
// lowest-numbered one is followed.
type Tracker struct {
	match func(link string) bool // immutable

	mu  sync.Mutex
	fds map[int]*FD // guarded by mu: by caller pid
}

// NewTracker returns a tracker for descriptors whose /proc link satisfies
// match.
func NewTracker(match func(link string) bool) *Tracker {
	return &Tracker{match: match, fds: make(map[int]*FD)}
}

// Flags returns the current flags of pid's descriptor on the node. Errors
// as for Find and FD.Flags; a stale or closed descriptor is searched for
// once more before an error is returned.
func (t *Tracker) Flags(pid int) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if f := t.fds[pid]; f != nil {
		fl, err := f.Flags()
		if err == nil {
			return fl, nil
		}
		f.Close()
		delete(t.fds, pid)
	}
	f, err := Find(pid, t.match)
	if err != nil {
		return 0, err
	}
	if len(t.fds) >= trackerMax {
		for p, old := range t.fds { // evict any one
			old.Close()
			delete(t.fds, p)
			break
		}
	}
	t.fds[pid] = f
	return f.Flags()
}

// Nonblock reports whether O_NONBLOCK is set for pid's descriptor.
func (t *Tracker) Nonblock(pid int) (bool, error) {
	fl, err := t.Flags(pid)
	return fl&unix.O_NONBLOCK != 0, err
}

// Close releases every cached descriptor; the tracker stays usable.
func (t *Tracker) Close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for p, f := range t.fds {
		f.Close()
		delete(t.fds, p)
	}
}
