package pcm

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/timer"
)

// CPU cost of streams on the virtual driver at 48 kHz stereo S16 with
// 256-frame periods, as CPU time (getrusage: every goroutine, pumps and
// timer included) per second of audio per stream.
//
//	go test -run '^$' -bench 'Stream' -benchtime 4000x ./pcm
//
// BenchmarkStreamFake plays as fast as the fake clock allows: a writer
// queues one period per stream, the "interrupt" advances the clock one
// period, the sink pump drains. Its baseline, measured in the same run, is
// the same loop without the PCM core: fake timers whose callbacks copy a
// period from a ring into a FIFO drained by a goroutine (the least any
// design moving these bytes on a timer must do). BenchmarkStreamRealTime
// plays 16 streams in real time on the HR timer with blocking writers;
// its baseline is bare HR timers waking a writer and a pump goroutine per
// period (baselineReal).
//
//	go test -run '^$' -bench 'StreamRealTime' -benchtime 400x ./pcm

type discardSink struct{}

func (discardSink) Open(Config) error           { return nil }
func (discardSink) Write(p []byte) (int, error) { return len(p), nil }
func (discardSink) Close() error                { return nil }

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var benchCfg = testCfg{AccessRWInterleaved, FormatS16LE, 2, 48000, 256, 4}

func openBenchStreams(b *testing.B, src timer.Source, n int) []*Substream {
	ss := make([]*Substream, n)
	for i := range ss {
		s := NewSubstream(Options{Stream: Playback, Hardware: DefaultHardware(),
			Driver: NewVirtualDriver(src), Clock: src, Name: fmt.Sprintf("bench%d", i)})
		if err := s.Open(); err != nil {
			b.Fatal(err)
		}
		if err := s.HWParams(hwParamsFor(benchCfg)); err != nil {
			b.Fatal(err)
		}
		s.SetSink(discardSink{})
		if err := s.Prepare(); err != nil {
			b.Fatal(err)
		}
		ss[i] = s
	}
	b.Cleanup(func() {
		for _, s := range ss {
			s.Release()
		}
	})
	return ss
}

// perAudioSecond reports cpu per second of audio per stream.
func perAudioSecond(cpu time.Duration, periods, streams int) float64 {
	audio := float64(periods) * float64(benchCfg.period) / float64(benchCfg.rate) * float64(streams)
	return float64(cpu.Nanoseconds()) / audio
}

func BenchmarkStreamFake(b *testing.B) {
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("streams=%d", n), func(b *testing.B) {
			period := timer.Period{Frames: int64(benchCfg.period), Rate: int64(benchCfg.rate)}.Duration()
			frames := pattern(benchCfg, 0, benchCfg.period)

			// Baseline: bare timers moving the same bytes.
			base := baselineFake(b.N, n, period, frames)

			fake := timer.NewFake()
			ss := openBenchStreams(b, fake, n)
			for _, s := range ss {
				for k := 0; k < benchCfg.periods; k++ {
					s.Write(context.Background(), frames, true)
				}
			}
			b.ResetTimer()
			c0 := cpuTime()
			for i := 0; i < b.N; i++ {
				fake.Advance(period)
				for _, s := range ss {
					if _, err := s.Write(context.Background(), frames, true); err != nil {
						b.Fatalf("period %d: %v", i, err)
					}
				}
				if i%4 == 3 {
					// Real time would give the pumps 4 periods here.
					for _, s := range ss {
						waitSinkEmpty(s)
					}
				}
			}
			cpu := cpuTime() - c0
			b.StopTimer()
			for _, s := range ss {
				if st, _ := s.Status(); st.XRuns != 0 || st.State != StateRunning || st.SinkOverflow != 0 {
					b.Fatalf("stream %v, %d xruns, %d frames overflow", st.State, st.XRuns, st.SinkOverflow)
				}
			}
			core := perAudioSecond(cpu, b.N, n)
			b.ReportMetric(core, "cpu-ns/audio-s/stream")
			b.ReportMetric(perAudioSecond(base, b.N, n), "baseline-cpu-ns/audio-s/stream")
			b.ReportMetric(core/perAudioSecond(base, b.N, n), "x-baseline")
		})
	}
}

// waitSinkEmpty yields until s's sink pump has emptied its FIFO.
func waitSinkEmpty(s *Substream) {
	for {
		s.mu.Lock()
		n := 0
		if s.sinkPump != nil {
			n = s.sinkPump.fifo.Length()
		}
		s.mu.Unlock()
		if n == 0 {
			return
		}
		runtime.Gosched()
	}
}

