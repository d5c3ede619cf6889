package fusefs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// readyFDEnv names the environment variable through which a --background
// parent hands its child the write end of a pipe: the child writes "ok\n"
// once mounted, or an error line, and closes it.
const readyFDEnv = "VSND_READY_FD"

// Run mounts o, reports readiness to a --background parent if there is
// one, and serves until ctx ends (SIGINT/SIGTERM in the command) or the
// filesystem is unmounted from outside; then it stops every stream, finishes
// every file being written and unmounts.
func Run(ctx context.Context, o Options) error {
	srv, err := Mount(o)
	notifyReady(err)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		srv.Wait()
		close(done)
	}()
	select {
	case <-ctx.Done():
		srv.log.Info("stopping", "dir", srv.dir, "why", context.Cause(ctx))
		return srv.Unmount()
	case <-done:
		srv.log.Info("unmounted from outside", "dir", srv.dir)
		return nil
	}
}

// notifyReady tells a waiting --background parent how the mount went.
func notifyReady(err error) {
	v := os.Getenv(readyFDEnv)
	if v == "" {
		return
	}
	os.Unsetenv(readyFDEnv)
	fd, perr := strconv.Atoi(v)
	if perr != nil {
		return
	}
	f := os.NewFile(uintptr(fd), "ready")
	if f == nil {
		return
	}
	defer f.Close()
	if err != nil {
		fmt.Fprintf(f, "error %s\n", strings.ReplaceAll(err.Error(), "\n", " "))
		return
	}
	io.WriteString(f, "ok\n")
}

// IsBackgroundChild reports whether this process is the detached child of
// a --background parent.
func IsBackgroundChild() bool { return os.Getenv(readyFDEnv) != "" }

// StartBackground re-executes the running binary with args in a new
// session (no controlling terminal; the terminal's signals do not reach
// it), stdin and stdout on /dev/null, and waits until the child has
// mounted. It returns the child's pid, or the child's error. The child's
// stderr is stderr if that is a terminal or a file, else /dev/null: a pipe
// held by the daemon would keep `out=$(vsnd mount --background DIR 2>&1)`
// waiting forever (use --log FILE to keep the daemon's logs).
func StartBackground(args []string, stderr *os.File) (int, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), readyFDEnv+"=3")
	cmd.ExtraFiles = []*os.File{w} // fd 3
	if stderr != nil && !isPipe(stderr) {
		cmd.Stderr = stderr
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.Close()
		return 0, err
	}
	w.Close()
	line, rerr := bufio.NewReader(r).ReadString('\n')
	line = strings.TrimSpace(line)
	switch {
	case line == "ok":
		pid := cmd.Process.Pid
		cmd.Process.Release()
		return pid, nil
	case strings.HasPrefix(line, "error "):
		cmd.Wait()
		return 0, errors.New(strings.TrimPrefix(line, "error "))
	default:
		werr := cmd.Wait()
		return 0, fmt.Errorf("daemon exited before the mount was ready (%v, %v)", werr, rerr)
	}
}

// isPipe reports whether f is a pipe or a socket.
func isPipe(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return true
	}
	return fi.Mode()&(os.ModeNamedPipe|os.ModeSocket) != 0
}
