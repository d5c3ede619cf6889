package endpoint

import (
	"encoding/binary"
	"math"
	"math/bits"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Converter turns interleaved frames of one format and channel count into
// another, as alsa-lib's plug plugin chain would (pcm_linear.c, pcm_lfloat.c,
// pcm_route.c; see the package doc for the rules). It is not safe for
// concurrent use: it owns scratch buffers.
//
// Three paths, chosen once in NewConverter:
//   - copy: same format and channel count; a plain copy, bit-exact.
//   - swap: same channel count, integer formats of the same width that
//     fill their bytes (8, 16, 32 bits) and differ in byte order and/or
//     signedness: a byte swap and/or a flip of the sign bit, bit-exact.
//   - int: both formats integer. Samples go through a left-justified signed
//     32-bit value (sample << (32-width), sign bit flipped for unsigned), so
//     every widening, byte swap and sign flip is exact and narrowing keeps the
//     most significant bits (snd_pcm_linear_convert's truncation).
//   - float: either side is float. Samples go through float64: an integer of
//     width w becomes v / 2^(w-1); a float becomes an integer as alsa-lib's
//     get32float does (>= 1.0 is the maximum, <= -1.0 the minimum, else
//     truncated f * 2^31) and is then narrowed like an int; NaN becomes 0.
type Converter struct {
	from, to    pcm.Format // immutable
	inCh, outCh int        // immutable
	mode        int        // immutable: modeCopy, modeInt or modeFloat

	// Scratch for one chunk of samples, reused across calls.
	ibuf, imap []int32
	fbuf, fmap []float64
}

const (
	modeCopy = iota
	modeSwap // same width, byte order and/or signedness differ
	modeInt
	modeFloat
)

// MaxChannels is the largest channel count a Converter accepts.
const MaxChannels = 32

// chunkFrames bounds the scratch buffers: conversion goes chunk by chunk.
const chunkFrames = 1024

// NewConverter returns a converter from (from, inCh) to (to, outCh). It
// fails with EINVAL for an unknown format or a channel count outside
// 1..MaxChannels.
func NewConverter(from pcm.Format, inCh int, to pcm.Format, outCh int) (*Converter, error) {
	if !from.Known() || !to.Known() {
		return nil, pcm.Errorf(syscall.EINVAL, "cannot convert %v to %v: unknown sample format", from, to)
	}
	if inCh < 1 || inCh > MaxChannels || outCh < 1 || outCh > MaxChannels {
		return nil, pcm.Errorf(syscall.EINVAL, "cannot convert %d to %d channels: channels must be 1..%d", inCh, outCh, MaxChannels)
	}
	c := &Converter{from: from, to: to, inCh: inCh, outCh: outCh}
	switch {
	case from == to && inCh == outCh:
		c.mode = modeCopy
	case inCh == outCh && swapFlippable(from, to):
		c.mode = modeSwap
	case from.Float() || to.Float():
		c.mode = modeFloat
	default:
		c.mode = modeInt
	}
	return c, nil
}

// InFrameBytes is the size of one input frame.
func (c *Converter) InFrameBytes() int { return c.from.Bytes() * c.inCh }

// OutFrameBytes is the size of one output frame.
func (c *Converter) OutFrameBytes() int { return c.to.Bytes() * c.outCh }

// Identity reports whether the converter is a plain copy.
func (c *Converter) Identity() bool { return c.mode == modeCopy }

// Convert converts min(len(src)/InFrameBytes, len(dst)/OutFrameBytes) whole
// frames from src into dst and returns that number of frames.
func (c *Converter) Convert(dst, src []byte) int {
	ib, ob := c.InFrameBytes(), c.OutFrameBytes()
	n := min(len(src)/ib, len(dst)/ob)
	switch c.mode {
	case modeCopy:
		copy(dst[:n*ob], src[:n*ib])
		return n
	case modeSwap:
		swapFlip(c.from, c.to, dst[:n*ob], src[:n*ib])
		return n
	}
	for done := 0; done < n; {
		k := min(n-done, chunkFrames)
		s := src[done*ib : (done+k)*ib]
		d := dst[done*ob : (done+k)*ob]
		if c.mode == modeInt {
			c.convertInt(d, s, k)
		} else {
			c.convertFloat(d, s, k)
		}
		done += k
	}
	return n
}

func (c *Converter) convertInt(dst, src []byte, frames int) {
	c.ibuf = grow(c.ibuf, frames*c.inCh)
	DecodeInt(c.from, src, c.ibuf)
	out := c.ibuf
	if c.inCh != c.outCh {
		c.imap = grow(c.imap, frames*c.outCh)
		mapChannelsInt(c.imap, c.ibuf, c.inCh, c.outCh)
		out = c.imap
	}
	EncodeInt(c.to, dst, out)
}

func (c *Converter) convertFloat(dst, src []byte, frames int) {
	c.fbuf = grow(c.fbuf, frames*c.inCh)
	if c.from.Float() {
		decodeFloat(c.from, src, c.fbuf)
	} else {
		c.ibuf = grow(c.ibuf, frames*c.inCh)
		DecodeInt(c.from, src, c.ibuf)
		for i, v := range c.ibuf {
			c.fbuf[i] = float64(v) * (1.0 / (1 << 31))
		}
	}
	out := c.fbuf
	if c.inCh != c.outCh {
		c.fmap = grow(c.fmap, frames*c.outCh)
		mapChannelsFloat(c.fmap, c.fbuf, c.inCh, c.outCh)
		out = c.fmap
	}
	if c.to.Float() {
		encodeFloat(c.to, dst, out)
		return
	}
	c.ibuf = grow(c.ibuf, len(out))
	for i, f := range out {
		c.ibuf[i] = floatToS32(f)
	}
	EncodeInt(c.to, dst, c.ibuf[:len(out)])
}

// floatToS32 mirrors get32float in alsa-lib's src/pcm/plugin_ops.h.
func floatToS32(f float64) int32 {
	switch {
	case f >= 1.0:
		return math.MaxInt32
	case f <= -1.0:
		return math.MinInt32
	case f != f: // NaN
		return 0
	}
	return int32(f * (1 << 31))
}

// swapFlippable reports whether from -> to is a byte swap and/or sign flip.
func swapFlippable(from, to pcm.Format) bool {
	w := from.Width()
	return !from.Float() && !to.Float() && w == to.Width() &&
		w == from.PhysicalWidth() && w == to.PhysicalWidth() && w != 24
}

// swapFlip converts between integer formats of one width by swapping byte
// order and flipping the sign bit (the shape of pcm_linear.c's conversions
// that only change endianness or signedness). It works on the raw bytes
// read little-endian: the sign bit sits in the target's most significant
// byte.
func swapFlip(from, to pcm.Format, dst, src []byte) {
	swap := from.LittleEndian() != to.LittleEndian()
	flip := from.Signed() != to.Signed()
	le := binary.LittleEndian
	switch from.Bytes() {
	case 1:
		for i, b := range src {
			dst[i] = b ^ 0x80
		}
	case 2:
		var f uint16
		if flip {
			f = 0x8000
			if !to.LittleEndian() {
				f = 0x0080
			}
		}
		n := min(len(src), len(dst)) / 2
		if swap {
			for i := range n {
				le.PutUint16(dst[2*i:2*i+2], bits.ReverseBytes16(le.Uint16(src[2*i:2*i+2]))^f)
			}
		} else {
			for i := range n {
				le.PutUint16(dst[2*i:2*i+2], le.Uint16(src[2*i:2*i+2])^f)
			}
		}
	case 4:
		var f uint32
		if flip {
			f = 0x80000000
			if !to.LittleEndian() {
				f = 0x00000080
			}
		}
		n := min(len(src), len(dst)) / 4
		if swap {
			for i := range n {
				le.PutUint32(dst[4*i:4*i+4], bits.ReverseBytes32(le.Uint32(src[4*i:4*i+4]))^f)
			}
		} else {
			for i := range n {
				le.PutUint32(dst[4*i:4*i+4], le.Uint32(src[4*i:4*i+4])^f)
			}
		}
	}
}

func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// mapChannelsInt applies the channel rules of the package doc: 1->N
// duplicates, N->1 averages, otherwise channel i -> i for i < min(M,N) and
// silence in the rest (pcm_plug.c's PLUG_ROUTE_POLICY_COPY).
func mapChannelsInt(dst, src []int32, m, n int) {
	frames := len(src) / m
	switch {
	case m == 1:
		for f := 0; f < frames; f++ {
			v := src[f]
			o := dst[f*n : f*n+n]
			for i := range o {
				o[i] = v
			}
		}
	case n == 1:
		for f := 0; f < frames; f++ {
			var sum int64
			for _, v := range src[f*m : f*m+m] {
				sum += int64(v)
			}
			dst[f] = int32(sum / int64(m))
		}
	default:
		k := min(m, n)
		for f := 0; f < frames; f++ {
			o := dst[f*n : f*n+n]
			copy(o, src[f*m:f*m+k])
			clear(o[k:]) // zero is silence in the left-justified signed domain
		}
	}
}

// mapChannelsFloat is mapChannelsInt for float64 samples.
func mapChannelsFloat(dst, src []float64, m, n int) {
	frames := len(src) / m
	switch {
	case m == 1:
		for f := 0; f < frames; f++ {
			v := src[f]
			o := dst[f*n : f*n+n]
			for i := range o {
				o[i] = v
			}
		}
	case n == 1:
		for f := 0; f < frames; f++ {
			var sum float64
			for _, v := range src[f*m : f*m+m] {
				sum += v
			}
			dst[f] = sum / float64(m)
		}
	default:
		k := min(m, n)
		for f := 0; f < frames; f++ {
			o := dst[f*n : f*n+n]
			copy(o, src[f*m:f*m+k])
			clear(o[k:])
		}
	}
}

// intLayout describes how an integer format is stored: bytes per sample,
// byte order, and the shift/flip that left-justify it into a signed int32.
func intLayout(f pcm.Format) (size int, little bool, shift uint, flip uint32) {
	size = f.Bytes()
	little = f.LittleEndian()
	shift = uint(32 - f.Width())
	if !f.Signed() {
		flip = 0x80000000
	}
	return
}

// DecodeInt reads len(dst) integer samples of format f from src into
// left-justified signed 32-bit values (sample << (32-width), sign bit
// flipped for unsigned; the shape of snd_pcm_linear_get in pcm_linear.c).
// A 24-bit sample in 4 bytes takes the low three bytes; the top byte is
// ignored. f must be a known integer format and src must hold len(dst)
// samples. It is the one integer sample decoder of vsnd: mixer.Scale uses
// it too.
func DecodeInt(f pcm.Format, src []byte, dst []int32) {
	size, little, shift, flip := intLayout(f)
	switch {
	case size == 1:
		for i := range dst {
			dst[i] = int32(uint32(src[i])<<24 ^ flip)
		}
	case size == 2 && little:
		for i := range dst {
			dst[i] = int32(uint32(binary.LittleEndian.Uint16(src[2*i:]))<<16 ^ flip)
		}
	case size == 2:
		for i := range dst {
			dst[i] = int32(uint32(binary.BigEndian.Uint16(src[2*i:]))<<16 ^ flip)
		}
	case size == 3 && little:
		for i := range dst {
			s := src[3*i : 3*i+3]
			dst[i] = int32((uint32(s[0])<<8 | uint32(s[1])<<16 | uint32(s[2])<<24) ^ flip)
		}
	case size == 3:
		for i := range dst {
			s := src[3*i : 3*i+3]
			dst[i] = int32((uint32(s[2])<<8 | uint32(s[1])<<16 | uint32(s[0])<<24) ^ flip)
		}
	case little:
		for i := range dst {
			dst[i] = int32(binary.LittleEndian.Uint32(src[4*i:])<<shift ^ flip)
		}
	default:
		for i := range dst {
			dst[i] = int32(binary.BigEndian.Uint32(src[4*i:])<<shift ^ flip)
		}
	}
}

// EncodeInt is the inverse of DecodeInt: it writes len(src) samples into
// dst and keeps the format's width of
// most significant bits (truncation, as snd_pcm_linear_convert). A 24-bit
// sample in 4 bytes is written sign-extended (signed) or with a zero top
// byte (unsigned).
func EncodeInt(f pcm.Format, dst []byte, src []int32) {
	size, little, shift, flip := intLayout(f)
	switch {
	case size == 1:
		for i, v := range src {
			dst[i] = byte((uint32(v) ^ flip) >> 24)
		}
	case size == 2 && little:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], uint16((uint32(v)^flip)>>16))
		}
	case size == 2:
		for i, v := range src {
			binary.BigEndian.PutUint16(dst[2*i:], uint16((uint32(v)^flip)>>16))
		}
	case size == 3 && little:
		for i, v := range src {
			u := uint32(v) ^ flip
			d := dst[3*i : 3*i+3]
			d[0], d[1], d[2] = byte(u>>8), byte(u>>16), byte(u>>24)
		}
	case size == 3:
		for i, v := range src {
			u := uint32(v) ^ flip
			d := dst[3*i : 3*i+3]
			d[2], d[1], d[0] = byte(u>>8), byte(u>>16), byte(u>>24)
		}
	default:
		for i, v := range src {
			var u uint32
			if flip == 0 {
				u = uint32(v >> shift) // arithmetic: sign-extends S24 into the top byte
			} else {
				u = (uint32(v) ^ flip) >> shift
			}
			if little {
				binary.LittleEndian.PutUint32(dst[4*i:], u)
			} else {
				binary.BigEndian.PutUint32(dst[4*i:], u)
			}
		}
	}
}

