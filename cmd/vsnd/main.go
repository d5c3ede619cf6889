// Command vsnd mounts a virtual sound card as a FUSE filesystem.
//
//	vsnd mount [flags] DIR   mount a card tree on DIR and serve until SIGINT/SIGTERM
//	vsnd umount DIR          stop the daemon serving DIR and unmount it
//	vsnd status DIR          summarize every stream of the mount on DIR
//	vsnd run [flags] -- CMD  run CMD with the card on /dev/snd (private mount namespace)
//
// The command only parses its arguments; the work is in package fusefs.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vsnd/vsnd/fusefs"
	"github.com/vsnd/vsnd/fusefs/nsrun"
)

const usage = `usage:
  vsnd mount [flags] DIR   mount a card tree on DIR (serves until SIGINT/SIGTERM)
  vsnd umount DIR          stop the daemon serving DIR and unmount it
  vsnd status DIR          summarize every stream of the mount on DIR
  vsnd run [flags] [--mount DIR] -- CMD [ARGS...]
                           run CMD with the card as /dev/snd (see "vsnd run -h")
run "vsnd mount -h" for the mount flags`

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, usage)
		return 2
	}
	switch args[0] {
	case "mount":
		return mount(args[1:])
	case "umount", "unmount":
		return umount(args[1:])
	case "status":
		return status(args[1:])
	case "run":
		return runCommand(args[1:])
	case nsrun.HelperArg:
		return nsrun.Helper(args[1:])
	case "help", "-h", "--help":
		fmt.Println(usage)
		return 0
	}
	fmt.Fprintf(os.Stderr, "vsnd: unknown command %q\n%s\n", args[0], usage)
	return 2
}

func mount(args []string) int {
	fs := flag.NewFlagSet("vsnd mount", flag.ContinueOnError)
	var mf fusefs.MountFlags
	mf.Register(fs)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: vsnd mount [flags] DIR")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	dir := fs.Arg(0)
	cfg, err := mf.Config()
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsnd:", err)
		return 2
	}
	if mf.Background && !fusefs.IsBackgroundChild() {
		pid, err := fusefs.StartBackground(append([]string{"mount"}, args...), os.Stderr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vsnd:", err)
			return 1
		}
		fmt.Println(pid)
		return 0
	}
	log, closeLog, err := newLogger(&mf)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsnd:", err)
		return 1
	}
	defer closeLog()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err = fusefs.Run(ctx, fusefs.Options{Dir: dir, Config: cfg, Logger: log, FuseDebug: mf.FuseDebug})
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsnd:", err)
		return 1
	}
	return 0
}

// newLogger builds the daemon's logger from the -log and -v flags: text to
// stderr, or appended to the -log file; warnings only, or every operation
// with -v. The caller runs the returned close when the daemon is done.
func newLogger(mf *fusefs.MountFlags) (*slog.Logger, func(), error) {
	var out io.Writer = os.Stderr
	closeLog := func() {}
	if mf.LogFile != "" {
		f, err := os.OpenFile(mf.LogFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, nil, err
		}
		out = f
		closeLog = func() { f.Close() }
	}
	level := slog.LevelWarn
	if mf.Verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: level})), closeLog, nil
}

func umount(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: vsnd umount DIR")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fusefs.Unmount(ctx, args[0]); err != nil {
		fmt.Fprintln(os.Stderr, "vsnd:", err)
		return 1
	}
	return 0
}

func status(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: vsnd status DIR")
		return 2
	}
	s, err := fusefs.Summary(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vsnd:", err)
		return 1
	}
	fmt.Print(s)
	return 0
}
