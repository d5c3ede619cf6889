package endpoint

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/timer"
)

// The loop pair end to end through the PCM core: a playback substream
// with a loop sink and a capture substream with the loop source, both on
// the virtual driver over one fake clock. The capture starts first; the
// playback starts a fraction of a period later. The sink is gated so the
// test decides when each played period (the sink pump's Write) reaches the
// pipe: up to 0.9 period after the playback's interrupt, which is what a
// loaded machine does to the sink pump. Every step waits for the pumps to
// settle, so the run is deterministic.

// gatedSink passes each Write on once the test sends a token.
type gatedSink struct {
	*LoopSink
	gate  chan struct{}
	sizes chan int // the length of each Write, for the test
}

func (g *gatedSink) Write(b []byte) (int, error) {
	<-g.gate
	n, err := g.LoopSink.Write(b)
	g.sizes <- len(b)
	return n, err
}

func coreStream(t *testing.T, fake *timer.Fake, dir pcm.Stream, name string, period int) *pcm.Substream {
	t.Helper()
	s := pcm.NewSubstream(pcm.Options{Stream: dir, Hardware: pcm.DefaultHardware(),
		Driver: pcm.NewVirtualDriver(fake), Clock: fake, Name: name})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	p := new(pcm.HWParams)
	p.Any()
	p.SetMask(pcm.ParamAccess, uint32(pcm.AccessRWInterleaved))
	p.SetMask(pcm.ParamFormat, uint32(pcm.FormatS16LE))
	p.SetIntervalValue(pcm.ParamChannels, 2)
	p.SetIntervalValue(pcm.ParamRate, 48000)
	p.SetIntervalValue(pcm.ParamPeriodSize, uint32(period))
	// Eight periods: the capture FIFO (two buffers) then holds the whole
	// pre-roll, so the source pump is always back in Read when the test
	// waits for it to settle. (With a smaller buffer the pump may wait
	// for FIFO space with frames left in the pipe: no harm, but the test
	// could not tell when it has settled.)
	p.SetIntervalValue(pcm.ParamPeriods, 8)
	if err := s.HWParams(p); err != nil {
		t.Fatalf("%s HWParams: %v", name, err)
	}
	return s
}

type coreCase struct {
	name   string
	margin time.Duration             // LoopOptions.Margin
	phase  time.Duration             // playback start after the capture's
	delay  func(k int) time.Duration // delivery of played period k after its interrupt
}

func TestLoopCoreCaptureFirst(t *testing.T) {
	const P, fb, periods = 256, 4, 80
	T := timer.Period{Frames: P, Rate: 48000}.Duration()
	cases := []coreCase{
		{"phase-1%", 0, T / 100, func(k int) time.Duration { return time.Duration(k*7919%90) * T / 100 }},
		{"phase-50%", 0, T / 2, func(k int) time.Duration { return time.Duration(k*7919%90) * T / 100 }},
		// The playback's interrupt just before the capture's; every
		// seventh period reaches the pipe just after the capture's.
		{"phase-99%-some-late", 0, T - T/100, func(k int) time.Duration {
			if k%7 == 3 {
				return T / 50
			}
			return 0
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := runCoreLoop(t, c, P, fb, periods, T); err != nil {
				t.Fatal(err)
			}
		})
	}
	// The control: without the pre-roll the late periods are silence in
	// the middle of the flow, as before it.
	t.Run("no-preroll", func(t *testing.T) {
		c := cases[2]
		c.margin = -1
		err := runCoreLoop(t, c, P, fb, periods, T)
		if err == nil {
			t.Fatal("a clean flow without the pre-roll: the schedule does not exercise the race")
		}
		t.Logf("as expected without a pre-roll: %v", err)
	})
}

