package pcm

// Parameter indices, SNDRV_PCM_HW_PARAM_* (include/uapi/sound/asound.h).
// Masks come first, then intervals.
type Param int

const (
	ParamAccess    Param = 0 // mask
	ParamFormat    Param = 1 // mask
	ParamSubformat Param = 2 // mask

	ParamSampleBits  Param = 8 // interval, bits per sample
	ParamFrameBits   Param = 9
	ParamChannels    Param = 10
	ParamRate        Param = 11
	ParamPeriodTime  Param = 12 // us
	ParamPeriodSize  Param = 13 // frames
	ParamPeriodBytes Param = 14
	ParamPeriods     Param = 15
	ParamBufferTime  Param = 16 // us
	ParamBufferSize  Param = 17 // frames
	ParamBufferBytes Param = 18
	ParamTickTime    Param = 19 // us

	ParamFirstMask     = ParamAccess
	ParamLastMask      = ParamSubformat
	ParamFirstInterval = ParamSampleBits
	ParamLastInterval  = ParamTickTime
)

// MaskMax is SNDRV_MASK_MAX: a mask holds 256 bits.
const MaskMax = 256

// Mask is struct snd_mask: a bit set of allowed values.
type Mask struct {
	Bits [(MaskMax + 31) / 32]uint32
}

// Interval is struct snd_interval: [Min, Max] with open ends, an
// integer-only flag and an empty flag. (The kernel packs the flags into
// bit fields; the ALSA face encodes them.)
type Interval struct {
	Min, Max uint32
	OpenMin  bool
	OpenMax  bool
	Integer  bool
	Empty    bool
}

// HWParamsFlag values, SNDRV_PCM_HW_PARAMS_*.
const (
	HWParamsNoResample     uint32 = 1 << 0
	HWParamsExportBuffer   uint32 = 1 << 1
	HWParamsNoPeriodWakeup uint32 = 1 << 2
	HWParamsNoDrainSilence uint32 = 1 << 3
)

// HWParams is struct snd_pcm_hw_params: the configuration space a client
// refines and finally installs. Field for field it follows the kernel's
// struct, so the ALSA face copies it in and out directly.
type HWParams struct {
	Flags     uint32
	Masks     [ParamLastMask - ParamFirstMask + 1]Mask
	Intervals [ParamLastInterval - ParamFirstInterval + 1]Interval
	RMask     uint32 // params to refine (W)
	CMask     uint32 // changed params (R)
	Info      uint32 // SNDRV_PCM_INFO_* (R)
	MSBits    uint32 // used most significant bits (R)
	RateNum   uint32 // rate numerator (R)
	RateDen   uint32 // rate denominator (R)
	FifoSize  uint64 // FIFO size in frames (R)
}

// Mask returns the mask of a mask parameter.
func (p *HWParams) Mask(v Param) *Mask { return &p.Masks[v-ParamFirstMask] }

// Interval returns the interval of an interval parameter.
func (p *HWParams) Interval(v Param) *Interval { return &p.Intervals[v-ParamFirstInterval] }

// Config is the fixed result of an installed hw_params: what the core,
// the driver and the faces work with once HWParams succeeded. It is derived
// from a fully refined HWParams (every parameter a single value).
type Config struct {
	Access     Access
	Format     Format
	Channels   int
	Rate       int
	PeriodSize int // frames
	Periods    int
	BufferSize int // frames
	// NoPeriodWakeup mirrors SNDRV_PCM_HW_PARAMS_NO_PERIOD_WAKEUP.
	NoPeriodWakeup bool
}

// FrameBytes is the size of one frame in bytes.
func (c Config) FrameBytes() int { return c.Format.Bytes() * c.Channels }

// BufferBytes is the size of the whole buffer in bytes.
func (c Config) BufferBytes() int { return c.BufferSize * c.FrameBytes() }

// PeriodBytes is the size of one period in bytes.
func (c Config) PeriodBytes() int { return c.PeriodSize * c.FrameBytes() }
