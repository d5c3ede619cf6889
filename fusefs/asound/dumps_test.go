package asound

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/vsnd/vsnd/pcm"
)

// cDumps fills structs by C field name (so bit fields and unions land
// where gcc puts them) and prints their bytes; checkDumps decodes them with
// the Go code and re-encodes the expected Go values to compare byte for
// byte.
const cDumps = `
	{
		struct snd_pcm_hw_params p;
		memset(&p, 0, sizeof(p));
		p.flags = 0x11;
		p.masks[0].bits[0] = 0x1234;
		p.masks[2].bits[7] = 0x80000000u;
		p.mres[0].bits[0] = 0xdeadbeef;
		p.intervals[0].min = 8; p.intervals[0].max = 32; p.intervals[0].openmin = 1;
		p.intervals[3].openmax = 1;
		p.intervals[5].integer = 1;
		p.intervals[11].min = 7; p.intervals[11].max = 9; p.intervals[11].empty = 1;
		p.ires[0].min = 5; p.ires[8].empty = 1;
		p.rmask = 0xfffff; p.cmask = 3; p.info = 0x100; p.msbits = 24;
		p.rate_num = 48000; p.rate_den = 1; p.fifo_size = 0x0102030405060708ul;
		dump("hw_params", &p, sizeof(p));
	}
	{
		struct snd_pcm_sw_params p;
		memset(&p, 0, sizeof(p));
		p.tstamp_mode = 1; p.period_step = 2; p.sleep_min = 3; p.avail_min = 4;
		p.xfer_align = 5; p.start_threshold = 6; p.stop_threshold = 7;
		p.silence_threshold = 8; p.silence_size = 9; p.boundary = 0x4000000000000000ul;
		p.proto = SNDRV_PROTOCOL_VERSION(2, 0, 15); p.tstamp_type = 2;
		dump("sw_params", &p, sizeof(p));
	}
	{
		struct snd_pcm_status s;
		memset(&s, 0, sizeof(s));
		s.state = SNDRV_PCM_STATE_RUNNING;
		s.trigger_tstamp.tv_sec = 1; s.trigger_tstamp.tv_nsec = 2;
		s.tstamp.tv_sec = 3; s.tstamp.tv_nsec = 4;
		s.appl_ptr = 5; s.hw_ptr = 6; s.delay = -7; s.avail = 8; s.avail_max = 9;
		s.overrange = 10; s.suspended_state = SNDRV_PCM_STATE_PREPARED;
		s.audio_tstamp_data = 0x11;
		s.audio_tstamp.tv_sec = 12; s.audio_tstamp.tv_nsec = 13;
		s.driver_tstamp.tv_sec = 14; s.driver_tstamp.tv_nsec = 15;
		s.audio_tstamp_accuracy = 16;
		dump("status", &s, sizeof(s));
	}
	{
		struct snd_pcm_sync_ptr s;
		memset(&s, 0, sizeof(s));
		s.flags = SNDRV_PCM_SYNC_PTR_HWSYNC | SNDRV_PCM_SYNC_PTR_APPL;
		s.s.status.state = SNDRV_PCM_STATE_XRUN; s.s.status.hw_ptr = 0x1234;
		s.s.status.tstamp.tv_sec = 5; s.s.status.tstamp.tv_nsec = 6;
		s.s.status.suspended_state = SNDRV_PCM_STATE_SETUP;
		s.s.status.audio_tstamp.tv_sec = 7; s.s.status.audio_tstamp.tv_nsec = 8;
		s.c.control.appl_ptr = 0x55; s.c.control.avail_min = 0x66;
		dump("sync_ptr", &s, sizeof(s));
	}
	{
		struct snd_pcm_info i;
		memset(&i, 0, sizeof(i));
		i.device = 1; i.subdevice = 2; i.stream = SNDRV_PCM_STREAM_CAPTURE; i.card = 3;
		strcpy((char *)i.id, "vsnd"); strcpy((char *)i.name, "vsnd PCM"); strcpy((char *)i.subname, "subdevice #0");
		i.dev_class = SNDRV_PCM_CLASS_MULTI; i.dev_subclass = SNDRV_PCM_SUBCLASS_MULTI_MIX;
		i.subdevices_count = 4; i.subdevices_avail = 3;
		dump("pcm_info", &i, sizeof(i));
	}
	{
		struct snd_pcm_channel_info c;
		memset(&c, 0, sizeof(c));
		c.channel = 2; c.offset = 0x1000; c.first = 16; c.step = 32;
		dump("channel_info", &c, sizeof(c));
	}
	{
		struct snd_xferi x;
		memset(&x, 0, sizeof(x));
		x.result = -5; x.buf = (void *)0x7fff0000ul; x.frames = 1024;
		dump("xferi", &x, sizeof(x));
	}
	{
		struct snd_ctl_card_info c;
		memset(&c, 0, sizeof(c));
		c.card = 2;
		strcpy((char *)c.id, "Vsnd"); strcpy((char *)c.driver, "vsnd"); strcpy((char *)c.name, "Virtual");
		strcpy((char *)c.longname, "Virtual sound card"); strcpy((char *)c.mixername, "vsnd mixer");
		strcpy((char *)c.components, "HDA:0 X");
		dump("card_info", &c, sizeof(c));
	}
	{
		struct snd_ctl_elem_info e;
		memset(&e, 0, sizeof(e));
		e.id.numid = 5; e.id.iface = SNDRV_CTL_ELEM_IFACE_MIXER; e.id.device = 1; e.id.subdevice = 2;
		strcpy((char *)e.id.name, "Master Playback Volume"); e.id.index = 1;
		e.type = SNDRV_CTL_ELEM_TYPE_INTEGER; e.access = SNDRV_CTL_ELEM_ACCESS_READWRITE; e.count = 2; e.owner = 77;
		e.value.integer.min = -10; e.value.integer.max = 100; e.value.integer.step = 2;
		dump("elem_info_int", &e, sizeof(e));
		memset(&e, 0, sizeof(e));
		e.id.numid = 6; e.type = SNDRV_CTL_ELEM_TYPE_ENUMERATED; e.count = 1;
		e.value.enumerated.items = 4; e.value.enumerated.item = 2;
		strcpy(e.value.enumerated.name, "Two");
		dump("elem_info_enum", &e, sizeof(e));
	}
	{
		struct snd_ctl_elem_value v;
		memset(&v, 0, sizeof(v));
		v.id.numid = 9;
		v.value.integer.value[0] = 42; v.value.integer.value[127] = -1;
		dump("elem_value_int", &v, sizeof(v));
		memset(&v, 0, sizeof(v));
		v.value.enumerated.item[1] = 3; v.value.enumerated.item[127] = 7;
		dump("elem_value_enum", &v, sizeof(v));
		memset(&v, 0, sizeof(v));
		v.value.bytes.data[511] = 0xab;
		dump("elem_value_bytes", &v, sizeof(v));
	}
	{
		struct snd_ctl_event e;
		memset(&e, 0, sizeof(e));
		e.type = SNDRV_CTL_EVENT_ELEM; e.data.elem.mask = SNDRV_CTL_EVENT_MASK_VALUE;
		e.data.elem.id.numid = 3; e.data.elem.id.iface = SNDRV_CTL_ELEM_IFACE_PCM; e.data.elem.id.index = 4;
		strcpy((char *)e.data.elem.id.name, "PCM Playback Volume");
		dump("event", &e, sizeof(e));
	}
	{
		struct snd_ctl_elem_list l;
		memset(&l, 0, sizeof(l));
		l.offset = 1; l.space = 2; l.used = 3; l.count = 4; l.pids = (void *)0x1000ul;
		dump("elem_list", &l, sizeof(l));
	}
`

