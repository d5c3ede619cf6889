package endpoint

import (
	"bufio"
	"encoding/binary"
	"io"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// WAV format tags (mmreg.h) and the subformat GUID tail shared by
// KSDATAFORMAT_SUBTYPE_PCM and _IEEE_FLOAT (ksmedia.h).
const (
	wavePCM        = 0x0001
	waveFloat      = 0x0003
	waveExtensible = 0xFFFE
)

var guidTail = [14]byte{0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71}

// WAVStorage returns how a stream format is stored in a WAV file: the
// format of the bytes in the file's data chunk (always one WAV can hold:
// U8, S16_LE, S24_3LE, S32_LE, FLOAT_LE, FLOAT64_LE) and the number of valid
// bits. Every mapping is lossless; see the table in the package doc.
func WAVStorage(f pcm.Format) (file pcm.Format, validBits int, err error) {
	switch f {
	case pcm.FormatS8, pcm.FormatU8:
		return pcm.FormatU8, 8, nil
	case pcm.FormatS16LE, pcm.FormatS16BE, pcm.FormatU16LE, pcm.FormatU16BE:
		return pcm.FormatS16LE, 16, nil
	case pcm.FormatS24_3LE, pcm.FormatS24_3BE, pcm.FormatU24_3LE, pcm.FormatU24_3BE:
		return pcm.FormatS24_3LE, 24, nil
	case pcm.FormatS24LE, pcm.FormatS24BE, pcm.FormatU24LE, pcm.FormatU24BE:
		// WAVE_FORMAT_EXTENSIBLE stores valid bits left-justified in the
		// container, low bits zero: exactly S32_LE of the sample << 8.
		return pcm.FormatS32LE, 24, nil
	case pcm.FormatS32LE, pcm.FormatS32BE, pcm.FormatU32LE, pcm.FormatU32BE:
		return pcm.FormatS32LE, 32, nil
	case pcm.FormatFloatLE, pcm.FormatFloatBE:
		return pcm.FormatFloatLE, 32, nil
	case pcm.FormatFloat64LE, pcm.FormatFloat64BE:
		return pcm.FormatFloat64LE, 64, nil
	}
	return 0, 0, pcm.Errorf(syscall.EINVAL, "WAV cannot store sample format %v", f)
}

// DefaultHeaderEvery is how much audio a WAVWriter writes between two
// rewrites of the header's sizes when UpdateEvery is left 0: about one
// second, and at most this many bytes.
const DefaultHeaderEvery = 4 << 20

// wavWriterTarget is what a WAVWriter writes to: sequential data plus
// positioned rewrites of the header (an *os.File).
type wavWriterTarget interface {
	io.Writer
	io.WriterAt
}

// WAVWriter writes a RIFF/WAVE file: the header at creation, the data as it
// comes, and the RIFF, fact and data sizes again every UpdateEvery bytes and
// at Close, so the file is valid up to the last update at any time.
//
// A WAVWriter is used by one goroutine at a time (a sink's pump).
type WAVWriter struct {
	w    wavWriterTarget // immutable
	buf  *bufio.Writer   // immutable; buffers w's sequential writes
	conv *Converter      // immutable; stream format -> file format, lossless

	frameIn, frameOut int   // immutable: bytes per frame, stream and file
	factOff, dataOff  int64 // immutable: offset of the fact count (0: none), of the data
	dataBytes         int64 // data written to buf so far
	lastUpdate        int64 // dataBytes at the last header rewrite
	every             int64 // immutable: bytes between header rewrites
	scratch           []byte
	closed            bool
}

// NewWAVWriter writes the header for frames of format f, ch channels at
// rate Hz to w (positioned at offset 0) and returns a writer for the data.
// updateEvery is the number of data bytes between header rewrites; 0 means
// about one second of audio (at most DefaultHeaderEvery).
func NewWAVWriter(w wavWriterTarget, f pcm.Format, ch, rate int, updateEvery int64) (*WAVWriter, error) {
	file, valid, err := WAVStorage(f)
	if err != nil {
		return nil, err
	}
	if rate <= 0 {
		return nil, pcm.Errorf(syscall.EINVAL, "WAV rate %d must be positive", rate)
	}
	conv, err := NewConverter(f, ch, file, ch)
	if err != nil {
		return nil, err
	}
	ww := &WAVWriter{w: w, buf: bufio.NewWriterSize(w, 64<<10), conv: conv,
		frameIn: f.Bytes() * ch, frameOut: file.Bytes() * ch, every: updateEvery}
	if ww.every <= 0 {
		ww.every = min(int64(rate)*int64(ww.frameOut), DefaultHeaderEvery)
	}
	hdr := ww.header(file, valid, ch, rate)
	if _, err := ww.buf.Write(hdr); err != nil {
		return nil, err
	}
	if err := ww.Sync(); err != nil {
		return nil, err
	}
	return ww, nil
}

// header builds the RIFF header with zero sizes and records where the size
// fields are.
func (ww *WAVWriter) header(file pcm.Format, valid, ch, rate int) []byte {
	container := file.PhysicalWidth()
	tag := uint16(wavePCM)
	if file.Float() {
		tag = waveFloat
	}
	ext := ch > 2 || valid != container
	le := binary.LittleEndian
	var h []byte
	h = append(h, "RIFF\x00\x00\x00\x00WAVEfmt "...)
	fmtLen := 16
	switch {
	case ext:
		fmtLen = 40
	case file.Float():
		fmtLen = 18 // non-PCM tags carry cbSize
	}
	h = le.AppendUint32(h, uint32(fmtLen))
	if ext {
		h = le.AppendUint16(h, waveExtensible)
	} else {
		h = le.AppendUint16(h, tag)
	}
	h = le.AppendUint16(h, uint16(ch))
	h = le.AppendUint32(h, uint32(rate))
	h = le.AppendUint32(h, uint32(rate*ww.frameOut))
	h = le.AppendUint16(h, uint16(ww.frameOut))
	h = le.AppendUint16(h, uint16(container))
	if ext {
		h = le.AppendUint16(h, 22)
		h = le.AppendUint16(h, uint16(valid))
		h = le.AppendUint32(h, 0) // dwChannelMask: layout not known (see doc)
		h = le.AppendUint16(h, tag)
		h = append(h, guidTail[:]...)
	} else if fmtLen == 18 {
		h = le.AppendUint16(h, 0)
	}
	if file.Float() { // non-PCM data needs a fact chunk: the frame count
		h = append(h, "fact\x04\x00\x00\x00"...)
		ww.factOff = int64(len(h))
		h = le.AppendUint32(h, 0)
	}
	h = append(h, "data\x00\x00\x00\x00"...)
	ww.dataOff = int64(len(h))
	return h
}

// Write takes whole frames in the stream format.
func (ww *WAVWriter) Write(p []byte) (int, error) {
	if ww.closed {
		return 0, pcm.Errorf(syscall.EBADF, "WAV writer is closed")
	}
	p = p[:len(p)/ww.frameIn*ww.frameIn]
	total := 0
	for len(p) > 0 {
		var out []byte
		n := len(p)
		if ww.conv.Identity() {
			out = p
		} else {
			n = min(len(p), chunkFrames*ww.frameIn)
			ww.scratch = grow(ww.scratch, n/ww.frameIn*ww.frameOut)
			ww.conv.Convert(ww.scratch, p[:n])
			out = ww.scratch
		}
		if _, err := ww.buf.Write(out); err != nil {
			return total, err
		}
		ww.dataBytes += int64(len(out))
		total += n
		p = p[n:]
	}
	if ww.dataBytes-ww.lastUpdate >= ww.every {
		if err := ww.Sync(); err != nil {
			return total, err
		}
	}
	return total, nil
}

// Frames is the number of frames written.
func (ww *WAVWriter) Frames() int64 { return ww.dataBytes / int64(ww.frameOut) }

// Sync flushes buffered data and rewrites the sizes in the header, so the
// file is a valid WAV holding everything written so far.
func (ww *WAVWriter) Sync() error {
	if err := ww.buf.Flush(); err != nil {
		return err
	}
	ww.lastUpdate = ww.dataBytes
	le := binary.LittleEndian
	var b [4]byte
	// RIFF and data sizes saturate at 4 GiB - 1 (readers then trust the
	// file's length; see the doc).
	riff := ww.dataOff - 8 + ww.dataBytes
	if ww.closed {
		riff += ww.dataBytes & 1 // the pad byte Close wrote
	}
	le.PutUint32(b[:], sat32(riff))
	if _, err := ww.w.WriteAt(b[:], 4); err != nil {
		return err
	}
	if ww.factOff != 0 {
		le.PutUint32(b[:], sat32(ww.Frames()))
		if _, err := ww.w.WriteAt(b[:], ww.factOff); err != nil {
			return err
		}
	}
	le.PutUint32(b[:], sat32(ww.dataBytes))
	_, err := ww.w.WriteAt(b[:], ww.dataOff-4)
	return err
}

func sat32(v int64) uint32 {
	if v > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(v)
}

// Close pads an odd-sized data chunk (RIFF chunks are word aligned), writes
// the final sizes and makes further Writes fail. It does not close the
// underlying file. Close is idempotent.
func (ww *WAVWriter) Close() error {
	if ww.closed {
		return nil
	}
	ww.closed = true
	if ww.dataBytes&1 != 0 {
		if err := ww.buf.WriteByte(0); err != nil {
			return err
		}
	}
	return ww.Sync()
}
