// Package timer is vsnd's interrupt source: a high-resolution periodic timer
// on absolute CLOCK_MONOTONIC deadlines, and a fake clock with the same
// interface for deterministic tests.
//
// # Model
//
// A real sound card raises an interrupt every period; sound/drivers/dummy.c
// replaces it with an hrtimer. vsnd replaces it with a Timer from a Source.
// The callback runs on the timer goroutine, which plays the part of
// interrupt context: PCM code may stop the stream from inside it (xrun, end
// of drain), so Stop never blocks. Everything that frees or reconfigures the
// stream first calls SyncStop, which waits until the callback has returned
// (the kernel's snd_pcm_ops.sync_stop, added by "ALSA: pcm: Add the support
// for sync-stop operation", 2019).
//
// # Deadlines
//
// Deadlines are start + k*Frames*1e9/Rate, computed exactly from a period
// counter (Period.Offset), never by adding a rounded interval, so timers do
// not drift against the sample clock.
//
// # Deadlocks
//
// SyncStop called from a callback, or while holding a lock that a callback
// takes (the PCM stream lock), deadlocks. The PCM core calls it only from
// process context with no stream lock held.
package timer
