package mixer

import (
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// OSS mixer slots, SOUND_MIXER_* (include/uapi/linux/soundcard.h), the
// ones snd_mixer_oss_build_input (sound/core/oss/mixer_oss.c) can fill.
const (
	OSSVolume = 0
	OSSBass   = 1
	OSSTreble = 2
	OSSSynth  = 3
	OSSPCM    = 4
	OSSLine   = 6
	OSSMic    = 7
	OSSCD     = 8
	OSSAltPCM = 10
	OSSIGain  = 12
	OSSOGain  = 13

	ossSlots = 31 // SNDRV_OSS_MAX_MIXERS
)

// ossTable is the part of snd_mixer_oss_build_input's table that names
// controls vsnd can have: slot, base name, index.
var ossTable = []struct {
	slot  int
	name  string
	index uint32
}{
	{OSSVolume, "Master", 0},
	{OSSBass, "Tone Control - Bass", 0},
	{OSSTreble, "Tone Control - Treble", 0},
	{OSSSynth, "Synth", 0},
	{OSSPCM, "PCM", 0},
	{OSSLine, "Line", 0},
	{OSSMic, "Mic", 0},
	{OSSCD, "CD", 0},
	{OSSAltPCM, "PCM", 1},
	{OSSIGain, "Capture", 0},
	{OSSOGain, "Playback", 0},
}

// ossSlot is the controls of one slot (struct slot of mixer_oss.c): the
// volume and switch snd_mixer_oss_get_volume1/put_volume1 use.
type ossSlot struct {
	present bool
	volume  *elem // nil without one; "<name> Playback Volume", else "<name> Volume", else "<name> Capture Volume"
	swtch   *elem // nil without one; same order for "... Switch"
	stereo  bool
}

// OSSMixer shows a Mixer as an OSS mixer. Its methods have the signatures
// of fusefs/oss.MixerBackend, which it satisfies; it is here rather than
// in fusefs/oss so that the card model does not import a face (the face
// wraps a *OSSMixer as its backend). Slots map to controls as
// snd_mixer_oss_build_input does: SOUND_MIXER_VOLUME is "Master",
// SOUND_MIXER_PCM "PCM", SOUND_MIXER_IGAIN "Capture", and so on. Levels
// 0..100 map linearly onto each volume's range (snd_mixer_oss_conv); a
// switch that is off reads as level 0, and setting a level turns the
// switch on when it is above 0 and off at 0 (snd_mixer_oss_put_volume1_sw).
// Writes go through Mixer.Write as the kernel (locks ignored), so each
// real change sends its control event. There are no recording sources:
// the default mixer's "Capture Switch" is IGAIN's switch, not a route,
// exactly as the kernel would show it.
type OSSMixer struct {
	m     *Mixer
	slots [ossSlots]ossSlot // immutable after OSS

	mu  sync.Mutex       // taken before m.mu, never inside it
	old [ossSlots][2]int // guarded by mu: pslot->volume, the last levels set or read
}

// OSS returns the OSS view of m.
func (m *Mixer) OSS() *OSSMixer {
	o := &OSSMixer{m: m}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, t := range ossTable {
		s := &o.slots[t.slot]
		if s.present {
			continue
		}
		s.volume, s.swtch = o.findSlotLocked(t.name, t.index)
		s.present = s.volume != nil || s.swtch != nil
		switch {
		case s.volume != nil:
			s.stereo = s.volume.c.Count > 1
		case s.swtch != nil:
			s.stereo = s.swtch.c.Count > 1
		}
		o.old[t.slot] = [2]int{-1, -1}
	}
	return o
}

// findSlotLocked looks up the volume and switch of a slot: for each, the
// first of "<name> Playback ...", "<name> ...", "<name> Capture ..." at
// index ("PCM",1 is ALTPCM). Precondition: m.mu held.
func (o *OSSMixer) findSlotLocked(name string, index uint32) (vol, sw *elem) {
	for _, suffix := range []string{" Playback Volume", " Volume", " Capture Volume"} {
		if e, err := o.m.findLocked(ElemID{Iface: IfaceMixer, Name: name + suffix, Index: index}); err == nil && e.c.Type == TypeInteger && vol == nil {
			vol = e
		}
	}
	for _, suffix := range []string{" Playback Switch", " Switch", " Capture Switch"} {
		if e, err := o.m.findLocked(ElemID{Iface: IfaceMixer, Name: name + suffix, Index: index}); err == nil && e.c.Type == TypeBoolean && sw == nil {
			sw = e
		}
	}
	return vol, sw
}

// ossConv is snd_mixer_oss_conv: val in omin..omax to nmin..nmax,
// rounded to the closest.
func ossConv(val, omin, omax, nmin, nmax int64) int64 {
	orange, nrange := omax-omin, nmax-nmin
	if orange == 0 {
		return 0
	}
	num := nrange * (val - omin)
	if num >= 0 {
		return (num+orange/2)/orange + nmin
	}
	return (num-orange/2)/orange + nmin
}

// Channels implements fusefs/oss.MixerBackend: the slots that have
// controls, the stereo ones, and no recording sources.
func (o *OSSMixer) Channels() (devmask, stereodevs, recmask uint32) {
	for i, s := range o.slots {
		if s.present {
			devmask |= 1 << i
			if s.stereo {
				stereodevs |= 1 << i
			}
		}
	}
	return devmask, stereodevs, 0
}

// Volume implements fusefs/oss.MixerBackend as snd_mixer_oss_get_volume1:
// 100 without a volume control, the converted volume otherwise (the last
// level set when it converts to the same value, snd_mixer_oss_conv1),
// and 0 for a channel whose switch is off.
func (o *OSSMixer) Volume(ch int) (left, right int) {
	if ch < 0 || ch >= ossSlots || !o.slots[ch].present {
		return 0, 0
	}
	s := &o.slots[ch]
	o.mu.Lock()
	defer o.mu.Unlock()
	o.m.mu.Lock()
	defer o.m.mu.Unlock()
	lr := [2]int{100, 100}
	if e := s.volume; e != nil {
		for i := range lr {
			v := e.value[i%e.c.Count]
			if old := o.old[ch][i]; old >= 0 && v == o.stepLocked(e, ossConv(int64(old), 0, 100, e.c.Min, e.c.Max)) {
				lr[i] = old
			} else {
				lr[i] = int(ossConv(v, e.c.Min, e.c.Max, 0, 100))
			}
		}
	}
	if e := s.swtch; e != nil {
		for i := range lr {
			if e.value[i%e.c.Count] == 0 {
				lr[i] = 0
			}
		}
	}
	if !s.stereo {
		lr[1] = lr[0]
	}
	return lr[0], lr[1]
}

// stepLocked puts v on e's step grid.
func (o *OSSMixer) stepLocked(e *elem, v int64) int64 {
	if e.c.Step > 1 {
		v = e.c.Min + (v-e.c.Min+e.c.Step/2)/e.c.Step*e.c.Step
		v = min(v, e.c.Max)
	}
	return v
}

// SetVolume implements fusefs/oss.MixerBackend as
// snd_mixer_oss_put_volume1: the volume control gets the converted levels,
// the switch turns on for a level above 0 and off at 0. EINVAL for a slot
// without controls or a level outside 0..100.
func (o *OSSMixer) SetVolume(ch, left, right int) error {
	if ch < 0 || ch >= ossSlots || !o.slots[ch].present {
		return pcm.Errorf(syscall.EINVAL, "mixer: no OSS channel %d", ch)
	}
	if left < 0 || left > 100 || right < 0 || right > 100 {
		return pcm.Errorf(syscall.EINVAL, "mixer: OSS volume %d/%d out of 0..100", left, right)
	}
	s := &o.slots[ch]
	if !s.stereo {
		right = left
	}
	lr := [2]int{left, right}
	o.mu.Lock()
	defer o.mu.Unlock()
	if e := s.volume; e != nil {
		v := make(Values, e.c.Count)
		for i := range v {
			v[i] = o.stepLocked(e, ossConv(int64(lr[i%2]), 0, 100, e.c.Min, e.c.Max))
		}
		if _, err := o.m.Write(nil, e.c.ID, v); err != nil {
			return err
		}
	}
	if e := s.swtch; e != nil {
		v := make(Values, e.c.Count)
		for i := range v {
			if lr[i%2] > 0 {
				v[i] = 1
			}
		}
		if _, err := o.m.Write(nil, e.c.ID, v); err != nil {
			return err
		}
	}
	o.old[ch] = lr
	return nil
}

// RecSrc implements fusefs/oss.MixerBackend: no recording sources.
func (o *OSSMixer) RecSrc() uint32 { return 0 }

// SetRecSrc implements fusefs/oss.MixerBackend: mask is already limited to
// the (empty) recmask, so there is nothing to change.
func (o *OSSMixer) SetRecSrc(mask uint32) error { return nil }

// ModifyCounter implements fusefs/oss.MixerBackend: the control
// notifications so far (card->mixer_oss_change_count).
func (o *OSSMixer) ModifyCounter() int { return o.m.ModifyCounter() }
