package endpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// deadline bounds every wait in these tests; it is generous because the
// machine is shared. Nothing waits for it unless something is broken.
const deadline = 30 * time.Second

func loopPair(t *testing.T, env *Env, card, playDev, sub int) (*LoopSink, pcm.Source) {
	t.Helper()
	sink := newSink(t, "loop", StreamID{card, playDev, sub, pcm.Playback}, env).(*LoopSink)
	src := newSource(t, "loop", StreamID{card, 1 - playDev, sub, pcm.Capture}, env)
	return sink, src
}

// readAll reads n bytes from s on another goroutine, failing after the
// deadline.
func readAll(t *testing.T, s pcm.Source, n, chunk int) []byte {
	t.Helper()
	done := make(chan []byte, 1)
	errc := make(chan error, 1)
	go func() {
		out := make([]byte, 0, n)
		buf := make([]byte, chunk)
		for len(out) < n {
			k, err := s.Read(buf[:min(chunk, n-len(out))])
			if err != nil {
				errc <- err
				return
			}
			out = append(out, buf[:k]...)
		}
		done <- out
	}()
	select {
	case out := <-done:
		return out
	case err := <-errc:
		t.Fatalf("Read: %v", err)
	case <-time.After(deadline):
		s.Close()
		t.Fatal("Read did not get the data before the deadline")
	}
	return nil
}

// TestLoopBitExact: frames written in random pieces arrive bit-exact and in
// order, for both directions of a pair, while writer and reader run
// concurrently.
func TestLoopBitExact(t *testing.T) {
	env := &Env{Loop: NewLoopHub(), Logger: quiet.Logger}
	for _, playDev := range []int{0, 1} {
		sink, src := loopPair(t, env, 2, playDev, 3)
		c := cfg(pcm.FormatS24_3LE, 6, 48000)
		if err := src.Open(c); err != nil {
			t.Fatal(err)
		}
		if err := sink.Open(c); err != nil {
			t.Fatal(err)
		}
		data := canonical(t, c.Format, 6*20000, uint64(playDev)) // under the 1 s capacity
		go func() {
			rng := rand.New(rand.NewPCG(1, 2))
			fb := c.FrameBytes()
			for rest := data; len(rest) > 0; {
				n := min(len(rest), (1+rng.IntN(700))*fb)
				sink.Write(rest[:n])
				rest = rest[n:]
			}
		}()
		got := readAll(t, src, len(data), 999*c.FrameBytes()+5)
		if !bytes.Equal(got, data) {
			t.Fatalf("device %d -> %d: frames differ from byte %d", playDev, 1-playDev, firstDiff(got, data))
		}
		sink.Close()
		src.Close()
		if st := sink.Stats(); st.Written != 20000 || st.Overflow != 0 || st.Unheard != 0 {
			t.Fatalf("stats %+v", st)
		}
	}
}

// TestLoopCloseUnblocksRead: a Read waiting for data returns io.EOF once
// the source is closed.
func TestLoopCloseUnblocksRead(t *testing.T) {
	env := &Env{Loop: NewLoopHub()}
	_, src := loopPair(t, env, 0, 0, 0)
	c := cfg(pcm.FormatS16LE, 2, 48000)
	if err := src.Open(c); err != nil {
		t.Fatal(err)
	}
	res := make(chan error, 1)
	go func() {
		_, err := src.Read(make([]byte, 4096))
		res <- err
	}()
	select {
	case err := <-res:
		t.Fatalf("Read returned %v with nothing playing", err)
	case <-time.After(50 * time.Millisecond): // only to let Read block; not a correctness bound
	}
	src.Close()
	select {
	case err := <-res:
		if err != io.EOF {
			t.Fatalf("blocked Read returned %v, want io.EOF", err)
		}
	case <-time.After(deadline):
		t.Fatal("Close did not unblock Read")
	}
	if err := src.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// A new run reads again.
	sink := newSink(t, "loop", StreamID{0, 0, 0, pcm.Playback}, env)
	src.Open(c)
	sink.Open(c)
	sink.Write([]byte{1, 2, 3, 4})
	if got := readAll(t, src, 4, 64); !bytes.Equal(got, []byte{1, 2, 3, 4}) {
		t.Fatalf("second run read %x", got)
	}
}

