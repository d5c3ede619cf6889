package oss

import "github.com/vsnd/vsnd/pcm"

// Sample formats, AFMT_* (soundcard.h; the OSS 4 additions as pcm_oss.c
// defines them). An OSS format is one bit; SNDCTL_DSP_GETFMTS answers a
// mask of them.
const (
	AFMT_QUERY      = 0x00000000
	AFMT_MU_LAW     = 0x00000001
	AFMT_A_LAW      = 0x00000002
	AFMT_IMA_ADPCM  = 0x00000004
	AFMT_U8         = 0x00000008
	AFMT_S16_LE     = 0x00000010
	AFMT_S16_BE     = 0x00000020
	AFMT_S8         = 0x00000040
	AFMT_U16_LE     = 0x00000080
	AFMT_U16_BE     = 0x00000100
	AFMT_MPEG       = 0x00000200
	AFMT_AC3        = 0x00000400
	AFMT_VORBIS     = 0x00000800
	AFMT_S32_LE     = 0x00001000
	AFMT_S32_BE     = 0x00002000
	AFMT_FLOAT      = 0x00004000
	AFMT_S24_LE     = 0x00008000 // 24 bits in the low bytes of 4 (OSS 4)
	AFMT_S24_BE     = 0x00010000
	AFMT_SPDIF_RAW  = 0x00020000
	AFMT_S24_PACKED = 0x00040000 // 24 bits in 3 bytes, little endian

	// AFMT_S16_NE is the host order; every platform vsnd runs on is little
	// endian.
	AFMT_S16_NE = AFMT_S16_LE
)

// afmtTable is the pair of switches of snd_pcm_oss_format_from and
// snd_pcm_oss_format_to, restricted to the formats pcm.Format knows
// (MU_LAW, A_LAW, IMA_ADPCM, MPEG and IEC958 have no pcm.Format: vsnd does
// no companding or pass-through).
var afmtTable = [...]struct {
	afmt uint32
	f    pcm.Format
}{
	{AFMT_U8, pcm.FormatU8},
	{AFMT_S16_LE, pcm.FormatS16LE},
	{AFMT_S16_BE, pcm.FormatS16BE},
	{AFMT_S8, pcm.FormatS8},
	{AFMT_U16_LE, pcm.FormatU16LE},
	{AFMT_U16_BE, pcm.FormatU16BE},
	{AFMT_S32_LE, pcm.FormatS32LE},
	{AFMT_S32_BE, pcm.FormatS32BE},
	{AFMT_S24_LE, pcm.FormatS24LE},
	{AFMT_S24_BE, pcm.FormatS24BE},
	{AFMT_S24_PACKED, pcm.FormatS24_3LE},
	{AFMT_FLOAT, pcm.FormatFloatLE}, // SNDRV_PCM_FORMAT_FLOAT is FLOAT_LE on little endian
}

// FormatFrom is snd_pcm_oss_format_from: the ALSA format of an OSS format.
// Like the kernel it answers U8 for anything it does not know (the kernel's
// default branch), so a request for an unsupported format plays as U8.
func FormatFrom(afmt uint32) pcm.Format {
	for _, e := range afmtTable {
		if e.afmt == afmt {
			return e.f
		}
	}
	return pcm.FormatU8
}

// FormatTo is snd_pcm_oss_format_to: the OSS format of an ALSA format, and
// false (the kernel's -EINVAL) for a format OSS cannot name (S24_3BE,
// U24, U32, FLOAT_BE, FLOAT64, ...).
func FormatTo(f pcm.Format) (uint32, bool) {
	for _, e := range afmtTable {
		if e.f == f {
			return e.afmt, true
		}
	}
	return 0, false
}

// FormatsOf is the GETFMTS answer for a hardware format mask (SNDRV_PCM_FMTBIT_*
// bits, as pcm.Hardware.Formats or a refined format mask): the OSS bit of
// every format OSS can name. snd_pcm_oss_get_formats looks at the first 32
// ALSA formats only; so does this.
func FormatsOf(fmtbits uint64) uint32 {
	var res uint32
	for f := pcm.Format(0); f < 32; f++ {
		if fmtbits&(1<<uint(f)) == 0 {
			continue
		}
		if a, ok := FormatTo(f); ok {
			res |= a
		}
	}
	return res
}
