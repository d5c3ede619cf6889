// Package oss is vsnd's OSS face without FUSE: the logic behind /dev/dsp
// and /dev/mixer, mirroring ALSA's OSS emulation (sound/core/oss/pcm_oss.c
// and mixer_oss.c) on top of the PCM core's substream API.
package oss
