package oss

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// headerValues are the constants checked against soundcard.h, by name.
var headerValues = map[string]uint32{
	"SNDCTL_DSP_RESET": uint32(SNDCTL_DSP_RESET), "SNDCTL_DSP_SYNC": uint32(SNDCTL_DSP_SYNC),
	"SNDCTL_DSP_POST": uint32(SNDCTL_DSP_POST), "SNDCTL_DSP_NONBLOCK": uint32(SNDCTL_DSP_NONBLOCK),
	"SNDCTL_DSP_SETSYNCRO": uint32(SNDCTL_DSP_SETSYNCRO), "SNDCTL_DSP_SETDUPLEX": uint32(SNDCTL_DSP_SETDUPLEX),
	"SNDCTL_DSP_SPEED": uint32(SNDCTL_DSP_SPEED), "SNDCTL_DSP_STEREO": uint32(SNDCTL_DSP_STEREO),
	"SNDCTL_DSP_GETBLKSIZE": uint32(SNDCTL_DSP_GETBLKSIZE), "SNDCTL_DSP_SETFMT": uint32(SNDCTL_DSP_SETFMT),
	"SNDCTL_DSP_CHANNELS": uint32(SNDCTL_DSP_CHANNELS), "SOUND_PCM_WRITE_FILTER": uint32(SOUND_PCM_WRITE_FILTER),
	"SNDCTL_DSP_SUBDIVIDE": uint32(SNDCTL_DSP_SUBDIVIDE), "SNDCTL_DSP_SETFRAGMENT": uint32(SNDCTL_DSP_SETFRAGMENT),
	"SNDCTL_DSP_GETFMTS": uint32(SNDCTL_DSP_GETFMTS), "SNDCTL_DSP_GETOSPACE": uint32(SNDCTL_DSP_GETOSPACE),
	"SNDCTL_DSP_GETISPACE": uint32(SNDCTL_DSP_GETISPACE), "SNDCTL_DSP_GETCAPS": uint32(SNDCTL_DSP_GETCAPS),
	"SNDCTL_DSP_GETTRIGGER": uint32(SNDCTL_DSP_GETTRIGGER), "SNDCTL_DSP_SETTRIGGER": uint32(SNDCTL_DSP_SETTRIGGER),
	"SNDCTL_DSP_GETIPTR": uint32(SNDCTL_DSP_GETIPTR), "SNDCTL_DSP_GETOPTR": uint32(SNDCTL_DSP_GETOPTR),
	"SNDCTL_DSP_MAPINBUF": uint32(SNDCTL_DSP_MAPINBUF), "SNDCTL_DSP_MAPOUTBUF": uint32(SNDCTL_DSP_MAPOUTBUF),
	"SNDCTL_DSP_GETODELAY": uint32(SNDCTL_DSP_GETODELAY), "SNDCTL_DSP_PROFILE": uint32(SNDCTL_DSP_PROFILE),
	"SOUND_PCM_READ_RATE": uint32(SOUND_PCM_READ_RATE), "SOUND_PCM_READ_BITS": uint32(SOUND_PCM_READ_BITS),
	"SOUND_PCM_READ_CHANNELS": uint32(SOUND_PCM_READ_CHANNELS), "SOUND_PCM_READ_FILTER": uint32(SOUND_PCM_READ_FILTER),
	"SNDCTL_DSP_SAMPLESIZE": uint32(SNDCTL_DSP_SAMPLESIZE), "SOUND_PCM_WRITE_CHANNELS": uint32(SOUND_PCM_WRITE_CHANNELS),
	"OSS_GETVERSION": uint32(OSS_GETVERSION),

	"SOUND_MIXER_READ_VOLUME": uint32(SOUND_MIXER_READ_VOLUME), "SOUND_MIXER_READ_PCM": uint32(SOUND_MIXER_READ_PCM),
	"SOUND_MIXER_READ_RECSRC": uint32(SOUND_MIXER_READ_RECSRC), "SOUND_MIXER_READ_DEVMASK": uint32(SOUND_MIXER_READ_DEVMASK),
	"SOUND_MIXER_READ_RECMASK": uint32(SOUND_MIXER_READ_RECMASK), "SOUND_MIXER_READ_STEREODEVS": uint32(SOUND_MIXER_READ_STEREODEVS),
	"SOUND_MIXER_READ_CAPS": uint32(SOUND_MIXER_READ_CAPS), "SOUND_MIXER_WRITE_VOLUME": uint32(SOUND_MIXER_WRITE_VOLUME),
	"SOUND_MIXER_WRITE_PCM": uint32(SOUND_MIXER_WRITE_PCM), "SOUND_MIXER_WRITE_RECSRC": uint32(SOUND_MIXER_WRITE_RECSRC),
	"SOUND_MIXER_INFO": uint32(SOUND_MIXER_INFO), "SOUND_OLD_MIXER_INFO": uint32(SOUND_OLD_MIXER_INFO),
	"SOUND_MIXER_NRDEVICES": SOUND_MIXER_NRDEVICES, "SOUND_MASK_VOLUME": SOUND_MASK_VOLUME,
	"SOUND_MASK_PCM": SOUND_MASK_PCM, "SOUND_MASK_LINE": SOUND_MASK_LINE, "SOUND_MASK_MIC": SOUND_MASK_MIC,
	"SOUND_MASK_CD": SOUND_MASK_CD, "SOUND_CAP_EXCL_INPUT": SOUND_CAP_EXCL_INPUT,

	"DSP_CAP_DUPLEX": DSP_CAP_DUPLEX, "DSP_CAP_REALTIME": DSP_CAP_REALTIME, "DSP_CAP_BATCH": DSP_CAP_BATCH,
	"DSP_CAP_COPROC": DSP_CAP_COPROC, "DSP_CAP_TRIGGER": DSP_CAP_TRIGGER, "DSP_CAP_MMAP": DSP_CAP_MMAP,
	"DSP_CAP_MULTI": DSP_CAP_MULTI, "DSP_CAP_BIND": DSP_CAP_BIND,
	"PCM_ENABLE_INPUT": PCM_ENABLE_INPUT, "PCM_ENABLE_OUTPUT": PCM_ENABLE_OUTPUT,

	"AFMT_QUERY": AFMT_QUERY, "AFMT_MU_LAW": AFMT_MU_LAW, "AFMT_A_LAW": AFMT_A_LAW,
	"AFMT_IMA_ADPCM": AFMT_IMA_ADPCM, "AFMT_U8": AFMT_U8, "AFMT_S16_LE": AFMT_S16_LE,
	"AFMT_S16_BE": AFMT_S16_BE, "AFMT_S8": AFMT_S8, "AFMT_U16_LE": AFMT_U16_LE,
	"AFMT_U16_BE": AFMT_U16_BE, "AFMT_MPEG": AFMT_MPEG, "AFMT_AC3": AFMT_AC3, "AFMT_S16_NE": AFMT_S16_NE,

	"sizeof(audio_buf_info)": AudioBufInfoSize, "sizeof(count_info)": CountInfoSize,
	"sizeof(buffmem_desc)": BuffmemDescSize, "sizeof(mixer_info)": MixerInfoSize,
	"sizeof(_old_mixer_info)":         OldMixerInfoSize,
	"offsetof(audio_buf_info, bytes)": 12, "offsetof(count_info, ptr)": 8,
	"offsetof(mixer_info, modify_counter)": 48,
}

