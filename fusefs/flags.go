package fusefs

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
)

// MountFlags are the flags of `vsnd mount`. Register adds them to a
// FlagSet; after parsing, Config merges them over the config file: only
// flags given on the command line override it.
type MountFlags struct {
	ConfigFile string
	Cards      int
	Devices    int
	Substreams int
	Playback   int
	Capture    int
	ID         string
	Name       string
	Sink       string
	Source     string
	Formats    string
	Rates      string
	Channels   string
	Periods    string
	PeriodB    string
	BufferBMax int

	Background bool
	Verbose    bool
	FuseDebug  bool
	LogFile    string

	fs *flag.FlagSet
}

// Register defines the flags on fs.
func (m *MountFlags) Register(fs *flag.FlagSet) {
	m.fs = fs
	fs.StringVar(&m.ConfigFile, "config", "", "JSON card configuration `FILE` (see README)")
	fs.IntVar(&m.Cards, "cards", 1, "number of cards")
	fs.IntVar(&m.Devices, "devices", 1, "PCM devices per card")
	fs.IntVar(&m.Substreams, "substreams", 1, "substreams per device, playback and capture (see -playback, -capture)")
	fs.IntVar(&m.Playback, "playback", 1, "playback substreams per device (0: none)")
	fs.IntVar(&m.Capture, "capture", 1, "capture substreams per device (0: none)")
	fs.StringVar(&m.ID, "id", "", "card id (card 0; others get _N), default vsnd")
	fs.StringVar(&m.Name, "name", "", "card name, default \"Virtual Sound Card\"")
	fs.StringVar(&m.Sink, "sink", "", "default playback sink `SPEC`: null, wav:PATH (file or dir), loop (default null)")
	fs.StringVar(&m.Source, "source", "", "default capture source `SPEC`: silence, sine:FREQ[:AMP], noise[:AMP], wav:PATH, loop (default silence)")
	fs.StringVar(&m.Formats, "formats", "", "comma-separated sample formats, e.g. S16_LE,S32_LE (default: all linear and float)")
	fs.StringVar(&m.Rates, "rates", "", "rate range `MIN[-MAX]` in Hz (default 8000-384000)")
	fs.StringVar(&m.Channels, "channels", "", "channel range `MIN[-MAX]` (default 1-32)")
	fs.StringVar(&m.Periods, "periods", "", "periods per buffer `MIN[-MAX]` (default 2-1024)")
	fs.StringVar(&m.PeriodB, "period-bytes", "", "period size range in bytes `MIN[-MAX]` (default 64-2097152)")
	fs.IntVar(&m.BufferBMax, "buffer-bytes-max", 0, "largest buffer in bytes (default 4194304)")
	fs.BoolVar(&m.Background, "background", false, "detach, print the daemon's pid once the mount is ready, and return")
	fs.BoolVar(&m.Verbose, "v", false, "log every operation (debug level)")
	fs.BoolVar(&m.FuseDebug, "fuse-debug", false, "log every FUSE request")
	fs.StringVar(&m.LogFile, "log", "", "append logs to `FILE` instead of stderr")
}

// Config loads the config file (if any) and applies the flags that were
// set on the command line.
func (m *MountFlags) Config() (Config, error) {
	var c Config
	if m.ConfigFile != "" {
		var err error
		if c, err = LoadConfig(m.ConfigFile); err != nil {
			return c, err
		}
	}
	set := map[string]bool{}
	if m.fs != nil {
		m.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	}
	if set["cards"] {
		c.Cards = m.Cards
	}
	if set["devices"] {
		c.Devices = m.Devices
		for i := range c.Card {
			c.Card[i].Devices = 0
		}
	}
	if set["substreams"] {
		c.Playback, c.Capture = ptr(m.Substreams), ptr(m.Substreams)
	}
	if set["playback"] {
		c.Playback = ptr(m.Playback)
	}
	if set["capture"] {
		c.Capture = ptr(m.Capture)
	}
	if set["id"] || set["name"] {
		if len(c.Card) == 0 {
			c.Card = []CardConfig{{}}
		}
		if set["id"] {
			c.Card[0].ID = m.ID
		}
		if set["name"] {
			c.Card[0].Name = m.Name
		}
	}
	if set["sink"] {
		c.Sink = m.Sink
	}
	if set["source"] {
		c.Source = m.Source
	}
	hw := c.Hardware
	if hw == nil {
		hw = &HardwareConfig{}
	}
	if set["formats"] {
		hw.Formats = strings.Split(m.Formats, ",")
	}
	for _, r := range []struct {
		name     string
		val      string
		min, max **int
	}{
		{"rates", m.Rates, &hw.RateMin, &hw.RateMax},
		{"channels", m.Channels, &hw.ChannelsMin, &hw.ChannelsMax},
		{"periods", m.Periods, &hw.PeriodsMin, &hw.PeriodsMax},
		{"period-bytes", m.PeriodB, &hw.PeriodBytesMin, &hw.PeriodBytesMax},
	} {
		if !set[r.name] {
			continue
		}
		lo, hi, err := parseRange(r.val)
		if err != nil {
			return c, fmt.Errorf("-%s: %w", r.name, err)
		}
		*r.min, *r.max = ptr(lo), ptr(hi)
	}
	if set["buffer-bytes-max"] {
		hw.BufferBytesMax = ptr(m.BufferBMax)
	}
	for _, name := range []string{"formats", "rates", "channels", "periods", "period-bytes", "buffer-bytes-max"} {
		if set[name] {
			c.Hardware = hw
		}
	}
	return c, nil
}

// parseRange parses "N" or "MIN-MAX".
func parseRange(s string) (int, int, error) {
	a, b, ok := strings.Cut(s, "-")
	lo, err := strconv.Atoi(strings.TrimSpace(a))
	if err != nil {
		return 0, 0, fmt.Errorf("%q: want N or MIN-MAX", s)
	}
	if !ok {
		return lo, lo, nil
	}
	hi, err := strconv.Atoi(strings.TrimSpace(b))
	if err != nil || hi < lo {
		return 0, 0, fmt.Errorf("%q: want N or MIN-MAX with MIN <= MAX", s)
	}
	return lo, hi, nil
}

func ptr[T any](v T) *T { return &v }