// TestLoopConverts: S16 stereo at 48 kHz recorded as FLOAT mono at 48 kHz
// (averaged) and as S32 stereo at 16 kHz (resampled).
func TestLoopConverts(t *testing.T) {
	env := &Env{Loop: NewLoopHub()}
	sink, src := loopPair(t, env, 0, 0, 0)
	in := cfg(pcm.FormatS16LE, 2, 48000)
	out := cfg(pcm.FormatFloatLE, 1, 48000)
	src.Open(out)
	sink.Open(in)
	frames := []int16{100, 300, -16384, -16384, 16384, 0}
	var b []byte
	for _, v := range frames {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	sink.Write(b)
	got := readAll(t, src, 12, 64)
	for i, want := range []float32{200.0 / 32768, -0.5, 0.25} {
		if v := math.Float32frombits(binary.LittleEndian.Uint32(got[4*i:])); v != want {
			t.Errorf("frame %d: %v, want %v", i, v, want)
		}
	}
	src.Close()
	sink.Close()

	// 1 kHz at 48 kHz, recorded at 16 kHz: still 1 kHz.
	out = cfg(pcm.FormatS32LE, 2, 16000)
	src.Open(out)
	sink.Open(in)
	gen := newSineSource(1000, 0.5)
	tone := make([]byte, 48000*in.FrameBytes())
	if err := gen.Open(in); err != nil {
		t.Fatal(err)
	}
	gen.Read(tone)
	sink.Write(tone)
	got = readAll(t, src, 15000*out.FrameBytes(), 1000)
	if f := zeroCrossFreq(samples(t, out, got, 1), 16000); math.Abs(f-1000)/1000 > 0.005 {
		t.Fatalf("resampled loop measures %.3f Hz", f)
	}
	src.Close()
}

// TestLoopOverflowAndUnheard: with no source open frames are discarded;
// a source that does not read loses the oldest frames beyond the capacity.
func TestLoopOverflowAndUnheard(t *testing.T) {
	env := &Env{Loop: NewLoopHubCapacity(100 * time.Millisecond)}
	sink, src := loopPair(t, env, 0, 0, 0)
	c := cfg(pcm.FormatS16LE, 1, 10000)
	c.BufferSize = 256 // capacity: 100 ms = 1000 frames, more than 2 buffers
	sink.Open(c)
	sink.Write(make([]byte, 2*500))
	if st := sink.Stats(); st.Unheard != 500 || st.Written != 0 {
		t.Fatalf("with no source: %+v", st)
	}
	src.Open(c)
	data := make([]byte, 2*2500)
	for i := range 2500 {
		binary.LittleEndian.PutUint16(data[2*i:], uint16(i))
	}
	sink.Write(data[:2*1700])
	sink.Write(data[2*1700:])
	if st := sink.Stats(); st.Overflow != 1500 || st.Written != 2500 {
		t.Fatalf("after 2500 frames into 1000: %+v", st)
	}
	if st, ok := env.Loop.Stats(0, 0, 0); !ok || st != sink.Stats() {
		t.Fatalf("hub Stats = %+v, %v; sink says %+v", st, ok, sink.Stats())
	}
	if _, ok := env.Loop.Stats(0, 1, 0); ok {
		t.Fatal("hub has stats for a pair never used")
	}
	got := readAll(t, src, 2*1000, 4096)
	if !bytes.Equal(got, data[2*1500:]) {
		t.Fatalf("kept frames start at %d, want the newest 1000 (1500..2499)", binary.LittleEndian.Uint16(got))
	}
	src.Close()
}

func TestLoopErrors(t *testing.T) {
	for _, tt := range []struct {
		id  StreamID
		env *Env
	}{
		{StreamID{0, 2, 0, pcm.Playback}, &Env{Loop: NewLoopHub()}},
		{StreamID{0, 0, 0, pcm.Capture}, &Env{Loop: NewLoopHub()}},
		{StreamID{0, 0, 0, pcm.Playback}, &Env{}},
		{StreamID{0, 0, 0, pcm.Playback}, nil},
	} {
		s, _ := ParseSink("loop")
		if _, err := s.New(tt.id, tt.env); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("sink loop for %v: %v, want EINVAL", tt.id, err)
		}
	}
	s, _ := ParseSource("loop")
	if _, err := s.New(StreamID{0, 5, 0, pcm.Capture}, &Env{Loop: NewLoopHub()}); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("source loop on device 5: %v, want EINVAL", err)
	}
}

// BenchmarkLoopSameFormat moves 1024 stereo S16 frames through a pipe per
// op (write, then read on the same goroutine); compare with
// BenchmarkConvertCopy.
func BenchmarkLoopSameFormat(b *testing.B) { benchLoop(b, cfg(pcm.FormatS16LE, 2, 48000)) }

// BenchmarkLoopConverted is the same with the source at FLOAT_LE mono.
func BenchmarkLoopConverted(b *testing.B) { benchLoop(b, cfg(pcm.FormatFloatLE, 1, 48000)) }

func benchLoop(b *testing.B, out pcm.Config) {
	env := &Env{Loop: NewLoopHub()}
	sinkSpec, _ := ParseSink("loop")
	srcSpec, _ := ParseSource("loop")
	sink, _ := sinkSpec.New(StreamID{0, 0, 0, pcm.Playback}, env)
	src, _ := srcSpec.New(StreamID{0, 1, 0, pcm.Capture}, env)
	in := cfg(pcm.FormatS16LE, 2, 48000)
	src.Open(out)
	sink.Open(in)
	data := canonical(b, in.Format, 2*1024, 1)
	buf := make([]byte, 1024*out.FrameBytes())
	// Past the pre-roll (a period plus DefaultLoopMargin): the flow runs.
	for range 4 {
		sink.Write(data)
	}
	for got := 0; got < 4*len(buf); {
		n, err := src.Read(buf)
		if err != nil {
			b.Fatal(err)
		}
		got += n
	}
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		sink.Write(data)
		for got := 0; got < len(buf); {
			n, err := src.Read(buf[got:])
			if err != nil {
				b.Fatal(err)
			}
			got += n
		}
	}
	src.Close()
}
