package endpoint

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

func newSource(t *testing.T, spec string, id StreamID, env *Env) pcm.Source {
	t.Helper()
	s, err := ParseSource(spec)
	if err != nil {
		t.Fatal(err)
	}
	src, err := s.New(id, env)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// readFrames reads n frames in reads of odd sizes (to cross chunk and read
// boundaries).
func readFrames(t *testing.T, s pcm.Source, c pcm.Config, n int) []byte {
	t.Helper()
	fb := c.FrameBytes()
	out := make([]byte, 0, n*fb)
	sizes := []int{333, 1, 1500, 77}
	for i := 0; len(out) < n*fb; i++ {
		k := min(sizes[i%len(sizes)], n-len(out)/fb)
		buf := make([]byte, k*fb+fb-1) // room for a partial frame too
		got, err := s.Read(buf)
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if got%fb != 0 {
			t.Fatalf("Read returned %d bytes, not whole %d-byte frames", got, fb)
		}
		out = append(out, buf[:got]...)
	}
	return out
}

// samples decodes channel ch of interleaved frames to float64 in [-1, 1).
func samples(t *testing.T, c pcm.Config, data []byte, ch int) []float64 {
	t.Helper()
	fl := convert(t, c.Format, c.Channels, pcm.FormatFloat64LE, c.Channels, data)
	v := make([]float64, len(fl)/8/c.Channels)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(fl[8*(i*c.Channels+ch):]))
	}
	return v
}

// zeroCrossFreq measures a frequency from rising zero crossings,
// interpolated between samples.
func zeroCrossFreq(x []float64, rate int) float64 {
	var first, last float64
	n := 0
	for i := 1; i < len(x); i++ {
		if x[i-1] < 0 && x[i] >= 0 {
			t := float64(i-1) + -x[i-1]/(x[i]-x[i-1])
			if n == 0 {
				first = t
			}
			last = t
			n++
		}
	}
	return float64(n-1) * float64(rate) / (last - first)
}

func TestSilenceSource(t *testing.T) {
	s := newSource(t, "silence", StreamID{}, quiet)
	c := cfg(pcm.FormatU16BE, 2, 8000)
	if err := s.Open(c); err != nil {
		t.Fatal(err)
	}
	got := readFrames(t, s, c, 100)
	want := make([]byte, len(got))
	c.Format.Silence(want)
	if !bytes.Equal(got, want) || got[0] != 0x80 {
		t.Fatalf("silence is %x...", got[:8])
	}
	s.Close()
	if _, err := s.Read(make([]byte, 4)); err != io.EOF {
		t.Fatalf("Read after Close = %v, want EOF", err)
	}
}

// TestSineSource measures frequency and amplitude from the samples, across
// odd-sized reads, in several formats and rates.
func TestSineSource(t *testing.T) {
	for _, tt := range []struct {
		spec string
		freq float64
		amp  float64
		c    pcm.Config
	}{
		{"sine:1000", 1000, 0.5, cfg(pcm.FormatS16LE, 2, 48000)},
		{"sine:440:0.25", 440, 0.25, cfg(pcm.FormatFloatBE, 1, 44100)},
		{"sine:997.5:1", 997.5, 1, cfg(pcm.FormatS24_3BE, 3, 22050)},
		{"sine:3000:0.8", 3000, 0.8, cfg(pcm.FormatU8, 1, 8000)},
	} {
		s := newSource(t, tt.spec, StreamID{}, quiet)
		if err := s.Open(tt.c); err != nil {
			t.Fatal(err)
		}
		data := readFrames(t, s, tt.c, tt.c.Rate) // one second
		for ch := 0; ch < tt.c.Channels; ch++ {
			x := samples(t, tt.c, data, ch)
			if f := zeroCrossFreq(x, tt.c.Rate); math.Abs(f-tt.freq)/tt.freq > 0.005 {
				t.Errorf("%s on %v: measured %.3f Hz", tt.spec, tt.c.Format, f)
			}
			peak, maxStep := 0.0, 0.0
			for i, v := range x {
				peak = max(peak, math.Abs(v))
				if i > 0 {
					maxStep = max(maxStep, math.Abs(v-x[i-1]))
				}
			}
			if math.Abs(peak-tt.amp) > 0.01 {
				t.Errorf("%s: peak %.4f, want %.2f", tt.spec, peak, tt.amp)
			}
			// A continuous sine moves at most 2*pi*f/rate*amp a sample
			// (plus quantisation); a phase jump between reads would not.
			if limit := 2*math.Pi*tt.freq/float64(tt.c.Rate)*tt.amp + 0.02; maxStep > limit {
				t.Errorf("%s: step %.4f between samples exceeds %.4f: discontinuity", tt.spec, maxStep, limit)
			}
		}
		s.Close()
	}
	s := newSource(t, "sine:5000", StreamID{}, quiet)
	if err := s.Open(cfg(pcm.FormatS16LE, 2, 8000)); pcm.Errno(err) == 0 {
		t.Fatalf("sine above Nyquist opened: %v", err)
	}
}

func TestNoiseSource(t *testing.T) {
	id := StreamID{Card: 0, Device: 0, Sub: 0, Stream: pcm.Capture}
	c := cfg(pcm.FormatS16LE, 2, 48000)
	read := func() []byte {
		s := newSource(t, "noise:0.25", id, quiet)
		if err := s.Open(c); err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return readFrames(t, s, c, 20000)
	}
	a, b := read(), read()
	if !bytes.Equal(a, b) {
		t.Fatal("noise is not reproducible")
	}
	x := samples(t, c, a, 0)
	y := samples(t, c, a, 1)
	var sum, sq, peak float64
	same := 0
	for i, v := range x {
		sum += v
		sq += v * v
		peak = max(peak, math.Abs(v))
		if v == y[i] {
			same++
		}
	}
	n := float64(len(x))
	// Uniform on [-a, a): mean 0, RMS a/sqrt(3).
	if mean, rms := sum/n, math.Sqrt(sq/n); math.Abs(mean) > 0.01 || math.Abs(rms-0.25/math.Sqrt(3)) > 0.005 || peak > 0.25 {
		t.Fatalf("noise mean %.4f rms %.4f peak %.4f", mean, rms, peak)
	}
	if same > len(x)/100 {
		t.Fatalf("channels are not independent: %d equal samples", same)
	}
}

