package mmap

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func newArea(t testing.TB) *Area {
	t.Helper()
	a, err := New(t.Name())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// clientMap maps [off, off+n) of fd the way a client's mmap through FUSE
// passthrough does: an independent MAP_SHARED mapping of the same file.
func clientMap(t *testing.T, fd int, off int64, n int) []byte {
	t.Helper()
	m, err := unix.Mmap(fd, off, n, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatalf("client mmap at %#x: %v", off, err)
	}
	t.Cleanup(func() { unix.Munmap(m) })
	return m
}

func wantErrno(t *testing.T, what string, err error, want syscall.Errno) {
	t.Helper()
	var en syscall.Errno
	if !errors.As(err, &en) || en != want {
		t.Fatalf("%s: err = %v, want errno %v", what, err, want)
	}
	var me *Error
	if !errors.As(err, &me) || me.Reason == "" {
		t.Errorf("%s: err %v is not an *Error with a reason", what, err)
	}
}

func fstat(t *testing.T, fd int) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatalf("fstat: %v", err)
	}
	return st
}

func TestFileCoversControlPage(t *testing.T) {
	a := newArea(t)
	st := fstat(t, a.Fd())
	if st.Size < OffsetControl+PageSize {
		t.Fatalf("file size %#x, want >= %#x", st.Size, OffsetControl+PageSize)
	}
	if st.Blocks*512 > 2*PageSize {
		t.Errorf("fresh area uses %d bytes, want <= two pages (file must be sparse)", st.Blocks*512)
	}
	// Touching the last byte of each page a client maps must not SIGBUS.
	for _, off := range []int64{OffsetStatus, OffsetControl} {
		m := clientMap(t, a.Fd(), off, PageSize)
		if m[PageSize-1] != 0 {
			t.Errorf("page at %#x not zero", off)
		}
	}
	if a.State() != 0 || a.HWPtr() != 0 || a.ApplPtr() != 0 {
		t.Errorf("fresh status/control not zero (state OPEN, pointers 0)")
	}
}

// TestSharedWithClient checks that a second, independent mapping of the
// memfd (via the fd itself, and via a fresh open of /proc/self/fd/N as a
// passthrough client would see it) is the same memory both ways.
func TestSharedWithClient(t *testing.T) {
	a := newArea(t)
	if _, err := a.Alloc(3 * PageSize / 2); err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", a.Fd()), os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open /proc/self/fd: %v", err)
	}
	defer f.Close()
	for name, fd := range map[string]int{"same fd": a.Fd(), "proc reopen": int(f.Fd())} {
		t.Run(name, func(t *testing.T) {
			status := clientMap(t, fd, OffsetStatus, PageSize)
			control := clientMap(t, fd, OffsetControl, PageSize)
			data := clientMap(t, fd, OffsetData, 2*PageSize)
			le := binary.LittleEndian

			a.SetState(3) // RUNNING
			a.SetHWPtr(0x1234_5678_9abc)
			a.SetSuspendedState(2)
			a.SetTstamp(Timespec{Sec: 7, Nsec: 8}, Timespec{Sec: 9, Nsec: 10})
			if got := int32(le.Uint32(status[0:])); got != 3 {
				t.Errorf("client state = %d, want 3", got)
			}
			if got := le.Uint64(status[8:]); got != 0x1234_5678_9abc {
				t.Errorf("client hw_ptr = %#x", got)
			}
			if got := le.Uint64(status[16:]); got != 7 {
				t.Errorf("client tstamp.sec = %d, want 7", got)
			}
			if got := le.Uint64(status[24:]); got != 8 {
				t.Errorf("client tstamp.nsec = %d, want 8", got)
			}
			if got := le.Uint32(status[32:]); got != 2 {
				t.Errorf("client suspended_state = %d, want 2", got)
			}
			if got := le.Uint64(status[40:]); got != 9 {
				t.Errorf("client audio_tstamp.sec = %d, want 9", got)
			}
			if got := le.Uint64(status[48:]); got != 10 {
				t.Errorf("client audio_tstamp.nsec = %d, want 10", got)
			}

			le.PutUint64(control[0:], 4096+17)
			le.PutUint64(control[8:], 256)
			if got := a.ApplPtr(); got != 4096+17 {
				t.Errorf("daemon appl_ptr = %d, want %d", got, 4096+17)
			}
			if got := a.AvailMin(); got != 256 {
				t.Errorf("daemon avail_min = %d, want 256", got)
			}
			a.SetApplPtr(5)
			a.SetAvailMin(6)
			if le.Uint64(control[0:]) != 5 || le.Uint64(control[8:]) != 6 {
				t.Errorf("client control = %x, want appl 5 avail_min 6", control[:16])
			}

			d := a.Data()
			d[0], d[len(d)-1] = 0x5a, 0xa5
			if data[0] != 0x5a || data[len(d)-1] != 0xa5 {
				t.Errorf("client does not see daemon's data writes")
			}
			data[1] = 0x77
			if d[1] != 0x77 {
				t.Errorf("daemon does not see client's data writes")
			}
		})
	}
}

