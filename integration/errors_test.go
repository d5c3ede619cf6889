package integration

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs"
)

// Every control file's illegal use gets the kernel's errno, and the
// substream's error file names the operation and the reason.
func TestControlErrors(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{Playback: intp(1), Capture: intp(1)})
	p, c := sub(dir, 0, 0, false, 0), sub(dir, 0, 0, true, 0)
	params := stereoS16 + " period_size=1024 buffer_size=4096"

	// Setups put a substream into a state; each case starts from a
	// fresh one (hw_free releases it).
	closed := func(t *testing.T, s string) {}
	setup := func(t *testing.T, s string) { mustCtl(t, s+"/hw_params", params) }
	prepared := func(t *testing.T, s string) { setup(t, s); mustCtl(t, s+"/prepare", "1") }
	running := func(t *testing.T, s string) { prepared(t, s); mustCtl(t, s+"/trigger", "start") } // capture
	paused := func(t *testing.T, s string) { running(t, s); mustCtl(t, s+"/trigger", "pause") }
	xrun := func(t *testing.T, s string) { running(t, s); mustCtl(t, s+"/trigger", "xrun") }

	for _, tc := range []struct {
		name  string
		sub   string
		state func(*testing.T, string)
		file  string
		write string
		errno syscall.Errno
		says  string // the error file must contain it
	}{
		{"prepare without hw_params", p, closed, "prepare", "1", syscall.EBADFD, "write hw_params first"},
		{"hw_free without hw_params", p, closed, "hw_free", "1", syscall.EBADFD, "hw_free"},
		{"trigger start without hw_params", p, closed, "trigger", "start", syscall.EBADFD, "trigger start"},
		{"sw_params without hw_params", p, closed, "sw_params", "avail_min=1", syscall.EBADFD, "sw_params"},
		{"bad format", p, closed, "hw_params", "format=S17_LE", syscall.EINVAL, "S17_LE"},
		{"unknown hw key", p, closed, "hw_params", "speed=48000", syscall.EINVAL, "unknown hw_params key"},
		{"not key=value", p, closed, "hw_params", "S16_LE", syscall.EINVAL, "not key=value"},
		{"rate out of range", p, closed, "hw_params", "rate=1000", syscall.EINVAL, "hw_params rate=1000"},
		{"channels out of range", p, closed, "hw_params", "channels=64", syscall.EINVAL, "channels"},
		{"trigger start from SETUP", p, setup, "trigger", "start", syscall.EBADFD, "trigger start"},
		{"start playback with nothing queued", p, prepared, "trigger", "start", syscall.EPIPE, "trigger start"},
		{"pause in PREPARED", p, prepared, "trigger", "pause", syscall.EBADFD, "trigger pause"},
		{"pause release in SETUP", p, setup, "trigger", "release", syscall.EBADFD, "trigger release"},
		{"resume when not suspended", c, running, "trigger", "resume", syscall.EBADFD, "trigger resume"},
		{"xrun in PREPARED", p, prepared, "trigger", "xrun", syscall.EBADFD, "trigger xrun"},
		{"reset in SETUP", p, setup, "trigger", "reset", syscall.EBADFD, "trigger reset"},
		{"unknown trigger", p, setup, "trigger", "go", syscall.EINVAL, "unknown trigger"},
		{"rewind without count", p, setup, "trigger", "rewind", syscall.EINVAL, "frame count"},
		{"avail_min 0", p, setup, "sw_params", "avail_min=0", syscall.EINVAL, "sw_params avail_min=0"},
		{"unknown sw key", p, setup, "sw_params", "latency=1", syscall.EINVAL, "unknown sw_params key"},
		{"hw_free while RUNNING", c, running, "hw_free", "1", syscall.EBADFD, "hw_free"},
		{"hw_params while RUNNING", c, running, "hw_params", params, syscall.EBADFD, "hw_params"},
		{"prepare while RUNNING", c, running, "prepare", "1", syscall.EBUSY, "prepare"},
		{"hw_free while PAUSED", c, paused, "hw_free", "1", syscall.EBADFD, "hw_free"},
		{"start from XRUN", c, xrun, "trigger", "start", syscall.EBADFD, "trigger start"},
		{"bad sink", p, closed, "sink", "speaker", syscall.EINVAL, "bad sink"},
		{"bad source", c, closed, "source", "sine:x", syscall.EINVAL, "bad source"},
		{"source wav without path", c, closed, "source", "wav:", syscall.EINVAL, "wav needs a path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.state(t, tc.sub)
			defer reset(t, tc.sub)
			before := time.Now().Add(-time.Second)
			got := writeCtl(t, filepath.Join(tc.sub, tc.file), tc.write)
			if got != tc.errno {
				t.Errorf("echo %s > %s: %v, want %v", tc.write, tc.file, errName(got), errName(tc.errno))
			}
			e := readText(t, tc.sub+"/error")
			if !strings.Contains(e, tc.says) || !strings.Contains(e, tc.errno.Error()) {
				t.Errorf("error file %q should name %q and %q", e, tc.says, tc.errno.Error())
			}
			if ts, err := time.Parse(time.RFC3339Nano, strings.Fields(e)[0]); err != nil || ts.Before(before) {
				t.Errorf("error file time %q: %v", strings.Fields(e)[0], err)
			}
		})
	}
}

