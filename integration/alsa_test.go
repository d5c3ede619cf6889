package integration

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/endpoint"
)

// The ALSA face, driven by unmodified alsa-utils through `vsnd run
// --mount DIR -- PROGRAM`: the programs see the in-process mount's
// dev/snd as /dev/snd in a private mount namespace, so the daemon side
// runs under the race detector.

// requireALSA skips the test without alsa-utils (fails in CI, whose
// .ci/packages installs them) and without FUSE (requireFuse).
func requireALSA(t testing.TB) {
	t.Helper()
	requireFuse(t)
	for _, p := range []string{"aplay", "arecord", "amixer", "speaker-test"} {
		if _, err := exec.LookPath(p); err != nil {
			if fuseRequired() {
				t.Fatalf("%s is missing (apt-get install alsa-utils; .ci/packages lists it)", p)
			}
			t.Skipf("%s is missing: apt-get install alsa-utils", p)
		}
	}
}

// alsaMount mounts cfg with every playback stream recording into a WAV
// directory, which it returns with the server and the mount point.
func alsaMount(t testing.TB, cfg fusefs.Config) (*fusefs.Server, string, string) {
	t.Helper()
	requireALSA(t)
	wavDir := t.TempDir()
	if cfg.Sink == "" {
		cfg.Sink = "wav:" + wavDir + "/"
	}
	srv, dir := testMount(t, cfg)
	return srv, dir, wavDir
}

// vsndRun runs `vsnd run --mount dir -- argv...` and returns its combined
// output, the time it took and its error. A run that takes more than 30 s
// is killed, after the state of its processes (kernel stacks: which FUSE
// request they wait for) and of the mount's substreams is logged.
func vsndRun(t testing.TB, dir string, argv ...string) (string, time.Duration, error) {
	t.Helper()
	cmd := exec.Command(vsndBin, append([]string{"run", "--mount", dir, "--"}, argv...)...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return "", 0, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Logf("vsnd run %v hangs:\n%s", argv, hangReport(cmd.Process.Pid, dir))
		cmd.Process.Kill()
		err = <-done
	}
	el := time.Since(start)
	if err != nil && !fusefs.IsMounted(dir) {
		t.Logf("the mount on %s is gone", dir)
	}
	return out.String(), el, err
}

// hangReport describes a hanging run: the kernel stacks of the process
// and its children, and every substream's status.
func hangReport(pid int, dir string) string {
	var b strings.Builder
	pids := []string{strconv.Itoa(pid)}
	if kids, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid)); err == nil {
		pids = append(pids, strings.Fields(string(kids))...)
	}
	for _, p := range pids {
		comm, _ := os.ReadFile("/proc/" + p + "/comm")
		tasks, _ := filepath.Glob("/proc/" + p + "/task/*")
		for _, task := range tasks {
			st, _ := os.ReadFile(task + "/stack")
			fmt.Fprintf(&b, "%s %s:\n%s", strings.TrimSpace(string(comm)), task, st)
		}
	}
	stats, _ := filepath.Glob(filepath.Join(dir, "card*", "pcm*", "sub*", "status"))
	for _, s := range stats {
		text, _ := os.ReadFile(s)
		fmt.Fprintf(&b, "%s:\n%s", s, text)
	}
	return b.String()
}

// mustRun is vsndRun that fails the test on a non-zero exit.
func mustRun(t testing.TB, dir string, argv ...string) (string, time.Duration) {
	t.Helper()
	out, el, err := vsndRun(t, dir, argv...)
	if err != nil {
		t.Fatalf("vsnd run %v: %v\n%s", argv, err, out)
	}
	return out, el
}

// released waits until no face holds card 0 device dev's stream st
// (FUSE sends RELEASE after the program has exited).
func released(t testing.TB, srv *fusefs.Server, dev int, st pcm.Stream) {
	t.Helper()
	d := srv.Cards()[0].Devices[dev]
	waitFor(t, "the substream to be released", 5*time.Second, func() bool { return !d.Attached(st, 0) })
}

// writeTestWAV writes frames of reproducible random audio in format f as
// a WAV file and returns its path and the sample bytes.
func writeTestWAV(t testing.TB, f pcm.Format, ch, rate, frames int, seed int64) (string, []byte) {
	t.Helper()
	n := frames * ch * f.Bytes()
	data := make([]byte, n)
	r := rand.New(rand.NewSource(seed))
	if f == pcm.FormatFloatLE {
		for i := 0; i < n; i += 4 {
			binary.LittleEndian.PutUint32(data[i:], math.Float32bits(float32(r.Float64()*1.8-0.9)))
		}
	} else {
		r.Read(data)
	}
	return writeWAVData(t, f, ch, rate, data), data
}

func writeWAVData(t testing.TB, f pcm.Format, ch, rate int, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), strings.ToLower(f.String())+".wav")
	file, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := endpoint.NewWAVWriter(file, f, ch, rate, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := file.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// lastWAV reads the newest file card 0 device 0 playback wrote into a WAV
// sink directory.
func lastWAV(t testing.TB, wavDir string) (endpoint.WAVInfo, []byte) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(wavDir, "card0-pcm0p-sub0-*.wav"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("the sink wrote no file in %s", wavDir)
	}
	info, data, err := endpoint.ReadWAVFile(files[len(files)-1], 0)
	if err != nil {
		t.Fatal(err)
	}
	return info, data
}

