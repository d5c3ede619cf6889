// Package pcm is vsnd's PCM core, a faithful model of the Linux ALSA PCM
// core (sound/core/pcm_native.c, sound/core/pcm_lib.c, kernel >= 5.5): it
// owns every substream's state, pointers, thresholds and xrun handling, so
// that the faces (native files, ALSA ioctls, OSS) only translate. A Driver
// (struct snd_pcm_ops) only starts and stops an interrupt and reports a
// position; NewVirtualDriver is the one vsnd ships (sound/drivers/dummy.c's
// hrtimer backend on a timer.Source).
//
// # State machine
//
// Substream methods move a runtime through the kernel's states
// (SNDRV_PCM_STATE_*). DISCONNECTED is reachable from every state by
// Disconnect; Release works from every state.
//
//	 Open                 HWFree
//	------> OPEN <----------------------------+
//	         |                                |
//	         | HWParams (also from SETUP,     |
//	         v  PREPARED)                     |
//	       SETUP <------------------------------------------------+
//	         |  ^ Drop (any state below), end of drain,           |
//	 Prepare |  | Drain of an empty PREPARED or of XRUN           |
//	         v  |                                                 |
//	      PREPARED ---------- Drain (playback with data) ------+  |
//	         |                                                 |  |
//	         | Start; Write or MMapCommit reaching             v  |
//	         | start_threshold; capture Read >= it        DRAINING
//	         v                                             ^   | avail >= buffer
//	      RUNNING --------------- Drain -------------------+   +--(interrupt)--+
//	       |  ^  |
//	       |  |  +-- Pause(true) --> PAUSED -- Pause(false) --> RUNNING
//	       |  |
//	       |  +-- (XRUN) Prepare --> PREPARED
//	       v
//	      XRUN   (XRun; avail >= stop_threshold, found by the interrupt or
//	              any hw_ptr update)
//
//	Suspend:    PREPARED, RUNNING, XRUN, DRAINING, PAUSED -> SUSPENDED
//	Resume:     SUSPENDED -> the state saved at suspend (InfoResume)
//	Prepare:    SUSPENDED, PAUSED, XRUN, SETUP, PREPARED -> PREPARED
//	Disconnect: any -> DISCONNECTED (only Release is left)
//	Release:    any -> closed (drop, hw_free, close)
//
// Each transition is an action table {pre, do, undo, post} run under the
// stream lock, as snd_pcm_action_single runs struct action_ops: pre checks
// the state, do triggers the driver, undo reverts a failed do, post
// commits the state and wakes waiters.
//
// # Pointer model
//
// Positions are frame counters in [0, boundary). boundary is the buffer
// size doubled while boundary*2 <= LONG_MAX - buffer_size, so it is a
// multiple of the buffer and both pointers can wrap without losing the
// position in the ring (ofs = ptr % buffer_size).
//
//	  hw_ptr: where the "hardware" is (status page; the core writes it)
//	appl_ptr: where the application is (control page; clients may write it)
//
//	playback avail = hw_ptr + buffer_size - appl_ptr  (mod boundary): room
//	capture  avail = hw_ptr - appl_ptr                 (mod boundary): data
//	hw_avail = buffer_size - avail
//
//	 0        hw_ptr_base                    boundary
//	 |--------|====buffer====|--- ... ---------|   hw_ptr = hw_ptr_base + pos
//	                 ^pos (Driver.Pointer, [0, buffer_size))
//
// snd_pcm_update_hw_ptr0 turns the driver's position into hw_ptr: a
// position behind the previous one means the ring wrapped (hw_ptr_base +=
// buffer_size, back to 0 at boundary, hw_ptr_wrap += boundary); a jump of
// buffer+period or more is ignored ("Unexpected hw_ptr"), more than 1.5
// periods is logged ("Lost interrupts?"). snd_pcm_update_state then ends
// a drain (avail >= buffer_size), raises XRUN (avail >= stop_threshold)
// or wakes waiters (avail >= avail_min, or a blocked transfer's own
// threshold). The same update moves the frames hw_ptr passed between the
// buffer and the sink/source FIFOs (fifo.go): playback frames only up to
// appl_ptr.
//
// appl_ptr and avail_min live in the mmap control page and hw_ptr, state
// and timestamps in the status page (package mmap), so a client that maps
// them sees what the kernel would show; MMapCommit and SyncPtr are the
// entry points for a client that moved appl_ptr itself.
//
// # sync_stop
//
// Stopping (Trigger(TriggerStop)) never waits: it may happen inside the
// interrupt, when the period callback finds an xrun or the end of a drain.
// The interrupt may thus still be running after the state changed. Like
// the kernel (snd_pcm_sync_stop, "ALSA: pcm: Add the support for sync-stop
// operation"), a stop sets stopOperating (do_stop of a running stream,
// undo_start, do_suspend), and hw_params, hw_free, prepare, release,
// suspend and disconnect call syncStop, which calls Driver.SyncStop once
// per stop, without the stream lock, before touching what the interrupt
// uses.
//
// # Locks
//
// Lock order: bufMu (the kernel's buffer_mutex: hw_params, hw_free,
// prepare, reset, release), then mu (the stream lock), then the timer's
// and FIFOs' internal locks. The interrupt takes only mu (in
// PeriodElapsed). mu is never held across Driver.SyncStop, the driver's
// process-context ops (Open, Close, HWParams, HWFree, Prepare), a Sink or
// Source call, or a wait: waiters sleep on a channel that is closed and
// replaced under mu (wakeAllLocked), together with their context.
//
// # Errors
//
// Every method returns *Error carrying the kernel's errno (see Errno):
//
//	EBADFD    the state does not allow the call (pre-actions); every call
//	          on a DISCONNECTED stream but Release (snd_pcm_common_ioctl)
//	EPIPE     XRUN: Start of an empty playback, Write/Read/HWSync in XRUN
//	ESTRPIPE  SUSPENDED: Write/Read/HWSync
//	EBUSY     Prepare of a running stream; a transfer, Start or Drain while
//	          hw_params/hw_free/prepare/reset runs (buffer_accessing; vsnd
//	          also guards the starts); Suspend with nothing to suspend;
//	          Open twice
//	ENOSYS    Pause without InfoPause, Resume without InfoResume
//	EAGAIN    non-blocking Write/Read with nothing to do, non-blocking Drain
//	EINTR     the context ended before anything was transferred (FUSE
//	          interrupt; the kernel's -ERESTARTSYS)
//	EIO       a wait timed out: transfers max(10 s, 2 periods), drain
//	          max(100 ms, buffer*1100/rate ms)
//	EINVAL    bad parameters, partial frames, appl_ptr >= boundary
//	ENODEV    Drain woken by Disconnect
//
// Each method's comment lists its own.
package pcm
