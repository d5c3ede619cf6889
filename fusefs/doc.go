// Package fusefs serves vsnd's cards as a FUSE filesystem: the native file
// interface, mirroring /proc/asound but writable, and under dev/ the ALSA
// ABI and OSS faces over the same cards. This manual is about the native
// files and the mount; the faces have their own.
//
// # Layout
//
//	DIR/cards                        like /proc/asound/cards
//	DIR/cardN/id, cardN/info         card id; snd_ctl_card_info fields
//	DIR/cardN/pcmDp/info             like /proc/asound/cardN/pcmDp/info (pcmDc: capture)
//	DIR/cardN/pcmDp/subS/info        the substream's snd_pcm_info
//	                    hw_params    read: current params ("closed", "no setup"); write: set
//	                    sw_params    read/write
//	                    prepare      write anything: SNDRV_PCM_IOCTL_PREPARE
//	                    hw_free      write anything: HW_FREE, then release the substream
//	                    trigger      write start|stop|drain|pause|release|resume|suspend|xrun|reset|...
//	                    status       like /proc/asound/.../status, plus xruns and endpoint
//	                    error        the last failed operation: time, operation, reason (errno)
//	                    data         playback: write frames; capture: read frames
//	                    sink         (capture: source) the endpoint SPEC, read/write
//	DIR/dev/snd/                     the ALSA face (alsanodes.go, package fusefs/alsa)
//	DIR/dev/dsp*, adsp*, mixer*      the OSS face (ossnodes.go, package fusefs/oss)
//
// The text formats are the kernel's (sound/core/pcm.c:
// snd_pcm_substream_proc_hw_params_read, _sw_params_read, _status_read,
// snd_pcm_proc_info_read; sound/core/init.c: snd_card_info_read).
//
// # Control files
//
// Every write to a control file is one request, performed before write(2)
// returns: `echo start > trigger`. Writes wait as the kernel's ioctl would
// (prepare and hw_params for sync_stop, drain for the queued audio) and
// ignore O_NONBLOCK: Go's os.OpenFile makes every FUSE file non-blocking,
// and an EAGAIN would leave it waiting forever for a poll event go-fuse
// cannot send. Signals end a wait (FUSE INTERRUPT). Params are key=value pairs separated by
// blanks, commas or newlines:
//
//	echo format=S16_LE rate=48000 channels=2 > hw_params
//	echo period_size=1024 buffer_size=4096 >> hw_params   # a new, complete request
//	echo start_threshold=1 avail_min=1024 > sw_params
//
// A hw_params write is refined as the kernel refines a client's request:
// HWParams.Any, each given key restricted to its value, Refine against the
// substream's hardware; keys left open for the buffer and period get
// aplay's defaults (buffer_time near 500 ms, 4 periods) instead of the
// kernel's extremes; Substream.HWParams then refines and chooses the rest.
// Keys: access, format, subformat, channels, rate, period_size,
// period_time, period_bytes, periods, buffer_size, buffer_time,
// buffer_bytes. sw_params keys: avail_min, start_threshold,
// stop_threshold, silence_threshold, silence_size, tstamp_mode,
// period_step (a value may be "boundary").
//
// # Open and close of a substream
//
// The native face has no open(2) of the PCM device itself, so it holds a
// substream (pcm.Device.Open: attach + snd_pcm_open_substream) from the
// first successful hw_params write until hw_free, and while the data file
// is open. A failed hw_params releases it again unless data is open. A
// substream held by another face (ALSA, OSS) answers EBUSY. Operations on a
// substream the face does not hold are EBADFD, like an ioctl on a PCM in
// OPEN state; the error file says "write hw_params first".
//
// # The data file
//
// read(2)/write(2) follow snd_pcm_read/snd_pcm_write:
//
//   - open: for writing on playback, reading on capture (else EINVAL); the
//     stream must have hw params (else EBADFD); a second opener gets EBUSY.
//     A stream in SETUP or XRUN is prepared, so every open starts a fresh
//     run. O_TRUNC is accepted.
//   - write blocks at real-time pace until every byte is queued; the stream
//     starts when start_threshold frames are queued. With O_NONBLOCK it
//     queues what fits, EAGAIN if nothing. A signal (FUSE INTERRUPT, the
//     request's context) ends it with the bytes accepted so far, EINTR if
//     none. After an underrun, EPIPE until the stream is prepared again
//     (write prepare, or reopen). Any byte count may be written: an
//     incomplete trailing frame is kept for the next write.
//   - read blocks until whole frames are available (at least avail_min or
//     the request), starting the stream when the request reaches
//     start_threshold; O_NONBLOCK and signals as for write; EPIPE after an
//     overrun.
//   - close (FUSE FLUSH) of playback data that was written drains: close(2)
//     returns when the queued sound has played, so `cat f > data` ends with
//     the sound and a program can write, close and lose nothing. A
//     non-blocking file, or a closer that is exiting (killed: PF_EXITING in
//     /proc/PID/stat), drops instead; a signal the closer handles does not
//     cut the tail (the core bounds the drain by the buffer's play-out
//     time). The stream is then in SETUP, ready for the next open.
//   - release (the last descriptor gone, also when the kernel closes the
//     files of a SIGKILLed process) drops whatever still runs, never
//     waiting, and frees the data file for the next opener. RELEASE comes
//     asynchronously after close(2) returns, so an open that finds the
//     previous open closed (flushed, unused since) waits up to 2 s for its
//     RELEASE instead of answering EBUSY.
//
// So a shell can play a raw file:
//
//	cd DIR/card0/pcm0p/sub0
//	echo format=S16_LE rate=48000 channels=2 > hw_params
//	cat music.raw > data       # returns when it has played
//
// # Non-blocking and flags
//
// go-fuse's node-level Read and Write receive no open flags, and the kernel
// never forwards fcntl(F_SETFL). Every FUSE READ and WRITE does carry the
// file's current flags: flagsFS, a RawFileSystem wrapper, hands them to the
// node through the request's cancel channel. FLUSH carries none, so a data
// handle remembers the last seen.
//
// # Errors
//
// Every error becomes a syscall.Errno in one place, stream.fail, with
// pcm.Errno (an *pcm.Error or a wrapped errno keeps its number; go-fuse's
// own conversion would turn a wrapped errno into ENOSYS). fail also writes
// the reason to the log and to the substream's error file.
//
// # Locking
//
// Per substream: stream.opMu serializes open/close and the control
// operations that do not wait for audio; stream.mu guards the face's
// bookkeeping and is never held while calling into the core; a data
// handle's mu serializes that file's read, write and flush. Lock order:
// opMu, then mu. Nothing that waits for audio (drain, read, write) holds
// opMu, so `echo stop > trigger` always gets through to a blocked writer.
//
// # Shutdown
//
// Server.Unmount (SIGINT/SIGTERM in the command) releases every substream
// first (the core drops the stream, frees it, closes the sink: a WAV file
// gets its final header), then unmounts. A client holding a file open
// cannot keep the mount alive: after go-fuse's retries the mount is
// detached (MNT_DETACH) and the FUSE connection aborted. A mount left by a
// crashed daemon is found by Mount (statfs answers ENOTCONN) and detached.
// The mount's source name is "vsnd:PID", which `vsnd umount` uses to ask
// the daemon to stop (SIGTERM) and wait for it.
package fusefs
