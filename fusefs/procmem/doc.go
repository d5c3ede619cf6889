// Package procmem reaches into the client process behind a FUSE request:
// it copies bytes to and from the caller's memory, and reads the caller's
// current file status flags. It is what the ALSA face uses where the
// kernel driver would use copy_from_user/copy_to_user and file->f_flags,
// which FUSE does not give a daemon.
//
// # Memory
//
// ReadFrom and WriteTo use process_vm_readv(2)/process_vm_writev(2) on the
// pid FUSE reports for the request (fuse.Caller.Pid). They are needed
// because FUSE's restricted ioctls copy only the _IOC_SIZE bytes at the
// ioctl argument, in the direction the number says, while ALSA ioctls carry
// pointers (snd_xferi.buf, snd_xfern.bufs, snd_ctl_elem_list.pids, the TLV
// payload), and some read or write the argument against its direction
// (WRITEI's result, READI's and CHANNEL_INFO's input). The copy is all or
// nothing from the face's point of view: EFAULT when any byte cannot be
// moved, as copy_from_user's failure makes the kernel return -EFAULT
// (snd_pcm_xferi_frames_ioctl, pcm_native.c; snd_ctl_elem_list,
// control.c). ESRCH when the process is gone, or when FUSE reported pid 0
// (a caller outside the daemon's pid namespace: ALSA-ABI-NOTES.md). No
// allocation; a 4 KiB read costs about 20 in-process copies of it
// (BenchmarkReadFrom4K vs BenchmarkCopyBaseline4K).
//
// # File flags
//
// alsa-lib switches a PCM between blocking and non-blocking with
// fcntl(F_SETFL) (snd_pcm_nonblock -> snd_pcm_hw_nonblock, pcm_hw.c), and
// clients were seen opening with O_NONBLOCK and clearing it right after
// (ALSA-ABI-NOTES.md). FUSE never forwards F_SETFL,
// so the open flags a FUSE handler saw are stale. The kernel's driver
// would test file->f_flags & O_NONBLOCK on every blocking call
// (snd_pcm_lib_write, snd_pcm_drain). The same value is visible in
// /proc/<pid>/fdinfo/<fd> ("flags:", octal, f_flags plus O_CLOEXEC;
// fs/proc/fd.c seq_show).
//
// Find locates the caller's descriptor on a node once, by scanning
// /proc/<pid>/fd with readlink (which never calls into the FUSE daemon, so
// it cannot deadlock a handler), and keeps its fdinfo file open. FD.Flags
// then costs one pread of that file at offset 0 (fdinfo is a seq_file that
// regenerates on every read from the start): about 30 times cheaper than
// the scan (BenchmarkFDFlags vs BenchmarkFileFlagsScan) and free of
// allocations. The inode and mount id of the first read are remembered,
// so a number that was closed and reused for another file is reported
// (ESTALE) rather than followed. Tracker wraps this for a FUSE file
// handle: one per open file, keyed by caller pid, refinding on staleness.
//
// Limits: a process holding two descriptors on the same node (two opens of
// one control node) is answered for the lowest-numbered one; descriptors
// passed over a unix socket are found like any other; on kernels before
// 5.14 (no "ino:" line) reuse is not detected. The caller must be able to
// ptrace the client (root, or same uid with ptrace_scope 0).
//
// Linux only.
package procmem
