package timer

import (
	"fmt"
	"math/bits"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Benchmarks of timer lateness and drift. They report figures, never
// assert: the machine is shared. Run them once per cell with
//
//	go test -run '^$' -bench . -benchtime 1x ./timer/
//
// VSND_TIMER_BENCH_SECONDS (default 2) is the length of each measurement,
// VSND_DRIFT_SECONDS (default 2) the length of the drift run.

func envSeconds(name string, def float64) time.Duration {
	if v, err := strconv.ParseFloat(os.Getenv(name), 64); err == nil && v > 0 {
		def = v
	}
	return time.Duration(def * float64(time.Second))
}

// probe measures one stream: lateness of each wake-up against the exact
// boundary it serves (start + Offset(k), k = last served + 1), and the
// boundaries it skipped. Lateness is wake time (CLOCK_MONOTONIC read on
// wake-up) minus that deadline. Only its own goroutine writes it.
type probe struct {
	start  time.Duration
	p      Period
	served int64   // last boundary served
	late   []int64 // ns, preallocated: recording must not allocate
	missed int64   // boundaries passed without a wake-up
	spur   int64   // wake-ups before the next boundary
}

func newProbe(start time.Duration, p Period, d time.Duration) *probe {
	return &probe{start: start, p: p, late: make([]int64, 0, int(d/p.Duration())+64)}
}

// wake records a wake-up at now.
func (pr *probe) wake(now time.Duration) {
	e := now - pr.start
	if e < 0 {
		pr.spur++
		return
	}
	hi, lo := bits.Mul64(uint64(e), uint64(pr.p.Rate))
	k, _ := bits.Div64(hi, lo, uint64(pr.p.Frames)*1e9) // last boundary <= now (floor)
	kk := int64(k)
	if pr.p.Offset(kk) > e {
		kk-- // Offset rounds up
	}
	if kk <= pr.served {
		pr.spur++
		return
	}
	if len(pr.late) < cap(pr.late) {
		pr.late = append(pr.late, int64(e-pr.p.Offset(pr.served+1)))
	}
	pr.missed += kk - pr.served - 1
	pr.served = kk
}

type latStats struct {
	p50, p99, max float64 // microseconds
	n, missed     int64
	cpu           float64 // process CPU time / wall time, percent (meaningful idle)
}

// cpuTime returns the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru unix.Rusage
	unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func summarize(probes []*probe) latStats {
	var all []int64
	var s latStats
	for _, pr := range probes {
		all = append(all, pr.late...)
		s.missed += pr.missed
	}
	if len(all) == 0 {
		return s
	}
	slices.Sort(all)
	at := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / 1e3 }
	s.p50, s.p99, s.max, s.n = at(0.50), at(0.99), float64(all[len(all)-1])/1e3, int64(len(all))
	return s
}

// load keeps every CPU busy with one goroutine per CPU copying 1 MiB
// buffers, the way a busy FUSE data path would, until stop is closed. With
// the default GOMAXPROCS this saturates every P; with GOMAXPROCS=NumCPU+1
// one P stays free.
func load(stop <-chan struct{}, wg *sync.WaitGroup) {
	for i := 0; i < runtime.NumCPU(); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, dst := make([]byte, 1<<20), make([]byte, 1<<20)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for j := 0; j < 16; j++ {
					copy(dst, src)
					copy(src, dst)
				}
			}
		}()
	}
}

// runHR measures streams HR timers with phases spread over one period.
func runHR(b *testing.B, opts HROptions, p Period, streams int, d time.Duration) latStats {
	h, err := NewHR(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	probes := make([]*probe, streams)
	timers := make([]Timer, streams)
	t0 := h.Now() + 10*time.Millisecond
	for i := range probes {
		pr := newProbe(t0+time.Duration(i)*p.Duration()/time.Duration(streams), p, d)
		probes[i] = pr
		timers[i] = h.NewTimer(func(time.Duration) { pr.wake(time.Duration(nanotime())) })
		timers[i].Start(pr.start, p)
	}
	cpu0, wall0 := cpuTime(), time.Now()
	time.Sleep(d + 10*time.Millisecond)
	cpu := float64(cpuTime()-cpu0) / float64(time.Since(wall0)) * 100
	for _, tm := range timers {
		tm.SyncStop()
	}
	s := summarize(probes)
	s.cpu = cpu
	return s
}

// runTicker measures the baseline: one goroutine and one time.Ticker per
// stream, lateness computed exactly as for HR.
func runTicker(p Period, streams int, d time.Duration) latStats {
	probes := make([]*probe, streams)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	t0 := time.Duration(nanotime())
	for i := range probes {
		pr := newProbe(0, p, d)
		probes[i] = pr
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * p.Duration() / time.Duration(streams))
			tk := time.NewTicker(p.Duration())
			defer tk.Stop()
			pr.start = time.Duration(nanotime())
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					pr.wake(time.Duration(nanotime()))
				}
			}
		}()
	}
	time.Sleep(d - (time.Duration(nanotime()) - t0) + 10*time.Millisecond)
	close(stop)
	wg.Wait()
	return summarize(probes)
}

