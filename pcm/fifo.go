package pcm

import (
	"errors"
	"io"
	"math/bits"
	"sync/atomic"
	"time"

	"github.com/smallnest/ringbuffer"

	"github.com/vsnd/vsnd/mmap"
)

// This file connects the DMA buffer to the outside world. The interrupt
// never calls a Sink or Source: for playback it copies the frames hw_ptr
// passed into a bounded FIFO, and a goroutine per configured run (the
// pump) feeds the Sink from it; for capture a pump reads the Source ahead
// into a FIFO and the interrupt copies from it into the buffer. A full
// sink FIFO loses frames (counted as SinkOverflow and logged); an empty
// source FIFO records silence (counted as SourceUnderrun).
//
// A run starts at hw_params (or SetSink/SetSource on a configured stream)
// and ends at hw_free, release, disconnect or the next hw_params; the
// playback pump writes everything left in its FIFO to the sink before
// Sink.Close, so no tail is lost.

// fifoPeriods is the FIFO size in buffers.
const fifoBuffers = 2

// transferLocked moves the delta frames from old on between the buffer and
// the FIFOs: playback frames up to appl_ptr go to the sink FIFO (frames
// beyond appl_ptr, such as the overshoot at the end of a drain, were never
// written and are not delivered); capture frames come from the source FIFO
// or are silence. Precondition: mu held.
func (s *Substream) transferLocked(old, delta uint64) {
	if delta == 0 {
		return
	}
	if s.playback() {
		queued := int64(s.applPtrLocked()) - int64(old)
		if queued < -int64(s.boundary/2) {
			queued += int64(s.boundary)
		} else if queued > int64(s.boundary/2) {
			queued -= int64(s.boundary)
		}
		n := min(int64(delta), queued)
		if n <= 0 || s.sinkPump == nil {
			return
		}
		s.forEachSegment(old, uint64(n), false, func(b []byte) {
			if lost := s.sinkPump.push(b); lost > 0 {
				before := s.sinkOverflow
				s.sinkOverflow += uint64(lost / s.fb)
				if bits.Len64(before) != bits.Len64(s.sinkOverflow) { // log at powers of two
					s.logf("sink FIFO full: %d frames lost so far", s.sinkOverflow)
				}
			}
		})
		return
	}
	// Capture: a delta of more than a buffer overwrote itself; only the
	// last buffer's worth lands.
	if delta > s.bufferSize {
		if s.sourcePump != nil {
			s.sourcePump.skip(int(delta-s.bufferSize) * s.fb)
		}
		old += delta - s.bufferSize
		delta = s.bufferSize
	}
	s.forEachSegment(old, delta, true, func(b []byte) {
		got := 0
		if s.sourcePump != nil {
			got = s.sourcePump.pull(b)
		}
		if got < len(b) {
			s.cfg.Format.Silence(b[got:])
			if s.source != nil {
				s.sourceUnderrun += uint64((len(b) - got) / s.fb)
			}
		}
	})
}

// forEachSegment calls fn with frames [from, from+n) (n <= buffer) of the
// buffer, interleaved, in at most two pieces (the ring wraps). For an
// interleaved buffer fn gets the buffer memory itself; for a
// non-interleaved one (one block of buffer_size samples per channel, the
// layout of noninterleaved_copy) it gets an interleaved scratch copy,
// copied back into the channel blocks afterwards when writeBack is set.
// Precondition: mu held.
func (s *Substream) forEachSegment(from, n uint64, writeBack bool, fn func([]byte)) {
	ofs := from % s.bufferSize
	fb := uint64(s.fb)
	for n > 0 {
		k := min(n, s.bufferSize-ofs)
		if s.cfg.Access.Interleaved() || s.cfg.Channels == 1 {
			fn(s.dma[ofs*fb : (ofs+k)*fb])
		} else {
			if uint64(cap(s.scratch)) < k*fb {
				s.scratch = make([]byte, k*fb)
			}
			tmp := s.scratch[:k*fb]
			s.interleave(tmp, ofs, k, false)
			fn(tmp)
			if writeBack {
				s.interleave(tmp, ofs, k, true)
			}
		}
		n -= k
		ofs = 0
	}
}

// interleave copies frames [ofs, ofs+k) between the channel blocks of a
// non-interleaved buffer and the interleaved tmp; back reverses the
// direction. Precondition: mu held.
func (s *Substream) interleave(tmp []byte, ofs, k uint64, back bool) {
	sb := uint64(s.cfg.Format.Bytes())
	ch := uint64(s.cfg.Channels)
	for c := uint64(0); c < ch; c++ {
		block := s.dma[c*s.bufferSize*sb:]
		for i := uint64(0); i < k; i++ {
			d := tmp[(i*ch+c)*sb : (i*ch+c+1)*sb]
			b := block[(ofs+i)*sb : (ofs+i+1)*sb]
			if back {
				copy(b, d)
			} else {
				copy(d, b)
			}
		}
	}
}

