package pcm

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/timer"
)

// nopDriver is a Driver that does nothing; the card model never calls it.
type nopDriver struct{}

func (nopDriver) Open(*Substream) error                { return nil }
func (nopDriver) Close(*Substream) error               { return nil }
func (nopDriver) HWParams(*Substream, Config) error    { return nil }
func (nopDriver) HWFree(*Substream) error              { return nil }
func (nopDriver) Prepare(*Substream) error             { return nil }
func (nopDriver) Trigger(*Substream, TriggerCmd) error { return nil }
func (nopDriver) Pointer(*Substream) int               { return 0 }
func (nopDriver) SyncStop(*Substream)                  {}

func testBackend() Backend {
	return Backend{Clock: timer.NewFake(), NewDriver: func() Driver { return nopDriver{} }}
}

func testHardware() Hardware {
	return Hardware{
		Info:           InfoInterleaved | InfoMMap | InfoMMapValid,
		Formats:        1<<uint(FormatS16LE) | 1<<uint(FormatS32LE),
		RateMin:        8000,
		RateMax:        192000,
		ChannelsMin:    1,
		ChannelsMax:    8,
		BufferBytesMax: 1 << 20,
		PeriodBytesMin: 64,
		PeriodBytesMax: 1 << 19,
		PeriodsMin:     2,
		PeriodsMax:     1024,
	}
}

func testDevice(p, c int) DeviceConfig {
	return DeviceConfig{Playback: p, Capture: c, Hardware: [2]Hardware{testHardware(), testHardware()}}
}

func TestNewCardDefaults(t *testing.T) {
	c, err := NewCard(1, CardConfig{Devices: []DeviceConfig{testDevice(2, 1), testDevice(1, 0)}}, testBackend())
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != 1 || c.ID != "vsnd_1" || c.Driver != "vsnd" || c.LongName != "Virtual Sound Card 1" {
		t.Errorf("defaults: %+v", c)
	}
	if len(c.Devices) != 2 {
		t.Fatalf("devices: %d", len(c.Devices))
	}
	d := c.Devices[0]
	if got := len(d.Substreams(Playback)); got != 2 {
		t.Errorf("playback substreams %d, want 2", got)
	}
	if got := len(d.Substreams(Capture)); got != 1 {
		t.Errorf("capture substreams %d, want 1", got)
	}
	if got := len(c.Devices[1].Substreams(Capture)); got != 0 {
		t.Errorf("device 1 capture substreams %d, want 0", got)
	}
	if d.StreamDir(Playback) != "pcm0p" || c.Devices[1].StreamDir(Capture) != "pcm1c" {
		t.Errorf("stream dirs %q %q", d.StreamDir(Playback), c.Devices[1].StreamDir(Capture))
	}
	if d.Substream(Playback, 1) == nil || d.Substream(Playback, 2) != nil || d.Substream(Capture, -1) != nil {
		t.Error("Substream lookup out of range")
	}
	if d.Substream(Playback, 0) == d.Substream(Playback, 1) {
		t.Error("substreams are not distinct")
	}
}

