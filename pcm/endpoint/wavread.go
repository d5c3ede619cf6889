package endpoint

import (
	"encoding/binary"
	"errors"
	"io"
	"os"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// WAVInfo describes a parsed WAV file.
type WAVInfo struct {
	Format      pcm.Format // format a WAVReader delivers frames in
	Channels    int
	Rate        int
	Frames      int64  // frames in the data chunk (clamped to the file)
	ValidBits   int    // significant bits per sample
	ChannelMask uint32 // dwChannelMask of an extensible header, else 0
	Extensible  bool   // the header was WAVE_FORMAT_EXTENSIBLE
}

// WAVReader reads the frames of a RIFF/WAVE file. It accepts PCM (8, 16, 24,
// 32 bits; also arecord's 24-bit-in-4-bytes form), IEEE float (32, 64) and
// WAVE_FORMAT_EXTENSIBLE of either, skips chunks it does not know, and
// trusts the file's length over a data size that is larger (a file whose
// writer died, or a streamed size of 0xFFFFFFFF) or zero.
type WAVReader struct {
	r       io.ReadSeeker // immutable
	info    WAVInfo       // immutable but Frames, which shrinks to what Read finds if the file does
	conv    *Converter    // immutable; nil if the file's bytes are info.Format
	frameIn int           // immutable; bytes per frame in the file
	dataOff int64         // immutable
	pos     int64         // frames read since the start of the data
	scratch []byte
}

// NewWAVReader parses the header of r. Errors are EINVAL with a reason for
// a file that is not a WAV vsnd can play.
func NewWAVReader(r io.ReadSeeker) (*WAVReader, error) {
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || string(hdr[0:4]) != "RIFF" || string(hdr[8:12]) != "WAVE" {
		return nil, pcm.Errorf(syscall.EINVAL, "not a RIFF/WAVE file")
	}
	le := binary.LittleEndian
	wr := &WAVReader{r: r}
	var fmtChunk []byte
	off := int64(12)
	for {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			if fmtChunk == nil {
				return nil, pcm.Errorf(syscall.EINVAL, "WAV file has no fmt chunk")
			}
			return nil, pcm.Errorf(syscall.EINVAL, "WAV file has no data chunk")
		}
		id, size := string(ch[0:4]), int64(le.Uint32(ch[4:8]))
		off += 8
		if id == "fmt " {
			if size < 16 || size > 1<<16 {
				return nil, pcm.Errorf(syscall.EINVAL, "WAV fmt chunk has bad size %d", size)
			}
			fmtChunk = make([]byte, size)
			if _, err := io.ReadFull(r, fmtChunk); err != nil {
				return nil, pcm.Errorf(syscall.EINVAL, "WAV fmt chunk is truncated")
			}
			if err := wr.parseFmt(fmtChunk); err != nil {
				return nil, err
			}
		} else if id == "data" {
			if fmtChunk == nil {
				return nil, pcm.Errorf(syscall.EINVAL, "WAV data chunk comes before the fmt chunk")
			}
			end, err := r.Seek(0, io.SeekEnd)
			if err != nil {
				return nil, err
			}
			if size == 0 || size > end-off {
				size = end - off
			}
			wr.dataOff = off
			wr.info.Frames = size / int64(wr.frameIn)
			if _, err := r.Seek(off, io.SeekStart); err != nil {
				return nil, err
			}
			return wr, nil
		}
		off += size + size&1
		if _, err := r.Seek(off, io.SeekStart); err != nil {
			return nil, err
		}
	}
}

