package asound

// Control interface structs (asound.h "Section for driver control
// interface - /dev/snd/control?"; handled by sound/core/control.c).

// Element types, SNDRV_CTL_ELEM_TYPE_*.
const (
	ElemTypeNone       int32 = 0
	ElemTypeBoolean    int32 = 1
	ElemTypeInteger    int32 = 2
	ElemTypeEnumerated int32 = 3
	ElemTypeBytes      int32 = 4
	ElemTypeIEC958     int32 = 5
	ElemTypeInteger64  int32 = 6
)

// Element interfaces, SNDRV_CTL_ELEM_IFACE_*.
const (
	ElemIfaceCard      int32 = 0
	ElemIfaceHwdep     int32 = 1
	ElemIfaceMixer     int32 = 2
	ElemIfacePCM       int32 = 3
	ElemIfaceRawmidi   int32 = 4
	ElemIfaceTimer     int32 = 5
	ElemIfaceSequencer int32 = 6
)

// Element access bits, SNDRV_CTL_ELEM_ACCESS_*.
const (
	ElemAccessRead        uint32 = 1 << 0
	ElemAccessWrite       uint32 = 1 << 1
	ElemAccessReadWrite          = ElemAccessRead | ElemAccessWrite
	ElemAccessVolatile    uint32 = 1 << 2
	ElemAccessTLVRead     uint32 = 1 << 4
	ElemAccessTLVWrite    uint32 = 1 << 5
	ElemAccessTLVCommand  uint32 = 1 << 6
	ElemAccessInactive    uint32 = 1 << 8
	ElemAccessLock        uint32 = 1 << 9
	ElemAccessOwner       uint32 = 1 << 10
	ElemAccessTLVCallback uint32 = 1 << 28
	ElemAccessUser        uint32 = 1 << 29
)

// Event types and masks, SNDRV_CTL_EVENT_*.
const (
	EventElem       int32  = 0
	EventMaskValue  uint32 = 1 << 0
	EventMaskInfo   uint32 = 1 << 1
	EventMaskAdd    uint32 = 1 << 2
	EventMaskTLV    uint32 = 1 << 3
	EventMaskRemove uint32 = ^uint32(0)
)

// Power states, SNDRV_CTL_POWER_*.
const (
	PowerD0     = 0x0000
	PowerD1     = 0x0100
	PowerD2     = 0x0200
	PowerD3     = 0x0300
	PowerD3Hot  = PowerD3 | 0x0000
	PowerD3Cold = PowerD3 | 0x0001
)

// ElemIDNameMax is SNDRV_CTL_ELEM_ID_NAME_MAXLEN.
const ElemIDNameMax = 44

// CardInfo is struct snd_ctl_card_info (376 bytes), the answer of CARD_INFO
// (snd_ctl_card_info, control.c):
//
//	0 card, 4 pad, 8 id[16], 24 driver[16], 40 name[32], 72 longname[80],
//	152 reserved_[16], 168 mixername[80], 248 components[128]
type CardInfo struct {
	Card       int32
	ID         string
	Driver     string
	Name       string
	LongName   string
	MixerName  string
	Components string
}

// Encode writes the whole struct; strings are cut to fit with a NUL.
func (c *CardInfo) Encode(b []byte) error {
	if err := need(b, CardInfoSize, "snd_ctl_card_info"); err != nil {
		return err
	}
	clear(b[:CardInfoSize])
	le.PutUint32(b[0:], uint32(c.Card))
	putString(b[8:24], c.ID)
	putString(b[24:40], c.Driver)
	putString(b[40:72], c.Name)
	putString(b[72:152], c.LongName)
	putString(b[168:248], c.MixerName)
	putString(b[248:376], c.Components)
	return nil
}

// Decode reads the struct.
func (c *CardInfo) Decode(b []byte) error {
	if err := need(b, CardInfoSize, "snd_ctl_card_info"); err != nil {
		return err
	}
	c.Card = int32(le.Uint32(b[0:]))
	c.ID = cString(b[8:24])
	c.Driver = cString(b[24:40])
	c.Name = cString(b[40:72])
	c.LongName = cString(b[72:152])
	c.MixerName = cString(b[168:248])
	c.Components = cString(b[248:376])
	return nil
}

