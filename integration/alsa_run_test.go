package integration

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/vsnd/vsnd/fusefs"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/endpoint"
)

// hostDevState is what `vsnd run` must leave as it found it on the host:
// whether /dev/snd and the OSS nodes exist, and the mounts on /dev.
func hostDevState(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, p := range []string{"/dev/snd", "/dev/dsp", "/dev/mixer"} {
		_, err := os.Lstat(p)
		b.WriteString(p + "=" + boolWord(err == nil) + " ")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], "/dev") {
			b.WriteString(f[4] + " ")
		}
	}
	return b.String()
}

func boolWord(v bool) string {
	if v {
		return "yes"
	}
	return "no"
}

// vsnd run gives the program the mount's nodes as /dev/snd (and keeps the
// rest of /dev working), passes the exit status on (128+N for a signal),
// and leaves nothing on the host's /dev.
func TestVsndRunNamespace(t *testing.T) {
	requireALSA(t)
	before := hostDevState(t)
	_, dir := testMount(t, fusefs.Config{})
	out, _ := mustRun(t, dir, "sh", "-c",
		"test -f /dev/snd/controlC0 && test -f /dev/snd/pcmC0D0p && echo ok > /dev/null && head -c 4 /dev/zero | wc -c && ls /dev/snd")
	if !strings.Contains(out, "4") || !strings.Contains(out, "controlC0") {
		t.Fatalf("inside the namespace:\n%s", out)
	}
	for _, c := range []struct {
		script string
		want   int
	}{{"exit 7", 7}, {"kill -TERM $$", 128 + 15}, {"kill -KILL $$", 128 + 9}} {
		_, _, err := vsndRun(t, dir, "sh", "-c", c.script)
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != c.want {
			t.Errorf("vsnd run sh -c %q: %v, want exit status %d", c.script, err, c.want)
		}
	}
	if _, _, err := vsndRun(t, dir, "no-such-program-vsnd"); err == nil {
		t.Errorf("a missing program ran")
	}
	if after := hostDevState(t); after != before {
		t.Fatalf("host /dev changed:\nbefore %s\nafter  %s", before, after)
	}
}

// Without --mount, vsnd run mounts a card built from its flags for the
// program's lifetime, and unmounts it afterwards.
func TestVsndRunMountsItsOwnCard(t *testing.T) {
	requireALSA(t)
	before := hostDevState(t)
	wavDir := t.TempDir()
	path, want := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 12000, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, vsndBin, "run", "--cards", "2", "--sink", "wav:"+wavDir+"/", "--",
		"sh", "-c", "aplay -l && aplay -q -D hw:1,0 "+path).CombinedOutput()
	if err != nil {
		t.Fatalf("vsnd run: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "card 1: vsnd_1") {
		t.Fatalf("aplay -l in vsnd run --cards 2:\n%s", out)
	}
	// The WAV is complete when vsnd run returns: Unmount closed the sink.
	files := wavFiles(t, wavDir)
	if len(files) != 1 || !strings.Contains(files[0], "card1-pcm0p-sub0") {
		t.Fatalf("sink files %v", files)
	}
	if got := readWAV(t, files[0]).data; len(got) < len(want) || sameBytes(got[:len(want)], want) != nil {
		t.Fatalf("card 1 sink: %d bytes, not the %d played", len(got), len(want))
	}
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(mi), "vsnd-run-") {
		t.Fatalf("vsnd run left its mount:\n%s", mi)
	}
	if after := hostDevState(t); after != before {
		t.Fatalf("host /dev changed:\nbefore %s\nafter  %s", before, after)
	}
}

