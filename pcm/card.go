package pcm

import (
	"fmt"
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/timer"
)

// This file is the card model: struct snd_card with its PCM devices
// (struct snd_pcm) and their two streams (struct snd_pcm_str), as built by
// snd_card_new and snd_pcm_new (sound/core/init.c, sound/core/pcm.c). It is
// the static shape every face (native files, ALSA ABI, OSS) shows, plus the
// one piece of shared mutable state the kernel keeps there: which substream
// is attached to an opener (snd_pcm_attach_substream).

// MaxCards is SNDRV_CARDS: card numbers run 0..31.
const MaxCards = 32

// Maximum lengths of the identification strings, as the kernel's fixed-size
// fields (struct snd_card, struct snd_pcm) minus the terminating NUL.
const (
	MaxCardIDLen     = 15 // snd_card.id[16]
	MaxCardDriverLen = 15 // snd_card.driver[16]
	MaxCardNameLen   = 31 // snd_card.shortname[32]
	MaxCardLongLen   = 79 // snd_card.longname[80]
	MaxPCMIDLen      = 63 // snd_pcm.id[64]
	MaxPCMNameLen    = 79 // snd_pcm.name[80]
)

// MaxSubstreams bounds substreams per stream; the kernel's limit is the
// 32 subdevices snd_pcm_info can number, vsnd keeps the same.
const MaxSubstreams = 32

// CardConfig describes one card. The zero value of an identification field
// is filled with a default by NewCard.
type CardConfig struct {
	ID        string // snd_card.id: [A-Za-z0-9_], 1..15 chars; default "vsnd" or "vsnd_N"
	Driver    string // snd_card.driver; default "vsnd"
	Name      string // snd_card.shortname; default "Virtual Sound Card"
	LongName  string // snd_card.longname; default "<Name> <N>"
	MixerName string // snd_card.mixername; default "vsnd mixer"
	Devices   []DeviceConfig
}

// DeviceConfig describes one PCM device (struct snd_pcm) of a card.
type DeviceConfig struct {
	ID       string // snd_pcm.id; default "vsnd PCM"
	Name     string // snd_pcm.name; default "vsnd PCM"
	Playback int    // playback substreams, 0..MaxSubstreams
	Capture  int    // capture substreams, 0..MaxSubstreams
	// Hardware per stream, indexed by Stream (Playback, Capture). A stream
	// without substreams ignores its entry.
	Hardware [2]Hardware
}

// Backend is what a card's substreams are driven by: the clock the core
// reads, and a constructor of one Driver per substream (the virtual driver
// over a timer source in vsnd, a fake in tests).
type Backend struct {
	Clock     timer.Clock
	NewDriver func() Driver
}

// Card is one sound card (struct snd_card). Everything but the attach
// bookkeeping of its devices is immutable after NewCard.
type Card struct {
	Number    int       // immutable: the card index, /proc/asound/cardN
	ID        string    // immutable
	Driver    string    // immutable
	Name      string    // immutable
	LongName  string    // immutable
	MixerName string    // immutable
	Devices   []*Device // immutable
}

// Device is one PCM device of a card (struct snd_pcm).
type Device struct {
	Card   *Card  // immutable
	Number int    // immutable: pcmN
	ID     string // immutable
	Name   string // immutable

	streams [2]devStream // indexed by Stream
}

// devStream is struct snd_pcm_str: one direction of a device.
type devStream struct {
	hw   Hardware     // immutable
	subs []*Substream // immutable

	mu       sync.Mutex // the kernel's pcm->open_mutex for attach/detach
	attached []bool     // guarded by mu: substream i is attached to an opener
}

