package mixer

import (
	"math"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// TLV types and flags (include/uapi/sound/tlv.h).
const (
	TLVTypeDBScale uint32 = 1       // SNDRV_CTL_TLVT_DB_SCALE
	TLVDBScaleMask uint32 = 0xffff  // TLV_DB_SCALE_MASK
	TLVDBScaleMute uint32 = 0x10000 // TLV_DB_SCALE_MUTE
)

// DBScale is a SNDRV_CTL_TLVT_DB_SCALE: the element's minimum value is Min
// centi-dB (0.01 dB), each step up adds Step centi-dB, and with Mute the
// minimum value means silence rather than Min dB.
type DBScale struct {
	Min  int32  // centi-dB at the element's minimum
	Step uint16 // centi-dB per value step (TLV_DB_SCALE_MASK bits)
	Mute bool
}

// TLV encodes s as DECLARE_TLV_DB_SCALE does (include/sound/tlv.h):
// {SNDRV_CTL_TLVT_DB_SCALE, 2 * sizeof(u32), min, step | mute << 16}.
func (s DBScale) TLV() []uint32 {
	w := uint32(s.Step) & TLVDBScaleMask
	if s.Mute {
		w |= TLVDBScaleMute
	}
	return []uint32{TLVTypeDBScale, 8, uint32(s.Min), w}
}

// ParseDBScale decodes a DB_SCALE TLV; ok is false for anything else.
func ParseDBScale(tlv []uint32) (s DBScale, ok bool) {
	if len(tlv) != 4 || tlv[0] != TLVTypeDBScale || tlv[1] != 8 {
		return DBScale{}, false
	}
	return DBScale{Min: int32(tlv[2]), Step: uint16(tlv[3] & TLVDBScaleMask), Mute: tlv[3]&TLVDBScaleMute != 0}, true
}

// CentiDB returns the level of value v of an element ranging from min, as
// snd_tlv_convert_to_dB (alsa-lib, src/control/tlv.c) does for DB_SCALE;
// muted is true at the minimum of a scale with the mute flag.
func (s DBScale) CentiDB(v, min int64) (cdb int64, muted bool) {
	if s.Mute && v <= min {
		return 0, true
	}
	return int64(s.Min) + (v-min)*int64(s.Step), false
}

// Linear converts centi-dB to an amplitude factor, 10^(dB/20).
func Linear(centiDB int64) float64 {
	if centiDB == 0 {
		return 1 // exactly: the unity path depends on it
	}
	return math.Pow(10, float64(centiDB)/2000)
}

// TLVRead answers SNDRV_CTL_IOCTL_TLV_READ as snd_ctl_tlv_ioctl and
// read_tlv_buf (control.c): length is the caller's buffer in bytes
// (snd_ctl_tlv.length). EINVAL for numid 0 or a length below the 8-byte
// header, ENOENT for an unknown numid, ENXIO for an element without
// AccessTLVRead or without TLV, ENOMEM when the TLV does not fit.
// The answer is shared: do not modify it.
func (m *Mixer) TLVRead(numid uint32, length uint32) ([]uint32, error) {
	if length < 8 {
		return nil, pcm.Errorf(syscall.EINVAL, "mixer: TLV buffer of %d bytes is smaller than its header", length)
	}
	if numid == 0 {
		return nil, pcm.Errorf(syscall.EINVAL, "mixer: TLV read without numid")
	}
	tlv, err := m.TLV(ElemID{NumID: numid})
	if err != nil {
		return nil, err
	}
	if need := 4 * uint32(len(tlv)); length < need {
		return nil, pcm.Errorf(syscall.ENOMEM, "mixer: TLV of numid %d needs %d bytes, buffer has %d", numid, need, length)
	}
	return tlv, nil
}

// TLV returns the TLV of an element (kctl->tlv.p): ENOENT for an unknown
// element, ENXIO without AccessTLVRead or TLV. Shared: do not modify.
func (m *Mixer) TLV(id ElemID) ([]uint32, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.findLocked(id)
	if err != nil {
		return nil, err
	}
	if e.c.Access&AccessTLVRead == 0 || e.c.TLV == nil {
		return nil, pcm.Errorf(syscall.ENXIO, "mixer: %q has no readable TLV", e.c.ID.Name)
	}
	return e.c.TLV, nil
}