func checkDumps(t *testing.T, recs map[string]string) {
	t.Run("hw_params", func(t *testing.T) {
		c := dumpBytes(t, recs, "hw_params")
		var p pcm.HWParams
		if err := DecodeHWParams(c, &p); err != nil {
			t.Fatal(err)
		}
		want := pcm.HWParams{Flags: 0x11, RMask: 0xfffff, CMask: 3, Info: 0x100, MSBits: 24,
			RateNum: 48000, RateDen: 1, FifoSize: 0x0102030405060708}
		want.Masks[0].Bits[0] = 0x1234
		want.Masks[2].Bits[7] = 0x80000000
		want.Intervals[0] = pcm.Interval{Min: 8, Max: 32, OpenMin: true}
		want.Intervals[3] = pcm.Interval{OpenMax: true}
		want.Intervals[5] = pcm.Interval{Integer: true}
		want.Intervals[11] = pcm.Interval{Min: 7, Max: 9, Empty: true}
		if p != want {
			t.Errorf("decoded %+v\nwant    %+v", p, want)
		}
		// Encoding over the client's own bytes reproduces them exactly
		// (mres/ires carried through).
		b := bytes.Clone(c)
		if err := EncodeHWParams(b, &want); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, c) {
			t.Errorf("re-encode differs from gcc's struct:\n got %x\nwant %x", b, c)
		}
	})
	t.Run("sw_params", func(t *testing.T) {
		c := dumpBytes(t, recs, "sw_params")
		var p pcm.SWParams
		if err := DecodeSWParams(c, &p); err != nil {
			t.Fatal(err)
		}
		want := pcm.SWParams{TstampMode: 1, PeriodStep: 2, SleepMin: 3, AvailMin: 4, XferAlign: 5,
			StartThreshold: 6, StopThreshold: 7, SilenceThreshold: 8, SilenceSize: 9,
			Boundary: 0x4000000000000000, Proto: 2<<16 | 15, TstampType: 2}
		if p != want {
			t.Errorf("decoded %+v\nwant    %+v", p, want)
		}
		b := make([]byte, SWParamsSize)
		EncodeSWParams(b, &want)
		if !bytes.Equal(b, c) {
			t.Errorf("encode differs:\n got %x\nwant %x", b, c)
		}
	})
	t.Run("status", func(t *testing.T) {
		c := dumpBytes(t, recs, "status")
		st, s, rep, err := DecodeStatus(c)
		if err != nil {
			t.Fatal(err)
		}
		if st.Trigger != (Timespec{1, 2}) || st.Tstamp != (Timespec{3, 4}) || st.Driver != (Timespec{14, 15}) {
			t.Errorf("times %+v", st)
		}
		if s.State != pcm.StateRunning || s.ApplPtr != 5 || s.HWPtr != 6 || s.Delay != -7 || s.Avail != 8 ||
			s.AvailMax != 9 || s.OverRange != 10 || s.SuspendedState != pcm.StatePrepared ||
			s.AudioTstamp != 12e9+13 {
			t.Errorf("status %+v", s)
		}
		if rep.AudioTstampData != 0x11 || rep.AudioTstampAccuracy != 16 {
			t.Errorf("report %+v", rep)
		}
		if d, _ := StatusExtRequest(c); d != 0x11 {
			t.Errorf("StatusExtRequest = %#x", d)
		}
		// Encode the same values: the map turns core times 1e9+2 etc.
		// back into the same timespecs with zero offsets.
		var zero ClockOffsets
		s.TriggerTstamp, s.Tstamp = 1e9+2, 3e9+4
		b := make([]byte, StatusSize)
		for i := range b {
			b[i] = 0xee // EncodeStatus must clear everything
		}
		rep.DriverTstamp = 14e9 + 15
		if err := EncodeStatus(b, &s, &zero, TstampTypeMonotonic, &rep); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, c) {
			t.Errorf("encode differs:\n got %x\nwant %x", b, c)
		}
	})
	t.Run("sync_ptr", func(t *testing.T) {
		c := dumpBytes(t, recs, "sync_ptr")
		var s SyncPtr
		if err := s.Decode(c); err != nil {
			t.Fatal(err)
		}
		want := SyncPtr{Flags: SyncPtrHWSync | SyncPtrAppl,
			Status: MMapStatus{State: pcm.StateXRun, HWPtr: 0x1234, Tstamp: Timespec{5, 6},
				SuspendedState: pcm.StateSetup, AudioTstamp: Timespec{7, 8}},
			Control: MMapControl{ApplPtr: 0x55, AvailMin: 0x66}}
		if s != want {
			t.Errorf("decoded %+v\nwant    %+v", s, want)
		}
		b := make([]byte, SyncPtrSize)
		want.Encode(b)
		if !bytes.Equal(b, c) {
			t.Errorf("encode differs:\n got %x\nwant %x", b, c)
		}
	})
	t.Run("pcm_info", func(t *testing.T) {
		c := dumpBytes(t, recs, "pcm_info")
		want := PCMInfo{Device: 1, Subdevice: 2, Stream: pcm.Capture, Card: 3, ID: "vsnd", Name: "vsnd PCM",
			Subname: "subdevice #0", DevClass: PCMClassMulti, DevSubclass: PCMSubclassMultiMix,
			SubdevicesCount: 4, SubdevicesAvail: 3}
		roundTrip(t, c, &want, &PCMInfo{})
	})
	t.Run("channel_info", func(t *testing.T) {
		want := ChannelInfo{Channel: 2, Offset: 0x1000, First: 16, Step: 32}
		roundTrip(t, dumpBytes(t, recs, "channel_info"), &want, &ChannelInfo{})
	})
	t.Run("xferi", func(t *testing.T) {
		want := XferI{Result: -5, Buf: 0x7fff0000, Frames: 1024}
		roundTrip(t, dumpBytes(t, recs, "xferi"), &want, &XferI{})
		wantN := XferN{Result: -5, Bufs: 0x7fff0000, Frames: 1024}
		roundTrip(t, dumpBytes(t, recs, "xferi"), &wantN, &XferN{})
	})
	t.Run("card_info", func(t *testing.T) {
		want := CardInfo{Card: 2, ID: "Vsnd", Driver: "vsnd", Name: "Virtual", LongName: "Virtual sound card",
			MixerName: "vsnd mixer", Components: "HDA:0 X"}
		roundTrip(t, dumpBytes(t, recs, "card_info"), &want, &CardInfo{})
	})
	t.Run("elem_info", func(t *testing.T) {
		want := ElemInfo{ID: ElemID{NumID: 5, Iface: ElemIfaceMixer, Device: 1, Subdevice: 2, Index: 1},
			Type: ElemTypeInteger, Access: ElemAccessReadWrite, Count: 2, Owner: 77, Min: -10, Max: 100, Step: 2}
		want.ID.SetName("Master Playback Volume")
		roundTrip(t, dumpBytes(t, recs, "elem_info_int"), &want, &ElemInfo{})
		wantE := ElemInfo{ID: ElemID{NumID: 6}, Type: ElemTypeEnumerated, Count: 1, Items: 4, Item: 2, ItemName: "Two"}
		c := dumpBytes(t, recs, "elem_info_enum")
		roundTrip(t, c, &wantE, &ElemInfo{})
		if it, _ := ElemInfoItem(c); it != 2 {
			t.Errorf("ElemInfoItem = %d", it)
		}
	})
	t.Run("elem_value", func(t *testing.T) {
		var v ElemValue
		v.Decode(dumpBytes(t, recs, "elem_value_int"))
		if v.ID.NumID != 9 || v.Integer(0) != 42 || v.Integer(127) != -1 || v.Integer(128) != 0 {
			t.Errorf("integer value: numid %d, [0]=%d [127]=%d", v.ID.NumID, v.Integer(0), v.Integer(127))
		}
		var w ElemValue
		w.ID.NumID = 9
		w.SetInteger(0, 42)
		w.SetInteger(127, -1)
		w.SetInteger(128, 5) // ignored
		roundTrip(t, dumpBytes(t, recs, "elem_value_int"), &w, &ElemValue{})
		v.Decode(dumpBytes(t, recs, "elem_value_enum"))
		if v.Enumerated(1) != 3 || v.Enumerated(127) != 7 {
			t.Errorf("enumerated: [1]=%d [127]=%d", v.Enumerated(1), v.Enumerated(127))
		}
		v.Decode(dumpBytes(t, recs, "elem_value_bytes"))
		if v.Bytes()[511] != 0xab {
			t.Errorf("bytes[511] = %#x", v.Bytes()[511])
		}
	})
	t.Run("event", func(t *testing.T) {
		want := Event{Type: EventElem, Mask: EventMaskValue, ID: ElemID{NumID: 3, Iface: ElemIfacePCM, Index: 4}}
		want.ID.SetName("PCM Playback Volume")
		roundTrip(t, dumpBytes(t, recs, "event"), &want, &Event{})
	})
	t.Run("elem_list", func(t *testing.T) {
		want := ElemList{Offset: 1, Space: 2, Used: 3, Count: 4, Pids: 0x1000}
		roundTrip(t, dumpBytes(t, recs, "elem_list"), &want, &ElemList{})
	})
}

type codec interface {
	Encode([]byte) error
	Decode([]byte) error
}

// roundTrip checks that c decodes into want and that want encodes into c.
func roundTrip[T codec](t *testing.T, c []byte, want, got T) {
	t.Helper()
	if err := got.Decode(c); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v\nwant    %+v", got, want)
	}
	b := make([]byte, len(c))
	if err := want.Encode(b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, c) {
		t.Errorf("encode differs from gcc's struct:\n got %x\nwant %x", b, c)
	}
	if err := want.Encode(b[:len(c)-1]); pcm.Errno(err) == 0 {
		t.Errorf("encode into a short buffer: err = %v, want EINVAL", err)
	}
}
