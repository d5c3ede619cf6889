package pcm

import (
	"strings"
	"syscall"
	"testing"
)

func TestDefaultHardwareValid(t *testing.T) {
	hw := DefaultHardware()
	if err := hw.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{FormatS8, FormatU8, FormatS16LE, FormatS16BE, FormatU16LE, FormatU16BE,
		FormatS24LE, FormatS24BE, FormatS24_3LE, FormatS24_3BE, FormatS32LE, FormatS32BE,
		FormatFloatLE, FormatFloatBE, FormatFloat64LE, FormatFloat64BE} {
		if hw.Formats&(1<<uint(f)) == 0 {
			t.Errorf("format %s missing", f)
		}
	}
	if hw.Info&(InfoMMap|InfoMMapValid|InfoInterleaved|InfoNonInterleaved) !=
		InfoMMap|InfoMMapValid|InfoInterleaved|InfoNonInterleaved {
		t.Errorf("info %#x", hw.Info)
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(h *Hardware)
		want   string
	}{
		{"no layout", func(h *Hardware) { h.Info = InfoMMap }, "access layout"},
		{"no formats", func(h *Hardware) { h.Formats = 0 }, "no formats"},
		{"unknown format", func(h *Hardware) { h.Formats |= 1 << 20 }, "format 20"},
		{"rate order", func(h *Hardware) { h.RateMin, h.RateMax = 48000, 44100 }, "rate 48000..44100"},
		{"zero channels", func(h *Hardware) { h.ChannelsMin = 0 }, "channels"},
		{"period above buffer", func(h *Hardware) { h.PeriodBytesMin = 8 << 20 }, "period_bytes"},
		{"no periods", func(h *Hardware) { h.PeriodsMin, h.PeriodsMax = 0, 0 }, "periods"},
		{"negative fifo", func(h *Hardware) { h.FifoSize = -1 }, "fifo_size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := DefaultHardware()
			tt.mutate(&h)
			err := h.Validate()
			if Errno(err) != syscall.EINVAL || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Validate = %v, want EINVAL mentioning %q", err, tt.want)
			}
			if _, err := NewConstraints(h); Errno(err) != syscall.EINVAL {
				t.Errorf("NewConstraints = %v, want EINVAL", err)
			}
		})
	}
}

// The kernel's ALSA selftest (tools/testing/selftests/alsa/pcm-test)
// needs RW_INTERLEAVED S16_LE or S32_LE at 8000, 44100, 48000 and 96000 Hz,
// 1-2 channels, periods of 512..48000 frames in buffers of 4096..192000
// frames. Every corner must refine and install exactly.
func TestDefaultHardwareFitsSelftest(t *testing.T) {
	c := newDefault(t)
	for _, f := range []Format{FormatS16LE, FormatS32LE} {
		for _, rate := range []uint32{8000, 44100, 48000, 96000} {
			for _, ch := range []uint32{1, 2} {
				for _, pb := range [][2]uint32{{512, 4096}, {48000, 192000}, {512, 192000}} {
					p := request(f, ch, rate)
					p.SetMask(ParamAccess, uint32(AccessRWInterleaved))
					p.SetIntervalValue(ParamPeriodSize, pb[0])
					p.SetIntervalValue(ParamBufferSize, pb[1])
					if err := c.Choose(&p); err != nil {
						t.Errorf("%s %d Hz %d ch period %d buffer %d: %v", f, rate, ch, pb[0], pb[1], err)
						continue
					}
					cfg, err := p.Config()
					if err != nil || cfg.PeriodSize != int(pb[0]) || cfg.BufferSize != int(pb[1]) ||
						cfg.Periods != int(pb[1]/pb[0]) || cfg.Rate != int(rate) {
						t.Errorf("%s %d Hz %d ch: %+v %v", f, rate, ch, cfg, err)
					}
				}
			}
		}
	}
}
