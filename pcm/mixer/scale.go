package mixer

import (
	"encoding/binary"
	"math"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/endpoint"
)

// Scale multiplies the interleaved samples of p, in format f, in place by
// gains[c] for channel c (len(gains) is the stream's channel count; p
// starts on a frame boundary). Integer samples are truncated toward zero
// (see truncClamp) and clamped to the format's range; unsigned ones are scaled around
// their midpoint (1 << (width-1)), so a factor of 0 gives the format's
// silence (pcm.Format.Silence). Float samples are multiplied and not
// clamped (values past ±1.0 are legal in a float stream); a factor of 0
// gives +0.0. 24-bit samples in 4 bytes use the low 3 bytes, as ALSA's
// S24_LE: the top byte is rewritten as the sign extension (S24) or 0
// (U24). A trailing partial sample is left alone; an unknown format or no
// channels leaves p untouched.
func Scale(f pcm.Format, p []byte, gains []float64) {
	bps := f.Bytes()
	if !f.Known() || len(gains) == 0 || bps == 0 {
		return
	}
	p = p[:len(p)/bps*bps]
	switch f {
	case pcm.FormatS16LE:
		scaleS16LE(p, gains)
	case pcm.FormatS32LE:
		scaleS32LE(p, gains)
	case pcm.FormatFloatLE:
		scaleFloat32LE(p, gains)
	case pcm.FormatFloatBE:
		scaleFloat32(p, gains, binary.BigEndian)
	case pcm.FormatFloat64LE, pcm.FormatFloat64BE:
		scaleFloat64(p, gains, byteOrder(f))
	default:
		scaleInt(f, p, gains)
	}
}

func byteOrder(f pcm.Format) binary.ByteOrder {
	if f.LittleEndian() {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// truncClamp truncates v toward zero into lo..hi. Truncation is what a
// fixed-point multiplier does: the magnitude never exceeds |x·g|, so a
// gain below 1 never clips, and -6.02 dB (×0.500035) halves an S16
// sample within one LSB even at full scale, where rounding would be off
// by 1.15.
func truncClamp(v float64, lo, hi int64) int64 {
	switch {
	case v >= float64(hi):
		return hi
	case v <= float64(lo):
		return lo
	}
	return int64(v)
}

// scaleS16LE is the common case, without the generic decode.
func scaleS16LE(p []byte, gains []float64) {
	c := 0
	for off := 0; off+2 <= len(p); off += 2 {
		x := int16(binary.LittleEndian.Uint16(p[off:]))
		y := truncClamp(float64(x)*gains[c], math.MinInt16, math.MaxInt16)
		binary.LittleEndian.PutUint16(p[off:], uint16(y))
		if c++; c == len(gains) {
			c = 0
		}
	}
}

func scaleS32LE(p []byte, gains []float64) {
	c := 0
	for off := 0; off+4 <= len(p); off += 4 {
		x := int32(binary.LittleEndian.Uint32(p[off:]))
		y := truncClamp(float64(x)*gains[c], math.MinInt32, math.MaxInt32)
		binary.LittleEndian.PutUint32(p[off:], uint32(y))
		if c++; c == len(gains) {
			c = 0
		}
	}
}

// scaleFloat32LE is scaleFloat32 without the byte-order interface calls.
func scaleFloat32LE(p []byte, gains []float64) {
	c := 0
	for off := 0; off+4 <= len(p); off += 4 {
		var y float32
		if g := gains[c]; g != 0 {
			y = float32(float64(math.Float32frombits(binary.LittleEndian.Uint32(p[off:]))) * g)
		}
		binary.LittleEndian.PutUint32(p[off:], math.Float32bits(y))
		if c++; c == len(gains) {
			c = 0
		}
	}
}

func scaleFloat32(p []byte, gains []float64, bo binary.ByteOrder) {
	c := 0
	for off := 0; off+4 <= len(p); off += 4 {
		var y float32
		if g := gains[c]; g != 0 {
			y = float32(float64(math.Float32frombits(bo.Uint32(p[off:]))) * g)
		}
		bo.PutUint32(p[off:], math.Float32bits(y))
		if c++; c == len(gains) {
			c = 0
		}
	}
}

func scaleFloat64(p []byte, gains []float64, bo binary.ByteOrder) {
	c := 0
	for off := 0; off+8 <= len(p); off += 8 {
		var y float64
		if g := gains[c]; g != 0 {
			y = math.Float64frombits(bo.Uint64(p[off:])) * g
		}
		bo.PutUint64(p[off:], math.Float64bits(y))
		if c++; c == len(gains) {
			c = 0
		}
	}
}

// scaleInt handles every integer format: 8, 16, 24 in 3 or 4 bytes and
// 32 bits, signed or unsigned, either byte order. It decodes and encodes
// through endpoint.DecodeInt/EncodeInt (the converter's codec, so one
// decoding per format exists), chunk by chunk through a stack buffer, and
// scales each sample at its own width: the left-justified value shifted
// down arithmetically is the signed sample (unsigned ones already centred
// on their midpoint by the codec's sign flip), so truncation toward zero
// and the clamp happen at the format's width, not at 32 bits.
func scaleInt(f pcm.Format, p []byte, gains []float64) {
	bps, width := f.Bytes(), uint(f.Width())
	shift := 32 - width
	lo, hi := -(int64(1) << (width - 1)), int64(1)<<(width-1)-1
	var buf [256]int32
	c := 0
	for len(p) > 0 {
		n := min(len(buf), len(p)/bps)
		v := buf[:n]
		chunk := p[:n*bps]
		endpoint.DecodeInt(f, chunk, v)
		for i, x := range v {
			y := truncClamp(float64(x>>shift)*gains[c], lo, hi)
			v[i] = int32(y) << shift
			if c++; c == len(gains) {
				c = 0
			}
		}
		endpoint.EncodeInt(f, chunk, v)
		p = p[n*bps:]
	}
}
