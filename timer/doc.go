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
// Sources:
//   - HR (NewHR): the real source. One goroutine locked to its OS thread
//     serves every timer of the process from a min-heap ordered by deadline.
//   - Fake (NewFake): time moves only by Advance/Set, which run the due
//     callbacks synchronously, once per period boundary, at their exact
//     deadlines.
//   - ScaledSource (NewScaledSource): any Source with a clock N times faster.
//
// Clocks: Monotonic (CLOCK_MONOTONIC, as HR.Now), Scaled, Fake.
//
// # Timer contract
//
// Both sources share one scheduler core (sched.go), so the contract is
// implemented once:
//   - A timer is armed by Start and disarmed by Stop/SyncStop. Only armed
//     timers sit in the heap; Stop removes the timer under the core lock.
//   - The runner dequeues a due timer and marks it running in the same
//     critical section, then releases the lock and calls the callback. So
//     once Stop has returned, no callback can start: either the runner had
//     already marked it running (it completes, Stop does not wait), or the
//     timer is no longer in the heap. There is no window in which the
//     runner has "picked" a timer it has not yet marked running.
//   - After the callback, the runner re-queues the timer only if it is
//     still armed with the same generation: a Stop (or a restarting Start)
//     from inside the callback wins.
//   - SyncStop disarms and then waits on a condition variable until the
//     timer is not running. Called from the timer's own callback (detected
//     by comparing the caller's OS thread id for HR, goroutine id for Fake,
//     with the runner's) it cannot wait: it stops the timer, logs
//     ErrSyncStopInCallback and returns. The concrete timer's SyncStopErr
//     returns that error instead of logging.
//   - Start while armed restarts the phase; Start after SyncStop works; an
//     invalid period (Frames or Rate outside 1..2^31-1) stops the timer and
//     is logged.
//
// # Deadlines and lateness
//
// The k-th deadline is start + Period.Offset(k) = start + ceil(k*Frames*1e9
// /Rate) ns, computed exactly (128-bit) from k, never by adding a rounded
// interval, so timers do not drift against the sample clock: adding the
// rounded-up 1,333,334 ns each time would be 0.67 s off after 1e9 periods.
// A callback more than a period late (HR; on a Fake only a timer started
// with boundaries already past) runs once with the current time, and the
// schedule skips to the first boundary after that time.
//
// # How HR sleeps, and why (measured)
//
// The thread sleeps in read(2) on a timerfd armed with TFD_TIMER_ABSTIME at
// the earliest deadline. A Start that makes an earlier deadline while the
// thread sleeps re-arms the same timerfd under the core lock: the sleeper
// wakes at the new time, and there is no lost-wakeup window
// (clock_nanosleep would need a signal to the thread, which can arrive
// between the deadline check and the sleep). A Start while the thread is
// awake leaves the timerfd alone: the thread arms it from the heap before
// it sleeps.
// The thread asks for SCHED_FIFO at DefaultFIFOPriority (20) with
// SCHED_FLAG_RESET_ON_FORK; if refused it logs and sets PR_SET_TIMERSLACK
// to 1 ns. It never calls UnlockOSThread: when it exits, the runtime
// destroys the thread, so FIFO cannot leak into Go's thread pool. The hot
// path (heap pop/push, timerfd_settime, read, runtime.nanotime through the
// vDSO) does not allocate (TestHRHotPathAllocationFree).
//
// Lateness = wake time minus the exact deadline of the boundary served.
// BENCHMARKS.md (section timer) tabulates it for every source, idle and
// under load, with the command that measured it (-bench Lateness, 2-core
// shared VM; repeat runs differ 2-5x at p99 and in max). Over two runs,
// idle, HR's p99 (38-136 us) is at or near the VM floor (TIMER-NOTES.md:
// ~75 us) and 8-65x better than a time.Ticker; SCHED_FIFO matters once
// other processes compete (SCHED_OTHER p99 0.15-12 ms). Under "copy" load one
// goroutine per CPU copies 1 MiB buffers: every Go P is busy, and a thread
// waking from a syscall waits for a P until the scheduler preempts a busy
// goroutine (10 ms slices), so every source that gives its P back while
// sleeping is 11-16 ms late at p99, FIFO or not.
//
// HROptions.HoldP sleeps in a raw read(2) that keeps the P, which keeps
// callbacks on time under that load (p99 38-79 us). It is off by default
// because of what it costs the rest of the program, measured with
// -bench 'GCPause|WakeGoroutine':
//   - GC stop-the-world waits for the thread's next wake-up (sleeps are
//     capped at 1 ms for that reason): STW pause p50/p99 1090/2301 us with
//     HoldP, against 77/395 us with the default HR and 79/129 us without HR
//     (repeat: 494/2373, 95/208, 63/618).
//   - Goroutines woken by a callback (a blocked writer) land on the held
//     P's run queue and must be stolen: p50/p99 180/373 us idle against
//     72/217 us by default; under copy load both modes wake them 20-30 ms
//     late, because they too need a P.
//
// So a daemon that must keep clients on time under load should keep a P
// free (bound the goroutines doing bulk work) rather than rely on HoldP; a
// program that only needs the interrupt itself on time (position and xrun
// accounting) can turn HoldP on.
//
// CPU: every wake-up costs two system calls (timerfd_settime, read) and a
// context switch, about 15 us on this VM: 64 streams of 1.333 ms with
// spread phases (48,000 wake-ups/s) take 70-80% of a core. HROptions.Slack
// batches wake-ups like the kernel's range timers: Slack 50 us measured
// 31% CPU at p99 92 us (BENCHMARKS.md, -bench Slack).
//
// Drift (VSND_DRIFT_SECONDS=60 go test -run '^$' -bench Drift -benchtime
// 1x ./timer/): over 60 s, 45,001 boundaries elapsed by CLOCK_MONOTONIC;
// HR served 45,000 of them (44,990 callbacks + 10 skipped as more than a
// period late; the 45,001st was in flight), -14 ppm, i.e. less than the one
// period in flight, no accumulated drift; a time.Ticker delivered 44,909
// ticks, -2,035 ppm. TestFakeNoDriftOneMinute checks the same arithmetic
// exactly: 45,000 callbacks, the last at exactly 60 s.
//
// # Deadlocks and lock order
//
// The core has one mutex, never held while a callback runs, so callbacks may
// Start and Stop any timer. SyncStop called from a callback of the same
// timer returns without waiting (above); called while holding a lock that a
// callback takes (the PCM stream lock) it deadlocks, as in the kernel: the
// PCM core calls it only from process context with no stream lock held.
// HR.Close from a callback returns ErrCloseInCallback without waiting, and
// Fake.Advance/Set from a callback log ErrAdvanceInCallback and do nothing.
package timer
