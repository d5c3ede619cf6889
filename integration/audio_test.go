package integration

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs"
)

// 48 kHz stereo S16_LE: 192,000 bytes per second.
const (
	rate       = 48000
	frameBytes = 4
	bytesPerS  = rate * frameBytes
	stereoS16  = "format=S16_LE rate=48000 channels=2"
)

// checkPace fails the test unless elapsed is within ±10% of the audio's
// length, and logs the measured figure.
func checkPace(t testing.TB, what string, elapsed, audio time.Duration) {
	t.Helper()
	ratio := float64(elapsed) / float64(audio)
	t.Logf("%s: %v of audio took %v (ratio %.3f)", what, audio, elapsed.Round(time.Millisecond), ratio)
	if ratio < 0.9 || ratio > 1.1 {
		t.Errorf("%s: %v of audio took %v, want within 10%%", what, audio, elapsed)
	}
}

// A raw file played from the shell with cat comes out bit-exact in the
// WAV sink, at real-time pace: cat returns when the sound has played.
func TestShellCatPlaysBitExactInRealTime(t *testing.T) {
	wavDir := t.TempDir()
	d := startDaemon(t, "--sink", "wav:"+wavDir+"/")
	s := sub(d.dir, 0, 0, false, 0)
	raw := filepath.Join(t.TempDir(), "in.raw")
	audio := noise(2*bytesPerS, 1) // 2 s
	if err := os.WriteFile(raw, audio, 0o644); err != nil {
		t.Fatal(err)
	}
	sh := func(script string) {
		t.Helper()
		out, err := exec.Command("sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v: %s", script, err, out)
		}
	}
	sh("echo " + stereoS16 + " > " + s + "/hw_params")
	start := time.Now()
	sh("cat " + raw + " > " + s + "/data")
	checkPace(t, "cat > data", time.Since(start), 2*time.Second)
	if st := readText(t, s+"/status"); !strings.Contains(st, "state: SETUP") || !strings.Contains(st, "xruns       : 0") {
		t.Errorf("after cat: %s", st)
	}
	sh("echo 1 > " + s + "/hw_free") // ends the run: the WAV is finished
	files := wavFiles(t, wavDir)
	if len(files) != 1 {
		t.Fatalf("WAV files: %v", files)
	}
	w := readWAV(t, files[0])
	if w.channels != 2 || w.rate != rate || w.bits != 16 {
		t.Errorf("WAV format %+v", w)
	}
	if err := sameBytes(w.data, audio); err != nil {
		t.Errorf("WAV data is not the file: %v", err)
	}
}

// Go code writing in odd-sized chunks (not frame multiples), then closing,
// loses nothing and takes real time.
func TestGoWriterPlaysBitExact(t *testing.T) {
	wavDir := t.TempDir()
	_, dir := testMount(t, fusefs.Config{})
	s := sub(dir, 0, 0, false, 0)
	mustCtl(t, s+"/sink", "wav:"+wavDir+"/") // switched through the file
	if got := readText(t, s+"/sink"); got != "wav:"+wavDir+"/\n" {
		t.Errorf("sink reads %q", got)
	}
	mustCtl(t, s+"/hw_params", stereoS16+" period_size=1024 buffer_size=4096")
	audio := noise(3*bytesPerS/2, 2) // 1.5 s
	f, err := openData(s+"/data", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for off := 0; off < len(audio); {
		n := min(4099, len(audio)-off)
		w, err := f.Write(audio[off : off+n])
		if err != nil {
			t.Fatalf("write at %d: %v", off, err)
		}
		off += w
	}
	if err := f.Close(); err != nil { // drains
		t.Fatalf("close: %v", err)
	}
	checkPace(t, "Go write+close", time.Since(start), 1500*time.Millisecond)
	mustCtl(t, s+"/hw_free", "1")
	if got := readText(t, s+"/hw_params"); got != "closed\n" {
		t.Errorf("hw_params after hw_free: %q", got)
	}
	files := wavFiles(t, wavDir)
	if len(files) != 1 {
		t.Fatalf("WAV files: %v", files)
	}
	if err := sameBytes(readWAV(t, files[0]).data, audio); err != nil {
		t.Errorf("WAV data: %v", err)
	}
}

// A capture stream with a sine source yields the configured tone, at the
// configured level and without a break (checkTone, as the OSS clients).
func TestCaptureSineFrequency(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{Source: "sine:1000:0.5"})
	s := sub(dir, 0, 0, true, 0)
	mustCtl(t, s+"/hw_params", "format=S16_LE rate=48000 channels=1")
	f, err := openData(s+"/data", os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, rate*2) // 1 s of mono S16
	start := time.Now()
	if _, err := ioReadFull(f, buf); err != nil {
		t.Fatal(err)
	}
	checkPace(t, "capture read", time.Since(start), time.Second)
	checkTone(t, "1 s of capture", buf, 1000)
}

func ioReadFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
		if m == 0 {
			return n, errors.New("unexpected EOF")
		}
	}
	return n, nil
}

// hwPtr reads hw_ptr from a substream's status file.
func hwPtr(t testing.TB, s string) int {
	t.Helper()
	for _, l := range strings.Split(readText(t, s+"/status"), "\n") {
		if v, ok := strings.CutPrefix(l, "hw_ptr      : "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("status hw_ptr %q", v)
			}
			return n
		}
	}
	return 0
}

// loopMount mounts the loopback pair (device 0 playback -> device 1
// capture, as snd-aloop) and returns the two substream directories.
func loopMount(t testing.TB) (playback, capture string) {
	t.Helper()
	cfg := fusefs.Config{Devices: 2, Card: []fusefs.CardConfig{{Device: []fusefs.DeviceConfig{
		{Capture: intp(0), Sink: "loop"},
		{Playback: intp(0), Source: "loop"},
	}}}}
	_, dir := testMount(t, cfg)
	return sub(dir, 0, 0, false, 0), sub(dir, 0, 1, true, 0)
}

// The loopback pair carries the played frames to the capture stream bit-exact.
//
// The capture joins a running playback: its source opens at hw_params
// (discarding what the pipe held) and the capture starts eight playback
// periods later, so the pipe is ahead of it. (A capture that starts first
// runs with no backlog and records silence whenever the playback's period
// arrives after the capture's: snd-aloop behaves the same.)
func TestLoopbackBitExact(t *testing.T) {
	ps, cs := loopMount(t)
	const period = 1024
	params := stereoS16 + " period_size=1024 buffer_size=4096"
	mustCtl(t, ps+"/hw_params", params)
	audio := noise(2*bytesPerS, 3) // 2 s

	pf, err := openData(ps+"/data", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	playErr := make(chan error, 1)
	go func() {
		_, err := pf.Write(audio)
		if cerr := pf.Close(); err == nil {
			err = cerr
		}
		playErr <- err
	}()
	waitFor(t, "the playback to run", 10*time.Second, func() bool { return hwPtr(t, ps) >= period })
	mustCtl(t, cs+"/hw_params", params) // the loop source opens: the pipe starts empty
	joined := hwPtr(t, ps)
	waitFor(t, "eight playback periods", 10*time.Second, func() bool { return hwPtr(t, ps) >= joined+8*period })

	cf, err := openData(cs+"/data", os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, bytesPerS/2) // 0.5 s
	_, err = ioReadFull(cf, got)
	cf.Close()
	if err != nil {
		t.Fatalf("capture: %v", err)
	}
	if err := <-playErr; err != nil {
		t.Fatalf("playback: %v", err)
	}
	k := bytes.Index(audio, got[:64])
	if k < 0 {
		t.Fatalf("the capture's first frames are not in the played audio (%x)", got[:16])
	}
	if k%frameBytes != 0 {
		t.Errorf("capture offset %d is not frame aligned", k)
	}
	if err := sameBytes(got, audio[k:k+len(got)]); err != nil {
		t.Errorf("loopback: %v", err)
	}
	t.Logf("capture joined %d frames into the playback; %d frames compared", k/frameBytes, len(got)/frameBytes)
	if st := readText(t, cs+"/status"); !strings.Contains(st, "source_underrun: 0") {
		t.Errorf("capture status: %s", st)
	}
}

// A writer killed with SIGKILL while blocked in write frees the substream:
// a new opener succeeds within a deadline.
func TestKilledWriterFreesSubstream(t *testing.T) {
	d := startDaemon(t)
	s := sub(d.dir, 0, 0, false, 0)
	mustCtl(t, s+"/hw_params", stereoS16)
	cmd := exec.Command("sh", "-c", "exec cat /dev/zero > "+s+"/data")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the writer to run", 10*time.Second, func() bool {
		return strings.Contains(readText(t, s+"/status"), "state: RUNNING")
	})
	if _, err := openData(s+"/data", os.O_WRONLY); errnoOf(err) != syscall.EBUSY {
		t.Errorf("second opener while the writer runs: %v, want EBUSY", err)
	}
	out, err := vsnd(t, "status", d.dir)
	if err != nil || !strings.Contains(out, "card0/pcm0p/sub0       RUNNING   S16_LE 2ch 48000Hz period 6000 buffer 24000 | hw_ptr ") {
		t.Errorf("vsnd status while playing: %v\n%s", err, out)
	}
	if pid := strconv.Itoa(cmd.Process.Pid); !strings.Contains(readText(t, s+"/status"), "owner_pid   : "+pid+"\n") {
		t.Errorf("status does not name the writer %s as owner:\n%s", pid, readText(t, s+"/status"))
	}
	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the killed writer did not die (stuck in D state?)")
	}
	var f *os.File
	waitFor(t, "a new opener to succeed", 10*time.Second, func() bool {
		var err error
		f, err = openData(s+"/data", os.O_WRONLY)
		return err == nil
	})
	t.Logf("substream free %v after SIGKILL", time.Since(killed).Round(time.Millisecond))
	f.Close()
}

