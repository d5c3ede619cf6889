package nsrun

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// HelperArg is the hidden first argument under which the re-executed
// binary must call Helper with the remaining arguments.
const HelperArg = "__vsnd_nsrun"

// Command returns the command that runs argv[0] with argv in a private
// mount namespace whose /dev holds the nodes of the vsnd mount on dir.
// The caller sets Stdin/Stdout/Stderr/Env and runs it; its exit status is
// the program's. The helper's own errors exit with status 127 and a
// message on stderr.
func Command(dir string, argv []string) (*exec.Cmd, error) {
	if len(argv) == 0 {
		return nil, errors.New("nsrun: no program to run")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(filepath.Join(abs, "dev", "snd")); err != nil {
		return nil, fmt.Errorf("nsrun: %s is not a vsnd mount: %w", dir, err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("nsrun: %s is not a vsnd mount (dev/snd is no directory)", dir)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, append([]string{HelperArg, abs, "--"}, argv...)...)
	cmd.Args[0] = argv[0]
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	return cmd, nil
}

// Helper is the re-executed side of Command: args are DIR, "--", the
// program and its arguments. It arranges /dev and execs the program; it
// returns only on failure, with the exit status to use (127).
func Helper(args []string) int {
	if len(args) < 3 || args[1] != "--" {
		fmt.Fprintln(os.Stderr, "vsnd run: internal helper: bad arguments")
		return 127
	}
	dir, argv := args[0], args[2:]
	path, err := exec.LookPath(argv[0])
	if err != nil {
		fmt.Fprintf(os.Stderr, "vsnd run: %v\n", err)
		return 127
	}
	if err := SetupDev(dir); err != nil {
		fmt.Fprintf(os.Stderr, "vsnd run: %v\n", err)
		return 127
	}
	err = unix.Exec(path, argv, os.Environ())
	fmt.Fprintf(os.Stderr, "vsnd run: exec %s: %v\n", path, err)
	return 127
}

// SetupDev replaces /dev, in the calling process's mount namespace (which
// must be private: see Command), by a tmpfs holding the old /dev's entries
// and the vsnd mount's dev/ nodes.
func SetupDev(dir string) error {
	if err := unix.Mount("none", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make / private: %w", err)
	}
	vdev := filepath.Join(dir, "dev")
	vents, err := os.ReadDir(vdev)
	if err != nil {
		return fmt.Errorf("%s: %w", vdev, err)
	}
	oldFd, err := unix.Open("/dev", unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /dev: %w", err)
	}
	defer unix.Close(oldFd)
	old := "/proc/self/fd/" + strconv.Itoa(oldFd)
	d, err := os.Open(old)
	if err != nil {
		return fmt.Errorf("list /dev: %w", err)
	}
	ents, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("list /dev: %w", err)
	}
	if err := unix.Mount("vsnd-dev", "/dev", "tmpfs", unix.MS_NOSUID, "mode=755"); err != nil {
		return fmt.Errorf("mount tmpfs on /dev: %w", err)
	}
	replaced := map[string]bool{}
	for _, e := range vents {
		replaced[e.Name()] = true
	}
	for _, e := range ents {
		name := e.Name()
		if replaced[name] || isHostSound(name) {
			continue
		}
		if err := copyEntry(old, name, e.Type()); err != nil {
			// A node that cannot be bound (a race with udev, an odd
			// file type) must not stop the program: skip it.
			fmt.Fprintf(os.Stderr, "vsnd run: /dev/%s not available in the namespace: %v\n", name, err)
		}
	}
	for _, e := range vents {
		src := filepath.Join(vdev, e.Name())
		dst := "/dev/" + e.Name()
		if err := bindOnto(src, dst, e.IsDir()); err != nil {
			return err
		}
	}
	return nil
}

// isHostSound names the host's own sound devices, which the vsnd nodes
// replace: snd/ and the OSS nodes.
func isHostSound(name string) bool {
	for _, p := range []string{"snd", "dsp", "mixer", "audio", "sequencer", "midi", "adsp", "amidi", "dmmidi", "dmfm"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// copyEntry recreates /dev/name of the old /dev (reached under old).
func copyEntry(old, name string, typ os.FileMode) error {
	src := old + "/" + name
	dst := "/dev/" + name
	switch {
	case typ&os.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case typ.IsDir():
		return bindOnto(src, dst, true)
	default:
		return bindOnto(src, dst, false)
	}
}

// bindOnto creates the mount point dst (a directory or an empty file) and
// bind-mounts src on it (recursively for directories).
func bindOnto(src, dst string, dir bool) error {
	flags := uintptr(unix.MS_BIND)
	if dir {
		flags |= unix.MS_REC
		if err := os.Mkdir(dst, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	} else {
		f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		f.Close()
	}
	if err := unix.Mount(src, dst, "", flags, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", src, dst, err)
	}
	return nil
}

// ExitCode is the shell's view of a finished process: its exit status, or
// 128+N when signal N killed it.
func ExitCode(ps *os.ProcessState) int {
	if ps == nil {
		return 127
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
