package pcm

import "fmt"

// Format is an ALSA sample format, numbered as SNDRV_PCM_FORMAT_* in
// include/uapi/sound/asound.h.
type Format int32

// The formats vsnd knows. The numbers are the kernel's.
const (
	FormatS8        Format = 0
	FormatU8        Format = 1
	FormatS16LE     Format = 2
	FormatS16BE     Format = 3
	FormatU16LE     Format = 4
	FormatU16BE     Format = 5
	FormatS24LE     Format = 6 // 24 bits in the low bytes of 4
	FormatS24BE     Format = 7
	FormatU24LE     Format = 8
	FormatU24BE     Format = 9
	FormatS32LE     Format = 10
	FormatS32BE     Format = 11
	FormatU32LE     Format = 12
	FormatU32BE     Format = 13
	FormatFloatLE   Format = 14
	FormatFloatBE   Format = 15
	FormatFloat64LE Format = 16
	FormatFloat64BE Format = 17
	FormatS24_3LE   Format = 32 // 24 bits in 3 bytes
	FormatS24_3BE   Format = 33
	FormatU24_3LE   Format = 34
	FormatU24_3BE   Format = 35

	FormatLast = FormatU24_3BE
)

// formatInfo mirrors the kernel's pcm_formats[] table (sound/core/pcm_misc.c).
type formatInfo struct {
	name   string
	width  int // significant bits (snd_pcm_format_width)
	phys   int // bits in memory (snd_pcm_format_physical_width)
	signed bool
	little bool
	float  bool
}

var formats = map[Format]formatInfo{
	FormatS8:        {"S8", 8, 8, true, true, false},
	FormatU8:        {"U8", 8, 8, false, true, false},
	FormatS16LE:     {"S16_LE", 16, 16, true, true, false},
	FormatS16BE:     {"S16_BE", 16, 16, true, false, false},
	FormatU16LE:     {"U16_LE", 16, 16, false, true, false},
	FormatU16BE:     {"U16_BE", 16, 16, false, false, false},
	FormatS24LE:     {"S24_LE", 24, 32, true, true, false},
	FormatS24BE:     {"S24_BE", 24, 32, true, false, false},
	FormatU24LE:     {"U24_LE", 24, 32, false, true, false},
	FormatU24BE:     {"U24_BE", 24, 32, false, false, false},
	FormatS32LE:     {"S32_LE", 32, 32, true, true, false},
	FormatS32BE:     {"S32_BE", 32, 32, true, false, false},
	FormatU32LE:     {"U32_LE", 32, 32, false, true, false},
	FormatU32BE:     {"U32_BE", 32, 32, false, false, false},
	FormatFloatLE:   {"FLOAT_LE", 32, 32, true, true, true},
	FormatFloatBE:   {"FLOAT_BE", 32, 32, true, false, true},
	FormatFloat64LE: {"FLOAT64_LE", 64, 64, true, true, true},
	FormatFloat64BE: {"FLOAT64_BE", 64, 64, true, false, true},
	FormatS24_3LE:   {"S24_3LE", 24, 24, true, true, false},
	FormatS24_3BE:   {"S24_3BE", 24, 24, true, false, false},
	FormatU24_3LE:   {"U24_3LE", 24, 24, false, true, false},
	FormatU24_3BE:   {"U24_3BE", 24, 24, false, false, false},
}

// Known reports whether vsnd knows the format.
func (f Format) Known() bool { _, ok := formats[f]; return ok }

// Width is the number of significant bits (snd_pcm_format_width), or -EINVAL
// semantics as 0 for an unknown format.
func (f Format) Width() int { return formats[f].width }

// PhysicalWidth is the number of bits a sample occupies in memory
// (snd_pcm_format_physical_width).
func (f Format) PhysicalWidth() int { return formats[f].phys }

// Bytes is PhysicalWidth/8.
func (f Format) Bytes() int { return formats[f].phys / 8 }

// Signed reports whether samples are signed (floats are signed).
func (f Format) Signed() bool { return formats[f].signed }

// LittleEndian reports the byte order (single-byte formats count as little).
func (f Format) LittleEndian() bool { return formats[f].little }

// Float reports an IEEE float format.
func (f Format) Float() bool { return formats[f].float }

// String returns the ALSA name, as snd_pcm_format_name does.
func (f Format) String() string {
	if fi, ok := formats[f]; ok {
		return fi.name
	}
	return fmt.Sprintf("FORMAT(%d)", int32(f))
}

// ParseFormat accepts ALSA names ("S16_LE", "FLOAT_LE", case-insensitive) and
// the host-endian aliases S16, U16, S24, U24, S32, U32, FLOAT, FLOAT64 (little
// endian on every platform vsnd runs on).
func ParseFormat(s string) (Format, error) {
	u := upper(s)
	switch u {
	case "S16", "U16", "S24", "U24", "S32", "U32", "FLOAT", "FLOAT64":
		u += "_LE"
	case "S24_3", "U24_3":
		u += "LE"
	}
	for f, fi := range formats {
		if fi.name == u {
			return f, nil
		}
	}
	return 0, fmt.Errorf("unknown sample format %q", s)
}

// Silence fills buf with the format's silence, as snd_pcm_format_set_silence.
func (f Format) Silence(buf []byte) {
	fi, ok := formats[f]
	if !ok || fi.signed {
		clear(buf)
		return
	}
	n := fi.phys / 8
	// Unsigned: the midpoint, 1 << (width-1), stored in the format's order.
	var mid [8]byte
	for i := 0; i < n; i++ {
		var shift int
		if fi.little {
			shift = 8 * i
		} else {
			shift = 8 * (n - 1 - i)
		}
		mid[i] = byte((uint64(1) << (fi.width - 1)) >> shift)
	}
	for i := 0; i+n <= len(buf); i += n {
		copy(buf[i:i+n], mid[:n])
	}
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// Access is an ALSA access type, SNDRV_PCM_ACCESS_*.
type Access int32

const (
	AccessMMapInterleaved    Access = 0
	AccessMMapNonInterleaved Access = 1
	AccessMMapComplex        Access = 2
	AccessRWInterleaved      Access = 3
	AccessRWNonInterleaved   Access = 4
)

var accessNames = [...]string{"MMAP_INTERLEAVED", "MMAP_NONINTERLEAVED", "MMAP_COMPLEX", "RW_INTERLEAVED", "RW_NONINTERLEAVED"}

func (a Access) String() string {
	if a >= 0 && int(a) < len(accessNames) {
		return accessNames[a]
	}
	return fmt.Sprintf("ACCESS(%d)", int32(a))
}

// Interleaved reports whether frames are stored interleaved.
func (a Access) Interleaved() bool { return a == AccessMMapInterleaved || a == AccessRWInterleaved }

// ParseAccess accepts ALSA names, case-insensitive.
func ParseAccess(s string) (Access, error) {
	u := upper(s)
	for i, n := range accessNames {
		if n == u {
			return Access(i), nil
		}
	}
	return 0, fmt.Errorf("unknown access %q", s)
}
