package fusefs

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
)

// A streak needs spinStreak requests each within spinGap of the previous
// answer; one slow gap ends it, so a client that asks now and then is
// never delayed.
func TestSpinGuardStreak(t *testing.T) {
	var g spinGuard
	t0 := time.Unix(1000, 0)
	now := t0
	step := func(gap time.Duration) bool {
		now = now.Add(gap)
		sp := g.spinningAt(now)
		g.doneAt(now.Add(10 * time.Microsecond))
		now = now.Add(10 * time.Microsecond)
		return sp
	}
	for i := 0; i < spinStreak; i++ {
		if step(20 * time.Microsecond) {
			t.Fatalf("request %d counted as a spin before %d back-to-back ones", i, spinStreak)
		}
	}
	if !step(20 * time.Microsecond) {
		t.Fatalf("request %d back to back not counted as a spin", spinStreak+1)
	}
	if step(2 * spinGap) {
		t.Fatalf("a request after a gap of %v counted as a spin", 2*spinGap)
	}
	// A timer-driven client: a few quick requests per wake-up, ms apart.
	for i := 0; i < 100; i++ {
		for j := 0; j < 3; j++ {
			if step(20 * time.Microsecond) {
				t.Fatalf("wake-up %d request %d counted as a spin", i, j)
			}
		}
		step(5 * time.Millisecond)
	}
	// A slow spinner (a loaded machine) still makes a streak.
	for i := 0; i < spinStreak; i++ {
		step(spinGap / 2)
	}
	if !step(spinGap / 2) {
		t.Fatalf("requests %v apart not counted as a spin", spinGap/2)
	}
}

func TestSpinRequestKinds(t *testing.T) {
	sp := make([]byte, asound.SyncPtrSize)
	if !spinSync(uint32(asound.PCMIoctlHWSync), nil) {
		t.Error("HWSYNC is not a sync")
	}
	if spinSync(uint32(asound.PCMIoctlSyncPtr), sp) {
		t.Error("SYNC_PTR without the HWSYNC flag (an appl_ptr commit) counted as a sync")
	}
	binary.LittleEndian.PutUint32(sp, asound.SyncPtrHWSync)
	if !spinSync(uint32(asound.PCMIoctlSyncPtr), sp) {
		t.Error("SYNC_PTR with HWSYNC is not a sync")
	}
	if spinSync(uint32(asound.PCMIoctlStatus), nil) || !spinXfer(uint32(asound.PCMIoctlWriteIFrames)) ||
		!spinXfer(uint32(asound.PCMIoctlReadIFrames)) || spinXfer(uint32(asound.PCMIoctlDrain)) {
		t.Error("request kinds misclassified")
	}
}
