package fusefs

import (
	"context"
	"sync"

	"github.com/vsnd/vsnd/fusefs/alsa"
	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// noMMap hides MMAP access on a PCM node whose mmap cannot work: a node
// with several substreams gets no FUSE passthrough (addALSANodes), so
// mmap(2) of it fails with ENODEV. Offered MMAP access there would let a
// client choose it in HW_PARAMS and fail afterwards ("mmap failed: No
// such device"); without it, HW_REFINE answers as the kernel does for
// hardware without SNDRV_PCM_INFO_MMAP (snd_pcm_hw_constraints_complete
// leaves the MMAP accesses out), and clients that can (PortAudio, plug
// conversions of native formats) use read/write access.
//
// Both HW_REFINE and HW_PARAMS are rewritten: the MMAP accesses are
// cleared from the request's access mask (with the access bit in rmask,
// so the core refines it: a request for MMAP only is EINVAL, an empty
// mask), and the MMAP info flags from the answer.
type noMMap struct {
	mu  sync.Mutex                // serializes use of buf
	buf [asound.HWParamsSize]byte // guarded by mu: the rewritten request
	p   pcm.HWParams              // guarded by mu: scratch for decoding
}

// mmapAccesses are the access values that need mmap(2).
var mmapAccesses = [...]pcm.Access{pcm.AccessMMapInterleaved, pcm.AccessMMapNonInterleaved, pcm.AccessMMapComplex}

// hwParams answers HW_REFINE or HW_PARAMS through f without MMAP access.
func (m *noMMap) hwParams(ctx context.Context, f *alsa.PCMFile, c alsa.Caller, cmd uint32, arg uint64, in, out []byte) error {
	if len(in) < asound.HWParamsSize || len(out) < asound.HWParamsSize {
		return f.Ioctl(ctx, c, cmd, uintptr(arg), in, out) // the face's own length errors
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := asound.DecodeHWParams(in, &m.p); err != nil {
		return f.Ioctl(ctx, c, cmd, uintptr(arg), in, out)
	}
	for _, a := range mmapAccesses {
		m.p.Mask(pcm.ParamAccess).Reset(uint32(a))
	}
	m.p.RMask |= 1 << uint(pcm.ParamAccess)
	copy(m.buf[:], in[:asound.HWParamsSize])
	if err := asound.EncodeHWParams(m.buf[:], &m.p); err != nil {
		return f.Ioctl(ctx, c, cmd, uintptr(arg), in, out)
	}
	if err := f.Ioctl(ctx, c, cmd, uintptr(arg), m.buf[:], out); err != nil {
		return err
	}
	if err := asound.DecodeHWParams(out, &m.p); err != nil {
		return nil
	}
	m.p.Info &^= pcm.InfoMMap | pcm.InfoMMapValid
	return asound.EncodeHWParams(out, &m.p)
}

// isHWParams reports HW_REFINE and HW_PARAMS.
func isHWParams(cmd uint32) bool {
	r := asound.Ioctl(cmd)
	return r == asound.PCMIoctlHWRefine || r == asound.PCMIoctlHWParams
}
