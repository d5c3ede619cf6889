package asound

import (
	"bytes"
	"encoding/binary"
	"syscall"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// Struct sizes on x86_64 (LP64: long and pointers are 8 bytes, struct
// timespec is 16). Each one is the _IOC_SIZE of the ioctls that carry it;
// layout_test.go pins them against the real header with gcc.
const (
	PCMInfoSize     = 288 // struct snd_pcm_info
	HWParamsSize    = 608 // struct snd_pcm_hw_params
	SWParamsSize    = 136 // struct snd_pcm_sw_params
	StatusSize      = 152 // struct snd_pcm_status (== kernel snd_pcm_status64 on x86_64)
	MMapStatusSize  = 56  // struct snd_pcm_mmap_status (== __snd_pcm_mmap_status64)
	MMapControlSize = 16  // struct snd_pcm_mmap_control
	SyncPtrSize     = 136 // struct snd_pcm_sync_ptr (== __snd_pcm_sync_ptr64)
	ChannelInfoSize = 24  // struct snd_pcm_channel_info
	XferISize       = 24  // struct snd_xferi
	XferNSize       = 24  // struct snd_xfern

	CardInfoSize        = 376  // struct snd_ctl_card_info
	ElemIDSize          = 64   // struct snd_ctl_elem_id
	ElemListSize        = 80   // struct snd_ctl_elem_list
	ElemInfoSize        = 272  // struct snd_ctl_elem_info
	ElemValueSize       = 1224 // struct snd_ctl_elem_value (0x4c8: long value[128] is 1024 bytes)
	EventSize           = 72   // struct snd_ctl_event, one read() record
	TLVSize             = 8    // struct snd_ctl_tlv without its flexible tlv[]
	HwdepInfoSize       = 220  // struct snd_hwdep_info
	RawmidiInfoSize     = 268  // struct snd_rawmidi_info
	UMPEndpointInfoSize = 328  // struct snd_ump_endpoint_info (packed)
	UMPBlockInfoSize    = 180  // struct snd_ump_block_info (packed)
)

var le = binary.LittleEndian

// need checks that b holds a whole struct of size n. The FUSE kernel
// copies exactly _IOC_SIZE bytes, so a short buffer is a bug in the face
// (a request dispatched to the wrong decoder), reported as EINVAL.
func need(b []byte, n int, what string) error {
	if len(b) < n {
		return pcm.Errorf(syscall.EINVAL, "asound: %s needs %d bytes, got %d", what, n, len(b))
	}
	return nil
}

// putString copies s into the fixed char array dst, truncated so that a
// NUL always ends it (like strscpy in the kernel), and zeroes the rest.
func putString(dst []byte, s string) {
	n := copy(dst[:len(dst)-1], s)
	clear(dst[n:])
}

// cString returns the NUL-terminated string in b (all of b if no NUL).
// The empty string costs no allocation.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// Timespec is struct timespec / __kernel_timespec on x86_64: two 64-bit
// words.
type Timespec struct {
	Sec  int64
	Nsec int64
}

// DurationTimespec splits d into seconds and nanoseconds (nanoseconds
// always in [0, 1e9), like ns_to_timespec64).
func DurationTimespec(d time.Duration) Timespec {
	sec, nsec := int64(d/time.Second), int64(d%time.Second)
	if nsec < 0 {
		sec--
		nsec += int64(time.Second)
	}
	return Timespec{Sec: sec, Nsec: nsec}
}

// Duration is the inverse of DurationTimespec.
func (t Timespec) Duration() time.Duration {
	return time.Duration(t.Sec)*time.Second + time.Duration(t.Nsec)
}

func putTimespec(b []byte, t Timespec) {
	le.PutUint64(b[0:], uint64(t.Sec))
	le.PutUint64(b[8:], uint64(t.Nsec))
}

func getTimespec(b []byte) Timespec {
	return Timespec{Sec: int64(le.Uint64(b[0:])), Nsec: int64(le.Uint64(b[8:]))}
}

// PutInt writes a C int (the argument of PVERSION, TTSTAMP, PCM_NEXT_DEVICE
// ...) into b.
func PutInt(b []byte, v int32) error {
	if err := need(b, 4, "int"); err != nil {
		return err
	}
	le.PutUint32(b, uint32(v))
	return nil
}

// GetInt reads a C int from b.
func GetInt(b []byte) (int32, error) {
	if err := need(b, 4, "int"); err != nil {
		return 0, err
	}
	return int32(le.Uint32(b)), nil
}

// PutLong writes a C long (DELAY's snd_pcm_sframes_t) into b.
func PutLong(b []byte, v int64) error {
	if err := need(b, 8, "long"); err != nil {
		return err
	}
	le.PutUint64(b, uint64(v))
	return nil
}

// GetLong reads a C long (REWIND's and FORWARD's snd_pcm_uframes_t) from b.
func GetLong(b []byte) (int64, error) {
	if err := need(b, 8, "long"); err != nil {
		return 0, err
	}
	return int64(le.Uint64(b)), nil
}
