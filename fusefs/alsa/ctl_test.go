package alsa

import (
	"context"
	"encoding/binary"
	"syscall"
	"testing"
	"time"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/mixer"
)

func threeDevices() pcm.CardConfig {
	hw := pcm.DefaultHardware()
	return pcm.CardConfig{ID: "Test", Name: "Test Card", LongName: "vsnd test card at nowhere",
		Devices: []pcm.DeviceConfig{
			{Name: "dev0", Playback: 2, Capture: 1, Hardware: [2]pcm.Hardware{hw, hw}},
			{Name: "dev1", Capture: 1, Hardware: [2]pcm.Hardware{hw, hw}},
			{Name: "dev2", Playback: 1, Hardware: [2]pcm.Hardware{hw, hw}},
		}}
}

// TestCardInfoAndPCMEnumeration replays aplay -l: PVERSION, CARD_INFO, then
// PCM_NEXT_DEVICE from -1 until -1 (its input read from the caller's
// memory although the request is _IOR), PCM_INFO per device and stream.
func TestCardInfoAndPCMEnumeration(t *testing.T) {
	r := newRig(t, threeDevices())
	c := newCaller(10, 1<<20)
	ctl := r.card.OpenCtl(c.pid)
	defer ctl.Release()

	va := intArg(c, 0)
	must(t, "PVERSION", fuseIoctl(bg, ctl, c, asound.CtlIoctlPVersion, va))
	if v := getInt(c, va); v != asound.CtlVersion {
		t.Fatalf("PVERSION %#x", v)
	}
	ca := c.alloc(asound.CardInfoSize)
	must(t, "CARD_INFO", fuseIoctl(bg, ctl, c, asound.CtlIoctlCardInfo, ca))
	var ci asound.CardInfo
	ci.Decode(c.get(ca, asound.CardInfoSize))
	if ci.Card != 0 || ci.ID != "Test" || ci.Driver != "vsnd" || ci.Name != "Test Card" ||
		ci.LongName != "vsnd test card at nowhere" || ci.MixerName != "vsnd mixer" || ci.Components != "vsnd:test" {
		t.Fatalf("CARD_INFO %+v", ci)
	}

	var devs []int32
	dev := int32(-1)
	for i := 0; i < 10; i++ {
		a := intArg(c, dev)
		must(t, "PCM_NEXT_DEVICE", fuseIoctl(bg, ctl, c, asound.CtlIoctlPCMNextDevice, a))
		dev = getInt(c, a)
		if dev < 0 {
			break
		}
		devs = append(devs, dev)
	}
	if len(devs) != 3 || devs[0] != 0 || devs[1] != 1 || devs[2] != 2 || dev != -1 {
		t.Fatalf("enumeration %v then %d, want [0 1 2] then -1", devs, dev)
	}

	info := func(dev, sub uint32, st pcm.Stream) (asound.PCMInfo, error) {
		b := make([]byte, asound.PCMInfoSize)
		(&asound.PCMInfo{Device: dev, Subdevice: sub, Stream: st}).Encode(b)
		a := c.put(b)
		err := fuseIoctl(bg, ctl, c, asound.CtlIoctlPCMInfo, a)
		var pi asound.PCMInfo
		pi.Decode(c.get(a, asound.PCMInfoSize))
		return pi, err
	}
	pi, err := info(0, 1, pcm.Playback)
	must(t, "PCM_INFO 0/1/p", err)
	if pi.Device != 0 || pi.Subdevice != 1 || pi.Name != "dev0" || pi.SubdevicesCount != 2 || pi.SubdevicesAvail != 2 ||
		pi.Subname != "subdevice #1" {
		t.Fatalf("PCM_INFO %+v", pi)
	}
	_, err = info(1, 0, pcm.Playback)
	wantErrno(t, "PCM_INFO of a stream without substreams", err, syscall.ENOENT)
	_, err = info(7, 0, pcm.Playback)
	wantErrno(t, "PCM_INFO of a missing device", err, syscall.ENXIO)
	_, err = info(0, 5, pcm.Capture)
	wantErrno(t, "PCM_INFO of a missing subdevice", err, syscall.ENXIO)
	_, err = info(0, 0, 2)
	wantErrno(t, "PCM_INFO of stream 2", err, syscall.EINVAL)

	for _, req := range []asound.Ioctl{asound.CtlIoctlRawmidiNextDevice, asound.CtlIoctlHwdepNextDevice} {
		a := intArg(c, -1)
		must(t, req.String(), fuseIoctl(bg, ctl, c, req, a))
		if v := getInt(c, a); v != -1 {
			t.Fatalf("%v: %d, want -1", req, v)
		}
	}
	a := intArg(c, 7)
	must(t, "POWER_STATE", fuseIoctl(bg, ctl, c, asound.CtlIoctlPowerState, a))
	if v := getInt(c, a); v != asound.PowerD0 {
		t.Fatalf("POWER_STATE %#x", v)
	}
	wantErrno(t, "POWER", fuseIoctl(bg, ctl, c, asound.CtlIoctlPower, intArg(c, 0)), syscall.ENOPROTOOPT)
	wantErrno(t, "RAWMIDI_INFO", fuseIoctl(bg, ctl, c, asound.CtlIoctlRawmidiInfo, c.alloc(asound.RawmidiInfoSize)), syscall.ENXIO)
	wantErrno(t, "unknown", fuseIoctl(bg, ctl, c, asound.IO('U', 0x77), 0), syscall.ENOTTY)
	ctl.Release()
	wantErrno(t, "after release", fuseIoctl(bg, ctl, c, asound.CtlIoctlPVersion, va), syscall.EBADF)
}

