package asound

import "github.com/vsnd/vsnd/pcm"

// PCMInfo is struct snd_pcm_info (288 bytes), the answer of the PCM node's
// INFO and of the control node's PCM_INFO (snd_pcm_info, pcm.c):
//
//	  0  device, subdevice, stream, card (4 x 4)
//	 16  id[64]   80  name[80]   160  subname[32]
//	192  dev_class, dev_subclass, subdevices_count, subdevices_avail
//	208  pad1[16] (was union snd_pcm_sync_id sync before 2.0.18)
//	224  reserved[64]
//
// For PCM_INFO the client fills device, subdevice and stream (the kernel
// reads them with get_user in snd_pcm_control_ioctl); Decode reads them.
type PCMInfo struct {
	Device          uint32
	Subdevice       uint32
	Stream          pcm.Stream
	Card            int32
	ID              string // at most 63 bytes are kept
	Name            string // at most 79
	Subname         string // at most 31
	DevClass        int32  // SNDRV_PCM_CLASS_*
	DevSubclass     int32  // SNDRV_PCM_SUBCLASS_*
	SubdevicesCount uint32
	SubdevicesAvail uint32
}

// PCM device classes, SNDRV_PCM_CLASS_* and SNDRV_PCM_SUBCLASS_*.
const (
	PCMClassGeneric       = 0
	PCMClassMulti         = 1
	PCMClassModem         = 2
	PCMClassDigitizer     = 3
	PCMSubclassGenericMix = 0
	PCMSubclassMultiMix   = 1
)

// Encode writes the whole struct, zeroing pad1 and reserved.
func (p *PCMInfo) Encode(b []byte) error {
	if err := need(b, PCMInfoSize, "snd_pcm_info"); err != nil {
		return err
	}
	clear(b[:PCMInfoSize])
	le.PutUint32(b[0:], p.Device)
	le.PutUint32(b[4:], p.Subdevice)
	le.PutUint32(b[8:], uint32(p.Stream))
	le.PutUint32(b[12:], uint32(p.Card))
	putString(b[16:80], p.ID)
	putString(b[80:160], p.Name)
	putString(b[160:192], p.Subname)
	le.PutUint32(b[192:], uint32(p.DevClass))
	le.PutUint32(b[196:], uint32(p.DevSubclass))
	le.PutUint32(b[200:], p.SubdevicesCount)
	le.PutUint32(b[204:], p.SubdevicesAvail)
	return nil
}

// Decode reads every field (strings allocate only when non-empty).
func (p *PCMInfo) Decode(b []byte) error {
	if err := need(b, PCMInfoSize, "snd_pcm_info"); err != nil {
		return err
	}
	p.Device = le.Uint32(b[0:])
	p.Subdevice = le.Uint32(b[4:])
	p.Stream = pcm.Stream(int32(le.Uint32(b[8:])))
	p.Card = int32(le.Uint32(b[12:]))
	p.ID = cString(b[16:80])
	p.Name = cString(b[80:160])
	p.Subname = cString(b[160:192])
	p.DevClass = int32(le.Uint32(b[192:]))
	p.DevSubclass = int32(le.Uint32(b[196:]))
	p.SubdevicesCount = le.Uint32(b[200:])
	p.SubdevicesAvail = le.Uint32(b[204:])
	return nil
}

// ChannelInfo is struct snd_pcm_channel_info (24 bytes): where a channel's
// samples live in the mmapped buffer (snd_pcm_lib_ioctl_channel_info,
// pcm_lib.c). Offset is __kernel_off_t at byte 8; first and step are in
// bits.
type ChannelInfo struct {
	Channel uint32
	Offset  int64
	First   uint32
	Step    uint32
}

// Encode writes the whole struct.
func (c *ChannelInfo) Encode(b []byte) error {
	if err := need(b, ChannelInfoSize, "snd_pcm_channel_info"); err != nil {
		return err
	}
	le.PutUint32(b[0:], c.Channel)
	le.PutUint32(b[4:], 0)
	le.PutUint64(b[8:], uint64(c.Offset))
	le.PutUint32(b[16:], c.First)
	le.PutUint32(b[20:], c.Step)
	return nil
}

