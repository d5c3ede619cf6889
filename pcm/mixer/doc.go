// Package mixer is a sound card's control model: the elements behind the
// ALSA control node (ELEM_LIST, ELEM_INFO, ELEM_READ, ELEM_WRITE,
// ELEM_LOCK, ELEM_UNLOCK, TLV_READ, SUBSCRIBE_EVENTS and the events read
// from the node), the OSS mixer, and the gains that really apply to what
// reaches a sink and what comes from a source.
//
// # Model
//
// It mirrors sound/core/control.c and include/uapi/sound/asound.h. A
// Mixer holds a fixed list of elements, each a struct snd_kcontrol with
// count 1 (one element per id): an ElemID {NumID, Iface, Device,
// Subdevice, Name, Index}, a Type (BOOLEAN, INTEGER, ENUMERATED,
// INTEGER64), Count values (2 for stereo), access bits, an integer range
// with step or enumerated item names, an optional TLV, and the values.
// NumIDs are 1-based in configuration order and never change. Lookups are
// snd_ctl_find_id's: by NumID when it is non-zero, else by iface, device,
// subdevice, name and index.
//
// The faces' ioctls map one to one: List is snd_ctl_elem_list, Info
// snd_ctl_elem_info, Read/ReadTo snd_ctl_elem_read, Write
// snd_ctl_elem_write, Lock/Unlock snd_ctl_elem_lock/unlock, Release
// snd_ctl_release's dropping of locks, TLVRead snd_ctl_tlv_ioctl's
// TLV_READ, Subscribe/Subscription.Close SUBSCRIBE_EVENTS 1/0, and
// Subscription.Read snd_ctl_read. An Owner is an open control file; a nil
// Owner is the kernel itself and ignores locks, as snd_ctl_elem_write with
// file == NULL does (the OSS view writes that way, as mixer_oss.c calls
// kctl->put directly).
//
// Errors carry the kernel's errno: ENOENT for an unknown element; EPERM
// to read without READ access, to write without WRITE access or while
// another owner holds the lock, and to unlock another owner's lock; EBUSY
// to lock a locked element; EINVAL to unlock an unlocked one and for a
// value out of range or off the step grid. Out-of-range values are
// rejected and nothing changes (what CONFIG_SND_CTL_INPUT_VALIDATION makes
// the kernel do; snd-dummy's put would clamp; the selftest mixer-test
// accepts either).
//
// # Default controls
//
// DefaultConfig is what a user of snd-dummy or an HDA card expects:
//
//	numid name                    type     count range   dB (DB_SCALE -5000, 50, mute)
//	1     Master Playback Volume  INTEGER  2     0..100  0 = mute, 1 = -49.5 dB ... 100 = 0 dB
//	2     Master Playback Switch  BOOLEAN  2
//	3     PCM Playback Volume     INTEGER  2     0..100  same
//	4     PCM Playback Switch     BOOLEAN  2
//	5     Capture Volume          INTEGER  2     0..100  same
//	6     Capture Switch          BOOLEAN  2
//
// Volumes start at 100 (0 dB) and switches on, so the default path is
// unity and bit-exact. The TLV is DECLARE_TLV_DB_SCALE's four u32:
// {1 (SNDRV_CTL_TLVT_DB_SCALE), 8, min, step | 0x10000 when muting}.
//
// # Gains
//
// The playback gain is Master × PCM (the sum of their dB, per channel),
// muted when either switch is off or either volume is at its muting
// minimum; the capture gain is Capture. Stream channel c uses the mixer's
// channel c % 2. GainSink and GainSource apply the gain in the stream's
// format (every format of pcm/format.go; integers truncated toward zero
// and clamped, unsigned ones around their midpoint, floats not clamped).
// At exactly
// 0 dB (an integer sum of centi-dB equal to zero) the bytes pass
// untouched; when all channels are muted they become the format's
// silence. The gain is read at every Write/Read: a change applies to the
// next transfer, without smoothing.
//
// # Events
//
// Every real change (a write whose values differ) queues one event with
// EventMaskValue and the complete id for every subscriber, as
// snd_ctl_notify; a write that changes nothing queues none. As in the
// kernel, an event for an element that already has one pending is merged
// into it (masks ORed), so a reader that lags sees one event per element
// with the latest state, and a queue holds at most one entry per element
// (MaxQueue is a backstop). Masks are the kernel's: VALUE 1, INFO 2, ADD
// 4, TLV 8, REMOVE ~0. Subscription.Read blocks until an event, EAGAIN
// when non-blocking, and returns on context cancellation (EINTR) or
// Mixer.Close (ENODEV, once the queue is empty); Ready and Mixer.Done give
// channels for poll. A face that keeps its own per-file queues can use
// Watch instead: a callback per event, called outside the lock, unmerged.
//
// # OSS
//
// Mixer.OSS returns an OSSMixer, which has the method set of
// fusefs/oss.MixerBackend (a test asserts it; pcm/mixer does not import
// the face). Slots map to controls as snd_mixer_oss_build_input does
// (VOLUME "Master", PCM "PCM", IGAIN "Capture", ...), levels 0..100 onto
// each volume's range with snd_mixer_oss_conv, and a level of 0 turns the
// slot's switch off as snd_mixer_oss_put_volume1_sw does.
//
// # Locking
//
// One mutex, Mixer.mu, guards every element's values and lock owner, the
// subscribers and their queues, and the notification counter. It is a
// leaf: nothing is called out while holding it (readers wait outside it
// on a channel). The data path never takes it: each change republishes
// immutable playback and capture gain sets through atomic pointers, and a
// sink or source loads one per transfer. OSSMixer has its own mutex for
// the OSS levels it remembers; the order is OSSMixer.mu, then Mixer.mu.
package mixer