// amixer lists, sets and reads the card's controls; PCM at -6 dB halves
// what reaches the sink.
func TestALSAAmixerGain(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{})
	out, _ := mustRun(t, dir, "amixer", "-c", "0", "scontrols")
	for _, c := range []string{"'Master',0", "'PCM',0", "'Capture',0"} {
		if !strings.Contains(out, c) {
			t.Fatalf("amixer scontrols lacks %s:\n%s", c, out)
		}
	}
	out, _ = mustRun(t, dir, "amixer", "-c", "0", "sset", "PCM", "88")
	if !strings.Contains(out, "Playback 88 [88%] [-6.00dB]") {
		t.Fatalf("amixer sset PCM 88:\n%s", out)
	}
	out, _ = mustRun(t, dir, "amixer", "-c", "0", "sget", "PCM")
	if !strings.Contains(out, "Playback 88 [88%] [-6.00dB]") {
		t.Fatalf("amixer sget PCM after the set:\n%s", out)
	}
	out, _ = mustRun(t, dir, "amixer", "-c", "0", "cget", "name=PCM Playback Volume")
	if !strings.Contains(out, ": values=88,88") {
		t.Fatalf("amixer cget:\n%s", out)
	}

	// A full-scale tone through -6 dB: every sample is the original
	// times 10^(-6/20) = 0.501.
	frames := 24000
	data := make([]byte, frames*4)
	for i := 0; i < frames; i++ {
		v := int16(30000 * math.Sin(2*math.Pi*440*float64(i)/48000))
		binary.LittleEndian.PutUint16(data[4*i:], uint16(v))
		binary.LittleEndian.PutUint16(data[4*i+2:], uint16(v))
	}
	path := writeWAVData(t, pcm.FormatS16LE, 2, 48000, data)
	mustRun(t, dir, "aplay", "-q", "-D", "hw:0,0", path)
	released(t, srv, 0, pcm.Playback)
	_, got := lastWAV(t, wavDir)
	if len(got) < len(data) {
		t.Fatalf("sink got %d bytes, want %d", len(got), len(data))
	}
	g := math.Pow(10, -6.0/20)
	for k := 0; k < len(data)/2; k++ {
		in := float64(int16(binary.LittleEndian.Uint16(data[2*k:])))
		s := float64(int16(binary.LittleEndian.Uint16(got[2*k:])))
		if math.Abs(s-in*g) > 2 {
			t.Fatalf("sample %d: %v through -6 dB came out %v, want %.1f", k, in, s, in*g)
		}
	}
}

// SIGINT to `vsnd run aplay` (passed on to aplay, blocked in WRITEI)
// ends aplay at once, and the device is free for the next aplay.
func TestALSASigintEndsAplay(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{})
	long, _ := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 48000*10, 4)
	cmd := exec.Command(vsndBin, "run", "--mount", dir, "--", "aplay", "-q", "-D", "hw:0,0", long)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	sub := srv.Cards()[0].Devices[0].Substream(pcm.Playback, 0)
	// aplay is inside a blocking WRITEI once a period has played and it
	// has written the room back: less than a period is free.
	waitFor(t, "aplay to refill the buffer after a period", 10*time.Second, func() bool {
		cfg, ok := sub.Config()
		st, err := sub.Status()
		return ok && err == nil && st.State == pcm.StateRunning &&
			st.HWPtr >= uint64(cfg.PeriodSize) && st.Avail < uint64(cfg.PeriodSize)
	})
	start := time.Now()
	cmd.Process.Signal(syscall.SIGINT)
	var err error
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("aplay still running 10 s after SIGINT\n%s", out.String())
	}
	el := time.Since(start)
	t.Logf("aplay ended %v after SIGINT (%v)", el.Round(time.Millisecond), err)
	if el > time.Second {
		t.Errorf("aplay took %v to end after SIGINT, want < 1 s", el)
	}
	released(t, srv, 0, pcm.Playback)
	short, want := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 12000, 5)
	mustRun(t, dir, "aplay", "-q", "-D", "hw:0,0", short)
	released(t, srv, 0, pcm.Playback)
	if _, got := lastWAV(t, wavDir); len(got) < len(want) || sameBytes(got[:len(want)], want) != nil {
		t.Fatalf("the next aplay: sink got %d bytes, not the %d played", len(got), len(want))
	}
}

