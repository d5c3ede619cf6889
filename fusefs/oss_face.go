package fusefs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/fusefs/oss"
	"github.com/vsnd/vsnd/pcm"
)

// ossFace is the OSS face of a mount: the nodes DIR/dev/dsp*, adsp* and
// mixer* (ossnodes.go) and every open dsp file, so that unmount can give
// their substreams back. fusefs/oss does the emulation; this file and
// oss_dsp.go only carry FUSE requests to it.
type ossFace struct {
	srv *Server // immutable

	mu      sync.Mutex
	handles map[*dspHandle]struct{} // guarded by mu: every open dsp file not yet released
	shut    bool                    // guarded by mu: the server is stopping; opens fail
}

// ossPeriods is the number of fragments every OSS stream gets (the
// periods of the /proc/asound/cardN/pcmMX/oss setup line). The kernel's
// default fills the largest buffer the hardware takes: with vsnd's 4 MiB
// buffer that is 21 s of CD audio, far more latency than any OSS program
// expects. The fragment size stays the kernel's (snd_pcm_oss_period_size:
// about an eighth of a second, at least 4 KiB, or SETFRAGMENT's), so a
// 44.1/48 kHz stereo S16 stream gets 8 fragments of 16 KiB: a 128 KiB
// buffer, 0.68-0.74 s; 8 kHz mono U8 gets 8 x 4 KiB. SETFRAGMENT's count
// can only lower it.
const ossPeriods = 8

// ossSetup is the setup every open uses (both directions).
var ossSetup = [2]oss.Setup{{Periods: ossPeriods}, {Periods: ossPeriods}}

func newOSSFace(s *Server) *ossFace {
	return &ossFace{srv: s, handles: make(map[*dspHandle]struct{})}
}

// openDSP is snd_pcm_oss_open: a new, independent stream on the first free
// substream of each direction flags ask for (oss.OpenDSP). When every
// substream is taken (EBUSY) but one is held by a file that was closed and
// not used since, its RELEASE is probably in flight (the kernel sends it
// after close(2) has returned): wait for it once, as the data file does, so
// that a program that closes and reopens does not see EBUSY.
func (f *ossFace) openDSP(ctx context.Context, n *dspNode, flags uint32) (*dspHandle, error) {
	waited := false
	for {
		h, idle, err := f.tryOpenDSP(n, flags, waited)
		if idle == nil {
			return h, err
		}
		waited = true
		waitReleased(ctx, idle.released)
	}
}

// tryOpenDSP is one attempt of openDSP: the handle; or, on EBUSY when
// waited is false, an idle handle on the same device holding a direction
// the open wants, to wait for; or an error.
func (f *ossFace) tryOpenDSP(n *dspNode, flags uint32, waited bool) (*dspHandle, *dspHandle, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.shut {
		return nil, nil, pcm.Errorf(syscall.ENODEV, "%s: the card is being unmounted", n.name)
	}
	d, err := oss.OpenDSP(n.dev, oss.OpenOptions{
		Write: wantsWrite(flags),
		Read:  wantsRead(flags),
		Mixer: n.mixer,
		Setup: ossSetup,
	})
	if err != nil {
		if errors.Is(err, syscall.EBUSY) && !waited {
			for h := range f.handles {
				shares := wantsWrite(flags) && wantsWrite(h.mode) || wantsRead(flags) && wantsRead(h.mode)
				if h.node.dev == n.dev && shares && h.idle.Load() {
					return nil, h, nil
				}
			}
		}
		return nil, nil, err
	}
	h := &dspHandle{node: n, dsp: d, mode: accMode(flags), released: make(chan struct{})}
	h.nonblock.Store(flags&syscall.O_NONBLOCK != 0)
	f.handles[h] = struct{}{}
	return h, nil, nil
}

// forget removes a released handle.
func (f *ossFace) forget(h *dspHandle) {
	f.mu.Lock()
	delete(f.handles, h)
	f.mu.Unlock()
}

// shutdown refuses new opens and gives back the substreams of every open
// dsp file: running streams are dropped, sinks closed (a WAV file gets its
// final header). A client still holding the file gets the core's errors
// (EBADFD) until it closes it. Nil-safe (a tree built without the face).
func (f *ossFace) shutdown() {
	if f == nil {
		return
	}
	f.mu.Lock()
	f.shut = true
	hs := slices.Collect(maps.Keys(f.handles))
	f.mu.Unlock()
	for _, h := range hs {
		if err := h.dsp.Release(); err != nil {
			f.fail(h.node.name, "unmount: release", err)
		}
	}
}

// fail logs a failed operation and returns its errno for go-fuse: the one
// place where an OSS error becomes a syscall.Errno (a wrapped errno must
// not reach go-fuse, which would turn it into ENOSYS). Flow control
// (EAGAIN, EINTR) and ioctl answers (clients probe with requests they know
// may fail) are logged at debug level.
func (f *ossFace) fail(name, op string, err error) syscall.Errno {
	errno := pcm.Errno(err)
	if errno == 0 {
		return 0
	}
	if errno == syscall.EAGAIN || errno == syscall.EINTR || strings.HasPrefix(op, "ioctl") {
		f.srv.log.Debug("oss operation", "node", name, "op", op, "err", err)
	} else {
		f.srv.log.Warn("oss operation failed", "node", name, "op", op, "err", err)
	}
	return errno
}

// ok logs a successful operation at debug level.
func (f *ossFace) ok(name, op string, args ...any) {
	f.srv.log.Debug("oss operation", append([]any{"node", name, "op", op}, args...)...)
}

// ioctlOp names an ioctl for the log.
func ioctlOp(cmd uint32) string { return fmt.Sprintf("ioctl %s", oss.Ioctl(cmd)) }
