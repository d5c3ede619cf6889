package fusefs

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// stream is the native face's state of one substream: whether the face
// holds it open, who has its data file, its endpoint SPEC and last error.
//
// Lock order: opMu before mu. Neither is held while the core blocks
// (drain, read, write): the core has its own lock and its own waits.
type stream struct {
	srv  *Server        // immutable
	dev  *pcm.Device    // immutable
	dir  pcm.Stream     // immutable
	num  int            // immutable
	sub  *pcm.Substream // immutable
	name string         // immutable: "card0/pcm0p/sub0"
	env  *endpointEnv   // immutable

	// opMu serializes opening, closing and the state-changing control
	// operations that do not wait for audio (hw_params, sw_params,
	// prepare, hw_free, trigger other than drain, data open/release).
	opMu sync.Mutex

	mu       sync.Mutex
	open     bool        // guarded by mu, written with opMu held too: the face holds the substream (Device.Open)
	data     *dataHandle // guarded by mu, written with opMu held too: the open data file, or nil
	ownerPid uint32      // guarded by mu: pid that opened data
	spec     string      // guarded by mu: current sink or source SPEC
	lastErr  string      // guarded by mu: "" or the last failed operation
	shut     bool        // guarded by mu, written with opMu held too: the server is stopping
}

func newStream(s *Server, d *pcm.Device, dir pcm.Stream, num int, env *endpointEnv) *stream {
	return &stream{
		srv:  s,
		dev:  d,
		dir:  dir,
		num:  num,
		sub:  d.Substream(dir, num),
		name: fmt.Sprintf("card%d/%s/sub%d", d.Card.Number, d.StreamDir(dir), num),
		env:  env,
	}
}

// endpointName is the name of the endpoint file: "sink" for playback,
// "source" for capture.
func (st *stream) endpointName() string {
	if st.dir == pcm.Capture {
		return "source"
	}
	return "sink"
}

// fail records a failed operation (log line and error file) and returns
// the errno for go-fuse. It is the one place where an error becomes a
// syscall.Errno (STYLE.md trap 1: a wrapped errno must not reach go-fuse,
// which would turn it into ENOSYS).
func (st *stream) fail(op string, err error) syscall.Errno {
	errno := pcm.Errno(err)
	if errno == 0 {
		return 0
	}
	msg := fmt.Sprintf("%s %s: %v", time.Now().Format(time.RFC3339Nano), op, err)
	st.mu.Lock()
	st.lastErr = msg
	st.mu.Unlock()
	// EAGAIN and EINTR are flow control, not mistakes: debug level.
	if errno == syscall.EAGAIN || errno == syscall.EINTR {
		st.srv.log.Debug("operation", "stream", st.name, "op", op, "err", err)
	} else {
		st.srv.log.Warn("operation failed", "stream", st.name, "op", op, "err", err)
	}
	return errno
}

// ok logs a successful operation at debug level.
func (st *stream) ok(op string, args ...any) {
	st.srv.log.Debug("operation", append([]any{"stream", st.name, "op", op}, args...)...)
}

func (st *stream) errorText() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.lastErr == "" {
		return "none\n"
	}
	return st.lastErr + "\n"
}

func (st *stream) isOpen() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.open
}

// errNotOpen is what an operation on a substream the face does not hold
// returns: the kernel's answer to an ioctl on a stream in OPEN state.
func (st *stream) errNotOpen() error {
	return pcm.Errorf(syscall.EBADFD, "%s is not set up: write hw_params first", st.name)
}

// ensureOpenLocked opens the substream for the face if it does not hold
// it. Precondition: opMu held.
func (st *stream) ensureOpenLocked() error {
	st.mu.Lock()
	open, shut := st.open, st.shut
	st.mu.Unlock()
	if shut {
		return pcm.Errorf(syscall.ENODEV, "%s: the card is being unmounted", st.name)
	}
	if open {
		return nil
	}
	if _, err := st.dev.Open(st.dir, st.num); err != nil {
		return err
	}
	st.mu.Lock()
	st.open = true
	st.mu.Unlock()
	return nil
}

// maybeCloseLocked releases the substream when the face no longer needs
// it: no data file is open and no hw params are installed. The native face
// thus holds a substream from a successful hw_params write until hw_free
// (or a failed hw_params) with no data file open. Precondition: opMu held.
func (st *stream) maybeCloseLocked() {
	st.mu.Lock()
	busy := !st.open || st.data != nil
	st.mu.Unlock()
	if busy || st.sub.State() != pcm.StateOpen {
		return
	}
	st.closeLocked()
}

// closeLocked releases the substream (drop, hw_free, driver close; the
// sink or source is closed). Precondition: opMu held.
func (st *stream) closeLocked() {
	if err := st.dev.Close(st.sub); err != nil {
		st.fail("release", err)
	}
	st.mu.Lock()
	st.open = false
	st.ownerPid = 0
	st.mu.Unlock()
	st.ok("release")
}

