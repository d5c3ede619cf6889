// Package asound mirrors the kernel ALSA ABI of include/uapi/sound/asound.h
// for x86_64: the ioctl request numbers that alsa-lib issues on PCM and
// control nodes, and byte-level encoders and decoders for the fixed-layout
// structs they carry. It is the vocabulary of vsnd's ALSA face (FUSE files
// named controlC0, pcmC0D0p, ... that answer the real ioctls); it has no
// FUSE and no PCM core in it, only conversions to and from the core's types
// (pcm.HWParams, pcm.SWParams, pcm.Status).
//
// # Model
//
// A FUSE ioctl handler gets the request number, the bytes the kernel
// copied in (_IOC_SIZE of them when the direction has _IOC_WRITE) and a
// buffer to copy out (when it has _IOC_READ). The face does what the gVisor
// device emulations do: check the size, decode, call the core, encode:
//
//	case asound.PCMIoctlHWRefine:
//		var p pcm.HWParams
//		if err := asound.DecodeHWParams(in, &p); err != nil { ... }
//		err := sub.HWRefine(&p)
//		out = in                         // carry mres/ires/sync through
//		asound.EncodeHWParams(out, &p)
//
// Decoders read only what the kernel reads; encoders write the struct the
// way the kernel's copy_to_user would leave it (EncodeStatus, for instance,
// zeroes the struct first like snd_pcm_status64). Every encoder and decoder
// takes the caller's byte slice, checks its length (EINVAL, as a *pcm.Error,
// if short: that is a dispatch bug, since FUSE copies exactly _IOC_SIZE) and
// allocates nothing, except Decode of structs with strings, which allocate
// only for non-empty strings.
//
// # What is mirrored
//
//   - ioctl.go: _IOC/_IOR/_IOW/_IOWR and every SNDRV_PCM_IOCTL_* and
//     SNDRV_CTL_IOCTL_* request alsa-lib's pcm_hw.c and control_hw.c issue,
//     plus the protocol versions SNDRV_PCM_VERSION 2.0.18 and
//     SNDRV_CTL_VERSION 2.0.9 of the newest mainline header.
//   - hwparams.go: struct snd_pcm_hw_params (608 bytes: interval flag bit
//     field, the 2.0.18 sync ID) and struct snd_pcm_sw_params (136).
//   - status.go: struct snd_pcm_status (152, the same layout as the kernel's
//     snd_pcm_status64 on x86_64), STATUS_EXT's audio timestamp config and
//     report packing, and the timestamp clock mapping (TimeMap).
//   - pcmstructs.go: snd_pcm_info, snd_pcm_channel_info, snd_xferi,
//     snd_xfern, snd_pcm_mmap_status/control and snd_pcm_sync_ptr (136).
//   - ctl.go: snd_ctl_card_info, snd_ctl_elem_id/list/info/value (value is
//     1224 = 0x4c8 bytes on x86_64, long value[128] being 8-byte longs),
//     snd_ctl_event (72, one read() record), the snd_ctl_tlv header.
//
// Not mirrored: hwdep, rawmidi, UMP, timer and sequencer structs (only the
// sizes that their control ioctls' numbers need), 32-bit compat layouts
// (pcm_compat.c, control_compat.c): a 32-bit client issues other numbers,
// which the face answers with ENOTTY.
//
// # Timestamps
//
// pcm.Status holds times as durations on the core's monotonic clock
// (timer.Clock). The kernel stamps with snd_pcm_gettime on the clock the
// client picked (TTSTAMP ioctl, or sw_params.tstamp_type from protocol
// 2.0.12): CLOCK_REALTIME, MONOTONIC or MONOTONIC_RAW. EncodeStatus takes a
// TimeMap and the client's tstamp type; ClockOffsets is the TimeMap that
// adds one measured offset per clock (MeasureClockOffsets). audio_tstamp is
// stream time (frames / rate) and is not shifted.
//
// # Pointers in structs, and what FUSE does not carry
//
// snd_xferi.buf, snd_xfern.bufs, snd_ctl_elem_list.pids and the payload
// after a snd_ctl_tlv header are addresses in the caller's memory; the
// kernel reads or writes them with copy_from_user/copy_to_user. Over FUSE
// the face does this with package procmem at the caller's pid. So does the
// result of WRITEI (an _IOW request whose result the kernel put_user's
// back: snd_pcm_xferi_frames_ioctl) and the input of READI, CHANNEL_INFO
// and PCM_NEXT_DEVICE (_IOR requests that the kernel reads from). PAUSE and
// LINK pass an int by value where the number says _IOW: FUSE tries to copy
// from that "address" and fails with EFAULT before the daemon sees the
// request (ALSA-ABI-NOTES.md), so the face must not advertise
// SNDRV_PCM_INFO_PAUSE and cannot offer LINK.
//
// # Why copies instead of unsafe casts
//
// The client's bytes are untrusted input with a C layout (bit fields,
// unions, padding) that a Go struct does not express; casting them onto Go
// structs would tie vsnd's types to the C layout, make every field read a
// potential misinterpretation of a union and need unsafe in the face.
// Copying field by field with encoding/binary costs ~120 ns for a full
// hw_params decode+encode (BenchmarkHWParamsDecodeEncode), negligible next
// to a FUSE round trip, and keeps this package free of unsafe. The layouts
// are pinned instead: layout_test.go compiles a C program against the real
// <sound/asound.h> and compares sizes, offsets, ioctl numbers and whole
// structs filled by C field name with what this package encodes. Fields
// of newer header generations (hw_params.sync, UMP) are checked when the
// header has them; VSND_ASOUND_INCLUDE=<dir with sound/asound.h> runs the
// same test against another header (a kernel tree's usr/include).
//
// x86_64 only: sizes assume LP64 longs and 16-byte timespecs, and the
// interval bit field assumes GCC's little-endian allocation.
package asound
