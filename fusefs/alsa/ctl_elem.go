package alsa

import (
	"context"
	"encoding/binary"
	"sync"
	"syscall"

	"github.com/vsnd/vsnd/fusefs/asound"
	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/mixer"
)

// Mixer is the card mixer the control node serves (package pcm/mixer).
type Mixer = mixer.Mixer

// ctlElem is the element half of a control file: its identity as a lock
// owner and its event subscription.
type ctlElem struct {
	m     *mixer.Mixer // immutable; nil for a card without controls
	owner *mixer.Owner // immutable: this file as a lock holder

	mu  sync.Mutex          // guards sub
	sub *mixer.Subscription // guarded by mu: non-nil while subscribed

	readMu sync.Mutex    // serializes reads; guards evs
	evs    []mixer.Event // guarded by readMu: events on their way to the caller
	// noMixer is the subscription stand-in of a card without controls:
	// subscribed, never an event.
	noMixer bool // guarded by mu
}

func (e *ctlElem) init(c *Card, pid int) {
	e.m = c.opts.Mixer
	e.owner = mixer.NewOwner(int32(pid))
}

// release is the element part of snd_ctl_release.
func (e *ctlElem) release() {
	e.mu.Lock()
	sub := e.sub
	e.sub, e.noMixer = nil, false
	e.mu.Unlock()
	if sub != nil {
		sub.Close()
	}
	if e.m != nil {
		e.m.Release(e.owner)
	}
}

var errNoElem = &pcm.Error{Errno: syscall.ENOENT, Reason: "alsa: the card has no controls"}

// ioctl answers the element requests of snd_ctl_ioctl.
func (e *ctlElem) ioctl(ctx context.Context, c Caller, req asound.Ioctl, arg uintptr, in, out []byte) error {
	switch req {
	case asound.CtlIoctlElemList:
		return e.list(c, in, out)
	case asound.CtlIoctlElemInfo:
		return e.info(in, out)
	case asound.CtlIoctlElemRead:
		return e.read1(in, out)
	case asound.CtlIoctlElemWrite:
		return e.write(in, out)
	case asound.CtlIoctlElemLock, asound.CtlIoctlElemUnlock:
		if len(in) < asound.ElemIDSize {
			return errShort
		}
		if e.m == nil {
			return errNoElem
		}
		id := fromElemID(in)
		if req == asound.CtlIoctlElemLock {
			return e.m.Lock(e.owner, id)
		}
		return e.m.Unlock(e.owner, id)
	case asound.CtlIoctlSubscribeEvents:
		return e.subscribe(in, out)
	case asound.CtlIoctlTLVRead, asound.CtlIoctlTLVWrite, asound.CtlIoctlTLVCommand:
		return e.tlv(c, req, arg, in, out)
	case asound.CtlIoctlElemAdd, asound.CtlIoctlElemReplace:
		// snd_ctl_elem_add_user: vsnd keeps no user controls; the
		// kernel's answer when the user-control budget is spent.
		return pcm.Errorf(syscall.ENOMEM, "alsa: user controls are not supported")
	case asound.CtlIoctlElemRemove:
		// snd_ctl_remove_user_ctl: ENOENT, or EINVAL for a
		// non-user element.
		if len(in) < asound.ElemIDSize {
			return errShort
		}
		if e.m == nil {
			return errNoElem
		}
		if _, err := e.m.Find(fromElemID(in)); err != nil {
			return err
		}
		return pcm.Errorf(syscall.EINVAL, "alsa: ELEM_REMOVE of an element that is not a user control")
	}
	return errNotTTY
}

// fromElemID decodes a 64-byte struct snd_ctl_elem_id into the mixer's
// id (the name allocates when non-empty).
func fromElemID(b []byte) mixer.ElemID {
	var a asound.ElemID
	a.Decode(b)
	return mixer.ElemID{NumID: a.NumID, Iface: mixer.Iface(a.Iface), Device: a.Device,
		Subdevice: a.Subdevice, Name: a.NameString(), Index: a.Index}
}

// toElemID is the inverse of fromElemID.
func toElemID(id mixer.ElemID) asound.ElemID {
	a := asound.ElemID{NumID: id.NumID, Iface: int32(id.Iface), Device: id.Device,
		Subdevice: id.Subdevice, Index: id.Index}
	a.SetName(id.Name)
	return a
}

