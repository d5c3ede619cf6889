package oss

import (
	"errors"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// OpenOptions says how /dev/dsp is opened.
type OpenOptions struct {
	Write bool // FMODE_WRITE: open a playback substream
	Read  bool // FMODE_READ: open a capture substream
	// Format is the initial AFMT_* (0: AFMT_U8, as /dev/dsp).
	Format uint32
	// Mixer answers 'M' requests on the dsp file (may be nil).
	Mixer *Mixer
	// Setup is the /proc oss setup per direction (indexed by pcm.Stream).
	Setup [2]Setup
}

// OpenDSP is snd_pcm_oss_open with snd_pcm_oss_open_file on a card's PCM
// device: it opens the first free substream of each direction the mode
// asks for and the device has, and builds the DSP. Close or Release gives
// the substreams back (pcm.Device.Close).
//
// Errors: EINVAL when no direction could be opened (the mode asks for
// none the device has); EBUSY when every substream of a wanted direction
// is taken (the kernel's answer with nonblock_open=1, its default; vsnd
// never waits for a substream); the core's errno from Open.
func OpenDSP(dev *pcm.Device, o OpenOptions) (*DSP, error) {
	var opened [2]*pcm.Substream
	closeAll := func() {
		for _, s := range opened {
			if s != nil {
				dev.Close(s)
			}
		}
	}
	opts := Options{Format: o.Format, Mixer: o.Mixer}
	// A half-duplex device opened read-write plays only (the kernel reads
	// pcm->info_flags; vsnd's Device keeps the flag in each stream's Info).
	if o.Write && o.Read && (dev.Hardware(pcm.Playback).Info|dev.Hardware(pcm.Capture).Info)&pcm.InfoHalfDuplex != 0 {
		o.Read = false
	}
	for dir, want := range [2]bool{o.Write, o.Read} {
		st := pcm.Stream(dir)
		if !want || len(dev.Substreams(st)) == 0 {
			continue // "no matching substream"
		}
		s, err := dev.Open(st, -1)
		if err != nil {
			closeAll()
			if errors.Is(err, syscall.EAGAIN) {
				return nil, pcm.Errorf(syscall.EBUSY, "oss: %s: %s", st, reason(err))
			}
			return nil, err
		}
		opened[dir] = s
		so := &StreamOptions{Sub: s, Hardware: dev.Hardware(st), Substreams: len(dev.Substreams(st)),
			Release: func() error { return dev.Close(s) }, Setup: o.Setup[dir]}
		if st == pcm.Playback {
			opts.Playback = so
		} else {
			opts.Capture = so
		}
	}
	if opened[0] == nil && opened[1] == nil {
		return nil, pcm.Errorf(syscall.EINVAL, "oss: the device has no substream for this open mode")
	}
	d, err := NewDSP(opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	return d, nil
}
