package alsa

import (
	"context"
	"slices"
	"sync/atomic"
	"syscall"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// Indexes of ctl->preferred_subdevice, SND_CTL_SUBDEV_*.
const (
	subdevPCM     = 0
	subdevRawmidi = 1
	subdevItems   = 2
)

// CtlFile is one open of a controlC<card> node: the kernel's struct
// snd_ctl_file. It is safe for concurrent use.
type CtlFile struct {
	card *Card // immutable
	pid  int   // immutable: the opener (ctl->pid), 0 when unknown

	// prefer is ctl->preferred_subdevice, set by *_PREFER_SUBDEVICE; -1
	// for none.
	prefer [subdevItems]atomic.Int32

	released atomic.Bool // set once by Release

	elem ctlElem // the element half (mixer), see ctl_elem.go
}

// OpenCtl opens the control node of the card for a caller with pid
// (snd_ctl_open): the file joins card->ctl_files, so that a PCM opened by
// the same pid gets its PCM_PREFER_SUBDEVICE. pid 0 (unknown) is allowed;
// such a file's preference reaches nobody.
func (c *Card) OpenCtl(pid int) *CtlFile {
	f := &CtlFile{card: c, pid: pid}
	for i := range f.prefer {
		f.prefer[i].Store(-1)
	}
	f.elem.init(c, pid)
	c.mu.Lock()
	c.ctls = append(c.ctls, f)
	c.mu.Unlock()
	return f
}

// Release closes the file (snd_ctl_release): it leaves card->ctl_files,
// drops the element locks it holds and its event queue. Idempotent.
func (f *CtlFile) Release() {
	if f.released.Swap(true) {
		return
	}
	c := f.card
	c.mu.Lock()
	c.ctls = slices.DeleteFunc(c.ctls, func(o *CtlFile) bool { return o == f })
	c.mu.Unlock()
	f.elem.release()
}

// Ioctl answers one ioctl on the control node, as snd_ctl_ioctl
// (control.c) and the control hooks of pcm.c (snd_pcm_control_ioctl),
// rawmidi.c and hwdep.c. Arguments and errors as PCMFile.Ioctl; unknown
// requests are ENOTTY.
func (f *CtlFile) Ioctl(ctx context.Context, c Caller, cmd uint32, arg uintptr, in, out []byte) error {
	if f.released.Load() {
		return errClosed
	}
	req := asound.Ioctl(cmd)
	switch req {
	case asound.CtlIoctlPVersion:
		return putInt(out, asound.CtlVersion)
	case asound.CtlIoctlCardInfo:
		return f.cardInfo(out)
	case asound.CtlIoctlPCMNextDevice:
		return f.pcmNextDevice(c, arg, in, out)
	case asound.CtlIoctlPCMInfo:
		return f.pcmInfo(in, out)
	case asound.CtlIoctlPCMPreferSubdevice:
		return f.setPrefer(subdevPCM, in)
	case asound.CtlIoctlRawmidiPreferSubdevice:
		return f.setPrefer(subdevRawmidi, in)
	case asound.CtlIoctlRawmidiNextDevice, asound.CtlIoctlHwdepNextDevice, asound.CtlIoctlUMPNextDevice:
		// snd_rawmidi_next_device / snd_hwdep_next_device: the card has
		// no such devices, so the next one after any is -1.
		if _, err := asound.GetInt(in); err != nil {
			return errShort
		}
		return putInt(out, -1)
	case asound.CtlIoctlRawmidiInfo, asound.CtlIoctlHwdepInfo, asound.CtlIoctlUMPEndpointInfo, asound.CtlIoctlUMPBlockInfo:
		// snd_rawmidi_info_select, snd_hwdep_control_ioctl: no device.
		return pcm.Errorf(syscall.ENXIO, "alsa: card %d has no %v devices", f.card.pc.Number, req)
	case asound.CtlIoctlPower:
		return pcm.Errorf(syscall.ENOPROTOOPT, "alsa: CTL_POWER is not supported (as in the kernel)")
	case asound.CtlIoctlPowerState:
		return putInt(out, asound.PowerD0)
	}
	return f.elem.ioctl(ctx, c, req, arg, in, out)
}

// cardInfo is snd_ctl_card_info.
func (f *CtlFile) cardInfo(out []byte) error {
	if len(out) < asound.CardInfoSize {
		return errShort
	}
	pc := f.card.pc
	ci := asound.CardInfo{Card: int32(pc.Number), ID: pc.ID, Driver: pc.Driver, Name: pc.Name,
		LongName: pc.LongName, MixerName: pc.MixerName, Components: f.card.opts.Components}
	return ci.Encode(out)
}

// pcmNextDevice is SNDRV_CTL_IOCTL_PCM_NEXT_DEVICE with snd_pcm_next: the
// lowest device number above the given one, -1 when there is none. The
// request is _IOR, yet the kernel reads the input (get_user): over FUSE
// it comes from the caller's memory at arg.
func (f *CtlFile) pcmNextDevice(c Caller, arg uintptr, in, out []byte) error {
	if len(out) < 4 {
		return errShort
	}
	var buf [4]byte
	b, err := argIn(c, arg, in, buf[:])
	if err != nil {
		return err
	}
	dev, _ := asound.GetInt(b)
	next := -1
	for _, d := range f.card.pc.Devices {
		if d.Number > int(dev) && (next < 0 || d.Number < next) {
			next = d.Number
		}
	}
	return putInt(out, next)
}

// pcmInfo is SNDRV_CTL_IOCTL_PCM_INFO (snd_pcm_control_ioctl): EINVAL for
// a stream other than 0 or 1, ENXIO for an unknown device or subdevice,
// ENOENT for a stream without substreams.
func (f *CtlFile) pcmInfo(in, out []byte) error {
	if len(in) < asound.PCMInfoSize || len(out) < asound.PCMInfoSize {
		return errShort
	}
	var q asound.PCMInfo
	q.Decode(in) // strings are empty in a request: no allocation
	if q.Stream != pcm.Playback && q.Stream != pcm.Capture {
		return pcm.Errorf(syscall.EINVAL, "alsa: PCM_INFO: bad stream %d", q.Stream)
	}
	var d *pcm.Device
	for _, x := range f.card.pc.Devices {
		if uint32(x.Number) == q.Device {
			d = x
		}
	}
	if d == nil {
		return pcm.Errorf(syscall.ENXIO, "alsa: PCM_INFO: card %d has no pcm%d", f.card.pc.Number, q.Device)
	}
	subs := d.Substreams(q.Stream)
	if len(subs) == 0 {
		return pcm.Errorf(syscall.ENOENT, "alsa: PCM_INFO: %s has no substreams", d.StreamDir(q.Stream))
	}
	if q.Subdevice >= uint32(len(subs)) {
		return pcm.Errorf(syscall.ENXIO, "alsa: PCM_INFO: %s has no subdevice %d", d.StreamDir(q.Stream), q.Subdevice)
	}
	info, err := d.Info(q.Stream, int(q.Subdevice))
	if err != nil {
		return err
	}
	return encodeInfo(out, &info)
}

// setPrefer is *_PREFER_SUBDEVICE: any int is stored, as the kernel does.
func (f *CtlFile) setPrefer(kind int, in []byte) error {
	v, err := asound.GetInt(in)
	if err != nil {
		return errShort
	}
	f.prefer[kind].Store(v)
	return nil
}

// Read returns control events as snd_ctl_read: whole 72-byte struct
// snd_ctl_event records, as many as p holds and are pending. EBADFD
// unless subscribed (SUBSCRIBE_EVENTS), EINVAL when p is shorter than one
// record, EAGAIN when nonblock and none is pending, else it waits for one
// until ctx ends (EINTR) or the mixer is closed (ENODEV).
func (f *CtlFile) Read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	if f.released.Load() {
		return 0, errClosed
	}
	return f.elem.read(ctx, p, nonblock)
}