// list is snd_ctl_elem_list_user: count and used go back in the struct,
// the ids to the caller's pids array (copy_to_user at list->pids, over
// FUSE Caller.WriteMem), one at a time as the kernel copies them.
func (e *ctlElem) list(c Caller, in, out []byte) error {
	if len(in) < asound.ElemListSize || len(out) < asound.ElemListSize {
		return errShort
	}
	var l asound.ElemList
	l.Decode(in)
	l.Used = 0
	l.Count = 0
	if e.m != nil {
		var ids []mixer.ElemID
		ids, n := e.m.List(int(min(l.Offset, 1<<30)), int(min(l.Space, 1<<30)))
		l.Count = uint32(n)
		var rec [asound.ElemIDSize]byte
		for i, id := range ids {
			if c == nil {
				return pcm.Errorf(syscall.EFAULT, "alsa: no caller to write the ids to")
			}
			a := toElemID(id)
			a.Encode(rec[:])
			if err := c.WriteMem(uintptr(l.Pids)+uintptr(i)*asound.ElemIDSize, rec[:]); err != nil {
				return err
			}
			l.Used++
		}
	}
	copy(out[:asound.ElemListSize], in)
	return l.Encode(out)
}

// info is snd_ctl_elem_info_user: the element's description as this file
// sees it (LOCK/OWNER access bits, the holder's pid), enumerated items by
// the index the caller asks for (snd_ctl_enum_info clamps it to the last).
func (e *ctlElem) info(in, out []byte) error {
	if len(in) < asound.ElemInfoSize || len(out) < asound.ElemInfoSize {
		return errShort
	}
	if e.m == nil {
		return errNoElem
	}
	item, _ := asound.ElemInfoItem(in)
	mi, err := e.m.Info(e.owner, fromElemID(in))
	if err != nil {
		return err
	}
	ai := asound.ElemInfo{ID: toElemID(mi.ID), Type: int32(mi.Type), Access: mi.Access,
		Count: uint32(mi.Count), Owner: mi.Owner, Min: mi.Min, Max: mi.Max, Step: mi.Step}
	if mi.Type == mixer.TypeEnumerated && len(mi.Items) > 0 {
		if int64(item) >= int64(len(mi.Items)) {
			item = uint32(len(mi.Items) - 1)
		}
		ai.Items, ai.Item, ai.ItemName = uint32(len(mi.Items)), item, mi.Items[item]
	}
	return ai.Encode(out)
}

// valueSize is the size of one value of a type in the union of struct
// snd_ctl_elem_value (value_sizes in control.c): long for BOOLEAN and
// INTEGER, unsigned int for ENUMERATED, long long for INTEGER64.
func valueSize(t mixer.Type) int {
	if t == mixer.TypeEnumerated {
		return 4
	}
	return 8
}

const valueOff = 72 // offsetof(struct snd_ctl_elem_value, value)

// read1 is snd_ctl_elem_read_user: the complete id and the values back.
func (e *ctlElem) read1(in, out []byte) error {
	if len(in) < asound.ElemValueSize || len(out) < asound.ElemValueSize {
		return errShort
	}
	if e.m == nil {
		return errNoElem
	}
	id := fromElemID(in)
	mi, err := e.m.Info(nil, id)
	if err != nil {
		return err
	}
	var vals [mixer.MaxCount]int64
	full, n, err := e.m.ReadTo(id, vals[:])
	if err != nil {
		return err
	}
	copy(out[:asound.ElemValueSize], in)
	a := toElemID(full)
	a.Encode(out)
	u := out[valueOff : valueOff+1024]
	clear(u)
	putValues(u, mi.Type, vals[:min(n, len(vals))])
	return nil
}

func putValues(u []byte, t mixer.Type, v []int64) {
	sz := valueSize(t)
	for i, x := range v {
		if (i+1)*sz > len(u) {
			return
		}
		if sz == 4 {
			binary.LittleEndian.PutUint32(u[i*sz:], uint32(x))
		} else {
			binary.LittleEndian.PutUint64(u[i*sz:], uint64(x))
		}
	}
}

// write is snd_ctl_elem_write_user: the mixer checks access, the lock and
// the values (EPERM, EINVAL) and queues the VALUE event of a real change
// for every subscriber (snd_ctl_notify_one), this file included.
func (e *ctlElem) write(in, out []byte) error {
	if len(in) < asound.ElemValueSize || len(out) < asound.ElemValueSize {
		return errShort
	}
	if e.m == nil {
		return errNoElem
	}
	id := fromElemID(in)
	mi, err := e.m.Info(e.owner, id)
	if err != nil {
		return err
	}
	count := min(mi.Count, mixer.MaxCount)
	var vals [mixer.MaxCount]int64
	u := in[valueOff : valueOff+1024]
	sz := valueSize(mi.Type)
	for i := 0; i < count && (i+1)*sz <= len(u); i++ {
		if sz == 4 {
			vals[i] = int64(binary.LittleEndian.Uint32(u[i*sz:]))
		} else {
			vals[i] = int64(binary.LittleEndian.Uint64(u[i*sz:]))
		}
	}
	if _, err := e.m.Write(e.owner, mi.ID, vals[:count]); err != nil {
		return err
	}
	copy(out[:asound.ElemValueSize], in)
	a := toElemID(mi.ID)
	a.Encode(out)
	return nil
}

