package oss

import (
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// The mixer: snd_mixer_oss_ioctl1 and its helpers
// (sound/core/oss/mixer_oss.c) over a MixerBackend.

// mixerSlots is the number of OSS mixer slots the kernel keeps
// (struct snd_mixer_oss.slots[SNDRV_OSS_MAX_MIXERS]); slot numbers above
// 30 are EIO.
const mixerSlots = 31

// MixerBackend is what an OSS mixer shows: a set of channels (slots
// SOUND_MIXER_VOLUME, SOUND_MIXER_PCM, ...) with a left and right volume
// in 0..100, some of them recording sources. A card's control model backs
// it later (the kernel maps slots to "Master", "PCM", ... controls in
// snd_mixer_oss_build_input); MemMixer is an in-memory one.
//
// Channel numbers passed in are below 31 and present in the devmask;
// volumes passed to SetVolume are already clamped to 0..100 (and equal
// for a mono channel). Implementations must be safe for concurrent use.
type MixerBackend interface {
	// Channels returns the channels that exist (SOUND_MIXER_READ_DEVMASK),
	// the stereo ones (STEREODEVS) and the recording sources (RECMASK).
	Channels() (devmask, stereodevs, recmask uint32)
	// Volume returns the volume of a channel.
	Volume(ch int) (left, right int)
	// SetVolume changes the volume of a channel.
	SetVolume(ch, left, right int) error
	// RecSrc returns the active recording sources, a subset of recmask.
	RecSrc() uint32
	// SetRecSrc makes mask (already limited to recmask) the active sources.
	SetRecSrc(mask uint32) error
	// ModifyCounter counts changes (mixer_info.modify_counter).
	ModifyCounter() int
}

// Mixer answers the mixer requests of /dev/mixer (and the 'M' requests of
// /dev/dsp) for one card.
type Mixer struct {
	id      string       // immutable: mixer_info.id (the card's driver)
	name    string       // immutable: mixer_info.name (the card's mixername)
	backend MixerBackend // immutable

	mu     sync.Mutex
	volume [mixerSlots][2]int // guarded by mu: pslot->volume, what was last read or set
}

// NewMixer returns the mixer of a card: id and name are what
// SOUND_MIXER_INFO reports (snd_card.driver and snd_card.mixername).
func NewMixer(id, name string, b MixerBackend) *Mixer {
	return &Mixer{id: id, name: name, backend: b}
}

// Ioctl answers a mixer request as snd_mixer_oss_ioctl1: the named
// requests, then MIXER_WRITE(slot) for any other request that copies in
// and MIXER_READ(slot) for any that copies out. arg and the result are as
// for DSP.Ioctl.
//
// Errors: EIO for a slot above 30; EFAULT for a short argument or a
// request too small for its answer; ENXIO for a request without
// direction; the backend's errno.
func (m *Mixer) Ioctl(cmd uint32, arg []byte) ([]byte, error) {
	c := Ioctl(cmd)
	if c.Type() == 'M' {
		switch c {
		case SOUND_MIXER_INFO:
			return MixerInfo{ID: m.id, Name: m.name, ModifyCounter: int32(m.backend.ModifyCounter())}.Encode(), nil
		case SOUND_OLD_MIXER_INFO:
			return MixerInfo{ID: m.id, Name: m.name}.Encode()[:OldMixerInfoSize], nil
		case OSS_GETVERSION:
			return EncodeInt(SNDRV_OSS_VERSION), nil
		case OSS_ALSAEMULVER:
			return EncodeInt(1), nil
		case SOUND_MIXER_READ_DEVMASK:
			dev, _, _ := m.backend.Channels()
			return EncodeInt(int32(dev & slotMask)), nil
		case SOUND_MIXER_READ_STEREODEVS:
			dev, stereo, _ := m.backend.Channels()
			return EncodeInt(int32(dev & stereo & slotMask)), nil
		case SOUND_MIXER_READ_RECMASK:
			return EncodeInt(int32(m.recmask())), nil
		case SOUND_MIXER_READ_CAPS:
			return EncodeInt(0), nil // not exclusive: no SOUND_CAP_EXCL_INPUT
		case SOUND_MIXER_READ_RECSRC:
			return EncodeInt(int32(m.backend.RecSrc() & m.recmask())), nil
		case SOUND_MIXER_WRITE_RECSRC:
			v, err := DecodeInt(arg)
			if err != nil {
				return nil, err
			}
			r, err := m.setRecSrc(uint32(v))
			if err != nil {
				return nil, err
			}
			return EncodeInt(int32(r)), nil
		}
	}
	switch {
	case c.CopiesIn():
		v, err := DecodeInt(arg)
		if err != nil {
			return nil, err
		}
		if c.CopiesOut() && c.Size() < sizeInt {
			return nil, errShort(c.String(), c.Size(), sizeInt)
		}
		r, err := m.setVolume(int(c.Nr()), v)
		if err != nil {
			return nil, err
		}
		if !c.CopiesOut() {
			return nil, nil
		}
		return EncodeInt(r), nil
	case c.CopiesOut():
		if c.Size() < sizeInt {
			return nil, errShort(c.String(), c.Size(), sizeInt)
		}
		r, err := m.getVolume(int(c.Nr()))
		if err != nil {
			return nil, err
		}
		return EncodeInt(r), nil
	}
	return nil, pcm.Errorf(syscall.ENXIO, "oss mixer: %s has no argument", c)
}

// slotMask keeps the 31 slot bits (bit 31 "is reserved").
const slotMask = 1<<mixerSlots - 1

func (m *Mixer) recmask() uint32 {
	dev, _, rec := m.backend.Channels()
	return dev & rec & slotMask
}

// getVolume is snd_mixer_oss_get_volume: left | right << 8, right = left
// for a mono channel. A slot without a channel answers what was last set.
func (m *Mixer) getVolume(slot int) (int32, error) {
	if slot >= mixerSlots {
		return 0, pcm.Errorf(syscall.EIO, "oss mixer: no slot %d", slot)
	}
	dev, stereo, _ := m.backend.Channels()
	m.mu.Lock()
	defer m.mu.Unlock()
	left, right := m.volume[slot][0], m.volume[slot][1]
	if dev&(1<<slot) != 0 {
		left, right = m.backend.Volume(slot)
	}
	if stereo&(1<<slot) == 0 || dev&(1<<slot) == 0 {
		right = left
	}
	if left < 0 || left > 100 || right < 0 || right > 100 {
		return 0, pcm.Errorf(syscall.EIO, "oss mixer: slot %d volume %d/%d out of range", slot, left, right)
	}
	m.volume[slot] = [2]int{left, right}
	return int32(left&0xff | (right&0xff)<<8), nil
}

// setVolume is snd_mixer_oss_set_volume: left in bits 0..7, right in
// 8..15, each clamped to 100; the answer is what was set.
func (m *Mixer) setVolume(slot int, v int32) (int32, error) {
	if slot >= mixerSlots {
		return 0, pcm.Errorf(syscall.EIO, "oss mixer: no slot %d", slot)
	}
	left, right := int(v&0xff), int(v>>8&0xff)
	left, right = min(left, 100), min(right, 100)
	dev, stereo, _ := m.backend.Channels()
	if stereo&(1<<slot) == 0 || dev&(1<<slot) == 0 {
		right = left
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if dev&(1<<slot) != 0 {
		if err := m.backend.SetVolume(slot, left, right); err != nil {
			return 0, err
		}
	}
	m.volume[slot] = [2]int{left, right}
	return int32(left | right<<8), nil
}

// setRecSrc is snd_mixer_oss_set_recsrc for a non-exclusive mixer: every
// recording source in mask becomes active, the others inactive; the
// answer is the active set.
func (m *Mixer) setRecSrc(mask uint32) (uint32, error) {
	rec := m.recmask()
	if err := m.backend.SetRecSrc(mask & rec); err != nil {
		return 0, err
	}
	return m.backend.RecSrc() & rec, nil
}
