package mmap

import (
	"testing"
	"unsafe"
)

// TestLayout pins Status and Control to the x86_64 kernel layout of
// struct snd_pcm_mmap_status and struct snd_pcm_mmap_control
// (include/uapi/sound/asound.h, __snd_pcm_mmap_status64 with 64-bit
// snd_pcm_uframes_t and struct __snd_timespec64).
func TestLayout(t *testing.T) {
	var s Status
	var c Control
	for _, tc := range []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(Timespec)", unsafe.Sizeof(Timespec{}), 16},
		{"sizeof(Status)", unsafe.Sizeof(s), 56},
		{"offsetof(state)", unsafe.Offsetof(s.State), 0},
		{"offsetof(hw_ptr)", unsafe.Offsetof(s.HWPtr), 8},
		{"offsetof(tstamp)", unsafe.Offsetof(s.Tstamp), 16},
		{"offsetof(suspended_state)", unsafe.Offsetof(s.SuspendedState), 32},
		{"offsetof(audio_tstamp)", unsafe.Offsetof(s.AudioTstamp), 40},
		{"sizeof(Control)", unsafe.Sizeof(c), 16},
		{"offsetof(appl_ptr)", unsafe.Offsetof(c.ApplPtr), 0},
		{"offsetof(avail_min)", unsafe.Offsetof(c.AvailMin), 8},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %d, want %d", tc.name, tc.got, tc.want)
		}
	}
	if OffsetStatus != 0x80000000 || OffsetControl != 0x81000000 || OffsetData != 0 {
		t.Errorf("offsets %#x/%#x/%#x, want 0/0x80000000/0x81000000", OffsetData, OffsetStatus, OffsetControl)
	}
}
