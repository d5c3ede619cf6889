package endpoint

import (
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// StreamID names the substream an endpoint serves.
type StreamID struct {
	Card, Device, Sub int
	Stream            pcm.Stream
}

// String is the stem of the substream's WAV file names, e.g.
// "card0-pcm0p-sub0" (the kernel's /proc/asound/card0/pcm0p/sub0).
func (id StreamID) String() string {
	d := 'p'
	if id.Stream == pcm.Capture {
		d = 'c'
	}
	return fmt.Sprintf("card%d-pcm%d%c-sub%d", id.Card, id.Device, d, id.Sub)
}

// Env is what all endpoints of one daemon share.
type Env struct {
	Loop   *LoopHub     // pairs loop sinks with loop sources; required by "loop"
	Logger *slog.Logger // nil: slog.Default()
}

func (e *Env) logger() *slog.Logger {
	if e == nil || e.Logger == nil {
		return slog.Default()
	}
	return e.Logger
}

// SinkKind is the kind of a sink SPEC.
type SinkKind int

const (
	SinkNull SinkKind = iota // "null"
	SinkWAV                  // "wav:PATH"
	SinkLoop                 // "loop"
)

// SinkSpec is a parsed sink SPEC (see the package doc).
type SinkSpec struct {
	Kind SinkKind
	Path string // SinkWAV: a file, or a directory (existing, or ending in "/")
}

// SourceKind is the kind of a source SPEC.
type SourceKind int

const (
	SourceSilence SourceKind = iota // "silence"
	SourceSine                      // "sine:FREQ[:AMPLITUDE]"
	SourceNoise                     // "noise[:AMPLITUDE]"
	SourceWAV                       // "wav:PATH"
	SourceLoop                      // "loop"
)

// SourceSpec is a parsed source SPEC (see the package doc).
type SourceSpec struct {
	Kind      SourceKind
	Freq      float64 // SourceSine: Hz, > 0
	Amplitude float64 // SourceSine, SourceNoise: 0..1 of full scale
	Path      string  // SourceWAV
}

// DefaultAmplitude is the amplitude of sine and noise when the SPEC has none.
const DefaultAmplitude = 0.5

// ParseSink parses a sink SPEC: "null", "wav:PATH" or "loop". Surrounding
// white space (a trailing newline from `echo wav:/tmp/x > sink`) is ignored.
// Errors are EINVAL with a reason that quotes the SPEC.
func ParseSink(spec string) (SinkSpec, error) {
	s := strings.TrimSpace(spec)
	kind, arg, hasArg := strings.Cut(s, ":")
	switch kind {
	case "null", "loop":
		if hasArg {
			return SinkSpec{}, badSpec("sink", spec, kind+" takes no argument")
		}
		if kind == "null" {
			return SinkSpec{Kind: SinkNull}, nil
		}
		return SinkSpec{Kind: SinkLoop}, nil
	case "wav":
		if err := checkPath(arg); err != nil {
			return SinkSpec{}, badSpec("sink", spec, err.Error())
		}
		return SinkSpec{Kind: SinkWAV, Path: arg}, nil
	case "":
		return SinkSpec{}, badSpec("sink", spec, "empty; want null, wav:PATH or loop")
	}
	return SinkSpec{}, badSpec("sink", spec, "unknown kind "+strconv.Quote(kind)+"; want null, wav:PATH or loop")
}

// ParseSource parses a source SPEC: "silence", "sine:FREQ[:AMPLITUDE]",
// "noise[:AMPLITUDE]", "wav:PATH" or "loop".
func ParseSource(spec string) (SourceSpec, error) {
	s := strings.TrimSpace(spec)
	kind, arg, hasArg := strings.Cut(s, ":")
	const want = "; want silence, sine:FREQ[:AMPLITUDE], noise[:AMPLITUDE], wav:PATH or loop"
	switch kind {
	case "silence", "loop":
		if hasArg {
			return SourceSpec{}, badSpec("source", spec, kind+" takes no argument")
		}
		if kind == "loop" {
			return SourceSpec{Kind: SourceLoop}, nil
		}
		return SourceSpec{Kind: SourceSilence}, nil
	case "sine":
		fs, as, hasAmp := strings.Cut(arg, ":")
		if !hasArg || fs == "" {
			return SourceSpec{}, badSpec("source", spec, "sine needs a frequency, e.g. sine:440")
		}
		f, err := strconv.ParseFloat(fs, 64)
		if err != nil || !(f > 0) || math.IsInf(f, 0) {
			return SourceSpec{}, badSpec("source", spec, "frequency "+strconv.Quote(fs)+" is not a positive number of Hz")
		}
		a := DefaultAmplitude
		if hasAmp {
			if a, err = parseAmplitude(as); err != nil {
				return SourceSpec{}, badSpec("source", spec, err.Error())
			}
		}
		return SourceSpec{Kind: SourceSine, Freq: f, Amplitude: a}, nil
	case "noise":
		a := DefaultAmplitude
		if hasArg {
			var err error
			if a, err = parseAmplitude(arg); err != nil {
				return SourceSpec{}, badSpec("source", spec, err.Error())
			}
		}
		return SourceSpec{Kind: SourceNoise, Amplitude: a}, nil
	case "wav":
		if err := checkPath(arg); err != nil {
			return SourceSpec{}, badSpec("source", spec, err.Error())
		}
		return SourceSpec{Kind: SourceWAV, Path: arg}, nil
	case "":
		return SourceSpec{}, badSpec("source", spec, "empty"+want)
	}
	return SourceSpec{}, badSpec("source", spec, "unknown kind "+strconv.Quote(kind)+want)
}

func parseAmplitude(s string) (float64, error) {
	a, err := strconv.ParseFloat(s, 64)
	if err != nil || !(a >= 0 && a <= 1) {
		return 0, fmt.Errorf("amplitude %q is not a number in 0..1", s)
	}
	return a, nil
}

func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("wav needs a path, e.g. wav:/tmp/out.wav")
	case strings.ContainsAny(p, "\x00\n"):
		return fmt.Errorf("path contains a NUL or newline")
	}
	return nil
}

