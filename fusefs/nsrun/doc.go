// Package nsrun runs a program in a private mount namespace whose /dev
// shows a vsnd mount's device nodes: DIR/dev/snd on /dev/snd, and every
// other file of DIR/dev (the OSS face's dsp, dspN, mixer) on /dev/NAME.
// Unmodified programs (aplay, arecord, amixer, speaker-test, ossplay ...)
// then open vsnd's files where they look for a sound card's.
//
// # How
//
// Command builds an exec.Cmd that re-executes the running binary (the
// vsnd command; /proc/self/exe) with HelperArg, in a new mount namespace
// (SysProcAttr.Unshareflags = CLONE_NEWNS; Go then makes / MS_REC|
// MS_PRIVATE, as unshare(1) does). The binary's main hands those
// arguments to Helper, which arranges /dev and execs the program in
// place: the program keeps the helper's pid, so signals sent to the
// exec.Cmd's process reach it, and its exit status is the Cmd's.
//
// # The host's /dev stays untouched
//
// /dev is the host's devtmpfs (or a container's tmpfs), shared with the
// host: a /dev/snd created in it would appear outside the namespace and
// stay after the program ends. Helper therefore never writes to it. It
// opens the old /dev, mounts a fresh tmpfs over /dev (visible only in the
// namespace), and rebuilds it from the old one reached through that
// descriptor (/proc/self/fd/N/...): directories (pts, shm, mqueue, input,
// ...) are recursive bind mounts, device nodes and other files are bind
// mounts onto empty files, symbolic links (fd, stdin, ptmx, ...) are
// copied. The host's own snd directory and dsp/mixer nodes, if any, are
// left out, and the vsnd nodes are bind-mounted in their place. Nothing
// is created outside the namespace's tmpfs, and the namespace (with all
// its mounts) disappears with the program.
//
// Needs CAP_SYS_ADMIN (root) for unshare and mount.
package nsrun