// silenceFramesLocked fills frames [ofs, ofs+n) of the buffer (ofs+n <=
// buffer) with silence, in either layout (fill_silence_frames).
// Precondition: mu held.
func (s *Substream) silenceFramesLocked(ofs, n uint64) {
	if s.cfg.Access.Interleaved() || s.cfg.Channels == 1 {
		s.cfg.Format.Silence(s.dma[ofs*uint64(s.fb) : (ofs+n)*uint64(s.fb)])
		return
	}
	sb := uint64(s.cfg.Format.Bytes())
	for c := uint64(0); c < uint64(s.cfg.Channels); c++ {
		base := c * s.bufferSize * sb
		s.cfg.Format.Silence(s.dma[base+ofs*sb : base+(ofs+n)*sb])
	}
}

// SetSink sets where playback goes; nil discards. On a configured stream
// the current run's sink is drained and closed and the new one takes over
// from the next frames. Calling it on a capture substream does nothing.
func (s *Substream) SetSink(k Sink) {
	if !s.playback() {
		return
	}
	s.mu.Lock()
	old := s.sinkPump
	s.sink, s.sinkPump = k, nil
	if s.hasCfg {
		s.startPumpsLocked()
	}
	s.mu.Unlock()
	old.stop()
}

// SetSource sets where capture comes from; nil records silence. On a
// configured stream the current run's source is closed and the new one is
// read from now on. Calling it on a playback substream does nothing.
func (s *Substream) SetSource(r Source) {
	if s.playback() {
		return
	}
	s.mu.Lock()
	old := s.sourcePump
	s.source, s.sourcePump = r, nil
	if s.hasCfg {
		s.startPumpsLocked()
	}
	s.mu.Unlock()
	old.stop()
}

// startPumpsLocked starts the run's pump if a sink/source is set and none
// runs. Precondition: mu held, hasCfg.
func (s *Substream) startPumpsLocked() {
	size := max(fifoBuffers*s.cfg.BufferBytes(), 4*s.cfg.PeriodBytes())
	if s.sink != nil && s.sinkPump == nil {
		p := &sinkPump{s: s, sink: s.sink, cfg: s.cfg, fb: s.cfg.FrameBytes(),
			fifo: ringbuffer.New(size), quit: make(chan struct{}), done: make(chan struct{})}
		s.sinkPump = p
		pumpsRunning.Add(1)
		go p.run()
	}
	if s.source != nil && s.sourcePump == nil {
		p := &sourcePump{s: s, src: s.source, cfg: s.cfg, fb: s.cfg.FrameBytes(),
			fifo: ringbuffer.New(size), quit: make(chan struct{}), done: make(chan struct{}),
			space: make(chan struct{}, 1), opened: make(chan struct{})}
		s.sourcePump = p
		pumpsRunning.Add(1)
		go p.run()
	}
}

// stopPumps ends the current run: the sink pump writes what is left in
// its FIFO and closes the sink; the source is closed (waking a Read that
// blocks for data). It waits for both pumps. Precondition: mu not held (it waits for Sink/Source
// calls).
func (s *Substream) stopPumps() {
	s.mu.Lock()
	sp, cp := s.sinkPump, s.sourcePump
	s.sinkPump, s.sourcePump = nil, nil
	s.mu.Unlock()
	sp.stop()
	cp.stop()
}

// pumpsRunning counts live pump goroutines (for leak tests).
var pumpsRunning atomic.Int64

// sinkPump feeds one run of a Sink from a FIFO.
type sinkPump struct {
	s    *Substream             // immutable: for logs
	sink Sink                   // immutable
	cfg  Config                 // immutable
	fb   int                    // immutable: frame bytes
	fifo *ringbuffer.RingBuffer // internally locked; written under the stream lock only
	quit chan struct{}          // closed by stop: drain and exit
	done chan struct{}          // closed when run returned
}

// push queues whole frames of b without blocking and returns the bytes
// that did not fit. Precondition: the stream lock held (single writer).
func (p *sinkPump) push(b []byte) (lost int) {
	free := p.fifo.Free() / p.fb * p.fb
	n := min(free, len(b))
	if n > 0 {
		p.fifo.Write(b[:n])
	}
	return len(b) - n
}

func (p *sinkPump) stop() {
	if p == nil {
		return
	}
	close(p.quit)
	<-p.done
}