// subscribe is snd_ctl_subscribe_events: a negative value asks for the
// current state, 1 subscribes, 0 unsubscribes and drops the queue.
func (e *ctlElem) subscribe(in, out []byte) error {
	v, err := asound.GetInt(in)
	if err != nil || len(out) < 4 {
		return errShort
	}
	e.mu.Lock()
	subscribed := e.sub != nil || e.noMixer
	switch {
	case v < 0:
		e.mu.Unlock()
		if subscribed {
			return putInt(out, 1)
		}
		return putInt(out, 0)
	case v > 0:
		if !subscribed {
			if e.m != nil {
				e.sub = e.m.Subscribe()
			} else {
				e.noMixer = true
			}
		}
		e.mu.Unlock()
	default:
		sub := e.sub
		e.sub, e.noMixer = nil, false
		e.mu.Unlock()
		if sub != nil {
			sub.Close()
		}
	}
	copy(out[:4], in) // _IOWR: the value goes back unchanged
	return nil
}

// tlv is snd_ctl_tlv_ioctl: the 8-byte header comes through FUSE, the
// payload lives in the caller's memory right after it (arg+8) and is
// written there with Caller.WriteMem. Only TLV_READ of a readable TLV is
// served; vsnd's elements have no TLV callbacks, so TLV_WRITE and
// TLV_COMMAND are ENXIO once the element is found.
func (e *ctlElem) tlv(c Caller, req asound.Ioctl, arg uintptr, in, out []byte) error {
	if len(in) < asound.TLVSize || len(out) < asound.TLVSize {
		return errShort
	}
	var h asound.TLV
	h.Decode(in)
	if h.NumID == 0 {
		return pcm.Errorf(syscall.EINVAL, "alsa: TLV without numid")
	}
	if h.Length < 8 {
		return pcm.Errorf(syscall.EINVAL, "alsa: TLV buffer of %d bytes", h.Length)
	}
	if e.m == nil {
		return errNoElem
	}
	if req != asound.CtlIoctlTLVRead {
		if _, err := e.m.Find(mixer.ElemID{NumID: h.NumID}); err != nil {
			return err
		}
		return pcm.Errorf(syscall.ENXIO, "alsa: element %d has no TLV callback", h.NumID)
	}
	tlv, err := e.m.TLVRead(h.NumID, h.Length)
	if err != nil {
		return err
	}
	if c == nil {
		return pcm.Errorf(syscall.EFAULT, "alsa: no caller to write the TLV to")
	}
	var buf [64]byte
	payload := buf[:0]
	if 4*len(tlv) > len(buf) {
		payload = make([]byte, 0, 4*len(tlv))
	}
	for _, w := range tlv {
		payload = binary.LittleEndian.AppendUint32(payload, w)
	}
	if err := c.WriteMem(arg+asound.TLVSize, payload); err != nil {
		return err
	}
	copy(out[:asound.TLVSize], in)
	return nil
}

// read is snd_ctl_read: EBADFD unless subscribed, EINVAL for less than one
// record, then the mixer's queue (merged events, EAGAIN, waits).
func (e *ctlElem) read(ctx context.Context, p []byte, nonblock bool) (int, error) {
	e.mu.Lock()
	sub, none := e.sub, e.noMixer
	e.mu.Unlock()
	if sub == nil && !none {
		return 0, pcm.Errorf(syscall.EBADFD, "alsa: read of a control file not subscribed to events")
	}
	n := len(p) / asound.EventSize
	if n == 0 {
		return 0, pcm.Errorf(syscall.EINVAL, "alsa: read of %d bytes, shorter than one snd_ctl_event", len(p))
	}
	if sub == nil { // a card without controls: nothing ever comes
		if nonblock {
			return 0, pcm.Errorf(syscall.EAGAIN, "alsa: no event pending")
		}
		<-ctx.Done()
		return 0, pcm.Errorf(syscall.EINTR, "alsa: event read interrupted")
	}
	e.readMu.Lock()
	defer e.readMu.Unlock()
	if cap(e.evs) < n {
		e.evs = make([]mixer.Event, min(n, 64))
	}
	evs := e.evs[:min(n, cap(e.evs))]
	got, err := sub.Read(ctx, evs, nonblock)
	if err != nil {
		return 0, err
	}
	for i := 0; i < got; i++ {
		ev := asound.Event{Type: asound.EventElem, Mask: evs[i].Mask, ID: toElemID(evs[i].ID)}
		ev.Encode(p[i*asound.EventSize:])
	}
	return got * asound.EventSize, nil
}
