package oss

import (
	"errors"
	"syscall"
	"testing"
)

func mixerIoctl(t *testing.T, m *Mixer, cmd Ioctl, in int32) int32 {
	t.Helper()
	var arg []byte
	if cmd.CopiesIn() {
		arg = EncodeInt(in)
	}
	out, err := m.Ioctl(uint32(cmd), arg)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	v, err := DecodeInt(out)
	if err != nil {
		t.Fatalf("%s: answer % x: %v", cmd, out, err)
	}
	return v
}

func TestMixerMasks(t *testing.T) {
	m := NewMixer("vsnd", "vsnd mixer", NewMemMixer())
	for _, tc := range []struct {
		cmd  Ioctl
		want int32
	}{
		{SOUND_MIXER_READ_DEVMASK, SOUND_MASK_VOLUME | SOUND_MASK_PCM | SOUND_MASK_LINE | SOUND_MASK_MIC},
		{SOUND_MIXER_READ_STEREODEVS, SOUND_MASK_VOLUME | SOUND_MASK_PCM | SOUND_MASK_LINE},
		{SOUND_MIXER_READ_RECMASK, SOUND_MASK_LINE | SOUND_MASK_MIC},
		{SOUND_MIXER_READ_CAPS, 0},
		{SOUND_MIXER_READ_RECSRC, SOUND_MASK_MIC},
		{SOUND_MIXER_READ_VOLUME, 75 | 75<<8},
		{SOUND_MIXER_READ_PCM, 75 | 75<<8},
		{OSS_GETVERSION, SNDRV_OSS_VERSION},
	} {
		if got := mixerIoctl(t, m, tc.cmd, 0); got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.cmd, got, tc.want)
		}
	}
}

func TestMixerVolume(t *testing.T) {
	b := NewMemMixer()
	m := NewMixer("vsnd", "vsnd mixer", b)
	// snd_mixer_oss_set_volume: left/right bytes, clamped to 100.
	if got := mixerIoctl(t, m, SOUND_MIXER_WRITE_PCM, 30|200<<8); got != 30|100<<8 {
		t.Fatalf("WRITE_PCM answered %#x", got)
	}
	if l, r := b.Volume(SOUND_MIXER_PCM); l != 30 || r != 100 {
		t.Fatalf("backend PCM %d/%d", l, r)
	}
	if got := mixerIoctl(t, m, SOUND_MIXER_READ_PCM, 0); got != 30|100<<8 {
		t.Fatalf("READ_PCM %#x", got)
	}
	// The volume register ignores bits above 15.
	if got := mixerIoctl(t, m, SOUND_MIXER_WRITE_VOLUME, 0x7fff0000|50|60<<8); got != 50|60<<8 {
		t.Fatalf("WRITE_VOLUME %#x", got)
	}
	// Mono channel: right follows left.
	if got := mixerIoctl(t, m, MixerWrite(SOUND_MIXER_MIC), 40|90<<8); got != 40|40<<8 {
		t.Fatalf("WRITE_MIC %#x", got)
	}
	if l, r := b.Volume(SOUND_MIXER_MIC); l != 40 || r != 40 {
		t.Fatalf("mic %d/%d", l, r)
	}
	// A slot without a channel remembers (pslot->volume) but has no backend.
	if got := mixerIoctl(t, m, MixerWrite(SOUND_MIXER_CD), 10|20<<8); got != 10|10<<8 {
		t.Fatalf("WRITE_CD %#x", got)
	}
	if got := mixerIoctl(t, m, MixerRead(SOUND_MIXER_CD), 0); got != 10|10<<8 {
		t.Fatalf("READ_CD %#x", got)
	}
	// Slots above 30 are EIO.
	if _, err := m.Ioctl(uint32(MixerRead(31)), nil); !errors.Is(err, syscall.EIO) {
		t.Fatalf("slot 31: %v", err)
	}
	info, err := m.Ioctl(uint32(SOUND_MIXER_INFO), nil)
	if err != nil {
		t.Fatal(err)
	}
	mi, _ := DecodeMixerInfo(info)
	if mi.ID != "vsnd" || mi.Name != "vsnd mixer" || mi.ModifyCounter != 3 || len(info) != MixerInfoSize {
		t.Fatalf("info %+v (%d bytes)", mi, len(info))
	}
	old, err := m.Ioctl(uint32(SOUND_OLD_MIXER_INFO), nil)
	if err != nil || len(old) != OldMixerInfoSize {
		t.Fatalf("old info %d bytes %v", len(old), err)
	}
}

func TestMixerRecSrc(t *testing.T) {
	m := NewMixer("vsnd", "vsnd mixer", NewMemMixer())
	if got := mixerIoctl(t, m, SOUND_MIXER_WRITE_RECSRC, SOUND_MASK_LINE|SOUND_MASK_PCM); got != SOUND_MASK_LINE {
		t.Fatalf("WRITE_RECSRC answered %#x", got)
	}
	if got := mixerIoctl(t, m, SOUND_MIXER_READ_RECSRC, 0); got != SOUND_MASK_LINE {
		t.Fatalf("READ_RECSRC %#x", got)
	}
}

func TestMixerBadRequests(t *testing.T) {
	m := NewMixer("vsnd", "vsnd mixer", NewMemMixer())
	for _, tc := range []struct {
		cmd   uint32
		arg   []byte
		errno syscall.Errno
	}{
		{uint32(SOUND_MIXER_WRITE_PCM), []byte{1}, syscall.EFAULT},
		{uint32(sio('M', 3)), nil, syscall.ENXIO},
		{uint32(sior('M', 4, 2)), nil, syscall.EFAULT},
		{uint32(siowr('M', 102, 128)), make([]byte, 128), syscall.EIO}, // SOUND_MIXER_ACCESS: slot 102
		{0xffffffff, make([]byte, 16384), syscall.EIO},
	} {
		if _, err := m.Ioctl(tc.cmd, tc.arg); !errors.Is(err, tc.errno) {
			t.Errorf("%s: %v, want %v", Ioctl(tc.cmd), err, tc.errno)
		}
	}
}