func elemID(name string) asound.ElemID {
	id := asound.ElemID{Iface: asound.ElemIfaceMixer}
	id.SetName(name)
	return id
}

// TestElementsAndEvents replays amixer: ELEM_LIST with the ids written to
// the caller's pids array, ELEM_INFO, ELEM_READ, ELEM_WRITE; a subscribed
// file reads exactly one 72-byte event per real change; locks are per
// control file.
func TestElementsAndEvents(t *testing.T) {
	r := newRig(t, oneDevice(pcm.DefaultHardware(), 1, 1))
	c := newCaller(20, 1<<20)
	a, b := r.card.OpenCtl(c.pid), r.card.OpenCtl(c.pid+1)
	defer a.Release()
	defer b.Release()

	// ELEM_LIST, first counting, then with room for 4 from offset 1.
	lb := make([]byte, asound.ElemListSize)
	la := c.put(lb)
	must(t, "ELEM_LIST count", fuseIoctl(bg, a, c, asound.CtlIoctlElemList, la))
	var l asound.ElemList
	l.Decode(c.get(la, asound.ElemListSize))
	if l.Count != 6 || l.Used != 0 {
		t.Fatalf("ELEM_LIST count %+v", l)
	}
	pids := c.alloc(4 * asound.ElemIDSize)
	(&asound.ElemList{Offset: 1, Space: 4, Pids: uint64(pids)}).Encode(lb)
	la = c.put(lb)
	must(t, "ELEM_LIST", fuseIoctl(bg, a, c, asound.CtlIoctlElemList, la))
	l.Decode(c.get(la, asound.ElemListSize))
	if l.Count != 6 || l.Used != 4 || l.Pids != uint64(pids) {
		t.Fatalf("ELEM_LIST %+v", l)
	}
	var id asound.ElemID
	id.Decode(c.get(pids+asound.ElemIDSize, asound.ElemIDSize))
	if id.NumID != 3 || id.NameString() != mixer.PCMVolume || id.Iface != asound.ElemIfaceMixer {
		t.Fatalf("second listed id %+v (%q)", id, id.NameString())
	}
	(&asound.ElemList{Space: 2, Pids: 8}).Encode(lb)
	wantErrno(t, "ELEM_LIST to a bad pids pointer", fuseIoctl(bg, a, c, asound.CtlIoctlElemList, c.put(lb)), syscall.EFAULT)

	// ELEM_INFO by name.
	ib := make([]byte, asound.ElemInfoSize)
	(&asound.ElemInfo{ID: elemID(mixer.MasterVolume)}).Encode(ib)
	ia := c.put(ib)
	must(t, "ELEM_INFO", fuseIoctl(bg, a, c, asound.CtlIoctlElemInfo, ia))
	var ei asound.ElemInfo
	ei.Decode(c.get(ia, asound.ElemInfoSize))
	if ei.ID.NumID != 1 || ei.Type != asound.ElemTypeInteger || ei.Count != 2 || ei.Min != 0 || ei.Max != 100 ||
		ei.Owner != -1 || ei.Access&asound.ElemAccessReadWrite != asound.ElemAccessReadWrite {
		t.Fatalf("ELEM_INFO %+v", ei)
	}

	// Subscribe a; b stays unsubscribed.
	sa := intArg(c, 1)
	must(t, "SUBSCRIBE_EVENTS 1", fuseIoctl(bg, a, c, asound.CtlIoctlSubscribeEvents, sa))
	q := intArg(c, -1)
	must(t, "SUBSCRIBE_EVENTS -1", fuseIoctl(bg, a, c, asound.CtlIoctlSubscribeEvents, q))
	if getInt(c, q) != 1 {
		t.Fatalf("subscription state %d", getInt(c, q))
	}
	rec := make([]byte, 2*asound.EventSize)
	_, err := a.Read(bg, rec, true)
	wantErrno(t, "Read with nothing pending", err, syscall.EAGAIN)
	_, err = b.Read(bg, rec, true)
	wantErrno(t, "Read unsubscribed", err, syscall.EBADFD)
	_, err = a.Read(bg, rec[:71], true)
	wantErrno(t, "Read of 71 bytes", err, syscall.EINVAL)

	write := func(f *CtlFile, name string, l, r int64) error {
		vb := make([]byte, asound.ElemValueSize)
		v := asound.ElemValue{ID: elemID(name)}
		v.SetInteger(0, l)
		v.SetInteger(1, r)
		v.Encode(vb)
		return fuseIoctl(bg, f, c, asound.CtlIoctlElemWrite, c.put(vb))
	}
	read := func(name string) (int64, int64) {
		vb := make([]byte, asound.ElemValueSize)
		(&asound.ElemValue{ID: elemID(name)}).Encode(vb)
		va := c.put(vb)
		must(t, "ELEM_READ", fuseIoctl(bg, b, c, asound.CtlIoctlElemRead, va))
		var v asound.ElemValue
		v.Decode(c.get(va, asound.ElemValueSize))
		if v.ID.NumID != 1 {
			t.Fatalf("ELEM_READ did not complete the id: %+v", v.ID)
		}
		return v.Integer(0), v.Integer(1)
	}
	must(t, "ELEM_WRITE", write(b, mixer.MasterVolume, 40, 60))
	if l, rr := read(mixer.MasterVolume); l != 40 || rr != 60 {
		t.Fatalf("ELEM_READ %d %d after writing 40 60", l, rr)
	}
	n, err := a.Read(bg, rec, true)
	must(t, "Read", err)
	if n != asound.EventSize {
		t.Fatalf("read %d bytes, want one 72-byte event", n)
	}
	var ev asound.Event
	ev.Decode(rec)
	if ev.Type != asound.EventElem || ev.Mask != asound.EventMaskValue || ev.ID.NumID != 1 || ev.ID.NameString() != mixer.MasterVolume {
		t.Fatalf("event %+v", ev)
	}
	// A write that changes nothing sends nothing; an invalid one is EINVAL.
	must(t, "same ELEM_WRITE", write(b, mixer.MasterVolume, 40, 60))
	wantErrno(t, "ELEM_WRITE out of range", write(b, mixer.MasterVolume, 101, 0), syscall.EINVAL)
	_, err = a.Read(bg, rec, true)
	wantErrno(t, "Read after a write without change", err, syscall.EAGAIN)
	wantErrno(t, "ELEM_WRITE unknown", write(b, "No Such Volume", 1, 1), syscall.ENOENT)

	// A blocking read wakes on the next change.
	got := make(chan error, 1)
	go func() {
		_, err := a.Read(bg, rec, false)
		got <- err
	}()
	must(t, "ELEM_WRITE", write(b, mixer.MasterVolume, 41, 60))
	select {
	case err := <-got:
		must(t, "blocking Read", err)
	case <-time.After(20 * time.Second):
		t.Fatal("blocking Read did not wake")
	}

	// Locks: a holds Master, b may not write it, a may.
	idb := make([]byte, asound.ElemIDSize)
	id = elemID(mixer.MasterVolume)
	id.Encode(idb)
	must(t, "ELEM_LOCK", fuseIoctl(bg, a, c, asound.CtlIoctlElemLock, c.put(idb)))
	wantErrno(t, "ELEM_LOCK twice", fuseIoctl(bg, b, c, asound.CtlIoctlElemLock, c.put(idb)), syscall.EBUSY)
	wantErrno(t, "ELEM_WRITE by the other file", write(b, mixer.MasterVolume, 1, 1), syscall.EPERM)
	must(t, "ELEM_WRITE by the owner", write(a, mixer.MasterVolume, 1, 1))
	(&asound.ElemInfo{ID: elemID(mixer.MasterVolume)}).Encode(ib)
	ia = c.put(ib)
	must(t, "ELEM_INFO", fuseIoctl(bg, a, c, asound.CtlIoctlElemInfo, ia))
	ei.Decode(c.get(ia, asound.ElemInfoSize))
	if ei.Access&(asound.ElemAccessLock|asound.ElemAccessOwner) != asound.ElemAccessLock|asound.ElemAccessOwner || ei.Owner != int32(c.pid) {
		t.Fatalf("ELEM_INFO of a locked element %+v", ei)
	}
	wantErrno(t, "ELEM_UNLOCK by the other file", fuseIoctl(bg, b, c, asound.CtlIoctlElemUnlock, c.put(idb)), syscall.EPERM)
	a.Release() // drops the lock
	must(t, "ELEM_WRITE after the owner closed", write(b, mixer.MasterVolume, 2, 2))

	// TLV_READ writes the dB scale after the header.
	tb := make([]byte, asound.TLVSize+64)
	(&asound.TLV{NumID: 1, Length: 64}).Encode(tb)
	ta := c.put(tb)
	must(t, "TLV_READ", fuseIoctl(bg, b, c, asound.CtlIoctlTLVRead, ta))
	tlv := c.get(ta+asound.TLVSize, 16)
	want := mixer.DefaultDBScale.TLV()
	for i, w := range want {
		if g := binary.LittleEndian.Uint32(tlv[i*4:]); g != w {
			t.Fatalf("TLV word %d: %#x, want %#x", i, g, w)
		}
	}
	(&asound.TLV{NumID: 1, Length: 8}).Encode(tb)
	wantErrno(t, "TLV_READ into 8 bytes", fuseIoctl(bg, b, c, asound.CtlIoctlTLVRead, c.put(tb)), syscall.ENOMEM)
	(&asound.TLV{NumID: 2, Length: 64}).Encode(tb)
	wantErrno(t, "TLV_READ of a switch", fuseIoctl(bg, b, c, asound.CtlIoctlTLVRead, c.put(tb)), syscall.ENXIO)
	(&asound.TLV{NumID: 0, Length: 64}).Encode(tb)
	wantErrno(t, "TLV_READ numid 0", fuseIoctl(bg, b, c, asound.CtlIoctlTLVRead, c.put(tb)), syscall.EINVAL)
	wantErrno(t, "ELEM_ADD", fuseIoctl(bg, b, c, asound.CtlIoctlElemAdd, c.put(ib)), syscall.ENOMEM)
}

