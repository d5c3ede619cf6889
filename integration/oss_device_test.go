package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vsnd/vsnd/fusefs"
	"github.com/vsnd/vsnd/fusefs/oss"
)

// The dsp and mixer nodes' file semantics through real system calls: the
// restricted FUSE ioctls, O_NONBLOCK as it is now (fcntl, never
// forwarded) and SNDCTL_DSP_NONBLOCK, EBUSY, signals, O_TRUNC.

func ossOpen(t testing.TB, path string, flags int) int {
	t.Helper()
	fd, err := syscall.Open(path, flags|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return fd
}

// ossIoctl issues a request whose argument is a buffer (nil: none).
func ossIoctl(fd int, cmd oss.Ioctl, arg []byte) syscall.Errno {
	var p uintptr
	if len(arg) > 0 {
		p = uintptr(unsafe.Pointer(&arg[0]))
	}
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), uintptr(cmd), p)
	return e
}

func ossIoctlInt(t testing.TB, fd int, cmd oss.Ioctl, v int32) int32 {
	t.Helper()
	b := oss.EncodeInt(v)
	if e := ossIoctl(fd, cmd, b); e != 0 {
		t.Fatalf("ioctl %s(%d): %v", cmd, v, e)
	}
	r, _ := oss.DecodeInt(b)
	return r
}

// ossSetup48k sets S16_LE, channels, 48 kHz and checks the answers.
func ossSetup48k(t testing.TB, fd int, channels int32) {
	t.Helper()
	if got := ossIoctlInt(t, fd, oss.SNDCTL_DSP_SETFMT, oss.AFMT_S16_LE); got != oss.AFMT_S16_LE {
		t.Fatalf("SETFMT answered %#x", got)
	}
	if got := ossIoctlInt(t, fd, oss.SNDCTL_DSP_CHANNELS, channels); got != channels {
		t.Fatalf("CHANNELS answered %d", got)
	}
	if got := ossIoctlInt(t, fd, oss.SNDCTL_DSP_SPEED, rate); got != rate {
		t.Fatalf("SPEED answered %d", got)
	}
}

func ossSetNonblock(t testing.TB, fd int, on bool) {
	t.Helper()
	if err := syscall.SetNonblock(fd, on); err != nil {
		t.Fatal(err)
	}
}

// writeNonblocking makes ten writes of buf (much larger than the buffer)
// and returns the bytes accepted. None may accept all of buf (a blocking
// write would); each takes what fits now, EAGAIN if nothing. While the
// stream plays, room appears frame by frame, so later writes take the few
// frames played since (as the kernel's direct OSS writes do).
func writeNonblocking(t testing.TB, fd int, buf []byte) int {
	t.Helper()
	total := 0
	for range 10 {
		n, err := syscall.Write(fd, buf)
		if err == syscall.EAGAIN {
			continue
		}
		if err != nil {
			t.Fatalf("non-blocking write: %v", err)
		}
		if n >= len(buf) {
			t.Fatalf("non-blocking write of %d bytes accepted all of it", len(buf))
		}
		total += n
	}
	return total
}