// NewCard builds card number n from cfg, creating every substream with a
// driver from b. Invalid configuration is EINVAL with the reason.
func NewCard(n int, cfg CardConfig, b Backend) (*Card, error) {
	if n < 0 || n >= MaxCards {
		return nil, Errorf(syscall.EINVAL, "card number %d out of range 0..%d", n, MaxCards-1)
	}
	if b.Clock == nil || b.NewDriver == nil {
		return nil, Errorf(syscall.EINVAL, "card %d: backend needs a clock and a driver constructor", n)
	}
	c := &Card{
		Number:    n,
		ID:        cfg.ID,
		Driver:    cfg.Driver,
		Name:      cfg.Name,
		LongName:  cfg.LongName,
		MixerName: cfg.MixerName,
	}
	if c.ID == "" {
		c.ID = DefaultCardID(n)
	}
	if c.Driver == "" {
		c.Driver = "vsnd"
	}
	if c.Name == "" {
		c.Name = "Virtual Sound Card"
	}
	if c.LongName == "" {
		c.LongName = fmt.Sprintf("%s %d", c.Name, n)
	}
	if c.MixerName == "" {
		c.MixerName = "vsnd mixer"
	}
	if err := ValidCardID(c.ID); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		what, v string
		max     int
	}{{"driver", c.Driver, MaxCardDriverLen}, {"name", c.Name, MaxCardNameLen},
		{"long name", c.LongName, MaxCardLongLen}, {"mixer name", c.MixerName, MaxCardLongLen}} {
		if err := validText("card "+f.what, f.v, f.max); err != nil {
			return nil, err
		}
	}
	if len(cfg.Devices) == 0 {
		return nil, Errorf(syscall.EINVAL, "card %d has no PCM devices", n)
	}
	for i, dc := range cfg.Devices {
		d, err := newDevice(c, i, dc, b)
		if err != nil {
			return nil, err
		}
		c.Devices = append(c.Devices, d)
	}
	return c, nil
}

// DefaultCardID is the id card n gets when none is configured: "vsnd" for
// card 0, then "vsnd_1", ... (the kernel's suffix rule in snd_card_set_id).
func DefaultCardID(n int) string {
	if n == 0 {
		return "vsnd"
	}
	return fmt.Sprintf("vsnd_%d", n)
}

// ValidCardID checks an id as snd_card_set_id would keep it: 1..15 chars of
// [A-Za-z0-9_] (the kernel silently drops other characters; vsnd refuses
// them so the configuration says what the card shows).
func ValidCardID(id string) error {
	if id == "" || len(id) > MaxCardIDLen {
		return Errorf(syscall.EINVAL, "card id %q must have 1..%d characters", id, MaxCardIDLen)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return Errorf(syscall.EINVAL, "card id %q: only letters, digits and '_' are allowed", id)
		}
	}
	return nil
}

func validText(what, v string, max int) error {
	if len(v) > max {
		return Errorf(syscall.EINVAL, "%s %q is longer than %d bytes", what, v, max)
	}
	for _, r := range v {
		if r < ' ' || r == 0x7f {
			return Errorf(syscall.EINVAL, "%s %q contains a control character", what, v)
		}
	}
	return nil
}

func newDevice(c *Card, n int, dc DeviceConfig, b Backend) (*Device, error) {
	d := &Device{Card: c, Number: n, ID: dc.ID, Name: dc.Name}
	if d.ID == "" {
		d.ID = "vsnd PCM"
	}
	if d.Name == "" {
		d.Name = "vsnd PCM"
	}
	if err := validText(fmt.Sprintf("card %d pcm %d id", c.Number, n), d.ID, MaxPCMIDLen); err != nil {
		return nil, err
	}
	if err := validText(fmt.Sprintf("card %d pcm %d name", c.Number, n), d.Name, MaxPCMNameLen); err != nil {
		return nil, err
	}
	counts := [2]int{dc.Playback, dc.Capture}
	if counts[Playback] == 0 && counts[Capture] == 0 {
		return nil, Errorf(syscall.EINVAL, "card %d pcm %d has neither playback nor capture substreams", c.Number, n)
	}
	for st := Playback; st <= Capture; st++ {
		cnt := counts[st]
		if cnt < 0 || cnt > MaxSubstreams {
			return nil, Errorf(syscall.EINVAL, "card %d pcm %d: %d %s substreams, want 0..%d", c.Number, n, cnt, st, MaxSubstreams)
		}
		if cnt == 0 {
			continue
		}
		hw := dc.Hardware[st]
		if why := checkHardware(hw); why != "" {
			return nil, Errorf(syscall.EINVAL, "card %d pcm %d %s: %s", c.Number, n, st, why)
		}
		ds := &d.streams[st]
		ds.hw = hw
		ds.attached = make([]bool, cnt)
		for i := 0; i < cnt; i++ {
			ds.subs = append(ds.subs, NewSubstream(Options{
				Stream:   st,
				Number:   i,
				Hardware: hw,
				Driver:   b.NewDriver(),
				Clock:    b.Clock,
				Name:     fmt.Sprintf("card%d/%s/sub%d", c.Number, d.StreamDir(st), i),
			}))
		}
	}
	return d, nil
}