func errName(e syscall.Errno) string {
	if e == 0 {
		return "success"
	}
	return e.Error()
}

// reset returns a substream to closed: stop, then hw_free.
func reset(t *testing.T, s string) {
	t.Helper()
	if readText(t, s+"/hw_params") == "closed\n" {
		return
	}
	writeCtl(t, s+"/trigger", "stop")
	if e := writeCtl(t, s+"/hw_free", "1"); e != 0 {
		t.Fatalf("reset: hw_free: %v", e)
	}
	if got := readText(t, s+"/hw_params"); got != "closed\n" {
		t.Fatalf("reset: hw_params %q", got)
	}
}

// The data file's misuses: EBADFD without hw_params, EBUSY for a second
// opener, EINVAL for the wrong direction, EPIPE after an xrun, EAGAIN when
// non-blocking and full.
func TestDataErrors(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{})
	p, c := sub(dir, 0, 0, false, 0), sub(dir, 0, 0, true, 0)
	if _, err := openData(p+"/data", os.O_WRONLY); errnoOf(err) != syscall.EBADFD {
		t.Errorf("open data without hw_params: %v, want EBADFD", err)
	}
	mustCtl(t, p+"/hw_params", stereoS16+" period_size=1024 buffer_size=4096")
	mustCtl(t, c+"/hw_params", stereoS16+" period_size=1024 buffer_size=4096")
	if _, err := openData(p+"/data", os.O_RDONLY); errnoOf(err) != syscall.EINVAL {
		t.Errorf("open playback data for reading: %v, want EINVAL", err)
	}
	if _, err := openData(c+"/data", os.O_WRONLY); errnoOf(err) != syscall.EINVAL {
		t.Errorf("open capture data for writing: %v, want EINVAL", err)
	}
	// Non-blocking descriptors are used with raw syscalls: os.NewFile
	// would put a non-blocking FUSE file into Go's poller (see openData).
	fd, err := syscall.Open(p+"/data", syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openData(p+"/data", os.O_WRONLY); errnoOf(err) != syscall.EBUSY {
		t.Errorf("second opener: %v, want EBUSY", err)
	}
	// Non-blocking: the first write queues what fits (the 4096-frame
	// buffer), the next finds no room.
	big := make([]byte, 8192*frameBytes)
	n, err := syscall.Write(fd, big)
	if err != nil || n < 4096*frameBytes || n >= len(big) {
		t.Errorf("non-blocking write of 8192 frames: %d bytes, %v; want a short write of about 4096 frames", n, err)
	}
	// The virtual driver's position moves continuously (as snd-dummy's
	// hrtimer backend), so a running stream always has a few frames of
	// room; paused, the full buffer stays full.
	mustCtl(t, p+"/trigger", "pause")
	syscall.Write(fd, big) // the frames that played before the pause
	if _, err := syscall.Write(fd, big); errnoOf(err) != syscall.EAGAIN {
		t.Errorf("non-blocking write into a full paused buffer: %v, want EAGAIN", err)
	}
	mustCtl(t, p+"/trigger", "resume")
	mustCtl(t, p+"/trigger", "xrun")
	if _, err := syscall.Write(fd, big[:frameBytes]); errnoOf(err) != syscall.EPIPE {
		t.Errorf("write after xrun: %v, want EPIPE", err)
	}
	if e := readText(t, p+"/error"); !strings.Contains(e, "write") || !strings.Contains(e, "broken pipe") {
		t.Errorf("error file after EPIPE: %q", e)
	}
	syscall.Close(fd)
	// Reopening prepares again: writing works.
	fd, err = syscall.Open(p+"/data", syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Write(fd, big[:1024*frameBytes]); err != nil {
		t.Errorf("write after reopen: %v", err)
	}
	syscall.Close(fd) // non-blocking: dropped, not drained
	waitFor(t, "the release", 5*time.Second, func() bool {
		return strings.Contains(readText(t, p+"/status"), "state: SETUP")
	})
	// A read of less than a frame is EINVAL.
	cf, err := openData(c+"/data", os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cf.Read(make([]byte, 3)); errnoOf(err) != syscall.EINVAL {
		t.Errorf("read of 3 bytes: %v, want EINVAL", err)
	}
	cf.Close()
}

// O_NONBLOCK changed with fcntl after open takes effect: the kernel never
// forwards F_SETFL, but each WRITE carries the file's current flags.
func TestFcntlNonblockIsHonoured(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{})
	p := sub(dir, 0, 0, false, 0)
	mustCtl(t, p+"/hw_params", stereoS16+" period_size=1024 buffer_size=4096")
	big := make([]byte, 8192*frameBytes) // two buffers

	// Opened non-blocking, then made blocking (python's ossaudiodev,
	// alsa-lib): a write of two buffers must block until all is queued.
	fd, err := syscall.Open(p+"/data", syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := setNonblock(fd, false); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := syscall.Write(fd, big)
	if err != nil || n != len(big) {
		t.Errorf("blocking write after clearing O_NONBLOCK: %d of %d bytes, %v", n, len(big), err)
	}
	t.Logf("write of two buffers took %v", time.Since(start).Round(time.Millisecond))

	// Now non-blocking again: paused and full, EAGAIN.
	if err := setNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, p+"/trigger", "pause")
	syscall.Write(fd, big) // the room that opened before the pause
	if _, err := syscall.Write(fd, big); errnoOf(err) != syscall.EAGAIN {
		t.Errorf("write after setting O_NONBLOCK: %v, want EAGAIN", err)
	}
	syscall.Close(fd)
}

func setNonblock(fd int, on bool) error {
	fl, err := fcntl(fd, syscall.F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		fl |= syscall.O_NONBLOCK
	} else {
		fl &^= syscall.O_NONBLOCK
	}
	_, err = fcntl(fd, syscall.F_SETFL, fl)
	return err
}

func fcntl(fd, cmd, arg int) (int, error) {
	r, _, e := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(arg))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// A blocking drain through the trigger file waits for the queued audio.
func TestTriggerDrainWaits(t *testing.T) {
	_, dir := testMount(t, fusefs.Config{})
	p := sub(dir, 0, 0, false, 0)
	// 500 ms buffer; the drain ends at the period interrupt after the last
	// frame, so short periods keep the measured time close to the audio.
	mustCtl(t, p+"/hw_params", stereoS16+" period_size=480 buffer_size=24000")
	f, err := openData(p+"/data", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	start := time.Now()
	if _, err := f.Write(make([]byte, bytesPerS*3/10)); err != nil { // 0.3 s: fits the buffer
		t.Fatal(err)
	}
	mustCtl(t, p+"/trigger", "drain")
	checkPace(t, "write+drain", time.Since(start), 300*time.Millisecond)
	if st := readText(t, p+"/status"); !strings.Contains(st, "state: SETUP") {
		t.Errorf("after drain: %s", st)
	}
}

// A substream another face holds answers EBUSY to the native face.
func TestSubstreamHeldElsewhereIsBusy(t *testing.T) {
	srv, dir := testMount(t, fusefs.Config{})
	d := srv.Cards()[0].Devices[0]
	s, err := d.Open(0, 0) // as the ALSA face would
	if err != nil {
		t.Fatal(err)
	}
	p := sub(dir, 0, 0, false, 0)
	if e := writeCtl(t, p+"/hw_params", stereoS16); e != syscall.EBUSY {
		t.Errorf("hw_params on a substream held elsewhere: %v, want EBUSY", errName(e))
	}
	if got := readText(t, p+"/hw_params"); got != "no setup\n" {
		t.Errorf("hw_params of a substream held elsewhere in OPEN: %q", got)
	}
	if got := readText(t, p+"/info"); !strings.Contains(got, "subdevices_avail: 0\n") {
		t.Errorf("info: %s", got)
	}
	if err := d.Close(s); err != nil {
		t.Fatal(err)
	}
	mustCtl(t, p+"/hw_params", stereoS16)
}
