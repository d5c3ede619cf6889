package fusefs

import (
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hanwen/go-fuse/v2/fs"
	"github.com/hanwen/go-fuse/v2/fuse"
	"golang.org/x/sys/unix"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/mixer"
	"github.com/vsnd/vsnd/timer"
)

// Options configures Mount.
type Options struct {
	// Dir is the mount point; it is created if missing.
	Dir string
	// Config is the card layout.
	Config Config
	// Timer drives every stream. Nil: Mount creates a timer.NewHR source
	// and closes it on unmount.
	Timer timer.Source
	// Logger receives warnings, errors and (at debug level) one line per
	// operation. Nil: slog.Default().
	Logger *slog.Logger
	// FuseDebug logs every FUSE request (go-fuse's own debug output).
	FuseDebug bool
}

// FsType is the filesystem type the mount shows in /proc/self/mountinfo
// ("fuse." + Name), which umount and the stale-mount check look for.
const FsType = "fuse.vsnd"

// Server is a mounted card tree.
type Server struct {
	dir     string         // immutable: absolute mount point
	log     *slog.Logger   // immutable
	cards   []*pcm.Card    // immutable
	mixers  []*mixer.Mixer // immutable: the mixer of each card, by card number
	alsa    *alsaFace      // immutable: the ALSA face of dev/snd (alsa_face.go)
	streams []*stream      // immutable: every substream, in tree order
	fuse    *fuse.Server   // immutable
	raw     *flagsFS       // immutable: the raw filesystem, for request flags
	oss     *ossFace       // immutable once the tree is built (OnAdd, before serving): the OSS face
	hr      *timer.HR      // immutable: the source Mount created, or nil
	connDev uint64         // immutable: st_dev of the mount, names /sys/fs/fuse/connections/N
	done    chan struct{}  // closed when Wait's cleanup has run

	stopOnce sync.Once // runs stopStreams once
	waitOnce sync.Once // runs the post-serve cleanup once
}

// Mount builds the cards of o.Config, mounts their tree on o.Dir and serves
// it in the background. A stale mount of a crashed daemon on o.Dir is
// cleaned first; a live vsnd mount there is an error.
func Mount(o Options) (*Server, error) {
	lg := o.Logger
	if lg == nil {
		lg = slog.Default()
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := checkFuseDevice(); err != nil {
		return nil, err
	}
	if err := cleanStale(dir, lg); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("mount point: %w", err)
	}
	layouts, err := o.Config.resolve()
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, log: lg, done: make(chan struct{})}
	src := o.Timer
	if src == nil {
		hr, err := timer.NewHR(timer.HROptions{Logf: func(f string, a ...any) { lg.Warn(fmt.Sprintf(f, a...)) }})
		if err != nil {
			return nil, fmt.Errorf("timer: %w", err)
		}
		s.hr, src = hr, hr
	}
	env := newEndpointEnv(lg)
	for n, l := range layouts {
		c, err := pcm.NewCard(n, l.cfg, newBackend(src))
		if err != nil {
			s.closeTimer()
			return nil, err
		}
		s.cards = append(s.cards, c)
		// The card's mixer: its gains apply to every sink and source of
		// the card (mixer.GainSink/GainSource, bit-exact at 0 dB); the
		// ALSA control node and the OSS mixer are views of it.
		s.mixers = append(s.mixers, mixer.Default())
		for _, d := range c.Devices {
			for st := pcm.Playback; st <= pcm.Capture; st++ {
				spec := l.sinks[d.Number]
				if st == pcm.Capture {
					spec = l.sources[d.Number]
				}
				for i := range d.Substreams(st) {
					ss := newStream(s, d, st, i, env)
					if err := ss.setEndpoint(spec[i]); err != nil {
						s.closeTimer()
						return nil, fmt.Errorf("%s: %w", ss.name, err)
					}
					s.streams = append(s.streams, ss)
				}
			}
		}
	}

	if s.alsa, err = newALSAFace(s); err != nil {
		s.closeTimer()
		return nil, err
	}
	root := &rootNode{srv: s}
	sec := time.Second
	raw := &flagsFS{RawFileSystem: s.alsa.rawFS(fs.NewNodeFS(root, &fs.Options{
		EntryTimeout: &sec,
		AttrTimeout:  &sec,
		Logger:       slogStd(lg),
	}))}
	s.raw = raw
	mo := &fuse.MountOptions{
		AllowOther:    true,
		DirectMount:   true,
		MaxWrite:      1 << 20,
		FsName:        "vsnd:" + strconv.Itoa(os.Getpid()),
		Name:          "vsnd",
		DisableXAttrs: true,
		Debug:         o.FuseDebug,
		Logger:        slogStd(lg),
	}
	fsrv, err := newServerCloexec(raw, dir, mo)
	if err != nil {
		s.closeTimer()
		return nil, mountError(dir, err)
	}
	s.fuse = fsrv
	go fsrv.Serve()
	if err := fsrv.WaitMount(); err != nil {
		s.closeTimer()
		return nil, mountError(dir, err)
	}
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err == nil {
		s.connDev = st.Dev
	}
	lg.Info("mounted", "dir", dir, "cards", len(s.cards), "substreams", len(s.streams))
	return s, nil
}

