package mixer

import (
	"context"
	"errors"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
)

func errnoIs(t *testing.T, err error, want syscall.Errno, what string) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

// testConfig is the default mixer plus one control of every other kind.
func testConfig() Config {
	cfg := DefaultConfig()
	cfg.Controls = append(cfg.Controls,
		Control{ID: ElemID{Iface: IfaceMixer, Name: "Capture Source"}, Type: TypeEnumerated, Count: 1,
			Items: []string{"Mic", "Line", "CD"}},
		Control{ID: ElemID{Iface: IfaceCard, Name: "Big Counter"}, Type: TypeInteger64, Count: 1,
			Min: -1 << 40, Max: 1 << 40, Step: 4},
		Control{ID: ElemID{Iface: IfacePCM, Device: 0, Name: "Read Only"}, Type: TypeInteger, Count: 1,
			Access: AccessRead, Min: 0, Max: 9, Init: Values{7}},
	)
	return cfg
}

func newTest(t *testing.T) *Mixer {
	t.Helper()
	m, err := New(testConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDefaultControls(t *testing.T) {
	m := Default()
	ids, count := m.List(0, 100)
	want := []string{MasterVolume, MasterSwitch, PCMVolume, PCMSwitch, CaptureVolume, CaptureSwitch}
	if count != len(want) || len(ids) != len(want) {
		t.Fatalf("List: %d ids, count %d, want %d", len(ids), count, len(want))
	}
	for i, id := range ids {
		if id.Name != want[i] || id.NumID != uint32(i+1) || id.Iface != IfaceMixer {
			t.Errorf("id %d = %v, want numid %d %q", i, id, i+1, want[i])
		}
		info, err := m.Info(nil, id)
		if err != nil {
			t.Fatal(err)
		}
		v, err := m.Read(id)
		if err != nil {
			t.Fatal(err)
		}
		if info.Count != 2 || info.Owner != -1 || len(v) != 2 {
			t.Errorf("%s: count %d owner %d values %v", id.Name, info.Count, info.Owner, v)
		}
		switch info.Type {
		case TypeInteger:
			if info.Min != 0 || info.Max != 100 || info.Access != AccessReadWrite|AccessTLVRead || !slices.Equal(v, Values{100, 100}) {
				t.Errorf("%s: %+v values %v", id.Name, info, v)
			}
		case TypeBoolean:
			if info.Min != 0 || info.Max != 1 || info.Access != AccessReadWrite || !slices.Equal(v, Values{1, 1}) {
				t.Errorf("%s: %+v values %v", id.Name, info, v)
			}
		default:
			t.Errorf("%s: type %s", id.Name, info.Type)
		}
	}
	if g := m.PlaybackGain(); !slices.Equal(g, []float64{1, 1}) {
		t.Errorf("default playback gain %v", g)
	}
	if g := m.CaptureGain(); !slices.Equal(g, []float64{1, 1}) {
		t.Errorf("default capture gain %v", g)
	}
}

func TestList(t *testing.T) {
	m := newTest(t)
	ids, count := m.List(2, 3)
	if count != 9 || len(ids) != 3 || ids[0].NumID != 3 || ids[2].NumID != 5 {
		t.Fatalf("List(2,3) = %v, %d", ids, count)
	}
	if ids, count = m.List(8, 10); len(ids) != 1 || ids[0].Name != "Read Only" || count != 9 {
		t.Fatalf("List(8,10) = %v, %d", ids, count)
	}
	if ids, count = m.List(9, 10); len(ids) != 0 || count != 9 {
		t.Fatalf("List(9,10) = %v, %d", ids, count)
	}
	if ids, count = m.List(0, 0); len(ids) != 0 || count != 9 {
		t.Fatalf("List(0,0) = %v, %d", ids, count)
	}
}

// TestWriteEveryValidValue writes every valid value of every control (as
// mixer-test's test_ctl_write_valid) and reads it back, by numid and by
// name.
func TestWriteEveryValidValue(t *testing.T) {
	m := newTest(t)
	ids, _ := m.List(0, 100)
	for _, id := range ids {
		info, err := m.Info(nil, id)
		if err != nil {
			t.Fatal(err)
		}
		if info.Access&AccessWrite == 0 {
			continue
		}
		lo, hi, step := info.Min, info.Max, max(info.Step, 1)
		if info.Type == TypeEnumerated {
			lo, hi = 0, int64(len(info.Items)-1)
		}
		if info.Type == TypeInteger64 {
			step = (hi - lo) / 16 // the full grid is 2^39 values
		}
		byName := ElemID{Iface: id.Iface, Device: id.Device, Subdevice: id.Subdevice, Name: id.Name, Index: id.Index}
		for x := lo; x <= hi; x += step {
			for ch := 0; ch < info.Count; ch++ {
				v, _ := m.Read(id)
				v[ch] = x
				if _, err := m.Write(nil, byName, v); err != nil {
					t.Fatalf("%s = %v: %v", id.Name, v, err)
				}
				got, err := m.Read(id)
				if err != nil || !slices.Equal(got, v) {
					t.Fatalf("%s: wrote %v, read %v, %v", id.Name, v, got, err)
				}
			}
		}
	}
}

func TestInvalidValuesRejected(t *testing.T) {
	m := newTest(t)
	cases := []struct {
		name string
		v    Values
	}{
		{MasterVolume, Values{101, 100}},
		{MasterVolume, Values{100, -1}},
		{MasterVolume, Values{50}}, // fewer than count
		{MasterSwitch, Values{2, 1}},
		{MasterSwitch, Values{1, -1}},
		{"Capture Source", Values{3}},
		{"Capture Source", Values{-1}},
		{"Big Counter", Values{3}},         // off the step grid
		{"Big Counter", Values{1<<40 + 4}}, // past max
	}
	for _, c := range cases {
		id, err := m.Find(ElemID{Iface: IfaceMixer, Name: c.name})
		if err != nil {
			id, err = m.Find(ElemID{Iface: IfaceCard, Name: c.name})
		}
		if err != nil {
			t.Fatal(err)
		}
		sub := m.Subscribe()
		before, _ := m.Read(id)
		changed, err := m.Write(nil, id, c.v)
		errnoIs(t, err, syscall.EINVAL, c.name)
		after, _ := m.Read(id)
		if changed || !slices.Equal(before, after) || sub.Pending() != 0 {
			t.Errorf("%s = %v: changed %v, %v -> %v, %d events", c.name, c.v, changed, before, after, sub.Pending())
		}
		sub.Close()
	}
	if g := m.PlaybackGain(); !slices.Equal(g, []float64{1, 1}) {
		t.Errorf("gain moved after rejected writes: %v", g)
	}
}

func TestLookupErrors(t *testing.T) {
	m := newTest(t)
	owner := NewOwner(1)
	for _, id := range []ElemID{{NumID: 10}, {NumID: 1 << 31}, {Iface: IfaceMixer, Name: "Nope"},
		{Iface: IfaceCard, Name: MasterVolume}, {Iface: IfaceMixer, Name: MasterVolume, Index: 1},
		{Iface: IfaceMixer, Name: MasterVolume, Device: 1}} {
		_, err := m.Info(nil, id)
		errnoIs(t, err, syscall.ENOENT, "info "+id.String())
		_, err = m.Read(id)
		errnoIs(t, err, syscall.ENOENT, "read")
		_, err = m.Write(nil, id, Values{0, 0})
		errnoIs(t, err, syscall.ENOENT, "write")
		errnoIs(t, m.Lock(owner, id), syscall.ENOENT, "lock")
		errnoIs(t, m.Unlock(owner, id), syscall.ENOENT, "unlock")
		_, err = m.TLV(id)
		errnoIs(t, err, syscall.ENOENT, "tlv")
	}
	ro, _ := m.Find(ElemID{Iface: IfacePCM, Name: "Read Only"})
	_, err := m.Write(nil, ro, Values{1})
	errnoIs(t, err, syscall.EPERM, "write read-only")
	if v, _ := m.Read(ro); !slices.Equal(v, Values{7}) {
		t.Errorf("read-only = %v", v)
	}
}

func TestNewRejects(t *testing.T) {
	base := Control{ID: ElemID{Iface: IfaceMixer, Name: "X"}, Type: TypeInteger, Count: 1, Max: 10}
	mod := func(f func(c *Control)) Config { c := base; f(&c); return Config{Controls: []Control{c}} }
	cases := map[string]Config{
		"no name":    mod(func(c *Control) { c.ID.Name = "" }),
		"long name":  mod(func(c *Control) { c.ID.Name = "0123456789012345678901234567890123456789abcd" }),
		"count 0":    mod(func(c *Control) { c.Count = 0 }),
		"count 129":  mod(func(c *Control) { c.Count = 129 }),
		"min > max":  mod(func(c *Control) { c.Min = 11 }),
		"bad init":   mod(func(c *Control) { c.Init = Values{11} }),
		"bad type":   mod(func(c *Control) { c.Type = 4 }),
		"bad iface":  mod(func(c *Control) { c.ID.Iface = 7 }),
		"no items":   mod(func(c *Control) { c.Type = TypeEnumerated }),
		"short tlv":  mod(func(c *Control) { c.TLV = []uint32{1, 8, 0} }),
		"no gain el": {Controls: []Control{base}, Playback: GainPath{Volumes: []string{"Y"}}},
		"gain no db": {Controls: []Control{base}, Playback: GainPath{Volumes: []string{"X"}}},
		"gain sw":    {Controls: []Control{base}, Capture: GainPath{Switches: []string{"X"}}},
	}
	for name, cfg := range cases {
		_, err := New(cfg)
		errnoIs(t, err, syscall.EINVAL, name)
	}
	_, err := New(Config{Controls: []Control{base, base}})
	errnoIs(t, err, syscall.EBUSY, "duplicate")
	other := base
	other.ID.Index = 1
	if _, err := New(Config{Controls: []Control{base, other}}); err != nil {
		t.Errorf("same name, other index: %v", err)
	}
}

func TestLocks(t *testing.T) {
	m := Default()
	a, b := NewOwner(100), NewOwner(200)
	id := ElemID{Iface: IfaceMixer, Name: PCMVolume}
	if err := m.Lock(a, id); err != nil {
		t.Fatal(err)
	}
	errnoIs(t, m.Lock(a, id), syscall.EBUSY, "relock by owner")
	errnoIs(t, m.Lock(b, id), syscall.EBUSY, "lock by other")
	_, err := m.Write(b, id, Values{50, 50})
	errnoIs(t, err, syscall.EPERM, "write by other")
	if v, _ := m.Read(id); !slices.Equal(v, Values{100, 100}) {
		t.Fatalf("value changed by a refused write: %v", v)
	}
	if changed, err := m.Write(a, id, Values{50, 50}); err != nil || !changed {
		t.Fatalf("write by owner: %v %v", changed, err)
	}
	if changed, err := m.Write(nil, id, Values{60, 60}); err != nil || !changed {
		t.Fatalf("kernel write ignores the lock: %v %v", changed, err)
	}
	ia, _ := m.Info(a, id)
	ib, _ := m.Info(b, id)
	if ia.Access&(AccessLock|AccessOwner) != AccessLock|AccessOwner || ia.Owner != 100 ||
		ib.Access&(AccessLock|AccessOwner) != AccessLock || ib.Owner != 100 {
		t.Errorf("info while locked: owner view %#x/%d, other view %#x/%d", ia.Access, ia.Owner, ib.Access, ib.Owner)
	}
	errnoIs(t, m.Unlock(b, id), syscall.EPERM, "unlock by other")
	if err := m.Unlock(a, id); err != nil {
		t.Fatal(err)
	}
	errnoIs(t, m.Unlock(a, id), syscall.EINVAL, "unlock unlocked")
	if _, err := m.Write(b, id, Values{70, 70}); err != nil {
		t.Fatalf("write after unlock: %v", err)
	}
	// Release drops the locks of a closed file.
	if err := m.Lock(b, id); err != nil {
		t.Fatal(err)
	}
	m.Release(b)
	if _, err := m.Write(a, id, Values{80, 80}); err != nil {
		t.Fatalf("write after release: %v", err)
	}
	errnoIs(t, m.Lock(nil, id), syscall.EINVAL, "lock without owner")
}

func TestTLVLayout(t *testing.T) {
	m := Default()
	tlv, err := m.TLV(ElemID{Iface: IfaceMixer, Name: MasterVolume})
	if err != nil {
		t.Fatal(err)
	}
	// DECLARE_TLV_DB_SCALE(x, -5000, 50, 1): type 1, length 8, min, step|mute.
	want := []uint32{1, 8, uint32(0xffffec78), 50 | 0x10000}
	if !slices.Equal(tlv, want) {
		t.Fatalf("TLV = %#x, want %#x", tlv, want)
	}
	if got := (DBScale{Min: -4500, Step: 30}).TLV(); !slices.Equal(got, []uint32{1, 8, uint32(0xffffee6c), 30}) {
		t.Fatalf("snd-dummy's DB_SCALE(-4500, 30, 0) = %#x", got)
	}
	if s, ok := ParseDBScale(tlv); !ok || s != DefaultDBScale {
		t.Fatalf("ParseDBScale = %+v %v", s, ok)
	}
	if _, err := m.TLVRead(1, 16); err != nil {
		t.Fatalf("TLVRead exact fit: %v", err)
	}
	_, err = m.TLVRead(1, 15)
	errnoIs(t, err, syscall.ENOMEM, "short buffer")
	_, err = m.TLVRead(1, 7)
	errnoIs(t, err, syscall.EINVAL, "below header")
	_, err = m.TLVRead(0, 16)
	errnoIs(t, err, syscall.EINVAL, "numid 0")
	_, err = m.TLVRead(99, 16)
	errnoIs(t, err, syscall.ENOENT, "unknown numid")
	_, err = m.TLVRead(2, 16) // Master Playback Switch
	errnoIs(t, err, syscall.ENXIO, "no TLV")
}

// event reads one event without blocking, with a one-slot buffer.
func event(t *testing.T, s *Subscription) Event {
	t.Helper()
	var ev [1]Event
	n, err := s.Read(context.Background(), ev[:], true)
	if err != nil || n != 1 {
		t.Fatalf("read events: n=%d err=%v", n, err)
	}
	return ev[0]
}

func TestEventsExactlyOncePerChange(t *testing.T) {
	m := Default()
	subs := []*Subscription{m.Subscribe(), m.Subscribe(), m.Subscribe()}
	owner := NewOwner(1)
	for _, name := range []string{MasterVolume, MasterSwitch, PCMVolume, PCMSwitch, CaptureVolume, CaptureSwitch} {
		id, _ := m.Find(ElemID{Iface: IfaceMixer, Name: name})
		v, _ := m.Read(id)
		// No-op write: no event.
		if changed, err := m.Write(owner, id, v); err != nil || changed {
			t.Fatalf("%s no-op: %v %v", name, changed, err)
		}
		for _, s := range subs {
			if s.Pending() != 0 {
				t.Fatalf("%s: event after a no-op write", name)
			}
		}
		v[1]-- // a real change: 100 -> 99, on -> off
		if changed, err := m.Write(owner, id, v); err != nil || !changed {
			t.Fatalf("%s: %v %v", name, changed, err)
		}
		for i, s := range subs {
			if n := s.Pending(); n != 1 {
				t.Fatalf("%s: subscriber %d has %d events", name, i, n)
			}
			ev := event(t, s)
			if ev.Mask != EventMaskValue || ev.ID != id || ev.ID.NumID == 0 {
				t.Fatalf("%s: event %+v, want mask 1 id %v", name, ev, id)
			}
			_, err := s.Read(context.Background(), make([]Event, 1), true)
			errnoIs(t, err, syscall.EAGAIN, "second read")
		}
	}
	if got := m.ModifyCounter(); got != 6 {
		t.Errorf("ModifyCounter = %d, want 6", got)
	}
}

func TestEventsMergeAndOrder(t *testing.T) {
	m := Default()
	s := m.Subscribe()
	w := func(name string, v Values) {
		if _, err := m.Write(nil, ElemID{Iface: IfaceMixer, Name: name}, v); err != nil {
			t.Fatal(err)
		}
	}
	w(PCMVolume, Values{10, 10})
	w(MasterSwitch, Values{0, 0})
	w(PCMVolume, Values{20, 20}) // merged into the pending PCM event (snd_ctl_notify)
	if err := m.Notify(EventMaskInfo, ElemID{NumID: 3}); err != nil {
		t.Fatal(err)
	}
	ev := make([]Event, 8)
	n, err := s.Read(context.Background(), ev, true)
	if err != nil || n != 2 {
		t.Fatalf("n=%d err=%v %+v", n, err, ev[:n])
	}
	if ev[0].ID.NumID != 3 || ev[0].Mask != EventMaskValue|EventMaskInfo || ev[1].ID.NumID != 2 || ev[1].Mask != EventMaskValue {
		t.Fatalf("events %+v", ev[:n])
	}
	// A one-slot read takes the oldest and leaves the rest.
	w(PCMVolume, Values{30, 30})
	w(CaptureVolume, Values{30, 30})
	if ev := event(t, s); ev.ID.NumID != 3 {
		t.Fatalf("first %+v", ev)
	}
	if ev := event(t, s); ev.ID.NumID != 5 {
		t.Fatalf("second %+v", ev)
	}
	s.Close()
	_, err = s.Read(context.Background(), ev, true)
	errnoIs(t, err, syscall.EBADFD, "read after unsubscribe")
	w(PCMVolume, Values{40, 40})
	if s.Pending() != 0 {
		t.Fatal("event queued after unsubscribe")
	}
	_, err = m.Subscribe().Read(context.Background(), nil, true)
	errnoIs(t, err, syscall.EINVAL, "zero-length read")
}

func TestEventReadBlocks(t *testing.T) {
	m := Default()
	s := m.Subscribe()
	got := make(chan error, 1)
	go func() {
		ev := make([]Event, 1)
		n, err := s.Read(context.Background(), ev, false)
		if err == nil && (n != 1 || ev[0].ID.NumID != 1) {
			err = errors.New("wrong event")
		}
		got <- err
	}()
	// The reader may or may not be waiting yet; either way it must get
	// the event.
	if _, err := m.Write(nil, ElemID{NumID: 1}, Values{1, 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("blocked reader not woken")
	}

	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, err := s.Read(ctx, make([]Event, 1), false); got <- err }()
	cancel()
	select {
	case err := <-got:
		errnoIs(t, err, syscall.EINTR, "cancelled read")
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled reader not woken")
	}

	go func() { _, err := s.Read(context.Background(), make([]Event, 1), false); got <- err }()
	m.Close()
	select {
	case err := <-got:
		errnoIs(t, err, syscall.ENODEV, "read after close")
	case <-time.After(10 * time.Second):
		t.Fatal("reader not woken by Close")
	}
}

func TestReadyChannel(t *testing.T) {
	m := Default()
	s := m.Subscribe()
	select {
	case <-s.Ready():
		t.Fatal("ready without events")
	default:
	}
	m.Write(nil, ElemID{NumID: 1}, Values{5, 5})
	select {
	case <-s.Ready():
	default:
		t.Fatal("not ready after an event")
	}
}

// TestConcurrent hammers the model from writers, readers and subscribers;
// run with -race. Every subscriber must end with at most one event per
// element, and the last event must reflect a value change.
func TestConcurrent(t *testing.T) {
	m := Default()
	subs := []*Subscription{m.Subscribe(), m.Subscribe()}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := NewOwner(int32(w))
			for i := range 500 {
				id := ElemID{NumID: uint32(1 + (i+w)%6)}
				info, _ := m.Info(o, id)
				x := int64(i % int(info.Max+1))
				m.Write(o, id, Values{x, x})
				m.Read(id)
				if m.Lock(o, id) == nil {
					m.Unlock(o, id)
				}
				_ = m.PlaybackGain()
			}
		}()
	}
	wg.Wait()
	for _, s := range subs {
		if n := s.Pending(); n < 1 || n > 6 || s.Dropped() != 0 {
			t.Errorf("pending %d dropped %d", n, s.Dropped())
		}
	}
}

