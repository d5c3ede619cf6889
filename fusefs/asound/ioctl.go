package asound

import "fmt"

// Ioctl request numbers, include/uapi/asm-generic/ioctl.h and
// include/uapi/sound/asound.h, as the x86_64 kernel defines them.
//
// A request number packs four fields:
//
//	bits 31..30  direction (_IOC_NONE 0, _IOC_WRITE 1, _IOC_READ 2)
//	bits 29..16  size of the argument (_IOC_SIZE)
//	bits 15..8   type ('A' for PCM, 'U' for control)
//	bits  7..0   number
//
// FUSE's restricted ioctls (fs/fuse/ioctl.c, fuse_do_ioctl) copy _IOC_SIZE
// bytes from the caller before the request if the direction has _IOC_WRITE,
// and copy the reply back if it has _IOC_READ. That is why every struct
// below has a Size constant pinned by tests against the real header.

// Ioctl is an ioctl request number.
type Ioctl uint32

// Direction bits, _IOC_NONE / _IOC_WRITE / _IOC_READ.
const (
	IocNone  = 0
	IocWrite = 1
	IocRead  = 2
)

const (
	iocNrShift   = 0
	iocTypeShift = 8
	iocSizeShift = 16
	iocDirShift  = 30
	iocSizeMask  = 1<<14 - 1

	dirNone = IocNone << iocDirShift
	dirW    = IocWrite << iocDirShift
	dirR    = IocRead << iocDirShift
	dirRW   = (IocRead | IocWrite) << iocDirShift

	typePCM = 'A' << iocTypeShift
	typeCtl = 'U' << iocTypeShift

	sizeInt   = 4 << iocSizeShift // int
	sizeLong  = 8 << iocSizeShift // long, snd_pcm_[us]frames_t on x86_64
	sizeDelay = sizeLong
)

// IOC builds a request number like the kernel's _IOC(dir, type, nr, size).
func IOC(dir, typ, nr, size uint32) Ioctl {
	return Ioctl(dir<<iocDirShift | typ<<iocTypeShift | nr<<iocNrShift | (size&iocSizeMask)<<iocSizeShift)
}

// IO, IOR, IOW and IOWR mirror _IO, _IOR, _IOW and _IOWR.
func IO(typ, nr uint32) Ioctl         { return IOC(IocNone, typ, nr, 0) }
func IOR(typ, nr, size uint32) Ioctl  { return IOC(IocRead, typ, nr, size) }
func IOW(typ, nr, size uint32) Ioctl  { return IOC(IocWrite, typ, nr, size) }
func IOWR(typ, nr, size uint32) Ioctl { return IOC(IocRead|IocWrite, typ, nr, size) }
func (c Ioctl) Dir() uint32           { return uint32(c) >> iocDirShift }
func (c Ioctl) Type() uint32          { return uint32(c) >> iocTypeShift & 0xff }
func (c Ioctl) Nr() uint32            { return uint32(c) & 0xff }
func (c Ioctl) Size() int             { return int(uint32(c) >> iocSizeShift & iocSizeMask) }
func (c Ioctl) CopiesIn() bool        { return c.Dir()&IocWrite != 0 }
func (c Ioctl) CopiesOut() bool       { return c.Dir()&IocRead != 0 }

// ProtocolVersion is SNDRV_PROTOCOL_VERSION(major, minor, subminor).
func ProtocolVersion(major, minor, subminor int) int { return major<<16 | minor<<8 | subminor }

// ProtocolIncompatible is SNDRV_PROTOCOL_INCOMPATIBLE(kversion, uversion):
// alsa-lib refuses a device whose major or minor differs from its own.
func ProtocolIncompatible(kversion, uversion int) bool {
	return kversion>>16 != uversion>>16 || (kversion>>8)&0xff != (uversion>>8)&0xff
}

// Protocol versions of the newest mainline header (Linux 6.12+). The PCM
// version 2.0.18 added snd_pcm_hw_params.sync (commit f05c1ffc2745, "ALSA:
// pcm: reinvent the stream synchronization ID API"); alsa-lib compares
// these in pcm_hw.c (snd_pcm_hw_open_fd: USER_PVERSION from 2.0.14, TTSTAMP
// from 2.0.9, STATUS_EXT from 2.0.13, sw_params.tstamp_type from 2.0.12).
// A CTL 2.0.10 (a CARD_COMPONENTS ioctl) was under review in 2026 and is
// not mirrored.
const (
	PCMVersion = 2<<16 | 0<<8 | 18 // SNDRV_PCM_VERSION
	CtlVersion = 2<<16 | 0<<8 | 9  // SNDRV_CTL_VERSION
)

