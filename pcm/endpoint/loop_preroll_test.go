package endpoint

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// These tests play the two ends of a loop the way the PCM core drives
// them, on a fake clock: the playback's interrupt hands one period to the
// sink some time after the period ended (the sink pump's delay, chosen by
// the test), a pump goroutine reads the source ahead into a FIFO as the
// core's does, and the capture's interrupt takes one period from that FIFO
// or records silence (transferLocked). The test waits for the pump to
// settle after every delivery, so each run is deterministic.

// loopFlowPattern is n frames of S16 stereo whose left sample counts from
// 1, so no frame is silence.
func loopFlowPattern(n, from int) []byte {
	b := make([]byte, 0, 4*n)
	for i := from; i < from+n; i++ {
		b = binary.LittleEndian.AppendUint16(b, uint16(i+1))
		b = binary.LittleEndian.AppendUint16(b, uint16(3*i+7))
	}
	return b
}

// modelPump is the core's source pump: it reads the source one period at
// a time into an unbounded FIFO.
type modelPump struct {
	mu   sync.Mutex
	fifo []byte // guarded by mu
	done chan struct{}
}

func startModelPump(src pcm.Source, chunk int) *modelPump {
	m := &modelPump{done: make(chan struct{})}
	go func() {
		defer close(m.done)
		buf := make([]byte, chunk)
		for {
			n, err := src.Read(buf)
			if err != nil {
				return
			}
			m.mu.Lock()
			m.fifo = append(m.fifo, buf[:n]...)
			m.mu.Unlock()
		}
	}()
	return m
}

// pull is the capture interrupt: n bytes from the FIFO, silence for what
// is missing.
func (m *modelPump) pull(n int) []byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]byte, n)
	k := copy(out, m.fifo)
	m.fifo = m.fifo[k:]
	return out
}

// settle waits until the source's reader is parked with nothing it may
// take: everything the sink wrote is in the pump's FIFO or held back.
func settle(t testing.TB, p *loopPipe) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		p.mu.Lock()
		ok := p.waiting > 0 && !p.readyLocked()
		p.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(end) {
			t.Fatal("the loop source's reader did not settle")
		}
		time.Sleep(20 * time.Microsecond)
	}
}

// flowCase is one schedule: capture period pc, writer period pw (frames
// at 48 kHz), the playback's start after the capture's, and the delay of
// each played period's delivery after its period ended.
type flowCase struct {
	name   string
	pc, pw int
	phase  time.Duration
	delay  func(k int) time.Duration
	margin time.Duration
	// pauseAt > 0: the playback stops for pause before its period pauseAt.
	pauseAt int
	pause   time.Duration
}

// runFlow plays chunks writer periods through a loop pair on c's schedule
// and returns what the capture recorded and the pre-roll in frames.
func runFlow(t *testing.T, c flowCase, chunks int) (captured, played []byte, preroll int) {
	t.Helper()
	const rate, fb = 48000, 4
	fake := timer.NewFake()
	env := &Env{Loop: NewLoopHubOptions(LoopOptions{Clock: fake, Margin: c.margin})}
	sink, src := loopPair(t, env, 0, 0, 0)
	rc := cfg(pcm.FormatS16LE, 2, rate)
	rc.PeriodSize, rc.BufferSize = c.pc, 4*c.pc
	wc := rc
	wc.PeriodSize, wc.BufferSize = c.pw, 4*c.pw
	if err := src.Open(rc); err != nil { // the capture's run starts first
		t.Fatal(err)
	}
	pump := startModelPump(src, c.pc*fb)
	defer func() { src.Close(); <-pump.done }()
	p := sink.p
	settle(t, p)
	if err := sink.Open(wc); err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	p.mu.Lock()
	pre := p.preroll
	p.mu.Unlock()
	preroll = pre / fb

	at := func(frames int) time.Duration { return time.Duration(int64(frames) * int64(time.Second) / rate) }
	type event struct {
		t       time.Duration
		capture bool
		k       int
	}
	var evs []event
	last := time.Duration(0)
	for k := range chunks {
		d := c.phase + at((k+1)*c.pw) + c.delay(k)
		if c.pauseAt > 0 && k >= c.pauseAt {
			d += c.pause
		}
		d = max(d, last) // periods reach the sink in order
		last = d
		evs = append(evs, event{d, false, k})
	}
	ticks := (chunks*c.pw+preroll)/c.pc + 4*max(1, c.pw/c.pc) + 4
	if c.pauseAt > 0 {
		ticks += int(int64(c.pause)*rate/int64(time.Second))/c.pc + 1
	}
	for j := 1; j <= ticks; j++ {
		evs = append(evs, event{at(j * c.pc), true, j})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].t != evs[j].t {
			return evs[i].t < evs[j].t
		}
		return evs[i].capture // at the same instant the capture reads first
	})
	played = loopFlowPattern(chunks*c.pw, 0)
	for _, e := range evs {
		fake.Set(e.t)
		if e.capture {
			captured = append(captured, pump.pull(c.pc*fb)...)
			continue
		}
		if _, err := sink.Write(played[e.k*c.pw*fb : (e.k+1)*c.pw*fb]); err != nil {
			t.Fatal(err)
		}
		settle(t, p)
	}
	return captured, played, preroll
}

