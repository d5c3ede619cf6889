package mixer

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

func allFormats() []pcm.Format {
	var fs []pcm.Format
	for f := pcm.Format(0); f <= pcm.FormatLast; f++ {
		if f.Known() {
			fs = append(fs, f)
		}
	}
	return fs
}

// putSample stores x in format f: for an integer format x is the signed
// value centred on 0 (unsigned formats add their midpoint), for a float
// format x/2^31 is the float.
func putSample(f pcm.Format, b []byte, x int64) {
	n := f.Bytes()
	var u uint64
	switch {
	case f == pcm.FormatFloatLE || f == pcm.FormatFloatBE:
		u = uint64(math.Float32bits(float32(float64(x) / (1 << 31))))
	case f == pcm.FormatFloat64LE || f == pcm.FormatFloat64BE:
		u = math.Float64bits(float64(x) / (1 << 31))
	case f.Signed():
		u = uint64(x)
	default:
		u = uint64(x + 1<<(f.Width()-1))
	}
	for i := 0; i < n; i++ {
		by := byte(u >> (8 * i))
		if f.LittleEndian() {
			b[i] = by
		} else {
			b[n-1-i] = by
		}
	}
}

// getSample is putSample's inverse (floats as x * 2^31, rounded).
func getSample(f pcm.Format, b []byte) int64 {
	n := f.Bytes()
	var u uint64
	for i := 0; i < n; i++ {
		if f.LittleEndian() {
			u |= uint64(b[i]) << (8 * i)
		} else {
			u |= uint64(b[n-1-i]) << (8 * i)
		}
	}
	switch {
	case f == pcm.FormatFloatLE || f == pcm.FormatFloatBE:
		return int64(math.Round(float64(math.Float32frombits(uint32(u))) * (1 << 31)))
	case f == pcm.FormatFloat64LE || f == pcm.FormatFloat64BE:
		return int64(math.Round(math.Float64frombits(u) * (1 << 31)))
	}
	w := f.Width()
	u &= 1<<w - 1
	if f.Signed() {
		return int64(u<<(64-w)) >> (64 - w)
	}
	return int64(u) - 1<<(w-1)
}

// bounds are the centred integer range of f (floats: ±2^31).
func bounds(f pcm.Format) (lo, hi int64) {
	if f.Float() {
		return -1 << 31, 1 << 31
	}
	return -1 << (f.Width() - 1), 1<<(f.Width()-1) - 1
}

// ramp returns frames*channels samples covering f's range, extremes
// included.
func ramp(f pcm.Format, frames, channels int) []byte {
	lo, hi := bounds(f)
	n := frames * channels
	b := make([]byte, n*f.Bytes())
	r := rand.New(rand.NewPCG(1, uint64(f)))
	for i := 0; i < n; i++ {
		var x int64
		switch i {
		case 0:
			x = lo
		case 1:
			x = hi
		case 2:
			x = 0
		default:
			x = lo + r.Int64N(hi-lo+1)
		}
		putSample(f, b[i*f.Bytes():], x)
	}
	return b
}

// recSink records what it is given.
type recSink struct {
	cfg    pcm.Config
	writes [][]byte
	first  []*byte // &p[0] of each write
}

func (s *recSink) Open(c pcm.Config) error { s.cfg = c; return nil }
func (s *recSink) Write(p []byte) (int, error) {
	s.writes = append(s.writes, bytes.Clone(p))
	s.first = append(s.first, &p[0])
	return len(p), nil
}
func (s *recSink) Close() error { return nil }

// bufSource returns data in reads of the caller's size.
type bufSource struct{ data []byte }

func (s *bufSource) Open(pcm.Config) error { return nil }
func (s *bufSource) Read(p []byte) (int, error) {
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}
func (s *bufSource) Close() error { return nil }

func cfgOf(f pcm.Format, ch int) pcm.Config {
	return pcm.Config{Access: pcm.AccessRWInterleaved, Format: f, Channels: ch, Rate: 48000}
}