func (p *sinkPump) run() {
	defer close(p.done)
	defer pumpsRunning.Add(-1) // before done: stop returns with the count right
	buf := make([]byte, max(p.cfg.PeriodBytes(), p.fb))
	opened, failed := false, false
	for {
		n := min(p.fifo.Length(), len(buf))
		if n == 0 {
			select {
			case <-p.fifo.Notify():
				continue
			case <-p.quit:
			}
			if p.fifo.Length() > 0 {
				continue // drain the tail before closing
			}
			break
		}
		n, _ = p.fifo.Read(buf[:n])
		if !opened {
			opened = true
			if err := p.sink.Open(p.cfg); err != nil {
				p.s.logf("sink open: %v (discarding this run)", err)
				failed = true
			}
		}
		if failed {
			continue
		}
		for b := buf[:n]; len(b) > 0; {
			w, err := p.sink.Write(b)
			if err != nil || w <= 0 {
				p.s.logf("sink write: %v (discarding the rest of this run)", err)
				failed = true
				break
			}
			b = b[w:]
		}
	}
	if opened && !failed {
		if err := p.sink.Close(); err != nil {
			p.s.logf("sink close: %v", err)
		}
	} else if opened {
		p.sink.Close()
	}
}

// sourcePump reads one run of a Source ahead into a FIFO.
type sourcePump struct {
	s     *Substream             // immutable: for logs
	src   Source                 // immutable
	cfg   Config                 // immutable
	fb    int                    // immutable: frame bytes
	fifo  *ringbuffer.RingBuffer // internally locked; read under the stream lock only
	quit  chan struct{}          // closed by stop
	done  chan struct{}          // closed when run returned
	space chan struct{}          // signalled (non-blocking) after pull made room
	eof   atomic.Bool            // the source said io.EOF
	// opened is closed when Open returned; openOK (written before) says
	// whether it succeeded, so stop knows whether to Close.
	opened chan struct{}
	openOK bool
}

// pull fills b (whole frames) from the FIFO and returns the bytes it got.
// Precondition: the stream lock held (single reader).
func (p *sourcePump) pull(b []byte) int {
	n := min(p.fifo.Length()/p.fb*p.fb, len(b))
	if n > 0 {
		n, _ = p.fifo.Read(b[:n])
	}
	select {
	case p.space <- struct{}{}:
	default:
	}
	return n
}

// skip drops up to n bytes (whole frames) of the FIFO. Precondition: the
// stream lock held.
func (p *sourcePump) skip(n int) {
	var tmp [4096]byte
	for n > 0 {
		k := min(n, len(tmp)/p.fb*p.fb, p.fifo.Length()/p.fb*p.fb)
		if k <= 0 {
			return
		}
		p.fifo.Read(tmp[:k])
		n -= k
	}
}

// buffered returns the bytes waiting in the FIFO.
func (p *sourcePump) buffered() int { return p.fifo.Length() }

// stop ends the run. Close comes from here, not from the pump: a Source
// whose Read blocks until data arrives (a loopback with nothing playing)
// is woken by Close (pcm/endpoint's contract), then the pump exits.
func (p *sourcePump) stop() {
	if p == nil {
		return
	}
	close(p.quit)
	<-p.opened
	if p.openOK {
		if err := p.src.Close(); err != nil {
			p.s.logf("source close: %v", err)
		}
	}
	<-p.done
}

func (p *sourcePump) run() {
	defer close(p.done)
	defer pumpsRunning.Add(-1) // before done: stop returns with the count right
	err := p.src.Open(p.cfg)
	p.openOK = err == nil
	close(p.opened)
	if err != nil {
		p.s.logf("source open: %v (recording silence)", err)
		return
	}
	chunk := max(p.cfg.PeriodBytes(), p.fb)
	buf := make([]byte, chunk)
	carry := 0 // bytes of an incomplete frame at buf[:carry]
	zeros := 0
	for {
		for p.fifo.Free() < chunk {
			select {
			case <-p.space:
			case <-p.quit:
				return
			}
		}
		select {
		case <-p.quit:
			return
		default:
		}
		n, err := p.src.Read(buf[carry:])
		select {
		case <-p.quit:
			return // closed under our feet: what Read returned is moot
		default:
		}
		if n > 0 {
			zeros = 0
			whole := (carry + n) / p.fb * p.fb
			p.fifo.Write(buf[:whole])
			carry = copy(buf, buf[whole:carry+n])
		}
		if errors.Is(err, io.EOF) {
			p.eof.Store(true)
			<-p.quit
			return
		}
		if err != nil {
			p.s.logf("source read: %v (recording silence)", err)
			<-p.quit
			return
		}
		if n == 0 {
			// A Source must block rather than return 0, nil; back off
			// instead of spinning on one that does not.
			zeros++
			select {
			case <-p.quit:
				return
			case <-time.After(time.Duration(min(zeros, 10)) * time.Millisecond):
			}
		}
	}
}

// timespecOf converts a clock reading for the status page.
func timespecOf(d time.Duration) mmap.Timespec {
	return mmap.Timespec{Sec: int64(d / time.Second), Nsec: int64(d % time.Second)}
}