func badSpec(what, spec, why string) error {
	return pcm.Errorf(syscall.EINVAL, "bad %s %q: %s", what, spec, why)
}

// String returns the canonical SPEC; ParseSink(s.String()) == s.
func (s SinkSpec) String() string {
	switch s.Kind {
	case SinkNull:
		return "null"
	case SinkWAV:
		return "wav:" + s.Path
	case SinkLoop:
		return "loop"
	}
	return fmt.Sprintf("SINK(%d)", int(s.Kind))
}

// String returns the canonical SPEC; ParseSource(s.String()) == s.
func (s SourceSpec) String() string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch s.Kind {
	case SourceSilence:
		return "silence"
	case SourceSine:
		return "sine:" + g(s.Freq) + ":" + g(s.Amplitude)
	case SourceNoise:
		return "noise:" + g(s.Amplitude)
	case SourceWAV:
		return "wav:" + s.Path
	case SourceLoop:
		return "loop"
	}
	return fmt.Sprintf("SOURCE(%d)", int(s.Kind))
}

// New makes the sink for playback substream id. Loop sinks need env.Loop
// and a device 0 or 1 (EINVAL otherwise).
func (s SinkSpec) New(id StreamID, env *Env) (pcm.Sink, error) {
	switch s.Kind {
	case SinkNull:
		return &NullSink{}, nil
	case SinkWAV:
		return newWAVSink(s.Path, id, env.logger()), nil
	case SinkLoop:
		if env == nil || env.Loop == nil {
			return nil, pcm.Errorf(syscall.EINVAL, "sink loop for %v: no loop hub", id)
		}
		return env.Loop.newSink(id)
	}
	return nil, pcm.Errorf(syscall.EINVAL, "unknown sink kind %d", int(s.Kind))
}

// New makes the source for capture substream id. A wav source checks the
// file's header here, so a bad file is reported when the SPEC is set.
func (s SourceSpec) New(id StreamID, env *Env) (pcm.Source, error) {
	switch s.Kind {
	case SourceSilence:
		return &silenceSource{}, nil
	case SourceSine:
		return newSineSource(s.Freq, s.Amplitude), nil
	case SourceNoise:
		return newNoiseSource(s.Amplitude, id), nil
	case SourceWAV:
		return newWAVSource(s.Path)
	case SourceLoop:
		if env == nil || env.Loop == nil {
			return nil, pcm.Errorf(syscall.EINVAL, "source loop for %v: no loop hub", id)
		}
		return env.Loop.newSource(id)
	}
	return nil, pcm.Errorf(syscall.EINVAL, "unknown source kind %d", int(s.Kind))
}