func write(t *testing.T, m *Mixer, name string, v Values) {
	t.Helper()
	if _, err := m.Write(nil, ElemID{Iface: IfaceMixer, Name: name}, v); err != nil {
		t.Fatal(err)
	}
}

func TestUnityIsBitExact(t *testing.T) {
	m := Default()
	for _, f := range allFormats() {
		in := ramp(f, 256, 2)
		rs := &recSink{}
		sink := GainSink(rs, m)
		sink.Open(cfgOf(f, 2))
		if n, err := sink.Write(in); n != len(in) || err != nil {
			t.Fatalf("%s: write %d %v", f, n, err)
		}
		if !bytes.Equal(rs.writes[0], in) || rs.first[0] != &in[0] {
			t.Errorf("%s: unity playback changed or copied the bytes", f)
		}
		src := GainSource(&bufSource{data: bytes.Clone(in)}, m)
		src.Open(cfgOf(f, 2))
		out := make([]byte, len(in))
		if n, err := src.Read(out); n != len(in) || err != nil || !bytes.Equal(out, in) {
			t.Errorf("%s: unity capture changed the bytes (%d %v)", f, n, err)
		}
	}
	// Master -6 dB and PCM +6 dB would also be unity, but the default
	// range tops at 0 dB; Master at 0 dB with PCM at 0 dB after a round
	// trip through other values is unity again.
	write(t, m, PCMVolume, Values{50, 50})
	write(t, m, PCMVolume, Values{100, 100})
	rs := &recSink{}
	s := GainSink(rs, m)
	s.Open(cfgOf(pcm.FormatS16LE, 2))
	in := ramp(pcm.FormatS16LE, 64, 2)
	s.Write(in)
	if rs.first[0] != &in[0] {
		t.Error("back at 0 dB, not passed through")
	}
}

// fineConfig has a playback volume in 0.01 dB steps, -100 dB..0 dB, and a
// capture volume reaching +12 dB (for clamping).
func fineConfig() Config {
	return Config{
		Controls: []Control{
			{ID: ElemID{Iface: IfaceMixer, Name: "Fine Playback Volume"}, Type: TypeInteger, Count: 2,
				Min: 0, Max: 10000, Step: 1, TLV: DBScale{Min: -10000, Step: 1}.TLV(), Init: Values{10000, 10000}},
			{ID: ElemID{Iface: IfaceMixer, Name: "Boost Capture Volume"}, Type: TypeInteger, Count: 1,
				Min: 0, Max: 12, TLV: DBScale{Min: 0, Step: 100}.TLV(), Init: Values{0}},
		},
		Playback: GainPath{Volumes: []string{"Fine Playback Volume"}},
		Capture:  GainPath{Volumes: []string{"Boost Capture Volume"}},
	}
}

func TestMinus6dBHalvesS16(t *testing.T) {
	m, err := New(fineConfig())
	if err != nil {
		t.Fatal(err)
	}
	write(t, m, "Fine Playback Volume", Values{10000 - 602, 10000 - 602})
	f := pcm.FormatS16LE
	in := ramp(f, 4096, 2)
	rs := &recSink{}
	s := GainSink(rs, m)
	s.Open(cfgOf(f, 2))
	s.Write(in)
	out := rs.writes[0]
	for i := 0; i < len(in); i += 2 {
		x := float64(getSample(f, in[i:]))
		y := float64(getSample(f, out[i:]))
		if math.Abs(y-x/2) > 1 {
			t.Fatalf("sample %d: %v -> %v, want %v ± 1", i/2, x, y, x/2)
		}
	}
	// The default mixer's nearest step: Master 88 is -6.0 dB.
	d := Default()
	write(t, d, MasterVolume, Values{88, 88})
	if g := d.PlaybackGain(); math.Abs(g[0]-math.Pow(10, -6.0/20)) > 1e-12 || g[0] != g[1] {
		t.Fatalf("Master 88: gain %v", g)
	}
}

