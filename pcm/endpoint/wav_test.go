package endpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

func writeWAV(t *testing.T, path string, f pcm.Format, ch, rate int, data []byte) {
	t.Helper()
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	w, err := NewWAVWriter(file, f, ch, rate, 0)
	if err != nil {
		t.Fatalf("NewWAVWriter(%v, %d): %v", f, ch, err)
	}
	// Write in uneven pieces of whole frames.
	fb := f.Bytes() * ch
	for rest := data; len(rest) > 0; {
		n := min(len(rest), (37*fb)%len(data)+fb)
		n = n / fb * fb
		if _, err := w.Write(rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestWAVRoundTrip writes every format at several channel counts and reads
// it back: the samples, converted back to the written format, are
// bit-exact, and the header says the right rate and channels.
func TestWAVRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, f := range Formats {
		for _, ch := range []int{1, 2, 3, 6} {
			const frames = 1001
			data := canonical(t, f, frames*ch, 7)
			path := filepath.Join(dir, f.String()+".wav")
			writeWAV(t, path, f, ch, 44100, data)
			info, got, err := ReadWAVFile(path, 0)
			if err != nil {
				t.Fatalf("%v x%d: ReadWAVFile: %v", f, ch, err)
			}
			if info.Channels != ch || info.Rate != 44100 || info.Frames != frames {
				t.Fatalf("%v x%d: info %+v", f, ch, info)
			}
			back := convert(t, info.Format, ch, f, ch, got)
			if !bytes.Equal(back, data) {
				i := firstDiff(back, data)
				t.Fatalf("%v x%d (stored as %v): first difference at byte %d", f, ch, info.Format, i)
			}
			wantExt := ch > 2 || f.PhysicalWidth() != f.Width() && !f.Float()
			if info.Extensible != wantExt {
				t.Errorf("%v x%d: extensible = %v, want %v", f, ch, info.Extensible, wantExt)
			}
		}
	}
}

// TestWAVHeader pins the bytes of two headers.
func TestWAVHeader(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.wav")
	writeWAV(t, p, pcm.FormatS16BE, 2, 48000, []byte{0x12, 0x34, 0x56, 0x78})
	b, _ := os.ReadFile(p)
	want := "RIFF\x28\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x02\x00\x80\xbb\x00\x00\x00\xee\x02\x00\x04\x00\x10\x00data\x04\x00\x00\x00\x34\x12\x78\x56"
	if string(b) != want {
		t.Errorf("S16_BE stereo file:\n got %q\nwant %q", b, want)
	}
	p = filepath.Join(dir, "b.wav")
	writeWAV(t, p, pcm.FormatS24LE, 1, 8000, []byte{0x56, 0x34, 0x12, 0x00})
	b, _ = os.ReadFile(p)
	le := binary.LittleEndian
	if tag, bits, valid := le.Uint16(b[20:]), le.Uint16(b[34:]), le.Uint16(b[38:]); tag != waveExtensible || bits != 32 || valid != 24 {
		t.Errorf("S24_LE: tag %#x bits %d valid %d, want extensible 32/24", tag, bits, valid)
	}
	if data := b[len(b)-4:]; !bytes.Equal(data, []byte{0x00, 0x56, 0x34, 0x12}) {
		t.Errorf("S24_LE sample stored as %x, want left-justified 00563412", data)
	}
	p = filepath.Join(dir, "c.wav")
	writeWAV(t, p, pcm.FormatFloatLE, 1, 8000, make([]byte, 12))
	b, _ = os.ReadFile(p)
	if i := bytes.Index(b, []byte("fact")); i < 0 || le.Uint32(b[i+8:]) != 3 {
		t.Errorf("float file has no fact chunk with 3 frames: %q", b)
	}
}

// TestWAVReaderOddFiles: unknown chunks are skipped, a data size beyond
// the file or zero is clamped, arecord's 24-in-4-bytes PCM is S24_LE.
func TestWAVReaderOddFiles(t *testing.T) {
	le := binary.LittleEndian
	build := func(tag, ch, bits, align uint16, dataSize uint32, data []byte, extra string) []byte {
		var b []byte
		b = append(b, "RIFF\xff\xff\xff\xffWAVE"...)
		b = append(b, "LIST\x03\x00\x00\x00abc\x00"...) // odd size, padded
		b = append(b, "fmt \x10\x00\x00\x00"...)
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, ch)
		b = le.AppendUint32(b, 8000)
		b = le.AppendUint32(b, 8000*uint32(align))
		b = le.AppendUint16(b, align)
		b = le.AppendUint16(b, bits)
		b = append(b, extra...)
		b = append(b, "data"...)
		b = le.AppendUint32(b, dataSize)
		return append(b, data...)
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		name   string
		file   []byte
		format pcm.Format
		frames int64
	}{
		{"truncated data", build(1, 1, 16, 2, 1000, []byte{1, 0, 2, 0, 3}, "junk\x02\x00\x00\x00zz"), pcm.FormatS16LE, 2},
		{"zero data size", build(1, 2, 8, 2, 0, []byte{1, 2, 3, 4}, ""), pcm.FormatU8, 2},
		{"arecord S24_LE", build(1, 1, 24, 4, 8, []byte{1, 2, 3, 0, 4, 5, 6, 0}, ""), pcm.FormatS24LE, 2},
		{"float64", build(3, 1, 64, 8, 8, make([]byte, 8), ""), pcm.FormatFloat64LE, 1},
	} {
		p := filepath.Join(dir, "x.wav")
		os.WriteFile(p, tt.file, 0o644)
		info, data, err := ReadWAVFile(p, 0)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if info.Format != tt.format || info.Frames != tt.frames || len(data) != int(tt.frames)*tt.format.Bytes()*info.Channels {
			t.Errorf("%s: got %+v with %d bytes, want %v and %d frames", tt.name, info, len(data), tt.format, tt.frames)
		}
	}
	for _, tt := range []struct{ name, file, why string }{
		{"not riff", "RIFX\x00\x00\x00\x00WAVE", "not a RIFF/WAVE"},
		{"no fmt", "RIFF\x00\x00\x00\x00WAVE", "no fmt chunk"},
		{"mp3", string(build(0x55, 1, 0, 1, 0, nil, "")), "not PCM or IEEE float"},
		{"no data", strings.TrimSuffix(string(build(1, 1, 16, 2, 0, nil, "")), "data\x00\x00\x00\x00"), "no data chunk"},
	} {
		p := filepath.Join(dir, "bad.wav")
		os.WriteFile(p, []byte(tt.file), 0o644)
		_, _, err := ReadWAVFile(p, 0)
		if !errors.Is(err, syscall.EINVAL) || !strings.Contains(err.Error(), tt.why) {
			t.Errorf("%s: err = %v, want EINVAL mentioning %q", tt.name, err, tt.why)
		}
	}
}

// TestWAVSoxAgrees asks sox, when installed, what it makes of our files.
// It is skipped without sox (not in .ci/packages).
func TestWAVSoxAgrees(t *testing.T) {
	soxi, err := exec.LookPath("soxi")
	if err != nil {
		t.Skip("soxi not installed")
	}
	sox, err := exec.LookPath("sox")
	if err != nil {
		t.Skip("sox not installed")
	}
	dir := t.TempDir()
	for _, tt := range []struct {
		f    pcm.Format
		ch   int
		want string // soxi -e output
		bits string // soxi -b output
	}{
		{pcm.FormatS16BE, 2, "Signed Integer PCM", "16"},
		{pcm.FormatU16LE, 1, "Signed Integer PCM", "16"},
		{pcm.FormatS8, 1, "Unsigned Integer PCM", "8"},
		{pcm.FormatS24_3LE, 6, "Signed Integer PCM", "24"},
		// Not S24_LE: sox 14.4 refuses valid bits < container ("WAVE
		// file fmt with padded samples is not supported yet").
		{pcm.FormatS32BE, 2, "Signed Integer PCM", "32"},
		{pcm.FormatFloatBE, 3, "Floating Point PCM", "32"},
		{pcm.FormatFloat64LE, 1, "Floating Point PCM", "64"},
	} {
		p := filepath.Join(dir, tt.f.String()+".wav")
		writeWAV(t, p, tt.f, tt.ch, 22050, canonical(t, tt.f, 500*tt.ch, 9))
		// sox decodes the samples to what vsnd's converter makes of the
		// stream's samples (float64 is exact for every format here).
		raw, err := exec.Command(sox, p, "-t", "raw", "-e", "floating-point", "-b", "64", "-L", "-").Output()
		want := convert(t, tt.f, tt.ch, pcm.FormatFloat64LE, tt.ch, canonical(t, tt.f, 500*tt.ch, 9))
		if err != nil || len(raw) != len(want) {
			t.Errorf("sox decodes %v x%d to %d bytes (%v), want %d", tt.f, tt.ch, len(raw), err, len(want))
			continue
		}
		// sox holds samples as int32, so floats come back within 2^-31.
		for i := 0; i < len(want); i += 8 {
			a := math.Float64frombits(binary.LittleEndian.Uint64(raw[i:]))
			b := math.Float64frombits(binary.LittleEndian.Uint64(want[i:]))
			if a != b && !(tt.f.Float() && math.Abs(a-b) <= 0x1p-31) {
				t.Errorf("sox decodes %v x%d sample %d as %v, vsnd as %v", tt.f, tt.ch, i/8, a, b)
				break
			}
		}
		for flag, want := range map[string]string{"-e": tt.want, "-b": tt.bits, "-c": strconv.Itoa(tt.ch), "-r": "22050", "-s": "500"} {
			out, err := exec.Command(soxi, flag, p).Output() // stderr: sox warns about extensible float
			if err != nil || strings.TrimSpace(string(out)) != want {
				t.Errorf("soxi %s %v x%d: %q (%v), want %q", flag, tt.f, tt.ch, out, err, want)
			}
		}
	}
}
