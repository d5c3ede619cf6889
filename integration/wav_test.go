package integration

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// wavFile is a parsed RIFF/WAVE file.
type wavFile struct {
	format   uint16 // 1 PCM, 3 float, 0xFFFE extensible
	channels int
	rate     int
	bits     int
	data     []byte
}

// readWAV parses path and checks that it is complete: the RIFF size and the
// data chunk size agree with the file's length (a writer that was not
// finished leaves them short or zero).
func readWAV(t testing.TB, path string) wavFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		t.Fatalf("%s: not a RIFF/WAVE file", path)
	}
	if got := int(binary.LittleEndian.Uint32(b[4:8])); got != len(b)-8 {
		t.Errorf("%s: RIFF size %d, file has %d bytes after the header: incomplete", path, got, len(b)-8)
	}
	var w wavFile
	seenFmt := false
	for off := 12; off+8 <= len(b); {
		id, size := string(b[off:off+4]), int(binary.LittleEndian.Uint32(b[off+4:off+8]))
		body := b[off+8:]
		switch id {
		case "fmt ":
			if size < 16 || len(body) < 16 {
				t.Fatalf("%s: short fmt chunk", path)
			}
			w.format = binary.LittleEndian.Uint16(body[0:2])
			w.channels = int(binary.LittleEndian.Uint16(body[2:4]))
			w.rate = int(binary.LittleEndian.Uint32(body[4:8]))
			w.bits = int(binary.LittleEndian.Uint16(body[14:16]))
			seenFmt = true
		case "data":
			if size != len(body) {
				t.Errorf("%s: data chunk says %d bytes, file holds %d: incomplete", path, size, len(body))
			}
			w.data = body[:min(size, len(body))]
			if !seenFmt {
				t.Fatalf("%s: data before fmt", path)
			}
			return w
		}
		off += 8 + size + size&1
	}
	t.Fatalf("%s: no data chunk", path)
	return w
}

// wavFiles lists the WAV files a directory sink wrote, in order.
func wavFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.wav"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// noise returns n bytes of reproducible random audio whose first and last
// frames are not silent (so a loopback capture can find them).
func noise(n int, seed int64) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	for i := 0; i < 4 && i < n; i++ {
		b[i] |= 0x11
		b[n-1-i] |= 0x11
	}
	return b
}

// sameBytes reports the first difference of two byte slices.
func sameBytes(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	n := min(len(got), len(want))
	for i := 0; i < n; i++ {
		if got[i] != want[i] {
			return fmt.Errorf("%d bytes vs %d; first difference at byte %d (%#x vs %#x)", len(got), len(want), i, got[i], want[i])
		}
	}
	return fmt.Errorf("%d bytes vs %d; equal up to the shorter", len(got), len(want))
}
