package alsa

import (
	"testing"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
)

// The poll-spin path: what one HWSYNC or SYNC_PTR ioctl costs through the
// face against the core call it wraps, on a RUNNING stream (the FUSE round
// trip itself is not included). Compare BenchmarkHWSyncIoctl with
// BenchmarkHWSyncCore and BenchmarkSyncPtrIoctl with BenchmarkSyncPtrCore
// (same run, same machine): the ratio is the face's overhead.

func benchRig(b *testing.B) (*PCMFile, *fakeCaller) {
	_, f, c := stateRig(b, pcm.DefaultHardware(), "RUNNING")
	return f, c
}

func BenchmarkHWSyncCore(b *testing.B) {
	f, _ := benchRig(b)
	s := f.Substream()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.HWSync(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHWSyncIoctl(b *testing.B) {
	f, c := benchRig(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.Ioctl(bg, c, uint32(asound.PCMIoctlHWSync), 0, nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

const spFlags = asound.SyncPtrHWSync | asound.SyncPtrAppl | asound.SyncPtrAvailMin

func BenchmarkSyncPtrCore(b *testing.B) {
	f, _ := benchRig(b)
	s := f.Substream()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var ctl pcm.SyncPtrControl
		if _, err := s.SyncPtr(spFlags, &ctl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSyncPtrIoctl(b *testing.B) {
	f, c := benchRig(b)
	in, out := make([]byte, asound.SyncPtrSize), make([]byte, asound.SyncPtrSize)
	(&asound.SyncPtr{Flags: spFlags}).Encode(in)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.Ioctl(bg, c, uint32(asound.PCMIoctlSyncPtr), 0, in, out); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHotIoctlsDoNotAllocate: the requests a spinning client repeats cost
// no garbage.
func TestHotIoctlsDoNotAllocate(t *testing.T) {
	_, f, c := stateRig(t, pcm.DefaultHardware(), "RUNNING")
	sp := make([]byte, asound.SyncPtrSize)
	(&asound.SyncPtr{Flags: spFlags}).Encode(sp)
	out := make([]byte, asound.StatusSize)
	for _, tc := range []struct {
		req     asound.Ioctl
		in, out []byte
	}{
		{asound.PCMIoctlHWSync, nil, nil},
		{asound.PCMIoctlSyncPtr, sp, out[:asound.SyncPtrSize]},
		{asound.PCMIoctlDelay, nil, out[:8]},
		{asound.PCMIoctlStatus, nil, out},
	} {
		n := testing.AllocsPerRun(200, func() {
			if err := f.Ioctl(bg, c, uint32(tc.req), 0, tc.in, tc.out); err != nil {
				t.Fatal(err)
			}
		})
		if n != 0 {
			t.Errorf("%v: %.1f allocations per ioctl", tc.req, n)
		}
	}
	// WRITEI, one per write of a blocking client: the struct comes in,
	// the result goes back twice (the put_user(0) probe, then the frames).
	// Zero frames keep the samples and the core out of the count.
	x := xferi(c, c.put(pattern(4, 1, 0)), 0)
	in := c.get(x, asound.XferISize)
	n := testing.AllocsPerRun(200, func() {
		if err := f.Ioctl(bg, c, uint32(asound.PCMIoctlWriteIFrames), x, in, nil); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("WRITEI: %.1f allocations per ioctl", n)
	}
}

// PortAudio probes with ~2,900 HW_REFINE calls at open: the refine of a
// full space through the face (decode, refine, encode) against the core's
// refine alone.
func BenchmarkHWRefineCore(b *testing.B) {
	_, f, _ := stateRig(b, pcm.DefaultHardware(), "OPEN")
	s := f.Substream()
	var any pcm.HWParams
	any.Any()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := any
		if err := s.HWRefine(&p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHWRefineIoctl(b *testing.B) {
	_, f, c := stateRig(b, pcm.DefaultHardware(), "OPEN")
	var any pcm.HWParams
	any.Any()
	in, out := make([]byte, asound.HWParamsSize), make([]byte, asound.HWParamsSize)
	asound.EncodeHWParams(in, &any)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f.Ioctl(bg, c, uint32(asound.PCMIoctlHWRefine), 0, in, out); err != nil {
			b.Fatal(err)
		}
	}
}