// shutdown is the server stopping: refuse new work and release the
// substream, so its sink finishes (a WAV file gets its final header).
func (st *stream) shutdown() {
	st.opMu.Lock()
	defer st.opMu.Unlock()
	st.mu.Lock()
	st.shut = true
	open := st.open
	st.mu.Unlock()
	if open {
		st.closeLocked()
	}
	st.env.closeStream(st)
}

// attached reports whether any face (this one, ALSA, OSS) holds the
// substream: the read-side files show the substream, whoever opened it,
// as /proc/asound does.
func (st *stream) attached() bool { return st.dev.Attached(st.dir, st.num) }

// statusText is the status file.
func (st *stream) statusText() string {
	st.mu.Lock()
	pid, spec := st.ownerPid, st.spec
	st.mu.Unlock()
	if !st.attached() {
		return "closed\n"
	}
	status, err := st.sub.Status()
	if err != nil {
		return fmt.Sprintf("error %d\n", -int(pcm.Errno(err)))
	}
	return statusText(status, pid, st.dir, spec)
}

// hwParamsText is the read side of hw_params.
func (st *stream) hwParamsText() string {
	if !st.attached() {
		return "closed\n"
	}
	c, ok := st.sub.Config()
	if !ok || st.sub.State() == pcm.StateOpen {
		return "no setup\n"
	}
	return hwParamsText(c)
}

// swParamsText is the read side of sw_params.
func (st *stream) swParamsText() string {
	if !st.attached() {
		return "closed\n"
	}
	if st.sub.State() == pcm.StateOpen {
		return "no setup\n"
	}
	p, err := st.sub.CurrentSWParams()
	if err != nil {
		return fmt.Sprintf("error %d\n", -int(pcm.Errno(err)))
	}
	return swParamsText(p)
}

// setHWParams is a write of hw_params: open the substream if needed,
// refine the request against the hardware and install it
// (snd_pcm_hw_params). A failure leaves the substream released unless a
// data file is open.
func (st *stream) setHWParams(text string) error {
	st.opMu.Lock()
	defer st.opMu.Unlock()
	req, err := parseHWRequest(text)
	if err != nil {
		return err
	}
	if err := st.ensureOpenLocked(); err != nil {
		return err
	}
	p, err := req.build(st.dev.Hardware(st.dir))
	if err == nil {
		err = st.sub.HWParams(p)
	}
	if err != nil {
		st.maybeCloseLocked()
		return err
	}
	c, _ := st.sub.Config()
	st.ok("hw_params", "config", fmt.Sprintf("%+v", c))
	return nil
}

// setSWParams is a write of sw_params: the current params with the given
// keys changed (snd_pcm_sw_params).
func (st *stream) setSWParams(text string) error {
	st.opMu.Lock()
	defer st.opMu.Unlock()
	if !st.isOpen() {
		return st.errNotOpen()
	}
	cur, err := st.sub.CurrentSWParams()
	if err != nil {
		return err
	}
	if err := applySWRequest(text, &cur); err != nil {
		return err
	}
	if err := st.sub.SWParams(&cur); err != nil {
		return err
	}
	st.ok("sw_params")
	return nil
}

// control performs a write of prepare, hw_free or trigger. Drain waits
// for the audio without holding opMu, so stop from another writer can end
// it.
func (st *stream) control(ctx context.Context, a action, arg string) error {
	cmd, n, err := parseCommand(a, arg)
	if err != nil {
		return err
	}
	if cmd == cmdDrain {
		if !st.isOpen() {
			return st.errNotOpen()
		}
		return st.sub.Drain(ctx, false)
	}
	st.opMu.Lock()
	defer st.opMu.Unlock()
	if !st.isOpen() {
		return st.errNotOpen()
	}
	s := st.sub
	switch cmd {
	case cmdPrepare:
		return s.Prepare()
	case cmdHWFree:
		if err := s.HWFree(); err != nil {
			return err
		}
		st.maybeCloseLocked()
		return nil
	case cmdStart:
		return s.Start()
	case cmdStop:
		return s.Drop()
	case cmdPause:
		return s.Pause(true)
	case cmdRelease:
		return s.Pause(false)
	case cmdResume:
		if s.State() == pcm.StatePaused {
			return s.Pause(false)
		}
		return s.Resume()
	case cmdSuspend:
		return s.Suspend()
	case cmdXRun:
		return s.XRun()
	case cmdReset:
		return s.Reset()
	case cmdHWSync:
		return s.HWSync()
	case cmdRewind:
		_, err := s.Rewind(n)
		return err
	case cmdForward:
		_, err := s.Forward(n)
		return err
	}
	return pcm.Errorf(syscall.EINVAL, "unknown command")
}