func TestPinnedRefusesResize(t *testing.T) {
	a := newArea(t)
	if _, err := a.Alloc(PageSize); err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	a.Pin()
	a.Pin()
	if a.Pinned() != 2 {
		t.Fatalf("Pinned = %d, want 2", a.Pinned())
	}
	_, err := a.Alloc(2 * PageSize)
	wantErrno(t, "Alloc while pinned", err, unix.EBADFD)
	wantErrno(t, "Free while pinned", a.Free(), unix.EBADFD)
	if len(a.Data()) != PageSize {
		t.Fatalf("failed Alloc changed the buffer: len %d", len(a.Data()))
	}
	a.Unpin()
	wantErrno(t, "Free with one pin left", a.Free(), unix.EBADFD)
	a.Unpin()
	a.Unpin() // unbalanced: ignored
	if a.Pinned() != 0 {
		t.Fatalf("Pinned = %d after unpinning, want 0", a.Pinned())
	}
	if _, err := a.Alloc(2 * PageSize); err != nil {
		t.Fatalf("Alloc after Unpin: %v", err)
	}
	if err := a.Free(); err != nil {
		t.Fatalf("Free after Unpin: %v", err)
	}
}

func TestAllocBadSize(t *testing.T) {
	a := newArea(t)
	_, err := a.Alloc(0)
	wantErrno(t, "Alloc(0)", err, unix.EINVAL)
	_, err = a.Alloc(-1)
	wantErrno(t, "Alloc(-1)", err, unix.EINVAL)
	_, err = a.Alloc(MaxData + 1)
	wantErrno(t, "Alloc(MaxData+1)", err, unix.ENOMEM)
}

// TestAllocZeroes checks that Alloc hands out zeroed memory even when the
// daemon, or a client through its own mapping, wrote the region before.
func TestAllocZeroes(t *testing.T) {
	a := newArea(t)
	const n = 5*PageSize + 123
	d, err := a.Alloc(n)
	if err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	if len(d) != n || cap(d) != n {
		t.Fatalf("len/cap = %d/%d, want %d", len(d), cap(d), n)
	}
	for i := range d {
		d[i] = 0xaa
	}
	client := clientMap(t, a.Fd(), OffsetData, 8*PageSize)
	client[7*PageSize] = 0xbb // beyond the daemon's buffer
	for _, size := range []int{n, 8 * PageSize} {
		d, err = a.Alloc(size)
		if err != nil {
			t.Fatalf("Alloc(%d): %v", size, err)
		}
		for i, b := range d {
			if b != 0 {
				t.Fatalf("Alloc(%d): byte %d = %#x, want 0", size, i, b)
			}
		}
	}
	if client[0] != 0 || client[7*PageSize] != 0 {
		t.Errorf("client mapping still sees old data after Alloc")
	}
}

func TestFreeReleasesMemory(t *testing.T) {
	a := newArea(t)
	const n = 4 << 20
	d, err := a.Alloc(n)
	if err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	for i := 0; i < n; i += PageSize {
		d[i] = 1
	}
	a.SetHWPtr(99)
	a.SetApplPtr(98)
	before := fstat(t, a.Fd()).Blocks * 512
	if before < n {
		t.Fatalf("after touching %d bytes the file uses only %d", n, before)
	}
	if err := a.Free(); err != nil {
		t.Fatalf("Free: %v", err)
	}
	after := fstat(t, a.Fd()).Blocks * 512
	if after > 2*PageSize {
		t.Errorf("after Free the file uses %d bytes (was %d), want <= two pages", after, before)
	}
	if a.Data() != nil {
		t.Errorf("Data() after Free = non-nil")
	}
	if a.HWPtr() != 99 || a.ApplPtr() != 98 {
		t.Errorf("Free lost the status/control pages: hw %d appl %d", a.HWPtr(), a.ApplPtr())
	}
	if err := a.Free(); err != nil {
		t.Errorf("second Free: %v", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	a := newArea(t)
	if _, err := a.Alloc(PageSize); err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	a.SetHWPtr(42)
	fd := a.Fd()
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if a.Fd() != -1 {
		t.Errorf("Fd after Close = %d, want -1", a.Fd())
	}
	if err := unix.Fstat(fd, new(unix.Stat_t)); err != unix.EBADF {
		t.Errorf("memfd still open after Close: fstat err %v", err)
	}
	// Accessors keep working on a detached copy instead of faulting.
	if a.HWPtr() != 42 {
		t.Errorf("HWPtr after Close = %d, want 42", a.HWPtr())
	}
	a.SetApplPtr(1)
	if a.ApplPtr() != 1 {
		t.Errorf("ApplPtr after Close = %d, want 1", a.ApplPtr())
	}
	if a.Data() != nil {
		t.Errorf("Data after Close non-nil")
	}
	_, err := a.Alloc(PageSize)
	wantErrno(t, "Alloc after Close", err, unix.EBADF)
	if err := a.Free(); err != nil {
		t.Errorf("Free after Close: %v", err)
	}
}

// TestConcurrentAccess runs the accessors against Pin/Alloc/Free under
// -race: the accessors are lock-free, the rest is serialized by mu.
func TestConcurrentAccess(t *testing.T) {
	a := newArea(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			a.SetHWPtr(i)
			a.SetTstamp(Timespec{Sec: int64(i)}, Timespec{})
			_ = a.ApplPtr()
		}
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			a.SetApplPtr(a.HWPtr())
			_ = a.State()
		}
	}()
	for i := 0; i < 50; i++ {
		if _, err := a.Alloc(PageSize * (1 + i%4)); err != nil {
			t.Errorf("Alloc: %v", err)
		}
		a.Pin()
		if err := a.Free(); err == nil {
			t.Errorf("Free while pinned succeeded")
		}
		a.Unpin()
		if err := a.Free(); err != nil {
			t.Errorf("Free: %v", err)
		}
	}
	close(stop)
	wg.Wait()
}

