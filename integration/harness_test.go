// Package integration mounts real vsnd filesystems and drives them the way
// users and programs do: the vsnd binary, shell commands, Go file I/O.
package integration

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs"
)

// vsndBin is the vsnd binary TestMain builds for the tests that run the
// daemon as its own process.
var vsndBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vsnd-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	vsndBin = filepath.Join(dir, "vsnd")
	build := exec.Command("go", "build", "-o", vsndBin, "github.com/vsnd/vsnd/cmd/vsnd")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building vsnd:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// fuseRequired reports whether a missing FUSE must fail the tests instead
// of skipping them (CI sets it: the FUSE tests must never be skipped
// there).
func fuseRequired() bool {
	return os.Getenv("CI") == "true" || os.Getenv("VSND_REQUIRE_FUSE") == "1"
}

// requireFuse skips the test when this machine cannot mount FUSE, and
// fails it instead when fuseRequired.
func requireFuse(t testing.TB) {
	t.Helper()
	why := ""
	if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
		why = err.Error()
	} else {
		f.Close()
		if os.Geteuid() != 0 {
			why = "not root (the tests mount with DirectMount and allow_other)"
		}
	}
	if why == "" {
		return
	}
	if fuseRequired() {
		t.Fatalf("FUSE is required (CI=true or VSND_REQUIRE_FUSE=1) but unusable: %s", why)
	}
	t.Skipf("FUSE unusable here: %s", why)
}

// testLogger logs to the test's output (warnings and errors, or all with
// VSND_TEST_VERBOSE=1).
func testLogger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	if os.Getenv("VSND_TEST_VERBOSE") == "1" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: level}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testMount mounts cfg in this process on a fresh directory and unmounts it
// when the test ends. In-process mounts put the filesystem under the race
// detector.
func testMount(t testing.TB, cfg fusefs.Config) (*fusefs.Server, string) {
	t.Helper()
	requireFuse(t)
	dir := filepath.Join(t.TempDir(), "snd")
	srv, err := fusefs.Mount(fusefs.Options{Dir: dir, Config: cfg, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("Mount: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Unmount(); err != nil {
			t.Errorf("Unmount: %v", err)
		}
		if fusefs.IsMounted(dir) {
			t.Errorf("%s still mounted after Unmount", dir)
		}
	})
	return srv, dir
}

// daemon is a vsnd binary serving a mount in its own process.
type daemon struct {
	t    testing.TB
	dir  string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // the exit status; valid after done
}

// syncBuffer is a bytes.Buffer safe for the process's writer and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startDaemon runs `vsnd mount ARGS DIR` on a fresh directory and returns
// once the mount is ready (the daemon reports readiness on a pipe, as for
// --background). Cleanup stops it with SIGTERM (SIGKILL and a forced
// unmount if it hangs) and checks that no mount is left.
func startDaemon(t testing.TB, args ...string) *daemon {
	t.Helper()
	requireFuse(t)
	dir := filepath.Join(t.TempDir(), "snd")
	return startDaemonOn(t, dir, args...)
}

func startDaemonOn(t testing.TB, dir string, args ...string) *daemon {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	d := &daemon{t: t, dir: dir, out: &syncBuffer{}, done: make(chan struct{})}
	d.cmd = exec.Command(vsndBin, append(append([]string{"mount"}, args...), dir)...)
	d.cmd.Env = append(os.Environ(), "VSND_READY_FD=3")
	d.cmd.ExtraFiles = []*os.File{w}
	d.cmd.Stdout, d.cmd.Stderr = d.out, d.out
	if err := d.cmd.Start(); err != nil {
		w.Close()
		t.Fatal(err)
	}
	w.Close()
	go func() {
		d.err = d.cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(d.cleanup)
	line, _ := readLineTimeout(r, 30*time.Second)
	if line != "ok" {
		t.Fatalf("vsnd mount did not get ready: %q; output:\n%s", line, d.out)
	}
	return d
}

func readLineTimeout(r *os.File, d time.Duration) (string, error) {
	r.SetReadDeadline(time.Now().Add(d))
	var b []byte
	buf := make([]byte, 1)
	for {
		n, err := r.Read(buf)
		if n == 1 {
			if buf[0] == '\n' {
				return string(b), nil
			}
			b = append(b, buf[0])
		}
		if err != nil {
			return string(b), err
		}
	}
}

// stop sends sig and waits for the daemon to exit, failing the test after
// timeout.
func (d *daemon) stop(sig syscall.Signal, timeout time.Duration) error {
	d.t.Helper()
	d.cmd.Process.Signal(sig)
	select {
	case <-d.done:
		return d.err
	case <-time.After(timeout):
		d.t.Errorf("vsnd did not exit within %v of %v; output:\n%s", timeout, sig, d.out)
		d.cmd.Process.Kill()
		<-d.done
		return d.err
	}
}

func (d *daemon) cleanup() {
	select {
	case <-d.done:
	default:
		d.stop(syscall.SIGTERM, 20*time.Second)
	}
	if fusefs.IsMounted(d.dir) {
		d.t.Errorf("%s still mounted after the daemon exited", d.dir)
		syscall.Unmount(d.dir, syscall.MNT_DETACH)
	}
	if d.t.Failed() {
		d.t.Logf("vsnd output:\n%s", d.out)
	}
}

// sub returns the path of a substream directory of the mount.
func sub(dir string, card, dev int, capture bool, n int) string {
	c := 'p'
	if capture {
		c = 'c'
	}
	return filepath.Join(dir, fmt.Sprintf("card%d/pcm%d%c/sub%d", card, dev, c, n))
}

// readText reads a file of the mount.
func readText(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(b)
}

// writeCtl writes text to a control file in one write(2), as `echo` does,
// and returns the errno (0 on success).
func writeCtl(t testing.TB, path, text string) syscall.Errno {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC, 0)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	_, err = f.Write([]byte(text + "\n"))
	return errnoOf(err)
}

func errnoOf(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return syscall.EIO
}

// mustCtl writes a control file and fails the test on error, showing the
// error file.
func mustCtl(t testing.TB, path, text string) {
	t.Helper()
	if e := writeCtl(t, path, text); e != 0 {
		errFile, _ := os.ReadFile(filepath.Join(filepath.Dir(path), "error"))
		t.Fatalf("echo %s > %s: %v; error file: %s", text, filepath.Base(path), e, errFile)
	}
}

// vsnd runs the vsnd binary and returns its combined output.
func vsnd(t testing.TB, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, vsndBin, args...).CombinedOutput()
	return string(out), err
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// openData opens a data file the way a Go program must: see
// fusefs.OpenBlocking.
func openData(path string, flags int) (*os.File, error) {
	return fusefs.OpenBlocking(path, flags)
}
