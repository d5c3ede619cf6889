package fusefs

import (
	"context"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vsnd/vsnd/fusefs/alsa"
	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// The poll a FUSE file cannot block in.
//
// go-fuse v2.12.1 answers FUSE_POLL with ENOSYS, after which the kernel
// reports every file of the mount always ready (DEFAULT_POLLMASK). A
// poll-driven ALSA client (aplay -M, aplay -N, arecord -M/-N, PortAudio,
// GStreamer) therefore never sleeps in poll(2): it loops on poll and
// HWSYNC (or SYNC_PTR with the HWSYNC flag, or non-blocking transfers
// that move a few frames or none) as fast as FUSE round trips go, burning a core in the
// client and half of one in the daemon, where the kernel would have put
// it to sleep in snd_pcm_poll until avail_min frames were there.
//
// spinGuard gives that sleep back where it can be seen: when a file
// issues such requests back to back (spinStreak of them, each within
// spinGap of the previous one) while its stream is RUNNING and not ready
// in snd_pcm_poll's sense (pcm.Substream.Poll: avail < avail_min), the
// next one waits first until the stream is ready (the core's wake-up at
// the period "interrupt", as runtime->sleep), the state changes, the
// client is interrupted (FUSE INTERRUPT) or spinCap passes. Then it is
// answered as usual, with the position of that moment. No answer changes
// meaning (HWSYNC still syncs, a transfer moves what fits or says
// EAGAIN); only its timing does,
// which a spinning client cannot tell from being preempted. A client
// that asks for the position now and then (a timer-driven one, a
// snd_pcm_delay for A/V sync) never makes a streak and is answered at
// once.
type spinGuard struct {
	mu     sync.Mutex
	last   time.Time // guarded by mu: when the previous request of the kind was answered
	streak int       // guarded by mu: back-to-back requests so far

	face  *alsaFace    // immutable: where waits are counted too, or nil
	waits atomic.Int64 // requests of this file that waited
}

const (
	// spinGap: requests closer than this are back to back. A spinning
	// client's round trip is 10-100 us (more on a loaded machine); a
	// timer-driven one sleeps several ms between wake-ups.
	spinGap = time.Millisecond
	// spinStreak back-to-back requests make a spin.
	spinStreak = 8
	// spinCap bounds a wait (the stream may never get ready: a client
	// that stopped consuming, a start threshold never reached).
	spinCap = 50 * time.Millisecond
)

// spinSync reports the requests a poll-spinning client repeats: HWSYNC,
// SYNC_PTR asking for a hwsync.
func spinSync(cmd uint32, in []byte) bool {
	switch asound.Ioctl(cmd) {
	case asound.PCMIoctlHWSync:
		return true
	case asound.PCMIoctlSyncPtr:
		return len(in) >= 4 && binary.LittleEndian.Uint32(in)&asound.SyncPtrHWSync != 0
	}
	return false
}

// spinXfer reports a transfer request: a non-blocking client retries a
// short or EAGAIN transfer at once (the hardware position moves on every
// query, so it rarely even sees EAGAIN).
func spinXfer(cmd uint32) bool {
	switch asound.Ioctl(cmd) {
	case asound.PCMIoctlWriteIFrames, asound.PCMIoctlReadIFrames,
		asound.PCMIoctlWriteNFrames, asound.PCMIoctlReadNFrames:
		return true
	}
	return false
}

// before is called before a sync or transfer request: if the file spins
// it waits first. Blocking transfers are left alone (they wait in the
// core). Call done when the request has been answered.
func (g *spinGuard) before(ctx context.Context, f *alsa.PCMFile, xfer bool, c alsa.Caller) {
	if g.spinning() && (!xfer || c.Nonblock()) {
		g.wait(ctx, f)
	}
}

// spinning counts the request into the streak and reports whether it
// makes one.
func (g *spinGuard) spinning() bool { return g.spinningAt(time.Now()) }

func (g *spinGuard) spinningAt(now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.last.IsZero() && now.Sub(g.last) < spinGap {
		g.streak++
	} else {
		g.streak = 0
	}
	return g.streak >= spinStreak
}

// done records when a request of the streak was answered.
func (g *spinGuard) done() { g.doneAt(time.Now()) }

func (g *spinGuard) doneAt(now time.Time) {
	g.mu.Lock()
	g.last = now
	g.mu.Unlock()
}

// wait is the sleep snd_pcm_poll would have given: until the RUNNING
// stream has avail_min frames (or any other state), ctx ends, or spinCap.
func (g *spinGuard) wait(ctx context.Context, f *alsa.PCMFile) {
	sub := f.Substream()
	if sub.State() != pcm.StateRunning {
		return
	}
	ready, errored, wake := f.Poll()
	if ready || errored {
		return
	}
	if g.waits.Add(1) == 1 && g.face != nil {
		g.face.srv.log.Debug("alsa: a client polls in a loop (FUSE poll is always ready): "+
			"answering it at the stream's pace", "substream", sub.Name())
	}
	if g.face != nil {
		g.face.spinWaits.Add(1)
	}
	t := time.NewTimer(spinCap)
	defer t.Stop()
	for {
		select {
		case <-wake:
		case <-t.C:
			return
		case <-ctx.Done():
			return
		}
		if sub.State() != pcm.StateRunning {
			return
		}
		if ready, errored, wake = f.Poll(); ready || errored {
			return
		}
	}
}
