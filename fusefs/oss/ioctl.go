package oss

import (
	"encoding/binary"
	"fmt"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// The OSS ABI of include/uapi/linux/soundcard.h on x86_64. Names are the
// header's, letter for letter, so a constant can be grepped in the header
// and the tests compare each one with what gcc computes from it.
//
// A request number packs, as _IOC does (include/uapi/asm-generic/ioctl.h):
//
//	bits 31..30  direction (_IOC_NONE 0, _IOC_WRITE 1, _IOC_READ 2)
//	bits 29..16  size of the argument
//	bits 15..8   type ('P' for /dev/dsp, 'M' for the mixer)
//	bits  7..0   number
//
// FUSE's restricted ioctls copy the argument in when the direction has
// _IOC_WRITE and copy the reply out when it has _IOC_READ, so every request
// vsnd answers must carry the right direction and size: the tests pin them.

// Ioctl is an ioctl request number.
type Ioctl uint32

const (
	iocNone  = 0
	iocWrite = 1
	iocRead  = 2

	iocSizeShift = 16
	iocDirShift  = 30
	iocSizeMask  = 1<<14 - 1
)

func ioc(dir, typ, nr, size uint32) Ioctl {
	return Ioctl(dir<<iocDirShift | (size&iocSizeMask)<<iocSizeShift | typ<<8 | nr)
}

// _SIO, _SIOR, _SIOW, _SIOWR of soundcard.h (= _IO, _IOR, _IOW, _IOWR).
func sio(typ, nr uint32) Ioctl         { return ioc(iocNone, typ, nr, 0) }
func sior(typ, nr, size uint32) Ioctl  { return ioc(iocRead, typ, nr, size) }
func siow(typ, nr, size uint32) Ioctl  { return ioc(iocWrite, typ, nr, size) }
func siowr(typ, nr, size uint32) Ioctl { return ioc(iocRead|iocWrite, typ, nr, size) }
func (c Ioctl) dir() uint32            { return uint32(c) >> iocDirShift }
func (c Ioctl) Type() byte             { return byte(uint32(c) >> 8) }
func (c Ioctl) Nr() uint32             { return uint32(c) & 0xff }
func (c Ioctl) Size() int              { return int(uint32(c) >> iocSizeShift & iocSizeMask) }
func (c Ioctl) CopiesIn() bool         { return c.dir()&iocWrite != 0 }
func (c Ioctl) CopiesOut() bool        { return c.dir()&iocRead != 0 }
func (c Ioctl) String() string         { return ioctlName(c) }

// Sizes of the argument structs (sizeof on x86_64).
const (
	sizeInt          = 4
	AudioBufInfoSize = 16 // struct audio_buf_info
	CountInfoSize    = 12 // struct count_info
	BuffmemDescSize  = 16 // struct buffmem_desc (a pointer and an int, padded)
	MixerInfoSize    = 92 // struct mixer_info
	OldMixerInfoSize = 48 // struct _old_mixer_info
)

// /dev/dsp requests, SNDCTL_DSP_* and SOUND_PCM_* (soundcard.h), as
// dispatched by snd_pcm_oss_ioctl (sound/core/oss/pcm_oss.c).
const (
	SNDCTL_DSP_RESET         = Ioctl(0x5000) // _SIO('P', 0)
	SNDCTL_DSP_SYNC          = Ioctl(0x5001) // _SIO('P', 1)
	SNDCTL_DSP_POST          = Ioctl(0x5008) // _SIO('P', 8)
	SNDCTL_DSP_NONBLOCK      = Ioctl(0x500e) // _SIO('P', 14)
	SNDCTL_DSP_SETSYNCRO     = Ioctl(0x5015) // _SIO('P', 21)
	SNDCTL_DSP_SETDUPLEX     = Ioctl(0x5016) // _SIO('P', 22)
	SNDCTL_DSP_SPEED         = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 2)
	SNDCTL_DSP_STEREO        = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 3)
	SNDCTL_DSP_GETBLKSIZE    = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 4)
	SNDCTL_DSP_SETFMT        = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 5)
	SNDCTL_DSP_CHANNELS      = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 6)
	SOUND_PCM_WRITE_FILTER   = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 7)
	SNDCTL_DSP_SUBDIVIDE     = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 9)
	SNDCTL_DSP_SETFRAGMENT   = Ioctl(3<<30 | sizeInt<<16 | 'P'<<8 | 10)
	SNDCTL_DSP_GETFMTS       = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 11)
	SNDCTL_DSP_GETOSPACE     = Ioctl(2<<30 | AudioBufInfoSize<<16 | 'P'<<8 | 12)
	SNDCTL_DSP_GETISPACE     = Ioctl(2<<30 | AudioBufInfoSize<<16 | 'P'<<8 | 13)
	SNDCTL_DSP_GETCAPS       = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 15)
	SNDCTL_DSP_GETTRIGGER    = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 16)
	SNDCTL_DSP_SETTRIGGER    = Ioctl(1<<30 | sizeInt<<16 | 'P'<<8 | 16)
	SNDCTL_DSP_GETIPTR       = Ioctl(2<<30 | CountInfoSize<<16 | 'P'<<8 | 17)
	SNDCTL_DSP_GETOPTR       = Ioctl(2<<30 | CountInfoSize<<16 | 'P'<<8 | 18)
	SNDCTL_DSP_MAPINBUF      = Ioctl(2<<30 | BuffmemDescSize<<16 | 'P'<<8 | 19)
	SNDCTL_DSP_MAPOUTBUF     = Ioctl(2<<30 | BuffmemDescSize<<16 | 'P'<<8 | 20)
	SNDCTL_DSP_GETODELAY     = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 23)
	SNDCTL_DSP_PROFILE       = Ioctl(1<<30 | sizeInt<<16 | 'P'<<8 | 23)
	SOUND_PCM_READ_RATE      = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 2)
	SOUND_PCM_READ_BITS      = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 5)
	SOUND_PCM_READ_CHANNELS  = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 6)
	SOUND_PCM_READ_FILTER    = Ioctl(2<<30 | sizeInt<<16 | 'P'<<8 | 7)
	SNDCTL_DSP_SAMPLESIZE    = SNDCTL_DSP_SETFMT
	SOUND_PCM_WRITE_CHANNELS = SNDCTL_DSP_CHANNELS
)

