package fusefs

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Config is the card layout: the JSON document of `vsnd mount --config
// FILE`, and what the command-line flags fill in. Every field is optional;
// an empty Config is one card with one device of one playback and one
// capture substream, pcm.DefaultHardware(), sink "null", source "silence".
//
// Precedence, lowest first: built-in defaults, the config file, flags. In
// the file, hardware and endpoints set at the top apply to every card,
// those of a card to its devices, those of a device to its streams; a more
// specific setting overrides individual fields of a more general one.
//
//	{
//	  "cards": 1, "devices": 1, "playback": 1, "capture": 1,
//	  "sink": "wav:/tmp/out", "source": "sine:440",
//	  "hardware": {"formats": ["S16_LE"], "rate_min": 48000, "rate_max": 48000},
//	  "card": [
//	    {"id": "vsnd", "name": "Test Card",
//	     "device": [
//	       {"playback": 2, "capture": 0, "sinks": ["wav:/tmp/a.wav", "null"]},
//	       {"playback": 1, "capture": 1, "source": "loop",
//	        "capture_hardware": {"channels_max": 2}}
//	     ]}
//	  ]
//	}
type Config struct {
	// Cards is the number of cards (default 1, or len(Card) if larger).
	Cards int `json:"cards,omitempty"`
	// Devices is the number of PCM devices per card (default 1).
	Devices int `json:"devices,omitempty"`
	// Playback and Capture are substreams per device and direction
	// (default 1 each; 0 means none only when set explicitly, see
	// NoPlayback/NoCapture).
	Playback *int `json:"playback,omitempty"`
	Capture  *int `json:"capture,omitempty"`
	// Sink and Source are the default endpoint SPECs of every stream.
	Sink   string `json:"sink,omitempty"`
	Source string `json:"source,omitempty"`
	// Hardware overrides fields of pcm.DefaultHardware() for every stream.
	Hardware *HardwareConfig `json:"hardware,omitempty"`
	// Card configures cards by index; missing entries use the defaults.
	Card []CardConfig `json:"card,omitempty"`
}

// CardConfig configures one card.
type CardConfig struct {
	ID        string          `json:"id,omitempty"`
	Driver    string          `json:"driver,omitempty"`
	Name      string          `json:"name,omitempty"`
	LongName  string          `json:"long_name,omitempty"`
	MixerName string          `json:"mixer_name,omitempty"`
	Devices   int             `json:"devices,omitempty"`
	Playback  *int            `json:"playback,omitempty"`
	Capture   *int            `json:"capture,omitempty"`
	Sink      string          `json:"sink,omitempty"`
	Source    string          `json:"source,omitempty"`
	Hardware  *HardwareConfig `json:"hardware,omitempty"`
	Device    []DeviceConfig  `json:"device,omitempty"`
}

// DeviceConfig configures one PCM device of a card.
type DeviceConfig struct {
	ID       string `json:"id,omitempty"`
	Name     string `json:"name,omitempty"`
	Playback *int   `json:"playback,omitempty"`
	Capture  *int   `json:"capture,omitempty"`
	Sink     string `json:"sink,omitempty"`
	Source   string `json:"source,omitempty"`
	// Sinks and Sources set the endpoint of substream i; "" keeps the
	// inherited one.
	Sinks      []string        `json:"sinks,omitempty"`
	Sources    []string        `json:"sources,omitempty"`
	Hardware   *HardwareConfig `json:"hardware,omitempty"`
	PlaybackHW *HardwareConfig `json:"playback_hardware,omitempty"`
	CaptureHW  *HardwareConfig `json:"capture_hardware,omitempty"`
}

// HardwareConfig overrides fields of a pcm.Hardware; nil fields keep the
// inherited value.
type HardwareConfig struct {
	Formats        []string `json:"formats,omitempty"` // ALSA names, e.g. "S16_LE"
	RateMin        *int     `json:"rate_min,omitempty"`
	RateMax        *int     `json:"rate_max,omitempty"`
	ChannelsMin    *int     `json:"channels_min,omitempty"`
	ChannelsMax    *int     `json:"channels_max,omitempty"`
	BufferBytesMax *int     `json:"buffer_bytes_max,omitempty"`
	PeriodBytesMin *int     `json:"period_bytes_min,omitempty"`
	PeriodBytesMax *int     `json:"period_bytes_max,omitempty"`
	PeriodsMin     *int     `json:"periods_min,omitempty"`
	PeriodsMax     *int     `json:"periods_max,omitempty"`
}

