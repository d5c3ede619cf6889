package endpoint

import (
	"encoding/binary"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Compile-time checks: every source implements pcm.Source.
var (
	_ pcm.Source = (*silenceSource)(nil)
	_ pcm.Source = (*genSource)(nil)
	_ pcm.Source = (*wavSource)(nil)
)

// Sources are read by one pump goroutine of their substream, but Close may
// come from another goroutine (it must be able to end a blocked loop Read),
// so each source guards its state with a mutex. Reads of these sources
// never block, so Close waits at most for one Read to finish.

// silenceSource records silence ("silence").
type silenceSource struct {
	mu   sync.Mutex
	c    pcm.Config // guarded by mu
	open bool       // guarded by mu
}

// Open implements pcm.Source.Open.
func (s *silenceSource) Open(c pcm.Config) error {
	if err := checkConfig("silence", c); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.c, s.open = c, true
	return nil
}

// Read implements pcm.Source.Read: whole frames of the format's silence.
func (s *silenceSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.open {
		return 0, io.EOF
	}
	n := len(p) / s.c.FrameBytes() * s.c.FrameBytes()
	s.c.Format.Silence(p[:n])
	return n, nil
}

// Close implements pcm.Source.Close.
func (s *silenceSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.open = false
	return nil
}

func checkConfig(what string, c pcm.Config) error {
	if !c.Format.Known() || c.Channels < 1 || c.Channels > MaxChannels || c.Rate <= 0 {
		return pcm.Errorf(syscall.EINVAL, "source %s: bad configuration %v x %d at %d Hz", what, c.Format, c.Channels, c.Rate)
	}
	return nil
}

// genSource produces frames from a generator of float64 samples, converted
// to the run's format by a Converter (so float to integer follows alsa-lib).
type genSource struct {
	name string                                // immutable
	ch   int                                   // immutable: channels the generator fills (0: the run's)
	fill func(buf []float64, ch int, rate int) // immutable: next len(buf)/ch frames; called with mu held
	open func(rate int) error                  // immutable: start of a run, may reject the rate; called with mu held

	mu   sync.Mutex
	conv *Converter // guarded by mu
	c    pcm.Config // guarded by mu
	fbuf []float64  // guarded by mu
	bbuf []byte     // guarded by mu
	on   bool       // guarded by mu
}

// Open implements pcm.Source.Open.
func (g *genSource) Open(c pcm.Config) error {
	if err := checkConfig(g.name, c); err != nil {
		return err
	}
	ch := g.ch
	if ch == 0 {
		ch = c.Channels
	}
	conv, err := NewConverter(pcm.FormatFloat64LE, ch, c.Format, c.Channels)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.open(c.Rate); err != nil {
		return err
	}
	g.conv, g.c, g.on = conv, c, true
	return nil
}

// Read implements pcm.Source.Read.
func (g *genSource) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.on {
		return 0, io.EOF
	}
	ob := g.conv.OutFrameBytes()
	ch := g.conv.InFrameBytes() / 8
	total := 0
	for len(p) >= ob {
		n := min(len(p)/ob, chunkFrames)
		g.fbuf = grow(g.fbuf, n*ch)
		g.fill(g.fbuf, ch, g.c.Rate)
		g.bbuf = grow(g.bbuf, n*ch*8)
		for i, v := range g.fbuf {
			binary.LittleEndian.PutUint64(g.bbuf[8*i:], math.Float64bits(v))
		}
		g.conv.Convert(p, g.bbuf)
		p = p[n*ob:]
		total += n * ob
	}
	return total, nil
}

// Close implements pcm.Source.Close.
func (g *genSource) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.on = false
	return nil
}

// newSineSource returns "sine:FREQ:AMP": amp*sin(2*pi*freq*t), the same on
// every channel. The phase is an accumulator in cycles, carried across
// Reads and wrapped to [0,1), so the frequency is exact at any rate and the
// wave is continuous from one Read to the next. A run starts at phase 0.
func newSineSource(freq, amp float64) *genSource {
	var phase float64
	g := &genSource{name: "sine", ch: 1}
	g.open = func(rate int) error {
		if freq > float64(rate)/2 {
			return pcm.Errorf(syscall.EINVAL, "source sine:%g: frequency is above the Nyquist limit of %d Hz", freq, rate/2)
		}
		phase = 0
		return nil
	}
	g.fill = func(buf []float64, _ int, rate int) {
		step := freq / float64(rate)
		for i := range buf {
			buf[i] = amp * math.Sin(2*math.Pi*phase)
			phase += step
			if phase >= 1 {
				phase -= math.Floor(phase)
			}
		}
	}
	return g
}

