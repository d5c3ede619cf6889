package asound

import "github.com/vsnd/vsnd/pcm"

// struct snd_pcm_hw_params on x86_64 (asound.h, SNDRV_PCM_VERSION 2.0.18):
//
//	off  size
//	  0     4  unsigned int flags
//	  4    96  struct snd_mask masks[3]           (8 x u32 each)
//	100   160  struct snd_mask mres[5]            (reserved masks)
//	260   144  struct snd_interval intervals[12]  (min, max, bit field word)
//	404   108  struct snd_interval ires[9]        (reserved intervals)
//	512     4  rmask   (W: params to refine)
//	516     4  cmask   (R: changed params)
//	520     4  info    (R: SNDRV_PCM_INFO_*)
//	524     4  msbits  (R)
//	528     4  rate_num
//	532     4  rate_den
//	536     8  snd_pcm_uframes_t fifo_size
//	544    16  unsigned char sync[16]  (R: stream sync ID; was reserved before 2.0.18)
//	560    48  unsigned char reserved[48]
//	608
//
// The interval bit field "unsigned int openmin:1, openmax:1, integer:1,
// empty:1" is, with GCC on little-endian x86_64, bits 0..3 of the third
// word.
const (
	hwFlagsOff     = 0
	hwMasksOff     = 4
	hwMResOff      = 100
	hwIntervalsOff = 260
	hwIResOff      = 404
	hwRMaskOff     = 512
	hwCMaskOff     = 516
	hwInfoOff      = 520
	hwMSBitsOff    = 524
	hwRateNumOff   = 528
	hwRateDenOff   = 532
	hwFifoSizeOff  = 536
	hwSyncOff      = 544
	hwReservedOff  = 560

	maskSize     = 32 // struct snd_mask
	intervalSize = 12 // struct snd_interval
)

// Interval flag bits in the third word of struct snd_interval.
const (
	IntervalOpenMin uint32 = 1 << 0
	IntervalOpenMax uint32 = 1 << 1
	IntervalInteger uint32 = 1 << 2
	IntervalEmpty   uint32 = 1 << 3
)

// DecodeHWParams reads the client's struct snd_pcm_hw_params from b into p
// (the copy_from_user of snd_pcm_hw_refine_user / snd_pcm_hw_params_user,
// pcm_native.c). The reserved masks and intervals and the sync ID are not
// part of pcm.HWParams: the kernel carries them through untouched, and so
// does EncodeHWParams when it writes the answer into the same buffer.
// Interval flag bits other than the four defined ones are ignored.
func DecodeHWParams(b []byte, p *pcm.HWParams) error {
	if err := need(b, HWParamsSize, "snd_pcm_hw_params"); err != nil {
		return err
	}
	p.Flags = le.Uint32(b[hwFlagsOff:])
	for i := range p.Masks {
		m := b[hwMasksOff+i*maskSize:]
		for j := range p.Masks[i].Bits {
			p.Masks[i].Bits[j] = le.Uint32(m[j*4:])
		}
	}
	for i := range p.Intervals {
		decodeInterval(b[hwIntervalsOff+i*intervalSize:], &p.Intervals[i])
	}
	p.RMask = le.Uint32(b[hwRMaskOff:])
	p.CMask = le.Uint32(b[hwCMaskOff:])
	p.Info = le.Uint32(b[hwInfoOff:])
	p.MSBits = le.Uint32(b[hwMSBitsOff:])
	p.RateNum = le.Uint32(b[hwRateNumOff:])
	p.RateDen = le.Uint32(b[hwRateDenOff:])
	p.FifoSize = le.Uint64(b[hwFifoSizeOff:])
	return nil
}

// EncodeHWParams writes p into b, the buffer that goes back to the client
// (copy_to_user at the end of snd_pcm_hw_refine_user). It writes every
// field pcm.HWParams has and leaves mres, ires, sync and reserved as they
// are in b; use SetHWParamsSync for the sync ID. In each interval's flag
// word only the four defined bits are rewritten.
func EncodeHWParams(b []byte, p *pcm.HWParams) error {
	if err := need(b, HWParamsSize, "snd_pcm_hw_params"); err != nil {
		return err
	}
	le.PutUint32(b[hwFlagsOff:], p.Flags)
	for i := range p.Masks {
		m := b[hwMasksOff+i*maskSize:]
		for j, w := range p.Masks[i].Bits {
			le.PutUint32(m[j*4:], w)
		}
	}
	for i := range p.Intervals {
		encodeInterval(b[hwIntervalsOff+i*intervalSize:], &p.Intervals[i])
	}
	le.PutUint32(b[hwRMaskOff:], p.RMask)
	le.PutUint32(b[hwCMaskOff:], p.CMask)
	le.PutUint32(b[hwInfoOff:], p.Info)
	le.PutUint32(b[hwMSBitsOff:], p.MSBits)
	le.PutUint32(b[hwRateNumOff:], p.RateNum)
	le.PutUint32(b[hwRateDenOff:], p.RateDen)
	le.PutUint64(b[hwFifoSizeOff:], p.FifoSize)
	return nil
}

// HWParamsSync returns hw_params.sync, the stream synchronization ID.
func HWParamsSync(b []byte) (id [16]byte, err error) {
	if err := need(b, HWParamsSize, "snd_pcm_hw_params"); err != nil {
		return id, err
	}
	copy(id[:], b[hwSyncOff:])
	return id, nil
}

