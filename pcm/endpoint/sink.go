package endpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Compile-time checks: every sink implements pcm.Sink.
var (
	_ pcm.Sink = (*NullSink)(nil)
	_ pcm.Sink = (*WAVSink)(nil)
)

// NullSink discards what it is given and counts the frames ("null").
type NullSink struct {
	frameBytes atomic.Int64 // bytes per frame of the current run
	frames     atomic.Int64 // frames written over all runs
}

// Open implements pcm.Sink.Open.
func (s *NullSink) Open(c pcm.Config) error {
	if c.FrameBytes() <= 0 {
		return pcm.Errorf(syscall.EINVAL, "sink null: bad configuration %v x %d", c.Format, c.Channels)
	}
	s.frameBytes.Store(int64(c.FrameBytes()))
	return nil
}

// Write implements pcm.Sink.Write.
func (s *NullSink) Write(p []byte) (int, error) {
	if fb := s.frameBytes.Load(); fb > 0 {
		s.frames.Add(int64(len(p)) / fb)
	}
	return len(p), nil
}

// Close implements pcm.Sink.Close.
func (s *NullSink) Close() error { return nil }

// Frames is the number of frames written over all runs.
func (s *NullSink) Frames() int64 { return s.frames.Load() }

// WAVSink writes each run to a WAV file ("wav:PATH"). If PATH is an existing
// directory or ends in "/", every run gets a new file in it named
// <StreamID>-NNNN.wav (never overwriting; the directory is created if
// missing); otherwise each run truncates and rewrites PATH.
type WAVSink struct {
	path string       // immutable
	id   StreamID     // immutable
	log  *slog.Logger // immutable
	mu   sync.Mutex   // guards the fields below
	f    *os.File     // guarded by mu; the current run's file, nil between runs
	w    *WAVWriter   // guarded by mu
	name string       // guarded by mu; the current run's file name
	seq  int          // guarded by mu; the last number used in directory mode
	done []string     // guarded by mu; files of finished and current runs
	err  error        // guarded by mu; first write error of the current run

	every int64 // immutable; header rewrite period in data bytes, 0: about 1 s
}

func newWAVSink(path string, id StreamID, log *slog.Logger) *WAVSink {
	return &WAVSink{path: path, id: id, log: log}
}

// Open implements pcm.Sink.Open: it creates the run's file and writes the
// WAV header. A run left open is closed first.
func (s *WAVSink) Open(c pcm.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		s.closeLocked()
	}
	// Check everything NewWAVWriter checks before a file is created.
	if _, _, err := WAVStorage(c.Format); err != nil {
		return pcm.Errorf(syscall.EINVAL, "sink wav:%s: %s", s.path, reason(err))
	}
	if c.Channels < 1 || c.Channels > MaxChannels || c.Rate <= 0 {
		return pcm.Errorf(syscall.EINVAL, "sink wav:%s: bad configuration %d channels at %d Hz", s.path, c.Channels, c.Rate)
	}
	f, name, err := s.createLocked()
	if err != nil {
		return err
	}
	w, err := NewWAVWriter(f, c.Format, c.Channels, c.Rate, s.every)
	if err != nil {
		f.Close()
		return pcm.Errorf(pcm.Errno(err), "sink wav:%s: %s", name, reason(err))
	}
	s.f, s.w, s.name, s.err = f, w, name, nil
	s.done = append(s.done, name)
	s.log.Info("sink wav: recording", "stream", s.id.String(), "file", name,
		"format", c.Format.String(), "channels", c.Channels, "rate", c.Rate)
	return nil
}

// createLocked opens the file of a new run.
// Precondition: s.mu must be held.
func (s *WAVSink) createLocked() (*os.File, string, error) {
	dir := strings.HasSuffix(s.path, "/")
	if st, err := os.Stat(s.path); err == nil && st.IsDir() {
		dir = true
	}
	if !dir {
		f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, "", pcm.Errorf(errnoOf(err), "sink wav:%s: %v", s.path, err)
		}
		return f, s.path, nil
	}
	if err := os.MkdirAll(s.path, 0o755); err != nil {
		return nil, "", pcm.Errorf(errnoOf(err), "sink wav:%s: %v", s.path, err)
	}
	for tries := 0; tries < 1<<20; tries++ {
		s.seq++
		name := filepath.Join(s.path, fmt.Sprintf("%s-%04d.wav", s.id, s.seq))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			return f, name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", pcm.Errorf(errnoOf(err), "sink wav:%s: %v", s.path, err)
		}
	}
	return nil, "", pcm.Errorf(syscall.ENOSPC, "sink wav:%s: no free file name for %v", s.path, s.id)
}

// Write implements pcm.Sink.Write. A write error is returned and sticks
// for the rest of the run.
func (s *WAVSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		return 0, pcm.Errorf(syscall.EBADF, "sink wav:%s: write outside a run", s.path)
	}
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = pcm.Errorf(errnoOf(err), "sink wav:%s: %v", s.name, err)
		return n, s.err
	}
	return n, nil
}

// Close implements pcm.Sink.Close: it writes the final sizes and closes the
// file. It does not fsync (see the package doc). Close is idempotent.
func (s *WAVSink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closeLocked()
}

// closeLocked ends the current run, if any.
// Precondition: s.mu must be held.
func (s *WAVSink) closeLocked() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.log.Info("sink wav: finished", "stream", s.id.String(), "file", s.name, "frames", s.w.Frames())
	s.f, s.w = nil, nil
	if err != nil {
		return pcm.Errorf(errnoOf(err), "sink wav:%s: %v", s.name, err)
	}
	return nil
}

// Files lists the files this sink has written or is writing, oldest first.
// With a file PATH it is that path once per run.
func (s *WAVSink) Files() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.done...)
}

// errnoOf returns the errno inside an os error, EIO if there is none.
func errnoOf(err error) syscall.Errno {
	var en syscall.Errno
	if errors.As(err, &en) {
		return en
	}
	return pcm.Errno(err)
}
