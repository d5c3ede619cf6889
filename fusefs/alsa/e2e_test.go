package alsa

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/fusefs/procmem"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/mixer"
	"github.com/vsnd/vsnd/timer"
)

// This file checks the face against real alsa-lib: a minimal go-fuse tree
// (test-only; vsnd's real node plumbing lives in package fusefs) with
// controlC0, pcmC0D0p and pcmC0D0c, bind-mounted on /dev/snd in a private
// mount namespace, and testdata/alsaclient.py driving libasound through
// ctypes. It needs root, /dev/fuse, unshare, python3 and libasound.so.2,
// and is skipped otherwise.

type e2eRoot struct {
	fs.Inode
	card *Card
	seen *ioctlCounts
	pass bool // PCM files pass mmap through to the substream's memfd
}

// ioctlCounts counts the requests the client issued, by name.
type ioctlCounts struct {
	mu sync.Mutex
	n  map[string]int // guarded by mu
}

func (c *ioctlCounts) add(cmd uint32, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := asound.Ioctl(cmd).String()
	if e := pcm.Errno(err); e != 0 {
		k += "=" + e.Error()
	}
	c.n[k]++
}

func (c *ioctlCounts) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ks []string
	for k, v := range c.n {
		ks = append(ks, fmt.Sprintf("%s:%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func (r *e2eRoot) OnAdd(ctx context.Context) {
	for _, n := range []*e2eNode{
		{card: r.card, seen: r.seen, name: "controlC0", ctl: true},
		{card: r.card, seen: r.seen, pass: r.pass, name: "pcmC0D0p", st: pcm.Playback},
		{card: r.card, seen: r.seen, pass: r.pass, name: "pcmC0D0c", st: pcm.Capture},
	} {
		ch := r.NewPersistentInode(ctx, n, fs.StableAttr{Mode: syscall.S_IFREG})
		r.AddChild(n.name, ch, false)
	}
}

type e2eNode struct {
	fs.Inode
	card *Card
	seen *ioctlCounts
	pass bool
	name string
	ctl  bool
	st   pcm.Stream
}

var _ = (fs.NodeOpener)((*e2eNode)(nil))
var _ = (fs.NodeGetattrer)((*e2eNode)(nil))

func (n *e2eNode) Getattr(ctx context.Context, fh fs.FileHandle, out *fuse.AttrOut) syscall.Errno {
	out.Mode = syscall.S_IFREG | 0o666
	return 0
}

func callerPid(ctx context.Context) int {
	if c, ok := fuse.FromContext(ctx); ok {
		return int(c.Pid)
	}
	return 0
}

func (n *e2eNode) Open(ctx context.Context, flags uint32) (fs.FileHandle, uint32, syscall.Errno) {
	pid := callerPid(ctx)
	h := &e2eHandle{seen: n.seen, nonblock: flags&syscall.O_NONBLOCK != 0,
		flags: procmem.NewTracker(func(link string) bool { return strings.HasSuffix(link, "/"+n.name) })}
	if n.ctl {
		h.ctl = n.card.OpenCtl(pid)
	} else {
		f, err := n.card.OpenPCM(ctx, 0, n.st, pid, h.nonblock)
		if err != nil {
			return nil, 0, pcm.Errno(err)
		}
		h.pcm = f
		if n.pass {
			// go-fuse registers the fd and answers FOPEN_PASSTHROUGH:
			// the client's mmap of the node is the memfd.
			return &e2ePassHandle{h}, 0, 0
		}
	}
	// DIRECT_IO: mmap fails with ENODEV and alsa-lib uses SYNC_PTR.
	return h, fuse.FOPEN_DIRECT_IO, 0
}

type e2eHandle struct {
	seen     *ioctlCounts
	ctl      *CtlFile
	pcm      *PCMFile
	nonblock bool
	flags    *procmem.Tracker
}

var _ = (fs.FileIoctler)((*e2eHandle)(nil))
var _ = (fs.FileReader)((*e2eHandle)(nil))
var _ = (fs.FileReleaser)((*e2eHandle)(nil))

// e2ePassHandle is a PCM file whose mmap is the substream's memfd
// (ALSA-ABI-NOTES.md, "mmap"). go-fuse keeps one backing file per inode
// while it is open, which is right here: one substream per node.
type e2ePassHandle struct{ *e2eHandle }

var _ = (fs.FilePassthroughFder)((*e2ePassHandle)(nil))

func (h *e2ePassHandle) PassthroughFd() (int, bool) {
	a := h.pcm.Substream().Area()
	if a == nil {
		return 0, false
	}
	return a.Fd(), true
}

func (h *e2eHandle) caller(ctx context.Context) *ProcCaller {
	return &ProcCaller{PID: callerPid(ctx), Flags: h.flags, OpenNonblock: h.nonblock}
}

func (h *e2eHandle) Ioctl(ctx context.Context, cmd uint32, arg uint64, in, out []byte) (int32, syscall.Errno) {
	var err error
	if h.ctl != nil {
		err = h.ctl.Ioctl(ctx, h.caller(ctx), cmd, uintptr(arg), in, out)
	} else {
		err = h.pcm.Ioctl(ctx, h.caller(ctx), cmd, uintptr(arg), in, out)
	}
	h.seen.add(cmd, err)
	return 0, pcm.Errno(err)
}

func (h *e2eHandle) Read(ctx context.Context, dest []byte, off int64) (fuse.ReadResult, syscall.Errno) {
	if h.ctl == nil {
		return nil, syscall.EINVAL
	}
	n, err := h.ctl.Read(ctx, dest, h.caller(ctx).Nonblock())
	if err != nil {
		return nil, pcm.Errno(err)
	}
	return fuse.ReadResultData(dest[:n]), 0
}

func (h *e2eHandle) Release(ctx context.Context) syscall.Errno {
	if h.ctl != nil {
		h.ctl.Release()
	} else {
		h.pcm.Release()
	}
	h.flags.Close()
	return 0
}

func e2eSetup(t *testing.T) (*Card, string, *ioctlCounts) { return e2eMount(t, nil, false) }

func e2eSetupMixer(t *testing.T) (*Card, string, *ioctlCounts) {
	m, err := mixer.New(mixer.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return e2eMount(t, m, false)
}

func e2eMount(t *testing.T, m *mixer.Mixer, pass bool) (*Card, string, *ioctlCounts) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (FUSE mount, mount namespace)")
	}
	for _, p := range []string{"/dev/fuse", "/usr/lib/x86_64-linux-gnu/libasound.so.2"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("no %s", p)
		}
	}
	for _, p := range []string{"python3", "unshare"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("no %s", p)
		}
	}
	src, err := timer.NewHR(timer.HROptions{FIFOPriority: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	pc, err := pcm.NewCard(0, oneDevice(pcm.DefaultHardware(), 1, 1),
		pcm.Backend{Clock: src, NewDriver: func() pcm.Driver { return pcm.NewVirtualDriver(src) }})
	if err != nil {
		t.Fatal(err)
	}
	card, err := NewCard(pc, Options{Mixer: m})
	if err != nil {
		t.Fatal(err)
	}
	mnt := t.TempDir()
	seen := &ioctlCounts{n: map[string]int{}}
	srv, err := fs.Mount(mnt, &e2eRoot{card: card, seen: seen, pass: pass}, &fs.Options{MountOptions: fuse.MountOptions{
		DirectMount: true, FsName: "vsnd-alsa-e2e", Name: "vsnd"}})
	if err != nil {
		t.Skipf("FUSE mount: %v", err)
	}
	t.Cleanup(func() { srv.Unmount() })
	return card, mnt, seen
}

// nsScript replaces /dev with a tmpfs holding a few host device nodes and
// the FUSE mount as /dev/snd, then runs python3 with its arguments. Run
// under unshare -m --propagation private, it leaves the host untouched.
const nsScript = `set -e
mount --rbind /dev "$OLD"
mount -t tmpfs vsnd-dev /dev
for f in null zero full random urandom; do touch /dev/$f; mount --bind "$OLD/$f" /dev/$f; done
mkdir /dev/snd
mount --bind "$MNT" /dev/snd
exec python3 "$@"`

// runClient runs alsaclient.py with /dev/snd replaced by the mount, in a
// private mount namespace (the host's /dev is untouched).
func runClient(t *testing.T, mnt string, args ...string) string {
	script, err := filepath.Abs("testdata/alsaclient.py")
	if err != nil {
		t.Fatal(err)
	}
	old := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", append([]string{"-m", "--propagation", "private", "sh", "-c", nsScript, "sh", script}, args...)...)
	cmd.Env = append(os.Environ(), "OLD="+old, "MNT="+mnt, "ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("alsa client %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestAlsaLibPlaysAndRecords: libasound opens hw:0,0 through the face,
// plays a file bit-exactly into the substream's sink and records the
// source's bytes, with blocking transfers and drain paced by the real
// timer.
func TestAlsaLibPlaysAndRecords(t *testing.T) {
	card, mnt, seen := e2eSetup(t)
	sub := card.PCM().Devices[0].Substream(pcm.Playback, 0)
	sink := &memSink{}
	sub.SetSink(sink)
	data := pattern(4, 24000, 3) // 0.5 s
	in := filepath.Join(t.TempDir(), "in.raw")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	out := runClient(t, mnt, "play", in)
	el := time.Since(start)
	if !strings.Contains(out, "card 0 Virtual Sound Card") || !strings.Contains(out, "devices [0]") ||
		!strings.Contains(out, "played 24000") {
		t.Fatalf("client output:\n%s", out)
	}
	waitFor(t, "the sink to get every byte", func() bool { return len(sink.bytes()) >= len(data) })
	if got := sink.bytes(); !bytes.Equal(got[:len(data)], data) {
		t.Fatalf("sink got %d bytes differing from the %d played", len(got), len(data))
	}
	if el < 400*time.Millisecond {
		t.Fatalf("0.5 s of audio played in %v: not paced by the clock", el)
	}
	t.Logf("play: %v for 0.5 s of audio\n%sioctls: %v", el, out, seen)

	csub := card.PCM().Devices[0].Substream(pcm.Capture, 0)
	csub.SetSource(&patternSource{})
	rec := filepath.Join(t.TempDir(), "rec.raw")
	out = runClient(t, mnt, "rec", rec, "9600")
	got, err := os.ReadFile(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, sourceBytes(9600*4)) {
		t.Fatalf("recorded %d bytes differ from the source's\n%s", len(got), out)
	}
	t.Logf("after recording, ioctls: %v", seen)
}

// TestAlsaLibMixer: libasound lists the controls (ELEM_LIST writes the
// ids through the pids pointer), writes one by name, reads the one event
// that change queued, reads the value back and the dB TLV.
func TestAlsaLibMixer(t *testing.T) {
	_, mnt, seen := e2eSetupMixer(t)
	out := runClient(t, mnt, "mixer")
	for _, want := range []string{
		"controls 6 ['Master Playback Volume', 'Master Playback Switch', 'PCM Playback Volume', 'PCM Playback Switch', 'Capture Volume', 'Capture Switch']",
		"event 1 1 1", // one event, VALUE mask, numid 1
		"value 40 60",
		"tlv [1, 8, 4294962296, 65586]", // DB_SCALE -5000, step 50 | mute
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("client output lacks %q:\n%s", want, out)
		}
	}
	t.Logf("%sioctls: %v", out, seen)
}

// TestAlsaLibKilledClient: a client killed in the middle of a blocking
// WRITEI (FUSE_INTERRUPT, then RELEASE) gives its substream back, and the
// next client plays.
func TestAlsaLibKilledClient(t *testing.T) {
	card, mnt, _ := e2eSetup(t)
	d := card.PCM().Devices[0]
	long := filepath.Join(t.TempDir(), "long.raw")
	if err := os.WriteFile(long, pattern(4, 48000*5, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	script, _ := filepath.Abs("testdata/alsaclient.py")
	old := t.TempDir()
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", nsScript, "sh", script, "play", long)
	cmd.Env = append(os.Environ(), "OLD="+old, "MNT="+mnt)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the client to play", func() bool { return d.Substream(pcm.Playback, 0).State() == pcm.StateRunning })
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	waitFor(t, "the substream to be released", func() bool { return !d.Attached(pcm.Playback, 0) })

	short := filepath.Join(t.TempDir(), "short.raw")
	if err := os.WriteFile(short, pattern(4, 4800, 0), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := runClient(t, mnt, "play", short); !strings.Contains(out, "played 4800") {
		t.Fatalf("next client:\n%s", out)
	}
}

// TestAlsaLibSpinCost measures what a poll-spinning client costs: the
// client's wall time per snd_pcm_hwsync (one ioctl through FUSE) and the
// daemon's CPU per ioctl (this process's rusage; the FUSE server runs
// here). Logged, not asserted: the machine is shared.
func TestAlsaLibSpinCost(t *testing.T) {
	_, mnt, seen := e2eSetup(t)
	var r0, r1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
	out := runClient(t, mnt, "spin", "20000")
	syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
	cpu := time.Duration(r1.Utime.Nano()+r1.Stime.Nano()-r0.Utime.Nano()-r0.Stime.Nano()) * time.Nanosecond
	if !strings.Contains(out, "spin 20000 calls") {
		t.Fatalf("client output:\n%s", out)
	}
	t.Logf("%sdaemon CPU %v for the run, %.1f us per spin ioctl\nioctls: %v", out, cpu,
		float64(cpu.Microseconds())/20000, seen)
}

// TestAlsaLibMMapPassthrough: with FUSE passthrough the client's mmap of
// the node is the substream's memfd, so libasound uses the status and
// control pages instead of SYNC_PTR, and snd_pcm_mmap_writei plays
// bit-exactly through the shared data area.
func TestAlsaLibMMapPassthrough(t *testing.T) {
	card, mnt, seen := e2eMount(t, nil, true)
	sub := card.PCM().Devices[0].Substream(pcm.Playback, 0)
	sink := &memSink{}
	sub.SetSink(sink)
	data := pattern(4, 24000, 5)
	in := filepath.Join(t.TempDir(), "in.raw")
	if err := os.WriteFile(in, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := runClient(t, mnt, "mmapplay", in)
	if !strings.Contains(out, "played 24000") {
		t.Fatalf("client output:\n%s", out)
	}
	waitFor(t, "the sink to get every byte", func() bool { return len(sink.bytes()) >= len(data) })
	if got := sink.bytes(); !bytes.Equal(got[:len(data)], data) {
		t.Fatalf("sink got %d bytes differing from the %d played", len(got), len(data))
	}
	t.Logf("%sioctls: %v", out, seen)
}
