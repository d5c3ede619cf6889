package endpoint

import (
	"io"
	"sync"
	"syscall"
	"time"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// LoopHub pairs loop sinks with loop sources, as snd-aloop pairs its
// substreams (sound/drivers/aloop.c): what card N device D playback
// substream S plays, card N device 1-D capture substream S records, for D
// in {0, 1}. One hub serves a whole daemon.
//
// Lock order: LoopHub.mu, then loopPipe.mu.
type LoopHub struct {
	capacity time.Duration // immutable: audio a pipe holds
	margin   time.Duration // immutable: pre-roll beyond one capture period; < 0: none
	clock    timer.Clock   // immutable: measures the gaps between a sink's writes

	mu    sync.Mutex
	pipes map[loopKey]*loopPipe // guarded by mu; created on first use, never removed
}

// DefaultLoopCapacity is how much audio a loop pipe buffers.
const DefaultLoopCapacity = time.Second

// MaxLoopBytes caps a pipe's ring (32 channels of FLOAT64 at 192 kHz would
// take 49 MB a second); two of the writer's buffers always fit.
const MaxLoopBytes = 16 << 20

// DefaultLoopMargin is the jitter a loop source absorbs by default: the
// pre-roll it holds back when a flow starts is one capture period plus
// this (see LoopOptions.Margin).
const DefaultLoopMargin = 30 * time.Millisecond

// LoopOptions configures a LoopHub. Zero fields take the defaults.
type LoopOptions struct {
	// Capacity is how much of the writer's audio a pipe buffers
	// (DefaultLoopCapacity; at least two of the writer's buffers and at
	// most MaxLoopBytes).
	Capacity time.Duration
	// Margin is how late, beyond its nominal time, a played period may
	// reach the capture without leaving a gap: when frames start to flow
	// to a source, they are held back until one capture period plus Margin
	// of them is queued (DefaultLoopMargin). Negative: no pre-roll, frames
	// are handed over as they arrive.
	Margin time.Duration
	// Clock measures the gaps between a sink's writes that end a flow
	// (timer.Monotonic). Give the PCM core's clock when it is not the
	// monotonic clock, as tests on timer.Fake do.
	Clock timer.Clock
}

// NewLoopHub returns a hub with the default LoopOptions.
func NewLoopHub() *LoopHub { return NewLoopHubOptions(LoopOptions{}) }

// NewLoopHubCapacity is NewLoopHub with another pipe capacity.
func NewLoopHubCapacity(d time.Duration) *LoopHub {
	return NewLoopHubOptions(LoopOptions{Capacity: d})
}

// NewLoopHubOptions returns a hub configured by o.
func NewLoopHubOptions(o LoopOptions) *LoopHub {
	h := &LoopHub{capacity: o.Capacity, margin: o.Margin, clock: o.Clock, pipes: make(map[loopKey]*loopPipe)}
	if h.capacity <= 0 {
		h.capacity = DefaultLoopCapacity
	}
	if h.margin == 0 {
		h.margin = DefaultLoopMargin
	}
	if h.clock == nil {
		h.clock = timer.Monotonic{}
	}
	return h
}

// loopKey names a pipe by its playback end.
type loopKey struct{ card, dev, sub int }

// LoopStats counts a pipe's traffic.
type LoopStats struct {
	Written  uint64 // frames the sink accepted while a source was open
	Unheard  uint64 // frames played while no source was open (discarded)
	Overflow uint64 // frames discarded, oldest first, because the source fell behind by more than the capacity
}

// Stats returns the counters of the pipe fed by card's playback device
// playDev, substream sub (what `vsnd status` shows), and false if no loop
// endpoint of that pair was ever made.
func (h *LoopHub) Stats(card, playDev, sub int) (LoopStats, bool) {
	h.mu.Lock()
	p := h.pipes[loopKey{card, playDev, sub}]
	h.mu.Unlock()
	if p == nil {
		return LoopStats{}, false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats, true
}

// loopPipe carries one playback substream's frames to its capture peer in
// a bounded ring, in the writer's format.
//
// Pre-roll. The playback and the capture run on independent period
// timers, and a played period reaches the capture's FIFO a little after
// the playback's interrupt (the sink pump, then the source pump, must run).
// Handed over as it arrives, a flow that starts with the capture's
// interrupt just after the playback's leaves the capture FIFO empty at the
// next interrupt whenever a period arrives a moment late: the core records
// silence in the middle of the flow and shifts the rest. So when frames
// start to flow (a source opens, or the sink writes into an empty pipe
// after a gap that has drained the capture), the source holds them back
// (hold) until one capture period plus the hub's margin is queued, then
// hands everything over as it comes: the capture FIFO stays that far ahead,
// and a period may arrive up to the margin late without a gap, whatever
// the two streams' phases. The latency is about that pre-roll, rounded up
// to the writer's periods. A hold also ends when the sink's run ends (its
// tail is drained) or when the writer has been silent for the idle time
// (retuneLocked), so a short sound is not kept back.
type loopPipe struct {
	hub *LoopHub // immutable

	mu   sync.Mutex
	cond sync.Cond // on mu; broadcast when data arrives, a sink closes or a source closes

	wcfg    pcm.Config // guarded by mu; the writer's configuration (valid if gen > 0)
	gen     uint64     // guarded by mu; bumped when the ring's format changes
	ring    []byte     // guarded by mu; capacity in whole writer frames
	head    int        // guarded by mu; first queued byte
	n       int        // guarded by mu; queued bytes
	readers int        // guarded by mu; open sources
	stats   LoopStats  // guarded by mu

	rcfg      pcm.Config    // guarded by mu; the reader's configuration (valid if readers > 0)
	writers   int           // guarded by mu; open sink runs (two while SetSink swaps sinks)
	lastWrite time.Duration // guarded by mu; hub clock time of the last Write
	hold      bool          // guarded by mu; a flow is starting: queued frames wait for the pre-roll
	preroll   int           // guarded by mu; writer bytes a starting flow waits for (retuneLocked)
	idle      time.Duration // guarded by mu; writer silence that ends a flow (retuneLocked)
	waiting   int           // guarded by mu; Reads parked in cond.Wait (tests wait for the reader to settle)
}

func (h *LoopHub) pipe(k loopKey) *loopPipe {
	h.mu.Lock()
	defer h.mu.Unlock()
	p := h.pipes[k]
	if p == nil {
		p = &loopPipe{hub: h}
		p.cond.L = &p.mu
		h.pipes[k] = p
	}
	return p
}

func loopDevice(id StreamID, want pcm.Stream, what string) error {
	if id.Stream != want {
		return pcm.Errorf(syscall.EINVAL, "%s loop for %v: wrong direction", what, id)
	}
	if id.Device != 0 && id.Device != 1 {
		return pcm.Errorf(syscall.EINVAL, "%s loop for %v: only devices 0 and 1 are looped (device 0 playback feeds device 1 capture and back)", what, id)
	}
	return nil
}

func (h *LoopHub) newSink(id StreamID) (pcm.Sink, error) {
	if err := loopDevice(id, pcm.Playback, "sink"); err != nil {
		return nil, err
	}
	return &LoopSink{hub: h, p: h.pipe(loopKey{id.Card, id.Device, id.Sub}), id: id}, nil
}

func (h *LoopHub) newSource(id StreamID) (pcm.Source, error) {
	if err := loopDevice(id, pcm.Capture, "source"); err != nil {
		return nil, err
	}
	return &loopSource{hub: h, p: h.pipe(loopKey{id.Card, 1 - id.Device, id.Sub}), id: id}, nil
}

// LoopSink is the playback end of a loop pipe ("loop" as a sink).
type LoopSink struct {
	hub *LoopHub  // immutable
	p   *loopPipe // immutable
	id  StreamID  // immutable
	fb  int       // guarded by p.mu; bytes per frame of the current run, 0 between runs
}

var _ pcm.Sink = (*LoopSink)(nil)

// Open implements pcm.Sink.Open. A run in a different format, channel
// count or rate than the frames still queued discards them.
func (s *LoopSink) Open(c pcm.Config) error {
	if !c.Format.Known() || c.Channels < 1 || c.Channels > MaxChannels || c.Rate <= 0 {
		return pcm.Errorf(syscall.EINVAL, "sink loop: bad configuration %v x %d at %d Hz", c.Format, c.Channels, c.Rate)
	}
	fb := c.FrameBytes()
	frames := int(int64(c.Rate) * int64(s.hub.capacity) / int64(time.Second))
	frames = max(min(frames, MaxLoopBytes/fb), 2*c.BufferSize, 1)
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen == 0 || p.wcfg.Format != c.Format || p.wcfg.Channels != c.Channels || p.wcfg.Rate != c.Rate || len(p.ring) != frames*fb {
		p.wcfg = c
		p.gen++
		p.ring = make([]byte, frames*fb)
		p.head, p.n = 0, 0
	}
	if s.fb == 0 {
		p.writers++
	}
	s.fb = fb
	p.retuneLocked()
	return nil
}

// Write implements pcm.Sink.Write. It never blocks: with no source open the
// frames are discarded (snd-aloop's capture only hears what plays while it
// runs); if the source has fallen a whole capacity behind, the oldest
// frames are overwritten.
func (s *LoopSink) Write(b []byte) (int, error) {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.fb == 0 {
		return 0, pcm.Errorf(syscall.EBADF, "sink loop: write outside a run")
	}
	total := len(b)
	b = b[:len(b)/s.fb*s.fb]
	frames := uint64(len(b) / s.fb)
	if p.readers == 0 {
		p.stats.Unheard += frames
		return total, nil
	}
	if len(b) == 0 {
		return total, nil
	}
	now := s.hub.clock.Now()
	if p.n == 0 && !p.hold && p.idle > 0 && now-p.lastWrite >= p.idle {
		p.hold = true // a new flow: the capture has drained the last one
	}
	p.lastWrite = now
	p.stats.Written += frames
	if len(b) > len(p.ring) { // more than the ring holds: keep the newest
		p.stats.Overflow += uint64((len(b) - len(p.ring)) / s.fb)
		b = b[len(b)-len(p.ring):]
	}
	if over := p.n + len(b) - len(p.ring); over > 0 {
		p.stats.Overflow += uint64(over / s.fb)
		p.head = (p.head + over) % len(p.ring)
		p.n -= over
	}
	tail := (p.head + p.n) % len(p.ring)
	k := copy(p.ring[tail:], b)
	copy(p.ring, b[k:])
	p.n += len(b)
	p.cond.Broadcast()
	return total, nil
}

// Close implements pcm.Sink.Close. Queued frames stay for the source, which
// gets them without waiting for a pre-roll.
func (s *LoopSink) Close() error {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.fb != 0 {
		s.p.writers--
		s.p.cond.Broadcast()
	}
	s.fb = 0
	return nil
}

// Stats returns the pipe's counters.
func (s *LoopSink) Stats() LoopStats {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	return s.p.stats
}

// loopSource is the capture end of a loop pipe ("loop" as a source).
type loopSource struct {
	hub *LoopHub  // immutable
	p   *loopPipe // immutable
	id  StreamID  // immutable

	// Guarded by p.mu: Open and Close may run while Read is blocked.
	on      bool
	closed  bool
	c       pcm.Config
	session uint64 // bumped by Open

	// Used only by the goroutine calling Read.
	rsession uint64 // session chain was built in
	gen      uint64 // pipe generation chain was built for
	chain    *chain
	buf      []byte
}

var _ pcm.Source = (*loopSource)(nil)

// Open implements pcm.Source.Open. Frames queued before it are stale and
// discarded.
func (s *loopSource) Open(c pcm.Config) error {
	if err := checkConfig("loop", c); err != nil {
		return err
	}
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if !s.on {
		p.readers++
	}
	s.on, s.closed, s.c = true, false, c
	s.session++
	p.head, p.n = 0, 0
	p.rcfg = c
	p.retuneLocked()
	p.hold = s.hub.margin >= 0
	return nil
}

// Read implements pcm.Source.Read: it blocks until the paired playback
// stream has played at least one frame and, when a flow starts, until the
// pre-roll is queued (see loopPipe), or until Close, after which it
// returns io.EOF. Frames arrive bit-exact when both ends use the same
// format, channels and rate, else converted (and linearly resampled).
func (s *loopSource) Read(b []byte) (int, error) {
	p := s.p
	p.mu.Lock()
	if !s.on {
		p.mu.Unlock()
		return 0, io.EOF
	}
	c, session := s.c, s.session
	p.mu.Unlock()
	if session != s.rsession {
		s.rsession, s.gen, s.chain = session, 0, nil
	}
	ob := c.FrameBytes()
	if len(b) < ob {
		return 0, nil
	}
	for {
		if s.chain != nil && s.chain.buffered() >= ob {
			return s.chain.pull(b), nil
		}
		p.mu.Lock()
		if !s.awaitLocked(session) {
			p.mu.Unlock()
			return 0, io.EOF
		}
		if s.gen != p.gen {
			w := p.wcfg
			ch, err := newChain(w.Format, w.Channels, w.Rate, c.Format, c.Channels, c.Rate)
			if err != nil {
				p.mu.Unlock()
				return 0, err
			}
			s.chain, s.gen = ch, p.gen
		}
		ib := s.chain.inFrame
		if s.chain.identity() {
			n := p.take(b[:min(len(b)/ib*ib, p.n)])
			p.mu.Unlock()
			return n, nil
		}
		want := s.chain.inFramesFor(len(b) / ob)
		s.buf = grow(s.buf, min(want*ib, p.n))
		n := p.take(s.buf)
		p.mu.Unlock()
		s.chain.push(s.buf[:n])
	}
}

// take moves len(dst) queued bytes into dst.
// Precondition: p.mu must be held and len(dst) <= p.n.
func (p *loopPipe) take(dst []byte) int {
	k := copy(dst, p.ring[p.head:min(p.head+len(dst), len(p.ring))])
	copy(dst[k:], p.ring)
	p.head = (p.head + len(dst)) % len(p.ring)
	p.n -= len(dst)
	return len(dst)
}

// Close implements pcm.Source.Close: it wakes a blocked Read, which returns
// io.EOF. Close is idempotent.
func (s *loopSource) Close() error {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.on {
		p.readers--
	}
	s.on, s.closed = false, true
	p.head, p.n = 0, 0
	p.cond.Broadcast()
	return nil
}
