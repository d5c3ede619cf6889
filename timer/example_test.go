package timer_test

import (
	"fmt"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// A PCM test drives the interrupt by hand: Advance runs each period's
// callback at its exact deadline, in the calling goroutine.
func ExampleFake() {
	f := timer.NewFake()
	p := timer.Period{Frames: 64, Rate: 48000} // 1.333 ms
	var tm timer.Timer
	tm = f.NewTimer(func(now time.Duration) {
		fmt.Println("period elapsed at", now)
		if now >= p.Offset(3) {
			tm.Stop() // legal inside the callback
		}
	})
	tm.Start(f.Now(), p)
	f.Advance(10 * time.Millisecond)
	next, armed := f.NextDeadline()
	fmt.Println("armed:", armed, next)
	// Output:
	// period elapsed at 1.333334ms
	// period elapsed at 2.666667ms
	// period elapsed at 4ms
	// armed: false 0s
}

// The real source: one FIFO thread for every stream of the process.
func ExampleNewHR() {
	h, err := timer.NewHR(timer.HROptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	done := make(chan struct{})
	n := 0
	var tm timer.Timer
	tm = h.NewTimer(func(now time.Duration) {
		if n++; n == 10 {
			tm.Stop()
			close(done)
		}
	})
	tm.Start(h.Now(), timer.Period{Frames: 64, Rate: 48000})
	<-done
	tm.SyncStop() // from process context: waits for a running callback
	fmt.Println(n, "periods")
	// Output: 10 periods
}
