package asound

import (
	"bytes"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

func randomHWParams(r *rand.Rand) pcm.HWParams {
	var p pcm.HWParams
	p.Flags = r.Uint32()
	for i := range p.Masks {
		for j := range p.Masks[i].Bits {
			p.Masks[i].Bits[j] = r.Uint32()
		}
	}
	for i := range p.Intervals {
		iv := &p.Intervals[i]
		iv.Min, iv.Max = r.Uint32(), r.Uint32()
		f := r.IntN(16)
		iv.OpenMin, iv.OpenMax, iv.Integer, iv.Empty = f&1 != 0, f&2 != 0, f&4 != 0, f&8 != 0
	}
	p.RMask, p.CMask, p.Info, p.MSBits = r.Uint32(), r.Uint32(), r.Uint32(), r.Uint32()
	p.RateNum, p.RateDen, p.FifoSize = r.Uint32(), r.Uint32(), r.Uint64()
	return p
}

func TestHWParamsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 200; n++ {
		want := randomHWParams(r)
		b := make([]byte, HWParamsSize)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		orig := bytes.Clone(b)
		if err := EncodeHWParams(b, &want); err != nil {
			t.Fatal(err)
		}
		var got pcm.HWParams
		if err := DecodeHWParams(b, &got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("round trip %d:\n got %+v\nwant %+v", n, got, want)
		}
		// What pcm.HWParams does not hold is carried through untouched.
		for _, keep := range [][2]int{{hwMResOff, hwIntervalsOff}, {hwIResOff, hwRMaskOff}, {hwSyncOff, HWParamsSize}} {
			if !bytes.Equal(b[keep[0]:keep[1]], orig[keep[0]:keep[1]]) {
				t.Fatalf("bytes %d..%d changed by EncodeHWParams", keep[0], keep[1])
			}
		}
		// Undefined interval flag bits (4..31) survive too.
		for i := range want.Intervals {
			w := hwIntervalsOff + i*intervalSize + 8
			if le.Uint32(b[w:])&^0xf != le.Uint32(orig[w:])&^0xf {
				t.Fatalf("interval %d: undefined flag bits changed", i)
			}
		}
	}
}

// Each interval flag has its own bit, in the order of the C bit field.
func TestIntervalFlagBits(t *testing.T) {
	cases := []struct {
		iv   pcm.Interval
		word uint32
	}{
		{pcm.Interval{OpenMin: true}, 1},
		{pcm.Interval{OpenMax: true}, 2},
		{pcm.Interval{Integer: true}, 4},
		{pcm.Interval{Empty: true}, 8},
		{pcm.Interval{OpenMin: true, OpenMax: true, Integer: true, Empty: true}, 15},
	}
	for _, c := range cases {
		var p pcm.HWParams
		p.Intervals[pcm.ParamRate-pcm.ParamFirstInterval] = c.iv
		b := make([]byte, HWParamsSize)
		EncodeHWParams(b, &p)
		off := hwIntervalsOff + int(pcm.ParamRate-pcm.ParamFirstInterval)*intervalSize + 8
		if got := le.Uint32(b[off:]); got != c.word {
			t.Errorf("%+v: flag word %#x, want %#x", c.iv, got, c.word)
		}
		var back pcm.HWParams
		DecodeHWParams(b, &back)
		if back != p {
			t.Errorf("%+v: decoded back as %+v", c.iv, back.Intervals[pcm.ParamRate-pcm.ParamFirstInterval])
		}
	}
}

func TestHWParamsSync(t *testing.T) {
	b := make([]byte, HWParamsSize)
	id := StdSyncID(3)
	if want := [16]byte{3, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}; id != want {
		t.Fatalf("StdSyncID(3) = %x", id)
	}
	if err := SetHWParamsSync(b, id); err != nil {
		t.Fatal(err)
	}
	var p pcm.HWParams
	p.RateNum = 1
	EncodeHWParams(b, &p) // must not clobber sync
	got, _ := HWParamsSync(b)
	if got != id || !bytes.Equal(b[hwSyncOff:hwSyncOff+16], id[:]) {
		t.Errorf("sync = %x, want %x", got, id)
	}
	if !bytes.Equal(b[hwReservedOff:], make([]byte, HWParamsSize-hwReservedOff)) {
		t.Error("sync spilled into reserved")
	}
}

func TestSWParamsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 0; n < 100; n++ {
		want := pcm.SWParams{TstampMode: int32(r.Uint32()), PeriodStep: r.Uint32(), SleepMin: r.Uint32(),
			AvailMin: r.Uint64(), XferAlign: r.Uint64(), StartThreshold: r.Uint64(), StopThreshold: r.Uint64(),
			SilenceThreshold: r.Uint64(), SilenceSize: r.Uint64(), Boundary: r.Uint64(), Proto: r.Uint32(),
			TstampType: r.Uint32()}
		b := make([]byte, SWParamsSize)
		for i := range b {
			b[i] = 0xa5
		}
		EncodeSWParams(b, &want)
		var got pcm.SWParams
		if err := DecodeSWParams(b, &got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("got %+v\nwant %+v", got, want)
		}
		if !bytes.Equal(b[80:], bytes.Repeat([]byte{0xa5}, SWParamsSize-80)) {
			t.Fatal("reserved bytes changed")
		}
	}
}

func TestShortBuffers(t *testing.T) {
	short := make([]byte, 3)
	var hp pcm.HWParams
	var sp pcm.SWParams
	var st pcm.Status
	errs := []error{
		DecodeHWParams(short, &hp), EncodeHWParams(short, &hp), SetHWParamsSync(short, [16]byte{}),
		DecodeSWParams(short, &sp), EncodeSWParams(short, &sp),
		EncodeStatus(short, &st, &ClockOffsets{}, 0, nil), PutInt(short, 1), PutLong(short, 1),
		(&SyncPtr{}).Decode(short), (&ElemValue{}).Decode(short), (&TLV{}).Decode(short[:1]),
	}
	for i, err := range errs {
		if pcm.Errno(err) != syscall.EINVAL {
			t.Errorf("case %d: err %v, want EINVAL", i, err)
		}
	}
}

func TestIntLong(t *testing.T) {
	b := make([]byte, 8)
	PutInt(b, -2)
	if v, _ := GetInt(b); v != -2 || le.Uint32(b) != 0xfffffffe {
		t.Errorf("int: %d %x", v, b)
	}
	PutLong(b, -3)
	if v, _ := GetLong(b); v != -3 {
		t.Errorf("long: %d", v)
	}
}

func TestStrings(t *testing.T) {
	var c CardInfo
	c.ID = "0123456789abcdefXYZ" // 19 bytes into id[16]
	b := make([]byte, CardInfoSize)
	for i := range b {
		b[i] = 0xff
	}
	c.Encode(b)
	if got := string(b[8:23]); got != "0123456789abcde" || b[23] != 0 {
		t.Errorf("id field %q %x: want 15 bytes and a NUL", got, b[23])
	}
	var d CardInfo
	d.Decode(b)
	if d.ID != "0123456789abcde" || d.Driver != "" || d.Components != "" {
		t.Errorf("decoded %+v", d)
	}
	var id ElemID
	id.SetName("Master Playback Volume")
	if id.NameString() != "Master Playback Volume" {
		t.Errorf("name %q", id.NameString())
	}
}

func TestTimespec(t *testing.T) {
	for _, d := range []time.Duration{0, 1, time.Second, 1500 * time.Millisecond, -1, -time.Second - 1} {
		ts := DurationTimespec(d)
		if ts.Nsec < 0 || ts.Nsec >= 1e9 || ts.Duration() != d {
			t.Errorf("%v -> %+v -> %v", d, ts, ts.Duration())
		}
	}
}

type fakeClock time.Duration

func (c *fakeClock) Now() time.Duration { *c += 10; return time.Duration(*c) }

func TestClockOffsets(t *testing.T) {
	o := ClockOffsets{TstampTypeGettimeofday: 100 * time.Second, TstampTypeMonotonic: 2 * time.Second, TstampTypeMonotonicRaw: -time.Second}
	core := 5*time.Second + 7
	if got := o.Timespec(core, TstampTypeGettimeofday); got != (Timespec{105, 7}) {
		t.Errorf("realtime %+v", got)
	}
	if got := o.Timespec(core, TstampTypeMonotonicRaw); got != (Timespec{4, 7}) {
		t.Errorf("raw %+v", got)
	}
	if got := o.Timespec(core, 99); got != (Timespec{7, 7}) {
		t.Errorf("unknown type must fall back to monotonic: %+v", got)
	}
	if got := o.Timespec(0, TstampTypeGettimeofday); got != (Timespec{}) {
		t.Errorf("unset time must stay zero: %+v", got)
	}

	// Measured against a fake core clock near zero, the monotonic offset
	// is about CLOCK_MONOTONIC itself, and realtime is after 2020.
	var fc fakeClock
	m, err := MeasureClockOffsets(&fc)
	if err != nil {
		t.Fatal(err)
	}
	if m[TstampTypeGettimeofday] < time.Duration(1577836800)*time.Second {
		t.Errorf("realtime offset %v is before 2020", m[TstampTypeGettimeofday])
	}
	if m[TstampTypeMonotonic] <= 0 || m[TstampTypeMonotonicRaw] <= 0 {
		t.Errorf("monotonic offsets %v %v", m[TstampTypeMonotonic], m[TstampTypeMonotonicRaw])
	}
}

