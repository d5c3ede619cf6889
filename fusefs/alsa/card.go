package alsa

import (
	"context"
	"errors"
	"sync"
	"syscall"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// Options configures the ALSA face of one card.
type Options struct {
	// TimeMap converts the core's times into the clock a client picked
	// with TTSTAMP or sw_params.tstamp_type. nil: offsets measured once
	// against CLOCK_MONOTONIC (timer.Monotonic, the clock of the real
	// timer source) by NewCard.
	TimeMap asound.TimeMap
	// Mixer answers the element ioctls of the control node and queues its
	// events; nil is a card without controls (ELEM_LIST counts 0, every
	// element lookup is ENOENT, SUBSCRIBE_EVENTS works but nothing comes).
	Mixer *Mixer
	// Components is snd_ctl_card_info.components (card->components).
	Components string
	// OpenRetry is how long a blocking open that found every substream
	// taken sleeps before it looks again, in case another face (native,
	// OSS) released one: the kernel's pcm->open_wait is woken by every
	// release, and vsnd's card model has no such wake-up. Releases through
	// this face wake waiters at once. Default 50 ms.
	OpenRetry time.Duration
}

// Card is the ALSA face of one pcm.Card: the state the kernel keeps in
// struct snd_card for the control and PCM character devices — the list
// of open control files (card->ctl_files, for the preferred subdevice and
// for events) and the wait queue of blocking opens (pcm->open_wait).
type Card struct {
	pc   *pcm.Card // immutable
	opts Options   // immutable (defaults filled)

	mu       sync.Mutex
	ctls     []*CtlFile    // guarded by mu: card->ctl_files, in open order
	released chan struct{} // guarded by mu: closed and replaced at every PCMFile release
}

// NewCard builds the face of pc. Errors: those of measuring the clock
// offsets when o.TimeMap is nil.
func NewCard(pc *pcm.Card, o Options) (*Card, error) {
	if pc == nil {
		return nil, pcm.Errorf(syscall.EINVAL, "alsa: nil card")
	}
	if o.TimeMap == nil {
		off, err := asound.MeasureClockOffsets(timer.Monotonic{})
		if err != nil {
			return nil, err
		}
		o.TimeMap = &off
	}
	if o.OpenRetry <= 0 {
		o.OpenRetry = 50 * time.Millisecond
	}
	return &Card{pc: pc, opts: o, released: make(chan struct{})}, nil
}

// PCM returns the card model behind the face.
func (c *Card) PCM() *pcm.Card { return c.pc }

// PreferredSubdevice is snd_ctl_get_preferred_subdevice(card,
// SND_CTL_SUBDEV_PCM): the value the first control file opened by pid
// that set one (PCM_PREFER_SUBDEVICE) holds, else -1. The kernel keys it
// by task_pid of the control file's opener and of the PCM opener; FUSE
// reports the calling thread, so a client that opens the control and the
// PCM from the same thread (alsa-lib's snd_pcm_hw_open does both in one
// call) gets its preference. pid 0 (unknown) matches nothing.
func (c *Card) PreferredSubdevice(pid int) int {
	return c.preferred(pid, subdevPCM)
}

func (c *Card) preferred(pid, kind int) int {
	if pid <= 0 {
		return -1
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.ctls {
		if f.pid != pid {
			continue
		}
		if v := f.prefer[kind].Load(); v != -1 {
			return int(v)
		}
	}
	return -1
}

// OpenPCM opens a PCM node of the face, as snd_pcm_open with
// snd_pcm_open_file and snd_pcm_attach_substream (pcm_native.c, pcm.c):
// the subdevice preferred by pid's control file if any (else the first
// free one) of stream st of PCM device dev. When none is free (or the
// preferred one is taken, or the opposite stream of a half-duplex device
// is busy) a non-blocking open fails with EBUSY and a blocking one waits
// until a substream is released or ctx ends (EINTR, the kernel's
// -ERESTARTSYS).
//
// Errors: ENODEV when the card has no such device or the stream has no
// substreams; EBUSY as above; EINTR; the core's Open errors.
func (c *Card) OpenPCM(ctx context.Context, dev int, st pcm.Stream, pid int, nonblock bool) (*PCMFile, error) {
	if dev < 0 || dev >= len(c.pc.Devices) || (st != pcm.Playback && st != pcm.Capture) {
		return nil, pcm.Errorf(syscall.ENODEV, "alsa: card %d has no pcm%d %v", c.pc.Number, dev, st)
	}
	d := c.pc.Devices[dev]
	subs := d.Substreams(st)
	if len(subs) == 0 {
		return nil, pcm.Errorf(syscall.ENODEV, "alsa: card %d %s has no substreams", c.pc.Number, d.StreamDir(st))
	}
	prefer := c.PreferredSubdevice(pid)
	for {
		c.mu.Lock()
		wait := c.released
		c.mu.Unlock()
		s, err := c.attach(d, st, prefer)
		if err == nil {
			return newPCMFile(c, d, s), nil
		}
		if !errors.Is(err, syscall.EAGAIN) {
			return nil, err
		}
		if nonblock {
			return nil, pcm.Errorf(syscall.EBUSY, "alsa: %s", reason(err))
		}
		t := time.NewTimer(c.opts.OpenRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, pcm.Errorf(syscall.EINTR, "alsa: open of card %d %s interrupted while waiting for a free substream",
				c.pc.Number, d.StreamDir(st))
		case <-wait:
		case <-t.C:
		}
		t.Stop()
	}
}

// attach is one round of snd_pcm_attach_substream + open: EAGAIN means
// "wait for a release".
func (c *Card) attach(d *pcm.Device, st pcm.Stream, prefer int) (*pcm.Substream, error) {
	if (d.Hardware(pcm.Playback).Info|d.Hardware(pcm.Capture).Info)&pcm.InfoHalfDuplex != 0 {
		opp := 1 - st
		for i := range d.Substreams(opp) {
			if d.Attached(opp, i) {
				return nil, pcm.Errorf(syscall.EAGAIN, "half-duplex device: the %v stream is busy", opp)
			}
		}
	}
	if prefer >= len(d.Substreams(st)) {
		// The kernel's loop finds no substream with that number: -EAGAIN.
		return nil, pcm.Errorf(syscall.EAGAIN, "preferred subdevice %d does not exist", prefer)
	}
	s, err := d.Open(st, prefer)
	if errors.Is(err, syscall.EBUSY) {
		// The preferred subdevice is taken, or another face opened it
		// without attaching: the kernel's SUBSTREAM_BUSY, -EAGAIN.
		return nil, pcm.Errorf(syscall.EAGAIN, "%s", reason(err))
	}
	return s, err
}

// wakeOpeners is wake_up(&pcm->open_wait) at release.
func (c *Card) wakeOpeners() {
	c.mu.Lock()
	close(c.released)
	c.released = make(chan struct{})
	c.mu.Unlock()
}

func reason(err error) string {
	var pe *pcm.Error
	if errors.As(err, &pe) {
		return pe.Reason
	}
	return err.Error()
}