// baselineFake runs periods x streams bare timer callbacks, each copying
// one period from a ring into a FIFO that a goroutine drains, and returns
// the CPU time.
func baselineFake(periods, streams int, period time.Duration, frames []byte) time.Duration {
	fake := timer.NewFake()
	type bare struct {
		ring []byte
		fifo chan []byte
		ofs  int
	}
	var wg sync.WaitGroup
	bs := make([]*bare, streams)
	for i := range bs {
		x := &bare{ring: make([]byte, benchCfg.periods*len(frames)), fifo: make(chan []byte, 64)}
		bs[i] = x
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range x.fifo {
			}
		}()
		var mu sync.Mutex
		tm := fake.NewTimer(func(time.Duration) {
			mu.Lock()
			chunk := make([]byte, len(frames))
			copy(chunk, x.ring[x.ofs:x.ofs+len(frames)])
			x.ofs = (x.ofs + len(frames)) % len(x.ring)
			mu.Unlock()
			x.fifo <- chunk
		})
		tm.Start(0, timer.Period{Frames: int64(benchCfg.period), Rate: int64(benchCfg.rate)})
		defer tm.Stop()
	}
	c0 := cpuTime()
	for i := 0; i < periods; i++ {
		fake.Advance(period)
		for _, x := range bs {
			copy(x.ring[x.ofs:], frames) // the writer's copy
		}
		if i%4 == 3 {
			for _, x := range bs {
				for len(x.fifo) > 0 {
					runtime.Gosched()
				}
			}
		}
	}
	for _, x := range bs {
		close(x.fifo)
	}
	wg.Wait()
	return cpuTime() - c0
}

func BenchmarkStreamRealTime(b *testing.B) {
	hr, err := timer.NewHR(timer.HROptions{})
	if err != nil {
		b.Skip(err)
	}
	defer hr.Close()
	const n = 16
	ss := openBenchStreams(b, hr, n)
	frames := pattern(benchCfg, 0, benchCfg.period)
	b.ResetTimer()
	c0 := cpuTime()
	t0 := time.Now()
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < b.N; i++ {
				_, err := s.Write(context.Background(), frames, false)
				if Errno(err) == syscall.EPIPE {
					// Underrun (a late interrupt on a loaded box):
					// recover as snd_pcm_recover does, and count it.
					err = s.Prepare()
				}
				if err != nil {
					b.Errorf("write: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	cpu := cpuTime() - c0
	wall := time.Since(t0)
	b.StopTimer()
	var xruns uint64
	for _, s := range ss {
		st, _ := s.Status()
		xruns += st.XRuns // since Open; the writers recovered from each
	}
	core := perAudioSecond(cpu, b.N, n)
	base := perAudioSecond(baselineReal(hr, b.N, n, frames), b.N, n)
	b.ReportMetric(core, "cpu-ns/audio-s/stream")
	b.ReportMetric(base, "baseline-cpu-ns/audio-s/stream")
	b.ReportMetric(core/base, "x-baseline")
	b.ReportMetric(float64(cpu)/float64(wall)*100, "%cpu-total")
	b.ReportMetric(float64(xruns), "xruns")
}

// baselineReal is the real-time floor without the PCM core: per stream an
// HR timer whose callback copies a period out of a ring into a FIFO
// channel (drained by a pump goroutine) and wakes a writer goroutine that
// copies the next period in. It returns the CPU time of periods periods.
func baselineReal(src timer.Source, periods, streams int, frames []byte) time.Duration {
	var wg sync.WaitGroup
	c0 := cpuTime()
	for i := 0; i < streams; i++ {
		ring := make([]byte, benchCfg.periods*len(frames))
		fifo := make(chan []byte, 64)
		room := make(chan struct{}, benchCfg.periods)
		var mu sync.Mutex
		ofs := 0
		tm := src.NewTimer(func(time.Duration) {
			mu.Lock()
			chunk := make([]byte, len(frames))
			copy(chunk, ring[ofs:ofs+len(frames)])
			ofs = (ofs + len(frames)) % len(ring)
			mu.Unlock()
			select {
			case fifo <- chunk:
			default:
			}
			select {
			case room <- struct{}{}:
			default:
			}
		})
		wg.Add(2)
		go func() { // pump
			defer wg.Done()
			for range fifo {
			}
		}()
		go func() { // writer
			defer wg.Done()
			defer close(fifo)
			defer tm.SyncStop()
			for k := 0; k < periods; k++ {
				<-room
				mu.Lock()
				copy(ring[(ofs+len(ring)-len(frames))%len(ring):], frames)
				mu.Unlock()
			}
		}()
		tm.Start(src.Now(), timer.Period{Frames: int64(benchCfg.period), Rate: int64(benchCfg.rate)})
	}
	wg.Wait()
	return cpuTime() - c0
}