// Version requests, answered by both /dev/dsp and /dev/mixer.
const (
	OSS_GETVERSION  = Ioctl(2<<30 | sizeInt<<16 | 'M'<<8 | 118) // _SIOR('M', 118, int)
	OSS_ALSAEMULVER = Ioctl(2<<30 | sizeInt<<16 | 'M'<<8 | 249) // _SIOR('M', 249, int), pcm_oss.c and mixer_oss.c

	// SNDRV_OSS_VERSION (include/sound/core.h): 3.8.1a, what ALSA's OSS
	// emulation answers to OSS_GETVERSION.
	SNDRV_OSS_VERSION = 3<<16 | 8<<8 | 1<<4 | 0
)

// Mixer requests (soundcard.h), as dispatched by snd_mixer_oss_ioctl1
// (sound/core/oss/mixer_oss.c). MIXER_READ(dev) is _SIOR('M', dev, int),
// MIXER_WRITE(dev) is _SIOWR('M', dev, int).
const (
	SOUND_MIXER_NRDEVICES = 25

	SOUND_MIXER_VOLUME     = 0
	SOUND_MIXER_BASS       = 1
	SOUND_MIXER_TREBLE     = 2
	SOUND_MIXER_SYNTH      = 3
	SOUND_MIXER_PCM        = 4
	SOUND_MIXER_SPEAKER    = 5
	SOUND_MIXER_LINE       = 6
	SOUND_MIXER_MIC        = 7
	SOUND_MIXER_CD         = 8
	SOUND_MIXER_RECSRC     = 0xff
	SOUND_MIXER_DEVMASK    = 0xfe
	SOUND_MIXER_RECMASK    = 0xfd
	SOUND_MIXER_CAPS       = 0xfc
	SOUND_MIXER_STEREODEVS = 0xfb
	SOUND_CAP_EXCL_INPUT   = 0x00000001

	SOUND_MASK_VOLUME = 1 << SOUND_MIXER_VOLUME
	SOUND_MASK_PCM    = 1 << SOUND_MIXER_PCM
	SOUND_MASK_LINE   = 1 << SOUND_MIXER_LINE
	SOUND_MASK_MIC    = 1 << SOUND_MIXER_MIC
	SOUND_MASK_CD     = 1 << SOUND_MIXER_CD
)

// MixerRead and MixerWrite are MIXER_READ(dev) and MIXER_WRITE(dev).
func MixerRead(dev uint32) Ioctl  { return sior('M', dev, sizeInt) }
func MixerWrite(dev uint32) Ioctl { return siowr('M', dev, sizeInt) }

