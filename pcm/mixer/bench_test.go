package mixer

import (
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// discardSink accepts everything, as cheaply as possible.
type discardSink struct{ n int }

func (s *discardSink) Open(pcm.Config) error       { return nil }
func (s *discardSink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }
func (s *discardSink) Close() error                { return nil }

// copySink is the baseline: what a sink that copies the period (as the
// gain path must) costs, without the multiply.
type copySink struct {
	next    pcm.Sink
	scratch []byte
}

func (s *copySink) Open(c pcm.Config) error { return s.next.Open(c) }
func (s *copySink) Write(p []byte) (int, error) {
	if cap(s.scratch) < len(p) {
		s.scratch = make([]byte, len(p))
	}
	copy(s.scratch, p)
	return s.next.Write(s.scratch[:len(p)])
}
func (s *copySink) Close() error { return nil }

const benchFrames = 1024 // one period of a typical 48 kHz stream, stereo

func benchSink(b *testing.B, s pcm.Sink, f pcm.Format) {
	cfg := cfgOf(f, 2)
	s.Open(cfg)
	p := ramp(f, benchFrames, 2)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s.Write(p)
	}
}

// BenchmarkGain measures the gain path at -6 dB per format, the unity
// path, and the copy baseline; ratio_vs_copy is gain ns / copy ns measured
// in the same run (go test -bench Gain -run '^$' ./pcm/mixer).
func BenchmarkGain(b *testing.B) {
	m := Default()
	if _, err := m.Write(nil, ElemID{Iface: IfaceMixer, Name: MasterVolume}, Values{88, 88}); err != nil {
		b.Fatal(err)
	}
	unity := Default()
	formats := []pcm.Format{pcm.FormatS16LE, pcm.FormatS32LE, pcm.FormatFloatLE, pcm.FormatS24_3BE, pcm.FormatU8, pcm.FormatFloat64BE}
	for _, f := range formats {
		b.Run("copy/"+f.String(), func(b *testing.B) { benchSink(b, &copySink{next: &discardSink{}}, f) })
		b.Run("unity/"+f.String(), func(b *testing.B) { benchSink(b, GainSink(&discardSink{}, unity), f) })
		b.Run("gain/"+f.String(), func(b *testing.B) {
			benchSink(b, GainSink(&discardSink{}, m), f)
			gain := b.Elapsed()
			// The baseline, the same number of writes through copySink,
			// timed here so that the ratio comes from one run.
			b.StopTimer()
			c := &copySink{next: &discardSink{}}
			c.Open(cfgOf(f, 2))
			p := ramp(f, benchFrames, 2)
			start := time.Now()
			for range b.N {
				c.Write(p)
			}
			if base := time.Since(start); base > 0 {
				b.ReportMetric(float64(gain)/float64(base), "ratio_vs_copy")
			}
		})
	}
}