// decodeFloat reads FLOAT or FLOAT64 samples of either byte order.
func decodeFloat(f pcm.Format, src []byte, dst []float64) {
	switch f {
	case pcm.FormatFloatLE:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:])))
		}
	case pcm.FormatFloatBE:
		for i := range dst {
			dst[i] = float64(math.Float32frombits(binary.BigEndian.Uint32(src[4*i:])))
		}
	case pcm.FormatFloat64LE:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
		}
	case pcm.FormatFloat64BE:
		for i := range dst {
			dst[i] = math.Float64frombits(binary.BigEndian.Uint64(src[8*i:]))
		}
	}
}

// encodeFloat writes FLOAT or FLOAT64 samples; values are not clamped
// (alsa-lib's put32float does not clamp either: floats may exceed 1.0).
func encodeFloat(f pcm.Format, dst []byte, src []float64) {
	switch f {
	case pcm.FormatFloatLE:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(float32(v)))
		}
	case pcm.FormatFloatBE:
		for i, v := range src {
			binary.BigEndian.PutUint32(dst[4*i:], math.Float32bits(float32(v)))
		}
	case pcm.FormatFloat64LE:
		for i, v := range src {
			binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(v))
		}
	case pcm.FormatFloat64BE:
		for i, v := range src {
			binary.BigEndian.PutUint64(dst[8*i:], math.Float64bits(v))
		}
	}
}

// Formats lists every sample format the converter (and the PCM core)
// supports, in kernel order.
var Formats = []pcm.Format{
	pcm.FormatS8, pcm.FormatU8,
	pcm.FormatS16LE, pcm.FormatS16BE, pcm.FormatU16LE, pcm.FormatU16BE,
	pcm.FormatS24LE, pcm.FormatS24BE, pcm.FormatU24LE, pcm.FormatU24BE,
	pcm.FormatS32LE, pcm.FormatS32BE, pcm.FormatU32LE, pcm.FormatU32BE,
	pcm.FormatFloatLE, pcm.FormatFloatBE, pcm.FormatFloat64LE, pcm.FormatFloat64BE,
	pcm.FormatS24_3LE, pcm.FormatS24_3BE, pcm.FormatU24_3LE, pcm.FormatU24_3BE,
}