// PCM ioctls, SNDRV_PCM_IOCTL_* (asound.h; dispatched by
// snd_pcm_common_ioctl in sound/core/pcm_native.c).
const (
	PCMIoctlPVersion     Ioctl = dirR | typePCM | 0x00 | sizeInt                     // _IOR('A', 0x00, int)
	PCMIoctlInfo         Ioctl = dirR | typePCM | 0x01 | PCMInfoSize<<iocSizeShift   // _IOR('A', 0x01, struct snd_pcm_info)
	PCMIoctlTstamp       Ioctl = dirW | typePCM | 0x02 | sizeInt                     // _IOW('A', 0x02, int)
	PCMIoctlTTstamp      Ioctl = dirW | typePCM | 0x03 | sizeInt                     // _IOW('A', 0x03, int)
	PCMIoctlUserPVersion Ioctl = dirW | typePCM | 0x04 | sizeInt                     // _IOW('A', 0x04, int)
	PCMIoctlHWRefine     Ioctl = dirRW | typePCM | 0x10 | HWParamsSize<<iocSizeShift // struct snd_pcm_hw_params
	PCMIoctlHWParams     Ioctl = dirRW | typePCM | 0x11 | HWParamsSize<<iocSizeShift
	PCMIoctlHWFree       Ioctl = dirNone | typePCM | 0x12
	PCMIoctlSWParams     Ioctl = dirRW | typePCM | 0x13 | SWParamsSize<<iocSizeShift
	PCMIoctlStatus       Ioctl = dirR | typePCM | 0x20 | StatusSize<<iocSizeShift // struct snd_pcm_status (== status64 on x86_64)
	PCMIoctlDelay        Ioctl = dirR | typePCM | 0x21 | sizeDelay                // snd_pcm_sframes_t
	PCMIoctlHWSync       Ioctl = dirNone | typePCM | 0x22
	PCMIoctlSyncPtr      Ioctl = dirRW | typePCM | 0x23 | SyncPtrSize<<iocSizeShift
	PCMIoctlStatusExt    Ioctl = dirRW | typePCM | 0x24 | StatusSize<<iocSizeShift
	PCMIoctlChannelInfo  Ioctl = dirR | typePCM | 0x32 | ChannelInfoSize<<iocSizeShift
	PCMIoctlPrepare      Ioctl = dirNone | typePCM | 0x40
	PCMIoctlReset        Ioctl = dirNone | typePCM | 0x41
	PCMIoctlStart        Ioctl = dirNone | typePCM | 0x42
	PCMIoctlDrop         Ioctl = dirNone | typePCM | 0x43
	PCMIoctlDrain        Ioctl = dirNone | typePCM | 0x44
	PCMIoctlPause        Ioctl = dirW | typePCM | 0x45 | sizeInt // alsa-lib passes the int BY VALUE
	PCMIoctlRewind       Ioctl = dirW | typePCM | 0x46 | sizeLong
	PCMIoctlResume       Ioctl = dirNone | typePCM | 0x47
	PCMIoctlXRun         Ioctl = dirNone | typePCM | 0x48
	PCMIoctlForward      Ioctl = dirW | typePCM | 0x49 | sizeLong
	PCMIoctlWriteIFrames Ioctl = dirW | typePCM | 0x50 | XferISize<<iocSizeShift // result is written back by the kernel (copy_to_user), not by _IOC_READ
	PCMIoctlReadIFrames  Ioctl = dirR | typePCM | 0x51 | XferISize<<iocSizeShift // the struct is read by the kernel (copy_from_user) although _IOR
	PCMIoctlWriteNFrames Ioctl = dirW | typePCM | 0x52 | XferNSize<<iocSizeShift
	PCMIoctlReadNFrames  Ioctl = dirR | typePCM | 0x53 | XferNSize<<iocSizeShift
	PCMIoctlLink         Ioctl = dirW | typePCM | 0x60 | sizeInt // the fd is passed BY VALUE
	PCMIoctlUnlink       Ioctl = dirNone | typePCM | 0x61
)

