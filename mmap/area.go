package mmap

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Area is one stream's shared memory: a memfd holding the sample buffer at
// OffsetData, the status page at OffsetStatus and the control page at
// OffsetControl, with the daemon's own MAP_SHARED mappings of them.
//
// The status and control accessors are lock-free and safe at any time
// before Close. Alloc, Free, Pin, Unpin, Data, Fd and Close take mu.
// Close must not run concurrently with the accessors (the core closes an
// Area only when the stream is gone); after Close the accessors act on a
// detached copy of the last values instead of faulting.
type Area struct {
	// status and control point into the shared status and control
	// pages; after Close, into detached heap copies. Atomic; the values
	// behind them are accessed with sync/atomic only.
	status  atomic.Pointer[Status]
	control atomic.Pointer[Control]

	mu sync.Mutex
	// fd is the memfd, -1 after Close. Guarded by mu.
	fd int
	// statusMap and controlMap are the daemon's mappings of the status
	// and control pages, nil after Close. Guarded by mu.
	statusMap, controlMap []byte
	// dataMap is the daemon's mapping of [0, page-aligned dataLen), nil
	// when no buffer is allocated. Guarded by mu.
	dataMap []byte
	// dataLen is the length Alloc was asked for. Guarded by mu.
	dataLen int
	// pins counts faces that may have the data mapped in a client, like
	// substream->mmap_count (sound/core/pcm_native.c,
	// snd_pcm_mmap_data_open/close). Guarded by mu.
	pins int
}

// New creates the memfd (named "vsnd:"+name in /proc/<pid>/maps; close on
// exec, not executable), sizes it
// sparsely to FileSize and maps the status and control pages. Both pages
// start zeroed: state SNDRV_PCM_STATE_OPEN, all pointers 0, like a fresh
// runtime in snd_pcm_attach_substream.
//
// Errors: the errno of memfd_create, ftruncate or mmap (EMFILE, ENOMEM...).
func New(name string) (*Area, error) {
	// MFD_NOEXEC_SEAL (Linux 6.3) keeps kernels with vm.memfd_noexec=2
	// from refusing the memfd and others from logging a warning; older
	// kernels reject the flag with EINVAL.
	fd, err := unix.MemfdCreate("vsnd:"+name, unix.MFD_CLOEXEC|unix.MFD_NOEXEC_SEAL)
	if err == unix.EINVAL {
		fd, err = unix.MemfdCreate("vsnd:"+name, unix.MFD_CLOEXEC)
	}
	if err != nil {
		return nil, wrapErrno(err, "memfd_create")
	}
	a := &Area{fd: fd}
	if err := unix.Ftruncate(fd, FileSize); err != nil {
		a.Close()
		return nil, wrapErrno(err, "ftruncate memfd")
	}
	a.statusMap, err = unix.Mmap(fd, OffsetStatus, PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		a.Close()
		return nil, wrapErrno(err, "mmap status page")
	}
	a.controlMap, err = unix.Mmap(fd, OffsetControl, PageSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		a.Close()
		return nil, wrapErrno(err, "mmap control page")
	}
	a.status.Store(statusOf(a.statusMap))
	a.control.Store(controlOf(a.controlMap))
	return a, nil
}

// Fd returns the memfd, for FUSE passthrough (fs.FilePassthroughFder), or
// -1 after Close. The Area owns it: callers must not close it.
func (a *Area) Fd() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.fd
}

// Alloc (re)maps the data region [0, bytes) of the memfd in the daemon and
// returns it, zeroed: the old mapping is unmapped and every page outside
// the status and control pages is released first (releaseLocked), so the
// fresh mapping reads zeros, as snd_pcm_hw_params clears the DMA area "for
// avoiding possible kernel info leaks". Slices returned by earlier Alloc
// or Data calls become invalid (touching them faults).
//
// Errors: EBADFD while pinned (a client may have the data mapped;
// snd_pcm_hw_params answers -EBADFD when mmap_count is non-zero), EINVAL
// for bytes <= 0, ENOMEM for bytes > MaxData (the data would overlap the
// status page) or when mmap fails, EBADF after Close.
func (a *Area) Alloc(bytes int) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fd < 0 {
		return nil, errorf(unix.EBADF, "alloc on a closed area")
	}
	if a.pins > 0 {
		return nil, errorf(unix.EBADFD, "cannot change the buffer while it is mmapped")
	}
	if bytes <= 0 {
		return nil, errorf(unix.EINVAL, "buffer size must be positive")
	}
	if bytes > MaxData {
		return nil, errorf(unix.ENOMEM, "buffer larger than the data region (2 GiB)")
	}
	if err := a.freeLocked(); err != nil {
		return nil, err
	}
	m, err := unix.Mmap(a.fd, OffsetData, pageAlign(bytes), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, wrapErrno(err, "mmap data")
	}
	a.dataMap, a.dataLen = m, bytes
	return a.dataLocked(), nil
}

