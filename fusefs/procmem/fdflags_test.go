package procmem

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func suffix(s string) func(string) bool {
	return func(link string) bool { return strings.HasSuffix(link, s) }
}

// The client opens non-blocking, then clears O_NONBLOCK with
// fcntl(F_SETFL) as alsa-lib does after snd_pcm_hw_open_fd: the FD, found
// once, sees each change with one pread.
func TestFlagsFollowFcntlInChild(t *testing.T) {
	h := startHelper(t)
	f, err := Find(h.pid(), suffix("/pcmC0D0p"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Num() != h.fd || f.Pid() != h.pid() || f.Link() != h.file {
		t.Fatalf("found fd %d (%q) of %d, want fd %d (%q) of %d", f.Num(), f.Link(), f.Pid(), h.fd, h.file, h.pid())
	}
	fl, err := f.Flags()
	if err != nil {
		t.Fatal(err)
	}
	if fl&unix.O_NONBLOCK == 0 || fl&unix.O_ACCMODE != unix.O_RDWR {
		t.Fatalf("flags %#o: want O_RDWR|O_NONBLOCK", fl)
	}
	h.do(t, "block")
	if nb, err := f.Nonblock(); err != nil || nb {
		t.Fatalf("after F_SETFL ~O_NONBLOCK: nonblock %v, err %v", nb, err)
	}
	h.do(t, "nonblock")
	if nb, err := f.Nonblock(); err != nil || !nb {
		t.Fatalf("after F_SETFL O_NONBLOCK: nonblock %v, err %v", nb, err)
	}

	// The same number now names another file: the FD notices (inode
	// changed) instead of reporting the other file's flags.
	other := t.TempDir() + "/other"
	os.WriteFile(other, nil, 0o644)
	h.do(t, "swap "+other)
	if f.Ino() != 0 { // kernels >= 5.14 print ino:
		_, err = f.Flags()
		wantErrno(t, err, syscall.ESTALE)
	}
	// And a fresh search finds nothing that matches.
	_, err = FileFlags(h.pid(), suffix("/pcmC0D0p"))
	wantErrno(t, err, syscall.ENOENT)

	h.stop()
	_, err = f.Flags()
	if err == nil {
		t.Fatal("flags of an exited process: no error")
	}
	if e := f.Close(); e != nil {
		t.Fatal(e)
	}
	f.Close() // twice is fine
	_, err = f.Flags()
	wantErrno(t, err, syscall.EBADF)
}

func TestTracker(t *testing.T) {
	h := startHelper(t)
	tr := NewTracker(suffix("/pcmC0D0p"))
	defer tr.Close()
	if nb, err := tr.Nonblock(h.pid()); err != nil || !nb {
		t.Fatalf("nonblock %v err %v", nb, err)
	}
	h.do(t, "block")
	if nb, err := tr.Nonblock(h.pid()); err != nil || nb {
		t.Fatalf("after block: nonblock %v err %v", nb, err)
	}
	// The test process itself opens the node too: a second pid, its own
	// entry.
	fd, err := unix.Open(h.file, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if nb, err := tr.Nonblock(os.Getpid()); err != nil || !nb {
		t.Fatalf("self: nonblock %v err %v", nb, err)
	}
	// Close and reopen blocking on (probably) the same number: the cached
	// descriptor is stale or gone, the tracker finds the new one.
	unix.Close(fd)
	fd, err = unix.Open(h.file, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if nb, err := tr.Nonblock(os.Getpid()); err != nil || nb {
		t.Fatalf("self after reopen: nonblock %v err %v", nb, err)
	}
	if nb, err := tr.Nonblock(h.pid()); err != nil || nb {
		t.Fatalf("child still blocking: nonblock %v err %v", nb, err)
	}
	h.stop()
	_, err = tr.Flags(h.pid())
	wantErrno(t, err, syscall.ESRCH)
}

func TestFileFlagsSelf(t *testing.T) {
	path := t.TempDir() + "/controlC0"
	os.WriteFile(path, nil, 0o644)
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	fl, err := FileFlags(os.Getpid(), suffix("/controlC0"))
	if err != nil {
		t.Fatal(err)
	}
	if fl&unix.O_NONBLOCK == 0 || fl&unix.O_APPEND == 0 || fl&unix.O_ACCMODE != unix.O_WRONLY {
		t.Fatalf("flags %#o", fl)
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_SETFL, unix.O_APPEND); err != nil {
		t.Fatal(err)
	}
	fl, _ = FileFlags(os.Getpid(), suffix("/controlC0"))
	if fl&unix.O_NONBLOCK != 0 || fl&unix.O_APPEND == 0 {
		t.Fatalf("after F_SETFL: flags %#o", fl)
	}
	_, err = FileFlags(os.Getpid(), suffix("/no-such-node"))
	wantErrno(t, err, syscall.ENOENT)
}

func TestParseFdinfo(t *testing.T) {
	cases := []struct {
		text string
		want fdinfo
		ok   bool
	}{
		{"pos:\t0\nflags:\t0104002\nmnt_id:\t29\nino:\t1234\n", fdinfo{flags: 0104002, mntID: 29, ino: 1234}, true},
		{"pos:\t0\nflags:\t02\nmnt_id:\t7\n", fdinfo{flags: 2, mntID: 7}, true}, // before 5.14: no ino
		{"pos:\t0\nflags:\t0100000\n", fdinfo{flags: 0100000, mntID: -1}, true},
		{"pos:\t0\nflags:\t0100009\n", fdinfo{mntID: -1}, false}, // not octal
		{"pos:\t0\n", fdinfo{mntID: -1}, false},
		{"", fdinfo{mntID: -1}, false},
		// Cut in the middle of a later line (buffer full): still fine.
		{"pos:\t0\nflags:\t04000\nmnt_id:\t3\nino:\t9\neventfd-count:  ", fdinfo{flags: 04000, mntID: 3, ino: 9}, true},
		// Blanks around a value are not part of it; a line without a
		// colon is skipped.
		{"garbage\nflags: \t02 \t\nmnt_id:  5\t", fdinfo{flags: 2, mntID: 5}, true},
	}
	for _, c := range cases {
		got, ok := parseFdinfo([]byte(c.text))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%q: got %+v %v, want %+v %v", c.text, got, ok, c.want, c.ok)
		}
	}
	// FD.Flags promises no allocation per call; the parse is its share.
	text := []byte(cases[0].text)
	if n := testing.AllocsPerRun(100, func() { parseFdinfo(text) }); n != 0 {
		t.Errorf("parseFdinfo allocates %v times per call", n)
	}
}

// BenchmarkFDFlags is the cached path a FUSE handler takes per request;
// BenchmarkFileFlagsScan the uncached one (scan /proc/<pid>/fd, readlink,
// open fdinfo). Compare the two in one run.
func BenchmarkFDFlags(b *testing.B) {
	path := b.TempDir() + "/pcmC0D0c"
	os.WriteFile(path, nil, 0o644)
	fd, _ := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	defer unix.Close(fd)
	f, err := Find(os.Getpid(), suffix("/pcmC0D0c"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Flags(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFileFlagsScan(b *testing.B) {
	path := b.TempDir() + "/pcmC0D0c"
	os.WriteFile(path, nil, 0o644)
	fd, _ := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK, 0)
	defer unix.Close(fd)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FileFlags(os.Getpid(), suffix("/pcmC0D0c")); err != nil {
			b.Fatal(err)
		}
	}
}
