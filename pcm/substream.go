package pcm

import (
	"log"
	"sync"
	"sync/atomic"
	"syscall"
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

// Timestamp modes and types (SNDRV_PCM_TSTAMP_*, SNDRV_PCM_TSTAMP_TYPE_*).
const (
	TstampNone   int32 = 0
	TstampEnable int32 = 1

	tstampTypeLast = 2 // SNDRV_PCM_TSTAMP_TYPE_MONOTONIC_RAW
	// protoTstampType is SNDRV_PROTOCOL_VERSION(2, 0, 12): from this
	// protocol on sw_params carries tstamp_type.
	protoTstampType = 2<<16 | 0<<8 | 12
)

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
// runtime, struct snd_pcm_runtime). See the package documentation for the
// state machine, the pointer model and the lock order.
type Substream struct {
	opts Options // immutable

	// bufMu is runtime->buffer_mutex: it serializes the process-context
	// operations that reconfigure or reset the buffer (hw_params, hw_free,
	// prepare, reset, release). Taken before mu, never by the interrupt.
	bufMu sync.Mutex

	// mu is the stream lock (snd_pcm_stream_lock). Never held across
	// Driver.SyncStop, Driver.{Open,Close,HWParams,HWFree,Prepare} or a
	// Sink/Source call.
	mu sync.Mutex

	opened bool         // guarded by mu: between Open and Release
	cons   *Constraints // guarded by mu: the hw constraints, set at Open
	area   *mmap.Area   // guarded by mu: created at Open, closed (not cleared) at Release

	state          State // guarded by mu; mirrored to the status page
	suspendedState State // guarded by mu

	hasCfg bool   // guarded by mu: hw_params installed (state != OPEN)
	cfg    Config // guarded by mu
	dma    []byte // guarded by mu: the area's data mapping (runtime->dma_area)
	// scratch interleaves frames of a non-interleaved buffer for the
	// sink/source FIFOs. Guarded by mu.
	scratch []byte
	fb      int // guarded by mu: bytes per frame
	// buffer, period and boundary in frames; guarded by mu.
	bufferSize, periodSize, boundary uint64

	// sw params (runtime->*), guarded by mu. avail_min lives in the
	// control page (Area.AvailMin), as runtime->control->avail_min.
	tstampMode       int32
	tstampType       uint32
	periodStep       uint32
	startThreshold   uint64
	stopThreshold    uint64
	silenceThreshold uint64
	silenceSize      uint64

	// Pointers (see doc.go). appl_ptr lives in the control page
	// (Area.ApplPtr); hwPtr is runtime->status->hw_ptr, mirrored to the
	// status page. All guarded by mu.
	hwPtr          uint64
	hwPtrBase      uint64
	hwPtrInterrupt uint64
	hwPtrWrap      uint64
	hwPtrTime      time.Duration // runtime->hw_ptr_jiffies, on the clock
	silenceStart   uint64
	silenceFilled  uint64
	twake          uint64 // frames a blocked transfer waits for; 0 = none
	availMax       uint64

	triggerTstamp time.Duration // guarded by mu
	tstamp        time.Duration // guarded by mu
	audioTstamp   time.Duration // guarded by mu

	// stopOperating is runtime->stop_operating: a stop happened that
	// sync_stop has not yet waited for. Guarded by mu.
	stopOperating bool
	// accessing is runtime->buffer_accessing: > 0 while a transfer
	// copies, < 0 while hw_params/hw_free/prepare/reset own the buffer.
	// Guarded by mu.
	accessing int

	// wake is closed and replaced to wake every waiter (runtime->sleep
	// and runtime->tsleep). wakeTaken says a waiter got it since the last
	// wake-up; without one there is nobody to wake and the interrupt
	// keeps the channel instead of allocating a new one. Guarded by mu.
	wake      chan struct{}
	wakeTaken bool

	xruns       uint64 // guarded by mu
	hwPtrErrors uint64 // guarded by mu: hw_ptr_error reports, for rate-limiting

	sink       Sink        // guarded by mu
	source     Source      // guarded by mu
	sinkPump   *sinkPump   // guarded by mu: the current run's playback pump
	sourcePump *sourcePump // guarded by mu: the current run's capture pump
	// sinkOverflow and sourceUnderrun count frames; guarded by mu.
	sinkOverflow, sourceUnderrun uint64

	driverData atomic.Pointer[any] // driver private data (runtime->private_data)
}

// NewSubstream returns a closed substream. o.Driver and o.Clock must be set.
func NewSubstream(o Options) *Substream {
	if o.Name == "" {
		o.Name = "pcm"
	}
	return &Substream{opts: o, wake: make(chan struct{})}
}

// Name returns the name given in Options.
func (s *Substream) Name() string { return s.opts.Name }

// Stream returns the direction.
func (s *Substream) Stream() Stream { return s.opts.Stream }

// Number returns the substream number given in Options.
func (s *Substream) Number() int { return s.opts.Number }

// Hardware returns the hardware description given in Options.
func (s *Substream) Hardware() Hardware { return s.opts.Hardware }

// SetDriverData stores the driver's private data (runtime->private_data).
func (s *Substream) SetDriverData(v any) {
	if v == nil {
		s.driverData.Store(nil)
		return
	}
	s.driverData.Store(&v)
}

// DriverData returns what SetDriverData stored, or nil.
func (s *Substream) DriverData() any {
	if p := s.driverData.Load(); p != nil {
		return *p
	}
	return nil
}

func (s *Substream) playback() bool { return s.opts.Stream == Playback }

func (s *Substream) logf(format string, args ...any) {
	log.Printf("pcm %s: "+format, append([]any{s.opts.Name}, args...)...)
}

// Open attaches a runtime to the substream (snd_pcm_open_substream): it
// builds the hw constraints from Options.Hardware, creates the shared
// memory area and calls Driver.Open. The state is OPEN.
//
// Errors: EBUSY if already open; EINVAL for a hardware description the
// constraints reject; the area's errno (ENOMEM, EMFILE); the driver's.
func (s *Substream) Open() error {
	s.bufMu.Lock()
	defer s.bufMu.Unlock()
	s.mu.Lock()
	opened := s.opened
	s.mu.Unlock()
	if opened {
		// snd_pcm_attach_substream: the substream is taken.
		return Errorf(syscall.EBUSY, "%s is already open", s.opts.Name)
	}
	if s.opts.Driver == nil || s.opts.Clock == nil {
		return Errorf(syscall.EINVAL, "%s has no driver or clock", s.opts.Name)
	}
	cons, err := NewConstraints(s.opts.Hardware)
	if err != nil {
		return err
	}
	area, err := mmap.New(s.opts.Name)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.opened = true
	s.cons = cons
	s.area = area
	s.resetRuntimeLocked()
	s.setStateLocked(StateOpen)
	s.mu.Unlock()
	if err := s.opts.Driver.Open(s); err != nil {
		s.mu.Lock()
		s.opened = false
		s.cons = nil
		s.area = nil
		s.mu.Unlock()
		area.Close()
		return err
	}
	return nil
}

// resetRuntimeLocked clears the runtime as snd_pcm_attach_substream's
// kzalloc does. Precondition: mu held.
func (s *Substream) resetRuntimeLocked() {
	s.hasCfg, s.cfg, s.dma, s.fb = false, Config{}, nil, 0
	s.bufferSize, s.periodSize, s.boundary = 0, 0, 0
	s.hwPtr, s.hwPtrBase, s.hwPtrInterrupt, s.hwPtrWrap = 0, 0, 0, 0
	s.silenceStart, s.silenceFilled, s.twake, s.availMax = 0, 0, 0, 0
	s.stopOperating = false
	s.suspendedState = StateOpen
	s.xruns, s.sinkOverflow, s.sourceUnderrun = 0, 0, 0
}

// Release closes the substream (snd_pcm_release_substream): drop, hw_free
// unless OPEN (sync_stop, Driver.HWFree, end of the sink/source run),
// Driver.Close, close the area. It works in every state,
// DISCONNECTED included. Errors: EBADFD if not open; else the driver's
// Close error (the substream is released anyway).
func (s *Substream) Release() error {
	s.bufMu.Lock()
	defer s.bufMu.Unlock()
	s.mu.Lock()
	if !s.opened {
		s.mu.Unlock()
		return Errorf(syscall.EBADFD, "%s is not open", s.opts.Name)
	}
	// snd_pcm_drop (its EBADFD in OPEN/DISCONNECTED is ignored).
	if s.state != StateOpen && s.state != StateDisconnected {
		if s.state == StatePaused {
			s.pauseLocked(false)
		}
		s.stopLocked(StateSetup)
	}
	// Transfers copy under mu, so none is in the middle of a copy here;
	// one blocked in a wait wakes up (stop woke it) and sees SETUP.
	hadCfg := s.hasCfg
	s.mu.Unlock()

	if hadCfg {
		s.doHWFree()
	}
	err := s.opts.Driver.Close(s)

	s.mu.Lock()
	// The closed area stays referenced: its accessors work on a detached
	// copy, so a waiter woken by the stop above cannot fault on it.
	area := s.area
	s.opened = false
	s.cons = nil
	s.hasCfg = false
	s.state = StateOpen
	s.wakeAllLocked()
	s.mu.Unlock()
	if area != nil {
		if cerr := area.Close(); cerr != nil {
			s.logf("closing the area: %v", cerr)
		}
	}
	return err
}

// State returns the current state (runtime->state). A substream that is not
// open reports OPEN.
func (s *Substream) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// Config returns the installed configuration and true after a successful
// HWParams, until HWFree or Release.
func (s *Substream) Config() (Config, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg, s.hasCfg
}

// Area returns the substream's shared memory, nil when not open. The faces
// hand its memfd to clients (and Pin it while mapped).
func (s *Substream) Area() *mmap.Area {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.opened {
		return nil
	}
	return s.area
}

// CurrentSWParams returns the sw params in force (boundary included).
// Errors: EBADFD in OPEN (no hw_params) or DISCONNECTED.
func (s *Substream) CurrentSWParams() (SWParams, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkConfiguredLocked(); err != nil {
		return SWParams{}, err
	}
	return SWParams{
		TstampMode:       s.tstampMode,
		TstampType:       s.tstampType,
		PeriodStep:       s.periodStep,
		AvailMin:         s.area.AvailMin(),
		XferAlign:        1,
		StartThreshold:   s.startThreshold,
		StopThreshold:    s.stopThreshold,
		SilenceThreshold: s.silenceThreshold,
		SilenceSize:      s.silenceSize,
		Boundary:         s.boundary,
	}, nil
}

// checkConfiguredLocked is the common gate of the ioctls that need
// hw_params: EBADFD when not open, in OPEN, or DISCONNECTED
// (snd_pcm_common_ioctl). Precondition: mu held.
func (s *Substream) checkConfiguredLocked() error {
	switch {
	case !s.opened:
		return Errorf(syscall.EBADFD, "%s is not open", s.opts.Name)
	case s.state == StateDisconnected:
		return errDisconnected(s)
	case s.state == StateOpen || !s.hasCfg:
		return Errorf(syscall.EBADFD, "%s has no hw_params", s.opts.Name)
	}
	return nil
}

// checkOpenLocked: EBADFD when not open or DISCONNECTED
// (snd_pcm_common_ioctl). Precondition: mu held.
func (s *Substream) checkOpenLocked() error {
	switch {
	case !s.opened:
		return Errorf(syscall.EBADFD, "%s is not open", s.opts.Name)
	case s.state == StateDisconnected:
		return errDisconnected(s)
	}
	return nil
}

// errDisconnected: since "ALSA: pcm: Add more disconnection checks at file
// ops" (5.16) every file op but close on a disconnected stream is -EBADFD
// (snd_pcm_common_ioctl, snd_pcm_read/write).
func errDisconnected(s *Substream) error {
	return Errorf(syscall.EBADFD, "%s is disconnected", s.opts.Name)
}

// setStateLocked is __snd_pcm_set_state: runtime->state and
// status->state. Precondition: mu held.
func (s *Substream) setStateLocked(st State) {
	s.state = st
	if s.area != nil {
		s.area.SetState(int32(st))
	}
}

// wakeAllLocked wakes every waiter (wake_up(&runtime->sleep) and
// wake_up(&runtime->tsleep)). Precondition: mu held.
func (s *Substream) wakeAllLocked() {
	if !s.wakeTaken {
		return // an empty wait queue
	}
	close(s.wake)
	s.wake, s.wakeTaken = make(chan struct{}), false
}

// waitChanLocked returns the channel the next wakeAllLocked closes, for a
// waiter. Precondition: mu held.
func (s *Substream) waitChanLocked() <-chan struct{} {
	s.wakeTaken = true
	return s.wake
}

// Wait returns a channel closed at the next pointer update that reaches
// the wake-up threshold or state change: what poll(2) waits on
// (runtime->sleep). Re-check Avail/State after it fires.
func (s *Substream) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.waitChanLocked()
}

// now reads the core's clock.
func (s *Substream) now() time.Duration { return s.opts.Clock.Now() }