// TestScaleEveryFormat checks the decode, round, clamp and encode of
// every format against putSample/getSample, at -6.02 dB and at +12 dB
// (which clamps), with a different gain per channel.
func TestScaleEveryFormat(t *testing.T) {
	for _, gains := range [][]float64{{0.5, 0.25}, {4, 1.5}, {0, 1}} {
		for _, f := range allFormats() {
			lo, hi := bounds(f)
			in := ramp(f, 512, 2)
			out := bytes.Clone(in)
			Scale(f, out, gains)
			for i := 0; i < len(in)/f.Bytes(); i++ {
				x := getSample(f, in[i*f.Bytes():])
				y := getSample(f, out[i*f.Bytes():])
				want := float64(x) * gains[i%2]
				if !f.Float() {
					want = math.Max(float64(lo), math.Min(float64(hi), math.Trunc(want)))
				}
				tol := 0.0
				if f.Float() {
					tol = 0.5 // getSample rounds
				}
				if f == pcm.FormatFloatLE || f == pcm.FormatFloatBE {
					tol = math.Abs(want)*1e-6 + 1 // float32 precision on a 2^31 scale
				}
				if math.Abs(float64(y)-want) > tol {
					t.Fatalf("%s gain %v sample %d: %d -> %d, want %v", f, gains[i%2], i, x, y, want)
				}
			}
			if gains[0] == 0 { // the left channel is the format's silence
				sil := make([]byte, f.Bytes())
				f.Silence(sil)
				for i := 0; i < len(out); i += 2 * f.Bytes() {
					if !bytes.Equal(out[i:i+f.Bytes()], sil) {
						t.Fatalf("%s: muted channel sample %x, silence %x", f, out[i:i+f.Bytes()], sil)
					}
				}
			}
		}
	}
	// An unknown format, or a partial trailing sample, is left alone.
	b := []byte{1, 2, 3}
	Scale(pcm.Format(99), b, []float64{0.5})
	Scale(pcm.FormatS16LE, b[2:], []float64{0.5})
	if !bytes.Equal(b, []byte{1, 2, 3}) {
		t.Fatalf("untouched bytes changed: %v", b)
	}
}

func TestCaptureClampsAndScales(t *testing.T) {
	m, _ := New(fineConfig())
	write(t, m, "Boost Capture Volume", Values{12}) // +12 dB
	f := pcm.FormatS16LE
	in := make([]byte, 8)
	for i, x := range []int16{1000, -1000, 30000, -30000} {
		binary.LittleEndian.PutUint16(in[2*i:], uint16(x))
	}
	src := GainSource(&bufSource{data: in}, m)
	src.Open(cfgOf(f, 1))
	out := make([]byte, 8)
	src.Read(out)
	want := []int16{int16(1000 * math.Pow(10, 0.6)), -int16(1000 * math.Pow(10, 0.6)), 32767, -32768}
	for i, w := range want {
		if got := int16(binary.LittleEndian.Uint16(out[2*i:])); got != w {
			t.Errorf("sample %d = %d, want %d", i, got, w)
		}
	}
}

