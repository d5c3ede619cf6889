package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs"
)

// The mount's life cycle and tree, without audio.

func intp(v int) *int { return &v }

func TestTreeLayout(t *testing.T) {
	cfg := fusefs.Config{
		Cards:   2,
		Devices: 2,
		Card: []fusefs.CardConfig{{ID: "Test", Name: "Test Card", LongName: "Test Card at vsnd",
			Device: []fusefs.DeviceConfig{{ID: "Out", Name: "Outputs", Playback: intp(3), Capture: intp(0)}}}},
	}
	_, dir := testMount(t, cfg)

	want := " 0 [Test           ]: vsnd - Test Card\n" +
		"                      Test Card at vsnd\n" +
		" 1 [vsnd_1         ]: vsnd - Virtual Sound Card\n" +
		"                      Virtual Sound Card 1\n"
	if got := readText(t, filepath.Join(dir, "cards")); got != want {
		t.Errorf("cards:\n%s\nwant:\n%s", got, want)
	}
	if got := readText(t, filepath.Join(dir, "card1/id")); got != "vsnd_1\n" {
		t.Errorf("card1/id = %q", got)
	}
	for _, p := range []string{
		"card0/pcm0p/sub0", "card0/pcm0p/sub2", "card0/pcm1p/sub0", "card0/pcm1c/sub0",
		"card1/pcm0p/sub0", "card1/pcm0c/sub0", "card1/pcm1c/sub0", "dev/snd",
	} {
		if fi, err := os.Stat(filepath.Join(dir, p)); err != nil || !fi.IsDir() {
			t.Errorf("%s: %v", p, err)
		}
	}
	for _, p := range []string{"card0/pcm0c", "card0/pcm0p/sub3", "card2"} {
		if _, err := os.Stat(filepath.Join(dir, p)); !os.IsNotExist(err) {
			t.Errorf("%s should not exist: %v", p, err)
		}
	}
	info := readText(t, filepath.Join(dir, "card0/pcm0p/sub2/info"))
	wantInfo := "card: 0\ndevice: 0\nsubdevice: 2\nstream: PLAYBACK\nid: Out\nname: Outputs\n" +
		"subname: subdevice #2\nclass: 0\nsubclass: 0\nsubdevices_count: 3\nsubdevices_avail: 3\n"
	if info != wantInfo {
		t.Errorf("sub2/info:\n%s\nwant:\n%s", info, wantInfo)
	}
	if got := readText(t, filepath.Join(dir, "card1/pcm1c/info")); !strings.Contains(got, "stream: CAPTURE\n") {
		t.Errorf("pcm1c/info: %s", got)
	}
	s := sub(dir, 0, 0, false, 0)
	names, err := os.ReadDir(s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range names {
		got = append(got, n.Name())
	}
	if strings.Join(got, " ") != "data error hw_free hw_params info prepare sink status sw_params trigger" {
		t.Errorf("sub0 holds %v", got)
	}
	for file, text := range map[string]string{"hw_params": "closed\n", "sw_params": "closed\n", "status": "closed\n", "error": "none\n", "sink": "null\n"} {
		if got := readText(t, filepath.Join(s, file)); got != text {
			t.Errorf("%s = %q, want %q", file, got, text)
		}
	}
	if got := readText(t, filepath.Join(sub(dir, 1, 0, true, 0), "source")); got != "silence\n" {
		t.Errorf("source = %q", got)
	}
	// Read-only files refuse writes.
	if _, err := os.OpenFile(filepath.Join(dir, "cards"), os.O_WRONLY, 0); errnoOf(err) != syscall.EACCES {
		t.Errorf("open cards for writing: %v, want EACCES", err)
	}
}

func TestConfigFileAndFlags(t *testing.T) {
	cfgPath := filepath.Join(t.TempDir(), "vsnd.json")
	os.WriteFile(cfgPath, []byte(`{"cards": 1, "sink": "null",
	  "card": [{"id": "Cfg", "devices": 2, "device": [{"playback": 2, "capture": 0}]}]}`), 0o644)
	d := startDaemon(t, "--config", cfgPath, "--name", "Flag Name", "--capture", "2")
	cards := readText(t, filepath.Join(d.dir, "cards"))
	if !strings.Contains(cards, "[Cfg            ]: vsnd - Flag Name") {
		t.Errorf("cards: %s", cards)
	}
	// Device 0 keeps its explicit capture 0; device 1 takes the flag's 2.
	for p, want := range map[string]bool{"card0/pcm0p/sub1": true, "card0/pcm0c": false, "card0/pcm1c/sub1": true} {
		_, err := os.Stat(filepath.Join(d.dir, p))
		if (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", p, err == nil, want)
		}
	}
}

func TestBadConfigIsReported(t *testing.T) {
	requireFuse(t)
	cfgPath := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(cfgPath, []byte(`{"cardz": 1}`), 0o644)
	out, err := vsnd(t, "mount", "--config", cfgPath, filepath.Join(t.TempDir(), "snd"))
	if err == nil || !strings.Contains(out, `unknown field "cardz"`) {
		t.Errorf("bad config: err %v, output %q", err, out)
	}
	out, err = vsnd(t, "mount", "--formats", "S17_LE", filepath.Join(t.TempDir(), "snd"))
	if err == nil || !strings.Contains(out, "S17_LE") {
		t.Errorf("bad format flag: err %v, output %q", err, out)
	}
}

func TestSIGTERMUnmounts(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			d := startDaemon(t)
			if !fusefs.IsMounted(d.dir) {
				t.Fatal("not mounted")
			}
			// A client holding a file open must not keep the mount alive.
			f, err := os.Open(filepath.Join(d.dir, "cards"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if err := d.stop(sig, 20*time.Second); err != nil {
				t.Errorf("vsnd exited with %v; output:\n%s", err, d.out)
			}
			if fusefs.IsMounted(d.dir) {
				t.Errorf("%s still mounted after %v", d.dir, sig)
			}
		})
	}
}