// isSilence reports whether b is the format's silence (0x80 for U8, zero
// bytes for the signed and float formats).
func isSilence(b []byte, f pcm.Format) bool {
	z := byte(0)
	if f == pcm.FormatU8 {
		z = 0x80
	}
	for _, x := range b {
		if x != z {
			return false
		}
	}
	return true
}

// checkALSAPace logs the ratio of a program's run time to its audio and
// fails only outside generous bounds: faster than the audio (not paced)
// or more than 1 s slower (the box is shared; process start, the
// namespace of vsnd run and the drain add to it: up to 0.27 s measured
// for 0.5 s clips on the loaded 2-core build machine).
func checkALSAPace(t testing.TB, what string, elapsed, audio time.Duration) {
	t.Helper()
	ratio := float64(elapsed) / float64(audio)
	t.Logf("%s: %v of audio took %v (ratio %.3f)", what, audio, elapsed.Round(time.Millisecond), ratio)
	if ratio < 0.9 || elapsed > audio+time.Second {
		t.Errorf("%s: %v of audio took %v: not real time", what, audio, elapsed)
	}
}

// aplay -l and arecord -l list every configured card and device.
func TestALSAListsCardsAndDevices(t *testing.T) {
	cfg := fusefs.Config{Cards: 2, Devices: 2}
	_, dir, _ := alsaMount(t, cfg)
	for _, prog := range []string{"aplay", "arecord"} {
		out, _ := mustRun(t, dir, prog, "-l")
		for _, want := range []string{
			"card 0: vsnd [Virtual Sound Card], device 0:",
			"card 0: vsnd [Virtual Sound Card], device 1:",
			"card 1: vsnd_1 [Virtual Sound Card], device 0:",
			"card 1: vsnd_1 [Virtual Sound Card], device 1:",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s -l lacks %q:\n%s", prog, want, out)
			}
		}
	}
}

// aplay plays S16_LE, S32_LE, FLOAT_LE and U8 files to hw:0,0, plughw:0,0
// and default, with read/write and mmap (-M) access: the card offers each
// format natively, so the sink's samples are the file's, bit for bit, and
// the run takes the audio's time.
func TestALSAAplayFormatsBitExact(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{})
	clips := []struct {
		f        pcm.Format
		ch, rate int
	}{
		{pcm.FormatS16LE, 2, 48000},
		{pcm.FormatS32LE, 2, 48000},
		{pcm.FormatFloatLE, 1, 44100},
		{pcm.FormatU8, 2, 22050},
	}
	for i, c := range clips {
		frames := c.rate / 2
		path, want := writeTestWAV(t, c.f, c.ch, c.rate, frames, int64(i))
		for _, dev := range []string{"hw:0,0", "plughw:0,0", "default"} {
			for _, mode := range []string{"rw", "mmap"} {
				name := c.f.String() + "/" + dev + "/" + mode
				t.Run(name, func(t *testing.T) {
					argv := []string{"aplay", "-q", "-D", dev, path}
					if mode == "mmap" {
						argv = []string{"aplay", "-q", "-M", "-D", dev, path}
					}
					_, el := mustRun(t, dir, argv...)
					released(t, srv, 0, pcm.Playback)
					info, got := lastWAV(t, wavDir)
					if info.Format != c.f || info.Channels != c.ch || info.Rate != c.rate {
						t.Fatalf("sink format %v %d ch %d Hz, want %v %d ch %d Hz", info.Format, info.Channels, info.Rate, c.f, c.ch, c.rate)
					}
					// aplay fills its last period with silence.
					if len(got) < len(want) {
						t.Fatalf("sink got %d bytes, the file has %d", len(got), len(want))
					}
					if err := sameBytes(got[:len(want)], want); err != nil {
						t.Fatalf("sink samples differ from the file's: %v", err)
					}
					if tail := got[len(want):]; !isSilence(tail, c.f) || len(tail) > len(want)/2 {
						t.Fatalf("after the file's samples the sink got %d more bytes, not all silence", len(tail))
					}
					// The pace is that of what played, the padding included.
					checkALSAPace(t, name, el, time.Duration(info.Frames)*time.Second/time.Duration(c.rate))
				})
			}
		}
	}
}