func TestMuteIsSilence(t *testing.T) {
	for _, mute := range []func(m *Mixer){
		func(m *Mixer) { write(t, m, MasterSwitch, Values{0, 0}) },
		func(m *Mixer) { write(t, m, PCMVolume, Values{0, 0}) }, // the muting minimum
		func(m *Mixer) { write(t, m, PCMSwitch, Values{0, 1}); write(t, m, MasterSwitch, Values{1, 0}) },
	} {
		m := Default()
		mute(m)
		if g := m.PlaybackGain(); g[0] != 0 || g[1] != 0 {
			t.Fatalf("muted gain %v", g)
		}
		for _, f := range allFormats() {
			in := ramp(f, 128, 3) // 3 channels: c%2 maps them onto left/right
			sil := make([]byte, len(in))
			f.Silence(sil)
			rs := &recSink{}
			s := GainSink(rs, m)
			s.Open(cfgOf(f, 3))
			s.Write(in)
			if !bytes.Equal(rs.writes[0], sil) {
				t.Fatalf("%s: muted playback is not silence: %x...", f, rs.writes[0][:8])
			}
			if !bytes.Equal(in, ramp(f, 128, 3)) {
				t.Fatalf("%s: the caller's buffer was modified", f)
			}
		}
	}
	m := Default()
	write(t, m, CaptureSwitch, Values{0, 0})
	for _, f := range []pcm.Format{pcm.FormatU8, pcm.FormatU16BE, pcm.FormatU24_3LE, pcm.FormatU32LE, pcm.FormatS16LE} {
		in := ramp(f, 64, 2)
		src := GainSource(&bufSource{data: in}, m)
		src.Open(cfgOf(f, 2))
		out := make([]byte, len(in))
		src.Read(out)
		sil := make([]byte, len(in))
		f.Silence(sil)
		if !bytes.Equal(out, sil) {
			t.Fatalf("%s: muted capture %x, want midpoint silence %x", f, out[:8], sil[:8])
		}
	}
}

func TestOneChannelMuted(t *testing.T) {
	m := Default()
	write(t, m, MasterSwitch, Values{1, 0})
	f := pcm.FormatU16LE
	in := ramp(f, 100, 2)
	rs := &recSink{}
	s := GainSink(rs, m)
	s.Open(cfgOf(f, 2))
	s.Write(in)
	out := rs.writes[0]
	for i := 0; i < len(in); i += 4 {
		if !bytes.Equal(out[i:i+2], in[i:i+2]) || getSample(f, out[i+2:]) != 0 || out[i+3] != 0x80 || out[i+2] != 0 {
			t.Fatalf("frame %d: in %x out %x", i/4, in[i:i+4], out[i:i+4])
		}
	}
}

func TestVolumeChangeAppliesAtNextWrite(t *testing.T) {
	m := Default()
	f := pcm.FormatS32LE
	rs := &recSink{}
	s := GainSink(rs, m)
	s.Open(cfgOf(f, 2))
	in := ramp(f, 32, 2)
	s.Write(in)
	write(t, m, PCMVolume, Values{88, 100}) // left -6 dB
	s.Write(in)
	write(t, m, PCMVolume, Values{100, 100})
	s.Write(in)
	if !bytes.Equal(rs.writes[0], in) || !bytes.Equal(rs.writes[2], in) {
		t.Fatal("writes at 0 dB changed")
	}
	g := math.Pow(10, -6.0/20)
	for i := 0; i < len(in); i += 8 {
		x, y := getSample(f, in[i:]), getSample(f, rs.writes[1][i:])
		if math.Abs(float64(y)-float64(x)*g) >= 1 {
			t.Fatalf("frame %d left: %d -> %d, want %v", i/8, x, y, float64(x)*g)
		}
		if !bytes.Equal(rs.writes[1][i+4:i+8], in[i+4:i+8]) {
			t.Fatalf("frame %d right changed at 0 dB", i/8)
		}
	}
}

func TestNilMixerAndUnopened(t *testing.T) {
	rs := &recSink{}
	if GainSink(rs, nil) != pcm.Sink(rs) {
		t.Error("nil mixer should return the sink itself")
	}
	src := &bufSource{}
	if GainSource(src, nil) != pcm.Source(src) {
		t.Error("nil mixer should return the source itself")
	}
	m := Default()
	write(t, m, MasterSwitch, Values{0, 0})
	s := GainSink(rs, m) // written before Open: no format to interpret
	in := []byte{1, 2, 3, 4}
	s.Write(in)
	if !bytes.Equal(rs.writes[0], in) {
		t.Error("unopened sink changed bytes")
	}
}