// Data returns the daemon's mapping of the data region, len and cap equal
// to the size given to Alloc, or nil when no buffer is allocated. It stays
// valid until the next Alloc, Free or Close.
func (a *Area) Data() []byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dataLocked()
}

// Precondition: mu must be held.
func (a *Area) dataLocked() []byte {
	if a.dataMap == nil {
		return nil
	}
	return a.dataMap[:a.dataLen:a.dataLen]
}

// Free unmaps the data region and returns its pages to the system
// (fallocate PUNCH_HOLE), like snd_pcm_hw_free releasing the buffer. Free
// without a buffer, or after Close, does nothing.
//
// Errors: EBADFD while pinned (snd_pcm_hw_free answers -EBADFD when
// mmap_count is non-zero), or the errno of munmap/fallocate.
func (a *Area) Free() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fd < 0 {
		return nil
	}
	if a.pins > 0 {
		return errorf(unix.EBADFD, "cannot free the buffer while it is mmapped")
	}
	return a.freeLocked()
}

// freeLocked unmaps the daemon's data mapping and punches out every page
// of the file except the status and control pages: the data region, and
// whatever a client may have written through a mapping of the gap between
// the status and control pages.
//
// Precondition: mu must be held, a.fd >= 0.
func (a *Area) freeLocked() error {
	if a.dataMap != nil {
		if err := unix.Munmap(a.dataMap); err != nil {
			return wrapErrno(err, "munmap data")
		}
		a.dataMap, a.dataLen = nil, 0
	}
	const punch = unix.FALLOC_FL_PUNCH_HOLE | unix.FALLOC_FL_KEEP_SIZE
	if err := unix.Fallocate(a.fd, punch, OffsetData, MaxData); err != nil {
		return wrapErrno(err, "punch data")
	}
	if err := unix.Fallocate(a.fd, punch, OffsetStatus+PageSize, OffsetControl-(OffsetStatus+PageSize)); err != nil {
		return wrapErrno(err, "punch gap")
	}
	return nil
}

// Pin records that a client may have the data region mapped (the face
// calls it when it hands out a mapping), like snd_pcm_mmap_data_open
// incrementing substream->mmap_count. While pinned, Alloc and Free fail
// with EBADFD.
func (a *Area) Pin() {
	a.mu.Lock()
	a.pins++
	a.mu.Unlock()
}

// Unpin undoes one Pin, like snd_pcm_mmap_data_close. An Unpin without a
// matching Pin is ignored.
func (a *Area) Unpin() {
	a.mu.Lock()
	if a.pins > 0 {
		a.pins--
	}
	a.mu.Unlock()
}

// Pinned returns the number of outstanding pins.
func (a *Area) Pinned() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.pins
}

// Close unmaps everything and closes the memfd. Client mappings stay
// valid (they hold their own reference to the memory) but no longer share
// anything with the daemon. After Close the status and control accessors
// work on a detached copy of the last values. Close is idempotent; it
// returns the first munmap/close error.
func (a *Area) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.fd < 0 {
		return nil
	}
	var first error
	keep := func(err error, what string) {
		if err != nil && first == nil {
			first = wrapErrno(err, what)
		}
	}
	keep(detach(&a.status, &a.statusMap), "munmap status")
	keep(detach(&a.control, &a.controlMap), "munmap control")
	if a.dataMap != nil {
		keep(unix.Munmap(a.dataMap), "munmap data")
		a.dataMap, a.dataLen = nil, 0
	}
	keep(unix.Close(a.fd), "close memfd")
	a.fd = -1
	return first
}

// detach points p at a heap copy of the record it points to in the page
// mapping *m (a zero record if New failed before mapping it) and unmaps
// the page. Precondition: a.mu held by the caller (Close).
func detach[T Status | Control](p *atomic.Pointer[T], m *[]byte) error {
	if *m == nil {
		p.Store(new(T))
		return nil
	}
	v := *p.Load()
	p.Store(&v)
	err := unix.Munmap(*m)
	*m = nil
	return err
}

func pageAlign(n int) int { return (n + PageSize - 1) &^ (PageSize - 1) }