// ElemID is struct snd_ctl_elem_id (64 bytes): 0 numid, 4 iface,
// 8 device, 12 subdevice, 16 name[44], 60 index. The name stays a byte
// array so that decoding an ID on the ELEM_READ path does not allocate.
type ElemID struct {
	NumID     uint32
	Iface     int32
	Device    uint32
	Subdevice uint32
	Name      [ElemIDNameMax]byte
	Index     uint32
}

// NameString returns the name up to its NUL.
func (id *ElemID) NameString() string { return cString(id.Name[:]) }

// SetName stores s, cut to 43 bytes plus NUL.
func (id *ElemID) SetName(s string) { putString(id.Name[:], s) }

func (id *ElemID) encode(b []byte) {
	le.PutUint32(b[0:], id.NumID)
	le.PutUint32(b[4:], uint32(id.Iface))
	le.PutUint32(b[8:], id.Device)
	le.PutUint32(b[12:], id.Subdevice)
	copy(b[16:60], id.Name[:])
	le.PutUint32(b[60:], id.Index)
}

func (id *ElemID) decode(b []byte) {
	id.NumID = le.Uint32(b[0:])
	id.Iface = int32(le.Uint32(b[4:]))
	id.Device = le.Uint32(b[8:])
	id.Subdevice = le.Uint32(b[12:])
	copy(id.Name[:], b[16:60])
	id.Index = le.Uint32(b[60:])
}

// Encode writes the 64-byte ID (ELEM_LOCK, ELEM_UNLOCK, ELEM_REMOVE, and
// each entry of ELEM_LIST's pids array).
func (id *ElemID) Encode(b []byte) error {
	if err := need(b, ElemIDSize, "snd_ctl_elem_id"); err != nil {
		return err
	}
	id.encode(b)
	return nil
}

// Decode reads a 64-byte ID.
func (id *ElemID) Decode(b []byte) error {
	if err := need(b, ElemIDSize, "snd_ctl_elem_id"); err != nil {
		return err
	}
	id.decode(b)
	return nil
}

// ElemList is struct snd_ctl_elem_list (80 bytes): 0 offset, 4 space,
// 8 used, 12 count, 16 pids (the caller's address of space IDs), 24
// reserved[50], padding to 80. snd_ctl_elem_list (control.c) writes up to
// space IDs to pids with copy_to_user: over FUSE, procmem.WriteTo.
type ElemList struct {
	Offset uint32
	Space  uint32
	Used   uint32
	Count  uint32
	Pids   uint64
}

// Encode writes the whole struct.
func (l *ElemList) Encode(b []byte) error {
	if err := need(b, ElemListSize, "snd_ctl_elem_list"); err != nil {
		return err
	}
	clear(b[:ElemListSize])
	le.PutUint32(b[0:], l.Offset)
	le.PutUint32(b[4:], l.Space)
	le.PutUint32(b[8:], l.Used)
	le.PutUint32(b[12:], l.Count)
	le.PutUint64(b[16:], l.Pids)
	return nil
}

// Decode reads the struct.
func (l *ElemList) Decode(b []byte) error {
	if err := need(b, ElemListSize, "snd_ctl_elem_list"); err != nil {
		return err
	}
	l.Offset = le.Uint32(b[0:])
	l.Space = le.Uint32(b[4:])
	l.Used = le.Uint32(b[8:])
	l.Count = le.Uint32(b[12:])
	l.Pids = le.Uint64(b[16:])
	return nil
}

