package fusefs

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/hanwen/go-fuse/v2/fuse"

	"github.com/vsnd/vsnd/fusefs/alsa"
)

// The ALSA face in the mount (alsanodes.go, alsa_*.go): the FUSE plumbing
// of package fusefs/alsa.
//
// Nodes. DIR/dev/snd/controlC<card> and pcmC<card>D<dev>p/c are regular
// files (alsa-lib never checks for character devices). Each open is a
// handle holding the alsa.CtlFile or alsa.PCMFile; ioctls arrive through
// go-fuse's FileIoctler as FUSE restricted ioctls and are answered by the
// file with an alsa.ProcCaller: the request's pid (fuse.Caller) for what
// the kernel would copy_from_user/copy_to_user beyond _IOC_SIZE, and a
// per-handle procmem.Tracker for the live O_NONBLOCK (fcntl is never
// forwarded). FUSE INTERRUPT is the request's ctx. The control file's
// read(2) returns its events, non-blocking as the READ request's flags
// say.
//
// mmap. A PCM node with one substream hands go-fuse the substream's memfd
// (fs.FilePassthroughFder, FOPEN_PASSTHROUGH): the client's mappings of
// the data, status and control offsets are the core's pages. go-fuse keeps
// one backing file per inode while any handle is open, which is why nodes
// with several substreams get none (alsa_nommap.go), and why an open
// waits until the previous handle's RELEASE has returned from go-fuse
// (releaseFS below): go-fuse calls the handle's Release first and drops
// the backing file after, so an open in between would map the released
// substream's memfd. FOPEN_DIRECT_IO is always set: without passthrough
// (no CAP_SYS_ADMIN, an old kernel) mmap then fails with ENODEV and
// alsa-lib falls back to SYNC_PTR, instead of mapping the page cache
// (SIGBUS).
//
// Release. FUSE sends RELEASE after close(2) has returned; FLUSH, sent by
// close(2) itself, marks the handle idle, and an open that finds the
// substream busy waits (up to 2 s) for an idle handle's RELEASE, so that
// `aplay a.wav; aplay b.wav` does not see EBUSY.
//
// poll. go-fuse answers FUSE_POLL with ENOSYS: see alsa_spin.go.
//
// Locking: alsaFace.mu guards the open files and the RELEASEs in flight;
// alsaPCMNode.mu the node's handles; both are leaves, never held while
// calling into fusefs/alsa or the core.

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
	hs := slices.Collect(maps.Keys(f.files))
	f.mu.Unlock()
	for _, h := range hs {
		h.closeFile()
		h.flags.Close()
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