// checkHardware says why no refinement could satisfy hw ("" if it is
// usable), so a bad configuration fails at startup instead of at the first
// hw_params.
func checkHardware(hw Hardware) string {
	switch {
	case hw.Formats == 0:
		return "no sample formats"
	case hw.RateMin <= 0 || hw.RateMax < hw.RateMin:
		return fmt.Sprintf("bad rate range %d..%d", hw.RateMin, hw.RateMax)
	case hw.ChannelsMin <= 0 || hw.ChannelsMax < hw.ChannelsMin:
		return fmt.Sprintf("bad channel range %d..%d", hw.ChannelsMin, hw.ChannelsMax)
	case hw.PeriodBytesMin <= 0 || hw.PeriodBytesMax < hw.PeriodBytesMin:
		return fmt.Sprintf("bad period bytes range %d..%d", hw.PeriodBytesMin, hw.PeriodBytesMax)
	case hw.PeriodsMin <= 0 || hw.PeriodsMax < hw.PeriodsMin:
		return fmt.Sprintf("bad periods range %d..%d", hw.PeriodsMin, hw.PeriodsMax)
	case hw.BufferBytesMax < hw.PeriodBytesMin*hw.PeriodsMin:
		return fmt.Sprintf("buffer_bytes_max %d is below period_bytes_min*periods_min %d",
			hw.BufferBytesMax, hw.PeriodBytesMin*hw.PeriodsMin)
	}
	for f := Format(0); f <= FormatLast; f++ {
		if hw.Formats&(1<<uint(f)) != 0 && !f.Known() {
			return fmt.Sprintf("unknown format bit %d", int(f))
		}
	}
	if hw.Formats>>(uint(FormatLast)+1) != 0 {
		return fmt.Sprintf("unknown format bits %#x", hw.Formats)
	}
	return ""
}

// StreamDir is the /proc/asound directory name of a stream of d: "pcm0p",
// "pcm0c" (snd_pcm_stream_proc_init).
func (d *Device) StreamDir(st Stream) string {
	c := 'p'
	if st == Capture {
		c = 'c'
	}
	return fmt.Sprintf("pcm%d%c", d.Number, c)
}

// Hardware returns the hardware description of a stream of d.
func (d *Device) Hardware(st Stream) Hardware { return d.streams[st].hw }

// Substreams returns the substreams of a stream of d (empty if it has none).
// The slice must not be modified.
func (d *Device) Substreams(st Stream) []*Substream {
	if st != Playback && st != Capture {
		return nil
	}
	return d.streams[st].subs
}

// Substream returns substream n of a stream of d, or nil.
func (d *Device) Substream(st Stream, n int) *Substream {
	subs := d.Substreams(st)
	if n < 0 || n >= len(subs) {
		return nil
	}
	return subs[n]
}

// Attach marks a substream as taken by an opener, as
// snd_pcm_attach_substream does: n >= 0 asks for that subdevice, n < 0 for
// the first free one. Errors: ENODEV when the stream has no substreams or n
// is out of range; EBUSY when the asked subdevice is taken; EAGAIN when none
// is free (the kernel's answer, on which a blocking open waits).
func (d *Device) Attach(st Stream, n int) (*Substream, error) {
	subs := d.Substreams(st)
	if len(subs) == 0 {
		return nil, Errorf(syscall.ENODEV, "card%d %s has no substreams", d.Card.Number, d.StreamDir(st))
	}
	if n >= len(subs) {
		return nil, Errorf(syscall.ENODEV, "card%d %s has no sub%d", d.Card.Number, d.StreamDir(st), n)
	}
	ds := &d.streams[st]
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if n >= 0 {
		if ds.attached[n] {
			return nil, Errorf(syscall.EBUSY, "card%d/%s/sub%d is in use", d.Card.Number, d.StreamDir(st), n)
		}
		ds.attached[n] = true
		return subs[n], nil
	}
	for i, a := range ds.attached {
		if !a {
			ds.attached[i] = true
			return subs[i], nil
		}
	}
	return nil, Errorf(syscall.EAGAIN, "every substream of card%d/%s is in use", d.Card.Number, d.StreamDir(st))
}