// ElemInfo is struct snd_ctl_elem_info (272 bytes):
//
//	0 id (64), 64 type, 68 access, 72 count, 76 owner (pid),
//	80 value union (128): integer {long min, max, step} and integer64
//	   {long long min, max, step} share the same layout on x86_64;
//	   enumerated {80 items, 84 item, 88 name[64], 152 names_ptr,
//	   160 names_length},
//	208 reserved[64]
//
// Which half of the union is used follows Type. For enumerated elements
// the client puts the item it asks about in Item (snd_ctl_elem_info_user).
type ElemInfo struct {
	ID     ElemID
	Type   int32
	Access uint32
	Count  uint32
	Owner  int32

	// Type INTEGER, INTEGER64 (BOOLEAN reports 0..1 here too).
	Min, Max, Step int64

	// Type ENUMERATED.
	Items       uint32
	Item        uint32
	ItemName    string // at most 63 bytes
	NamesPtr    uint64
	NamesLength uint32
}

// Encode writes the whole struct.
func (e *ElemInfo) Encode(b []byte) error {
	if err := need(b, ElemInfoSize, "snd_ctl_elem_info"); err != nil {
		return err
	}
	clear(b[:ElemInfoSize])
	e.ID.encode(b)
	le.PutUint32(b[64:], uint32(e.Type))
	le.PutUint32(b[68:], e.Access)
	le.PutUint32(b[72:], e.Count)
	le.PutUint32(b[76:], uint32(e.Owner))
	if e.Type == ElemTypeEnumerated {
		le.PutUint32(b[80:], e.Items)
		le.PutUint32(b[84:], e.Item)
		putString(b[88:152], e.ItemName)
		le.PutUint64(b[152:], e.NamesPtr)
		le.PutUint32(b[160:], e.NamesLength)
	} else {
		le.PutUint64(b[80:], uint64(e.Min))
		le.PutUint64(b[88:], uint64(e.Max))
		le.PutUint64(b[96:], uint64(e.Step))
	}
	return nil
}

// Decode reads the struct, the union half selected by the decoded Type.
func (e *ElemInfo) Decode(b []byte) error {
	if err := need(b, ElemInfoSize, "snd_ctl_elem_info"); err != nil {
		return err
	}
	e.ID.decode(b)
	e.Type = int32(le.Uint32(b[64:]))
	e.Access = le.Uint32(b[68:])
	e.Count = le.Uint32(b[72:])
	e.Owner = int32(le.Uint32(b[76:]))
	e.Min, e.Max, e.Step = 0, 0, 0
	e.Items, e.Item, e.ItemName, e.NamesPtr, e.NamesLength = 0, 0, "", 0, 0
	if e.Type == ElemTypeEnumerated {
		e.Items = le.Uint32(b[80:])
		e.Item = le.Uint32(b[84:])
		e.ItemName = cString(b[88:152])
		e.NamesPtr = le.Uint64(b[152:])
		e.NamesLength = le.Uint32(b[160:])
	} else {
		e.Min = int64(le.Uint64(b[80:]))
		e.Max = int64(le.Uint64(b[88:]))
		e.Step = int64(le.Uint64(b[96:]))
	}
	return nil
}

// ElemInfoItem reads value.enumerated.item of an ELEM_INFO request without
// decoding the rest (the kernel reads it to name that item).
func ElemInfoItem(b []byte) (uint32, error) {
	if err := need(b, ElemInfoSize, "snd_ctl_elem_info"); err != nil {
		return 0, err
	}
	return le.Uint32(b[84:]), nil
}

// ElemValue is struct snd_ctl_elem_value (1224 bytes on x86_64):
// 0 id (64), 64 indirect:1 (obsolete), 72 value union (1024), 1096
// reserved[128]. Value holds the union's raw bytes; the accessors read it
// as the element type needs: integer is long[128] (8 bytes each on x86_64),
// integer64 long long[64], enumerated unsigned int[128], bytes
// unsigned char[512], iec958 struct snd_aes_iec958.
type ElemValue struct {
	ID    ElemID
	Value [1024]byte
}

// Capacities of the value union per element type.
const (
	ElemValueIntegers   = 128
	ElemValueInteger64s = 64
	ElemValueEnums      = 128
	ElemValueBytes      = 512
	valueOff            = 72
)

// Integer returns value.integer.value[i] (also boolean), 0 if i is out of
// range.
func (v *ElemValue) Integer(i int) int64 {
	if i < 0 || i >= ElemValueIntegers {
		return 0
	}
	return int64(le.Uint64(v.Value[i*8:]))
}

