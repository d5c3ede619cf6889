// Package mmap holds a stream's shared memory: the sample buffer and the
// status and control pages laid out exactly like the kernel's
// struct snd_pcm_mmap_status and struct snd_pcm_mmap_control on x86_64, all
// in one memfd so that the ALSA face can hand the same memory to clients
// with FUSE passthrough.
//
// # Layout of the memfd (include/uapi/sound/asound.h, SNDRV_PCM_MMAP_OFFSET_*)
//
//	0x00000000  sample data (the DMA area), buffer_bytes long
//	0x80000000  struct snd_pcm_mmap_status, one page
//	0x81000000  struct snd_pcm_mmap_control, one page
//
// The file is sparse: only touched pages use memory.
package mmap
