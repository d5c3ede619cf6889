package oss

import (
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// MemMixer is an in-memory MixerBackend for the tests (a card uses
// pcm/mixer.OSSMixer): master volume (SOUND_MIXER_VOLUME)
// and PCM in stereo, line in stereo and mic in mono as recording sources,
// like the "Master", "PCM", "Line" and "Mic" controls of snd-dummy. Every
// volume starts at 75 (OSS's customary default), mic is the recording
// source.
type MemMixer struct {
	mu      sync.Mutex
	vol     [mixerSlots][2]int // guarded by mu
	recsrc  uint32             // guarded by mu
	changes int                // guarded by mu
}

// The channels of MemMixer.
const (
	memDevMask    = SOUND_MASK_VOLUME | SOUND_MASK_PCM | SOUND_MASK_LINE | SOUND_MASK_MIC
	memStereoDevs = SOUND_MASK_VOLUME | SOUND_MASK_PCM | SOUND_MASK_LINE
	memRecMask    = SOUND_MASK_LINE | SOUND_MASK_MIC
)

var _ MixerBackend = (*MemMixer)(nil)

// NewMemMixer returns a MemMixer in its initial state.
func NewMemMixer() *MemMixer {
	m := &MemMixer{recsrc: SOUND_MASK_MIC}
	for ch := 0; ch < mixerSlots; ch++ {
		if memDevMask&(1<<ch) != 0 {
			m.vol[ch] = [2]int{75, 75}
		}
	}
	return m
}

// Channels implements MixerBackend.
func (m *MemMixer) Channels() (devmask, stereodevs, recmask uint32) {
	return memDevMask, memStereoDevs, memRecMask
}

// Volume implements MixerBackend.
func (m *MemMixer) Volume(ch int) (left, right int) {
	if ch < 0 || ch >= mixerSlots {
		return 0, 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.vol[ch][0], m.vol[ch][1]
}

// SetVolume implements MixerBackend. EINVAL for a channel it does not have
// or a volume outside 0..100.
func (m *MemMixer) SetVolume(ch, left, right int) error {
	if ch < 0 || ch >= mixerSlots || memDevMask&(1<<ch) == 0 {
		return pcm.Errorf(syscall.EINVAL, "mixer: no channel %d", ch)
	}
	if left < 0 || left > 100 || right < 0 || right > 100 {
		return pcm.Errorf(syscall.EINVAL, "mixer: volume %d/%d out of 0..100", left, right)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.vol[ch] != [2]int{left, right} {
		m.vol[ch] = [2]int{left, right}
		m.changes++
	}
	return nil
}

// RecSrc implements MixerBackend.
func (m *MemMixer) RecSrc() uint32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recsrc
}

// SetRecSrc implements MixerBackend.
func (m *MemMixer) SetRecSrc(mask uint32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	mask &= memRecMask
	if m.recsrc != mask {
		m.recsrc = mask
		m.changes++
	}
	return nil
}

// ModifyCounter implements MixerBackend.
func (m *MemMixer) ModifyCounter() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes
}
