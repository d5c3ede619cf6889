package fusefs

import (
	"strings"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

func TestHWRequestBuild(t *testing.T) {
	hw := pcm.DefaultHardware()
	for _, tc := range []struct {
		text string
		want pcm.Config // zero fields: not checked
	}{
		// Buffer and period left open: aplay's defaults, 500 ms and 4 periods.
		{"format=S16_LE rate=48000 channels=2", pcm.Config{Access: pcm.AccessRWInterleaved, Format: pcm.FormatS16LE,
			Channels: 2, Rate: 48000, BufferSize: 24000, Periods: 4, PeriodSize: 6000}},
		{"format=s32_le,rate=44100\nchannels=1 period_size=1024 buffer_size=4096",
			pcm.Config{Format: pcm.FormatS32LE, Rate: 44100, Channels: 1, PeriodSize: 1024, BufferSize: 4096, Periods: 4}},
		{"format=FLOAT_LE rate=8000 channels=1 periods=2 buffer_time=100000",
			pcm.Config{Format: pcm.FormatFloatLE, Rate: 8000, BufferSize: 800, Periods: 2, PeriodSize: 400}},
		{"access=RW_NONINTERLEAVED format=S16_LE rate=48000 channels=2 period_time=10000",
			pcm.Config{Access: pcm.AccessRWNonInterleaved, PeriodSize: 480}},
	} {
		r, err := parseHWRequest(tc.text)
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		p, err := r.build(hw)
		if err != nil {
			t.Fatalf("%q: build: %v", tc.text, err)
		}
		cons, err := pcm.NewConstraints(hw)
		if err != nil {
			t.Fatal(err)
		}
		if err := cons.Choose(p); err != nil {
			t.Fatalf("%q: choose: %v", tc.text, err)
		}
		got, err := p.Config()
		if err != nil {
			t.Fatalf("%q: config: %v", tc.text, err)
		}
		w := tc.want
		if (w.Format != 0 && got.Format != w.Format) || (w.Access != 0 && got.Access != w.Access) ||
			(w.Channels != 0 && got.Channels != w.Channels) || (w.Rate != 0 && got.Rate != w.Rate) ||
			(w.PeriodSize != 0 && got.PeriodSize != w.PeriodSize) || (w.BufferSize != 0 && got.BufferSize != w.BufferSize) ||
			(w.Periods != 0 && got.Periods != w.Periods) {
			t.Errorf("%q: got %+v, want %+v", tc.text, got, w)
		}
	}
}

func TestHWRequestErrors(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"", "empty hw_params"},
		{"format", "not key=value"},
		{"format=", "not key=value"},
		{"bits=16", "unknown hw_params key"},
		{"format=S17", "unknown sample format"},
		{"access=MMAP", "access"},
		{"subformat=MSBITS_MAX", "only STD"},
		{"rate=-1", "non-negative integer"},
		{"rate=4294967296", "non-negative integer"},
	} {
		_, err := parseHWRequest(tc.text)
		if err == nil || !strings.Contains(err.Error(), tc.want) || pcm.Errno(err) != syscall.EINVAL {
			t.Errorf("%q: %v, want EINVAL saying %q", tc.text, err, tc.want)
		}
	}
	// Refused by the hardware: the refine engine says why.
	r, _ := parseHWRequest("rate=1000")
	if _, err := r.build(pcm.DefaultHardware()); pcm.Errno(err) != syscall.EINVAL || !strings.Contains(err.Error(), "rate") {
		t.Errorf("rate=1000: %v", err)
	}
}

func TestApplySWRequest(t *testing.T) {
	p := pcm.SWParams{AvailMin: 1, StartThreshold: 1, StopThreshold: 4096, Boundary: 1 << 40}
	if err := applySWRequest("avail_min=512 start_threshold=4096 stop_threshold=boundary tstamp_mode=ENABLE silence_size=10 period_step=2", &p); err != nil {
		t.Fatal(err)
	}
	want := pcm.SWParams{AvailMin: 512, StartThreshold: 4096, StopThreshold: 1 << 40, Boundary: 1 << 40,
		TstampMode: 1, SilenceSize: 10, PeriodStep: 2}
	if p != want {
		t.Errorf("got %+v\nwant %+v", p, want)
	}
	for _, bad := range []string{"", "avail_min", "latency=1", "avail_min=-1", "tstamp_mode=GPS"} {
		q := p
		if err := applySWRequest(bad, &q); pcm.Errno(err) != syscall.EINVAL {
			t.Errorf("%q: %v, want EINVAL", bad, err)
		}
	}
}

func TestParseCommand(t *testing.T) {
	for _, tc := range []struct {
		a    action
		text string
		cmd  command
		n    uint64
	}{
		{actTrigger, "start", cmdStart, 0},
		{actTrigger, "STOP", cmdStop, 0},
		{actTrigger, "drop", cmdStop, 0},
		{actTrigger, "drain", cmdDrain, 0},
		{actTrigger, "pause", cmdPause, 0},
		{actTrigger, "resume", cmdResume, 0},
		{actTrigger, "rewind 480", cmdRewind, 480},
		{actTrigger, "forward 1", cmdForward, 1},
		{actPrepare, "whatever", cmdPrepare, 0},
		{actHWFree, "", cmdHWFree, 0},
	} {
		cmd, n, err := parseCommand(tc.a, tc.text)
		if err != nil || cmd != tc.cmd || n != tc.n {
			t.Errorf("%v %q = %v %d %v", tc.a, tc.text, cmd, n, err)
		}
	}
	for _, bad := range []string{"", "go", "start now", "rewind", "rewind x", "forward -1"} {
		if _, _, err := parseCommand(actTrigger, bad); pcm.Errno(err) != syscall.EINVAL {
			t.Errorf("trigger %q: %v, want EINVAL", bad, err)
		}
	}
}

func TestProcFormats(t *testing.T) {
	got := hwParamsText(pcm.Config{Access: pcm.AccessRWInterleaved, Format: pcm.FormatS16LE, Channels: 2,
		Rate: 48000, PeriodSize: 1024, Periods: 4, BufferSize: 4096})
	want := "access: RW_INTERLEAVED\nformat: S16_LE\nsubformat: STD\nchannels: 2\nrate: 48000 (48000/1)\nperiod_size: 1024\nbuffer_size: 4096\n"
	if got != want {
		t.Errorf("hw_params:\n%s\nwant:\n%s", got, want)
	}
	st := statusText(pcm.Status{State: pcm.StateRunning, TriggerTstamp: 1500000000, HWPtr: 10, ApplPtr: 20, XRuns: 2},
		42, pcm.Playback, "null")
	for _, line := range []string{"state: RUNNING\n", "owner_pid   : 42\n", "trigger_time: 1.500000000\n",
		"hw_ptr      : 10\n", "appl_ptr    : 20\n", "xruns       : 2\n", "sink        : null\n"} {
		if !strings.Contains(st, line) {
			t.Errorf("status lacks %q:\n%s", line, st)
		}
	}
}

func TestNatLessAndMountinfo(t *testing.T) {
	if !natLess("card2/pcm0p", "card10/pcm0p") || natLess("card10", "card2") || !natLess("sub1", "sub1x") {
		t.Error("natLess")
	}
	if got := unescapeMountinfo(`/tmp/a\040b\134c`); got != `/tmp/a b\c` {
		t.Errorf("unescape: %q", got)
	}
}
