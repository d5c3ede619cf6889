package mmap

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// TestDataMappedBy maps as a client would (no daemon data mapping exists
// yet, so only the "client" mappings are in this process's maps).
func TestDataMappedBy(t *testing.T) {
	a := newArea(t)
	pid := os.Getpid()
	mapped := func() bool {
		t.Helper()
		ok, err := a.DataMappedBy(pid)
		if err != nil {
			t.Fatalf("DataMappedBy: %v", err)
		}
		return ok
	}
	// The daemon's own status and control mappings do not count.
	if mapped() {
		t.Fatalf("data reported mapped with only status/control mapped")
	}
	m, err := unix.Mmap(a.Fd(), PageSize, PageSize, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	if !mapped() {
		t.Errorf("client mapping of the data's second page not found")
	}
	if err := unix.Munmap(m); err != nil {
		t.Fatalf("munmap: %v", err)
	}
	if mapped() {
		t.Errorf("data still reported mapped after munmap")
	}
	// Another memfd's data mapping must not be confused with ours.
	b := newArea(t)
	if _, err := b.Alloc(PageSize); err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	if mapped() {
		t.Errorf("another area's data mapping counted as ours")
	}
	if ok, err := a.DataMappedBy(1 << 30); ok || err != nil {
		t.Errorf("nonexistent pid: %v, %v; want false, nil", ok, err)
	}
	a.Close()
	_, err = a.DataMappedBy(pid)
	wantErrno(t, "DataMappedBy after Close", err, unix.EBADF)
}

func TestDataMappedParse(t *testing.T) {
	dev := unix.Mkdev(0, 1)
	maps := []byte("7f0000000000-7f0000001000 rw-s 80000000 00:01 1234 /memfd:vsnd:x (deleted)\n" +
		"7f0000002000-7f0000003000 rw-s 00000000 00:02 1234 /other\n" +
		"7f0000004000-7f0000005000 rw-s 00000000 00:01 12345 /memfd:other (deleted)\n")
	if dataMapped(maps, dev, 1234) {
		t.Errorf("status page, other device or other inode counted as data")
	}
	maps = append(maps, "7f0000006000-7f0000008000 rw-s 00001000 00:01 1234 /memfd:vsnd:x (deleted)\n"...)
	if !dataMapped(maps, dev, 1234) {
		t.Errorf("data mapping at offset 0x1000 not found")
	}
}

// TestWrapErrnoFindsWrappedErrno: a failed read of /proc/<pid>/maps comes
// back as an *os.PathError; its errno, not EIO, must reach the caller.
func TestWrapErrnoFindsWrappedErrno(t *testing.T) {
	pe := &os.PathError{Op: "open", Path: "/proc/1/maps", Err: unix.EACCES}
	wantErrno(t, "wrapped EACCES", wrapErrno(pe, "read maps"), unix.EACCES)
	wantErrno(t, "bare ENOMEM", wrapErrno(unix.ENOMEM, "mmap"), unix.ENOMEM)
	wantErrno(t, "no errno", wrapErrno(os.ErrClosed, "x"), unix.EIO)
}