// Dir returns the absolute mount point.
func (s *Server) Dir() string { return s.dir }

// Cards returns the cards the server serves.
func (s *Server) Cards() []*pcm.Card { return s.cards }

// Wait blocks until the filesystem is unmounted (by Unmount, `vsnd
// umount`, or umount(8)), then stops every stream and releases every
// substream so that sinks finish their files. It may be called from several
// goroutines.
func (s *Server) Wait() {
	s.fuse.Wait()
	s.finish()
}

// finish releases everything once serving has ended or been abandoned.
func (s *Server) finish() {
	s.waitOnce.Do(func() {
		s.stopStreams()
		s.closeTimer()
		close(s.done)
	})
	<-s.done
}

// Unmount stops every stream, releases every substream (sinks Close: WAV
// files are complete when it returns) and unmounts. Files still held open
// by clients do not keep the mount alive: after a few tries the mount is
// detached (MNT_DETACH) and the FUSE connection aborted through fusectl, so
// the clients' next operation fails with ENOTCONN. If the connection cannot
// be aborted (no fusectl), the serving goroutines end when the last client
// closes its file; Unmount does not wait for them.
func (s *Server) Unmount() error {
	s.stopStreams()
	var err error
	delay := 5 * time.Millisecond
	for try := 0; try < 6; try++ {
		err = unix.Unmount(s.dir, 0)
		if err == nil || errors.Is(err, unix.EINVAL) { // EINVAL: not mounted (any more)
			s.Wait()
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(delay) // the kernel may not have released a just-closed file yet
		delay *= 2
	}
	s.log.Warn("mount busy (clients hold files open): detaching", "dir", s.dir, "err", err)
	if err := unix.Unmount(s.dir, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
		s.finish()
		return fmt.Errorf("unmount %s: %w", s.dir, err)
	}
	if s.abortConn() {
		s.Wait()
		return nil
	}
	s.log.Warn("cannot abort the FUSE connection; it ends when the last client closes its file", "dir", s.dir)
	s.finish()
	return nil
}

// abortConn aborts the FUSE connection (/sys/fs/fuse/connections/N/abort),
// which ends the serve loops even while clients hold files of a detached
// mount. Where fusectl is not mounted it mounts a private instance on a
// temporary directory for the write.
func (s *Server) abortConn() bool {
	if s.connDev == 0 {
		return false
	}
	name := fmt.Sprintf("%d/abort", s.connDev)
	if os.WriteFile(filepath.Join("/sys/fs/fuse/connections", name), []byte("1"), 0) == nil {
		return true
	}
	tmp, err := os.MkdirTemp("", "vsnd-fusectl-")
	if err != nil {
		return false
	}
	defer os.Remove(tmp)
	if err := unix.Mount("fusectl", tmp, "fusectl", 0, ""); err != nil {
		s.log.Warn("mount fusectl", "err", err)
		return false
	}
	defer unix.Unmount(tmp, unix.MNT_DETACH)
	if err := os.WriteFile(filepath.Join(tmp, name), []byte("1"), 0); err != nil {
		s.log.Warn("abort FUSE connection", "err", err)
		return false
	}
	return true
}

// stopStreams releases every substream the native face holds: running
// streams are dropped (not drained), hw params freed, sinks closed.
func (s *Server) stopStreams() {
	s.stopOnce.Do(func() {
		s.alsa.shutdown()
		var wg sync.WaitGroup
		for _, st := range s.streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st.shutdown()
			}()
		}
		s.oss.shutdown() // the substreams open dsp files hold
		wg.Wait()
		s.log.Info("streams stopped", "dir", s.dir)
	})
}

func (s *Server) closeTimer() {
	if s.hr != nil {
		if err := s.hr.Close(); err != nil {
			s.log.Warn("timer close", "err", err)
		}
	}
}

// checkFuseDevice explains a missing or unusable /dev/fuse.
func checkFuseDevice() error {
	f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0)
	switch {
	case err == nil:
		f.Close()
		return nil
	case errors.Is(err, os.ErrNotExist):
		return errors.New("/dev/fuse is missing: load the fuse module (modprobe fuse), " +
			"or give the container the device (docker run --device /dev/fuse --cap-add SYS_ADMIN)")
	case errors.Is(err, os.ErrPermission):
		return errors.New("no permission to open /dev/fuse: run vsnd as root, " +
			"or add your user to the group that owns /dev/fuse")
	default:
		return fmt.Errorf("/dev/fuse: %w", err)
	}
}

// mountError adds what to do to a failed mount.
func mountError(dir string, err error) error {
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("mount %s: %w: mounting needs root (CAP_SYS_ADMIN), or fusermount3 "+
			"(apt-get install fuse3) with user_allow_other in /etc/fuse.conf", dir, err)
	}
	return fmt.Errorf("mount %s: %w (is fusermount3 installed? apt-get install fuse3)", dir, err)
}

// slogStd adapts a slog.Logger to the *log.Logger go-fuse wants; its
// messages are warnings.
func slogStd(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
