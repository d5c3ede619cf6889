package procmem

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vsnd/vsnd/pcm"
)

func addrOf(b []byte) uintptr { return uintptr(unsafe.Pointer(unsafe.SliceData(b))) }

func wantErrno(t *testing.T, err error, want syscall.Errno) {
	t.Helper()
	if got := pcm.Errno(err); got != want {
		t.Fatalf("err = %v (errno %d), want %v", err, got, want)
	}
}

func TestReadWriteSelf(t *testing.T) {
	src := make([]byte, 1<<20+13) // more than one page, odd length
	for i := range src {
		src[i] = pattern(i)
	}
	dst := make([]byte, len(src))
	if err := ReadFrom(os.Getpid(), addrOf(src), dst); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dst, src) {
		t.Fatal("read back differs")
	}
	target := make([]byte, 64)
	if err := WriteTo(os.Getpid(), addrOf(target)+5, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if string(target[5:10]) != "hello" || target[4] != 0 || target[10] != 0 {
		t.Fatalf("target = %q", target[:16])
	}
	runtime.KeepAlive(src)
	runtime.KeepAlive(target)
	if err := ReadFrom(os.Getpid(), 0, nil); err != nil {
		t.Fatalf("empty transfer: %v", err)
	}
}

func TestReadWriteChild(t *testing.T) {
	h := startHelper(t)
	got := make([]byte, helperBufLen)
	if err := ReadFrom(h.pid(), h.addr, got); err != nil {
		t.Fatal(err)
	}
	for i, b := range got {
		if b != pattern(i) {
			t.Fatalf("byte %d = %#x, want %#x", i, b, pattern(i))
		}
	}
	// Write like the kernel's put_user of snd_xferi.result, then ask the
	// child what it sees.
	if err := WriteTo(h.pid(), h.addr+4090, []byte("across-pages")); err != nil {
		t.Fatal(err)
	}
	if s := h.do(t, "dump 4090 12"); s != hex.EncodeToString([]byte("across-pages")) {
		t.Fatalf("child sees %s", s)
	}
	if s := h.do(t, "dump 4089 1"); s != hex.EncodeToString([]byte{pattern(4089)}) {
		t.Fatalf("byte before the write changed: %s", s)
	}
}

func TestBadAddress(t *testing.T) {
	pid := os.Getpid()
	buf := make([]byte, 16)
	wantErrno(t, ReadFrom(pid, 0, buf), syscall.EFAULT)
	wantErrno(t, ReadFrom(pid, 8, buf), syscall.EFAULT)
	wantErrno(t, WriteTo(pid, 8, buf), syscall.EFAULT)

	// Two pages, the second inaccessible: a read that starts in the first
	// and runs into the second moves some bytes, then must fail with
	// EFAULT.
	ps := os.Getpagesize()
	mem, err := unix.Mmap(-1, 0, 2*ps, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(mem)
	if err := unix.Mprotect(mem[ps:], unix.PROT_NONE); err != nil {
		t.Fatal(err)
	}
	base := addrOf(mem)
	for i := 0; i < ps; i++ {
		mem[i] = pattern(i)
	}
	wantErrno(t, ReadFrom(pid, base+uintptr(ps)-100, make([]byte, 200)), syscall.EFAULT)
	wantErrno(t, ReadFrom(pid, base+uintptr(ps), make([]byte, 1)), syscall.EFAULT)
	// Up to the edge is fine.
	edge := make([]byte, 100)
	if err := ReadFrom(pid, base+uintptr(ps)-100, edge); err != nil {
		t.Fatalf("read up to the edge: %v", err)
	}
	if edge[99] != pattern(ps-1) {
		t.Fatalf("edge byte %#x", edge[99])
	}
	// A failed write may have stored a prefix, as a failed copy_to_user
	// may have.
	wantErrno(t, WriteTo(pid, base+uintptr(ps)-100, bytes.Repeat([]byte{0xee}, 200)), syscall.EFAULT)
	if mem[ps-100] != 0xee || mem[ps-1] != 0xee || mem[ps-101] != pattern(ps-101) {
		t.Fatalf("partial write: %#x %#x %#x", mem[ps-101], mem[ps-100], mem[ps-1])
	}

	// A read-only page cannot be written (copy_to_user fails the same way).
	ro, err := unix.Mmap(-1, 0, ps, unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(ro)
	wantErrno(t, WriteTo(pid, addrOf(ro), []byte{1}), syscall.EFAULT)
}

func TestDeadProcess(t *testing.T) {
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Skipf("cannot run /bin/true: %v", err)
	}
	dead := cmd.Process.Pid
	buf := make([]byte, 8)
	wantErrno(t, ReadFrom(dead, 0x10000, buf), syscall.ESRCH)
	wantErrno(t, WriteTo(dead, 0x10000, buf), syscall.ESRCH)
	wantErrno(t, ReadFrom(0, 0x10000, buf), syscall.ESRCH) // outside our pid namespace
	_, err := Find(dead, func(string) bool { return true })
	wantErrno(t, err, syscall.ESRCH)
	_, err = FileFlags(0, func(string) bool { return true })
	wantErrno(t, err, syscall.ESRCH)
}

func BenchmarkReadFrom4K(b *testing.B) {
	src := make([]byte, 4096)
	dst := make([]byte, 4096)
	pid := os.Getpid()
	b.ReportAllocs()
	for b.Loop() {
		if err := ReadFrom(pid, addrOf(src), dst); err != nil {
			b.Fatal(err)
		}
	}
	runtime.KeepAlive(src)
}

// BenchmarkCopyBaseline is the in-process copy the same bytes would cost,
// for the ratio.
func BenchmarkCopyBaseline4K(b *testing.B) {
	src := make([]byte, 4096)
	dst := make([]byte, 4096)
	for b.Loop() {
		copy(dst, src)
	}
}