// BenchmarkLateness measures, per cell (period, streams, load), back to
// back under the same load: the time.Ticker baseline (ticker-), HR as
// configured by default (no prefix: SCHED_FIFO), HR holding its P while
// asleep (holdp-) and HR without SCHED_FIFO, timer slack 1 ns (other-). Metrics: p50/p99/max lateness in us, missed
// boundaries, and ticker p99 / HR p99.
func BenchmarkLateness(b *testing.B) {
	d := envSeconds("VSND_TIMER_BENCH_SECONDS", 2)
	periods := []struct {
		name string
		p    Period
	}{{"1.333ms", Period{64, 48000}}, {"5.333ms", Period{256, 48000}}}
	for _, per := range periods {
		for _, streams := range []int{1, 64} {
			for _, busy := range []bool{false, true} {
				name := fmt.Sprintf("period=%s/streams=%d/load=idle", per.name, streams)
				if busy {
					name = name[:len(name)-4] + "copy"
				}
				b.Run(name, func(b *testing.B) {
					var wg sync.WaitGroup
					stop := make(chan struct{})
					if busy {
						load(stop, &wg)
					}
					var tk, fifo, hold, other latStats
					for range b.N {
						tk = runTicker(per.p, streams, d)
						fifo = runHR(b, HROptions{}, per.p, streams, d)
						hold = runHR(b, HROptions{HoldP: true}, per.p, streams, d)
						other = runHR(b, HROptions{FIFOPriority: -1}, per.p, streams, d)
					}
					close(stop)
					wg.Wait()
					report := func(prefix string, s latStats) {
						b.ReportMetric(s.p50, prefix+"p50-us")
						b.ReportMetric(s.p99, prefix+"p99-us")
						b.ReportMetric(s.max, prefix+"max-us")
						b.ReportMetric(float64(s.missed), prefix+"missed")
					}
					report("", fifo)
					if !busy {
						b.ReportMetric(fifo.cpu, "cpu-%")
						b.ReportMetric(hold.cpu, "holdp-cpu-%")
					}
					report("other-", other)
					report("ticker-", tk)
					report("holdp-", hold)
					if fifo.p99 > 0 {
						b.ReportMetric(tk.p99/fifo.p99, "ticker/hr-p99")
					}
					if other.p99 > 0 {
						b.ReportMetric(tk.p99/other.p99, "ticker/other-p99")
					}
				})
			}
		}
	}
}

