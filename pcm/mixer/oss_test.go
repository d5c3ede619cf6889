package mixer_test

import (
	"slices"
	"testing"

	"github.com/vsnd/vsnd/fusefs/oss"
	"github.com/vsnd/vsnd/pcm/mixer"
)

// OSSMixer has the method set of the OSS face's backend.
var _ oss.MixerBackend = (*mixer.OSSMixer)(nil)

func read(t *testing.T, m *mixer.Mixer, name string) mixer.Values {
	t.Helper()
	v, err := m.Read(mixer.ElemID{Iface: mixer.IfaceMixer, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOSSChannels(t *testing.T) {
	o := mixer.Default().OSS()
	dev, stereo, rec := o.Channels()
	want := uint32(1<<mixer.OSSVolume | 1<<mixer.OSSPCM | 1<<mixer.OSSIGain)
	if dev != want || stereo != want || rec != 0 {
		t.Fatalf("devmask %#x stereodevs %#x recmask %#x, want %#x %#x 0", dev, stereo, rec, want, want)
	}
	for _, ch := range []int{mixer.OSSVolume, mixer.OSSPCM, mixer.OSSIGain} {
		if l, r := o.Volume(ch); l != 100 || r != 100 {
			t.Errorf("slot %d: %d/%d at 0 dB", ch, l, r)
		}
	}
	if l, r := o.Volume(mixer.OSSLine); l != 0 || r != 0 {
		t.Errorf("absent slot: %d/%d", l, r)
	}
	if err := o.SetVolume(mixer.OSSLine, 50, 50); err == nil {
		t.Error("SetVolume on an absent slot succeeded")
	}
}

func TestOSSSetVolumeDrivesControls(t *testing.T) {
	m := mixer.Default()
	o := m.OSS()
	sub := m.Subscribe()
	if err := o.SetVolume(mixer.OSSVolume, 75, 40); err != nil {
		t.Fatal(err)
	}
	if v := read(t, m, mixer.MasterVolume); !slices.Equal(v, mixer.Values{75, 40}) {
		t.Fatalf("Master = %v", v)
	}
	if sub.Pending() != 1 || o.ModifyCounter() != 1 { // the switch stayed on: one change
		t.Fatalf("pending %d counter %d", sub.Pending(), o.ModifyCounter())
	}
	// Level 0 on the right turns its switch off (snd_mixer_oss_put_volume1_sw).
	if err := o.SetVolume(mixer.OSSPCM, 30, 0); err != nil {
		t.Fatal(err)
	}
	if v := read(t, m, mixer.PCMSwitch); !slices.Equal(v, mixer.Values{1, 0}) {
		t.Fatalf("PCM switch = %v", v)
	}
	if g := m.PlaybackGain(); g[1] != 0 || g[0] == 0 {
		t.Fatalf("gain %v", g)
	}
	// A switch turned off through ALSA reads as level 0 in OSS.
	m.Write(nil, mixer.ElemID{Iface: mixer.IfaceMixer, Name: mixer.MasterSwitch}, mixer.Values{0, 1})
	if l, r := o.Volume(mixer.OSSVolume); l != 0 || r != 40 {
		t.Fatalf("Master via OSS = %d/%d", l, r)
	}
	// ALSA volume changes are seen by OSS.
	m.Write(nil, mixer.ElemID{Iface: mixer.IfaceMixer, Name: mixer.CaptureVolume}, mixer.Values{10, 90})
	if l, r := o.Volume(mixer.OSSIGain); l != 10 || r != 90 {
		t.Fatalf("Capture via OSS = %d/%d", l, r)
	}
}

// TestOSSRangeMapping uses snd-dummy's -50..100 range: levels map with
// snd_mixer_oss_conv and read back as set (snd_mixer_oss_conv1).
func TestOSSRangeMapping(t *testing.T) {
	m, err := mixer.New(mixer.Config{Controls: []mixer.Control{
		{ID: mixer.ElemID{Iface: mixer.IfaceMixer, Name: "Master Volume"}, Type: mixer.TypeInteger, Count: 2,
			Min: -50, Max: 100, TLV: mixer.DBScale{Min: -4500, Step: 30}.TLV()},
		{ID: mixer.ElemID{Iface: mixer.IfaceMixer, Name: "Mic Volume"}, Type: mixer.TypeInteger, Count: 1,
			Min: 0, Max: 31, Step: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	o := m.OSS()
	dev, stereo, _ := o.Channels()
	if dev != 1<<mixer.OSSVolume|1<<mixer.OSSMic || stereo != 1<<mixer.OSSVolume {
		t.Fatalf("dev %#x stereo %#x", dev, stereo)
	}
	for lvl := 0; lvl <= 100; lvl++ {
		if err := o.SetVolume(mixer.OSSVolume, lvl, 100-lvl); err != nil {
			t.Fatal(err)
		}
		v := read(t, m, "Master Volume")
		wantL := -50 + (150*int64(lvl)+50)/100
		if v[0] != wantL {
			t.Fatalf("level %d -> %d, want %d", lvl, v[0], wantL)
		}
		if l, r := o.Volume(mixer.OSSVolume); l != lvl || r != 100-lvl {
			t.Fatalf("level %d/%d read back %d/%d", lvl, 100-lvl, l, r)
		}
		if err := o.SetVolume(mixer.OSSMic, lvl, 7); err != nil {
			t.Fatal(err)
		}
		if l, r := o.Volume(mixer.OSSMic); l != lvl || r != lvl {
			t.Fatalf("mic level %d read back %d/%d", lvl, l, r)
		}
	}
	// A value set through ALSA reads as its conversion.
	m.Write(nil, mixer.ElemID{Iface: mixer.IfaceMixer, Name: "Mic Volume"}, mixer.Values{31})
	if l, _ := o.Volume(mixer.OSSMic); l != 100 {
		t.Fatalf("mic 31/31 = %d", l)
	}
}

// TestOSSFaceOverMixer drives the OSS face's ioctls over the adapter.
func TestOSSFaceOverMixer(t *testing.T) {
	m := mixer.Default()
	face := oss.NewMixer("vsnd", "vsnd mixer", m.OSS())
	if _, err := face.Ioctl(uint32(oss.SOUND_MIXER_WRITE_PCM), oss.EncodeInt(60|30<<8)); err != nil {
		t.Fatal(err)
	}
	if v := read(t, m, mixer.PCMVolume); !slices.Equal(v, mixer.Values{60, 30}) {
		t.Fatalf("PCM = %v", v)
	}
	b, err := face.Ioctl(uint32(oss.MixerRead(mixer.OSSIGain)), nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := oss.DecodeInt(b); v != 100|100<<8 {
		t.Fatalf("IGAIN = %#x", v)
	}
	b, err = face.Ioctl(uint32(oss.SOUND_MIXER_READ_DEVMASK), nil)
	if v, _ := oss.DecodeInt(b); err != nil || v != 1<<0|1<<4|1<<12 {
		t.Fatalf("devmask %#x %v", v, err)
	}
}
