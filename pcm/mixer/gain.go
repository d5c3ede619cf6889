package mixer

import "slices"

// gainSet is a published gain: immutable once stored in Mixer.pgain or
// Mixer.cgain, so the data path reads it with one atomic load.
type gainSet struct {
	ch     []float64 // amplitude factor per mixer channel (stream channel c uses ch[c%len])
	unity  bool      // every factor exactly 1: bytes pass untouched
	silent bool      // every factor 0: the whole buffer is silence
}

// compute is the gain of a path now: per channel, the sum of the volumes'
// centi-dB (their DB_SCALE applied to value[c % count]) converted to a
// factor, 0 when a volume sits on a muting minimum or a switch is off.
// Precondition: m.mu held.
func (g *gainStages) compute() *gainSet {
	n := 1
	for _, e := range g.volumes {
		n = max(n, e.c.Count)
	}
	for _, e := range g.switches {
		n = max(n, e.c.Count)
	}
	s := &gainSet{ch: make([]float64, n), unity: true, silent: true}
	for c := range n {
		var cdb int64
		muted := false
		for i, e := range g.volumes {
			d, mute := g.scales[i].CentiDB(e.value[c%e.c.Count], e.c.Min)
			cdb += d
			muted = muted || mute
		}
		for _, e := range g.switches {
			muted = muted || e.value[c%e.c.Count] == 0
		}
		if !muted {
			s.ch[c] = Linear(cdb)
		}
		s.unity = s.unity && !muted && cdb == 0
		s.silent = s.silent && muted
	}
	return s
}

// publishLocked recomputes both gains after a value changed.
// Precondition: m.mu held.
func (m *Mixer) publishLocked() {
	m.pgain.Store(m.playback.compute())
	m.cgain.Store(m.capture.compute())
}

// PlaybackGain returns the amplitude factor per mixer channel of what
// reaches a sink (left, right for the default mixer): 1 at 0 dB, 0 when
// muted. A stream's channel c uses entry c % len.
func (m *Mixer) PlaybackGain() []float64 { return slices.Clone(m.pgain.Load().ch) }

// CaptureGain is PlaybackGain for what comes from a source.
func (m *Mixer) CaptureGain() []float64 { return slices.Clone(m.cgain.Load().ch) }
