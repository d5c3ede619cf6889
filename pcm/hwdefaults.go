package pcm

import (
	"math"

	"golang.org/x/sys/unix"
)

// DefaultHardware is the struct snd_pcm_hardware of vsnd's default card: a
// capable USB/HDA-like interface. The values, and where they come from:
//
//   - Info: MMAP|MMAP_VALID (clients and alsa-lib's plug layer need mmap
//     access), INTERLEAVED|NONINTERLEAVED (both layouts, like
//     snd-usb-audio's non-interleaved-capable devices and dummy's optional
//     mode), BLOCK_TRANSFER (the position moves period by period, as on
//     HDA's azx_pcm_hw), PAUSE|RESUME (the native and OSS faces offer them;
//     the ALSA face clears PAUSE, see ALSA-ABI-NOTES.md).
//   - Formats: the linear and float formats a pro USB interface plus
//     alsa-lib's plug layer cover: S8, U8, S16/U16, S24 (in 4 bytes),
//     S24_3, S32, FLOAT, FLOAT64, both byte orders.
//   - Rates 8000..384000 continuous (SNDRV_PCM_RATE_CONTINUOUS, as dummy's
//     USE_RATE with min/max; 384 kHz is the top of today's USB class 2
//     devices). Channels 1..32 (HDA streams carry up to 16, USB up to 32+).
//   - BufferBytesMax 4 MiB: dummy uses 64 KiB, HDA 1 GiB
//     (AZX_MAX_BUF_SIZE); 4 MiB holds 10 s of S16 stereo at 48 kHz and
//     the kernel ALSA selftest's largest buffer (192000 frames of S32
//     stereo = 1.5 MB) twice over.
//   - PeriodBytes 64..2 MiB: 64 is dummy's MIN_PERIOD_SIZE (HDA: 128); the
//     maximum is half the buffer, as HDA's AZX_MAX_BUF_SIZE / 2, so two
//     periods always fit.
//   - Periods 2..1024: HDA and USB need at least 2 (ping-pong), 1024 is
//     dummy's and USB's USE_PERIODS_MAX.
//   - FifoSize 0: no FIFO, as both.
func DefaultHardware() Hardware {
	return Hardware{
		Info: InfoMMap | InfoMMapValid | InfoInterleaved | InfoNonInterleaved |
			InfoBlockTransfer | InfoPause | InfoResume,
		Formats: fmtBits(FormatS8, FormatU8, FormatS16LE, FormatS16BE, FormatU16LE, FormatU16BE,
			FormatS24LE, FormatS24BE, FormatS24_3LE, FormatS24_3BE, FormatS32LE, FormatS32BE,
			FormatFloatLE, FormatFloatBE, FormatFloat64LE, FormatFloat64BE),
		RateMin:        8000,
		RateMax:        384000,
		ChannelsMin:    1,
		ChannelsMax:    32,
		BufferBytesMax: 4 << 20,
		PeriodBytesMin: 64,
		PeriodBytesMax: 2 << 20,
		PeriodsMin:     2,
		PeriodsMax:     1024,
		FifoSize:       0,
	}
}

// fmtBits is a SNDRV_PCM_FMTBIT_* set.
func fmtBits(fs ...Format) uint64 {
	var b uint64
	for _, f := range fs {
		b |= 1 << uint(f)
	}
	return b
}

// Validate checks that h describes hardware the core can drive: every
// limit positive and ordered, every format known to vsnd, an access layout
// named in Info. Errors: EINVAL with the offending field.
func (h Hardware) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(unix.EINVAL, "hardware: "+format, args...) }
	if h.Info&(InfoInterleaved|InfoNonInterleaved|InfoComplex) == 0 {
		return bad("info %#x names no access layout (INTERLEAVED, NONINTERLEAVED or COMPLEX)", h.Info)
	}
	if h.Formats == 0 {
		return bad("no formats")
	}
	for k := 0; k < 64; k++ {
		if h.Formats&(1<<k) != 0 && !Format(k).Known() {
			return bad("format %d unknown to vsnd", k)
		}
	}
	ranges := []struct {
		name     string
		min, max int
		lowest   int
	}{
		{"rate", h.RateMin, h.RateMax, 1},
		{"channels", h.ChannelsMin, h.ChannelsMax, 1},
		{"period_bytes", h.PeriodBytesMin, h.PeriodBytesMax, 1},
		{"periods", h.PeriodsMin, h.PeriodsMax, 1},
		{"buffer_bytes", h.PeriodBytesMin, h.BufferBytesMax, 1},
	}
	for _, r := range ranges {
		if r.min < r.lowest || r.max < r.min || r.max > math.MaxUint32 {
			return bad("%s %d..%d invalid", r.name, r.min, r.max)
		}
	}
	if h.FifoSize < 0 {
		return bad("fifo_size %d negative", h.FifoSize)
	}
	return nil
}
