package pcm

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestCaptureFromSource(t *testing.T) {
	f := newFixture(t, Capture).setup(stereo48k)
	// 1792 frames, seven periods (less than the FIFO holds, so the pump reaches EOF
	// before the capture starts) in odd-sized chunks: the pump must keep
	// whole frames.
	src := &memSource{data: pattern(stereo48k, 0, 1792), chunk: 1001}
	f.s.SetSource(src)
	f.waitSourceReadAhead(len(src.data))
	f.must("Prepare", f.s.Prepare())
	var got []byte
	buf := make([]byte, 256*4)
	for len(got) < 1792*4 {
		n, err := f.s.Read(bg, buf, true)
		if n == 0 {
			wantErrno(t, "Read", err, 11 /* EAGAIN */)
			f.advancePeriods(1)
			continue
		}
		got = append(got, buf[:n*4]...)
	}
	got = got[:1792*4]
	if !bytes.Equal(got, src.data) {
		t.Fatalf("recorded bytes differ from what the source produced")
	}
	st := f.status()
	if st.SourceUnderrun != 0 {
		t.Fatalf("source underrun %d with a source that was ahead", st.SourceUnderrun)
	}
	// The source is exhausted: the next periods are silence, counted.
	f.advancePeriods(1)
	if st := f.status(); st.SourceUnderrun == 0 {
		t.Fatalf("no source underrun counted after EOF")
	}
	f.must("Drop", f.s.Drop())
	f.must("HWFree", f.s.HWFree())
	if src.opens != 1 || src.closes != 1 {
		t.Fatalf("source opened %d closed %d", src.opens, src.closes)
	}
}

func TestCaptureWithoutSourceIsSilence(t *testing.T) {
	c := stereo48k
	c.format = FormatU8 // silence is 0x80, not 0
	f := newFixture(t, Capture).setup(c)
	f.must("Prepare", f.s.Prepare())
	f.must("Start", f.s.Start())
	f.advancePeriods(1)
	buf := make([]byte, 256*2)
	n, err := f.s.Read(bg, buf, true)
	if n != 256 || err != nil {
		t.Fatalf("Read %d %v", n, err)
	}
	if !bytes.Equal(buf, bytes.Repeat([]byte{0x80}, 512)) {
		t.Fatalf("capture without a source is not U8 silence")
	}
	if st := f.status(); st.SourceUnderrun != 0 {
		t.Fatalf("underrun counted without a source")
	}
}

// gateSink blocks in Write until released.
type gateSink struct {
	memSink
	gate    chan struct{}
	once    sync.Once
	entered chan struct{}
}

func (g *gateSink) Write(p []byte) (int, error) {
	g.once.Do(func() { close(g.entered) })
	<-g.gate
	return g.memSink.Write(p)
}

func TestSinkOverflowCountedNotHidden(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	sink := &gateSink{gate: make(chan struct{}), entered: make(chan struct{})}
	f.s.SetSink(sink)
	f.must("Prepare", f.s.Prepare())
	p, _ := f.s.CurrentSWParams()
	p.StopThreshold = p.Boundary // play on, never xrun
	f.must("SWParams", f.s.SWParams(&p))
	total, advanced := 0, 0
	var data []byte
	for i := 0; i < 40; i++ {
		chunk := pattern(stereo48k, total, 256)
		f.write(chunk)
		data = append(data, chunk...)
		total += 256
		if i >= 3 {
			f.advancePeriods(1)
			advanced++
		}
		if i == 4 {
			<-sink.entered // the pump holds one chunk, blocked in Write
		}
	}
	played := advanced * 256 // frames hw_ptr passed
	st := f.status()
	if st.SinkOverflow == 0 {
		t.Fatalf("no overflow counted with a stuck sink")
	}
	close(sink.gate)
	f.must("Drop", f.s.Drop())
	f.must("HWFree", f.s.HWFree())
	got, _, closes := sink.snapshot()
	if closes != 1 {
		t.Fatalf("sink closed %d times", closes)
	}
	if delivered := len(got) / 4; delivered+int(st.SinkOverflow) != played {
		t.Fatalf("delivered %d + overflow %d != played %d", delivered, st.SinkOverflow, played)
	}
	// What was delivered is a prefix of what was played (the FIFO drops
	// the newest frames when full).
	if !bytes.Equal(got, data[:len(got)]) {
		t.Fatalf("delivered frames are not the played ones in order")
	}
}

func TestSinkLazyOpenAndSwitch(t *testing.T) {
	f := newFixture(t, Playback).setup(stereo48k)
	a, b := &memSink{}, &memSink{}
	f.s.SetSink(a)
	f.must("Prepare", f.s.Prepare())
	// A negative check: there is no event for "the pump did not open the
	// sink", so the sleep gives an eager Open its chance to show (it may
	// miss one; it never fails a correct pump).
	time.Sleep(time.Millisecond)
	if _, opens, _ := a.snapshot(); opens != 0 {
		t.Fatalf("sink opened before any frame played")
	}
	f.write(pattern(stereo48k, 0, 1024))
	f.advancePeriods(1)
	f.s.SetSink(b) // a gets its 256 frames and is closed
	gotA, opensA, closesA := a.snapshot()
	if opensA != 1 || closesA != 1 || !bytes.Equal(gotA, pattern(stereo48k, 0, 256)) {
		t.Fatalf("first sink: %d bytes, opened %d closed %d", len(gotA), opensA, closesA)
	}
	f.advancePeriods(1)
	f.s.SetSink(nil) // b closed; frames from now on are discarded
	gotB, _, closesB := b.snapshot()
	if closesB != 1 || !bytes.Equal(gotB, pattern(stereo48k, 256, 256)) {
		t.Fatalf("second sink: %d bytes, closed %d", len(gotB), closesB)
	}
	f.advancePeriods(1)
	if st := f.status(); st.SinkOverflow != 0 {
		t.Fatalf("discarding counted as overflow")
	}
}

