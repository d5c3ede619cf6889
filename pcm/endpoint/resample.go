package endpoint

import (
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// chain converts a stream of frames from one (format, channels, rate) to
// another: a Converter when the rates match, else Converter to FLOAT64,
// linear resampler, Converter to the output format. Converted frames queue
// in pending until pulled. Not safe for concurrent use.
type chain struct {
	direct *Converter // rates equal: the whole chain
	toF    *Converter // rates differ: input -> FLOAT64_LE with the output's channels
	rs     *resampler
	fromF  *Converter // FLOAT64_LE -> output format

	inFrame, outFrame int // immutable: bytes per frame
	inRate, outRate   int // immutable

	pending []byte // converted frames not yet pulled, from off on
	off     int
	fbytes  []byte
	fbuf    []float64
	obuf    []float64
}

func newChain(inF pcm.Format, inCh, inRate int, outF pcm.Format, outCh, outRate int) (*chain, error) {
	if inRate <= 0 || outRate <= 0 {
		return nil, pcm.Errorf(syscall.EINVAL, "cannot resample %d Hz to %d Hz", inRate, outRate)
	}
	c := &chain{inRate: inRate, outRate: outRate}
	var err error
	if inRate == outRate {
		if c.direct, err = NewConverter(inF, inCh, outF, outCh); err != nil {
			return nil, err
		}
		c.inFrame, c.outFrame = c.direct.InFrameBytes(), c.direct.OutFrameBytes()
		return c, nil
	}
	if c.toF, err = NewConverter(inF, inCh, pcm.FormatFloat64LE, outCh); err != nil {
		return nil, err
	}
	if c.fromF, err = NewConverter(pcm.FormatFloat64LE, outCh, outF, outCh); err != nil {
		return nil, err
	}
	c.rs = &resampler{ch: outCh, in: int64(inRate), out: int64(outRate)}
	c.inFrame, c.outFrame = c.toF.InFrameBytes(), c.fromF.OutFrameBytes()
	return c, nil
}

// identity reports whether the chain is a plain copy.
func (c *chain) identity() bool { return c.direct != nil && c.direct.Identity() }

// buffered is the number of converted bytes waiting to be pulled.
func (c *chain) buffered() int { return len(c.pending) - c.off }

// inFramesFor estimates the input frames that yield about outFrames frames.
func (c *chain) inFramesFor(outFrames int) int {
	return max(1, int(int64(outFrames)*int64(c.inRate)/int64(c.outRate)))
}

// push converts the whole frames of src and queues the result.
func (c *chain) push(src []byte) {
	n := len(src) / c.inFrame
	if n == 0 {
		return
	}
	if c.direct != nil {
		c.direct.Convert(c.extend(n*c.outFrame), src)
		return
	}
	c.fbytes = grow(c.fbytes, n*c.toF.OutFrameBytes())
	c.toF.Convert(c.fbytes, src)
	c.fbuf = grow(c.fbuf, n*c.rs.ch)
	decodeFloat(pcm.FormatFloat64LE, c.fbytes, c.fbuf)
	c.obuf = c.rs.process(c.obuf[:0], c.fbuf)
	m := len(c.obuf) / c.rs.ch
	c.fbytes = grow(c.fbytes, len(c.obuf)*8)
	encodeFloat(pcm.FormatFloat64LE, c.fbytes, c.obuf)
	c.fromF.Convert(c.extend(m*c.outFrame), c.fbytes)
}

// extend makes room for n more bytes at the end of pending and returns it,
// first moving unpulled bytes to the front.
func (c *chain) extend(n int) []byte {
	if c.off > 0 {
		k := copy(c.pending, c.pending[c.off:])
		c.pending, c.off = c.pending[:k], 0
	}
	at := len(c.pending)
	if cap(c.pending) < at+n {
		np := make([]byte, at, 2*(at+n))
		copy(np, c.pending)
		c.pending = np
	}
	c.pending = c.pending[:at+n]
	return c.pending[at:]
}

// pull moves queued whole frames into p and returns the bytes moved.
func (c *chain) pull(p []byte) int {
	n := min(len(p), c.buffered()) / c.outFrame * c.outFrame
	copy(p, c.pending[c.off:c.off+n])
	c.off += n
	if c.off == len(c.pending) {
		c.pending, c.off = c.pending[:0], 0
	}
	return n
}

// resampler is a streaming linear interpolator over interleaved float64
// frames. Output frame k sits at input time k*in/out; the position is kept
// as an integer count of 1/out input frames, so it never drifts.
type resampler struct {
	ch      int   // immutable
	in, out int64 // immutable: rates
	pos     int64 // next output's position after prev, in 1/out input frames
	prev    []float64
	primed  bool
}

// process appends to dst the output frames that src makes computable.
func (r *resampler) process(dst, src []float64) []float64 {
	ch := r.ch
	n := int64(len(src) / ch)
	if n == 0 {
		return dst
	}
	if !r.primed {
		r.prev = append(r.prev[:0], src[:ch]...)
		r.primed = true
		src = src[ch:]
		n--
	}
	// x[0] is prev, x[j] is frame j-1 of src.
	frame := func(j int64) []float64 {
		if j == 0 {
			return r.prev
		}
		return src[(j-1)*int64(ch) : j*int64(ch)]
	}
	for {
		idx := r.pos / r.out
		if idx+1 > n {
			break
		}
		frac := float64(r.pos%r.out) / float64(r.out)
		a, b := frame(idx), frame(idx+1)
		for i := 0; i < ch; i++ {
			dst = append(dst, a[i]+(b[i]-a[i])*frac)
		}
		r.pos += r.in
	}
	if n > 0 {
		r.pos -= n * r.out
		copy(r.prev, src[(n-1)*int64(ch):n*int64(ch)])
	}
	return dst
}
