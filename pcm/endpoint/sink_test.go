package endpoint

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

var quiet = &Env{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

func cfg(f pcm.Format, ch, rate int) pcm.Config {
	return pcm.Config{Access: pcm.AccessRWInterleaved, Format: f, Channels: ch, Rate: rate,
		PeriodSize: 256, Periods: 4, BufferSize: 1024}
}

func newSink(t *testing.T, spec string, id StreamID, env *Env) pcm.Sink {
	t.Helper()
	s, err := ParseSink(spec)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := s.New(id, env)
	if err != nil {
		t.Fatal(err)
	}
	return sink
}

func TestNullSinkCounts(t *testing.T) {
	s := newSink(t, "null", StreamID{}, quiet).(*NullSink)
	if err := s.Open(cfg(pcm.FormatS16LE, 2, 48000)); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if n, err := s.Write(make([]byte, 400)); n != 400 || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
	}
	s.Close()
	if got := s.Frames(); got != 300 {
		t.Fatalf("Frames = %d, want 300", got)
	}
}

// TestWAVSinkFile: each run rewrites PATH, and the file holds exactly the
// last run.
func TestWAVSinkFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.wav")
	s := newSink(t, "wav:"+path, StreamID{}, quiet).(*WAVSink)
	for run, f := range []pcm.Format{pcm.FormatS32BE, pcm.FormatU8} {
		data := canonical(t, f, 2*700, uint64(run))
		if err := s.Open(cfg(f, 2, 8000)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		info, got, err := ReadWAVFile(path, 0)
		if err != nil {
			t.Fatal(err)
		}
		if back := convert(t, info.Format, 2, f, 2, got); !bytes.Equal(back, data) {
			t.Fatalf("run %d (%v): file does not hold the run's frames", run, f)
		}
	}
	if got := s.Files(); !slices.Equal(got, []string{path, path}) {
		t.Fatalf("Files = %q", got)
	}
	if _, err := s.Write([]byte{0, 0}); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

// TestWAVSinkDirectory: runs get their own numbered files and never
// overwrite an existing one, not even one of an earlier sink.
func TestWAVSinkDirectory(t *testing.T) {
	dir := t.TempDir()
	id := StreamID{Card: 1, Device: 0, Sub: 2, Stream: pcm.Playback}
	// A file from "an earlier daemon" holds number 0002.
	old := filepath.Join(dir, "card1-pcm0p-sub2-0002.wav")
	os.WriteFile(old, []byte("keep me"), 0o644)
	var all []string
	for sinkNo := 0; sinkNo < 2; sinkNo++ {
		s := newSink(t, "wav:"+dir, id, quiet).(*WAVSink)
		for run := 0; run < 2; run++ {
			if err := s.Open(cfg(pcm.FormatS16LE, 1, 8000)); err != nil {
				t.Fatal(err)
			}
			s.Write(make([]byte, 20))
			s.Close()
		}
		all = append(all, s.Files()...)
	}
	want := []string{"0001", "0003", "0004", "0005"}
	for i, f := range all {
		if filepath.Dir(f) != dir || filepath.Base(f) != "card1-pcm0p-sub2-"+want[i]+".wav" {
			t.Errorf("file %d is %s", i, f)
		}
	}
	// The second sink found 0001 and 0003 taken, so it wrote 0004 and 0005.
	names, _ := filepath.Glob(filepath.Join(dir, "*.wav"))
	if len(names) != 5 {
		t.Fatalf("directory holds %q", names)
	}
	if b, _ := os.ReadFile(old); string(b) != "keep me" {
		t.Fatal("an existing file was overwritten")
	}
}

// TestWAVSinkSurvivesKill writes without Close, as a killed daemon would:
// the file on disk is a valid WAV holding exactly the frames up to the last
// periodic header update.
func TestWAVSinkSurvivesKill(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.wav")
	s := newSink(t, "wav:"+path, StreamID{}, quiet).(*WAVSink)
	s.every = 4000 // bytes: 1000 stereo S16 frames
	if err := s.Open(cfg(pcm.FormatS16LE, 2, 48000)); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	data := canonical(t, pcm.FormatS16LE, 2*2500, 5)
	for i := 0; i < len(data); i += 400 {
		if _, err := s.Write(data[i : i+400]); err != nil {
			t.Fatal(err)
		}
	}
	info, got, err := ReadWAVFile(path, 0)
	if err != nil {
		t.Fatalf("file is not valid before Close: %v", err)
	}
	if info.Frames != 2000 || !bytes.Equal(got, data[:8000]) {
		t.Fatalf("file holds %d frames (prefix ok: %v), want the 2000 of the last update",
			info.Frames, bytes.Equal(got, data[:len(got)]))
	}
	if soxi, err := exec.LookPath("soxi"); err == nil {
		if out, err := exec.Command(soxi, "-s", path).Output(); err != nil || strings.TrimSpace(string(out)) != "2000" {
			t.Errorf("soxi -s on the unclosed file: %q, %v; want 2000", out, err)
		}
	}
	// The default period is about one second of audio.
	s2 := newWAVSink(filepath.Join(t.TempDir(), "d.wav"), StreamID{}, quiet.logger())
	if err := s2.Open(cfg(pcm.FormatS16LE, 2, 48000)); err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.w.every != 48000*4 {
		t.Fatalf("default header period %d bytes, want one second (%d)", s2.w.every, 48000*4)
	}
}

func TestWAVSinkErrors(t *testing.T) {
	dir := t.TempDir()
	s := newSink(t, "wav:"+filepath.Join(dir, "no", "such", "dir", "x.wav"), StreamID{}, quiet)
	if err := s.Open(cfg(pcm.FormatS16LE, 2, 48000)); pcm.Errno(err) == 0 {
		t.Fatalf("Open in a missing directory: %v", err)
	}
	if _, err := s.Write(make([]byte, 4)); err == nil {
		t.Fatal("Write without a run succeeded")
	}
	// A bad configuration fails before any file is made.
	d := newSink(t, "wav:"+dir+"/", StreamID{}, quiet)
	for _, c := range []pcm.Config{cfg(pcm.Format(77), 2, 8000), cfg(pcm.FormatS16LE, 0, 8000), cfg(pcm.FormatS16LE, 2, 0)} {
		if err := d.Open(c); pcm.Errno(err) != syscall.EINVAL {
			t.Errorf("Open(%v x%d at %d) = %v, want EINVAL", c.Format, c.Channels, c.Rate, err)
		}
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*.wav")); len(names) != 0 {
		t.Errorf("failed Opens left files: %q", names)
	}
}

// TestWAVSinkCloseDuringWrite: the core may Close from another goroutine
// while the pump writes (run with -race); the file ends complete.
func TestWAVSinkCloseDuringWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.wav")
	s := newSink(t, "wav:"+path, StreamID{}, quiet)
	if err := s.Open(cfg(pcm.FormatS16LE, 2, 8000)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			if _, err := s.Write(make([]byte, 400)); err != nil {
				return
			}
		}
	}()
	s.Write(make([]byte, 400))
	s.Close()
	<-done
	info, data, err := ReadWAVFile(path, 0)
	if err != nil || info.Frames == 0 || len(data) != int(info.Frames)*4 {
		t.Fatalf("file after Close during writes: %+v, %d bytes, %v", info, len(data), err)
	}
}

// Sink benchmarks: the WAV sink (to a temp file, S16_BE so it converts)
// against the null sink as the baseline.
func benchSink(b *testing.B, spec string, f pcm.Format) {
	s, err := ParseSink(spec)
	if err != nil {
		b.Fatal(err)
	}
	sink, _ := s.New(StreamID{}, quiet)
	c := cfg(f, 2, 48000)
	if err := sink.Open(c); err != nil {
		b.Fatal(err)
	}
	defer sink.Close()
	buf := canonical(b, f, 2*1024, 1)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		if _, err := sink.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSinkNull(b *testing.B) { benchSink(b, "null", pcm.FormatS16BE) }
func BenchmarkSinkWAV(b *testing.B) {
	benchSink(b, "wav:"+filepath.Join(b.TempDir(), "b.wav"), pcm.FormatS16BE)
}