// Decode reads the struct. CHANNEL_INFO is _IOR, yet the kernel reads
// channel from the caller (snd_pcm_channel_info_user does copy_from_user):
// over FUSE the face fetches it with procmem at the ioctl's arg.
func (c *ChannelInfo) Decode(b []byte) error {
	if err := need(b, ChannelInfoSize, "snd_pcm_channel_info"); err != nil {
		return err
	}
	c.Channel = le.Uint32(b[0:])
	c.Offset = int64(le.Uint64(b[8:]))
	c.First = le.Uint32(b[16:])
	c.Step = le.Uint32(b[20:])
	return nil
}

// XferI is struct snd_xferi (24 bytes) of WRITEI_FRAMES / READI_FRAMES:
// result (snd_pcm_sframes_t, written back by the kernel), the caller's
// buffer address and a frame count. Buf is an address in the CALLER's
// memory (procmem.ReadFrom / WriteTo).
type XferI struct {
	Result int64
	Buf    uint64
	Frames uint64
}

// XferIResultOffset is where the kernel's put_user(result, &_xferi->result)
// writes (snd_pcm_xferi_frames_ioctl, pcm_native.c).
const XferIResultOffset = 0

// Encode writes the whole struct.
func (x *XferI) Encode(b []byte) error {
	if err := need(b, XferISize, "snd_xferi"); err != nil {
		return err
	}
	le.PutUint64(b[0:], uint64(x.Result))
	le.PutUint64(b[8:], x.Buf)
	le.PutUint64(b[16:], x.Frames)
	return nil
}

// Decode reads the struct.
func (x *XferI) Decode(b []byte) error {
	if err := need(b, XferISize, "snd_xferi"); err != nil {
		return err
	}
	x.Result = int64(le.Uint64(b[0:]))
	x.Buf = le.Uint64(b[8:])
	x.Frames = le.Uint64(b[16:])
	return nil
}

// XferN is struct snd_xfern (24 bytes) of WRITEN_FRAMES / READN_FRAMES:
// Bufs is the caller's address of an array of channels pointers (void **),
// one 8-byte address per channel.
type XferN struct {
	Result int64
	Bufs   uint64
	Frames uint64
}

// Encode writes the whole struct.
func (x *XferN) Encode(b []byte) error {
	if err := need(b, XferNSize, "snd_xfern"); err != nil {
		return err
	}
	le.PutUint64(b[0:], uint64(x.Result))
	le.PutUint64(b[8:], x.Bufs)
	le.PutUint64(b[16:], x.Frames)
	return nil
}

// Decode reads the struct.
func (x *XferN) Decode(b []byte) error {
	if err := need(b, XferNSize, "snd_xfern"); err != nil {
		return err
	}
	x.Result = int64(le.Uint64(b[0:]))
	x.Bufs = le.Uint64(b[8:])
	x.Frames = le.Uint64(b[16:])
	return nil
}

// MMapStatus is struct snd_pcm_mmap_status (56 bytes on x86_64, equal to
// __snd_pcm_mmap_status64): the read-only status page at
// SNDRV_PCM_MMAP_OFFSET_STATUS and the s.status half of SYNC_PTR.
//
//	0 state, 4 pad1, 8 hw_ptr, 16 tstamp, 32 suspended_state, 36 pad,
//	40 audio_tstamp
type MMapStatus struct {
	State          pcm.State
	HWPtr          uint64
	Tstamp         Timespec // on the client's tstamp_type clock
	SuspendedState pcm.State
	AudioTstamp    Timespec
}

// MMapControl is struct snd_pcm_mmap_control (16 bytes): the client-owned
// control page at SNDRV_PCM_MMAP_OFFSET_CONTROL and the c.control half of
// SYNC_PTR.
type MMapControl struct {
	ApplPtr  uint64
	AvailMin uint64
}

// Offsets of the mmap pages on x86_64 (SNDRV_PCM_MMAP_OFFSET_*). 32-bit
// time64 clients use the _NEW pair.
const (
	MMapOffsetData       = 0x00000000
	MMapOffsetStatus     = 0x80000000 // _STATUS_OLD
	MMapOffsetControl    = 0x81000000 // _CONTROL_OLD
	MMapOffsetStatusNew  = 0x82000000
	MMapOffsetControlNew = 0x83000000
)

// MMapStatusFrom fills the status page image (or SYNC_PTR's status half)
// from a core status, the way snd_pcm_sync_ptr copies runtime->status:
// tstamp on the client's clock through tm, audio_tstamp as stream time.
func MMapStatusFrom(s *pcm.Status, tm TimeMap, tstampType uint32) MMapStatus {
	return MMapStatus{
		State:          s.State,
		HWPtr:          s.HWPtr,
		Tstamp:         tm.Timespec(s.Tstamp, tstampType),
		SuspendedState: s.SuspendedState,
		AudioTstamp:    DurationTimespec(s.AudioTstamp),
	}
}