// Playback: O_TRUNC opens; the default fragments (8 x 16 KiB at 48 kHz
// stereo S16); O_NONBLOCK at open fills the buffer, never more;
// cleared with fcntl (which FUSE never forwards) the next write blocks at
// the stream's pace; SNDCTL_DSP_NONBLOCK makes writes non-blocking again
// for good; requests that are not OSS's are EINVAL.
func TestOSSPlaybackFileSemantics(t *testing.T) {
	dir, _ := ossMount(t, "silence")
	dsp := dir + "/dev/dsp"
	fd := ossOpen(t, dsp, syscall.O_WRONLY|syscall.O_TRUNC|syscall.O_NONBLOCK)
	defer func() {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}()
	ossSetup48k(t, fd, 2)
	info := make([]byte, oss.AudioBufInfoSize)
	if e := ossIoctl(fd, oss.SNDCTL_DSP_GETOSPACE, info); e != 0 {
		t.Fatalf("GETOSPACE: %v", e)
	}
	sp, _ := oss.DecodeAudioBufInfo(info)
	t.Logf("GETOSPACE at 48 kHz stereo S16: %+v", sp)
	if sp.Fragsize != 16384 || sp.Fragstotal != 8 || sp.Bytes != 8*16384 {
		t.Errorf("GETOSPACE %+v, want 8 fragments of 16 KiB free", sp)
	}

	big := make([]byte, 1<<20)
	start := time.Now()
	queued := writeNonblocking(t, fd, big)
	played := time.Since(start).Seconds() * bytesPerS
	t.Logf("O_NONBLOCK (from open): 10 writes of 1 MiB accepted %d bytes in all", queued)
	if queued < 8*16384 || float64(queued) > 8*16384+played+16384 {
		t.Errorf("O_NONBLOCK accepted %d bytes, want the 128 KiB buffer (plus what played meanwhile)", queued)
	}

	ossSetNonblock(t, fd, false)
	start = time.Now()
	if n, err := syscall.Write(fd, big[:bytesPerS]); err != nil || n != bytesPerS {
		t.Fatalf("blocking write after fcntl: %d, %v", n, err)
	}
	el := time.Since(start)
	t.Logf("blocking write of 1 s into a full buffer took %v", el.Round(time.Millisecond))
	if el < 800*time.Millisecond {
		t.Errorf("blocking write of 1 s into a full buffer returned after %v: it did not wait for room", el)
	}

	if e := ossIoctl(fd, oss.SNDCTL_DSP_NONBLOCK, nil); e != 0 {
		t.Fatalf("SNDCTL_DSP_NONBLOCK: %v", e)
	}
	start = time.Now()
	queued = writeNonblocking(t, fd, big) // blocking per fcntl, non-blocking per the request
	if played := time.Since(start).Seconds() * bytesPerS; float64(queued) > 8*16384+played+16384 {
		t.Errorf("after SNDCTL_DSP_NONBLOCK 10 writes accepted %d bytes, more than the buffer", queued)
	}

	for _, c := range []oss.Ioctl{oss.Ioctl(0x5063) /* _SIO('P', 99) */, oss.Ioctl(unix.TCGETS)} {
		buf := make([]byte, 64)
		if e := ossIoctl(fd, c, buf); e != syscall.EINVAL {
			t.Errorf("ioctl %#x: %v, want EINVAL", uint32(c), e)
		}
	}

	// SNDCTL_DSP_NONBLOCK also means close does not drain: it returns at
	// once, and the device is free for the next opener.
	start = time.Now()
	syscall.Close(fd)
	fd = -1
	el = time.Since(start)
	t.Logf("close of a non-blocking file with 0.7 s queued took %v", el.Round(time.Millisecond))
	if el > 400*time.Millisecond { // a drain would take about 0.7 s
		t.Errorf("close of a non-blocking file took %v: it drained the 0.7 s queued", el)
	}
	fd2 := ossOpen(t, dsp, syscall.O_WRONLY)
	syscall.Close(fd2)

	// close(2) returns before the kernel's RELEASE reaches the daemon;
	// an immediate reopen waits for it instead of answering EBUSY.
	for range 20 {
		fd2 = ossOpen(t, dsp, syscall.O_WRONLY)
		ossSetup48k(t, fd2, 2)
		syscall.Close(fd2)
	}
}