func TestNewCardInvalid(t *testing.T) {
	noFmt := testDevice(1, 0)
	noFmt.Hardware[Playback].Formats = 0
	badRate := testDevice(0, 1)
	badRate.Hardware[Capture].RateMax = 10
	tinyBuf := testDevice(1, 0)
	tinyBuf.Hardware[Playback].BufferBytesMax = 100
	unknownFmt := testDevice(1, 0)
	unknownFmt.Hardware[Playback].Formats |= 1 << 20
	for _, tc := range []struct {
		name string
		n    int
		cfg  CardConfig
		want string
	}{
		{"number", MaxCards, CardConfig{Devices: []DeviceConfig{testDevice(1, 1)}}, "out of range"},
		{"no devices", 0, CardConfig{}, "no PCM devices"},
		{"empty device", 0, CardConfig{Devices: []DeviceConfig{testDevice(0, 0)}}, "neither playback nor capture"},
		{"too many subs", 0, CardConfig{Devices: []DeviceConfig{testDevice(MaxSubstreams+1, 0)}}, "substreams"},
		{"negative subs", 0, CardConfig{Devices: []DeviceConfig{testDevice(-1, 1)}}, "substreams"},
		{"id chars", 0, CardConfig{ID: "my card", Devices: []DeviceConfig{testDevice(1, 1)}}, "only letters"},
		{"id long", 0, CardConfig{ID: strings.Repeat("a", 16), Devices: []DeviceConfig{testDevice(1, 1)}}, "1..15"},
		{"name long", 0, CardConfig{Name: strings.Repeat("n", 32), Devices: []DeviceConfig{testDevice(1, 1)}}, "longer than"},
		{"name ctrl", 0, CardConfig{Name: "a\nb", Devices: []DeviceConfig{testDevice(1, 1)}}, "control character"},
		{"no formats", 0, CardConfig{Devices: []DeviceConfig{noFmt}}, "no sample formats"},
		{"bad rate", 0, CardConfig{Devices: []DeviceConfig{badRate}}, "bad rate range"},
		{"tiny buffer", 0, CardConfig{Devices: []DeviceConfig{tinyBuf}}, "buffer_bytes_max"},
		{"unknown format", 0, CardConfig{Devices: []DeviceConfig{unknownFmt}}, "unknown format bit 20"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewCard(tc.n, tc.cfg, testBackend())
			if err == nil {
				t.Fatal("NewCard succeeded")
			}
			if Errno(err) != syscall.EINVAL {
				t.Errorf("errno %v, want EINVAL", Errno(err))
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
	if _, err := NewCard(0, CardConfig{Devices: []DeviceConfig{testDevice(1, 1)}}, Backend{}); Errno(err) != syscall.EINVAL {
		t.Errorf("empty backend: %v", err)
	}
}

func TestAttachDetach(t *testing.T) {
	c, err := NewCard(0, CardConfig{Devices: []DeviceConfig{testDevice(2, 0)}}, testBackend())
	if err != nil {
		t.Fatal(err)
	}
	d := c.Devices[0]
	s1, err := d.Attach(Playback, 1)
	if err != nil || s1 != d.Substream(Playback, 1) {
		t.Fatalf("Attach(1) = %v, %v", s1, err)
	}
	if _, err := d.Attach(Playback, 1); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("second Attach(1): %v, want EBUSY", err)
	}
	s0, err := d.Attach(Playback, -1)
	if err != nil || s0 != d.Substream(Playback, 0) {
		t.Fatalf("Attach(any) = %v, %v; want sub0", s0, err)
	}
	if _, err := d.Attach(Playback, -1); !errors.Is(err, syscall.EAGAIN) {
		t.Errorf("Attach(any) when full: %v, want EAGAIN", err)
	}
	if _, err := d.Attach(Capture, 0); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("Attach on a stream without substreams: %v, want ENODEV", err)
	}
	if _, err := d.Attach(Playback, 2); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("Attach(2): %v, want ENODEV", err)
	}
	info, err := d.Info(Playback, 1)
	if err != nil {
		t.Fatal(err)
	}
	if info.SubdevicesAvail != 0 || info.SubdevicesCount != 2 {
		t.Errorf("info with both attached: %+v", info)
	}
	d.Detach(Playback, 1)
	if d.Attached(Playback, 1) || !d.Attached(Playback, 0) {
		t.Error("Attached after Detach(1) is wrong")
	}
	info, _ = d.Info(Playback, 1)
	if info.SubdevicesAvail != 1 {
		t.Errorf("subdevices_avail %d after detach, want 1", info.SubdevicesAvail)
	}
	if s, err := d.Attach(Playback, -1); err != nil || s != d.Substream(Playback, 1) {
		t.Errorf("Attach(any) after detach = %v, %v; want sub1", s, err)
	}
	d.Detach(Playback, 7) // out of range: no-op, no panic
}

func TestInfo(t *testing.T) {
	c, err := NewCard(3, CardConfig{Devices: []DeviceConfig{testDevice(1, 0), {ID: "Loop", Name: "Loopback PCM", Capture: 3, Hardware: [2]Hardware{{}, testHardware()}}}}, testBackend())
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Devices[1].Info(Capture, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Card: 3, Device: 1, Subdevice: 2, Stream: Capture, ID: "Loop", Name: "Loopback PCM",
		Subname: "subdevice #2", SubdevicesCount: 3, SubdevicesAvail: 3}
	if got != want {
		t.Errorf("Info = %+v\nwant %+v", got, want)
	}
	if _, err := c.Devices[1].Info(Playback, 0); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("Info of a missing stream: %v, want ENOENT", err)
	}
}