// TestPreferredSubdevice: PCM_PREFER_SUBDEVICE on a control file reaches
// the PCM open of the same pid only; a taken subdevice makes a
// non-blocking open EBUSY and a blocking one wait for the release.
func TestPreferredSubdevice(t *testing.T) {
	r := newRig(t, threeDevices())
	c := newCaller(30, 1<<16)
	ctl := r.card.OpenCtl(30)
	defer ctl.Release()
	must(t, "PREFER 1", fuseIoctl(bg, ctl, c, asound.CtlIoctlPCMPreferSubdevice, intArg(c, 1)))
	if p := r.card.PreferredSubdevice(30); p != 1 {
		t.Fatalf("preferred %d", p)
	}
	f, err := r.card.OpenPCM(bg, 0, pcm.Playback, 30, true)
	must(t, "open pid 30", err)
	if n := f.Substream().Number(); n != 1 {
		t.Fatalf("pid 30 got subdevice %d, want its preferred 1", n)
	}
	g, err := r.card.OpenPCM(bg, 0, pcm.Playback, 31, true)
	must(t, "open pid 31", err)
	if n := g.Substream().Number(); n != 0 {
		t.Fatalf("pid 31 got subdevice %d, want the first free", n)
	}
	_, err = r.card.OpenPCM(bg, 0, pcm.Playback, 30, true)
	wantErrno(t, "second open of the preferred subdevice", err, syscall.EBUSY)

	done := make(chan *PCMFile, 1)
	go func() {
		h, err := r.card.OpenPCM(bg, 0, pcm.Playback, 30, false)
		if err != nil {
			t.Error(err)
		}
		done <- h
	}()
	select {
	case <-done:
		t.Fatal("blocking open returned while the subdevice was taken")
	case <-time.After(30 * time.Millisecond):
	}
	must(t, "release", f.Release())
	select {
	case h := <-done:
		if h == nil || h.Substream().Number() != 1 {
			t.Fatalf("blocking open got %v", h)
		}
		h.Release()
	case <-time.After(20 * time.Second):
		t.Fatal("blocking open did not wake on release")
	}
	g.Release()

	ctl.Release() // its preference goes with it
	if p := r.card.PreferredSubdevice(30); p != -1 {
		t.Fatalf("preference %d survives the control file", p)
	}
	_, err = r.card.OpenPCM(bg, 1, pcm.Playback, 30, true)
	wantErrno(t, "open of a stream without substreams", err, syscall.ENODEV)
	_, err = r.card.OpenPCM(bg, 9, pcm.Playback, 30, true)
	wantErrno(t, "open of a missing device", err, syscall.ENODEV)

	// Interrupted wait: both substreams taken.
	x, _ := r.card.OpenPCM(bg, 0, pcm.Playback, 0, true)
	y, _ := r.card.OpenPCM(bg, 0, pcm.Playback, 0, true)
	ctx, cancel := context.WithTimeout(bg, 20*time.Millisecond)
	defer cancel()
	_, err = r.card.OpenPCM(ctx, 0, pcm.Playback, 0, false)
	wantErrno(t, "interrupted blocking open", err, syscall.EINTR)
	x.Release()
	y.Release()
}