// O_RDWR takes a playback and a capture substream; other openers get
// EBUSY. Capture: a non-blocking read answers EAGAIN until a whole
// fragment is recorded; a blocking one returns data.
func TestOSSDuplexAndCapture(t *testing.T) {
	dir, _ := ossMount(t, "sine:1000:0.5")
	dsp := dir + "/dev/dsp"
	fd := ossOpen(t, dsp, syscall.O_RDWR)
	for _, fl := range []int{syscall.O_RDONLY, syscall.O_WRONLY} {
		if f, err := syscall.Open(dsp, fl|syscall.O_CLOEXEC, 0); err == nil {
			syscall.Close(f)
			t.Errorf("open %#x while O_RDWR holds both substreams succeeded, want EBUSY", fl)
		} else if err != syscall.EBUSY {
			t.Errorf("open %#x while O_RDWR holds both substreams: %v, want EBUSY", fl, err)
		}
	}
	syscall.Close(fd)

	fd = ossOpen(t, dsp, syscall.O_RDONLY|syscall.O_NONBLOCK)
	defer syscall.Close(fd)
	ossSetup48k(t, fd, 1)
	buf := make([]byte, 100)
	if n, err := syscall.Read(fd, buf); err != syscall.EAGAIN {
		t.Errorf("first non-blocking read: %d, %v; want EAGAIN (no fragment recorded yet)", n, err)
	}
	ossSetNonblock(t, fd, false)
	if n, err := syscall.Read(fd, buf); err != nil || n != len(buf) {
		t.Fatalf("blocking read: %d, %v", n, err)
	}
}

// The mixer file has no read or write; its requests work.
func TestOSSMixerFile(t *testing.T) {
	dir, _ := ossMount(t, "silence")
	fd := ossOpen(t, dir+"/dev/mixer", syscall.O_RDWR)
	defer syscall.Close(fd)
	if _, err := syscall.Read(fd, make([]byte, 4)); err != syscall.EINVAL {
		t.Errorf("read of mixer: %v, want EINVAL", err)
	}
	devmask := ossIoctlInt(t, fd, oss.SOUND_MIXER_READ_DEVMASK, 0)
	if devmask&(1<<oss.SOUND_MIXER_VOLUME) == 0 {
		t.Errorf("DEVMASK %#x lacks the master volume", devmask)
	}
	info := make([]byte, oss.MixerInfoSize)
	if e := ossIoctl(fd, oss.SOUND_MIXER_INFO, info); e != 0 {
		t.Fatalf("SOUND_MIXER_INFO: %v", e)
	}
	mi, _ := oss.DecodeMixerInfo(info)
	t.Logf("SOUND_MIXER_INFO: %+v, DEVMASK %#x", mi, devmask)
	if mi.ID != "vsnd" || mi.Name != "vsnd mixer" {
		t.Errorf("mixer info %+v", mi)
	}
}

// A handled signal (SIGALRM) interrupts a blocking write: the FUSE
// INTERRUPT ends it with the bytes accepted so far, which ossaudiodev's
// write returns to the program.
func TestOSSSignalEndsWriteWithPartialCount(t *testing.T) {
	py := needPython(t)
	dir, _ := ossMount(t, "silence")
	script := `
import ossaudiodev, signal, sys, time
signal.signal(signal.SIGALRM, lambda *a: None)
dev = ossaudiodev.open(sys.argv[1], 'w')
dev.setparameters(ossaudiodev.AFMT_S16_LE, 2, 48000, True)
signal.setitimer(signal.ITIMER_REAL, 0.5)
t = time.monotonic()
n = dev.write(bytes(10 * 192000))
print(n, time.monotonic() - t)
`
	run := runClient(t, 30*time.Second, py, "-W", "ignore", "-c", script, dir+"/dev/dsp")
	f := strings.Fields(run.out)
	if len(f) != 2 {
		t.Fatalf("output %q", run.out)
	}
	n, _ := strconv.Atoi(f[0])
	secs, _ := strconv.ParseFloat(f[1], 64)
	t.Logf("SIGALRM after 0.5 s: write returned %d of %d bytes after %.3f s", n, 10*bytesPerS, secs)
	if n <= 8*16384 || n >= 10*bytesPerS {
		t.Errorf("interrupted write returned %d, want more than the 128 KiB buffer and less than all", n)
	}
}

