package integration

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs"
)

// The OSS tests drive DIR/dev/dsp and DIR/dev/mixer with real OSS
// programs (python3's ossaudiodev, sox, ffmpeg), installed by .ci/run from
// .ci/packages. The mount runs in the test process (under the race
// detector); the clients are child processes whose CPU is measured with
// their rusage.

// ossClip is the audio the playback tests play: 18 fragments of 16 KiB
// (the fragment vsnd's OSS face gives 48 kHz stereo S16), a multiple of
// sox's 8 KiB and ffmpeg's 4 KiB writes, so no client pads or drops a
// partial block and the WAV sink must hold exactly these bytes.
const ossClipBytes = 18 * 16384 // 1.536 s

func ossClipDuration() time.Duration { return time.Duration(ossClipBytes) * time.Second / bytesPerS }

// pythonOSS is Debian's interpreter, which has ossaudiodev (3.11); a
// pyenv python earlier on PATH may not.
const pythonOSS = "/usr/bin/python3"

// needClient returns the path of an OSS client program, skipping the test
// when it is missing (failing instead in CI, where .ci/packages installs
// it). probe, if given, must run successfully too (python: import
// ossaudiodev).
func needClient(t testing.TB, name string, probe ...string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil && len(probe) > 0 {
		if out, perr := exec.Command(path, probe...).CombinedOutput(); perr != nil {
			err = &exec.Error{Name: name + " " + strings.Join(probe, " "), Err: perr}
			t.Logf("%s", out)
		}
	}
	if err != nil {
		missingClient(t, fmt.Sprintf("%s (%v)", name, err))
	}
	return path
}

// missingClient skips the test, or fails it in CI.
func missingClient(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("OSS client %s is required in CI (see .ci/packages)", what)
	}
	t.Skipf("OSS client %s unavailable: apt-get install the packages in .ci/packages", what)
}

func needPython(t testing.TB) string {
	return needClient(t, pythonOSS, "-W", "ignore", "-c", "import ossaudiodev")
}

// ossMount mounts a card whose playback goes to WAV files in a fresh
// directory and whose capture is source; it returns the mount and the WAV
// directory.
func ossMount(t testing.TB, source string) (string, string) {
	t.Helper()
	wavDir := t.TempDir()
	_, dir := testMount(t, fusefs.Config{Sink: "wav:" + wavDir + "/", Source: source})
	return dir, wavDir
}

// clientRun is a finished client: its output, wall time and CPU (user +
// system from its rusage).
type clientRun struct {
	out  string
	wall time.Duration
	cpu  time.Duration
}

// runClient runs a client to completion (killed after timeout) and fails
// the test if it fails.
func runClient(t testing.TB, timeout time.Duration, name string, args ...string) clientRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := clientRun{out: out.String(), wall: time.Since(start)}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	if err != nil {
		t.Fatalf("%s %s: %v (after %v)\n%s", filepath.Base(name), strings.Join(args, " "), err, r.wall, r.out)
	}
	return r
}

// reportCPU logs a client's CPU per second of audio: raw, and net of a
// baseline run of the same client doing the same work without the device
// (startup, decoding, writing to /dev/null). A client that paces itself
// by blocking writes should cost almost nothing beyond its baseline; a
// spinning one (short non-blocking writes, tiny reads) shows here.
// It fails only on a pathology (net above 25% of the audio's length,
// ten times what a spinning client measured in OSS-NOTES.md is not).
func reportCPU(t testing.TB, what string, run, base clientRun, audio time.Duration) {
	t.Helper()
	per := func(d time.Duration) float64 { return d.Seconds() / audio.Seconds() }
	net := run.cpu - base.cpu
	t.Logf("%s: CPU %v for %v of audio: %.1f ms per audio second (baseline without the device %v, net %.1f ms/s)",
		what, run.cpu.Round(time.Millisecond), audio.Round(time.Millisecond), 1000*per(run.cpu),
		base.cpu.Round(time.Millisecond), 1000*per(net))
	if per(net) > 0.25 {
		t.Errorf("%s: net CPU %v for %v of audio: the client spins on the device", what, net, audio)
	}
}

