package oss

import (
	"context"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

func testCard(t *testing.T, playback, capture int) *pcm.Device {
	t.Helper()
	fake := timer.NewFake()
	hw := pcm.DefaultHardware()
	c, err := pcm.NewCard(0, pcm.CardConfig{Devices: []pcm.DeviceConfig{{
		Playback: playback, Capture: capture, Hardware: [2]pcm.Hardware{hw, hw}}}},
		pcm.Backend{Clock: fake, NewDriver: func() pcm.Driver { return pcm.NewVirtualDriver(fake) }})
	if err != nil {
		t.Fatal(err)
	}
	return c.Devices[0]
}

func TestOpenDSP(t *testing.T) {
	dev := testCard(t, 2, 1)
	ctx := context.Background()
	a, err := OpenDSP(dev, OpenOptions{Write: true, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	caps, _ := a.Ioctl(ctx, uint32(SNDCTL_DSP_GETCAPS), nil)
	if v, _ := DecodeInt(caps); v&(DSP_CAP_DUPLEX|DSP_CAP_MULTI) != DSP_CAP_DUPLEX|DSP_CAP_MULTI {
		t.Fatalf("GETCAPS %#x: want DUPLEX and MULTI (2 playback substreams)", v)
	}
	if !dev.Attached(pcm.Playback, 0) || !dev.Attached(pcm.Capture, 0) {
		t.Fatal("substreams not attached")
	}
	// The only capture substream is taken: a second read-write open is busy
	// and gives back the playback substream it took.
	if _, err := OpenDSP(dev, OpenOptions{Write: true, Read: true}); err == nil {
		t.Fatal("second duplex open succeeded")
	} else {
		wantErrno(t, "second duplex open", err, syscall.EBUSY)
	}
	if dev.Attached(pcm.Playback, 1) {
		t.Fatal("the failed open kept a playback substream")
	}
	b, err := OpenDSP(dev, OpenOptions{Write: true})
	if err != nil {
		t.Fatalf("write-only open with a free playback substream: %v", err)
	}
	if err := a.Close(ctx, true); err != nil {
		t.Fatal(err)
	}
	if dev.Attached(pcm.Playback, 0) || dev.Attached(pcm.Capture, 0) {
		t.Fatal("Close did not detach")
	}
	b.Close(ctx, true)
	// A capture-only device opened for writing: nothing to open.
	cdev := testCard(t, 0, 1)
	_, err = OpenDSP(cdev, OpenOptions{Write: true})
	wantErrno(t, "write open of a capture-only device", err, syscall.EINVAL)
	d, err := OpenDSP(cdev, OpenOptions{Write: true, Read: true})
	if err != nil {
		t.Fatalf("read-write open of a capture-only device: %v", err)
	}
	_, err = d.Write(ctx, []byte{1}, false)
	wantErrno(t, "write on it", err, syscall.ENXIO)
	d.Close(ctx, true)
}

func TestOpenDSPHalfDuplex(t *testing.T) {
	fake := timer.NewFake()
	hw := pcm.DefaultHardware()
	hw.Info |= pcm.InfoHalfDuplex
	c, err := pcm.NewCard(0, pcm.CardConfig{Devices: []pcm.DeviceConfig{{
		Playback: 1, Capture: 1, Hardware: [2]pcm.Hardware{hw, hw}}}},
		pcm.Backend{Clock: fake, NewDriver: func() pcm.Driver { return pcm.NewVirtualDriver(fake) }})
	if err != nil {
		t.Fatal(err)
	}
	dev := c.Devices[0]
	d, err := OpenDSP(dev, OpenOptions{Write: true, Read: true})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close(context.Background(), true)
	if dev.Attached(pcm.Capture, 0) || !dev.Attached(pcm.Playback, 0) {
		t.Fatal("a half-duplex read-write open must take playback only")
	}
}
