package mixer

import (
	"context"
	"slices"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Event is one struct snd_ctl_event of type SNDRV_CTL_EVENT_ELEM: what
// changed (Mask) on which element (ID, complete).
type Event struct {
	Mask uint32
	ID   ElemID
}

// MaxQueue bounds a subscriber's queue. Events for an element already
// queued merge into its entry (below), so a queue holds at most one entry
// per element and never reaches this bound with a fixed element set; it is
// there for notifications of elements that do not exist any more.
const MaxQueue = 1024

// Subscription is a control file with SUBSCRIBE_EVENTS set: its queue of
// pending events (ctl->events) and the wake-up of its readers
// (ctl->change_sleep).
type Subscription struct {
	m       *Mixer
	queue   []Event       // guarded by m.mu: pending, oldest first
	active  bool          // guarded by m.mu: still subscribed
	dropped int           // guarded by m.mu: events lost to MaxQueue
	ready   chan struct{} // immutable; capacity 1: a token when the queue became non-empty
}

// Subscribe starts delivering events (snd_ctl_subscribe_events with 1).
func (m *Mixer) Subscribe() *Subscription {
	s := &Subscription{m: m, active: true, ready: make(chan struct{}, 1)}
	m.mu.Lock()
	m.subs = append(m.subs, s)
	m.mu.Unlock()
	return s
}

// Close unsubscribes and drops pending events (snd_ctl_subscribe_events
// with 0: snd_ctl_empty_read_queue). Idempotent.
func (s *Subscription) Close() {
	m := s.m
	m.mu.Lock()
	defer m.mu.Unlock()
	if !s.active {
		return
	}
	s.active = false
	s.queue = nil
	m.subs = slices.DeleteFunc(m.subs, func(o *Subscription) bool { return o == s })
}

// notifyLocked is snd_ctl_notify: for every subscriber, an event for an
// element already queued ORs mask into that entry; otherwise a new entry
// goes to the tail. Readers are woken; the OSS change counter grows.
// Precondition: m.mu held.
func (m *Mixer) notifyLocked(mask uint32, id ElemID) {
	m.changes++
	for _, s := range m.subs {
		merged := false
		for i := range s.queue {
			if s.queue[i].ID.NumID == id.NumID {
				s.queue[i].Mask |= mask
				merged = true
				break
			}
		}
		if !merged {
			if len(s.queue) >= MaxQueue {
				s.dropped++ // the kernel's "No memory available to allocate event"
				continue
			}
			s.queue = append(s.queue, Event{Mask: mask, ID: id})
		}
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}

// Pending returns the number of queued events (snd_ctl_poll: readable
// when non-zero).
func (s *Subscription) Pending() int {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return len(s.queue)
}

// Dropped returns how many events were lost to MaxQueue.
func (s *Subscription) Dropped() int {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.dropped
}

// Ready has a token after an event was queued: a poll face selects on it
// and then calls Read with nonblock (the token may be stale).
func (s *Subscription) Ready() <-chan struct{} { return s.ready }

// Read is snd_ctl_read: it moves up to len(dst) pending events into dst,
// oldest first, and returns how many. With none pending it answers EAGAIN
// when nonblock, else it waits for one. EINVAL for an empty dst (a read
// shorter than one snd_ctl_event), EBADFD after Close (not subscribed),
// ENODEV when the mixer is closed (card->shutdown), EINTR when ctx ends
// (ERESTARTSYS, a signal).
func (s *Subscription) Read(ctx context.Context, dst []Event, nonblock bool) (int, error) {
	if len(dst) == 0 {
		return 0, pcm.Errorf(syscall.EINVAL, "mixer: event read shorter than one event")
	}
	m := s.m
	for {
		m.mu.Lock()
		if !s.active {
			m.mu.Unlock()
			return 0, pcm.Errorf(syscall.EBADFD, "mixer: not subscribed to events")
		}
		if n := copy(dst, s.queue); n > 0 {
			s.queue = slices.Delete(s.queue, 0, n)
			if len(s.queue) > 0 {
				select { // keep the wake-up for the rest
				case s.ready <- struct{}{}:
				default:
				}
			}
			m.mu.Unlock()
			return n, nil
		}
		closed := m.closed
		m.mu.Unlock()
		if closed { // pending events are read first, as snd_ctl_read
			return 0, pcm.Errorf(syscall.ENODEV, "mixer: card disconnected")
		}
		if nonblock {
			return 0, pcm.Errorf(syscall.EAGAIN, "mixer: no event pending")
		}
		select {
		case <-s.ready:
		case <-m.done:
		case <-ctx.Done():
			return 0, pcm.Errorf(syscall.EINTR, "mixer: event read interrupted: %v", ctx.Err())
		}
	}
}

// watcher is one Watch callback.
type watcher struct{ fn func(Event) }

// Watch calls fn with every event, for a face that keeps its own
// per-file queues (the callback form of snd_ctl_notify's walk over
// card->ctl_files). fn runs on the writer's goroutine after Mixer.mu is
// released, so it may call the Mixer (but not its OSSMixer, whose lock
// an OSS write holds while it notifies); it must be safe for concurrent
// calls and must not block. Events are not merged for a watcher. cancel
// stops the calls (calls already started may still finish); it is
// idempotent.
func (m *Mixer) Watch(fn func(Event)) (cancel func()) {
	w := &watcher{fn: fn}
	m.mu.Lock()
	m.watchers = append(slices.Clip(m.watchers), w)
	m.mu.Unlock()
	return func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.watchers = slices.DeleteFunc(slices.Clone(m.watchers), func(o *watcher) bool { return o == w })
	}
}

func callWatchers(ws []*watcher, ev Event) {
	for _, w := range ws {
		w.fn(ev)
	}
}
