package oss

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// On the real interrupt source a blocking write into a full buffer takes
// at least the time the surplus needs to play: 64 KiB through a 16 KiB
// buffer at 192000 B/s cannot return before 48 KiB played (256 ms). Only
// the lower bound is exact; the upper one is a generous deadline.
func TestWritePaceRealTime(t *testing.T) {
	if testing.Short() {
		t.Skip("real time")
	}
	hr, err := timer.NewHR(timer.HROptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer hr.Close()
	s := pcm.NewSubstream(pcm.Options{Stream: pcm.Playback, Hardware: pcm.DefaultHardware(),
		Driver: pcm.NewVirtualDriver(hr), Clock: hr, Name: t.Name()})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	sink := &recSink{}
	s.SetSink(sink)
	d, err := NewDSP(Options{Playback: &StreamOptions{Sub: s, Release: s.Release}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, req := range []struct {
		cmd Ioctl
		v   int32
	}{{SNDCTL_DSP_SETFRAGMENT, 4<<16 | 12}, {SNDCTL_DSP_SETFMT, AFMT_S16_LE},
		{SNDCTL_DSP_CHANNELS, 2}, {SNDCTL_DSP_SPEED, 48000}} {
		if _, err := d.Ioctl(ctx, uint32(req.cmd), EncodeInt(req.v)); err != nil {
			t.Fatalf("%s: %v", req.cmd, err)
		}
	}
	data := pattern(0, 65536)
	t0 := time.Now()
	n, err := d.Write(ctx, data, false)
	el := time.Since(t0)
	if n != len(data) || err != nil {
		t.Fatalf("write: %d %v", n, err)
	}
	if el < 250*time.Millisecond || el > 20*time.Second {
		t.Fatalf("64 KiB through a 16 KiB buffer took %v, want >= 256 ms of playback", el)
	}
	t.Logf("blocking write returned after %v (256 ms expected)", el)
	if err := d.Close(ctx, false); err != nil {
		t.Fatalf("close: %v", err)
	}
	if el := time.Since(t0); el < 340*time.Millisecond {
		t.Fatalf("close returned %v after the start: before the last buffer played (341 ms)", el)
	}
	if got := sink.bytes(); !bytes.Equal(got, data) {
		t.Fatalf("sink got %d bytes, first diff %d", len(got), firstDiff(got, data))
	}
}