// Control ioctls, SNDRV_CTL_IOCTL_* (asound.h; dispatched by snd_ctl_ioctl
// in sound/core/control.c, the *_NEXT_DEVICE/*_INFO ones by the
// snd_ctl_register_ioctl hooks of pcm.c, rawmidi.c, hwdep.c).
const (
	CtlIoctlPVersion               Ioctl = dirR | typeCtl | 0x00 | sizeInt
	CtlIoctlCardInfo               Ioctl = dirR | typeCtl | 0x01 | CardInfoSize<<iocSizeShift
	CtlIoctlElemList               Ioctl = dirRW | typeCtl | 0x10 | ElemListSize<<iocSizeShift
	CtlIoctlElemInfo               Ioctl = dirRW | typeCtl | 0x11 | ElemInfoSize<<iocSizeShift
	CtlIoctlElemRead               Ioctl = dirRW | typeCtl | 0x12 | ElemValueSize<<iocSizeShift
	CtlIoctlElemWrite              Ioctl = dirRW | typeCtl | 0x13 | ElemValueSize<<iocSizeShift
	CtlIoctlElemLock               Ioctl = dirW | typeCtl | 0x14 | ElemIDSize<<iocSizeShift
	CtlIoctlElemUnlock             Ioctl = dirW | typeCtl | 0x15 | ElemIDSize<<iocSizeShift
	CtlIoctlSubscribeEvents        Ioctl = dirRW | typeCtl | 0x16 | sizeInt
	CtlIoctlElemAdd                Ioctl = dirRW | typeCtl | 0x17 | ElemInfoSize<<iocSizeShift
	CtlIoctlElemReplace            Ioctl = dirRW | typeCtl | 0x18 | ElemInfoSize<<iocSizeShift
	CtlIoctlElemRemove             Ioctl = dirRW | typeCtl | 0x19 | ElemIDSize<<iocSizeShift
	CtlIoctlTLVRead                Ioctl = dirRW | typeCtl | 0x1a | TLVSize<<iocSizeShift // header only; the payload follows at arg+8
	CtlIoctlTLVWrite               Ioctl = dirRW | typeCtl | 0x1b | TLVSize<<iocSizeShift
	CtlIoctlTLVCommand             Ioctl = dirRW | typeCtl | 0x1c | TLVSize<<iocSizeShift
	CtlIoctlHwdepNextDevice        Ioctl = dirRW | typeCtl | 0x20 | sizeInt
	CtlIoctlHwdepInfo              Ioctl = dirR | typeCtl | 0x21 | HwdepInfoSize<<iocSizeShift
	CtlIoctlPCMNextDevice          Ioctl = dirR | typeCtl | 0x30 | sizeInt // _IOR, yet the kernel reads the input device
	CtlIoctlPCMInfo                Ioctl = dirRW | typeCtl | 0x31 | PCMInfoSize<<iocSizeShift
	CtlIoctlPCMPreferSubdevice     Ioctl = dirW | typeCtl | 0x32 | sizeInt
	CtlIoctlRawmidiNextDevice      Ioctl = dirRW | typeCtl | 0x40 | sizeInt
	CtlIoctlRawmidiInfo            Ioctl = dirRW | typeCtl | 0x41 | RawmidiInfoSize<<iocSizeShift
	CtlIoctlRawmidiPreferSubdevice Ioctl = dirW | typeCtl | 0x42 | sizeInt
	CtlIoctlUMPNextDevice          Ioctl = dirRW | typeCtl | 0x43 | sizeInt
	CtlIoctlUMPEndpointInfo        Ioctl = dirRW | typeCtl | 0x44 | UMPEndpointInfoSize<<iocSizeShift
	CtlIoctlUMPBlockInfo           Ioctl = dirRW | typeCtl | 0x45 | UMPBlockInfoSize<<iocSizeShift
	CtlIoctlPower                  Ioctl = dirRW | typeCtl | 0xd0 | sizeInt
	CtlIoctlPowerState             Ioctl = dirR | typeCtl | 0xd1 | sizeInt
)