var (
	SOUND_MIXER_READ_VOLUME     = MixerRead(SOUND_MIXER_VOLUME)
	SOUND_MIXER_READ_PCM        = MixerRead(SOUND_MIXER_PCM)
	SOUND_MIXER_READ_RECSRC     = MixerRead(SOUND_MIXER_RECSRC)
	SOUND_MIXER_READ_DEVMASK    = MixerRead(SOUND_MIXER_DEVMASK)
	SOUND_MIXER_READ_RECMASK    = MixerRead(SOUND_MIXER_RECMASK)
	SOUND_MIXER_READ_STEREODEVS = MixerRead(SOUND_MIXER_STEREODEVS)
	SOUND_MIXER_READ_CAPS       = MixerRead(SOUND_MIXER_CAPS)
	SOUND_MIXER_WRITE_VOLUME    = MixerWrite(SOUND_MIXER_VOLUME)
	SOUND_MIXER_WRITE_PCM       = MixerWrite(SOUND_MIXER_PCM)
	SOUND_MIXER_WRITE_RECSRC    = MixerWrite(SOUND_MIXER_RECSRC)
	SOUND_MIXER_INFO            = sior('M', 101, MixerInfoSize)
	SOUND_OLD_MIXER_INFO        = sior('M', 101, OldMixerInfoSize)
)

// Capability and trigger bits (soundcard.h).
const (
	DSP_CAP_REVISION = 0x000000ff
	DSP_CAP_DUPLEX   = 0x00000100
	DSP_CAP_REALTIME = 0x00000200
	DSP_CAP_BATCH    = 0x00000400
	DSP_CAP_COPROC   = 0x00000800
	DSP_CAP_TRIGGER  = 0x00001000
	DSP_CAP_MMAP     = 0x00002000
	DSP_CAP_MULTI    = 0x00004000
	DSP_CAP_BIND     = 0x00008000

	PCM_ENABLE_INPUT  = 0x00000001
	PCM_ENABLE_OUTPUT = 0x00000002
)

// AudioBufInfo is struct audio_buf_info, the answer of GETOSPACE and
// GETISPACE.
type AudioBufInfo struct {
	Fragments  int32 // whole fragments available
	Fragstotal int32 // fragments in the buffer
	Fragsize   int32 // bytes per fragment
	Bytes      int32 // bytes available, partial fragments included
}

// Encode returns the 16-byte C layout.
func (a AudioBufInfo) Encode() []byte {
	b := make([]byte, AudioBufInfoSize)
	putInts(b, a.Fragments, a.Fragstotal, a.Fragsize, a.Bytes)
	return b
}

// DecodeAudioBufInfo reads the C layout. EFAULT if b is short.
func DecodeAudioBufInfo(b []byte) (AudioBufInfo, error) {
	if len(b) < AudioBufInfoSize {
		return AudioBufInfo{}, errShort("audio_buf_info", len(b), AudioBufInfoSize)
	}
	return AudioBufInfo{getInt(b, 0), getInt(b, 1), getInt(b, 2), getInt(b, 3)}, nil
}

// CountInfo is struct count_info, the answer of GETOPTR and GETIPTR.
type CountInfo struct {
	Bytes  int32 // bytes processed by the "DMA", modulo 2^31
	Blocks int32 // fragments queued (playback) or ready (capture), see snd_pcm_oss_get_ptr
	Ptr    int32 // the position in the buffer, in bytes
}

// Encode returns the 12-byte C layout.
func (c CountInfo) Encode() []byte {
	b := make([]byte, CountInfoSize)
	putInts(b, c.Bytes, c.Blocks, c.Ptr)
	return b
}

// DecodeCountInfo reads the C layout. EFAULT if b is short.
func DecodeCountInfo(b []byte) (CountInfo, error) {
	if len(b) < CountInfoSize {
		return CountInfo{}, errShort("count_info", len(b), CountInfoSize)
	}
	return CountInfo{getInt(b, 0), getInt(b, 1), getInt(b, 2)}, nil
}

// MixerInfo is struct mixer_info (SOUND_MIXER_INFO); the first two fields
// alone are struct _old_mixer_info.
type MixerInfo struct {
	ID            string // char id[16], NUL-terminated, truncated to 15 bytes
	Name          string // char name[32]
	ModifyCounter int32
}

// Encode returns the 92-byte C layout (fillers zero).
func (m MixerInfo) Encode() []byte {
	b := make([]byte, MixerInfoSize)
	putCString(b[0:16], m.ID)
	putCString(b[16:48], m.Name)
	binary.LittleEndian.PutUint32(b[48:], uint32(m.ModifyCounter))
	return b
}

// DecodeMixerInfo reads the C layout (or the 48-byte old layout, leaving
// ModifyCounter 0). EFAULT if b is shorter than the old layout.
func DecodeMixerInfo(b []byte) (MixerInfo, error) {
	if len(b) < OldMixerInfoSize {
		return MixerInfo{}, errShort("mixer_info", len(b), OldMixerInfoSize)
	}
	m := MixerInfo{ID: cString(b[0:16]), Name: cString(b[16:48])}
	if len(b) >= 52 {
		m.ModifyCounter = int32(binary.LittleEndian.Uint32(b[48:]))
	}
	return m, nil
}

// EncodeInt and DecodeInt are put_user/get_user of an int argument.
func EncodeInt(v int32) []byte {
	b := make([]byte, sizeInt)
	binary.LittleEndian.PutUint32(b, uint32(v))
	return b
}

