// Package pcm is vsnd's PCM core, a faithful model of the Linux ALSA PCM
// core (sound/core/pcm_native.c, sound/core/pcm_lib.c).
package pcm
