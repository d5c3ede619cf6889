package pcm

// TEMPORARY: signatures of the substream API that the faces build on. The
// core implementation replaces this file.

import (
	"context"
	"time"

	"github.com/vsnd/vsnd/mmap"
	"github.com/vsnd/vsnd/timer"
)

// SWParams mirrors struct snd_pcm_sw_params.
type SWParams struct {
	TstampMode       int32
	PeriodStep       uint32
	SleepMin         uint32
	AvailMin         uint64
	XferAlign        uint64
	StartThreshold   uint64
	StopThreshold    uint64
	SilenceThreshold uint64
	SilenceSize      uint64
	Boundary         uint64
	Proto            uint32
	TstampType       uint32
}

// Status mirrors struct snd_pcm_status64, with vsnd's counters added.
type Status struct {
	State          State
	TriggerTstamp  time.Duration // on the core's clock
	Tstamp         time.Duration
	ApplPtr        uint64
	HWPtr          uint64
	Delay          int64
	Avail          uint64
	AvailMax       uint64
	OverRange      uint64
	SuspendedState State
	AudioTstamp    time.Duration
	XRuns          uint64 // times the stream entered XRUN
	SinkOverflow   uint64 // frames lost because the sink FIFO was full
	SourceUnderrun uint64 // frames recorded as silence because the source was late
}

// Options configures a new substream.
type Options struct {
	Stream   Stream
	Number   int
	Hardware Hardware
	Driver   Driver
	Clock    timer.Clock
	Name     string // e.g. "card0/pcm0p/sub0", for logs
}

// Substream is one PCM substream (struct snd_pcm_substream plus its
// runtime).
type Substream struct{ opts Options }

func NewSubstream(o Options) *Substream { return &Substream{opts: o} }

func (s *Substream) Open() error                                   { panic("unimplemented") }
func (s *Substream) Release() error                                { panic("unimplemented") }
func (s *Substream) HWRefine(p *HWParams) error                    { panic("unimplemented") }
func (s *Substream) HWParams(p *HWParams) error                    { panic("unimplemented") }
func (s *Substream) HWFree() error                                 { panic("unimplemented") }
func (s *Substream) SWParams(p *SWParams) error                    { panic("unimplemented") }
func (s *Substream) Prepare() error                                { panic("unimplemented") }
func (s *Substream) Start() error                                  { panic("unimplemented") }
func (s *Substream) Drop() error                                   { panic("unimplemented") }
func (s *Substream) Drain(ctx context.Context, nonblock bool) error { panic("unimplemented") }
func (s *Substream) Pause(push bool) error                         { panic("unimplemented") }
func (s *Substream) Reset() error                                  { panic("unimplemented") }
func (s *Substream) Rewind(frames uint64) (uint64, error)          { panic("unimplemented") }
func (s *Substream) Forward(frames uint64) (uint64, error)         { panic("unimplemented") }
func (s *Substream) XRun() error                                   { panic("unimplemented") }
func (s *Substream) Suspend() error                                { panic("unimplemented") }
func (s *Substream) Resume() error                                 { panic("unimplemented") }
func (s *Substream) Disconnect()                                   { panic("unimplemented") }
func (s *Substream) HWSync() error                                 { panic("unimplemented") }
func (s *Substream) Delay() (int64, error)                         { panic("unimplemented") }
func (s *Substream) Status() (Status, error)                       { panic("unimplemented") }
func (s *Substream) State() State                                  { panic("unimplemented") }
func (s *Substream) Config() (Config, bool)                        { panic("unimplemented") }
func (s *Substream) CurrentSWParams() (SWParams, error)            { panic("unimplemented") }
func (s *Substream) Write(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	panic("unimplemented")
}
func (s *Substream) Read(ctx context.Context, buf []byte, nonblock bool) (int, error) {
	panic("unimplemented")
}
func (s *Substream) WriteN(ctx context.Context, bufs [][]byte, nonblock bool) (int, error) {
	panic("unimplemented")
}
func (s *Substream) ReadN(ctx context.Context, bufs [][]byte, nonblock bool) (int, error) {
	panic("unimplemented")
}
func (s *Substream) Area() *mmap.Area  { panic("unimplemented") }
func (s *Substream) SetSink(k Sink)     { panic("unimplemented") }
func (s *Substream) SetSource(r Source) { panic("unimplemented") }
