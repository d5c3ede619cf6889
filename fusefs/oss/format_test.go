package oss

import (
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

func TestFormatMapping(t *testing.T) {
	for _, tc := range []struct {
		afmt uint32
		f    pcm.Format
	}{
		{AFMT_U8, pcm.FormatU8}, {AFMT_S8, pcm.FormatS8},
		{AFMT_S16_LE, pcm.FormatS16LE}, {AFMT_S16_BE, pcm.FormatS16BE},
		{AFMT_U16_LE, pcm.FormatU16LE}, {AFMT_U16_BE, pcm.FormatU16BE},
		{AFMT_S32_LE, pcm.FormatS32LE}, {AFMT_S32_BE, pcm.FormatS32BE},
		{AFMT_S24_LE, pcm.FormatS24LE}, {AFMT_S24_BE, pcm.FormatS24BE},
		{AFMT_S24_PACKED, pcm.FormatS24_3LE}, {AFMT_FLOAT, pcm.FormatFloatLE},
	} {
		if got := FormatFrom(tc.afmt); got != tc.f {
			t.Errorf("FormatFrom(%#x) = %s, want %s", tc.afmt, got, tc.f)
		}
		if got, ok := FormatTo(tc.f); !ok || got != tc.afmt {
			t.Errorf("FormatTo(%s) = %#x %v, want %#x", tc.f, got, ok, tc.afmt)
		}
	}
	// snd_pcm_oss_format_from's default branch.
	for _, a := range []uint32{AFMT_MU_LAW, AFMT_A_LAW, AFMT_MPEG, AFMT_AC3, 0x80000000, 0} {
		if got := FormatFrom(a); got != pcm.FormatU8 {
			t.Errorf("FormatFrom(%#x) = %s, want U8", a, got)
		}
	}
	for _, f := range []pcm.Format{pcm.FormatS24_3BE, pcm.FormatU24LE, pcm.FormatU32LE,
		pcm.FormatFloatBE, pcm.FormatFloat64LE, pcm.Format(99)} {
		if a, ok := FormatTo(f); ok {
			t.Errorf("FormatTo(%s) = %#x, want none", f, a)
		}
	}
}

func TestFormatsOfDefaultHardware(t *testing.T) {
	got := FormatsOf(pcm.DefaultHardware().Formats)
	// S24_3LE is ALSA format 32: snd_pcm_oss_get_formats looks at formats
	// 0..31 only, so AFMT_S24_PACKED is not offered in direct mode.
	want := uint32(AFMT_U8 | AFMT_S8 | AFMT_S16_LE | AFMT_S16_BE | AFMT_U16_LE | AFMT_U16_BE |
		AFMT_S32_LE | AFMT_S32_BE | AFMT_S24_LE | AFMT_S24_BE | AFMT_FLOAT)
	if got != want {
		t.Fatalf("FormatsOf(default) = %#x, want %#x", got, want)
	}
	if got := FormatsOf(1 << uint(pcm.FormatS16LE)); got != AFMT_S16_LE {
		t.Fatalf("S16_LE only: %#x", got)
	}
}