// SIGTERM while streams run: no mount is left and every WAV is complete.
func TestSIGTERMFinishesWAVs(t *testing.T) {
	wavDir := t.TempDir()
	d := startDaemon(t, "--playback", "3", "--capture", "0", "--sink", "wav:"+wavDir+"/")
	var wg sync.WaitGroup
	started := make(chan struct{}, 3)
	for i := 0; i < 3; i++ {
		s := sub(d.dir, 0, 0, false, i)
		mustCtl(t, s+"/hw_params", stereoS16)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := openData(s+"/data", os.O_WRONLY)
			if err != nil {
				t.Errorf("open: %v", err)
				started <- struct{}{}
				return
			}
			defer f.Close()
			buf := noise(bytesPerS/10, int64(i))
			for n := 0; ; n++ {
				if _, err := f.Write(buf); err != nil {
					return // the daemon went away
				}
				if n == 3 {
					started <- struct{}{}
				}
			}
		}()
	}
	for i := 0; i < 3; i++ {
		<-started
	}
	// Let each stream play 0.3 s, then stop the daemon under them.
	played := make([]int, 3)
	for i := range played {
		s := sub(d.dir, 0, 0, false, i)
		waitFor(t, "0.3 s played", 10*time.Second, func() bool { return hwPtr(t, s) >= rate*3/10 })
	}
	for i := range played {
		played[i] = hwPtr(t, sub(d.dir, 0, 0, false, i))
	}
	if err := d.stop(syscall.SIGTERM, 20*time.Second); err != nil {
		t.Errorf("vsnd exit: %v; output:\n%s", err, d.out)
	}
	wg.Wait()
	if fusefs.IsMounted(d.dir) {
		t.Error("mount left after SIGTERM")
	}
	files := wavFiles(t, wavDir)
	if len(files) != 3 {
		t.Fatalf("want 3 WAV files, got %v", files)
	}
	for i, p := range files {
		w := readWAV(t, p)
		if len(w.data)%frameBytes != 0 || len(w.data)/frameBytes < played[i] {
			t.Errorf("%s: %d data bytes, but %d frames had played before SIGTERM", p, len(w.data), played[i])
		}
		if want := noise(bytesPerS/10, int64(i)); !bytes.Equal(w.data[:len(want)], want) {
			t.Errorf("%s: the first frames are not what was written", p)
		}
		t.Logf("%s: %.2f s", filepath.Base(p), float64(len(w.data))/bytesPerS)
	}
}