func TestStatusTimestampsFollowClientClock(t *testing.T) {
	o := ClockOffsets{TstampTypeGettimeofday: 1000 * time.Second}
	s := pcm.Status{State: pcm.StateRunning, TriggerTstamp: 2 * time.Second, Tstamp: 3 * time.Second, AudioTstamp: time.Second}
	b := make([]byte, StatusSize)
	EncodeStatus(b, &s, &o, TstampTypeGettimeofday, nil)
	st, back, rep, _ := DecodeStatus(b)
	if st.Trigger != (Timespec{1002, 0}) || st.Tstamp != (Timespec{1003, 0}) {
		t.Errorf("realtime stamps %+v", st)
	}
	if back.AudioTstamp != time.Second {
		t.Errorf("audio_tstamp is stream time and must not be shifted: %v", back.AudioTstamp)
	}
	if rep != (StatusReport{}) || st.Driver != (Timespec{}) {
		t.Errorf("nil report must encode as zero: %+v %+v", rep, st.Driver)
	}
}

func TestAudioTstampPacking(t *testing.T) {
	typ, delay := UnpackAudioTstampConfig(0x13)
	if typ != 3 || !delay {
		t.Errorf("unpack 0x13: type %d delay %v", typ, delay)
	}
	// valid, type LINK_ESTIMATED (4), accuracy reported, request kept.
	if got := PackAudioTstampReport(0xdead0013, true, AudioTstampTypeLinkEstimated, true); got != 0x00290013 {
		t.Errorf("pack = %#x, want 0x290013", got)
	}
}

func BenchmarkHWParamsDecodeEncode(b *testing.B) {
	buf := make([]byte, HWParamsSize)
	var p pcm.HWParams
	b.ReportAllocs()
	for b.Loop() {
		DecodeHWParams(buf, &p)
		EncodeHWParams(buf, &p)
	}
}

func BenchmarkStatusEncode(b *testing.B) {
	buf := make([]byte, StatusSize)
	s := pcm.Status{State: pcm.StateRunning, Tstamp: time.Second}
	var o ClockOffsets
	b.ReportAllocs()
	for b.Loop() {
		EncodeStatus(buf, &s, &o, TstampTypeMonotonic, nil)
	}
}

func TestMMapStatusFrom(t *testing.T) {
	shift := TimeMapFunc(func(core time.Duration, typ uint32) Timespec {
		return DurationTimespec(core + time.Duration(typ+1)*time.Hour)
	})
	s := pcm.Status{State: pcm.StateDraining, HWPtr: 4096, Tstamp: time.Second, SuspendedState: pcm.StateRunning,
		AudioTstamp: 2 * time.Second}
	m := MMapStatusFrom(&s, shift, TstampTypeMonotonicRaw)
	want := MMapStatus{State: pcm.StateDraining, HWPtr: 4096, Tstamp: Timespec{3*3600 + 1, 0},
		SuspendedState: pcm.StateRunning, AudioTstamp: Timespec{2, 0}}
	if m != want {
		t.Fatalf("got %+v\nwant %+v", m, want)
	}
	var sp SyncPtr
	sp.Status = m
	b := make([]byte, SyncPtrSize)
	sp.Encode(b)
	var page MMapStatus
	if err := page.Decode(b[spStatusOff:]); err != nil || page != m {
		t.Fatalf("sync_ptr status half %+v (%v)", page, err)
	}
	var c MMapControl
	sp.Control = MMapControl{ApplPtr: 7, AvailMin: 9}
	sp.Encode(b)
	if err := c.Decode(b[spControlOff:]); err != nil || c != sp.Control {
		t.Fatalf("control half %+v", c)
	}
}