// Under `vsnd run`, DIR/dev/dsp is /dev/dsp: ossaudiodev's default device
// plays into the card.
func TestOSSDefaultDeviceUnderVsndRun(t *testing.T) {
	py := needPython(t)
	dir, wavDir := ossMount(t, "silence")
	raw, audio := writeClip(t, 15)
	script := `
import ossaudiodev, sys
dev = ossaudiodev.open('w')
dev.setparameters(ossaudiodev.AFMT_S16_LE, 2, 48000, True)
dev.writeall(open(sys.argv[1], 'rb').read())
dev.close()
`
	run := runClient(t, 60*time.Second, vsndBin, "run", "--mount", dir, "--", py, "-W", "ignore", "-c", script, raw)
	t.Logf("vsnd run python3 (default /dev/dsp): %v; %s", run.wall.Round(time.Millisecond), strings.TrimSpace(run.out))
	checkPlayedWAV(t, dir, wavDir, audio)
	if _, err := os.Stat(filepath.Join("/dev", "dsp")); err == nil {
		t.Logf("note: this host has its own /dev/dsp; vsnd run hid it")
	}
}

// The OSS files are named as the kernel's OSS emulation names them: dsp,
// adsp (PCM devices 0 and 1) and mixer per card, card N with suffix N; each
// reaches its own card and device.
func TestOSSNodeNames(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{Cards: 2, Devices: 3})
	ents, err := os.ReadDir(dir + "/dev")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if e.Name() != "snd" {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	if want := []string{"adsp", "adsp1", "dsp", "dsp1", "mixer", "mixer1"}; !slices.Equal(names, want) {
		t.Fatalf("dev/ holds %v, want %v", names, want)
	}
	for _, c := range []struct {
		node      string
		card, dev int
	}{{"dsp", 0, 0}, {"adsp", 0, 1}, {"dsp1", 1, 0}, {"adsp1", 1, 1}} {
		fd := ossOpen(t, dir+"/dev/"+c.node, syscall.O_WRONLY)
		ossSetup48k(t, fd, 2)
		if n, err := syscall.Write(fd, make([]byte, 4*16384)); err != nil || n != 4*16384 {
			t.Fatalf("write %s: %d, %v", c.node, n, err)
		}
		status := readText(t, sub(dir, c.card, c.dev, false, 0)+"/status")
		syscall.Close(fd)
		if !strings.Contains(status, "RUNNING") {
			t.Errorf("after writing dev/%s, card%d/pcm%dp/sub0/status:\n%s", c.node, c.card, c.dev, status)
		}
	}
}

// Unmounting while a program plays through dsp releases its substream: the
// WAV file is complete and the program's blocked write ends.
func TestOSSUnmountWithOpenDevice(t *testing.T) {
	py := needPython(t)
	wavDir := t.TempDir()
	srv, dir := testMount(t, fusefs.Config{Sink: "wav:" + wavDir + "/"})
	script := `
import ossaudiodev, sys
dev = ossaudiodev.open(sys.argv[1], 'w')
dev.setparameters(ossaudiodev.AFMT_S16_LE, 2, 48000, True)
print('playing', flush=True)
try:
    dev.writeall(bytes(10 * 192000))
except OSError as e:
    print('write:', e, flush=True)
`
	cmd := exec.Command(py, "-W", "ignore", "-c", script, dir+"/dev/dsp")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Kill()
		<-exited
	}()
	waitFor(t, "the client to play", 10*time.Second, func() bool {
		return strings.Contains(readText(t, sub(dir, 0, 0, false, 0)+"/status"), "RUNNING")
	})
	if err := srv.Unmount(); err != nil {
		t.Fatalf("Unmount: %v", err)
	}
	select {
	case <-exited:
		exited <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("the client's write did not end within 10 s of the unmount")
	}
	t.Logf("client after the unmount: %s", strings.TrimSpace(out.String()))
	files := wavFiles(t, wavDir)
	if len(files) != 1 {
		t.Fatalf("WAV files: %v", files)
	}
	w := readWAV(t, files[0]) // fails unless the header is final
	t.Logf("WAV complete: %d bytes", len(w.data))
}
