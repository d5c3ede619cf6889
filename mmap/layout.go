package mmap

// Offsets in the memfd, as a client passes them to mmap(2) on the PCM
// device (include/uapi/sound/asound.h: SNDRV_PCM_MMAP_OFFSET_DATA and the
// STATUS/CONTROL offsets that 64-bit user space uses, which the uapi header
// calls SNDRV_PCM_MMAP_OFFSET_STATUS_OLD/CONTROL_OLD; sound/core/pcm_native.c
// snd_pcm_mmap serves them, on a 64-bit kernel, with the same pages as the
// _NEW offsets).
const (
	OffsetData    = 0x00000000
	OffsetStatus  = 0x80000000
	OffsetControl = 0x81000000

	// PageSize is the x86_64 page size: the status and control records
	// each occupy one page, like snd_pcm_mmap_status/snd_pcm_mmap_control
	// in pcm_native.c (PAGE_ALIGN(sizeof(...))).
	PageSize = 4096

	// FileSize is the size of the memfd: just past the control page, so
	// that a client mapping the data, status or control page never faults
	// past end of file (SIGBUS). The file is sparse; only touched pages
	// use memory.
	FileSize = OffsetControl + PageSize

	// MaxData is the largest data region Alloc accepts: the data must end
	// before the status page.
	MaxData = OffsetStatus
)

// Timespec is struct __kernel_timespec (struct __snd_timespec64) on x86_64.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// Status is struct snd_pcm_mmap_status (struct __snd_pcm_mmap_status64) as
// a 64-bit kernel lays it out: 56 bytes, hw_ptr at 8, tstamp at 16,
// suspended_state at 32, audio_tstamp at 40. The sizes and offsets are
// pinned by TestLayout.
//
// Clients read it concurrently through their own mapping: the core writes
// it only through Area's atomic setters.
type Status struct {
	State          int32 // RO for clients: SNDRV_PCM_STATE_*
	Pad1           int32
	HWPtr          uint64 // RO: hw ptr (0 ... boundary-1)
	Tstamp         Timespec
	SuspendedState int32 // RO: state before suspend
	Pad2           int32
	AudioTstamp    Timespec
}

// Control is struct snd_pcm_mmap_control on a 64-bit kernel: 16 bytes.
// Clients write ApplPtr (and may write AvailMin) through their own mapping
// at any time; the core reads them only through Area's atomic getters.
type Control struct {
	ApplPtr  uint64 // RW: appl ptr (0 ... boundary-1)
	AvailMin uint64 // RW: min available frames for wakeup
}