var ioctlNames = map[Ioctl]string{
	PCMIoctlPVersion: "PCM_PVERSION", PCMIoctlInfo: "PCM_INFO", PCMIoctlTstamp: "PCM_TSTAMP",
	PCMIoctlTTstamp: "PCM_TTSTAMP", PCMIoctlUserPVersion: "PCM_USER_PVERSION",
	PCMIoctlHWRefine: "PCM_HW_REFINE", PCMIoctlHWParams: "PCM_HW_PARAMS", PCMIoctlHWFree: "PCM_HW_FREE",
	PCMIoctlSWParams: "PCM_SW_PARAMS", PCMIoctlStatus: "PCM_STATUS", PCMIoctlDelay: "PCM_DELAY",
	PCMIoctlHWSync: "PCM_HWSYNC", PCMIoctlSyncPtr: "PCM_SYNC_PTR", PCMIoctlStatusExt: "PCM_STATUS_EXT",
	PCMIoctlChannelInfo: "PCM_CHANNEL_INFO", PCMIoctlPrepare: "PCM_PREPARE", PCMIoctlReset: "PCM_RESET",
	PCMIoctlStart: "PCM_START", PCMIoctlDrop: "PCM_DROP", PCMIoctlDrain: "PCM_DRAIN",
	PCMIoctlPause: "PCM_PAUSE", PCMIoctlRewind: "PCM_REWIND", PCMIoctlResume: "PCM_RESUME",
	PCMIoctlXRun: "PCM_XRUN", PCMIoctlForward: "PCM_FORWARD", PCMIoctlWriteIFrames: "PCM_WRITEI_FRAMES",
	PCMIoctlReadIFrames: "PCM_READI_FRAMES", PCMIoctlWriteNFrames: "PCM_WRITEN_FRAMES",
	PCMIoctlReadNFrames: "PCM_READN_FRAMES", PCMIoctlLink: "PCM_LINK", PCMIoctlUnlink: "PCM_UNLINK",

	CtlIoctlPVersion: "CTL_PVERSION", CtlIoctlCardInfo: "CTL_CARD_INFO", CtlIoctlElemList: "CTL_ELEM_LIST",
	CtlIoctlElemInfo: "CTL_ELEM_INFO", CtlIoctlElemRead: "CTL_ELEM_READ", CtlIoctlElemWrite: "CTL_ELEM_WRITE",
	CtlIoctlElemLock: "CTL_ELEM_LOCK", CtlIoctlElemUnlock: "CTL_ELEM_UNLOCK",
	CtlIoctlSubscribeEvents: "CTL_SUBSCRIBE_EVENTS", CtlIoctlElemAdd: "CTL_ELEM_ADD",
	CtlIoctlElemReplace: "CTL_ELEM_REPLACE", CtlIoctlElemRemove: "CTL_ELEM_REMOVE",
	CtlIoctlTLVRead: "CTL_TLV_READ", CtlIoctlTLVWrite: "CTL_TLV_WRITE", CtlIoctlTLVCommand: "CTL_TLV_COMMAND",
	CtlIoctlHwdepNextDevice: "CTL_HWDEP_NEXT_DEVICE", CtlIoctlHwdepInfo: "CTL_HWDEP_INFO",
	CtlIoctlPCMNextDevice: "CTL_PCM_NEXT_DEVICE", CtlIoctlPCMInfo: "CTL_PCM_INFO",
	CtlIoctlPCMPreferSubdevice: "CTL_PCM_PREFER_SUBDEVICE", CtlIoctlRawmidiNextDevice: "CTL_RAWMIDI_NEXT_DEVICE",
	CtlIoctlRawmidiInfo: "CTL_RAWMIDI_INFO", CtlIoctlRawmidiPreferSubdevice: "CTL_RAWMIDI_PREFER_SUBDEVICE",
	CtlIoctlUMPNextDevice: "CTL_UMP_NEXT_DEVICE", CtlIoctlUMPEndpointInfo: "CTL_UMP_ENDPOINT_INFO",
	CtlIoctlUMPBlockInfo: "CTL_UMP_BLOCK_INFO", CtlIoctlPower: "CTL_POWER", CtlIoctlPowerState: "CTL_POWER_STATE",
}

// String names the request like asound.h without the SNDRV_ and _IOCTL
// parts ("PCM_HW_REFINE"), or prints its fields for unknown numbers.
func (c Ioctl) String() string {
	if n, ok := ioctlNames[c]; ok {
		return n
	}
	return fmt.Sprintf("IOC(dir=%d,type=%q,nr=%#x,size=%d)", c.Dir(), rune(c.Type()), c.Nr(), c.Size())
}