// checkPlayedWAV checks that the mount's single WAV file holds want,
// followed by nothing but silence (a client's final SYNC pads its last
// fragment), as 48 kHz stereo S16. The WAV is complete when its run ends,
// at the substream's release, which FUSE delivers after the client's
// close(2) has returned (even after the client exited): wait for that
// event (card 0's playback substream 0 reads "closed") before reading.
func checkPlayedWAV(t testing.TB, dir, wavDir string, want []byte) {
	t.Helper()
	status := sub(dir, 0, 0, false, 0) + "/status"
	waitFor(t, "the played substream's release", 5*time.Second, func() bool {
		return readText(t, status) == "closed\n"
	})
	files := wavFiles(t, wavDir)
	if len(files) != 1 {
		t.Fatalf("WAV files: %v, want one", files)
	}
	w := readWAV(t, files[0])
	if w.channels != 2 || w.rate != rate || w.bits != 16 {
		t.Errorf("WAV format %+v, want 48000 Hz stereo 16 bit", w)
	}
	if len(w.data) < len(want) {
		t.Fatalf("WAV holds %d bytes, want the %d played", len(w.data), len(want))
	}
	if err := sameBytes(w.data[:len(want)], want); err != nil {
		t.Fatalf("WAV data is not what was played: %v", err)
	}
	for i, b := range w.data[len(want):] {
		if b != 0 {
			t.Fatalf("WAV byte %d after the played data is %#x, want silence", len(want)+i, b)
		}
	}
	t.Logf("WAV: %d bytes played bit-exact, %d bytes of silence after", len(want), len(w.data)-len(want))
}

// checkRealTime fails unless a client took at least the audio's length
// (less 3%) and at most its length plus slack, and logs the ratio.
func checkRealTime(t testing.TB, what string, elapsed, audio, slack time.Duration) {
	t.Helper()
	ratio := elapsed.Seconds() / audio.Seconds()
	t.Logf("%s: %v of audio took %v (ratio %.3f)", what, audio.Round(time.Millisecond), elapsed.Round(time.Millisecond), ratio)
	if ratio < 0.97 || elapsed > audio+slack {
		t.Errorf("%s: %v of audio took %v, want between 0.97x and +%v", what, audio, elapsed, slack)
	}
}

// toneOf measures a mono S16_LE recording of a sine: its frequency from
// the rising zero crossings, its peak, and the gaps between crossings
// that are not one period (±1 sample): each is a discontinuity, captured
// audio lost or repeated.
func toneOf(b []byte, hz float64) (got float64, peak int, glitches []int) {
	n := len(b) / 2
	period := rate / hz
	var first, last, crossings int
	prev := int16(0)
	for i := range n {
		v := int16(binary.LittleEndian.Uint16(b[2*i:]))
		peak = max(peak, abs(int(v)))
		if i > 0 && prev < 0 && v >= 0 {
			if crossings == 0 {
				first = i
			} else if d := float64(i - last); d < period-1.5 || d > period+1.5 {
				glitches = append(glitches, i)
			}
			last = i
			crossings++
		}
		prev = v
	}
	if crossings < 2 {
		return 0, peak, glitches
	}
	return float64(crossings-1) * rate / float64(last-first), peak, glitches
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// checkTone fails unless a recording of at least ~1 s is the sine tone
// hz at half of full scale.
func checkTone(t testing.TB, what string, b []byte, hz float64) {
	t.Helper()
	if len(b) < rate*2*95/100 {
		t.Fatalf("%s: recorded %d bytes, want about 1 s (%d)", what, len(b), rate*2)
	}
	got, peak, glitches := toneOf(b, hz)
	t.Logf("%s: %d bytes, tone %.1f Hz, peak %d, %d discontinuities", what, len(b), got, peak, len(glitches))
	if len(glitches) > 0 {
		t.Errorf("%s: the tone is broken (audio lost or repeated) at samples %v", what, glitches[:min(len(glitches), 10)])
	}
	if got < hz*0.99 || got > hz*1.01 {
		t.Errorf("%s: tone at %.1f Hz, want %.0f", what, got, hz)
	}
	if peak < 15000 || peak > 17500 {
		t.Errorf("%s: peak %d, want about 16384 (amplitude 0.5)", what, peak)
	}
}