// DecodeInt reads an int argument. EFAULT if b is short (get_user failing).
func DecodeInt(b []byte) (int32, error) {
	if len(b) < sizeInt {
		return 0, errShort("int", len(b), sizeInt)
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

func putInts(b []byte, vs ...int32) {
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(v))
	}
}

func getInt(b []byte, i int) int32 { return int32(binary.LittleEndian.Uint32(b[4*i:])) }

func putCString(dst []byte, s string) {
	n := copy(dst[:len(dst)-1], s)
	clear(dst[n:])
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// errShort is the EFAULT a failed copy_from_user gives: the argument the
// caller passed is smaller than the request says.
func errShort(what string, got, want int) error {
	return pcm.Errorf(syscall.EFAULT, "%s argument has %d bytes, need %d", what, got, want)
}

var ioctlNames = map[Ioctl]string{
	SNDCTL_DSP_RESET: "SNDCTL_DSP_RESET", SNDCTL_DSP_SYNC: "SNDCTL_DSP_SYNC",
	SNDCTL_DSP_POST: "SNDCTL_DSP_POST", SNDCTL_DSP_NONBLOCK: "SNDCTL_DSP_NONBLOCK",
	SNDCTL_DSP_SETSYNCRO: "SNDCTL_DSP_SETSYNCRO", SNDCTL_DSP_SETDUPLEX: "SNDCTL_DSP_SETDUPLEX",
	SNDCTL_DSP_SPEED: "SNDCTL_DSP_SPEED", SNDCTL_DSP_STEREO: "SNDCTL_DSP_STEREO",
	SNDCTL_DSP_GETBLKSIZE: "SNDCTL_DSP_GETBLKSIZE", SNDCTL_DSP_SETFMT: "SNDCTL_DSP_SETFMT",
	SNDCTL_DSP_CHANNELS: "SNDCTL_DSP_CHANNELS", SOUND_PCM_WRITE_FILTER: "SOUND_PCM_WRITE_FILTER",
	SNDCTL_DSP_SUBDIVIDE: "SNDCTL_DSP_SUBDIVIDE", SNDCTL_DSP_SETFRAGMENT: "SNDCTL_DSP_SETFRAGMENT",
	SNDCTL_DSP_GETFMTS: "SNDCTL_DSP_GETFMTS", SNDCTL_DSP_GETOSPACE: "SNDCTL_DSP_GETOSPACE",
	SNDCTL_DSP_GETISPACE: "SNDCTL_DSP_GETISPACE", SNDCTL_DSP_GETCAPS: "SNDCTL_DSP_GETCAPS",
	SNDCTL_DSP_GETTRIGGER: "SNDCTL_DSP_GETTRIGGER", SNDCTL_DSP_SETTRIGGER: "SNDCTL_DSP_SETTRIGGER",
	SNDCTL_DSP_GETIPTR: "SNDCTL_DSP_GETIPTR", SNDCTL_DSP_GETOPTR: "SNDCTL_DSP_GETOPTR",
	SNDCTL_DSP_MAPINBUF: "SNDCTL_DSP_MAPINBUF", SNDCTL_DSP_MAPOUTBUF: "SNDCTL_DSP_MAPOUTBUF",
	SNDCTL_DSP_GETODELAY: "SNDCTL_DSP_GETODELAY", SNDCTL_DSP_PROFILE: "SNDCTL_DSP_PROFILE",
	SOUND_PCM_READ_RATE: "SOUND_PCM_READ_RATE", SOUND_PCM_READ_BITS: "SOUND_PCM_READ_BITS",
	SOUND_PCM_READ_CHANNELS: "SOUND_PCM_READ_CHANNELS", SOUND_PCM_READ_FILTER: "SOUND_PCM_READ_FILTER",
	OSS_GETVERSION: "OSS_GETVERSION", OSS_ALSAEMULVER: "OSS_ALSAEMULVER",
	SOUND_MIXER_INFO: "SOUND_MIXER_INFO", SOUND_OLD_MIXER_INFO: "SOUND_OLD_MIXER_INFO",
}

// ioctlName names a request as soundcard.h does, or prints its fields.
func ioctlName(c Ioctl) string {
	if n, ok := ioctlNames[c]; ok {
		return n
	}
	if c.Type() == 'M' && c.Size() == sizeInt && c.Nr() <= 0xff {
		if c.CopiesIn() {
			return fmt.Sprintf("MIXER_WRITE(%d)", c.Nr())
		}
		return fmt.Sprintf("MIXER_READ(%d)", c.Nr())
	}
	return fmt.Sprintf("IOC(dir=%d,type=%q,nr=%d,size=%d)", c.dir(), rune(c.Type()), c.Nr(), c.Size())
}
