// Package alsa is the logic of vsnd's ALSA kernel-ABI face, without FUSE:
// what a FUSE node named controlC<card> or pcmC<card>D<dev>p/c calls for
// open, ioctl, read and release, so that unmodified alsa-lib (aplay,
// arecord, amixer, speaker-test, PortAudio, ...) drives vsnd's cards
// through the same ioctls it issues on a real sound card
// (/work/shared/notes/ALSA-ABI-NOTES.md). It mirrors sound/core/control.c,
// sound/core/pcm_native.c (snd_pcm_common_ioctl) and the control hooks of
// sound/core/pcm.c on top of package pcm's Substream API, with the
// vocabulary of package asound (request numbers, struct layouts).
//
// # Model
//
// A Card (NewCard) is the face of one pcm.Card: the state the kernel
// keeps in struct snd_card for its character devices — the open control
// files (card->ctl_files) and the wake-up of blocking PCM opens
// (pcm->open_wait). The FUSE plumbing makes one per card at mount and,
// per open file:
//
//	controlC0  open:    f := card.OpenCtl(callerPid)
//	           ioctl:   f.Ioctl(ctx, caller, cmd, arg, in, out)
//	           read:    f.Read(ctx, buf, nonblock)      // 72-byte snd_ctl_event records
//	           release: f.Release()
//	pcmC0D0p   open:    f, err := card.OpenPCM(ctx, 0, pcm.Playback, callerPid, openFlags&O_NONBLOCK != 0)
//	           ioctl:   f.Ioctl(ctx, caller, cmd, arg, in, out)
//	           release: f.Release()
//
// Ioctl has go-fuse's shape: in holds the _IOC_SIZE bytes the FUSE kernel
// copied in for an _IOW/_IOWR request, out the _IOC_SIZE bytes it copies
// back for _IOR/_IOWR on success (nothing is copied back with an error,
// which is also what the kernel does for HW_REFINE and HW_PARAMS). The
// result is always 0; an error is a *pcm.Error whose errno (pcm.Errno) is
// the answer. The node's ioctl result is therefore
// `return 0, pcm.Errno(err)`.
//
// # What FUSE does not carry, and the Caller
//
// FUSE's restricted ioctls copy only _IOC_SIZE bytes at arg, in the
// direction the number says. Where the kernel reaches further into the
// caller's memory the face uses Caller (ProcCaller: process_vm_readv and
// process_vm_writev at the request's pid, package procmem):
//
//   - WRITEI_FRAMES / WRITEN_FRAMES: the samples at snd_xferi.buf (or each
//     of snd_xfern.bufs' channel pointers) are read; the result is written
//     at arg although the request is _IOW.
//   - READI_FRAMES / READN_FRAMES: _IOR, so the struct itself is read at
//     arg; the samples and the result are written.
//   - REWIND / FORWARD: _IOW, the frames moved are written back at arg.
//   - CHANNEL_INFO, PCM_NEXT_DEVICE: _IOR, their input is read at arg.
//   - ELEM_LIST: the ids go to the pids array; TLV_READ: the payload goes
//     right after the 8-byte header, at arg+8.
//
// Each of these is all or nothing as copy_from_user/copy_to_user are
// (EFAULT, ESRCH for a caller FUSE reported as pid 0). A transfer's
// result slot is zeroed first, as snd_pcm_xferi_frames_ioctl's
// put_user(0), so a caller that cannot be written loses no samples.
// Samples move through a per-file scratch buffer of at most 64 KiB: a
// large blocking WRITEI is fed to the core piece by piece, each piece read
// from the caller just before it is queued, with the kernel's partial
// result when an interrupt, a non-blocking caller or an error stops it.
//
// Caller.Nonblock is the file's current O_NONBLOCK: alsa-lib opens with
// O_NONBLOCK and clears it with fcntl(F_SETFL), which FUSE never
// forwards, so WRITEI/READI/DRAIN ask the caller's fdinfo every time
// (procmem.Tracker). DRAIN and transfers also honour ctx: FUSE_INTERRUPT
// (a signal to the client) ends a wait with EINTR, the kernel's
// -ERESTARTSYS.
//
// # Two ioctls FUSE cannot carry
//
// alsa-lib passes PAUSE's push flag and LINK's fd BY VALUE where the
// numbers say _IOW(int): the FUSE kernel tries to copy 4 bytes from
// address 0, 1 or the fd number and fails with EFAULT before the daemon
// sees anything. Therefore HW_REFINE and HW_PARAMS never report
// SNDRV_PCM_INFO_PAUSE (clients check snd_pcm_hw_params_can_pause and
// stop instead), whatever the hardware description says; pause stays
// available on the native and OSS faces. A PAUSE that does arrive (a
// client passing a pointer) is answered with the flag it points to. A
// LINK that arrives is EBADFD, what snd_pcm_link answers for an fd that is
// not a kernel PCM file (every vsnd file is a FUSE file); UNLINK is
// EALREADY (never linked). alsa-lib then reports the link failure
// (latency.c falls back or stops); nothing crashes.
//
// # Opening
//
// OpenPCM is snd_pcm_open: the subdevice a control file of the same pid
// preferred (PCM_PREFER_SUBDEVICE, which alsa-lib's snd_pcm_hw_open issues
// on the control node right before it opens the PCM, from the same
// thread; the kernel keys it by the control file opener's task pid, vsnd
// by the pid FUSE reports) or the first free one. When none is free a
// non-blocking open is EBUSY and a blocking one waits for a release or
// the interrupt. O_APPEND sharing of a substream is not offered (EBUSY
// path as any busy substream).
//
// # The control node
//
// CtlFile answers PVERSION, CARD_INFO (the card's id, driver, names and
// Options.Components), PCM_NEXT_DEVICE/PCM_INFO/PCM_PREFER_SUBDEVICE (as
// snd_pcm_control_ioctl), RAWMIDI/HWDEP/UMP_NEXT_DEVICE (-1: no such
// devices; their INFO is ENXIO), POWER (ENOPROTOOPT) and POWER_STATE (D0),
// and the element requests through Options.Mixer (package pcm/mixer):
// ELEM_LIST/INFO/READ/WRITE/LOCK/UNLOCK, TLV_READ, SUBSCRIBE_EVENTS; Read
// returns the subscription's merged events as snd_ctl_read does. The
// control file is its mixer lock owner; Release drops its locks. User
// controls are not kept (ELEM_ADD/REPLACE answer ENOMEM, ELEM_REMOVE
// EINVAL for an existing element).
//
// # Errors
//
// Every answer carries the kernel's errno: the core's for what it does
// (EBADFD for a wrong state, EPIPE in XRUN, ESTRPIPE when suspended,
// EAGAIN, EINTR, EIO ...), plus ENOTTY for an unknown request (including
// the 32-bit compat layouts, whose numbers differ), EINVAL for an argument
// shorter than its struct (a plumbing bug: FUSE passes exactly
// _IOC_SIZE), EBADF after Release, and EBADFD for every request on a
// DISCONNECTED stream (snd_pcm_common_ioctl). Nothing panics on any input
// (TestRandomIoctls).
//
// # Cost
//
// A poll-driven client issues one ioctl per spin (HWSYNC or SYNC_PTR), so
// those paths allocate nothing (TestHotIoctlsDoNotAllocate, which also
// holds WRITEI's own bookkeeping to zero) and add little to the core call
// they wrap: measured on the 2-core build machine,
// HWSYNC 40 ns against the core's 39 ns, SYNC_PTR 68 ns against 43 ns
// (go test -bench . -benchtime 300000x -count 5 ./fusefs/alsa). Through
// FUSE a libasound client spinning on snd_pcm_hwsync (SYNC_PTR, since
// mmap fails with DIRECT_IO) took 19 us per call and the daemon 11 us of
// CPU per ioctl, go-fuse included (TestAlsaLibSpinCost -v), against the
// 130 us per ioctl ALSA-ABI-NOTES.md reports for the prototype.
//
// # Tests
//
// Unit tests drive PCMFile and CtlFile with a fake Caller whose memory is
// a byte slice, replaying the sequences of aplay, arecord, amixer and
// aplay -l on a fake clock. e2e_test.go (root only) mounts a test-only
// go-fuse tree of the three nodes, bind-mounts it on /dev/snd in a private
// mount namespace and runs real libasound through python3's ctypes
// (testdata/alsaclient.py): playback and capture bit-exact, MMAP access
// through FUSE passthrough of the substream's memfd (status and control
// pages shared, CHANNEL_INFO, no SYNC_PTR), the control API with its
// event, a client killed in a blocking WRITEI, and the spin cost above.
//
// # Locking
//
// The face holds no lock across a core call but PCMFile.xferMu, which
// serializes the transfers of one file around its scratch buffer (other
// ioctls do not take it, so a DROP from another thread still wakes a
// blocked WRITEI). Card.mu guards the control file list and the open
// wake-up; CtlFile's element state has its own small locks. The pcm/mixer
// lock is a leaf below all of them.
package alsa