// TestPumpsDoNotLeak opens, plays and releases many substreams and checks
// that every pump goroutine ended.
func TestPumpsDoNotLeak(t *testing.T) {
	base := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		for _, dir := range []Stream{Playback, Capture} {
			f := newFixture(t, dir).setup(stereo48k)
			if dir == Playback {
				f.s.SetSink(&memSink{})
			} else {
				f.s.SetSource(&memSource{data: pattern(stereo48k, 0, 100)})
			}
			f.must("Prepare", f.s.Prepare())
			if dir == Playback {
				f.write(pattern(stereo48k, 0, 512))
			} else {
				f.must("Start", f.s.Start())
			}
			f.advancePeriods(2)
			switch i % 3 {
			case 0:
				f.must("Release", f.s.Release())
			case 1:
				f.s.Disconnect()
				f.must("Release", f.s.Release())
			case 2:
				f.must("Drop", f.s.Drop())
				f.setup(stereo48k) // hw_params again: a new run
				f.must("HWFree", f.s.HWFree())
				f.must("Release", f.s.Release())
			}
		}
	}
	if n := pumpsRunning.Load(); n != 0 {
		t.Fatalf("%d pumps still running", n)
	}
	waitFor(t, "goroutines to exit", func() bool { return runtime.NumGoroutine() <= base })
}

func TestNonInterleavedToSink(t *testing.T) {
	c := stereo48k
	c.access = AccessRWNonInterleaved
	f := newFixture(t, Playback).setup(c)
	sink := &memSink{}
	f.s.SetSink(sink)
	f.must("Prepare", f.s.Prepare())
	// Left channel counts up, right counts down (S16LE samples).
	left, right := make([]byte, 2*512), make([]byte, 2*512)
	var want []byte
	for i := 0; i < 512; i++ {
		l, r := uint16(i), uint16(60000-i)
		left[2*i], left[2*i+1] = byte(l), byte(l>>8)
		right[2*i], right[2*i+1] = byte(r), byte(r>>8)
		want = append(want, byte(l), byte(l>>8), byte(r), byte(r>>8))
	}
	n, err := f.s.WriteN(bg, [][]byte{left, right}, true)
	if n != 512 || err != nil {
		t.Fatalf("WriteN: %d %v", n, err)
	}
	_, err = f.s.Write(bg, want[:4], true)
	wantErrno(t, "interleaved Write on RW_NONINTERLEAVED", err, 22 /* EINVAL */)
	_, err = f.s.WriteN(bg, [][]byte{left}, true)
	wantErrno(t, "WriteN with 1 buffer for 2 channels", err, 22)
	f.advancePeriods(2)
	f.must("Drop", f.s.Drop())
	f.must("HWFree", f.s.HWFree())
	got, _, _ := sink.snapshot()
	if !bytes.Equal(got, want) {
		t.Fatalf("sink got %d bytes, not the interleaved channels", len(got))
	}
}

func TestNonInterleavedCapture(t *testing.T) {
	c := stereo48k
	c.access = AccessRWNonInterleaved
	f := newFixture(t, Capture).setup(c)
	src := &memSource{data: pattern(c, 0, 256)}
	f.s.SetSource(src)
	f.waitSourceReadAhead(len(src.data))
	f.must("Prepare", f.s.Prepare())
	f.must("Start", f.s.Start())
	f.advancePeriods(1)
	left, right := make([]byte, 512), make([]byte, 512)
	n, err := f.s.ReadN(bg, [][]byte{left, right}, true)
	if n != 256 || err != nil {
		t.Fatalf("ReadN: %d %v", n, err)
	}
	for i := 0; i < 256; i++ {
		fr := src.data[4*i : 4*i+4]
		if !bytes.Equal(left[2*i:2*i+2], fr[:2]) || !bytes.Equal(right[2*i:2*i+2], fr[2:]) {
			t.Fatalf("frame %d: channels not de-interleaved", i)
		}
	}
}

// waitingSource is a loopback with nothing playing: Read blocks until
// Close, then says io.EOF (pcm/endpoint's loop source does this).
type waitingSource struct {
	closed chan struct{}
	once   sync.Once
	reads  chan struct{}
}

func (w *waitingSource) Open(Config) error { return nil }
func (w *waitingSource) Read(p []byte) (int, error) {
	select {
	case w.reads <- struct{}{}:
	default:
	}
	<-w.closed
	return 0, io.EOF
}
func (w *waitingSource) Close() error { w.once.Do(func() { close(w.closed) }); return nil }

func TestBlockedSourceDoesNotBlockHWFree(t *testing.T) {
	f := newFixture(t, Capture).setup(stereo48k)
	src := &waitingSource{closed: make(chan struct{}), reads: make(chan struct{}, 1)}
	f.s.SetSource(src)
	<-src.reads // the pump is blocked in Read
	done := make(chan error, 1)
	go func() { done <- f.s.HWFree() }()
	select {
	case err := <-done:
		f.must("HWFree", err)
	case <-time.After(20 * time.Second):
		t.Fatalf("HWFree hangs on a source blocked in Read")
	}
	if n := pumpsRunning.Load(); n != 0 {
		t.Fatalf("%d pumps running", n)
	}
}

// waitSourceReadAhead waits until the source pump's FIFO holds n bytes.
func (f *fixture) waitSourceReadAhead(n int) {
	f.t.Helper()
	waitFor(f.t, "source read ahead", func() bool {
		f.s.mu.Lock()
		defer f.s.mu.Unlock()
		return f.s.sourcePump.buffered() == n
	})
}