// LoadConfig reads a JSON Config. Unknown fields are errors, so a typo does
// not silently fall back to a default.
func LoadConfig(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// apply overrides the fields of hw that h sets.
func (h *HardwareConfig) apply(hw *pcm.Hardware) error {
	if h == nil {
		return nil
	}
	if h.Formats != nil {
		var mask uint64
		for _, name := range h.Formats {
			f, err := pcm.ParseFormat(name)
			if err != nil {
				return pcm.Errorf(syscall.EINVAL, "%v", err)
			}
			mask |= 1 << uint(f)
		}
		hw.Formats = mask
	}
	for _, f := range []struct {
		v   *int
		dst *int
	}{
		{h.RateMin, &hw.RateMin}, {h.RateMax, &hw.RateMax},
		{h.ChannelsMin, &hw.ChannelsMin}, {h.ChannelsMax, &hw.ChannelsMax},
		{h.BufferBytesMax, &hw.BufferBytesMax},
		{h.PeriodBytesMin, &hw.PeriodBytesMin}, {h.PeriodBytesMax, &hw.PeriodBytesMax},
		{h.PeriodsMin, &hw.PeriodsMin}, {h.PeriodsMax, &hw.PeriodsMax},
	} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	return nil
}

// cardLayout is a resolved card: what pcm.NewCard gets plus the endpoint
// SPEC of every substream.
type cardLayout struct {
	cfg pcm.CardConfig
	// sinks[dev][sub] and sources[dev][sub] are the SPECs of the
	// playback and capture substreams.
	sinks, sources [][]string
}

// MaxDevices bounds the PCM devices per card (the kernel's
// SNDRV_PCM_DEVICES is 8 per card in the minor-number scheme).
const MaxDevices = 8

// resolve turns c into card layouts, applying defaults and inheritance.
// Errors are EINVAL with the reason.
func (c *Config) resolve() ([]cardLayout, error) {
	ncards := c.Cards
	if ncards == 0 {
		ncards = max(1, len(c.Card))
	}
	if ncards < 0 || ncards > pcm.MaxCards {
		return nil, pcm.Errorf(syscall.EINVAL, "cards = %d, want 1..%d", ncards, pcm.MaxCards)
	}
	if len(c.Card) > ncards {
		return nil, pcm.Errorf(syscall.EINVAL, "%d card entries for %d cards", len(c.Card), ncards)
	}
	base := pcm.DefaultHardware()
	if err := c.Hardware.apply(&base); err != nil {
		return nil, err
	}
	sink, source := or(c.Sink, "null"), or(c.Source, "silence")
	var out []cardLayout
	ids := map[string]bool{}
	for n := 0; n < ncards; n++ {
		var cc CardConfig
		if n < len(c.Card) {
			cc = c.Card[n]
		}
		cardHW := base
		if err := cc.Hardware.apply(&cardHW); err != nil {
			return nil, err
		}
		l := cardLayout{cfg: pcm.CardConfig{ID: cc.ID, Driver: cc.Driver, Name: cc.Name,
			LongName: cc.LongName, MixerName: cc.MixerName}}
		id := or(cc.ID, pcm.DefaultCardID(n))
		if ids[id] {
			return nil, pcm.Errorf(syscall.EINVAL, "card id %q is used twice", id)
		}
		ids[id] = true
		ndev := cc.Devices
		if ndev == 0 {
			ndev = or(c.Devices, 1)
			ndev = max(ndev, len(cc.Device))
		}
		if ndev < 1 || ndev > MaxDevices {
			return nil, pcm.Errorf(syscall.EINVAL, "card %d: devices = %d, want 1..%d", n, ndev, MaxDevices)
		}
		if len(cc.Device) > ndev {
			return nil, pcm.Errorf(syscall.EINVAL, "card %d: %d device entries for %d devices", n, len(cc.Device), ndev)
		}
		cardSink, cardSource := or(cc.Sink, sink), or(cc.Source, source)
		for d := 0; d < ndev; d++ {
			var dc DeviceConfig
			if d < len(cc.Device) {
				dc = cc.Device[d]
			}
			np := firstSet(1, dc.Playback, cc.Playback, c.Playback)
			nc := firstSet(1, dc.Capture, cc.Capture, c.Capture)
			var hw [2]pcm.Hardware
			for st, sthw := range []*HardwareConfig{dc.PlaybackHW, dc.CaptureHW} {
				hw[st] = cardHW
				if err := dc.Hardware.apply(&hw[st]); err != nil {
					return nil, err
				}
				if err := sthw.apply(&hw[st]); err != nil {
					return nil, err
				}
			}
			if len(dc.Sinks) > np || len(dc.Sources) > nc {
				return nil, pcm.Errorf(syscall.EINVAL, "card %d device %d: more sinks/sources than substreams", n, d)
			}
			l.cfg.Devices = append(l.cfg.Devices, pcm.DeviceConfig{ID: dc.ID, Name: dc.Name,
				Playback: np, Capture: nc, Hardware: hw})
			l.sinks = append(l.sinks, specs(np, or(dc.Sink, cardSink), dc.Sinks))
			l.sources = append(l.sources, specs(nc, or(dc.Source, cardSource), dc.Sources))
		}
		out = append(out, l)
	}
	return out, nil
}

func specs(n int, def string, over []string) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = def
		if i < len(over) && over[i] != "" {
			s[i] = over[i]
		}
	}
	return s
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func firstSet(def int, vs ...*int) int {
	for _, v := range vs {
		if v != nil {
			return *v
		}
	}
	return def
}
