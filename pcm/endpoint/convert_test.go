package endpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

// lossless reports whether converting a to b and back must restore every
// sample of a bit-exactly.
func lossless(a, b pcm.Format) bool {
	switch {
	case a == b:
		return true
	case a.Float() && b.Float():
		return a.Width() <= b.Width()
	case a.Float():
		return false
	case b.Float():
		return a.Width() <= map[int]int{32: 24, 64: 32}[b.Width()]
	}
	return a.Width() <= b.Width()
}

// canonical returns n random samples of f in their canonical encoding (a
// 4-byte S24 sign-extended, a 4-byte U24 with a zero top byte), including
// the extremes.
func canonical(t testing.TB, f pcm.Format, n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(f)))
	out := make([]byte, n*f.Bytes())
	if f.Float() {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = 2*rng.Float64() - 1
			if f.Width() == 32 {
				vals[i] = float64(float32(vals[i]))
			}
		}
		copy(vals, []float64{-1, 0, 0.5, -0.5, math.Nextafter(1, 0)})
		encodeFloat(f, out, vals)
		return out
	}
	vals := make([]int32, n)
	mask := uint32(0xFFFFFFFF) << (32 - f.Width())
	for i := range vals {
		vals[i] = int32(rng.Uint32() & mask)
	}
	copy(vals, []int32{math.MinInt32, int32(0x7FFFFFFF & mask), 0, int32(mask), int32(1 << (32 - f.Width()))})
	EncodeInt(f, out, vals)
	return out
}

func convert(t testing.TB, from pcm.Format, inCh int, to pcm.Format, outCh int, src []byte) []byte {
	t.Helper()
	c, err := NewConverter(from, inCh, to, outCh)
	if err != nil {
		t.Fatalf("NewConverter(%v, %d, %v, %d): %v", from, inCh, to, outCh, err)
	}
	frames := len(src) / c.InFrameBytes()
	dst := make([]byte, frames*c.OutFrameBytes())
	if got := c.Convert(dst, src); got != frames {
		t.Fatalf("Convert %v->%v converted %d frames, want %d", from, to, got, frames)
	}
	return dst
}

// TestConvertRoundTrip converts every format to every other and back; where
// the pair is lossless the result must be bit-exact. 3000 frames exceed one
// chunk, so chunking is covered.
func TestConvertRoundTrip(t *testing.T) {
	pairs := 0
	for _, a := range Formats {
		src := canonical(t, a, 3000*2, 1)
		for _, b := range Formats {
			if !lossless(a, b) {
				continue
			}
			pairs++
			mid := convert(t, a, 2, b, 2, src)
			back := convert(t, b, 2, a, 2, mid)
			if !bytes.Equal(back, src) {
				i := firstDiff(back, src)
				t.Errorf("%v -> %v -> %v: first difference at byte %d: got %x want %x", a, b, a, i, back[i:i+a.Bytes()], src[i:i+a.Bytes()])
			}
		}
	}
	if pairs < 200 {
		t.Fatalf("only %d lossless pairs tested", pairs)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestConvertValues pins single conversions against hand-written bytes.
func TestConvertValues(t *testing.T) {
	f32 := func(v float32) []byte { return binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)) }
	f64be := func(v float64) []byte { return binary.BigEndian.AppendUint64(nil, math.Float64bits(v)) }
	tests := []struct {
		name     string
		from, to pcm.Format
		in, want []byte
	}{
		{"S16 byte swap", pcm.FormatS16LE, pcm.FormatS16BE, []byte{0x34, 0x12}, []byte{0x12, 0x34}},
		{"U16 sign flip", pcm.FormatU16LE, pcm.FormatS16LE, []byte{0x00, 0x80, 0xFF, 0xFF}, []byte{0x00, 0x00, 0xFF, 0x7F}},
		{"S16 to S32 shift", pcm.FormatS16LE, pcm.FormatS32LE, []byte{0x34, 0x12}, []byte{0, 0, 0x34, 0x12}},
		{"S32 to S16 keeps MSBs", pcm.FormatS32LE, pcm.FormatS16LE, []byte{0x78, 0x56, 0x34, 0x12}, []byte{0x34, 0x12}},
		{"S8 to U8", pcm.FormatS8, pcm.FormatU8, []byte{0x80, 0x00, 0x7F}, []byte{0x00, 0x80, 0xFF}},
		{"S16 to S24_LE sign-extends", pcm.FormatS16LE, pcm.FormatS24LE, []byte{0x00, 0x80}, []byte{0x00, 0x00, 0x80, 0xFF}},
		{"S16 to U24_LE zero top byte", pcm.FormatS16LE, pcm.FormatU24LE, []byte{0xFF, 0x7F}, []byte{0x00, 0xFF, 0xFF, 0x00}},
		{"S24_LE ignores top byte", pcm.FormatS24LE, pcm.FormatS24_3BE, []byte{0x56, 0x34, 0x12, 0xAB}, []byte{0x12, 0x34, 0x56}},
		{"S24_3LE to S32_BE", pcm.FormatS24_3LE, pcm.FormatS32BE, []byte{0x56, 0x34, 0x92}, []byte{0x92, 0x34, 0x56, 0x00}},
		{"U24_3BE to S16", pcm.FormatU24_3BE, pcm.FormatS16LE, []byte{0x00, 0x00, 0x00}, []byte{0x00, 0x80}},
		{"S16 to FLOAT", pcm.FormatS16LE, pcm.FormatFloatLE, []byte{0x00, 0x40, 0x00, 0x80}, append(f32(0.5), f32(-1)...)},
		{"FLOAT to S16 scales", pcm.FormatFloatLE, pcm.FormatS16LE, f32(0.5), []byte{0x00, 0x40}},
		{"FLOAT to S16 clamps high", pcm.FormatFloatLE, pcm.FormatS16LE, f32(1.5), []byte{0xFF, 0x7F}},
		{"FLOAT to S16 clamps low", pcm.FormatFloatLE, pcm.FormatS16LE, f32(-2), []byte{0x00, 0x80}},
		{"FLOAT NaN to S16 is 0", pcm.FormatFloatLE, pcm.FormatS16LE, f32(float32(math.NaN())), []byte{0, 0}},
		{"FLOAT to U8", pcm.FormatFloatLE, pcm.FormatU8, f32(0), []byte{0x80}},
		{"FLOAT64_BE to S32", pcm.FormatFloat64BE, pcm.FormatS32LE, f64be(-0.25), []byte{0x00, 0x00, 0x00, 0xE0}},
		{"FLOAT keeps > 1.0", pcm.FormatFloatLE, pcm.FormatFloat64BE, f32(1.5), f64be(1.5)},
	}
	for _, tt := range tests {
		got := convert(t, tt.from, 1, tt.to, 1, tt.in)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: %v %x -> %v: got %x, want %x", tt.name, tt.from, tt.in, tt.to, got, tt.want)
		}
	}
}

