package mixer

import (
	"slices"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Config is what New builds a mixer from.
type Config struct {
	Controls []Control
	// Playback and Capture name the elements whose product is the gain
	// applied to what reaches a sink and what comes from a source.
	Playback, Capture GainPath
}

// GainPath names MIXER-interface elements (device 0, index 0) that make
// up a gain: each volume is INTEGER with a DB_SCALE TLV, each switch is
// BOOLEAN (0 mutes). An empty path is unity.
type GainPath struct {
	Volumes  []string
	Switches []string
}

// elem is one element (struct snd_kcontrol with count 1 and its
// snd_kcontrol_volatile).
type elem struct {
	c     Control // immutable after New (c.ID.NumID set)
	value Values  // guarded by Mixer.mu: len c.Count
	owner *Owner  // guarded by Mixer.mu: vd->owner, nil when unlocked
}

// Mixer is the control model of one card. See the package doc for the
// model and the lock.
type Mixer struct {
	mu      sync.Mutex
	elems   []*elem         // immutable slice after New; elems[numid-1]; contents guarded by mu
	subs    []*Subscription // guarded by mu: subscribed files (card->ctl_files with subscribed set)
	changes int             // guarded by mu: mixer_oss_change_count, one per notify
	closed  bool            // guarded by mu: card disconnected

	// watchers is replaced, never modified in place, under mu, so a
	// snapshot taken under mu can be called after mu is released.
	watchers []*watcher // guarded by mu

	done chan struct{} // closed by Close; wakes event readers

	playback, capture gainStages              // immutable after New
	pgain, cgain      atomic.Pointer[gainSet] // republished under mu on every change of a stage
}

// gainStages are the elements of a GainPath.
type gainStages struct {
	volumes  []*elem
	scales   []DBScale
	switches []*elem
}

// New builds a mixer: numids are assigned 1, 2, ... in the order of
// cfg.Controls. EINVAL for a malformed control or gain path, EBUSY for two
// controls with the same id (snd_ctl_add: "control ... is already
// present").
func New(cfg Config) (*Mixer, error) {
	m := &Mixer{done: make(chan struct{})}
	for i, c := range cfg.Controls {
		c.Items = slices.Clone(c.Items)
		c.TLV = slices.Clone(c.TLV)
		c.Init = slices.Clone(c.Init)
		if err := c.check(); err != nil {
			return nil, err
		}
		c.ID.NumID = uint32(i + 1)
		for _, o := range m.elems {
			if sameElem(o.c.ID, c.ID) {
				return nil, pcm.Errorf(syscall.EBUSY, "mixer: control %s is already present", c.ID)
			}
		}
		m.elems = append(m.elems, &elem{c: c, value: slices.Clone(c.Init)})
	}
	var err error
	if m.playback, err = m.stages(cfg.Playback); err != nil {
		return nil, err
	}
	if m.capture, err = m.stages(cfg.Capture); err != nil {
		return nil, err
	}
	m.mu.Lock()
	m.publishLocked()
	m.mu.Unlock()
	return m, nil
}

func (m *Mixer) stages(p GainPath) (gainStages, error) {
	var g gainStages
	for _, name := range p.Volumes {
		e, err := m.findLocked(ElemID{Iface: IfaceMixer, Name: name})
		if err != nil {
			return g, pcm.Errorf(syscall.EINVAL, "mixer: gain volume %q: %v", name, err)
		}
		s, ok := ParseDBScale(e.c.TLV)
		if e.c.Type != TypeInteger || !ok {
			return g, pcm.Errorf(syscall.EINVAL, "mixer: gain volume %q is not INTEGER with a DB_SCALE", name)
		}
		g.volumes = append(g.volumes, e)
		g.scales = append(g.scales, s)
	}
	for _, name := range p.Switches {
		e, err := m.findLocked(ElemID{Iface: IfaceMixer, Name: name})
		if err != nil {
			return g, pcm.Errorf(syscall.EINVAL, "mixer: gain switch %q: %v", name, err)
		}
		if e.c.Type != TypeBoolean {
			return g, pcm.Errorf(syscall.EINVAL, "mixer: gain switch %q is not BOOLEAN", name)
		}
		g.switches = append(g.switches, e)
	}
	return g, nil
}

// findLocked is snd_ctl_find_id: by numid when it is set
// (snd_ctl_find_numid), else by iface, device, subdevice, name and index.
// ENOENT when nothing matches.
// Precondition: mu held (or m not yet shared).
func (m *Mixer) findLocked(id ElemID) (*elem, error) {
	if id.NumID != 0 {
		if int64(id.NumID) <= int64(len(m.elems)) {
			return m.elems[id.NumID-1], nil
		}
		return nil, pcm.Errorf(syscall.ENOENT, "mixer: no element numid %d", id.NumID)
	}
	for _, e := range m.elems {
		if sameElem(e.c.ID, id) {
			return e, nil
		}
	}
	return nil, pcm.Errorf(syscall.ENOENT, "mixer: no element %s", id)
}

// Find returns the complete id of an element (snd_ctl_build_ioff fills
// the id the kernel copies back). ENOENT when there is none.
func (m *Mixer) Find(id ElemID) (ElemID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.findLocked(id)
	if err != nil {
		return ElemID{}, err
	}
	return e.c.ID, nil
}

// Count is the number of elements (snd_ctl_elem_list's count).
func (m *Mixer) Count() int { return len(m.elems) }

// List is snd_ctl_elem_list: the ids of at most space elements from
// offset on (none when offset is past the end), and the total count.
func (m *Mixer) List(offset, space int) ([]ElemID, int) {
	n := len(m.elems)
	if offset < 0 || space <= 0 || offset >= n {
		return nil, n
	}
	end := min(n, offset+space)
	ids := make([]ElemID, 0, end-offset)
	for _, e := range m.elems[offset:end] {
		ids = append(ids, e.c.ID) // ids are immutable: no lock
	}
	return ids, n
}

// Info is snd_ctl_elem_info as asked by owner (nil for the kernel):
// ENOENT for an unknown element. A locked element reports AccessLock, plus
// AccessOwner when owner holds it, and the holder's pid.
func (m *Mixer) Info(owner *Owner, id ElemID) (ElemInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.findLocked(id)
	if err != nil {
		return ElemInfo{}, err
	}
	c := &e.c
	info := ElemInfo{ID: c.ID, Type: c.Type, Access: c.Access, Count: c.Count, Owner: -1,
		Min: c.Min, Max: c.Max, Step: c.Step, Items: c.Items}
	if c.Type == TypeEnumerated {
		info.Min, info.Max = 0, 0
	}
	if e.owner != nil {
		info.Access |= AccessLock
		if e.owner == owner {
			info.Access |= AccessOwner
		}
		info.Owner = e.owner.Pid
	}
	return info, nil
}

// Read is snd_ctl_elem_read: the element's values (a new slice). ENOENT
// for an unknown element, EPERM without AccessRead.
func (m *Mixer) Read(id ElemID) (Values, error) {
	v := make(Values, MaxCount)
	_, n, err := m.ReadTo(id, v)
	return v[:n], err
}

// ReadTo is Read into dst without allocating: it returns the complete id,
// the number of values (Count) and copies min(Count, len(dst)) of them.
func (m *Mixer) ReadTo(id ElemID, dst Values) (ElemID, int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.findLocked(id)
	if err != nil {
		return ElemID{}, 0, err
	}
	if e.c.Access&AccessRead == 0 {
		return ElemID{}, 0, pcm.Errorf(syscall.EPERM, "mixer: %q is not readable", e.c.ID.Name)
	}
	copy(dst, e.value)
	return e.c.ID, e.c.Count, nil
}

// Write is snd_ctl_elem_write by owner (nil for the kernel, which ignores
// locks): the first Count values of v replace the element's. ENOENT for
// an unknown element; EPERM without AccessWrite or when another owner
// holds the lock; EINVAL when fewer than Count values are given or one is
// out of range or off the step grid (nothing changes then: vsnd rejects
// where snd_dummy_volume_put clamps, as the kernel does with
// CONFIG_SND_CTL_INPUT_VALIDATION). changed reports a real change, which
// and only which sends one EventMaskValue event (snd_ctl_notify).
func (m *Mixer) Write(owner *Owner, id ElemID, v Values) (changed bool, err error) {
	m.mu.Lock()
	e, err := m.findLocked(id)
	if err != nil {
		m.mu.Unlock()
		return false, err
	}
	if e.c.Access&AccessWrite == 0 || (owner != nil && e.owner != nil && e.owner != owner) {
		m.mu.Unlock()
		return false, pcm.Errorf(syscall.EPERM, "mixer: %q is not writable by this file", e.c.ID.Name)
	}
	if err := e.c.checkValues(v); err != nil {
		m.mu.Unlock()
		return false, err
	}
	if slices.Equal(e.value, v[:e.c.Count]) {
		m.mu.Unlock()
		return false, nil
	}
	copy(e.value, v)
	m.publishLocked()
	m.notifyLocked(EventMaskValue, e.c.ID)
	watchers := m.watchers
	m.mu.Unlock()
	callWatchers(watchers, Event{Mask: EventMaskValue, ID: e.c.ID})
	return true, nil
}

// Lock is snd_ctl_elem_lock: ENOENT for an unknown element, EBUSY when it
// is already locked (by anyone, owner included). A nil owner is EINVAL.
func (m *Mixer) Lock(owner *Owner, id ElemID) error {
	if owner == nil {
		return pcm.Errorf(syscall.EINVAL, "mixer: lock without an owner")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.findLocked(id)
	if err != nil {
		return err
	}
	if e.owner != nil {
		return pcm.Errorf(syscall.EBUSY, "mixer: %q is locked by pid %d", e.c.ID.Name, e.owner.Pid)
	}
	e.owner = owner
	return nil
}

// Unlock is snd_ctl_elem_unlock: ENOENT for an unknown element, EINVAL
// when it is not locked, EPERM when another owner holds it.
func (m *Mixer) Unlock(owner *Owner, id ElemID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.findLocked(id)
	if err != nil {
		return err
	}
	switch {
	case e.owner == nil:
		return pcm.Errorf(syscall.EINVAL, "mixer: %q is not locked", e.c.ID.Name)
	case e.owner != owner:
		return pcm.Errorf(syscall.EPERM, "mixer: %q is locked by pid %d", e.c.ID.Name, e.owner.Pid)
	}
	e.owner = nil
	return nil
}

// Release drops every lock owner holds, as snd_ctl_release does when a
// control file is closed.
func (m *Mixer) Release(owner *Owner) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.elems {
		if e.owner == owner {
			e.owner = nil
		}
	}
}

// Notify queues an event for every subscriber as snd_ctl_notify (for a
// driver-side change such as EventMaskInfo). ENOENT for an unknown element.
func (m *Mixer) Notify(mask uint32, id ElemID) error {
	m.mu.Lock()
	e, err := m.findLocked(id)
	if err != nil {
		m.mu.Unlock()
		return err
	}
	m.notifyLocked(mask, e.c.ID)
	watchers := m.watchers
	m.mu.Unlock()
	callWatchers(watchers, Event{Mask: mask, ID: e.c.ID})
	return nil
}

// ModifyCounter counts notifications (card->mixer_oss_change_count, which
// snd_ctl_notify increments): OSS's mixer_info.modify_counter.
func (m *Mixer) ModifyCounter() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes
}

// Done is closed by Close, for a poll face that waits on Ready.
func (m *Mixer) Done() <-chan struct{} { return m.done }

// Close disconnects the mixer (snd_card_disconnect): event readers wake
// with ENODEV. Values stay readable. Idempotent.
func (m *Mixer) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.closed {
		m.closed = true
		close(m.done)
	}
}
