// Package mmap holds a stream's shared memory: the sample buffer and the
// status and control pages laid out exactly like the kernel's
// struct snd_pcm_mmap_status and struct snd_pcm_mmap_control on x86_64, all
// in one memfd so that the ALSA face can hand the same memory to clients
// with FUSE passthrough.
//
// # Layout of the memfd (include/uapi/sound/asound.h, SNDRV_PCM_MMAP_OFFSET_*)
//
//	0x00000000  sample data (the DMA area), Alloc'ed size, page aligned
//	0x80000000  struct snd_pcm_mmap_status, one page  (OffsetStatus)
//	0x81000000  struct snd_pcm_mmap_control, one page (OffsetControl)
//	0x81001000  end of file (FileSize)
//
// The file is sized with ftruncate and is sparse: only touched pages use
// memory (a fresh Area uses at most the two record pages). Because the
// file extends past the control page, a client that maps any of the three
// regions never faults past end of file (SIGBUS).
//
// # Model
//
// An Area is to a substream what runtime->dma_area, runtime->status and
// runtime->control are in sound/core: the daemon keeps its own MAP_SHARED
// mappings of the three regions, and a client's mmap of the PCM node,
// passed through by FUSE to this memfd (fs.FilePassthroughFder, with Fd),
// is the same memory. There is no copying and no page cache in between:
// a SetHWPtr is visible to the client at once, and a client's store to
// appl_ptr is what the next ApplPtr returns.
//
// The status and control records are shared with other processes, so the
// daemon touches them only through the atomic accessors (HWPtr, SetHWPtr,
// ApplPtr, ...). Every field is naturally aligned in a page-aligned
// mapping, so each accessor is one atomic load or store. As in the
// kernel, multi-word values (the timestamps) are not updated as a unit.
//
// The data region follows the kernel's buffer lifetime: Alloc is
// snd_pcm_lib_malloc_pages plus the clearing in snd_pcm_hw_params (the
// memory is always zeroed: every page but the two records is punched out
// with fallocate(PUNCH_HOLE) before the new mapping is made), Free is
// snd_pcm_hw_free. Pin/Unpin count the clients that may have the data
// mapped, like substream->mmap_count; while it is non-zero, Alloc and
// Free fail with EBADFD, which is what snd_pcm_hw_params and
// snd_pcm_hw_free answer. Resizing or punching memory a client still maps
// would silently hand it zeros or a torn buffer (STYLE.md, trap 3).
//
// With FUSE passthrough the kernel maps the memfd for the client directly
// (fuse_passthrough_mmap): the daemon sees neither mmap nor munmap, so it
// cannot pin in a vm_ops open/close the way the kernel does. DataMappedBy
// answers the question from /proc/<pid>/maps (matching the memfd's inode
// at an offset below OffsetStatus); a face asks it for the caller at
// HW_PARAMS/HW_FREE and pins for the duration of the call. alsa-lib
// unmaps the data before both, so a well-behaved client is never refused.
//
// # Errors
//
// Errors are *Error values carrying the errno the kernel would return and
// a reason; errors.As(err, &syscall.Errno) and pcm.Errno find the errno.
// (mmap cannot return pcm.Error: pcm imports mmap.) Each method documents
// its errnos: EBADFD while pinned, EINVAL/ENOMEM for bad sizes, EBADF
// after Close, or the errno of the failing system call.
//
// # Locking
//
// One mutex, Area.mu, guards the fd, the mappings and the pin count. The
// accessors take no lock; the pointers they follow are atomic and stay
// valid until Close, which must not run concurrently with them. After
// Close they operate on a detached copy of the last values, never on
// unmapped memory. unsafe code lives in *_unsafe.go.
//
// # 32-bit clients (0x82000000/0x83000000): not supported
//
// asound.h also defines SNDRV_PCM_MMAP_OFFSET_STATUS_NEW/CONTROL_NEW at
// 0x82000000/0x83000000; 64-bit user space uses 0x80000000/0x81000000
// (named _OLD in the uapi header; on a 64-bit kernel snd_pcm_mmap serves
// both with the same pages), while 32-bit programs built with 64-bit
// time_t use the _NEW offsets, because snd_pcm_ioctl_compat sets
// pcm_file->no_compat_mmap and the _OLD offsets then fail with ENXIO.
// vsnd does not serve them:
//
//   - FUSE passthrough maps the node's offsets one to one onto the
//     backing file, and a file cannot alias one page at two offsets; the
//     daemon would have to mirror every status/control update into a
//     second pair of pages and merge appl_ptr writes from both.
//   - A 32-bit client reads hw_ptr and appl_ptr as 32-bit snd_pcm_uframes_t;
//     the kernel keeps them in range by shrinking the boundary for compat
//     tasks (recalculate_boundary in sound/core/pcm_compat.c). The core's
//     boundary is computed for 64-bit clients.
//   - The 32-bit ioctls (different struct sizes and numbers) are not
//     decoded by the ALSA face either.
//
// The file ends at FileSize, so a 32-bit client that maps 0x82000000 gets
// SIGBUS on first access instead of stale data; the face can only prevent
// that by refusing 32-bit clients before they mmap.
package mmap