// TestConvertCopyIsBitExact: the copy path keeps even non-canonical bytes
// (a garbage top byte of S24_LE) that the integer path would normalise.
func TestConvertCopyIsBitExact(t *testing.T) {
	src := []byte{0x56, 0x34, 0x12, 0xAB, 1, 2, 3, 4}
	if got := convert(t, pcm.FormatS24LE, 2, pcm.FormatS24LE, 2, src); !bytes.Equal(got, src) {
		t.Fatalf("copy path changed bytes: %x -> %x", src, got)
	}
}

func TestConvertChannels(t *testing.T) {
	s16 := func(v ...int16) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, uint16(x))
		}
		return b
	}
	u16 := func(v ...uint16) []byte {
		var b []byte
		for _, x := range v {
			b = binary.LittleEndian.AppendUint16(b, x)
		}
		return b
	}
	tests := []struct {
		name      string
		to        pcm.Format
		in, out   int
		src, want []byte
	}{
		{"mono to 3 duplicates", pcm.FormatS16LE, 1, 3, s16(7, -9), s16(7, 7, 7, -9, -9, -9)},
		{"stereo to mono averages", pcm.FormatS16LE, 2, 1, s16(100, 300, -32768, -32768), s16(200, -32768)},
		{"6 to mono averages", pcm.FormatS16LE, 6, 1, s16(6, 6, 6, 0, 0, 0), s16(3)},
		{"stereo to 4 silences the rest", pcm.FormatS16LE, 2, 4, s16(1, 2), s16(1, 2, 0, 0)},
		{"stereo to 4 unsigned silence is the midpoint", pcm.FormatU16LE, 2, 4, s16(1, 2), u16(0x8001, 0x8002, 0x8000, 0x8000)},
		{"4 to stereo keeps the first two", pcm.FormatS16LE, 4, 2, s16(1, 2, 3, 4), s16(1, 2)},
	}
	for _, tt := range tests {
		got := convert(t, pcm.FormatS16LE, tt.in, tt.to, tt.out, tt.src)
		if !bytes.Equal(got, tt.want) {
			t.Errorf("%s: got %x, want %x", tt.name, got, tt.want)
		}
		// The float path maps channels the same way.
		fl := convert(t, pcm.FormatS16LE, tt.in, pcm.FormatFloat64LE, tt.out, tt.src)
		back := convert(t, pcm.FormatFloat64LE, tt.out, tt.to, tt.out, fl)
		if !bytes.Equal(back, tt.want) {
			t.Errorf("%s via float: got %x, want %x", tt.name, back, tt.want)
		}
	}
	// Every count 1..32 in and out converts without panicking and keeps
	// channel 0.
	for m := 1; m <= MaxChannels; m++ {
		for n := 1; n <= MaxChannels; n++ {
			src := make([]byte, 2*m)
			for i := 0; i < m; i++ {
				binary.LittleEndian.PutUint16(src[2*i:], 1000)
			}
			got := convert(t, pcm.FormatS16LE, m, pcm.FormatS32LE, n, src)
			if v := int32(binary.LittleEndian.Uint32(got)); v != 1000<<16 {
				t.Fatalf("%d->%d channels: channel 0 is %d", m, n, v)
			}
		}
	}
}