// BenchmarkAllocFree measures the cost of the hole punching that makes
// Alloc zero and Free release memory (the whole 2 GiB data range is
// punched each time), against a plain Alloc-sized memclr baseline.
func BenchmarkAllocFree(b *testing.B) {
	a := newArea(b)
	const n = 64 << 10
	b.Run("AllocFree", func(b *testing.B) {
		for b.Loop() {
			d, err := a.Alloc(n)
			if err != nil {
				b.Fatal(err)
			}
			d[0] = 1
			if err := a.Free(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ClearBaseline", func(b *testing.B) {
		buf := make([]byte, n)
		for b.Loop() {
			clear(buf)
			buf[0] = 1
		}
	})
}

// TestSharedAcrossProcesses runs the client in another process, which
// opens the daemon's memfd through /proc/<pid>/fd/<fd> (as the kernel
// does for a passthrough mapping, the client never sees the daemon's fd)
// and maps it: the child waits for the daemon's hw_ptr and data, then
// answers through appl_ptr.
func TestSharedAcrossProcesses(t *testing.T) {
	if os.Getenv("VSND_MMAP_CHILD") != "" {
		t.Skip("helper process")
	}
	a := newArea(t)
	d, err := a.Alloc(PageSize)
	if err != nil {
		t.Fatalf("Alloc: %v", err)
	}
	copy(d, "hello")
	a.SetHWPtr(1000)
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildClient$", "-test.v")
	cmd.Env = append(os.Environ(), fmt.Sprintf("VSND_MMAP_CHILD=/proc/%d/fd/%d", os.Getpid(), a.Fd()))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got := a.ApplPtr(); got != 1000+5 {
		t.Errorf("appl_ptr written by the child = %d, want 1005\n%s", got, out)
	}
	if string(d[5:10]) != "world" {
		t.Errorf("data written by the child = %q, want \"world\"", d[5:10])
	}
}

// TestChildClient is the client half of TestSharedAcrossProcesses.
func TestChildClient(t *testing.T) {
	path := os.Getenv("VSND_MMAP_CHILD")
	if path == "" {
		t.Skip("only run as TestSharedAcrossProcesses's helper")
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	fd := int(f.Fd())
	status := clientMap(t, fd, OffsetStatus, PageSize)
	control := clientMap(t, fd, OffsetControl, PageSize)
	data := clientMap(t, fd, OffsetData, PageSize)
	le := binary.LittleEndian
	hw := le.Uint64(status[8:])
	if hw != 1000 || string(data[:5]) != "hello" {
		t.Fatalf("child sees hw_ptr %d data %q, want 1000 \"hello\"", hw, data[:5])
	}
	copy(data[5:], "world")
	le.PutUint64(control[0:], hw+5)
}

// BenchmarkHWPtr measures an accessor round trip (atomic pointer load plus
// atomic store/load into the shared page) against a plain atomic.Uint64 on
// the Go heap.
func BenchmarkHWPtr(b *testing.B) {
	a := newArea(b)
	b.Run("Area", func(b *testing.B) {
		for i := uint64(0); b.Loop(); i++ {
			a.SetHWPtr(i)
			if a.HWPtr() != i {
				b.Fatal("lost store")
			}
		}
	})
	b.Run("HeapBaseline", func(b *testing.B) {
		var v atomic.Uint64
		for i := uint64(0); b.Loop(); i++ {
			v.Store(i)
			if v.Load() != i {
				b.Fatal("lost store")
			}
		}
	})
}
