package mixer

import "github.com/vsnd/vsnd/pcm"

// GainSink returns a sink that applies m's playback gain to what it
// passes to sink. The gain is read (one atomic load) at every Write, so a
// change takes effect at the next Write, without smoothing (a step in the
// middle of a sound can click; snd-dummy has no gain at all and real
// codecs ramp in hardware). At exactly unity the caller's bytes are
// passed on untouched, without a copy; when every channel is muted the
// sink receives the format's silence; otherwise a scaled copy (the
// caller's buffer is never modified). A nil m returns sink itself.
//
// Like any pcm.Sink, the result is driven by one goroutine at a time.
func GainSink(sink pcm.Sink, m *Mixer) pcm.Sink {
	if m == nil {
		return sink
	}
	return &gainSink{sink: sink, m: m}
}

// GainSource returns a source whose reads are scaled by m's capture gain,
// in place in the caller's buffer, under the rules of GainSink.
func GainSource(src pcm.Source, m *Mixer) pcm.Source {
	if m == nil {
		return src
	}
	return &gainSource{src: src, m: m}
}

// streamGain expands a published gainSet to a stream's channels. Owned by
// the one goroutine driving the endpoint.
type streamGain struct {
	format   pcm.Format
	channels int
	set      *gainSet  // the gainSet ch was built from
	ch       []float64 // factor per stream channel
}

func (s *streamGain) open(c pcm.Config) {
	s.format, s.channels, s.set = c.Format, c.Channels, nil
	s.ch = make([]float64, max(c.Channels, 0))
}

// factors returns the per-channel gains for g, rebuilding them only when
// g is a new publication.
func (s *streamGain) factors(g *gainSet) []float64 {
	if s.set != g {
		for c := range s.ch {
			s.ch[c] = g.ch[c%len(g.ch)]
		}
		s.set = g
	}
	return s.ch
}

// passThrough reports whether bytes must go untouched: unity gain, or a
// stream the mixer cannot interpret (not opened, unknown format).
func (s *streamGain) passThrough(g *gainSet) bool {
	return g.unity || s.channels <= 0 || !s.format.Known()
}

type gainSink struct {
	sink    pcm.Sink
	m       *Mixer
	g       streamGain // owned by the goroutine driving the sink
	scratch []byte     // owned by the goroutine driving the sink
}

var _ pcm.Sink = (*gainSink)(nil)

// Open implements pcm.Sink.
func (s *gainSink) Open(c pcm.Config) error {
	s.g.open(c)
	return s.sink.Open(c)
}

// Write implements pcm.Sink.
func (s *gainSink) Write(p []byte) (int, error) {
	g := s.m.pgain.Load()
	if s.g.passThrough(g) {
		return s.sink.Write(p)
	}
	if cap(s.scratch) < len(p) {
		s.scratch = make([]byte, len(p))
	}
	b := s.scratch[:len(p)]
	if g.silent {
		s.g.format.Silence(b)
	} else {
		copy(b, p)
		Scale(s.g.format, b, s.g.factors(g))
	}
	return s.sink.Write(b)
}

// Close implements pcm.Sink.
func (s *gainSink) Close() error { return s.sink.Close() }

type gainSource struct {
	src pcm.Source
	m   *Mixer
	g   streamGain // owned by the goroutine driving the source
}

var _ pcm.Source = (*gainSource)(nil)

// Open implements pcm.Source.
func (s *gainSource) Open(c pcm.Config) error {
	s.g.open(c)
	return s.src.Open(c)
}

// Read implements pcm.Source.
func (s *gainSource) Read(p []byte) (int, error) {
	n, err := s.src.Read(p)
	if n <= 0 || n > len(p) {
		return n, err
	}
	g := s.m.cgain.Load()
	if s.g.passThrough(g) {
		return n, err
	}
	if g.silent {
		s.g.format.Silence(p[:n])
	} else {
		Scale(s.g.format, p[:n], s.g.factors(g))
	}
	return n, err
}

// Close implements pcm.Source.
func (s *gainSource) Close() error { return s.src.Close() }