// Detach gives back a substream taken by Attach (snd_pcm_detach_substream).
// Detaching a substream that is not attached is a no-op.
func (d *Device) Detach(st Stream, n int) {
	subs := d.Substreams(st)
	if n < 0 || n >= len(subs) {
		return
	}
	ds := &d.streams[st]
	ds.mu.Lock()
	ds.attached[n] = false
	ds.mu.Unlock()
}

// Attached reports whether substream n of a stream is attached.
func (d *Device) Attached(st Stream, n int) bool {
	subs := d.Substreams(st)
	if n < 0 || n >= len(subs) {
		return false
	}
	ds := &d.streams[st]
	ds.mu.Lock()
	defer ds.mu.Unlock()
	return ds.attached[n]
}

// Open attaches substream n (see Attach) and opens it
// (snd_pcm_open_substream). On failure the substream is detached again.
func (d *Device) Open(st Stream, n int) (*Substream, error) {
	s, err := d.Attach(st, n)
	if err != nil {
		return nil, err
	}
	if err := s.Open(); err != nil {
		d.Detach(st, d.indexOf(st, s))
		return nil, err
	}
	return s, nil
}

// Close releases a substream opened by Open and detaches it
// (snd_pcm_release_substream): the core drops the stream, frees hw params
// and closes the driver. The substream is detached even if Release fails.
func (d *Device) Close(s *Substream) error {
	err := s.Release()
	for st := Playback; st <= Capture; st++ {
		if i := d.indexOf(st, s); i >= 0 {
			d.Detach(st, i)
		}
	}
	return err
}

// indexOf returns the number of s in a stream of d, or -1.
func (d *Device) indexOf(st Stream, s *Substream) int {
	for i, x := range d.Substreams(st) {
		if x == s {
			return i
		}
	}
	return -1
}

// PCMClass is SNDRV_PCM_CLASS_*; vsnd devices are GENERIC.
const (
	PCMClassGeneric    = 0
	PCMSubclassGeneric = 0 // SNDRV_PCM_SUBCLASS_GENERIC_MIX
)

// Info mirrors struct snd_pcm_info as snd_pcm_info fills it
// (sound/core/pcm_native.c).
type Info struct {
	Card            int
	Device          int
	Subdevice       int
	Stream          Stream
	ID              string
	Name            string
	Subname         string // "subdevice #N", as snd_pcm_new_stream names it
	Class           int
	Subclass        int
	SubdevicesCount int
	SubdevicesAvail int // substreams not attached
}

// Info returns snd_pcm_info for substream n of a stream of d. ENOENT if the
// stream or substream does not exist (snd_pcm_info_user on a missing
// subdevice).
func (d *Device) Info(st Stream, n int) (Info, error) {
	subs := d.Substreams(st)
	if n < 0 || n >= len(subs) {
		return Info{}, Errorf(syscall.ENOENT, "card%d %s has no sub%d", d.Card.Number, d.StreamDir(st), n)
	}
	ds := &d.streams[st]
	ds.mu.Lock()
	avail := 0
	for _, a := range ds.attached {
		if !a {
			avail++
		}
	}
	ds.mu.Unlock()
	return Info{
		Card:            d.Card.Number,
		Device:          d.Number,
		Subdevice:       n,
		Stream:          st,
		ID:              d.ID,
		Name:            d.Name,
		Subname:         fmt.Sprintf("subdevice #%d", n),
		Class:           PCMClassGeneric,
		Subclass:        PCMSubclassGeneric,
		SubdevicesCount: len(subs),
		SubdevicesAvail: avail,
	}, nil
}
