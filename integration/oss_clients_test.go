package integration

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pyPlay plays a raw 48 kHz stereo S16_LE file with ossaudiodev (or, for
// the baseline, writes it to /dev/null) and prints the seconds that
// writeall + close took (close drains, as OSS's close does).
const pyPlay = `
import ossaudiodev, sys, time
path, raw = sys.argv[1], sys.argv[2]
data = open(raw, 'rb').read()
if path == '/dev/null':
    t = time.monotonic()
    with open(path, 'wb') as f:
        f.write(data)
else:
    dev = ossaudiodev.open(path, 'w')
    got = dev.setparameters(ossaudiodev.AFMT_S16_LE, 2, 48000, True)
    assert got == (ossaudiodev.AFMT_S16_LE, 2, 48000), got
    t = time.monotonic()
    dev.writeall(data)
    dev.close()
print('%.6f' % (time.monotonic() - t))
`

// pyRecord records N bytes of 48 kHz mono S16_LE with ossaudiodev into a
// file (or, for the baseline, reads /dev/zero).
const pyRecord = `
import ossaudiodev, sys
path, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
if path == '/dev/zero':
    dev = open(path, 'rb')
else:
    dev = ossaudiodev.open(path, 'r')
    got = dev.setparameters(ossaudiodev.AFMT_S16_LE, 1, 48000, True)
    assert got == (ossaudiodev.AFMT_S16_LE, 1, 48000), got
b = bytearray()
while len(b) < n:
    b += dev.read(n - len(b))
dev.close()
open(out, 'wb').write(b)
`

// clientSlack is how much longer than its audio a client's run may take:
// its wall time includes its start and exit (up to 0.23 s over measured,
// ffmpeg on the loaded 2-core build machine).
const clientSlack = 750 * time.Millisecond

// writeClip writes the playback clip (noise) to a raw file.
func writeClip(t testing.TB, seed int64) (string, []byte) {
	t.Helper()
	audio := noise(ossClipBytes, seed)
	raw := filepath.Join(t.TempDir(), "clip.raw")
	if err := os.WriteFile(raw, audio, 0o644); err != nil {
		t.Fatal(err)
	}
	return raw, audio
}

// python3's ossaudiodev plays into DIR/dev/dsp bit-exact and in real
// time (writeall blocks at the stream's pace; close drains), and burns
// almost no CPU doing it.
func TestOSSPythonPlaysBitExactInRealTime(t *testing.T) {
	py := needPython(t)
	dir, wavDir := ossMount(t, "silence")
	raw, audio := writeClip(t, 11)
	run := runClient(t, 30*time.Second, py, "-W", "ignore", "-c", pyPlay, dir+"/dev/dsp", raw)
	secs, err := strconv.ParseFloat(strings.TrimSpace(run.out), 64)
	if err != nil {
		t.Fatalf("python output %q", run.out)
	}
	checkRealTime(t, "ossaudiodev writeall+close", time.Duration(secs*float64(time.Second)), ossClipDuration(), 100*time.Millisecond)
	checkPlayedWAV(t, dir, wavDir, audio)
	base := runClient(t, 30*time.Second, py, "-W", "ignore", "-c", pyPlay, "/dev/null", raw)
	reportCPU(t, "python3 ossaudiodev play", run, base, ossClipDuration())
}

// python3's ossaudiodev records the configured tone (--source), then the
// tone the runtime source file switches to.
func TestOSSPythonRecordsTone(t *testing.T) {
	py := needPython(t)
	dir, _ := ossMount(t, "sine:750:0.5")
	out := filepath.Join(t.TempDir(), "rec.raw")
	n := strconv.Itoa(rate * 2) // 1 s
	base := runClient(t, 30*time.Second, py, "-W", "ignore", "-c", pyRecord, "/dev/zero", out, n)
	record := func(what string, hz float64) {
		t.Helper()
		run := runClient(t, 30*time.Second, py, "-W", "ignore", "-c", pyRecord, dir+"/dev/dsp", out, n)
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		checkTone(t, what, b, hz)
		reportCPU(t, what, run, base, time.Second)
	}
	record("ossaudiodev record (--source sine:750)", 750)
	mustCtl(t, sub(dir, 0, 0, true, 0)+"/source", "sine:1250:0.5")
	record("ossaudiodev record (source file sine:1250)", 1250)
}

// sox plays and records with -t oss. Debian's sox 14.4.2 OSS writer can
// segfault at the end of some files (its own bug, OSS-NOTES.md):
// --buffer 4096 avoids it.
func TestOSSSoxPlaysAndRecords(t *testing.T) {
	sox := needClient(t, "sox")
	if out, _ := exec.Command(sox, "--help-format", "oss").CombinedOutput(); !strings.Contains(string(out), "Format: oss") {
		missingClient(t, "sox's OSS handler (Debian: libsox-fmt-oss)")
	}
	dir, wavDir := ossMount(t, "sine:1000:0.5")
	raw, audio := writeClip(t, 12)
	in := []string{"--buffer", "4096", "-t", "raw", "-r", "48000", "-e", "signed", "-b", "16", "-c", "2", raw}
	run := runClient(t, 30*time.Second, sox, append(in, "-t", "oss", dir+"/dev/dsp")...)
	checkRealTime(t, "sox -t oss play", run.wall, ossClipDuration(), clientSlack)
	checkPlayedWAV(t, dir, wavDir, audio)
	base := runClient(t, 30*time.Second, sox, append(in, "-t", "raw", "/dev/null")...)
	reportCPU(t, "sox -t oss play", run, base, ossClipDuration())

	out := filepath.Join(t.TempDir(), "rec.raw")
	recArgs := func(typ, path string) []string {
		return []string{"-t", typ, "-r", "48000", "-c", "1", "-b", "16", "-e", "signed", path, "-t", "raw", out, "trim", "0", "1"}
	}
	base = runClient(t, 30*time.Second, sox, recArgs("raw", "/dev/zero")...)
	rec := runClient(t, 30*time.Second, sox, recArgs("oss", dir+"/dev/dsp")...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkTone(t, "sox -t oss record", b, 1000)
	reportCPU(t, "sox -t oss record", rec, base, time.Second)
}

// ffmpeg plays and records with -f oss (4 KiB writes; a non-blocking
// capture that asks GETISPACE before every read).
func TestOSSFFmpegPlaysAndRecords(t *testing.T) {
	ff := needClient(t, "ffmpeg")
	dir, wavDir := ossMount(t, "sine:500:0.5")
	raw, audio := writeClip(t, 13)
	in := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-f", "s16le", "-ar", "48000", "-ac", "2", "-i", raw}
	run := runClient(t, 30*time.Second, ff, append(in, "-f", "oss", dir+"/dev/dsp")...)
	checkRealTime(t, "ffmpeg -f oss play", run.wall, ossClipDuration(), clientSlack)
	checkPlayedWAV(t, dir, wavDir, audio)
	base := runClient(t, 30*time.Second, ff, append(in, "-f", "s16le", "-y", "/dev/null")...)
	reportCPU(t, "ffmpeg -f oss play", run, base, ossClipDuration())

	out := filepath.Join(t.TempDir(), "rec.raw")
	recArgs := func(input ...string) []string {
		return append(append([]string{"-nostdin", "-hide_banner", "-loglevel", "error"}, input...),
			"-t", "1", "-f", "s16le", "-y", out)
	}
	base = runClient(t, 30*time.Second, ff, recArgs("-f", "s16le", "-ar", "48000", "-ac", "1", "-i", "/dev/zero")...)
	rec := runClient(t, 30*time.Second, ff, recArgs("-f", "oss", "-sample_rate", "48000", "-channels", "1", "-i", dir+"/dev/dsp")...)
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	checkTone(t, "ffmpeg -f oss record", b, 500)
	reportCPU(t, "ffmpeg -f oss record", rec, base, time.Second)
}

// A client killed (SIGKILL) in the middle of a blocking write frees the
// device: while it plays a second opener gets EBUSY (one substream), and
// after the kill a new open succeeds within a deadline.
func TestOSSKilledWriterFreesDevice(t *testing.T) {
	py := needPython(t)
	dir, _ := ossMount(t, "silence")
	raw := filepath.Join(t.TempDir(), "long.raw")
	if err := os.WriteFile(raw, noise(10*bytesPerS, 14), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import ossaudiodev, sys
dev = ossaudiodev.open(sys.argv[1], 'w')
dev.setparameters(ossaudiodev.AFMT_S16_LE, 2, 48000, True)
print('playing', flush=True)
dev.writeall(open(sys.argv[2], 'rb').read())
`
	cmd := exec.Command(py, "-W", "ignore", "-c", script, dir+"/dev/dsp", raw)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	line, _ := bufio.NewReader(stdout).ReadString('\n')
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	if line != "playing\n" {
		t.Fatalf("client said %q", line)
	}
	status := sub(dir, 0, 0, false, 0) + "/status"
	waitFor(t, "the client's stream to run", 10*time.Second, func() bool {
		return strings.Contains(readText(t, status), "RUNNING")
	})
	if f, err := openData(dir+"/dev/dsp", os.O_WRONLY); err == nil {
		f.Close()
		t.Fatal("a second open while the client plays succeeded, want EBUSY")
	} else if errnoOf(err) != syscall.EBUSY {
		t.Fatalf("second open: %v, want EBUSY", err)
	}

	killed := time.Now()
	cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-exited:
		exited <- nil // for the deferred wait
	case <-time.After(10 * time.Second):
		t.Fatal("the killed client did not exit within 10 s (stuck in the FUSE write?)")
	}
	exitIn := time.Since(killed)
	var f *os.File
	waitFor(t, "the device to be free after the kill", 5*time.Second, func() bool {
		f, err = openData(dir+"/dev/dsp", os.O_WRONLY)
		return err == nil
	})
	t.Logf("SIGKILL: client gone after %v, device open again after %v", exitIn.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	f.Close()
}

// The OSS mixer is the card's mixer: ossaudiodev's mixer sees its
// channels and a level set is read back.
func TestOSSPythonMixer(t *testing.T) {
	py := needPython(t)
	dir, _ := ossMount(t, "silence")
	script := `
import ossaudiodev, sys
m = ossaudiodev.openmixer(sys.argv[1])
mask = m.controls()
assert mask & (1 << ossaudiodev.SOUND_MIXER_VOLUME), mask
m.set(ossaudiodev.SOUND_MIXER_VOLUME, (40, 60))
print(mask, *m.get(ossaudiodev.SOUND_MIXER_VOLUME))
m.set(ossaudiodev.SOUND_MIXER_VOLUME, (100, 100))
m.close()
`
	run := runClient(t, 30*time.Second, py, "-W", "ignore", "-c", script, dir+"/dev/mixer")
	var mask, l, r int
	if _, err := fmt.Sscan(run.out, &mask, &l, &r); err != nil {
		t.Fatalf("mixer output %q: %v", run.out, err)
	}
	t.Logf("mixer: devmask %#x, volume set to 40/60 reads %d/%d", mask, l, r)
	if abs(l-40) > 1 || abs(r-60) > 1 {
		t.Errorf("volume reads %d/%d after setting 40/60", l, r)
	}
}
