// Package oss is vsnd's OSS face without FUSE: the logic behind DIR/dev/dsp
// and DIR/dev/mixer, mirroring ALSA's OSS emulation
// (sound/core/oss/pcm_oss.c, sound/core/oss/mixer_oss.c) on top of the PCM
// core's substream API. The FUSE layer calls OpenDSP (or opens substreams
// and calls NewDSP) per open file and forwards read, write, ioctl, flush
// (Sync) and release (Release) to it, passing the file's current
// O_NONBLOCK with each read and write.
//
// # Model
//
// A DSP is one open of /dev/dsp, the kernel's struct snd_pcm_oss_file: up
// to two substreams (playback when opened for writing, capture when opened
// for reading), each with the OSS state of struct snd_pcm_oss_runtime:
// the requested rate, channels and AFMT_* format (8000 Hz, mono, U8 at
// open, as snd_pcm_oss_init_substream), the fragment request (SETFRAGMENT
// or SUBDIVIDE), the trigger bits, the fragment being assembled, and the
// byte counter behind GETOPTR/GETIPTR.
//
// Setting requests (SPEED, CHANNELS, STEREO, SETFMT, SETFRAGMENT,
// SUBDIVIDE) only record the request and mark the parameters dirty. They
// are installed by snd_pcm_oss_change_params — hw_params, then sw_params —
// by the first request that needs them: every setting request answers the
// installed value, so it installs at once, as in the kernel; GETBLKSIZE,
// GETFMTS, GETxSPACE, GETxPTR, GETODELAY, SETTRIGGER, POST, SYNC and the
// first transfer do too. The last four also prepare the substream
// (snd_pcm_oss_make_ready).
//
// Installing picks, in the kernel's order: interleaved read/write access;
// the lowest multiple of the requested rate the hardware takes, else the
// nearest rate (choose_rate); the nearest channel count; the requested
// format or the first the hardware has that OSS can name; then the
// fragment size of snd_pcm_oss_period_size — 2^n bytes from SETFRAGMENT
// (at most half the largest buffer), or by default about a second of
// audio rounded down to a power of two, cut in 8 when a quarter of it is
// over 4 KiB, else in 4, and not cut when the pieces would be under 4 KiB
// (or cut in SUBDIVIDE's count) — within the
// hardware's period limits, and as many fragments as the largest buffer
// holds (at most SETFRAGMENT's count, at least 2). sw_params: start at the
// first frame when the trigger is enabled (else at the boundary, i.e.
// never), playback stops on underrun (stop_threshold = buffer), capture
// never stops (stop_threshold = boundary), avail_min 1 for playback and a
// period for capture, silence of a period + 16 frames.
//
// # Transfers
//
// Write (snd_pcm_oss_write1) hands the core whole fragments. A tail
// shorter than a fragment is copied into the fragment buffer and counted
// as written; it reaches the core when the fragment is full, or when SYNC
// (or Close) pads it with silence. A blocking write sleeps in the core
// until there is room, so it returns at the pace of the stream; a
// non-blocking one returns what fitted, or EAGAIN when nothing did. When
// the context ends (a FUSE interrupt) it returns the bytes accepted so far,
// or EINTR. After an underrun the next write prepares and goes on
// (snd_pcm_oss_write3).
//
// Read (snd_pcm_oss_read1) takes whole fragments from the core; a short
// read takes a fragment into the fragment buffer and serves the next reads
// from it. A blocking read waits for a whole fragment. A non-blocking read
// returns EAGAIN until a whole fragment is captured — the readiness
// snd_pcm_oss_poll reports — even though the core's pointer moves frame by
// frame: byte-granular availability made ffmpeg spin on tiny reads.
// Non-blocking comes from the caller's flag or from SNDCTL_DSP_NONBLOCK,
// which is sticky because FUSE never forwards fcntl(F_SETFL).
//
// # Pointers
//
// GETOPTR/GETIPTR (snd_pcm_oss_get_ptr) answer, from the core's DELAY and
// hw_ptr: bytes = bytes handed to the core minus the core's delay for
// playback, i.e. exactly what the "DMA" played; for capture the bytes
// taken from the core plus its delay minus what the fragment buffer still
// holds; modulo 2^31. blocks = whole fragments queued (playback, the one
// being assembled included) or ready (capture, minus what the fragment
// buffer holds); ptr = hw_ptr modulo the buffer, in bytes.
// GETOSPACE/GETISPACE (snd_pcm_oss_get_space) answer the room or data in
// bytes and whole fragments; before the first transfer playback reports
// the whole buffer free and capture nothing. GETODELAY is the core's delay
// in bytes. In XRUN they answer as the kernel's "hack for broken OSS
// applications": no delay, a free buffer.
//
// # Mixer
//
// Mixer answers the mixer requests of /dev/mixer (and the 'M' requests on
// /dev/dsp) as snd_mixer_oss_ioctl1: DEVMASK, STEREODEVS, RECMASK, CAPS,
// RECSRC, INFO, and MIXER_READ/MIXER_WRITE of a slot (left | right << 8,
// each 0..100) over a MixerBackend; a card's control model implements it
// (pcm/mixer.OSSMixer), the tests use an in-memory one (MemMixer).
//
// # What is not mirrored
//
//   - The plugin layer (CONFIG_SND_PCM_OSS_PLUGINS): vsnd converts nothing,
//     so it always runs as the kernel's "direct" mode. GETFMTS lists only
//     what the hardware has; like the kernel's direct mode it looks at ALSA
//     formats 0..31, so AFMT_S24_PACKED (S24_3LE, format 32) is never
//     offered. No MU_LAW, A_LAW or IMA_ADPCM; an unknown format is U8.
//   - mmap: GETCAPS leaves DSP_CAP_MMAP out (the kernel sets it);
//     MAPINBUF/MAPOUTBUF answer EINVAL as in the kernel.
//   - The /proc/asound/cardN/pcmMX/oss setup: its periods and period_size
//     are StreamOptions.Setup (per device, not per application); the flags
//     (disable, direct, block, non-block, partial-frag, no-silence,
//     buggy-ptr) and the nonblock_open module parameter are not.
//   - Close with a non-blocking flag skips the final sync and drops what is
//     queued; the kernel drains even then. A daemon must not block the
//     FLUSH of a client that asked not to block.
//   - SYNC sends only the part of a partly queued fragment the core has not
//     taken (the kernel sends the whole fragment again) and counts the
//     silence padding in GETOPTR's bytes (the kernel does not, so its
//     counter can step back during the drain).
//   - A capture XRUN (impossible with the OSS sw_params) is recovered by
//     DRAIN, then DROP if needed, then PREPARE, with a bound on retries.
//
// # Errors
//
// Every method returns the errno the kernel's OSS emulation would, as a
// *pcm.Error: EINVAL for an unknown request and bad settings, EFAULT for
// an argument shorter than the request says, EBUSY for a setting changed
// during a transfer, EAGAIN, EINTR, ENXIO for a direction the file was not
// opened for, EIO for SETDUPLEX on a one-way file and the filter requests,
// and the core's errnos. Nothing panics on client input.
//
// # Locks
//
// Per direction: xfer serializes the data path (write, read, the sync of
// queued data), then mu is runtime->oss.params_lock and guards the OSS
// state; the core's locks come after both. mu is dropped around every core
// call that may sleep, as snd_pcm_oss_write3 drops params_lock around the
// transfer, so pointer queries answer while a write blocks. rwRef
// (runtime->oss.rw_ref) counts transfers; setting requests fail with EBUSY
// while it is non-zero (lock_params).
package oss
