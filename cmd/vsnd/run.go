package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/vsnd/vsnd/fusefs"
	"github.com/vsnd/vsnd/fusefs/nsrun"
)

const runUsage = `usage: vsnd run [card flags] [--mount DIR] -- CMD [ARGS...]

Runs CMD in a private mount namespace where /dev/snd is the vsnd mount's
dev/snd (and /dev/dsp, /dev/mixer... its OSS nodes, when it has them), so
unmodified ALSA and OSS programs use vsnd's card. Without --mount, a fresh
card is mounted for the duration of CMD, built from the card flags (the
flags of "vsnd mount"). The exit status is CMD's (128+N if signal N killed
it); SIGINT and SIGTERM are passed on to CMD. Needs root.`

// runFlagsWithMount are the flags of run that still apply with --mount
// (the others describe a card to mount).
var runFlagsWithMount = map[string]bool{"mount": true, "v": true, "log": true, "fuse-debug": true}

func runCommand(args []string) int {
	fs := flag.NewFlagSet("vsnd run", flag.ContinueOnError)
	var mf fusefs.MountFlags
	mf.Register(fs)
	mountDir := fs.String("mount", "", "run against the vsnd mount on `DIR` instead of mounting a fresh card")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), runUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	argv := fs.Args()
	if len(argv) == 0 {
		fs.Usage()
		return 2
	}
	var cardFlags []string
	fs.Visit(func(f *flag.Flag) {
		if !runFlagsWithMount[f.Name] {
			cardFlags = append(cardFlags, "-"+f.Name)
		}
	})
	if mf.Background {
		fmt.Fprintln(os.Stderr, "vsnd run: --background does not apply")
		return 2
	}
	if *mountDir != "" && len(cardFlags) > 0 {
		fmt.Fprintf(os.Stderr, "vsnd run: %v describe a card to mount: not with --mount\n", cardFlags)
		return 2
	}
	log, closeLog, err := newLogger(&mf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsnd run:", err)
		return 1
	}
	defer closeLog()

	dir := *mountDir
	if dir == "" {
		cfg, err := mf.Config()
		if err != nil {
			fmt.Fprintln(os.Stderr, "vsnd run:", err)
			return 2
		}
		tmp, err := os.MkdirTemp("", "vsnd-run-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "vsnd run:", err)
			return 1
		}
		defer os.RemoveAll(tmp)
		srv, err := fusefs.Mount(fusefs.Options{Dir: filepath.Join(tmp, "snd"), Config: cfg, Logger: log, FuseDebug: mf.FuseDebug})
		if err != nil {
			fmt.Fprintln(os.Stderr, "vsnd run:", err)
			return 1
		}
		// Unmount releases every substream (WAV sinks get their final
		// header) before the temporary directory goes.
		defer func() {
			if err := srv.Unmount(); err != nil {
				fmt.Fprintln(os.Stderr, "vsnd run:", err)
			}
		}()
		dir = srv.Dir()
	}
	return runIn(dir, argv)
}

// runIn runs argv in the namespace over the mount on dir, passing SIGINT
// and SIGTERM on, and returns its exit code.
func runIn(dir string, argv []string) int {
	cmd, err := nsrun.Command(dir, argv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsnd run:", err)
		return 1
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "vsnd run:", err)
		return 1
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				// A terminal's Ctrl-C reaches CMD directly too (same
				// process group); a second SIGINT is harmless to the
				// programs this is for (aplay aborts once).
				cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, "vsnd run:", err)
		return 1
	}
	return nsrun.ExitCode(cmd.ProcessState)
}