// checkFlow reports whether captured is silence, then all of played
// contiguous and bit-exact, then silence; it returns the silent frames in
// front.
func checkFlow(captured, played []byte) (lead int, err error) {
	const fb = 4
	k := 0
	for k < len(captured) && binary.LittleEndian.Uint16(captured[k:]) == 0 {
		k += fb
	}
	if k == len(captured) {
		return 0, fmt.Errorf("nothing of %d played frames was captured", len(played)/fb)
	}
	got := captured[k:]
	if len(got) < len(played) {
		return k / fb, fmt.Errorf("capture ended %d frames into the flow of %d", len(got)/fb, len(played)/fb)
	}
	if !bytes.Equal(got[:len(played)], played) {
		i := firstDiff(got, played)
		return k / fb, fmt.Errorf("captured flow differs from the played one at frame %d of %d (captured %x, played %x)",
			i/fb, len(played)/fb, got[i/fb*fb:i/fb*fb+fb], played[i/fb*fb:i/fb*fb+fb])
	}
	if rest := got[len(played):]; !bytes.Equal(rest, make([]byte, len(rest))) {
		return k / fb, fmt.Errorf("frames after the flow are not silence")
	}
	return k / fb, nil
}

func flowCases() []flowCase {
	const T = 256 * time.Second / 48000 // one 256-frame period
	rng := rand.New(rand.NewPCG(7, 11))
	jitter := make([]time.Duration, 4096)
	for i := range jitter {
		jitter[i] = time.Duration(rng.Int64N(int64(T) * 9 / 10))
	}
	return []flowCase{
		// The capture's interrupt just before each playback period lands.
		{name: "capture-just-before", pc: 256, pw: 256, phase: T / 100, delay: func(int) time.Duration { return 0 }},
		// Periods land just before the capture's interrupt, but every
		// seventh a moment after it: handed over as it arrives, that
		// period's slot is silence.
		{name: "capture-just-after-some-late", pc: 256, pw: 256, phase: -T / 100, delay: func(k int) time.Duration {
			if k%7 == 3 {
				return T / 50
			}
			return 0
		}},
		// Random delays up to 0.9 period, random phase.
		{name: "jitter", pc: 256, pw: 256, phase: T / 3, delay: func(k int) time.Duration { return jitter[k] }},
		// The same with the smallest margin: one capture period plus
		// 1 ms still absorbs up to a period of delay.
		{name: "jitter-1ms-margin", pc: 256, pw: 256, phase: T / 3, margin: time.Millisecond, delay: func(k int) time.Duration { return jitter[k] }},
		// Different periods at each end.
		{name: "capture-384-writer-256", pc: 384, pw: 256, phase: T / 5, delay: func(k int) time.Duration { return jitter[k] }},
		{name: "capture-128-writer-512", pc: 128, pw: 512, phase: -T / 7, delay: func(k int) time.Duration { return jitter[k] / 2 }},
	}
}

// TestLoopFlowContiguous: whatever the phase of the two interrupts and the
// delivery delays (up to 0.9 period), once played frames reach the capture
// they are recorded as one contiguous, bit-exact run, with a latency
// bounded by the pre-roll.
func TestLoopFlowContiguous(t *testing.T) {
	for _, c := range flowCases() {
		t.Run(c.name, func(t *testing.T) {
			captured, played, preroll := runFlow(t, c, 60)
			lead, err := checkFlow(captured, played)
			if err != nil {
				t.Fatal(err)
			}
			// The first frame played at phase is recorded lead frames
			// into the capture: the latency, at most the pre-roll
			// rounded up to a writer period, plus the delivery delay
			// (< 1 period) and a capture period.
			latency := lead - int(int64(c.phase)*48000/int64(time.Second))
			if bound := preroll + c.pw + 256 + c.pc; latency > bound {
				t.Errorf("latency %d frames, want at most %d (pre-roll %d)", latency, bound, preroll)
			}
			t.Logf("pre-roll %d frames, latency %d frames", preroll, latency)
		})
	}
}

// TestLoopFlowWithoutPrerollHasGaps is the control: the same schedules
// with the pre-roll off (frames handed over as they arrive, vsnd before
// the pre-roll) record silence in the middle of the flow.
func TestLoopFlowWithoutPrerollHasGaps(t *testing.T) {
	for _, c := range flowCases() {
		if c.name != "capture-just-after-some-late" && c.name != "jitter" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			c.margin = -1
			captured, played, _ := runFlow(t, c, 60)
			if _, err := checkFlow(captured, played); err == nil {
				t.Fatal("the schedule records a clean flow without a pre-roll: it does not exercise the race")
			} else {
				t.Logf("as expected without a pre-roll: %v", err)
			}
		})
	}
}

