package endpoint

import "time"

// This file is the loop source's pre-roll (the model is on loopPipe).
// snd-aloop needs none: its capture copies from the playback's buffer on
// the playback's own timer (loopback_pos_update in sound/drivers/aloop.c),
// so the two ends never race. vsnd's ends run on independent timers and
// meet in a pipe, so the capture keeps a margin of played frames ahead.

// retuneLocked recomputes the pre-roll (in writer bytes: what must be
// queued before a starting flow is handed over) and the idle time (a
// writer silent that long has ended its flow: a hold releases what it has,
// and the next frames into an empty pipe start a new flow) after either
// end's configuration changed. The pre-roll is one capture period plus
// the hub's margin, converted to the writer's rate, at most half the ring;
// the idle time is a capture period, the margin and two writer periods,
// longer than a capture FIFO fed by the flow can last, so a late period
// on a loaded machine does not restart the flow. Both are 0 without a
// pre-roll (negative margin) or until both ends are configured.
// Precondition: p.mu held.
func (p *loopPipe) retuneLocked() {
	p.preroll, p.idle = 0, 0
	m := p.hub.margin
	w, r := p.wcfg, p.rcfg
	if m < 0 || p.gen == 0 || r.Rate <= 0 {
		return
	}
	wfb := w.FrameBytes()
	frames := ceilDiv(int64(r.PeriodSize)*int64(w.Rate), int64(r.Rate)) +
		ceilDiv(int64(m)*int64(w.Rate), int64(time.Second))
	frames = min(frames, int64(len(p.ring)/wfb/2))
	p.preroll = int(max(frames, 1)) * wfb
	p.idle = framesTime(r.PeriodSize, r.Rate) + m + 2*framesTime(w.PeriodSize, w.Rate)
}

// readyLocked reports whether queued frames may go to the source now: there
// are some and no flow is starting, or the starting flow's pre-roll is
// queued, its sink's run has ended, or its writer has gone idle.
// Precondition: p.mu held, a reader open.
func (p *loopPipe) readyLocked() bool {
	if p.n == 0 {
		return false
	}
	if !p.hold || p.writers == 0 {
		return true
	}
	return p.n >= p.preroll || p.hub.clock.Now()-p.lastWrite >= p.idle
}

// awaitLocked waits until queued frames may go to the source of session
// (ending a hold) and reports true, or returns false once the source is
// closed or reopened. While a hold keeps frames back it wakes itself when
// the writer may have gone idle (on the wall clock: the hub's clock may be
// a fake that only a test moves; a spurious wake just waits again).
// Precondition: s.p.mu held; it is released while waiting.
func (s *loopSource) awaitLocked(session uint64) bool {
	p := s.p
	var wake *time.Timer
	for {
		if s.closed || s.session != session {
			stopTimer(wake)
			return false
		}
		if p.readyLocked() {
			p.hold = false
			stopTimer(wake)
			return true
		}
		if p.n > 0 { // held back: look again when the writer may be idle
			d := min(max(p.lastWrite+p.idle-p.hub.clock.Now(), time.Millisecond), p.idle+time.Millisecond)
			if wake == nil {
				wake = time.AfterFunc(d, p.broadcast)
			} else {
				wake.Reset(d)
			}
		}
		p.waiting++
		p.cond.Wait()
		p.waiting--
	}
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// broadcast wakes every Read waiting on p. Precondition: p.mu not held.
func (p *loopPipe) broadcast() {
	p.mu.Lock()
	p.cond.Broadcast()
	p.mu.Unlock()
}

// framesTime is the duration of n frames at rate, rounded down.
func framesTime(n, rate int) time.Duration {
	if rate <= 0 || n <= 0 {
		return 0
	}
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }
