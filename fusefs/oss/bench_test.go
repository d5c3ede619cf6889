package oss

import (
	"context"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

// The benchmarks come in pairs, the OSS path and the core call it wraps,
// so the emulation's overhead reads as a ratio measured in the same run:
//
//	go test -run x -bench . -benchtime 2000x ./fusefs/oss

func benchRig(b *testing.B) *rig {
	return smallPlayback(b)
}

// A buffer (4 fragments) written through the emulation, then RESET.
func BenchmarkOSSWriteBuffer(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	data := pattern(0, 16384)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if n, err := r.d.Write(ctx, data, true); n != len(data) || err != nil {
			b.Fatalf("write %d %v", n, err)
		}
		r.d.reset()
	}
}

// Baseline: the same buffer written to the core directly, then DROP.
func BenchmarkCoreWriteBuffer(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	r.d.Write(ctx, pattern(0, 4096), true) // install the same configuration
	s := r.subs[pcm.Playback]
	data := pattern(0, 16384)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		s.Drop()
		s.Prepare()
		if n, err := s.Write(ctx, data, true); n != 4096 || err != nil {
			b.Fatalf("write %d %v", n, err)
		}
	}
}

// GETOPTR through Ioctl (decode, DELAY, STATUS, encode).
func BenchmarkOSSGetOPtr(b *testing.B) {
	r := benchRig(b)
	ctx := context.Background()
	r.d.Write(ctx, pattern(0, 8192), true)
	cmd := uint32(SNDCTL_DSP_GETOPTR)
	for b.Loop() {
		if _, err := r.d.Ioctl(ctx, cmd, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// Baseline: the core's Status alone.
func BenchmarkCoreStatus(b *testing.B) {
	r := benchRig(b)
	r.d.Write(context.Background(), pattern(0, 8192), true)
	s := r.subs[pcm.Playback]
	for b.Loop() {
		if _, err := s.Status(); err != nil {
			b.Fatal(err)
		}
	}
}