// loopRuns splits captured S16 stereo into its runs of non-silent frames.
func loopRuns(captured []byte) [][]byte {
	var runs [][]byte
	start := -1
	for i := 0; i <= len(captured); i += 4 {
		silent := i == len(captured) || binary.LittleEndian.Uint16(captured[i:]) == 0
		switch {
		case !silent && start < 0:
			start = i
		case silent && start >= 0:
			runs = append(runs, captured[start:i])
			start = -1
		}
	}
	return runs
}

// TestLoopFlowRestartsAfterPause: a playback that stops long enough for
// the capture to drain, then plays on, starts a new flow with a new
// pre-roll: both flows are recorded contiguous, separated by silence.
func TestLoopFlowRestartsAfterPause(t *testing.T) {
	const T = 256 * time.Second / 48000
	c := flowCases()[1] // capture-just-after-some-late: the phase that needs a pre-roll
	c.name, c.pauseAt = "pause", 30
	// The idle time is a capture period + the margin + two writer
	// periods, 8.6 periods; pause whole periods to keep the phase.
	c.pause = 11 * T
	captured, played, _ := runFlow(t, c, 60)
	runs := loopRuns(captured)
	if len(runs) != 2 {
		t.Fatalf("captured %d runs of frames, want the two flows", len(runs))
	}
	for i, want := range [][]byte{played[:30*256*4], played[30*256*4:]} {
		if !bytes.Equal(runs[i], want) {
			t.Errorf("flow %d: %d frames captured, %d played, first difference at frame %d",
				i, len(runs[i])/4, len(want)/4, firstDiff(runs[i], want)/4)
		}
	}
}

// heldFlow opens a loop pair on a fake clock, writes 10 frames (less than
// the pre-roll) and returns once the source's reader holds them back.
func heldFlow(t *testing.T) (*timer.Fake, *LoopSink, pcm.Source, *modelPump) {
	t.Helper()
	fake := timer.NewFake()
	fake.Set(time.Second)
	env := &Env{Loop: NewLoopHubOptions(LoopOptions{Clock: fake})}
	sink, src := loopPair(t, env, 1, 1, 2)
	c := cfg(pcm.FormatS16LE, 2, 48000)
	if err := src.Open(c); err != nil {
		t.Fatal(err)
	}
	pump := startModelPump(src, c.PeriodBytes())
	t.Cleanup(func() { src.Close(); <-pump.done })
	if err := sink.Open(c); err != nil {
		t.Fatal(err)
	}
	sink.Write(loopFlowPattern(10, 0))
	settle(t, sink.p)
	if got := pump.pull(40); !bytes.Equal(got, make([]byte, 40)) {
		t.Fatalf("10 frames, less than the pre-roll, went to the capture at once")
	}
	return fake, sink, src, pump
}

// waitPumped waits until the pump's FIFO holds n bytes and returns them.
func waitPumped(t *testing.T, pump *modelPump, n int) []byte {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		pump.mu.Lock()
		k := len(pump.fifo)
		pump.mu.Unlock()
		if k >= n {
			return pump.pull(n)
		}
		if time.Now().After(end) {
			t.Fatalf("the pump got %d of %d bytes before the deadline", k, n)
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// TestLoopShortFlowReleasedAtSinkClose: the end of the sink's run hands
// over what a pre-roll held back.
func TestLoopShortFlowReleasedAtSinkClose(t *testing.T) {
	_, sink, _, pump := heldFlow(t)
	sink.Close()
	if got := waitPumped(t, pump, 40); !bytes.Equal(got, loopFlowPattern(10, 0)) {
		t.Fatalf("tail %x", got)
	}
}

// TestLoopShortFlowReleasedWhenIdle: a writer that goes quiet for the idle
// time (on the hub's clock) has its held frames handed over.
func TestLoopShortFlowReleasedWhenIdle(t *testing.T) {
	fake, sink, _, pump := heldFlow(t)
	p := sink.p
	p.mu.Lock()
	idle := p.idle
	last := p.lastWrite
	p.mu.Unlock()
	if want := 256*time.Second/48000 + DefaultLoopMargin + 2*256*time.Second/48000; idle < want-time.Microsecond || idle > want {
		t.Fatalf("idle time %v, want %v", idle, want)
	}
	fake.Set(last + idle - 1)
	p.mu.Lock()
	early := p.readyLocked()
	p.mu.Unlock()
	if early {
		t.Fatal("held frames released before the writer was idle")
	}
	fake.Set(last + idle)
	if got := waitPumped(t, pump, 40); !bytes.Equal(got, loopFlowPattern(10, 0)) {
		t.Fatalf("tail %x", got)
	}
}

// TestLoopCloseUnblocksHeldRead: Close wakes a Read that holds frames back
// for a pre-roll; it returns io.EOF.
func TestLoopCloseUnblocksHeldRead(t *testing.T) {
	_, _, src, pump := heldFlow(t)
	src.Close()
	select {
	case <-pump.done: // Read returned an error: the pump exits
	case <-time.After(deadline):
		t.Fatal("Close did not unblock a Read holding frames back")
	}
	if _, err := src.Read(make([]byte, 64)); err != io.EOF {
		t.Fatalf("Read after Close: %v, want io.EOF", err)
	}
}