func TestUmountCommandAndBackground(t *testing.T) {
	requireFuse(t)
	dir := filepath.Join(t.TempDir(), "snd")
	out, err := vsnd(t, "mount", "--background", dir)
	if err != nil {
		t.Fatalf("mount --background: %v: %s", err, out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("mount --background printed %q, want a pid", out)
	}
	t.Cleanup(func() {
		syscall.Kill(pid, syscall.SIGKILL)
		if fusefs.IsMounted(dir) {
			syscall.Unmount(dir, syscall.MNT_DETACH)
		}
	})
	// Ready when it returns: no waiting.
	if _, err := os.Stat(filepath.Join(dir, "card0/pcm0p/sub0/data")); err != nil {
		t.Fatalf("mount not ready after --background returned: %v", err)
	}
	if _, p, ok := fusefs.VsndMount(dir); !ok || p != pid {
		t.Errorf("mount source names pid %d, want %d", p, pid)
	}
	st, err := vsnd(t, "status", dir)
	if err != nil || !strings.Contains(st, "card0/pcm0p/sub0") || !strings.Contains(st, "closed") {
		t.Errorf("status: %v\n%s", err, st)
	}
	// A second mount on the same directory is refused while the first lives.
	out, err = vsnd(t, "mount", dir)
	if err == nil || !strings.Contains(out, "already mounted") {
		t.Errorf("second mount: %v %q", err, out)
	}
	if out, err := vsnd(t, "umount", dir); err != nil {
		t.Fatalf("umount: %v: %s", err, out)
	}
	if fusefs.IsMounted(dir) {
		t.Error("still mounted after vsnd umount")
	}
	waitFor(t, "the daemon to exit", 10*time.Second, func() bool {
		return syscall.Kill(pid, 0) != nil || isZombie(pid)
	})
}

func isZombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && i+2 < len(b) && b[i+2] == 'Z'
}

func TestStaleMountIsCleaned(t *testing.T) {
	d := startDaemon(t)
	d.stop(syscall.SIGKILL, 10*time.Second)
	if !fusefs.IsMounted(d.dir) {
		t.Fatal("a SIGKILLed daemon should leave its mount behind")
	}
	if _, err := os.ReadDir(d.dir); errnoOf(err) != syscall.ENOTCONN {
		t.Fatalf("stale mount answers %v, want ENOTCONN", err)
	}
	d2 := startDaemonOn(t, d.dir)
	if _, err := os.Stat(filepath.Join(d2.dir, "cards")); err != nil {
		t.Fatalf("new mount on a stale one: %v", err)
	}
	if !strings.Contains(d2.out.String(), "stale mount") {
		t.Errorf("no warning about the stale mount: %s", d2.out)
	}
	if err := d2.stop(syscall.SIGTERM, 20*time.Second); err != nil {
		t.Errorf("exit: %v", err)
	}
	if fusefs.IsMounted(d.dir) {
		t.Error("mounts left behind")
	}
}

func TestMissingDevFuseMessage(t *testing.T) {
	requireFuse(t)
	if _, err := exec.LookPath("unshare"); err != nil || os.Geteuid() != 0 {
		t.Skip("needs root and unshare(1)")
	}
	// A private mount namespace where /dev is an empty tmpfs.
	cmd := exec.Command("unshare", "-m", "sh", "-c",
		"mount --make-rprivate / && mount -t tmpfs none /dev && exec "+vsndBin+" mount "+filepath.Join(t.TempDir(), "snd"))
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "/dev/fuse is missing") {
		t.Errorf("without /dev/fuse: err %v, output %q", err, out)
	}
}