// cValues compiles a program that prints every name of headerValues as
// the C compiler sees it in <linux/soundcard.h>.
func cValues(t *testing.T) map[string]uint32 {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil || !fileExists("/usr/include/linux/soundcard.h") {
		if os.Getenv("CI") == "true" {
			t.Fatalf("gcc or linux/soundcard.h missing in CI (.ci/packages lists gcc and linux-libc-dev): %v", err)
		}
		t.Skip("gcc or /usr/include/linux/soundcard.h not installed")
	}
	var src strings.Builder
	src.WriteString("#include <stdio.h>\n#include <stddef.h>\n#include <linux/soundcard.h>\nint main(void) {\n")
	for name := range headerValues {
		src.WriteString("\tprintf(\"%s %u\\n\", " + strconv.Quote(name) + ", (unsigned)(" + name + "));\n")
	}
	src.WriteString("\treturn 0;\n}\n")
	dir := t.TempDir()
	c := filepath.Join(dir, "v.c")
	if err := os.WriteFile(c, []byte(src.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "v")
	if out, err := exec.Command(gcc, "-o", bin, c).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	out, err := exec.Command(bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint32{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseUint(line[i+1:], 10, 32)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		got[line[:i]] = uint32(v)
	}
	return got
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func TestIoctlNumbersMatchHeader(t *testing.T) {
	c := cValues(t)
	for name, want := range headerValues {
		got, ok := c[name]
		if !ok {
			t.Errorf("%s: not printed by the C program", name)
			continue
		}
		if got != want {
			t.Errorf("%s: Go %#x, soundcard.h %#x", name, want, got)
		}
	}
}

// The numbers the ALSA kernel itself defines (not in soundcard.h) and the
// OSS 4 formats pcm_oss.c adds.
func TestKernelOnlyValues(t *testing.T) {
	for _, tc := range []struct {
		name      string
		got, want uint32
	}{
		{"OSS_ALSAEMULVER", uint32(OSS_ALSAEMULVER), 0x8004_4df9},
		{"SNDRV_OSS_VERSION", SNDRV_OSS_VERSION, 0x030810},
		{"AFMT_S32_LE", AFMT_S32_LE, 0x1000}, {"AFMT_S32_BE", AFMT_S32_BE, 0x2000},
		{"AFMT_FLOAT", AFMT_FLOAT, 0x4000}, {"AFMT_S24_LE", AFMT_S24_LE, 0x8000},
		{"AFMT_S24_BE", AFMT_S24_BE, 0x10000}, {"AFMT_SPDIF_RAW", AFMT_SPDIF_RAW, 0x20000},
		{"AFMT_S24_PACKED", AFMT_S24_PACKED, 0x40000},
		{"GETOSPACE size", uint32(SNDCTL_DSP_GETOSPACE.Size()), 16},
		{"GETOPTR size", uint32(SNDCTL_DSP_GETOPTR.Size()), 12},
	} {
		if tc.got != tc.want {
			t.Errorf("%s = %#x, want %#x", tc.name, tc.got, tc.want)
		}
	}
	if !SNDCTL_DSP_SPEED.CopiesIn() || !SNDCTL_DSP_SPEED.CopiesOut() || SNDCTL_DSP_GETOPTR.CopiesIn() ||
		!SNDCTL_DSP_SETTRIGGER.CopiesIn() || SNDCTL_DSP_SETTRIGGER.CopiesOut() || SNDCTL_DSP_RESET.Size() != 0 {
		t.Error("direction bits wrong")
	}
}

func TestStructCodecs(t *testing.T) {
	a := AudioBufInfo{Fragments: 3, Fragstotal: 4, Fragsize: 4096, Bytes: -5}
	b := a.Encode()
	if len(b) != 16 || b[8] != 0 || b[9] != 0x10 || b[12] != 0xfb {
		t.Fatalf("audio_buf_info % x", b)
	}
	if got, err := DecodeAudioBufInfo(b); err != nil || got != a {
		t.Fatalf("round trip %+v %v", got, err)
	}
	ci := CountInfo{Bytes: 1 << 30, Blocks: 2, Ptr: 7}
	if got, err := DecodeCountInfo(ci.Encode()); err != nil || got != ci || len(ci.Encode()) != 12 {
		t.Fatalf("count_info %+v %v", got, err)
	}
	mi := MixerInfo{ID: "a-very-long-driver-name", Name: "vsnd mixer", ModifyCounter: 9}
	mb := mi.Encode()
	got, err := DecodeMixerInfo(mb)
	if err != nil || len(mb) != 92 || got.ID != "a-very-long-dri" || got.Name != "vsnd mixer" || got.ModifyCounter != 9 {
		t.Fatalf("mixer_info %+v %v", got, err)
	}
	for _, f := range []func() error{
		func() error { _, err := DecodeAudioBufInfo(make([]byte, 15)); return err },
		func() error { _, err := DecodeCountInfo(nil); return err },
		func() error { _, err := DecodeMixerInfo(make([]byte, 47)); return err },
		func() error { _, err := DecodeInt([]byte{1, 2, 3}); return err },
	} {
		if err := f(); !errors.Is(err, syscall.EFAULT) {
			t.Errorf("short argument: %v, want EFAULT", err)
		}
	}
	if v, err := DecodeInt(EncodeInt(-2)); err != nil || v != -2 {
		t.Fatalf("int %d %v", v, err)
	}
}

func TestIoctlNames(t *testing.T) {
	if s := SNDCTL_DSP_GETOPTR.String(); s != "SNDCTL_DSP_GETOPTR" {
		t.Error(s)
	}
	if s := MixerWrite(SOUND_MIXER_PCM).String(); s != "MIXER_WRITE(4)" {
		t.Error(s)
	}
	if s := Ioctl(0x1234).String(); !strings.HasPrefix(s, "IOC(") {
		t.Error(s)
	}
}