// BenchmarkDrift runs one 48 kHz/64-frame HR stream and a time.Ticker side
// by side for VSND_DRIFT_SECONDS and compares the frames each advanced
// (served boundaries x 64, skipped ones included for HR, as the PCM core
// computes position from the clock) with the frames CLOCK_MONOTONIC says
// elapsed. drift-ppm is (advanced - elapsed) / elapsed; an exact schedule
// is off by at most the one period in flight.
func BenchmarkDrift(b *testing.B) {
	d := envSeconds("VSND_DRIFT_SECONDS", 2)
	p := Period{64, 48000}
	h, err := NewHR(HROptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for range b.N {
		var calls, skipped atomic.Int64
		pr := newProbe(h.Now(), p, d)
		tm := h.NewTimer(func(now time.Duration) {
			calls.Add(1)
			before := pr.missed
			pr.wake(time.Duration(nanotime()))
			skipped.Add(pr.missed - before)
		})
		tm.Start(pr.start, p)
		// Ticker baseline: counts ticks only (no catch-up, as a naive loop).
		var ticks atomic.Int64
		stop := make(chan struct{})
		tstart := time.Duration(nanotime())
		tk := time.NewTicker(p.Duration())
		go func() {
			for {
				select {
				case <-stop:
					return
				case <-tk.C:
					ticks.Add(1)
				}
			}
		}()
		time.Sleep(d)
		tm.SyncStop()
		end := time.Duration(nanotime())
		tk.Stop()
		close(stop)
		frames := func(e time.Duration) float64 { return float64(e) * float64(p.Rate) / 1e9 }
		hrFrames := float64(pr.served * p.Frames)
		tkFrames := float64(ticks.Load() * p.Frames)
		elapsedHR, elapsedTk := frames(end-pr.start), frames(end-tstart)
		b.ReportMetric(elapsedHR/float64(p.Frames), "periods-elapsed")
		b.ReportMetric(float64(calls.Load()), "callbacks")
		b.ReportMetric(float64(skipped.Load()), "skipped")
		b.ReportMetric((hrFrames-elapsedHR)/elapsedHR*1e6, "drift-ppm")
		b.ReportMetric(float64(ticks.Load()), "ticker-ticks")
		b.ReportMetric((tkFrames-elapsedTk)/elapsedTk*1e6, "ticker-drift-ppm")
		s := summarize([]*probe{pr})
		b.ReportMetric(s.p99, "p99-us")
		b.ReportMetric(s.max, "max-us")
	}
}

// BenchmarkGCPause measures what holding the P costs the rest of the
// program: stop-the-world pauses of forced GCs while one 1.333 ms stream
// runs, with no HR, with the default HR and with HoldP.
func BenchmarkGCPause(b *testing.B) {
	for _, mode := range []string{"none", "hr", "holdp"} {
		b.Run("hr="+mode, func(b *testing.B) {
			if mode != "none" {
				h, err := NewHR(HROptions{HoldP: mode == "holdp"})
				if err != nil {
					b.Fatal(err)
				}
				defer h.Close()
				tm := h.NewTimer(func(time.Duration) {})
				tm.Start(h.Now(), p48k64)
				defer tm.SyncStop()
			}
			const gcs = 200
			var pauses []float64
			for range b.N {
				for range gcs {
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					runtime.GC()
					runtime.ReadMemStats(&after)
					for n := before.NumGC; n < after.NumGC; n++ {
						pauses = append(pauses, float64(after.PauseNs[(n+255)%256])/1e3)
					}
					time.Sleep(time.Duration(len(pauses)%7) * 100 * time.Microsecond)
				}
			}
			slices.Sort(pauses)
			b.ReportMetric(pauses[len(pauses)/2], "stw-p50-us")
			b.ReportMetric(pauses[len(pauses)*99/100], "stw-p99-us")
			b.ReportMetric(pauses[len(pauses)-1], "stw-max-us")
		})
	}
}

// BenchmarkWakeGoroutine measures what a PCM client sees: the delay from a
// period boundary until a goroutine woken by the callback (a blocked writer)
// runs, idle and with every P busy copying; the callback only does a
// non-blocking channel send.
func BenchmarkWakeGoroutine(b *testing.B) {
	d := envSeconds("VSND_TIMER_BENCH_SECONDS", 2)
	for _, busy := range []bool{false, true} {
		for _, hold := range []bool{false, true} {
			name := fmt.Sprintf("load=%v/holdp=%v", map[bool]string{false: "idle", true: "copy"}[busy], hold)
			b.Run(name, func(b *testing.B) {
				var wg sync.WaitGroup
				stop := make(chan struct{})
				if busy {
					load(stop, &wg)
				}
				h, err := NewHR(HROptions{HoldP: hold})
				if err != nil {
					b.Fatal(err)
				}
				var s latStats
				for range b.N {
					ch := make(chan struct{}, 1)
					pr := newProbe(h.Now()+5*time.Millisecond, p48k64, d)
					tm := h.NewTimer(func(time.Duration) {
						select {
						case ch <- struct{}{}:
						default:
						}
					})
					quit := make(chan struct{})
					done := make(chan struct{})
					go func() {
						defer close(done)
						for {
							select {
							case <-quit:
								return
							case <-ch:
								pr.wake(time.Duration(nanotime()))
							}
						}
					}()
					tm.Start(pr.start, p48k64)
					time.Sleep(d)
					tm.SyncStop()
					close(quit)
					<-done
					s = summarize([]*probe{pr})
				}
				h.Close()
				close(stop)
				wg.Wait()
				b.ReportMetric(s.p50, "p50-us")
				b.ReportMetric(s.p99, "p99-us")
				b.ReportMetric(s.max, "max-us")
				b.ReportMetric(float64(s.missed), "missed")
			})
		}
	}
}

// BenchmarkSlack measures 64 streams of 1.333 ms, phases spread over the
// period (the most wake-ups), with HROptions.Slack 0, 50 and 200 us: CPU
// time of the process per wall time against lateness.
func BenchmarkSlack(b *testing.B) {
	d := envSeconds("VSND_TIMER_BENCH_SECONDS", 2)
	for _, slack := range []time.Duration{0, 50 * time.Microsecond, 200 * time.Microsecond} {
		b.Run(fmt.Sprintf("slack=%v", slack), func(b *testing.B) {
			var s latStats
			for range b.N {
				s = runHR(b, HROptions{Slack: slack}, p48k64, 64, d)
			}
			b.ReportMetric(s.p50, "p50-us")
			b.ReportMetric(s.p99, "p99-us")
			b.ReportMetric(s.max, "max-us")
			b.ReportMetric(float64(s.missed), "missed")
			b.ReportMetric(s.cpu, "cpu-%")
		})
	}
}