// TestWAVSourceLoopsAndConverts: a 100-frame mono S16 ramp recorded as
// stereo S32_BE repeats every 100 frames on both channels.
func TestWAVSourceLoopsAndConverts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ramp.wav")
	ramp := make([]byte, 200)
	for i := 0; i < 100; i++ {
		binary.LittleEndian.PutUint16(ramp[2*i:], uint16(int16(i*300-15000)))
	}
	writeWAV(t, path, pcm.FormatS16LE, 1, 8000, ramp)
	s := newSource(t, "wav:"+path, StreamID{}, quiet)
	c := cfg(pcm.FormatS32BE, 2, 8000)
	for run := 0; run < 2; run++ {
		if err := s.Open(c); err != nil {
			t.Fatal(err)
		}
		got := readFrames(t, s, c, 3456)
		for f := 0; f < 3456; f++ {
			want := int32(int16(binary.LittleEndian.Uint16(ramp[2*(f%100):]))) << 16
			l := int32(binary.BigEndian.Uint32(got[8*f:]))
			r := int32(binary.BigEndian.Uint32(got[8*f+4:]))
			if l != want || r != want {
				t.Fatalf("run %d frame %d: %d/%d, want %d", run, f, l, r, want)
			}
		}
		s.Close()
	}
}

// TestWAVSourceResamples: a 500 Hz tone stored at 8000 Hz plays at 500 Hz
// in a 44100 Hz run (linear interpolation), also across the loop point.
func TestWAVSourceResamples(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tone.wav")
	// 0.25 s = 125 whole periods, so the loop is seamless.
	tone := make([]byte, 2*2000)
	for i := 0; i < 2000; i++ {
		v := 0.5 * math.Sin(2*math.Pi*500*float64(i)/8000)
		binary.LittleEndian.PutUint16(tone[2*i:], uint16(int16(v*32767)))
	}
	writeWAV(t, path, pcm.FormatS16LE, 1, 8000, tone)
	s := newSource(t, "wav:"+path, StreamID{}, quiet)
	c := cfg(pcm.FormatFloatLE, 2, 44100)
	if err := s.Open(c); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := readFrames(t, s, c, 44100)
	x := samples(t, c, got, 1)
	if f := zeroCrossFreq(x, c.Rate); math.Abs(f-500)/500 > 0.005 {
		t.Fatalf("resampled tone measures %.3f Hz, want 500", f)
	}
}

func TestWAVSourceErrors(t *testing.T) {
	dir := t.TempDir()
	// A file emptied during a run: EIO, not a busy loop.
	shrink := filepath.Join(dir, "shrink.wav")
	writeWAV(t, shrink, pcm.FormatS16LE, 1, 8000, make([]byte, 200))
	src := newSource(t, "wav:"+shrink, StreamID{}, quiet)
	c := cfg(pcm.FormatS16LE, 1, 8000)
	if err := src.Open(c); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(shrink, 44); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Read(make([]byte, 64)); pcm.Errno(err) != syscall.EIO {
		t.Errorf("Read of an emptied file: %v, want EIO", err)
	}
	src.Close()

	for _, spec := range []string{"wav:" + filepath.Join(dir, "missing.wav"), "wav:" + dir} {
		s, err := ParseSource(spec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.New(StreamID{}, quiet); pcm.Errno(err) == 0 {
			t.Errorf("%s: New = %v, want an errno", spec, err)
		}
	}
	empty := filepath.Join(dir, "empty.wav")
	writeWAV(t, empty, pcm.FormatS16LE, 1, 8000, nil)
	s, _ := ParseSource("wav:" + empty)
	if _, err := s.New(StreamID{}, quiet); err == nil {
		t.Error("a WAV without frames was accepted")
	}
}

func BenchmarkSineS16Stereo(b *testing.B) {
	s := newSineSource(1000, 0.5)
	c := cfg(pcm.FormatS16LE, 2, 48000)
	if err := s.Open(c); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 4096*c.FrameBytes())
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		s.Read(buf)
	}
}

// TestSourceCloseWhileReading: the core may Close a source from another
// goroutine while its pump reads; the pump then sees io.EOF (run with -race).
func TestSourceCloseWhileReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.wav")
	writeWAV(t, path, pcm.FormatS16LE, 1, 8000, make([]byte, 200))
	for _, spec := range []string{"silence", "sine:440", "noise", "wav:" + path} {
		s := newSource(t, spec, StreamID{}, quiet)
		c := cfg(pcm.FormatS16LE, 2, 8000)
		if err := s.Open(c); err != nil {
			t.Fatal(err)
		}
		started := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			buf := make([]byte, 256)
			for i := 0; ; i++ {
				if i == 1 {
					close(started)
				}
				if _, err := s.Read(buf); err != nil {
					done <- err
					return
				}
			}
		}()
		<-started
		s.Close()
		select {
		case err := <-done:
			if err != io.EOF {
				t.Errorf("%s: Read after Close: %v, want io.EOF", spec, err)
			}
		case <-time.After(deadline):
			t.Fatalf("%s: reader did not stop after Close", spec)
		}
	}
}