// newNoiseSource returns "noise:AMP": uniform white noise in [-amp, amp),
// independent per channel, from a PCG seeded by the StreamID so every run
// of a substream records the same noise.
func newNoiseSource(amp float64, id StreamID) *genSource {
	h := fnv.New64a()
	h.Write([]byte(id.String()))
	seed := h.Sum64()
	var rng *rand.Rand
	g := &genSource{name: "noise"}
	g.open = func(int) error {
		rng = rand.New(rand.NewPCG(seed, 0x76736e64)) // "vsnd"
		return nil
	}
	g.fill = func(buf []float64, _ int, _ int) {
		for i := range buf {
			buf[i] = amp * (2*rng.Float64() - 1)
		}
	}
	return g
}

// wavSource loops a WAV file forever ("wav:PATH"), converted to the run's
// format and channels and linearly resampled to its rate. It streams: the
// file is open during a run and read a chunk at a time from the pump
// goroutine, rewound at its end.
type wavSource struct {
	path string // immutable

	mu    sync.Mutex
	f     *os.File   // guarded by mu; open during a run
	wr    *WAVReader // guarded by mu
	chain *chain     // guarded by mu
	buf   []byte     // guarded by mu; one chunk of the file's frames
}

func newWAVSource(path string) (*wavSource, error) {
	f, _, err := openWAV(path)
	if err != nil {
		return nil, err
	}
	f.Close()
	return &wavSource{path: path}, nil
}

// openWAV opens and parses path; a file without frames is EINVAL.
func openWAV(path string) (*os.File, *WAVReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, pcm.Errorf(errnoOf(err), "source wav:%s: %v", path, err)
	}
	wr, err := NewWAVReader(f)
	if err == nil && wr.Info().Frames == 0 {
		err = pcm.Errorf(syscall.EINVAL, "the file has no frames")
	}
	if err != nil {
		f.Close()
		return nil, nil, pcm.Errorf(pcm.Errno(err), "source wav:%s: %s", path, reason(err))
	}
	return f, wr, nil
}

// Open implements pcm.Source.Open: it opens the file afresh, so a file
// replaced between runs is picked up.
func (s *wavSource) Open(c pcm.Config) error {
	if err := checkConfig("wav:"+s.path, c); err != nil {
		return err
	}
	f, wr, err := openWAV(s.path)
	if err != nil {
		return err
	}
	info := wr.Info()
	ch, err := newChain(info.Format, info.Channels, info.Rate, c.Format, c.Channels, c.Rate)
	if err != nil {
		f.Close()
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
	s.f, s.wr, s.chain = f, wr, ch
	s.buf = grow(s.buf, chunkFrames*ch.inFrame)
	return nil
}

// Read implements pcm.Source.Read. A file that shrinks to nothing during a
// run is EIO.
func (s *wavSource) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return 0, io.EOF
	}
	want := min(len(p)/s.chain.outFrame, chunkFrames) * s.chain.outFrame
	for rewound := false; s.chain.buffered() < want; {
		n, err := s.wr.Read(s.buf)
		switch {
		case err == io.EOF && !rewound:
			if err := s.wr.Rewind(); err != nil {
				return 0, pcm.Errorf(errnoOf(err), "source wav:%s: %v", s.path, err)
			}
			rewound = true
			continue
		case err == io.EOF:
			return 0, pcm.Errorf(syscall.EIO, "source wav:%s: the file has no frames left", s.path)
		case err != nil:
			return 0, pcm.Errorf(errnoOf(err), "source wav:%s: %v", s.path, err)
		}
		rewound = false
		s.chain.push(s.buf[:n])
	}
	return s.chain.pull(p), nil
}

// Close implements pcm.Source.Close.
func (s *wavSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closeLocked()
	return nil
}

// closeLocked ends the run, if any.
// Precondition: s.mu must be held.
func (s *wavSource) closeLocked() {
	if s.f != nil {
		s.f.Close()
	}
	s.f, s.wr, s.chain = nil, nil, nil
}