// parseFmt decodes a fmt chunk into info, frameIn and conv.
func (wr *WAVReader) parseFmt(b []byte) error {
	le := binary.LittleEndian
	tag := le.Uint16(b[0:])
	ch := int(le.Uint16(b[2:]))
	rate := int(le.Uint32(b[4:]))
	align := int(le.Uint16(b[12:]))
	bits := int(le.Uint16(b[14:]))
	if ch < 1 || ch > MaxChannels {
		return pcm.Errorf(syscall.EINVAL, "WAV has %d channels; vsnd handles 1..%d", ch, MaxChannels)
	}
	if rate <= 0 {
		return pcm.Errorf(syscall.EINVAL, "WAV has rate %d", rate)
	}
	if align == 0 || align%ch != 0 {
		return pcm.Errorf(syscall.EINVAL, "WAV block align %d does not fit %d channels", align, ch)
	}
	container := align / ch * 8
	valid := bits
	info := WAVInfo{Channels: ch, Rate: rate}
	if tag == waveExtensible {
		if len(b) < 40 || le.Uint16(b[16:]) < 22 {
			return pcm.Errorf(syscall.EINVAL, "WAV extensible fmt chunk is too short")
		}
		if v := int(le.Uint16(b[18:])); v != 0 {
			valid = v
		}
		info.ChannelMask = le.Uint32(b[20:])
		info.Extensible = true
		if [14]byte(b[26:40]) != guidTail {
			return pcm.Errorf(syscall.EINVAL, "WAV extensible subformat is not PCM or IEEE float")
		}
		tag = le.Uint16(b[24:])
	}
	if tag != wavePCM && tag != waveFloat {
		return pcm.Errorf(syscall.EINVAL, "WAV format tag %#x is not PCM or IEEE float", tag)
	}
	if valid <= 0 || valid > container {
		return pcm.Errorf(syscall.EINVAL, "WAV has %d valid bits in a %d-bit container", valid, container)
	}
	var file pcm.Format
	info.ValidBits = valid
	switch {
	case tag == waveFloat && container == 32:
		file = pcm.FormatFloatLE
	case tag == waveFloat && container == 64:
		file = pcm.FormatFloat64LE
	case tag == waveFloat:
		return pcm.Errorf(syscall.EINVAL, "WAV float with a %d-bit container is not supported", container)
	case container == 8:
		file = pcm.FormatU8
	case container == 16:
		file = pcm.FormatS16LE
	case container == 24:
		file = pcm.FormatS24_3LE
	case container == 32 && valid == 24 && !info.Extensible:
		// arecord's S24_LE file: wBitsPerSample 24, 4 bytes a sample,
		// low-aligned (aplay.c test_wavefile reads it back as S24_LE).
		file = pcm.FormatS24LE
	case container == 32:
		file = pcm.FormatS32LE
	default:
		return pcm.Errorf(syscall.EINVAL, "WAV PCM with a %d-bit container is not supported", container)
	}
	info.Format = file
	if info.Extensible && container == 32 && valid == 24 && file == pcm.FormatS32LE {
		// Left-justified 24 in 32: deliver S24_LE, the format vsnd wrote it
		// from (see WAVStorage); the shift is exact.
		info.Format = pcm.FormatS24LE
		conv, err := NewConverter(file, ch, info.Format, ch)
		if err != nil {
			return err
		}
		wr.conv = conv
	}
	wr.info = info
	wr.frameIn = file.Bytes() * ch
	return nil
}

// Info describes the file.
func (wr *WAVReader) Info() WAVInfo { return wr.info }

// Read fills p with whole frames in Info().Format and returns io.EOF at the
// end of the data.
func (wr *WAVReader) Read(p []byte) (int, error) {
	out := wr.info.Format.Bytes() * wr.info.Channels
	frames := min(int64(len(p)/out), wr.info.Frames-wr.pos)
	if frames <= 0 {
		if wr.pos >= wr.info.Frames {
			return 0, io.EOF
		}
		return 0, nil
	}
	buf := p[:frames*int64(out)]
	if wr.conv != nil {
		wr.scratch = grow(wr.scratch, int(frames)*wr.frameIn)
		buf = wr.scratch
	}
	n, err := io.ReadFull(wr.r, buf)
	got := n / wr.frameIn
	if got > 0 && wr.conv != nil {
		wr.conv.Convert(p, buf[:got*wr.frameIn])
	}
	wr.pos += int64(got)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			wr.info.Frames = wr.pos // the file shrank under us
			if got > 0 {
				return got * out, nil
			}
			return 0, io.EOF
		}
		return got * out, err
	}
	return got * out, nil
}

// Rewind goes back to the first frame.
func (wr *WAVReader) Rewind() error {
	wr.pos = 0
	_, err := wr.r.Seek(wr.dataOff, io.SeekStart)
	return err
}

// ReadWAVFile reads a whole WAV file: its description and all its frames in
// Info.Format. maxBytes limits the frame data (0: no limit); a larger file
// is EFBIG.
func ReadWAVFile(path string, maxBytes int64) (WAVInfo, []byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return WAVInfo{}, nil, err
	}
	defer f.Close()
	wr, err := NewWAVReader(f)
	if err != nil {
		return WAVInfo{}, nil, pcm.Errorf(pcm.Errno(err), "%s: %s", path, reason(err))
	}
	info := wr.Info()
	size := info.Frames * int64(info.Format.Bytes()*info.Channels)
	if maxBytes > 0 && size > maxBytes {
		return info, nil, pcm.Errorf(syscall.EFBIG, "%s: %d bytes of audio exceed the limit of %d", path, size, maxBytes)
	}
	data := make([]byte, size)
	n := 0
	for n < len(data) {
		k, err := wr.Read(data[n:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return info, nil, err
		}
	}
	info = wr.Info()
	return info, data[:n], nil
}

// reason is err's readable text without the errno suffix of a *pcm.Error.
func reason(err error) string {
	var pe *pcm.Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return err.Error()
}