// SetHWParamsSync writes hw_params.sync. Since 2.0.18 the kernel fills it
// in fixup_unreferenced_params (pcm_native.c, on HW_REFINE and HW_PARAMS)
// through the driver's SNDRV_PCM_IOCTL1_SYNC_ID; the default handler
// (snd_pcm_lib_ioctl_sync_id, pcm_lib.c) writes StdSyncID(card) when the
// runtime has std_sync_id set. All zero means "no ID".
func SetHWParamsSync(b []byte, id [16]byte) error {
	if err := need(b, HWParamsSize, "snd_pcm_hw_params"); err != nil {
		return err
	}
	copy(b[hwSyncOff:hwSyncOff+16], id[:])
	return nil
}

// StdSyncID is the ID snd_pcm_set_sync_per_card (pcm_lib.c) composes for
// the standard case: the card number as a little-endian u32, then 12 bytes
// of 0xff.
func StdSyncID(card int) (id [16]byte) {
	le.PutUint32(id[:], uint32(card))
	for i := 4; i < 16; i++ {
		id[i] = 0xff
	}
	return id
}

func decodeInterval(b []byte, iv *pcm.Interval) {
	iv.Min = le.Uint32(b[0:])
	iv.Max = le.Uint32(b[4:])
	f := le.Uint32(b[8:])
	iv.OpenMin = f&IntervalOpenMin != 0
	iv.OpenMax = f&IntervalOpenMax != 0
	iv.Integer = f&IntervalInteger != 0
	iv.Empty = f&IntervalEmpty != 0
}

func encodeInterval(b []byte, iv *pcm.Interval) {
	le.PutUint32(b[0:], iv.Min)
	le.PutUint32(b[4:], iv.Max)
	f := le.Uint32(b[8:]) &^ (IntervalOpenMin | IntervalOpenMax | IntervalInteger | IntervalEmpty)
	if iv.OpenMin {
		f |= IntervalOpenMin
	}
	if iv.OpenMax {
		f |= IntervalOpenMax
	}
	if iv.Integer {
		f |= IntervalInteger
	}
	if iv.Empty {
		f |= IntervalEmpty
	}
	le.PutUint32(b[8:], f)
}

// struct snd_pcm_sw_params on x86_64:
//
//	  0  int tstamp_mode
//	  4  unsigned int period_step
//	  8  unsigned int sleep_min
//	 16  snd_pcm_uframes_t avail_min, xfer_align, start_threshold,
//	     stop_threshold, silence_threshold, silence_size, boundary (7 x 8)
//	 72  unsigned int proto
//	 76  unsigned int tstamp_type
//	 80  unsigned char reserved[56]
//	136
const (
	swTstampModeOff = 0
	swPeriodStepOff = 4
	swSleepMinOff   = 8
	swAvailMinOff   = 16
	swXferAlignOff  = 24
	swStartOff      = 32
	swStopOff       = 40
	swSilenceThrOff = 48
	swSilenceSzOff  = 56
	swBoundaryOff   = 64
	swProtoOff      = 72
	swTstampTypeOff = 76
)

// DecodeSWParams reads struct snd_pcm_sw_params (snd_pcm_sw_params_user).
// proto is the client's SNDRV_PCM_VERSION; the kernel honours tstamp_type
// only when proto >= 2.0.12 (snd_pcm_sw_params) — that decision belongs to
// the core, which gets both fields.
func DecodeSWParams(b []byte, p *pcm.SWParams) error {
	if err := need(b, SWParamsSize, "snd_pcm_sw_params"); err != nil {
		return err
	}
	p.TstampMode = int32(le.Uint32(b[swTstampModeOff:]))
	p.PeriodStep = le.Uint32(b[swPeriodStepOff:])
	p.SleepMin = le.Uint32(b[swSleepMinOff:])
	p.AvailMin = le.Uint64(b[swAvailMinOff:])
	p.XferAlign = le.Uint64(b[swXferAlignOff:])
	p.StartThreshold = le.Uint64(b[swStartOff:])
	p.StopThreshold = le.Uint64(b[swStopOff:])
	p.SilenceThreshold = le.Uint64(b[swSilenceThrOff:])
	p.SilenceSize = le.Uint64(b[swSilenceSzOff:])
	p.Boundary = le.Uint64(b[swBoundaryOff:])
	p.Proto = le.Uint32(b[swProtoOff:])
	p.TstampType = le.Uint32(b[swTstampTypeOff:])
	return nil
}

// EncodeSWParams writes p into b (the copy_to_user of
// snd_pcm_sw_params_user, which returns boundary and the rest as the core
// accepted them). The reserved bytes are left as they are in b.
func EncodeSWParams(b []byte, p *pcm.SWParams) error {
	if err := need(b, SWParamsSize, "snd_pcm_sw_params"); err != nil {
		return err
	}
	le.PutUint32(b[swTstampModeOff:], uint32(p.TstampMode))
	le.PutUint32(b[swPeriodStepOff:], p.PeriodStep)
	le.PutUint32(b[swSleepMinOff:], p.SleepMin)
	le.PutUint32(b[swSleepMinOff+4:], 0) // alignment padding
	le.PutUint64(b[swAvailMinOff:], p.AvailMin)
	le.PutUint64(b[swXferAlignOff:], p.XferAlign)
	le.PutUint64(b[swStartOff:], p.StartThreshold)
	le.PutUint64(b[swStopOff:], p.StopThreshold)
	le.PutUint64(b[swSilenceThrOff:], p.SilenceThreshold)
	le.PutUint64(b[swSilenceSzOff:], p.SilenceSize)
	le.PutUint64(b[swBoundaryOff:], p.Boundary)
	le.PutUint32(b[swProtoOff:], p.Proto)
	le.PutUint32(b[swTstampTypeOff:], p.TstampType)
	return nil
}