// A client issuing random ioctl numbers and sizes on the nodes gets
// errors, never brings the daemon down, and aplay plays bit-exactly on
// another device meanwhile.
func TestALSARandomIoctlsKeepServing(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{Devices: 2})
	var fds []int
	for _, n := range []string{"controlC0", "pcmC0D1p", "pcmC0D1c"} {
		fd, err := syscall.Open(filepath.Join(dir, "dev", "snd", n), syscall.O_RDWR|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err != nil {
			t.Fatalf("open %s: %v", n, err)
		}
		fds = append(fds, fd)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var calls, fails int
	wg.Add(1)
	go func() {
		defer wg.Done()
		r := rand.New(rand.NewSource(1))
		buf := make([]byte, 1<<16)
		// Types the VFS answers itself for regular files (FIFREEZE,
		// FICLONE, FS_IOC_*, tty FIO*) are left out: they are not the
		// daemon's.
		types := []uint32{'A', 'A', 'U', 'U', 'W', 'H', 'C'}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			r.Read(buf[:512])
			dirBits := uint32(r.Intn(4))
			size := uint32(r.Intn(1 << 14))
			if r.Intn(2) == 0 {
				size = uint32(r.Intn(1024))
			}
			cmd := dirBits<<30 | size<<16 | types[r.Intn(len(types))]<<8 | uint32(r.Intn(256))
			_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fds[r.Intn(len(fds))]), uintptr(cmd), uintptr(unsafe.Pointer(&buf[0])))
			calls++
			if e != 0 {
				fails++
			}
			if i > 20000 {
				return
			}
		}
	}()
	path, want := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 24000, 6)
	mustRun(t, dir, "aplay", "-q", "-D", "hw:0,0", path)
	close(stop)
	wg.Wait()
	for _, fd := range fds {
		syscall.Close(fd)
	}
	t.Logf("%d random ioctls, %d failed", calls, fails)
	if calls == 0 || fails < calls*9/10 {
		t.Errorf("%d of %d random ioctls failed: want nearly all", fails, calls)
	}
	released(t, srv, 0, pcm.Playback)
	if _, got := lastWAV(t, wavDir); len(got) < len(want) || sameBytes(got[:len(want)], want) != nil {
		t.Fatalf("aplay beside the random client: sink got %d bytes, not the %d played", len(got), len(want))
	}
	if out, _ := mustRun(t, dir, "aplay", "-l"); !strings.Contains(out, "device 1:") {
		t.Fatalf("aplay -l after the random client:\n%s", out)
	}
}

// Poll-driven clients (aplay -M, aplay -N, arecord -N) find poll(2)
// always ready (go-fuse does not answer FUSE poll); the face answers
// their back-to-back HWSYNCs and EAGAINs at the stream's pace, so a second
// of audio costs them tens of requests per period instead of thousands
// (about 3,000 HWSYNC/s before). The request counts are asserted, the CPU
// logged.
func TestALSAPollClientsDoNotSpin(t *testing.T) {
	srv, dir, _ := alsaMount(t, fusefs.Config{Source: "sine:1000"})
	path, _ := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 48000, 7)
	rec := filepath.Join(t.TempDir(), "rec.wav")
	for _, argv := range [][]string{
		{"aplay", "-q", "-M", "-D", "hw:0,0", path},
		{"aplay", "-q", "-N", "-D", "hw:0,0", path},
		{"aplay", "-q", "-M", "-D", "plughw:0,0", path},
		{"arecord", "-q", "-N", "-D", "hw:0,0", "-f", "S16_LE", "-r", "48000", "-c", "2", "-d", "1", rec},
		{"arecord", "-q", "-M", "-D", "hw:0,0", "-f", "S16_LE", "-r", "48000", "-c", "2", "-d", "1", rec},
	} {
		before := srv.ALSAStats()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, vsndBin, append([]string{"run", "--mount", dir, "--"}, argv...)...)
		start := time.Now()
		out, err := cmd.CombinedOutput()
		el := time.Since(start)
		cancel()
		if err != nil {
			t.Fatalf("%v: %v\n%s", argv, err, out)
		}
		after := srv.ALSAStats()
		cpu := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		ioctls, syncs, waits := after.Ioctls-before.Ioctls, after.Syncs-before.Syncs, after.SpinWaits-before.SpinWaits
		t.Logf("%s: 1 s of audio in %v: %d ioctls (%d hwsync), %d delayed as spins; client CPU %v",
			strings.Join(argv[:4], " "), el.Round(time.Millisecond), ioctls, syncs, waits, cpu.Round(time.Millisecond))
		// Paced, a second costs tens of requests per period; a
		// spinning client that was never paced makes thousands (on a
		// loaded machine its round trips may be too slow to make a
		// streak: then it also makes fewer).
		if ioctls > 1500 && waits == 0 {
			t.Errorf("%v: %d ioctls for 1 s of audio and none paced: the client spins", argv, ioctls)
		}
		released(t, srv, 0, pcm.Playback)
	}
}