// SetInteger sets value.integer.value[i]; out of range is ignored.
func (v *ElemValue) SetInteger(i int, x int64) {
	if i >= 0 && i < ElemValueIntegers {
		le.PutUint64(v.Value[i*8:], uint64(x))
	}
}

// Integer64 returns value.integer64.value[i].
func (v *ElemValue) Integer64(i int) int64 {
	if i < 0 || i >= ElemValueInteger64s {
		return 0
	}
	return int64(le.Uint64(v.Value[i*8:]))
}

// SetInteger64 sets value.integer64.value[i].
func (v *ElemValue) SetInteger64(i int, x int64) {
	if i >= 0 && i < ElemValueInteger64s {
		le.PutUint64(v.Value[i*8:], uint64(x))
	}
}

// Enumerated returns value.enumerated.item[i].
func (v *ElemValue) Enumerated(i int) uint32 {
	if i < 0 || i >= ElemValueEnums {
		return 0
	}
	return le.Uint32(v.Value[i*4:])
}

// SetEnumerated sets value.enumerated.item[i].
func (v *ElemValue) SetEnumerated(i int, x uint32) {
	if i >= 0 && i < ElemValueEnums {
		le.PutUint32(v.Value[i*4:], x)
	}
}

// Bytes returns value.bytes.data (512 bytes), aliasing v.
func (v *ElemValue) Bytes() []byte { return v.Value[:ElemValueBytes] }

// Encode writes the whole struct (indirect and reserved zeroed).
func (v *ElemValue) Encode(b []byte) error {
	if err := need(b, ElemValueSize, "snd_ctl_elem_value"); err != nil {
		return err
	}
	v.ID.encode(b)
	clear(b[64:valueOff])
	copy(b[valueOff:], v.Value[:])
	clear(b[valueOff+len(v.Value) : ElemValueSize])
	return nil
}

// Decode reads the struct.
func (v *ElemValue) Decode(b []byte) error {
	if err := need(b, ElemValueSize, "snd_ctl_elem_value"); err != nil {
		return err
	}
	v.ID.decode(b)
	copy(v.Value[:], b[valueOff:valueOff+len(v.Value)])
	return nil
}

// Event is struct snd_ctl_event (72 bytes), one record read() from a
// control node (snd_ctl_read, control.c): 0 type, 4 data.elem.mask,
// 8 data.elem.id.
type Event struct {
	Type int32
	Mask uint32
	ID   ElemID
}

// Encode writes the 72-byte record.
func (e *Event) Encode(b []byte) error {
	if err := need(b, EventSize, "snd_ctl_event"); err != nil {
		return err
	}
	le.PutUint32(b[0:], uint32(e.Type))
	le.PutUint32(b[4:], e.Mask)
	e.ID.encode(b[8:])
	return nil
}

// Decode reads a record.
func (e *Event) Decode(b []byte) error {
	if err := need(b, EventSize, "snd_ctl_event"); err != nil {
		return err
	}
	e.Type = int32(le.Uint32(b[0:]))
	e.Mask = le.Uint32(b[4:])
	e.ID.decode(b[8:])
	return nil
}

// TLV is the 8-byte header of struct snd_ctl_tlv {numid; length; tlv[]}.
// The TLV ioctls carry only the header through FUSE; the payload of Length
// bytes lives in the caller's memory right after it, at arg+TLVSize
// (snd_ctl_tlv_ioctl, control.c, copies it separately).
type TLV struct {
	NumID  uint32
	Length uint32 // bytes of payload
}

// Encode writes the header.
func (t *TLV) Encode(b []byte) error {
	if err := need(b, TLVSize, "snd_ctl_tlv"); err != nil {
		return err
	}
	le.PutUint32(b[0:], t.NumID)
	le.PutUint32(b[4:], t.Length)
	return nil
}

// Decode reads the header.
func (t *TLV) Decode(b []byte) error {
	if err := need(b, TLVSize, "snd_ctl_tlv"); err != nil {
		return err
	}
	t.NumID = le.Uint32(b[0:])
	t.Length = le.Uint32(b[4:])
	return nil
}
