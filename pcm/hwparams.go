package pcm

import (
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

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

// paramNames are the lower-case names vsnd uses in reasons and requests
// ("rate=48000"), indexed by Param.
var paramNames = [ParamLastInterval + 1]string{
	ParamAccess: "access", ParamFormat: "format", ParamSubformat: "subformat",
	ParamSampleBits: "sample_bits", ParamFrameBits: "frame_bits", ParamChannels: "channels",
	ParamRate: "rate", ParamPeriodTime: "period_time", ParamPeriodSize: "period_size",
	ParamPeriodBytes: "period_bytes", ParamPeriods: "periods", ParamBufferTime: "buffer_time",
	ParamBufferSize: "buffer_size", ParamBufferBytes: "buffer_bytes", ParamTickTime: "tick_time",
}

// String returns the parameter's name, e.g. "period_size".
func (v Param) String() string {
	if v >= 0 && int(v) < len(paramNames) && paramNames[v] != "" {
		return paramNames[v]
	}
	return "param(" + strconv.Itoa(int(v)) + ")"
}

// ParseParam accepts a parameter name, case-insensitive ("rate", "RATE",
// "period_size").
func ParseParam(s string) (Param, bool) {
	for k, n := range paramNames {
		if n != "" && strings.EqualFold(n, s) {
			return Param(k), true
		}
	}
	return 0, false
}

// Any is _snd_pcm_hw_params_any as alsa-lib's snd_pcm_hw_params_any leaves
// it before its first refine: every mask full (the 64 bits the kernel
// uses), every interval [0, UINT_MAX], RMask = ~0 (refine everything),
// CMask = 0, Info = ~0, all other fields zero.
func (p *HWParams) Any() {
	*p = HWParams{}
	for k := range p.Masks {
		p.Masks[k].Any()
	}
	for k := range p.Intervals {
		p.Intervals[k].Any()
	}
	p.RMask = ^uint32(0)
	p.Info = ^uint32(0)
}

// SetMask sets mask parameter v to the single value val, as a request
// names it (the mask becomes {val}; Refine then checks it against the
// hardware and explains a refusal). For an interval parameter it is
// SetIntervalValue. RMask and CMask get v's bit.
func (p *HWParams) SetMask(v Param, val uint32) {
	switch {
	case v >= ParamFirstMask && v <= ParamLastMask:
		m := p.Mask(v)
		m.None()
		m.Set(val)
	case v >= ParamFirstInterval && v <= ParamLastInterval:
		p.SetIntervalValue(v, val)
		return
	default:
		return
	}
	p.RMask |= 1 << v
	p.CMask |= 1 << v
}

// SetInterval sets interval parameter v to [min, max] (closed, integer
// flag kept). Ignored for a mask parameter.
func (p *HWParams) SetInterval(v Param, min, max uint32) {
	if v < ParamFirstInterval || v > ParamLastInterval {
		return
	}
	i := p.Interval(v)
	*i = Interval{Min: min, Max: max, Integer: i.Integer}
	if min > max {
		i.Empty = true
	}
	p.RMask |= 1 << v
	p.CMask |= 1 << v
}

// SetIntervalValue sets interval parameter v to exactly val (as
// snd_interval_refine_set would on a full interval). For a mask parameter
// it is SetMask.
func (p *HWParams) SetIntervalValue(v Param, val uint32) {
	if v >= ParamFirstMask && v <= ParamLastMask {
		p.SetMask(v, val)
		return
	}
	if v < ParamFirstInterval || v > ParamLastInterval {
		return
	}
	*p.Interval(v) = Interval{Min: val, Max: val, Integer: true}
	p.RMask |= 1 << v
	p.CMask |= 1 << v
}

// Config turns fully refined params into the installed configuration, as
// snd_pcm_hw_params copies params_access(), params_format(), ... into the
// runtime. Errors: EINVAL naming the first used parameter that is not a
// single value. (The kernel's params_*() read an interval's min; vsnd reads
// its value, which differs only for an open-min single interval.)
func (p *HWParams) Config() (Config, error) {
	var vals [8]uint32
	for n, v := range [...]Param{ParamAccess, ParamFormat, ParamChannels, ParamRate,
		ParamPeriodSize, ParamPeriods, ParamBufferSize} {
		val, _, err := ParamValue(p, v)
		if err != nil {
			return Config{}, err
		}
		vals[n] = val
	}
	c := Config{
		Access:     Access(vals[0]),
		Format:     Format(vals[1]),
		Channels:   int(vals[2]),
		Rate:       int(vals[3]),
		PeriodSize: int(vals[4]),
		Periods:    int(vals[5]),
		BufferSize: int(vals[6]),
		NoPeriodWakeup: p.Info&InfoNoPeriodWakeup != 0 &&
			p.Flags&HWParamsNoPeriodWakeup != 0,
	}
	switch {
	case !c.Format.Known():
		return Config{}, Errorf(unix.EINVAL, "format %s unknown", c.Format)
	case c.Channels == 0 || c.Rate == 0 || c.PeriodSize == 0 || c.Periods == 0 || c.BufferSize == 0:
		return Config{}, Errorf(unix.EINVAL, "zero in configuration: channels %d rate %d period_size %d periods %d buffer_size %d",
			c.Channels, c.Rate, c.PeriodSize, c.Periods, c.BufferSize)
	}
	return c, nil
}

// String dumps the configuration space one parameter per line, in the
// format of alsa-lib's snd_pcm_hw_params_dump (its snd_pcm_hw_param_names
// are paramNames in upper case: "ACCESS:  RW_INTERLEAVED",
// "RATE: [8000 384000]", "PERIOD_TIME: (1333 1365334)").
func (p *HWParams) String() string {
	b := make([]byte, 0, 512)
	for k := ParamFirstMask; k <= ParamLastMask; k++ {
		b = append(b, strings.ToUpper(paramNames[k])...)
		b = append(b, ": "...)
		m := p.Mask(k)
		switch {
		case m.IsEmpty():
			b = append(b, "NONE"...)
		case m.Count() == maskBits:
			b = append(b, "ALL"...)
		default:
			for v := uint32(0); v < maskBits; v++ {
				if m.Test(v) {
					b = append(b, ' ')
					b = append(b, maskValueName(k, v)...)
				}
			}
		}
		b = append(b, '\n')
	}
	for k := ParamFirstInterval; k <= ParamLastInterval; k++ {
		b = append(b, strings.ToUpper(paramNames[k])...)
		b = append(b, ": "...)
		b = appendInterval(b, p.Interval(k))
		b = append(b, '\n')
	}
	return string(b)
}