func TestWatch(t *testing.T) {
	m := Default()
	var mu sync.Mutex
	var got []Event
	cancel := m.Watch(func(ev Event) {
		m.Read(ev.ID) // the mixer is callable from the callback
		mu.Lock()
		got = append(got, ev)
		mu.Unlock()
	})
	m.Write(nil, ElemID{NumID: 1}, Values{1, 1})
	m.Write(nil, ElemID{NumID: 1}, Values{1, 1}) // no change, no call
	m.Write(nil, ElemID{NumID: 1}, Values{2, 2}) // not merged for a watcher
	cancel()
	cancel()
	m.Write(nil, ElemID{NumID: 1}, Values{3, 3})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0].ID.NumID != 1 || got[0].Mask != EventMaskValue || got[1].ID.Name != MasterVolume {
		t.Fatalf("watched %+v", got)
	}
}

func TestCloseReadsPendingFirst(t *testing.T) {
	m := Default()
	s := m.Subscribe()
	m.Write(nil, ElemID{NumID: 1}, Values{1, 1})
	m.Close()
	m.Close()
	select {
	case <-m.Done():
	default:
		t.Fatal("Done not closed")
	}
	if ev := event(t, s); ev.ID.NumID != 1 {
		t.Fatalf("pending event %+v", ev)
	}
	_, err := s.Read(context.Background(), make([]Event, 1), true)
	errnoIs(t, err, syscall.ENODEV, "read after close, queue empty")
}