// The container case: a client in its own pid namespace (FUSE reports its
// pid as the daemon's namespace sees it) plays bit-exactly, with MMAP
// access, and records.
func TestALSAFromChildPidNamespace(t *testing.T) {
	srv, dir, wavDir := alsaMount(t, fusefs.Config{Source: "sine:1000"})
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("no unshare(1)")
	}
	path, want := writeTestWAV(t, pcm.FormatS32LE, 2, 48000, 24000, 8)
	rec := filepath.Join(t.TempDir(), "rec.wav")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "unshare", "--pid", "--fork", "--mount-proc", vsndBin, "run", "--mount", dir, "--",
		"sh", "-c", "echo pid $$; aplay -q -M -D hw:0,0 "+path+" && arecord -q -D hw:0,0 -d 1 -f S16_LE -r 48000 -c 2 "+rec).CombinedOutput()
	if err != nil {
		t.Fatalf("in a child pid namespace: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	released(t, srv, 0, pcm.Playback)
	if _, got := lastWAV(t, wavDir); len(got) < len(want) || sameBytes(got[:len(want)], want) != nil {
		t.Fatalf("sink got %d bytes, not the %d played", len(got), len(want))
	}
	info, data, err := endpoint.ReadWAVFile(rec, 0)
	if err != nil || info.Frames != 48000 {
		t.Fatalf("recording: %v, %d frames", err, info.Frames)
	}
	if f := toneFrequency(data, 2, 48000); math.Abs(f-1000) > 10 {
		t.Fatalf("recorded tone at %.1f Hz", f)
	}
}

// A device with two playback substreams: two aplays play at once, each
// bit-exact into its own substream's sink. Its node has no mmap (go-fuse
// passes one file per node through), so MMAP access is not offered:
// aplay -M on hw says so, and plughw emulates it over read/write.
func TestALSATwoSubstreamsNoMMap(t *testing.T) {
	one := 1
	_, dir, wavDir := alsaMount(t, fusefs.Config{Playback: intp(2), Capture: &one})
	a, wantA := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 24000, 9)
	b, wantB := writeTestWAV(t, pcm.FormatS16LE, 2, 48000, 24000, 10)
	out, el := mustRun(t, dir, "sh", "-c", "aplay -q -D hw:0,0 "+a+" & aplay -q -D hw:0,0 "+b+"; wait")
	t.Logf("two aplays at once: %v %s", el.Round(time.Millisecond), out)
	got := map[string][]byte{}
	waitFor(t, "both sinks to be complete", 5*time.Second, func() bool {
		for _, s := range []string{"sub0", "sub1"} {
			f, _ := filepath.Glob(filepath.Join(wavDir, "card0-pcm0p-"+s+"-*.wav"))
			if len(f) != 1 {
				return false
			}
			_, data, err := endpoint.ReadWAVFile(f[0], 0)
			if err != nil || len(data) < len(wantA) {
				return false
			}
			got[s] = data[:len(wantA)]
		}
		return true
	})
	if !(sameBytes(got["sub0"], wantA) == nil && sameBytes(got["sub1"], wantB) == nil) &&
		!(sameBytes(got["sub0"], wantB) == nil && sameBytes(got["sub1"], wantA) == nil) {
		t.Fatalf("the two substreams' sinks do not hold the two files")
	}
	out, _, err := vsndRun(t, dir, "aplay", "-q", "-M", "-D", "hw:0,0", a)
	if err == nil || !strings.Contains(out, "Access type not available") {
		t.Fatalf("aplay -M on a node without mmap: %v\n%s", err, out)
	}
	mustRun(t, dir, "aplay", "-q", "-M", "-D", "plughw:0,0", a)
}