func (s *MMapStatus) encode(b []byte) {
	le.PutUint32(b[0:], uint32(s.State))
	le.PutUint32(b[4:], 0)
	le.PutUint64(b[8:], s.HWPtr)
	putTimespec(b[16:], s.Tstamp)
	le.PutUint32(b[32:], uint32(s.SuspendedState))
	le.PutUint32(b[36:], 0)
	putTimespec(b[40:], s.AudioTstamp)
}

func (s *MMapStatus) decode(b []byte) {
	s.State = pcm.State(le.Uint32(b[0:]))
	s.HWPtr = le.Uint64(b[8:])
	s.Tstamp = getTimespec(b[16:])
	s.SuspendedState = pcm.State(le.Uint32(b[32:]))
	s.AudioTstamp = getTimespec(b[40:])
}

// Encode writes the 56-byte status page image.
func (s *MMapStatus) Encode(b []byte) error {
	if err := need(b, MMapStatusSize, "snd_pcm_mmap_status"); err != nil {
		return err
	}
	s.encode(b)
	return nil
}

// Decode reads a status page image.
func (s *MMapStatus) Decode(b []byte) error {
	if err := need(b, MMapStatusSize, "snd_pcm_mmap_status"); err != nil {
		return err
	}
	s.decode(b)
	return nil
}

// Encode writes the 16-byte control page image.
func (c *MMapControl) Encode(b []byte) error {
	if err := need(b, MMapControlSize, "snd_pcm_mmap_control"); err != nil {
		return err
	}
	le.PutUint64(b[0:], c.ApplPtr)
	le.PutUint64(b[8:], c.AvailMin)
	return nil
}

// Decode reads a control page image.
func (c *MMapControl) Decode(b []byte) error {
	if err := need(b, MMapControlSize, "snd_pcm_mmap_control"); err != nil {
		return err
	}
	c.ApplPtr = le.Uint64(b[0:])
	c.AvailMin = le.Uint64(b[8:])
	return nil
}

// SYNC_PTR flags, SNDRV_PCM_SYNC_PTR_*.
const (
	SyncPtrHWSync   uint32 = 1 << 0 // run hwsync first
	SyncPtrAppl     uint32 = 1 << 1 // return appl_ptr instead of taking the client's
	SyncPtrAvailMin uint32 = 1 << 2 // return avail_min instead of taking the client's
)

// SyncPtr is struct snd_pcm_sync_ptr (136 bytes on x86_64, equal to
// __snd_pcm_sync_ptr64): flags at 0, padding, the status union at 8 (64
// bytes), the control union at 72 (64 bytes). alsa-lib uses it instead of
// the mmapped pages when their mmap fails (pcm_hw.c, sync_ptr1).
//
// The kernel's snd_pcm_sync_ptr (pcm_native.c) reads flags and control;
// if SyncPtrHWSync, updates the hardware pointer; unless SyncPtrAppl, applies
// the client's appl_ptr (pcm_lib_apply_appl_ptr), else returns the current
// one; likewise avail_min with SyncPtrAvailMin; then fills status and
// copies the whole struct back.
type SyncPtr struct {
	Flags   uint32
	Status  MMapStatus
	Control MMapControl
}

const (
	spStatusOff  = 8
	spControlOff = 72
)

// Encode writes the whole struct, zeroing the unions' unused bytes.
func (s *SyncPtr) Encode(b []byte) error {
	if err := need(b, SyncPtrSize, "snd_pcm_sync_ptr"); err != nil {
		return err
	}
	clear(b[:SyncPtrSize])
	le.PutUint32(b[0:], s.Flags)
	s.Status.encode(b[spStatusOff:])
	le.PutUint64(b[spControlOff:], s.Control.ApplPtr)
	le.PutUint64(b[spControlOff+8:], s.Control.AvailMin)
	return nil
}

// Decode reads the whole struct.
func (s *SyncPtr) Decode(b []byte) error {
	if err := need(b, SyncPtrSize, "snd_pcm_sync_ptr"); err != nil {
		return err
	}
	s.Flags = le.Uint32(b[0:])
	s.Status.decode(b[spStatusOff:])
	s.Control.ApplPtr = le.Uint64(b[spControlOff:])
	s.Control.AvailMin = le.Uint64(b[spControlOff+8:])
	return nil
}