// Eight streams playing at once each keep real time.
func TestEightStreamsRealTime(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{Playback: intp(8), Capture: intp(0)})
	const audio = 2 * time.Second
	var wg sync.WaitGroup
	elapsed := make([]time.Duration, 8)
	for i := 0; i < 8; i++ {
		s := sub(dir, 0, 0, false, i)
		mustCtl(t, s+"/hw_params", stereoS16)
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := noise(2*bytesPerS, int64(i))
			f, err := openData(s+"/data", os.O_WRONLY)
			if err != nil {
				t.Errorf("open %d: %v", i, err)
				return
			}
			start := time.Now()
			if _, err := f.Write(buf); err != nil {
				t.Errorf("write %d: %v", i, err)
			}
			if err := f.Close(); err != nil {
				t.Errorf("close %d: %v", i, err)
			}
			elapsed[i] = time.Since(start)
		}()
	}
	wg.Wait()
	for i, e := range elapsed {
		checkPace(t, fmt.Sprintf("stream %d", i), e, audio)
		st := readText(t, sub(dir, 0, 0, false, i)+"/status")
		if !strings.Contains(st, "xruns       : 0") {
			t.Errorf("stream %d: %s", i, st)
		}
	}
}

// Signals that interrupt a blocked write (FUSE INTERRUPT) end it with the
// bytes accepted so far; the writer goes on from there and nothing is lost
// or doubled. dd reports SIGUSR1 and carries on, writing the rest of a
// short write.
func TestInterruptedWritesKeepEveryByte(t *testing.T) {
	if _, err := exec.LookPath("dd"); err != nil {
		t.Skip("no dd")
	}
	wavDir := t.TempDir()
	d := startDaemon(t, "--sink", "wav:"+wavDir+"/")
	s := sub(d.dir, 0, 0, false, 0)
	mustCtl(t, s+"/hw_params", stereoS16+" period_size=1024 buffer_size=4096")
	raw := filepath.Join(t.TempDir(), "in.raw")
	audio := noise(3*bytesPerS/2, 5) // 1.5 s
	if err := os.WriteFile(raw, audio, 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	dd := exec.Command("dd", "if="+raw, "of="+s+"/data", "bs=65536")
	dd.Stderr = &stderr
	start := time.Now()
	if err := dd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- dd.Wait() }()
	signals := 0
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("dd: %v: %s", err, stderr.String())
			}
			break wait
		case <-tick.C:
			if dd.Process.Signal(syscall.SIGUSR1) == nil {
				signals++
			}
		case <-time.After(20 * time.Second):
			t.Fatal("dd did not finish")
		}
	}
	checkPace(t, "dd with SIGUSR1s", time.Since(start), 1500*time.Millisecond)
	out := stderr.String()
	t.Logf("%d SIGUSR1 sent; dd's last report: %q", signals, lastLines(out, 3))
	if signals < 10 {
		t.Errorf("only %d signals reached dd while it played", signals)
	}
	mustCtl(t, s+"/hw_free", "1")
	files := wavFiles(t, wavDir)
	if len(files) != 1 {
		t.Fatalf("WAV files: %v", files)
	}
	if err := sameBytes(readWAV(t, files[0]).data, audio); err != nil {
		t.Errorf("WAV data after interrupted writes: %v", err)
	}
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(l[max(0, len(l)-n):], " | ")
}
