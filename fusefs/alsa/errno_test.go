package alsa

import (
	"context"
	"math/rand"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// stateRig opens a playback file and drives it into a state.
func stateRig(t testing.TB, hw pcm.Hardware, state string) (*rig, *PCMFile, *fakeCaller) {
	r := newRig(t, oneDevice(hw, 1, 0))
	c := newCaller(3, 1<<20)
	c.nonblock.Store(true)
	f := r.open(pcm.Playback, c.pid)
	if state == "OPEN" {
		return r, f, c
	}
	setup(t, f, c, pcm.AccessRWInterleaved, pcm.FormatS16LE, 2, 48000, 256, 4)
	s := f.Substream()
	write := func(n uint64) {
		must(t, "WRITEI", fuseIoctl(bg, f, c, asound.PCMIoctlWriteIFrames, xferi(c, c.put(pattern(4, int(n), 0)), n)))
	}
	switch state {
	case "SETUP":
	case "PREPARED":
		must(t, "Prepare", s.Prepare())
	case "RUNNING":
		must(t, "Prepare", s.Prepare())
		write(512)
	case "XRUN":
		must(t, "Prepare", s.Prepare())
		write(512)
		must(t, "XRun", s.XRun())
	case "SUSPENDED":
		must(t, "Prepare", s.Prepare())
		write(512)
		must(t, "Suspend", s.Suspend())
	case "DISCONNECTED":
		must(t, "Prepare", s.Prepare())
		s.Disconnect()
	default:
		t.Fatalf("unknown state %s", state)
	}
	if got := s.State().String(); got != state {
		t.Fatalf("rig state %s, want %s", got, state)
	}
	return r, f, c
}

// argFor places a plausible argument for req in the caller's memory.
func argFor(c *fakeCaller, req asound.Ioctl) uintptr {
	switch req {
	case asound.PCMIoctlWriteIFrames, asound.PCMIoctlReadIFrames:
		return xferi(c, c.put(pattern(4, 256, 0)), 256)
	case asound.PCMIoctlTTstamp, asound.PCMIoctlUserPVersion, asound.PCMIoctlPause:
		return intArg(c, 1)
	case asound.PCMIoctlHWRefine, asound.PCMIoctlHWParams:
		return newParams(c).addr
	case asound.PCMIoctlRewind, asound.PCMIoctlForward:
		// 0 frames is 0 in every state (snd_pcm_rewind's first test).
		return c.put([]byte{100, 0, 0, 0, 0, 0, 0, 0})
	case asound.PCMIoctlSWParams:
		b := make([]byte, asound.SWParamsSize)
		asound.EncodeSWParams(b, &pcm.SWParams{AvailMin: 1, StopThreshold: 1024, StartThreshold: 1, Proto: asound.PCMVersion})
		return c.put(b)
	case asound.PCMIoctlSyncPtr:
		b := make([]byte, asound.SyncPtrSize)
		(&asound.SyncPtr{Flags: asound.SyncPtrAppl | asound.SyncPtrAvailMin}).Encode(b)
		return c.put(b)
	}
	size := req.Size()
	if size < 64 {
		size = 64
	}
	return c.alloc(size)
}

// TestIoctlErrnoByState checks every PCM request's errno in the states
// where the kernel refuses it (pcm_native.c pre-actions and
// snd_pcm_common_ioctl's DISCONNECTED gate).
func TestIoctlErrnoByState(t *testing.T) {
	type want struct {
		req   asound.Ioctl
		errno syscall.Errno
	}
	cases := map[string][]want{
		"OPEN": {
			{asound.PCMIoctlHWFree, syscall.EBADFD}, {asound.PCMIoctlSWParams, syscall.EBADFD},
			{asound.PCMIoctlPrepare, syscall.EBADFD}, {asound.PCMIoctlReset, syscall.EBADFD},
			{asound.PCMIoctlStart, syscall.EBADFD}, {asound.PCMIoctlDrop, syscall.EBADFD},
			{asound.PCMIoctlDrain, syscall.EBADFD}, {asound.PCMIoctlHWSync, syscall.EBADFD},
			{asound.PCMIoctlDelay, syscall.EBADFD}, {asound.PCMIoctlWriteIFrames, syscall.EBADFD},
			{asound.PCMIoctlWriteNFrames, syscall.EBADFD}, {asound.PCMIoctlXRun, syscall.EBADFD},
			{asound.PCMIoctlRewind, syscall.EBADFD}, {asound.PCMIoctlForward, syscall.EBADFD},
			{asound.PCMIoctlResume, syscall.EBADFD}, {asound.PCMIoctlChannelInfo, syscall.EBADFD},
			{asound.PCMIoctlLink, syscall.EBADFD}, {asound.PCMIoctlUnlink, syscall.EALREADY},
			{asound.PCMIoctlStatus, 0}, {asound.PCMIoctlHWRefine, 0}, {asound.PCMIoctlInfo, 0},
			{asound.PCMIoctlTstamp, 0}, {asound.PCMIoctlPVersion, 0},
			{asound.IO('A', 0x99), syscall.ENOTTY}, {asound.IO('B', 0x22), syscall.ENOTTY},
			{asound.IOWR('A', 0x23, 132), syscall.ENOTTY}, // SYNC_PTR of another layout
		},
		"SETUP": {
			{asound.PCMIoctlStart, syscall.EBADFD}, {asound.PCMIoctlHWSync, syscall.EBADFD},
			{asound.PCMIoctlWriteIFrames, syscall.EBADFD}, {asound.PCMIoctlReset, syscall.EBADFD},
			{asound.PCMIoctlXRun, syscall.EBADFD}, {asound.PCMIoctlSWParams, 0},
			{asound.PCMIoctlChannelInfo, 0}, {asound.PCMIoctlHWFree, 0},
		},
		"PREPARED": {
			{asound.PCMIoctlStart, syscall.EPIPE}, {asound.PCMIoctlXRun, syscall.EBADFD},
			{asound.PCMIoctlHWSync, 0}, {asound.PCMIoctlReset, 0}, {asound.PCMIoctlHWParams, 0},
		},
		"RUNNING": {
			{asound.PCMIoctlPrepare, syscall.EBUSY}, {asound.PCMIoctlHWParams, syscall.EBADFD},
			{asound.PCMIoctlHWFree, syscall.EBADFD}, {asound.PCMIoctlStart, syscall.EBADFD},
			{asound.PCMIoctlResume, syscall.EBADFD}, {asound.PCMIoctlHWSync, 0},
			{asound.PCMIoctlDelay, 0}, {asound.PCMIoctlXRun, 0},
		},
		"XRUN": {
			{asound.PCMIoctlWriteIFrames, syscall.EPIPE}, {asound.PCMIoctlHWSync, syscall.EPIPE},
			{asound.PCMIoctlDelay, syscall.EPIPE}, {asound.PCMIoctlStart, syscall.EBADFD},
			{asound.PCMIoctlXRun, 0}, {asound.PCMIoctlPrepare, 0},
		},
		"SUSPENDED": {
			{asound.PCMIoctlWriteIFrames, syscall.ESTRPIPE}, {asound.PCMIoctlHWSync, syscall.ESTRPIPE},
			{asound.PCMIoctlDrain, syscall.EBADFD}, {asound.PCMIoctlResume, 0},
		},
		"DISCONNECTED": {
			{asound.PCMIoctlPVersion, syscall.EBADFD}, {asound.PCMIoctlInfo, syscall.EBADFD},
			{asound.PCMIoctlTstamp, syscall.EBADFD}, {asound.PCMIoctlTTstamp, syscall.EBADFD},
			{asound.PCMIoctlUserPVersion, syscall.EBADFD}, {asound.PCMIoctlHWRefine, syscall.EBADFD},
			{asound.PCMIoctlHWParams, syscall.EBADFD}, {asound.PCMIoctlSWParams, syscall.EBADFD},
			{asound.PCMIoctlStatus, syscall.EBADFD}, {asound.PCMIoctlSyncPtr, syscall.EBADFD},
			{asound.PCMIoctlChannelInfo, syscall.EBADFD}, {asound.PCMIoctlWriteIFrames, syscall.EBADFD},
			{asound.PCMIoctlDrain, syscall.EBADFD}, {asound.PCMIoctlDrop, syscall.EBADFD},
			{asound.PCMIoctlHWSync, syscall.EBADFD}, {asound.PCMIoctlLink, syscall.EBADFD},
			{asound.PCMIoctlUnlink, syscall.EBADFD}, {asound.PCMIoctlPrepare, syscall.EBADFD},
		},
	}
	for state, ws := range cases {
		for _, w := range ws {
			t.Run(state+"/"+w.req.String(), func(t *testing.T) {
				_, f, c := stateRig(t, pcm.DefaultHardware(), state)
				err := fuseIoctl(bg, f, c, w.req, argFor(c, w.req))
				wantErrno(t, w.req.String(), err, w.errno)
			})
		}
	}
}

// TestPauseAndLinkOverFUSE: alsa-lib passes PAUSE's flag by value, so the
// FUSE kernel's copy-in faults before the daemon is asked; the refine
// answers say the device cannot pause. A PAUSE carrying a pointer is
// answered.
func TestPauseAndLinkOverFUSE(t *testing.T) {
	_, f, c := stateRig(t, pcm.DefaultHardware(), "RUNNING")
	wantErrno(t, "PAUSE by value", fuseIoctl(bg, f, c, asound.PCMIoctlPause, 1), syscall.EFAULT)
	wantErrno(t, "LINK by value", fuseIoctl(bg, f, c, asound.PCMIoctlLink, 5), syscall.EFAULT)
	must(t, "PAUSE by pointer", fuseIoctl(bg, f, c, asound.PCMIoctlPause, intArg(c, 1)))
	if st := f.Substream().State(); st != pcm.StatePaused {
		t.Fatalf("state %v after PAUSE(1)", st)
	}
	must(t, "PAUSE(0)", fuseIoctl(bg, f, c, asound.PCMIoctlPause, intArg(c, 0)))
	hw := pcm.DefaultHardware()
	hw.Info &^= pcm.InfoPause
	_, f, c = stateRig(t, hw, "RUNNING")
	wantErrno(t, "PAUSE without INFO_PAUSE", fuseIoctl(bg, f, c, asound.PCMIoctlPause, intArg(c, 1)), syscall.ENOSYS)
}

// TestShortArgumentsAndRelease: a buffer shorter than the request's struct
// is EINVAL (a dispatch bug, never a panic); a released file is EBADF.
func TestShortArgumentsAndRelease(t *testing.T) {
	_, f, c := stateRig(t, pcm.DefaultHardware(), "PREPARED")
	for _, req := range []asound.Ioctl{asound.PCMIoctlHWRefine, asound.PCMIoctlHWParams, asound.PCMIoctlSWParams,
		asound.PCMIoctlStatus, asound.PCMIoctlStatusExt, asound.PCMIoctlSyncPtr, asound.PCMIoctlDelay,
		asound.PCMIoctlInfo, asound.PCMIoctlPVersion, asound.PCMIoctlTTstamp, asound.PCMIoctlChannelInfo,
		asound.PCMIoctlRewind, asound.PCMIoctlPause, asound.PCMIoctlUserPVersion} {
		err := f.Ioctl(bg, c, uint32(req), 0, make([]byte, 3), make([]byte, 3))
		wantErrno(t, req.String()+" with 3 bytes", err, syscall.EINVAL)
	}
	must(t, "Release", f.Release())
	must(t, "Release again", f.Release())
	wantErrno(t, "HWSYNC after release", fuseIoctl(bg, f, c, asound.PCMIoctlHWSync, 0), syscall.EBADF)
}

// TestRandomIoctls throws random request numbers, sizes and contents at
// both node kinds in several states: every answer is an errno or success,
// never a panic or a hang (the context bounds any wait).
func TestRandomIoctls(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	known := []asound.Ioctl{}
	for req := range map[asound.Ioctl]bool{
		asound.PCMIoctlPVersion: true, asound.PCMIoctlInfo: true, asound.PCMIoctlTstamp: true, asound.PCMIoctlTTstamp: true,
		asound.PCMIoctlUserPVersion: true, asound.PCMIoctlHWRefine: true, asound.PCMIoctlHWParams: true,
		asound.PCMIoctlHWFree: true, asound.PCMIoctlSWParams: true, asound.PCMIoctlStatus: true, asound.PCMIoctlDelay: true,
		asound.PCMIoctlHWSync: true, asound.PCMIoctlSyncPtr: true, asound.PCMIoctlStatusExt: true,
		asound.PCMIoctlChannelInfo: true, asound.PCMIoctlPrepare: true, asound.PCMIoctlReset: true,
		asound.PCMIoctlStart: true, asound.PCMIoctlDrop: true, asound.PCMIoctlDrain: true, asound.PCMIoctlPause: true,
		asound.PCMIoctlRewind: true, asound.PCMIoctlResume: true, asound.PCMIoctlXRun: true, asound.PCMIoctlForward: true,
		asound.PCMIoctlWriteIFrames: true, asound.PCMIoctlReadIFrames: true, asound.PCMIoctlWriteNFrames: true,
		asound.PCMIoctlReadNFrames: true, asound.PCMIoctlLink: true, asound.PCMIoctlUnlink: true,
		asound.CtlIoctlPVersion: true, asound.CtlIoctlCardInfo: true, asound.CtlIoctlElemList: true,
		asound.CtlIoctlElemInfo: true, asound.CtlIoctlElemRead: true, asound.CtlIoctlElemWrite: true,
		asound.CtlIoctlElemLock: true, asound.CtlIoctlElemUnlock: true, asound.CtlIoctlSubscribeEvents: true,
		asound.CtlIoctlElemAdd: true, asound.CtlIoctlElemReplace: true, asound.CtlIoctlElemRemove: true,
		asound.CtlIoctlTLVRead: true, asound.CtlIoctlTLVWrite: true, asound.CtlIoctlTLVCommand: true,
		asound.CtlIoctlHwdepNextDevice: true, asound.CtlIoctlHwdepInfo: true, asound.CtlIoctlPCMNextDevice: true,
		asound.CtlIoctlPCMInfo: true, asound.CtlIoctlPCMPreferSubdevice: true, asound.CtlIoctlRawmidiNextDevice: true,
		asound.CtlIoctlRawmidiInfo: true, asound.CtlIoctlPower: true, asound.CtlIoctlPowerState: true,
	} {
		known = append(known, req)
	}
	for _, state := range []string{"OPEN", "SETUP", "PREPARED", "RUNNING", "XRUN"} {
		r, f, c := stateRig(t, pcm.DefaultHardware(), state)
		ctl := r.card.OpenCtl(c.pid)
		c.nonblock.Store(rnd.Intn(2) == 0)
		for i := 0; i < 3000; i++ {
			var req asound.Ioctl
			if rnd.Intn(3) > 0 {
				req = known[rnd.Intn(len(known))]
			} else {
				req = asound.IOC(uint32(rnd.Intn(4)), uint32([]byte{'A', 'U', 'B'}[rnd.Intn(3)]), uint32(rnd.Intn(256)), uint32(rnd.Intn(2000)))
			}
			size := req.Size()
			if rnd.Intn(4) == 0 {
				size = rnd.Intn(1300)
			}
			in, out := make([]byte, 0), make([]byte, 0)
			if rnd.Intn(2) == 0 {
				in = make([]byte, size)
				rnd.Read(in)
			}
			if rnd.Intn(2) == 0 {
				out = make([]byte, size)
			}
			// Random arguments: nowhere, garbage, or somewhere in the
			// caller's memory holding random bytes (pointers included).
			var arg uintptr
			switch rnd.Intn(3) {
			case 1:
				arg = uintptr(rnd.Uint64())
			case 2:
				b := make([]byte, 2048)
				rnd.Read(b)
				arg = c.put(b)
				c.next = c.base // reuse the memory
			}
			ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
			var target ioctler = f
			if req.Type() == 'U' || rnd.Intn(5) == 0 {
				target = ctl
			}
			err := target.Ioctl(ctx, c, uint32(req), arg, in, out)
			cancel()
			if err != nil && pcm.Errno(err) == 0 {
				t.Fatalf("%v: error without errno: %v", req, err)
			}
		}
		ctl.Release()
	}
}

// selfCaller is a fake caller whose pid is this process, which has the
// data area mapped (the core's own mapping): what a passthrough client
// that still maps the buffer looks like to DataMappedBy.
type selfCaller struct{ *fakeCaller }

func (s selfCaller) Pid() int { return os.Getpid() }

// TestMappedBufferRefusesReconfiguration: HW_PARAMS and HW_FREE from a
// caller that has the data mapped are EBADFD (mmap_count), and succeed
// for one that has not.
func TestMappedBufferRefusesReconfiguration(t *testing.T) {
	_, f, c := stateRig(t, pcm.DefaultHardware(), "SETUP")
	self := selfCaller{c}
	err := f.Ioctl(bg, self, uint32(asound.PCMIoctlHWFree), 0, nil, nil)
	wantErrno(t, "HW_FREE with the data mapped", err, syscall.EBADFD)
	in, out := make([]byte, asound.HWParamsSize), make([]byte, asound.HWParamsSize)
	var p pcm.HWParams
	p.Any()
	asound.EncodeHWParams(in, &p)
	wantErrno(t, "HW_PARAMS with the data mapped", f.Ioctl(bg, self, uint32(asound.PCMIoctlHWParams), 0, in, out), syscall.EBADFD)
	if n := f.Substream().Area().Pinned(); n != 0 {
		t.Fatalf("%d pins left after the calls", n)
	}
	must(t, "HW_FREE from a caller without the mapping", f.Ioctl(bg, c, uint32(asound.PCMIoctlHWFree), 0, nil, nil))
}
