package fusefs

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/fusefs/alsa"
)

// alsaFace is the mount's ALSA kernel-ABI face: one alsa.Card per card
// (the state the kernel keeps in struct snd_card for its character
// devices) and the open files of DIR/dev/snd, which Unmount releases so
// that sinks finish their files even while a client still holds a node.
type alsaFace struct {
	srv   *Server                  // immutable
	cards []*alsa.Card             // immutable: by card number
	warn  sync.Once                // the "no mmap on multi-substream nodes" warning
	mu    sync.Mutex               // guards the fields below
	files map[*alsaHandle]struct{} // guarded by mu: every open file of dev/snd
	// releasing maps the cancel channel of a RELEASE request in flight to
	// the handle it releases, so releaseFS can mark the handle done once
	// go-fuse has also dropped the handle's passthrough backing file.
	releasing map[<-chan struct{}]*alsaHandle // guarded by mu
	shut      bool                            // guarded by mu: Unmount has begun; opens fail

	ioctls    atomic.Int64 // PCM ioctls answered
	syncs     atomic.Int64 // of which HWSYNC or SYNC_PTR with HWSYNC
	spinWaits atomic.Int64 // requests delayed as poll spins (alsa_spin.go)
}

// ALSAStats counts the requests of the ALSA face's PCM files since the
// mount: what a poll-spinning client costs (alsa_spin.go).
type ALSAStats struct {
	Ioctls    int64 // PCM ioctls answered
	Syncs     int64 // HWSYNC and hwsyncing SYNC_PTR among them
	SpinWaits int64 // requests delayed until the stream was ready (a poll FUSE cannot block in)
}

// ALSAStats returns the ALSA face's counters.
func (s *Server) ALSAStats() ALSAStats {
	f := s.alsa
	return ALSAStats{Ioctls: f.ioctls.Load(), Syncs: f.syncs.Load(), SpinWaits: f.spinWaits.Load()}
}

// newALSAFace builds the face of every card of s, with the card's mixer
// behind its control node.
func newALSAFace(s *Server) (*alsaFace, error) {
	f := &alsaFace{srv: s, files: map[*alsaHandle]struct{}{}, releasing: map[<-chan struct{}]*alsaHandle{}}
	for n, pc := range s.cards {
		c, err := alsa.NewCard(pc, alsa.Options{Mixer: s.mixers[n]})
		if err != nil {
			return nil, fmt.Errorf("alsa face of card %d: %w", n, err)
		}
		f.cards = append(f.cards, c)
	}
	return f, nil
}

// add registers an open file; false once the face is shut down.
func (f *alsaFace) add(h *alsaHandle) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.shut {
		return false
	}
	f.files[h] = struct{}{}
	return true
}

// releaseStarted records that the RELEASE request with this cancel
// channel is releasing h, and reports whether releaseFS will see its end
// (not without a channel, which go-fuse always gives).
func (f *alsaFace) releaseStarted(cancel <-chan struct{}, h *alsaHandle) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files, h)
	if cancel == nil {
		return false
	}
	f.releasing[cancel] = h
	return true
}

// releaseDone is called by releaseFS when go-fuse has finished the
// RELEASE request with this cancel channel.
func (f *alsaFace) releaseDone(cancel <-chan struct{}) {
	f.mu.Lock()
	h := f.releasing[cancel]
	delete(f.releasing, cancel)
	f.mu.Unlock()
	if h != nil {
		h.finish()
	}
}

// shutdown releases every open file (the kernel's snd_card_disconnect
// leaves files open but dead; here the substreams go back to the card so
// that Unmount finishes sink files). Later requests on those files get
// EBADF; opens get ENODEV.
func (f *alsaFace) shutdown() {
	f.mu.Lock()
	f.shut = true
	hs := make([]*alsaHandle, 0, len(f.files))
	for h := range f.files {
		hs = append(hs, h)
	}
	f.mu.Unlock()
	for _, h := range hs {
		h.closeFile()
	}
}

// rawFS wraps the node filesystem so that the end of every RELEASE is
// seen (releaseFS).
func (f *alsaFace) rawFS(inner fuse.RawFileSystem) fuse.RawFileSystem {
	return &releaseFS{RawFileSystem: inner, face: f}
}

// releaseFS reports the end of each RELEASE to the ALSA face. go-fuse
// calls the handle's Release and only then drops the inode's passthrough
// backing file (rawBridge.Release, releaseBackingIDRef); an open of the
// same node in between would be handed the released substream's memfd.
// PCM opens therefore wait until the RELEASE of the node's previous handle
// has returned from go-fuse entirely.
type releaseFS struct {
	fuse.RawFileSystem
	face *alsaFace // immutable
}

// Release implements fuse.RawFileSystem.
func (r *releaseFS) Release(cancel <-chan struct{}, in *fuse.ReleaseIn) {
	r.RawFileSystem.Release(cancel, in)
	r.face.releaseDone(cancel)
}