func TestConvertPartialFrames(t *testing.T) {
	c, err := NewConverter(pcm.FormatS16LE, 2, pcm.FormatS32LE, 2)
	if err != nil {
		t.Fatal(err)
	}
	// 3 input frames and a trailing odd byte, room for 2 output frames.
	if n := c.Convert(make([]byte, 17), make([]byte, 13)); n != 2 {
		t.Fatalf("Convert = %d frames, want 2 (limited by dst)", n)
	}
	if n := c.Convert(make([]byte, 100), make([]byte, 13)); n != 3 {
		t.Fatalf("Convert = %d frames, want 3 (limited by src)", n)
	}
}

func TestConverterErrors(t *testing.T) {
	for _, tt := range []struct {
		from, to    pcm.Format
		inCh, outCh int
	}{
		{pcm.Format(99), pcm.FormatS16LE, 2, 2},
		{pcm.FormatS16LE, pcm.Format(-1), 2, 2},
		{pcm.FormatS16LE, pcm.FormatS16LE, 0, 2},
		{pcm.FormatS16LE, pcm.FormatS16LE, 2, 33},
	} {
		_, err := NewConverter(tt.from, tt.inCh, tt.to, tt.outCh)
		if !errors.Is(err, syscall.EINVAL) {
			t.Errorf("NewConverter(%v, %d, %v, %d) = %v, want EINVAL", tt.from, tt.inCh, tt.to, tt.outCh, err)
		}
	}
}

// Benchmarks: compare each against BenchmarkConvertCopy in the same run
// (bytes/s are of the input).
func benchConvert(b *testing.B, from pcm.Format, inCh int, to pcm.Format, outCh int) {
	c, err := NewConverter(from, inCh, to, outCh)
	if err != nil {
		b.Fatal(err)
	}
	const frames = 4096
	src := canonical(b, from, frames*inCh, 3)
	dst := make([]byte, frames*c.OutFrameBytes())
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for b.Loop() {
		c.Convert(dst, src)
	}
}

func BenchmarkConvertCopy(b *testing.B) { benchConvert(b, pcm.FormatS16LE, 2, pcm.FormatS16LE, 2) }
func BenchmarkConvertS16Swap(b *testing.B) {
	benchConvert(b, pcm.FormatS16LE, 2, pcm.FormatS16BE, 2)
}
func BenchmarkConvertS16ToS32(b *testing.B) {
	benchConvert(b, pcm.FormatS16LE, 2, pcm.FormatS32LE, 2)
}
func BenchmarkConvertS16ToFloat(b *testing.B) {
	benchConvert(b, pcm.FormatS16LE, 2, pcm.FormatFloatLE, 2)
}
func BenchmarkConvertFloatToS16(b *testing.B) {
	benchConvert(b, pcm.FormatFloatLE, 2, pcm.FormatS16LE, 2)
}
func BenchmarkConvertStereoToMono(b *testing.B) {
	benchConvert(b, pcm.FormatS16LE, 2, pcm.FormatS16LE, 1)
}
func BenchmarkConvertS24_3ToS32(b *testing.B) {
	benchConvert(b, pcm.FormatS24_3LE, 2, pcm.FormatS32LE, 2)
}

// BenchmarkConvertS16SwapIntPath is S16Swap forced through the general
// integer path: the baseline for the swap fast path.
func BenchmarkConvertS16SwapIntPath(b *testing.B) {
	c, _ := NewConverter(pcm.FormatS16LE, 2, pcm.FormatS16BE, 2)
	c.mode = modeInt
	src := canonical(b, pcm.FormatS16LE, 4096*2, 3)
	dst := make([]byte, len(src))
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		c.Convert(dst, src)
	}
}

// TestSwapPathMatchesIntPath: the byte-swap/sign-flip fast path gives the
// same bytes as the general integer path for every pair it takes.
func TestSwapPathMatchesIntPath(t *testing.T) {
	n := 0
	for _, a := range Formats {
		for _, b := range Formats {
			fast, _ := NewConverter(a, 2, b, 2)
			if fast.mode != modeSwap {
				continue
			}
			n++
			slow, _ := NewConverter(a, 2, b, 2)
			slow.mode = modeInt
			src := canonical(t, a, 2*300, 11)
			want := make([]byte, 300*slow.OutFrameBytes())
			got := make([]byte, len(want))
			slow.Convert(want, src)
			fast.Convert(got, src)
			if !bytes.Equal(got, want) {
				t.Errorf("%v -> %v: swap path differs at byte %d", a, b, firstDiff(got, want))
			}
		}
	}
	if n != 2+4*3+4*3 { // S8<->U8; each of the 4 16-bit and 4 32-bit formats to the 3 others
		t.Fatalf("%d pairs take the swap path", n)
	}
}