// plughw and default convert for a card that offers only S16_LE: alsa-lib's
// plug plugin needs mmap access on its slave (FUSE passthrough). U8 and
// S32 convert exactly (shifts), FLOAT to within a step.
func TestALSAPlugConverts(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{Hardware: &fusefs.HardwareConfig{Formats: []string{"S16_LE"}}})
	for i, f := range []pcm.Format{pcm.FormatU8, pcm.FormatS32LE, pcm.FormatFloatLE} {
		path, src := writeTestWAV(t, f, 2, 48000, 24000, int64(10+i))
		for _, dev := range []string{"plughw:0,0", "default"} {
			t.Run(f.String()+"/"+dev, func(t *testing.T) {
				mustRun(t, dir, "aplay", "-q", "-D", dev, path)
				released(t, srv, 0, pcm.Playback)
				info, got := lastWAV(t, wavDir)
				n := len(src) / f.Bytes() // samples
				if info.Format != pcm.FormatS16LE || len(got) < 2*n {
					t.Fatalf("sink %v with %d bytes, want S16_LE with %d", info.Format, len(got), 2*n)
				}
				bad := 0
				for k := 0; k < n; k++ {
					s := int(int16(binary.LittleEndian.Uint16(got[2*k:])))
					var want float64
					tol := 0.0
					switch f {
					case pcm.FormatU8:
						want = float64((int(src[k]) - 128) << 8)
					case pcm.FormatS32LE:
						want = float64(int32(binary.LittleEndian.Uint32(src[4*k:])) >> 16)
					case pcm.FormatFloatLE:
						want = float64(math.Float32frombits(binary.LittleEndian.Uint32(src[4*k:]))) * 32768
						tol = 1.5
					}
					if math.Abs(float64(s)-want) > tol {
						if bad++; bad < 5 {
							t.Errorf("sample %d: %d, want %.1f", k, s, want)
						}
					}
				}
				if bad > 0 {
					t.Fatalf("%d of %d samples wrong", bad, n)
				}
			})
		}
	}
}

// arecord (read/write and mmap) records the configured tone: the right
// number of frames, at 1000 Hz.
func TestALSAArecordTone(t *testing.T) {
	_, dir, _ := alsaMount(t, fusefs.Config{Source: "sine:1000"})
	for _, c := range []struct{ dev, mode string }{{"hw:0,0", "rw"}, {"hw:0,0", "mmap"}, {"plughw:0,0", "mmap"}, {"default", "rw"}} {
		t.Run(c.dev+"/"+c.mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "rec.wav")
			argv := []string{"arecord", "-q", "-D", c.dev, "-f", "S16_LE", "-r", "48000", "-c", "2", "-d", "1"}
			if c.mode == "mmap" {
				argv = append(argv, "-M")
			}
			_, el := mustRun(t, dir, append(argv, out)...)
			info, data, err := endpoint.ReadWAVFile(out, 0)
			if err != nil {
				t.Fatal(err)
			}
			if info.Frames != 48000 || info.Channels != 2 || info.Format != pcm.FormatS16LE {
				t.Fatalf("recorded %d frames of %v x%d, want 48000 of S16_LE x2", info.Frames, info.Format, info.Channels)
			}
			freq := toneFrequency(data, 2, 48000)
			t.Logf("%s: 1 s recorded in %v, tone %.1f Hz", c.dev, el.Round(time.Millisecond), freq)
			if math.Abs(freq-1000) > 10 {
				t.Fatalf("tone at %.1f Hz, want 1000", freq)
			}
			checkALSAPace(t, c.dev+"/"+c.mode, el, time.Second)
		})
	}
}

// toneFrequency counts the rising zero crossings of channel 0 of S16_LE
// frames.
func toneFrequency(data []byte, ch, rate int) float64 {
	n := len(data) / (2 * ch)
	cross, prev := 0, 0
	for i := 0; i < n; i++ {
		s := int(int16(binary.LittleEndian.Uint16(data[2*ch*i:])))
		if i > 0 && prev < 0 && s >= 0 {
			cross++
		}
		prev = s
	}
	return float64(cross) * float64(rate) / float64(n)
}

// speaker-test plays one loop over two channels and exits 0; the sink
// gets sound on both.
func TestALSASpeakerTest(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{})
	out, el := mustRun(t, dir, "speaker-test", "-c", "2", "-l", "1", "-b", "100000", "-p", "25000")
	t.Logf("speaker-test took %v\n%s", el.Round(time.Millisecond), lastLines(out, 4))
	released(t, srv, 0, pcm.Playback)
	info, data := lastWAV(t, wavDir)
	if info.Channels != 2 || len(data) == 0 {
		t.Fatalf("sink got %d bytes of %d channels", len(data), info.Channels)
	}
	var peak [2]float64
	fb := info.Format.Bytes()
	for off := 0; off+2*fb <= len(data); off += 2 * fb {
		for c := 0; c < 2; c++ {
			peak[c] = max(peak[c], math.Abs(sampleAt(data[off+c*fb:], info.Format)))
		}
	}
	if peak[0] < 0.01 || peak[1] < 0.01 {
		t.Fatalf("peaks %v: a channel stayed silent", peak)
	}
}

// sampleAt decodes one sample as a fraction of full scale.
func sampleAt(b []byte, f pcm.Format) float64 {
	switch f {
	case pcm.FormatS16LE:
		return float64(int16(binary.LittleEndian.Uint16(b))) / 32768
	case pcm.FormatS32LE:
		return float64(int32(binary.LittleEndian.Uint32(b))) / (1 << 31)
	case pcm.FormatFloatLE:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case pcm.FormatU8:
		return float64(int(b[0])-128) / 128
	}
	return 0
}
