package endpoint

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

func TestParseSinkGood(t *testing.T) {
	for in, want := range map[string]SinkSpec{
		"null":              {Kind: SinkNull},
		" loop\n":           {Kind: SinkLoop},
		"wav:/tmp/a.wav":    {Kind: SinkWAV, Path: "/tmp/a.wav"},
		"wav:/tmp/d/":       {Kind: SinkWAV, Path: "/tmp/d/"},
		"wav:rel:colon.wav": {Kind: SinkWAV, Path: "rel:colon.wav"},
	} {
		got, err := ParseSink(in)
		if err != nil || got != want {
			t.Errorf("ParseSink(%q) = %+v, %v; want %+v", in, got, err, want)
			continue
		}
		if again, err := ParseSink(got.String()); err != nil || again != got {
			t.Errorf("ParseSink(%q.String() = %q) = %+v, %v", in, got.String(), again, err)
		}
	}
}

func TestParseSourceGood(t *testing.T) {
	for in, want := range map[string]SourceSpec{
		"silence":        {Kind: SourceSilence},
		"loop":           {Kind: SourceLoop},
		"sine:440":       {Kind: SourceSine, Freq: 440, Amplitude: 0.5},
		"sine:997.5:0.1": {Kind: SourceSine, Freq: 997.5, Amplitude: 0.1},
		"sine:50:0":      {Kind: SourceSine, Freq: 50, Amplitude: 0},
		"noise":          {Kind: SourceNoise, Amplitude: 0.5},
		"noise:1\n":      {Kind: SourceNoise, Amplitude: 1},
		"wav:/x/y.wav":   {Kind: SourceWAV, Path: "/x/y.wav"},
	} {
		got, err := ParseSource(in)
		if err != nil || got != want {
			t.Errorf("ParseSource(%q) = %+v, %v; want %+v", in, got, err, want)
			continue
		}
		if again, err := ParseSource(got.String()); err != nil || again != got {
			t.Errorf("ParseSource(%q.String() = %q) = %+v, %v", in, got.String(), again, err)
		}
	}
	if s, _ := ParseSource("sine:440"); s.String() != "sine:440:0.5" {
		t.Errorf("canonical sine is %q", s.String())
	}
}

// TestParseBad: every bad SPEC is EINVAL and the message quotes the SPEC
// and says what is wrong.
func TestParseBad(t *testing.T) {
	sinks := map[string]string{
		"":           "empty",
		"   ":        "empty",
		"file:/x":    `unknown kind "file"`,
		"wav":        "needs a path",
		"wav:":       "needs a path",
		"null:1":     "takes no argument",
		"loop:x":     "takes no argument",
		"NULL":       `unknown kind "NULL"`,
		"wav:/a\x00": "NUL",
	}
	for in, why := range sinks {
		_, err := ParseSink(in)
		checkBad(t, "sink", in, err, why)
	}
	sources := map[string]string{
		"":              "empty",
		"sine":          "needs a frequency",
		"sine:":         "needs a frequency",
		"sine:abc":      `frequency "abc" is not a positive number`,
		"sine:-3":       "not a positive number",
		"sine:0":        "not a positive number",
		"sine:NaN":      "not a positive number",
		"sine:inf":      "not a positive number",
		"sine:440:1.5":  `amplitude "1.5" is not a number in 0..1`,
		"sine:440:-0.1": "amplitude",
		"sine:440:":     "amplitude",
		"noise:2":       "amplitude",
		"silence:1":     "takes no argument",
		"wav:":          "needs a path",
		"square:440":    `unknown kind "square"`,
	}
	for in, why := range sources {
		_, err := ParseSource(in)
		checkBad(t, "source", in, err, why)
	}
}

func checkBad(t *testing.T, what, in string, err error, why string) {
	t.Helper()
	if !errors.Is(err, syscall.EINVAL) || pcm.Errno(err) != syscall.EINVAL {
		t.Errorf("Parse %s %q: err %v, want EINVAL", what, in, err)
		return
	}
	msg := err.Error()
	if !strings.Contains(msg, "bad "+what) || !strings.Contains(msg, why) {
		t.Errorf("Parse %s %q: message %q does not say %q", what, in, msg, why)
	}
}

func TestStreamIDString(t *testing.T) {
	if s := (StreamID{Card: 3, Device: 1, Sub: 7, Stream: pcm.Capture}).String(); s != "card3-pcm1c-sub7" {
		t.Fatalf("StreamID.String = %q", s)
	}
}
