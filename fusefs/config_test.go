package fusefs

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

func intp(v int) *int { return &v }

func TestResolveDefaults(t *testing.T) {
	var c Config
	ls, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 1 || len(ls[0].cfg.Devices) != 1 {
		t.Fatalf("layout %+v", ls)
	}
	d := ls[0].cfg.Devices[0]
	if d.Playback != 1 || d.Capture != 1 {
		t.Errorf("substreams %d/%d, want 1/1", d.Playback, d.Capture)
	}
	if d.Hardware[pcm.Playback] != pcm.DefaultHardware() {
		t.Errorf("hardware is not DefaultHardware: %+v", d.Hardware[pcm.Playback])
	}
	if ls[0].sinks[0][0] != "null" || ls[0].sources[0][0] != "silence" {
		t.Errorf("endpoints %q %q", ls[0].sinks, ls[0].sources)
	}
}

func TestResolveInheritance(t *testing.T) {
	c := Config{
		Cards:    2,
		Devices:  2,
		Sink:     "wav:/top/",
		Source:   "sine:440",
		Hardware: &HardwareConfig{Formats: []string{"S16_LE", "S32_LE"}, RateMax: intp(96000)},
		Card: []CardConfig{{
			ID:       "A",
			Sink:     "null",
			Hardware: &HardwareConfig{ChannelsMax: intp(2)},
			Device: []DeviceConfig{{
				Playback:   intp(3),
				Capture:    intp(0),
				Sinks:      []string{"", "loop"},
				PlaybackHW: &HardwareConfig{RateMin: intp(48000)},
			}},
		}},
	}
	ls, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || len(ls[0].cfg.Devices) != 2 || len(ls[1].cfg.Devices) != 2 {
		t.Fatalf("shape: %d cards", len(ls))
	}
	d0 := ls[0].cfg.Devices[0]
	hw := d0.Hardware[pcm.Playback]
	if hw.Formats != 1<<uint(pcm.FormatS16LE)|1<<uint(pcm.FormatS32LE) || hw.RateMin != 48000 || hw.RateMax != 96000 || hw.ChannelsMax != 2 {
		t.Errorf("card 0 dev 0 playback hardware %+v", hw)
	}
	if got := d0.Hardware[pcm.Capture].RateMin; got != pcm.DefaultHardware().RateMin {
		t.Errorf("capture hardware took the playback override: rate_min %d", got)
	}
	if d0.Playback != 3 || d0.Capture != 0 {
		t.Errorf("dev 0 substreams %d/%d", d0.Playback, d0.Capture)
	}
	if got := strings.Join(ls[0].sinks[0], ","); got != "null,loop,null" {
		t.Errorf("card 0 dev 0 sinks %s", got)
	}
	if got := ls[1].sinks[1][0]; got != "wav:/top/" {
		t.Errorf("card 1 sink %q, want the top-level one", got)
	}
	if got := ls[1].sources[0][0]; got != "sine:440" {
		t.Errorf("card 1 source %q", got)
	}
	if ls[1].cfg.Devices[0].Hardware[pcm.Playback].ChannelsMax != pcm.DefaultHardware().ChannelsMax {
		t.Error("card 0's hardware leaked into card 1")
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		want string
	}{
		{"too many cards", Config{Cards: 33}, "cards = 33"},
		{"duplicate id", Config{Cards: 2, Card: []CardConfig{{ID: "x"}, {ID: "x"}}}, "used twice"},
		{"too many devices", Config{Devices: 9}, "devices = 9"},
		{"bad format", Config{Hardware: &HardwareConfig{Formats: []string{"S17"}}}, "S17"},
		{"more sinks than substreams", Config{Card: []CardConfig{{Device: []DeviceConfig{{Playback: intp(1), Sinks: []string{"null", "null"}}}}}}, "more sinks"},
		{"more card entries", Config{Cards: 1, Card: []CardConfig{{}, {}}}, "2 card entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.c.resolve()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if pcm.Errno(err) != syscall.EINVAL {
				t.Errorf("errno %v, want EINVAL", pcm.Errno(err))
			}
		})
	}
}

func TestMountFlags(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(cfgPath, []byte(`{"cards": 2, "sink": "null", "card": [{"id": "File", "devices": 3}]}`), 0o644)
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var mf MountFlags
	mf.Register(fs)
	err := fs.Parse([]string{"--config", cfgPath, "--devices", "2", "--substreams", "2", "--capture", "0",
		"--sink", "wav:/x/", "--rates", "44100-48000", "--channels", "2", "--formats", "S16_LE", "--id", "Flag"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := mf.Config()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := c.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].cfg.ID != "Flag" {
		t.Fatalf("cards %d, id %q", len(ls), ls[0].cfg.ID)
	}
	if n := len(ls[0].cfg.Devices); n != 2 {
		t.Errorf("card 0 devices %d: -devices must override the file", n)
	}
	d := ls[1].cfg.Devices[1]
	if d.Playback != 2 || d.Capture != 0 {
		t.Errorf("substreams %d/%d, want 2/0 (-capture after -substreams)", d.Playback, d.Capture)
	}
	hw := d.Hardware[pcm.Playback]
	if hw.RateMin != 44100 || hw.RateMax != 48000 || hw.ChannelsMin != 2 || hw.ChannelsMax != 2 || hw.Formats != 1<<uint(pcm.FormatS16LE) {
		t.Errorf("hardware %+v", hw)
	}
	if ls[1].sinks[0][0] != "wav:/x/" {
		t.Errorf("sink %q", ls[1].sinks[0][0])
	}
	// Flags not given leave the file alone.
	fs2 := flag.NewFlagSet("t", flag.ContinueOnError)
	var mf2 MountFlags
	mf2.Register(fs2)
	fs2.Parse([]string{"--config", cfgPath})
	c2, err := mf2.Config()
	if err != nil {
		t.Fatal(err)
	}
	if c2.Cards != 2 || c2.Hardware != nil || c2.Playback != nil {
		t.Errorf("unset flags changed the config: %+v", c2)
	}
	for _, bad := range []string{"--rates=48000-44100", "--channels=x"} {
		fs3 := flag.NewFlagSet("t", flag.ContinueOnError)
		var mf3 MountFlags
		mf3.Register(fs3)
		fs3.Parse([]string{bad})
		if _, err := mf3.Config(); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestLoadConfigRejectsUnknownFields(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.json")
	os.WriteFile(p, []byte(`{"card": [{"naem": "x"}]}`), 0o644)
	if _, err := LoadConfig(p); err == nil || !strings.Contains(err.Error(), "naem") {
		t.Errorf("LoadConfig: %v", err)
	}
}