// runCoreLoop plays c through the core and returns what is wrong with the
// captured flow.
func runCoreLoop(t *testing.T, c coreCase, P, fb, periods int, T time.Duration) error {
	fake := timer.NewFake()
	env := &Env{Loop: NewLoopHubOptions(LoopOptions{Clock: fake, Margin: c.margin}), Logger: quiet.Logger}
	ps := coreStream(t, fake, pcm.Playback, "card0/pcm0p/sub0", P)
	cs := coreStream(t, fake, pcm.Capture, "card0/pcm1c/sub0", P)
	sink := &gatedSink{LoopSink: newSink(t, "loop", StreamID{0, 0, 0, pcm.Playback}, env).(*LoopSink),
		gate: make(chan struct{}), sizes: make(chan int, periods+8)}
	src := newSource(t, "loop", StreamID{0, 1, 0, pcm.Capture}, env)
	gateOpen := false
	t.Cleanup(func() {
		if !gateOpen {
			close(sink.gate) // a sink pump blocked in Write would block Release
		}
		ps.Release()
		cs.Release()
	})
	ps.SetSink(sink)
	cs.SetSource(src)
	pipe := sink.p
	settle(t, pipe) // the source pump is waiting in Read

	ctx := context.Background()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	must("capture Prepare", cs.Prepare())
	must("capture Start", cs.Start()) // at 0
	must("playback Prepare", ps.Prepare())
	sw, _ := ps.CurrentSWParams()
	sw.StartThreshold = sw.Boundary // started below, at the phase
	must("playback SWParams", ps.SWParams(&sw))
	played := loopFlowPattern((periods+8)*P, 0)
	if n, err := ps.Write(ctx, played[:8*P*fb], true); n != 8*P || err != nil {
		t.Fatalf("prefill: %d frames, %v", n, err)
	}
	written := 8 * P

	type event struct {
		t    time.Duration
		kind int // 0 capture interrupt, 1 playback interrupt, 2 delivery
		k    int
	}
	var evs []event
	last := time.Duration(0)
	for k := range periods {
		d := max(c.phase+time.Duration(k+1)*T+c.delay(k), last)
		last = d
		evs = append(evs, event{c.phase + time.Duration(k+1)*T, 1, k}, event{d, 2, k})
	}
	for j := 1; time.Duration(j)*T <= last; j++ {
		evs = append(evs, event{time.Duration(j) * T, 0, j})
	}
	sort.SliceStable(evs, func(i, j int) bool {
		if evs[i].t != evs[j].t {
			return evs[i].t < evs[j].t
		}
		return evs[i].kind < evs[j].kind
	})

	fake.Set(c.phase)
	must("playback Start", ps.Start())
	var captured []byte
	var underrun []uint64 // after each capture interrupt
	buf := make([]byte, 8*P*fb)
	delivered := 0
	for _, e := range evs {
		fake.Set(e.t) // runs the interrupts due
		switch e.kind {
		case 0:
			n, err := cs.Read(ctx, buf, true)
			if err != nil {
				t.Fatalf("capture Read at %v: %v", e.t, err)
			}
			captured = append(captured, buf[:n*fb]...)
			st, _ := cs.Status()
			underrun = append(underrun, st.SourceUnderrun)
		case 1: // keep the playback buffer full
			n, err := ps.Write(ctx, played[written*fb:(written+P)*fb], true)
			if n != P || err != nil {
				t.Fatalf("playback Write at %v: %d frames, %v", e.t, n, err)
			}
			written += P
		case 2:
			select {
			case sink.gate <- struct{}{}:
			case <-time.After(deadline):
				t.Fatalf("period %d: the sink pump did not write", e.k)
			}
			if size := <-sink.sizes; size != P*fb {
				t.Fatalf("the sink pump wrote %d bytes, want one period", size)
			}
			delivered++
			settle(t, pipe)
		}
	}
	for _, s := range []*pcm.Substream{ps, cs} {
		if st, _ := s.Status(); st.State != pcm.StateRunning || st.XRuns != 0 {
			t.Fatalf("%s: %v, %d xruns", s.Name(), st.State, st.XRuns)
		}
	}

	// The capture is silence, then the played frames from the first on,
	// contiguous and bit-exact, up to its last interrupt.
	lead := 0
	for lead < len(captured) && captured[lead] == 0 && captured[lead+1] == 0 {
		lead += fb
	}
	close(sink.gate)
	gateOpen = true
	got := captured[lead:]
	if len(got) < 20*P*fb {
		return fmt.Errorf("only %d frames of %d captured after %d frames of silence", len(got)/fb, len(captured)/fb, lead/fb)
	}
	if i := firstDiff(got, played); i < len(got) {
		return fmt.Errorf("captured frame %d of the flow (%d after the start of the capture) is %x, played %x",
			i/fb, (lead+i)/fb, got[i/fb*fb:i/fb*fb+fb], played[i/fb*fb:i/fb*fb+fb])
	}
	// SourceUnderrun counted the silence in front and nothing after.
	if lead%(P*fb) != 0 {
		return fmt.Errorf("the flow starts %d frames into a capture period", lead/fb%P)
	}
	first := lead / (P * fb) // capture interrupt that recorded the first played frame
	if u := underrun[first]; u != uint64(lead/fb) {
		return fmt.Errorf("SourceUnderrun %d when the flow started, want the %d silent frames", u, lead/fb)
	}
	if u := underrun[len(underrun)-1]; u != uint64(lead/fb) {
		return fmt.Errorf("SourceUnderrun grew from %d to %d while the flow ran", lead/fb, u)
	}
	latency := time.Duration(lead/fb)*time.Second/48000 - c.phase
	t.Logf("latency %v (%.1f periods); %d frames compared", latency, float64(latency)/float64(T), len(got)/fb)
	if latency > DefaultLoopMargin+4*T {
		return fmt.Errorf("latency %v, want at most the margin plus four periods", latency)
	}
	return nil
}
