package mixer

import (
	"fmt"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Iface is SNDRV_CTL_ELEM_IFACE_* (include/uapi/sound/asound.h).
type Iface int32

// The element interfaces, numbered as the kernel's.
const (
	IfaceCard      Iface = 0
	IfaceHwdep     Iface = 1
	IfaceMixer     Iface = 2
	IfacePCM       Iface = 3
	IfaceRawmidi   Iface = 4
	IfaceTimer     Iface = 5
	IfaceSequencer Iface = 6
)

// Type is SNDRV_CTL_ELEM_TYPE_*. The mixer models the four value types
// that hold integers; BYTES and IEC958 are not offered.
type Type int32

// The element types, numbered as the kernel's.
const (
	TypeBoolean    Type = 1
	TypeInteger    Type = 2
	TypeEnumerated Type = 3
	TypeInteger64  Type = 6
)

func (t Type) String() string {
	switch t {
	case TypeBoolean:
		return "BOOLEAN"
	case TypeInteger:
		return "INTEGER"
	case TypeEnumerated:
		return "ENUMERATED"
	case TypeInteger64:
		return "INTEGER64"
	}
	return fmt.Sprintf("TYPE(%d)", int32(t))
}

// Access bits, SNDRV_CTL_ELEM_ACCESS_*.
const (
	AccessRead      uint32 = 1 << 0
	AccessWrite     uint32 = 1 << 1
	AccessReadWrite        = AccessRead | AccessWrite
	AccessVolatile  uint32 = 1 << 2
	AccessTLVRead   uint32 = 1 << 4
	AccessInactive  uint32 = 1 << 8
	AccessLock      uint32 = 1 << 9  // reported by Info: some owner holds the lock
	AccessOwner     uint32 = 1 << 10 // reported by Info: the asking owner holds it
)

// Event masks, SNDRV_CTL_EVENT_MASK_*. REMOVE is all ones in the kernel
// (~0U), not a bit of its own; TLV is bit 3.
const (
	EventMaskValue  uint32 = 1 << 0
	EventMaskInfo   uint32 = 1 << 1
	EventMaskAdd    uint32 = 1 << 2
	EventMaskTLV    uint32 = 1 << 3
	EventMaskRemove uint32 = ^uint32(0)
)

// Limits of the uapi structs.
const (
	// NameMax is SNDRV_CTL_ELEM_ID_NAME_MAXLEN minus the NUL.
	NameMax = 43
	// MaxCount is the capacity of snd_ctl_elem_value.value.integer
	// (128 longs); INTEGER64 holds 64.
	MaxCount   = 128
	MaxCount64 = 64
	// ItemNameMax is the 64-byte enumerated item name minus the NUL.
	ItemNameMax = 63
)

// ElemID is struct snd_ctl_elem_id. NumID is 1-based and stable for the
// life of the Mixer; 0 means "look up by the other fields"
// (snd_ctl_find_id).
type ElemID struct {
	NumID     uint32
	Iface     Iface
	Device    uint32
	Subdevice uint32
	Name      string
	Index     uint32
}

func (id ElemID) String() string {
	return fmt.Sprintf("%d:%d:%d:%d:%q:%d", id.NumID, id.Iface, id.Device, id.Subdevice, id.Name, id.Index)
}

// sameElem compares everything but NumID, as snd_ctl_find_id's name path
// (and snd_ctl_add's duplicate check) does.
func sameElem(a, b ElemID) bool {
	return a.Iface == b.Iface && a.Device == b.Device && a.Subdevice == b.Subdevice &&
		a.Index == b.Index && a.Name == b.Name
}

// ElemInfo is struct snd_ctl_elem_info as snd_ctl_elem_info fills it.
type ElemInfo struct {
	ID     ElemID // complete, NumID included
	Type   Type
	Access uint32 // the element's access, plus AccessLock/AccessOwner
	Count  int    // values per element (2 for stereo)
	Owner  int32  // pid of the lock holder, -1 when unlocked

	// INTEGER and INTEGER64; BOOLEAN reports 0..1 step 0
	// (snd_ctl_boolean_mono_info).
	Min, Max, Step int64

	// ENUMERATED: the item names (shared, do not modify).
	Items []string
}

// Values are the values of one element, one per channel (Count of them):
// 0/1 for BOOLEAN, the integer for INTEGER/INTEGER64, the item index for
// ENUMERATED.
type Values []int64

// Owner is an open control file (struct snd_ctl_file): the holder of
// element locks. Owners are compared by pointer. A nil *Owner is the
// kernel itself (snd_ctl_elem_write with file == NULL): it ignores locks.
type Owner struct {
	Pid int32 // immutable: reported by Info as the lock holder
}

// NewOwner returns an owner for a control file opened by pid.
func NewOwner(pid int32) *Owner { return &Owner{Pid: pid} }

// Control describes one element for New (struct snd_kcontrol_new plus
// its info callback and initial value).
type Control struct {
	ID     ElemID // NumID ignored: New assigns them in order from 1
	Type   Type
	Access uint32 // 0 means AccessReadWrite (| AccessTLVRead when TLV is set)
	Count  int    // 1..MaxCount (MaxCount64 for INTEGER64)

	Min, Max, Step int64    // INTEGER, INTEGER64; Step 0 means any value
	Items          []string // ENUMERATED
	TLV            []uint32 // e.g. DBScale{...}.TLV(); nil for none
	Init           Values   // initial values; nil means Min (item 0, off) everywhere
}

// check validates c as snd_ctl_add / snd_ctl_new1 would refuse it, and
// the initial values as a write would.
func (c *Control) check() error {
	if c.ID.Name == "" || len(c.ID.Name) > NameMax {
		return pcm.Errorf(syscall.EINVAL, "mixer: element name %q empty or longer than %d bytes", c.ID.Name, NameMax)
	}
	if c.ID.Iface < IfaceCard || c.ID.Iface > IfaceSequencer {
		return pcm.Errorf(syscall.EINVAL, "mixer: %q: no interface %d", c.ID.Name, c.ID.Iface)
	}
	limit := MaxCount
	switch c.Type {
	case TypeBoolean:
		c.Min, c.Max, c.Step = 0, 1, 0
	case TypeInteger, TypeInteger64:
		if c.Type == TypeInteger64 {
			limit = MaxCount64
		}
		if c.Min > c.Max || c.Step < 0 {
			return pcm.Errorf(syscall.EINVAL, "mixer: %q: range %d..%d step %d", c.ID.Name, c.Min, c.Max, c.Step)
		}
	case TypeEnumerated:
		if len(c.Items) == 0 {
			return pcm.Errorf(syscall.EINVAL, "mixer: %q: enumerated without items", c.ID.Name)
		}
		for _, it := range c.Items {
			if len(it) > ItemNameMax {
				return pcm.Errorf(syscall.EINVAL, "mixer: %q: item name %q too long", c.ID.Name, it)
			}
		}
		c.Min, c.Max, c.Step = 0, int64(len(c.Items)-1), 0
	default:
		return pcm.Errorf(syscall.EINVAL, "mixer: %q: unsupported type %s", c.ID.Name, c.Type)
	}
	if c.Count < 1 || c.Count > limit {
		return pcm.Errorf(syscall.EINVAL, "mixer: %q: count %d out of 1..%d", c.ID.Name, c.Count, limit)
	}
	if c.Access == 0 {
		c.Access = AccessReadWrite
		if c.TLV != nil {
			c.Access |= AccessTLVRead
		}
	}
	c.Access &^= AccessLock | AccessOwner // runtime state, not a property
	if c.TLV != nil {
		if len(c.TLV) < 2 || int(c.TLV[1])%4 != 0 || int(c.TLV[1])/4 != len(c.TLV)-2 {
			return pcm.Errorf(syscall.EINVAL, "mixer: %q: malformed TLV", c.ID.Name)
		}
	}
	if c.Init == nil {
		c.Init = make(Values, c.Count)
		for i := range c.Init {
			c.Init[i] = c.Min
		}
	}
	if len(c.Init) != c.Count {
		return pcm.Errorf(syscall.EINVAL, "mixer: %q: %d initial values for count %d", c.ID.Name, len(c.Init), c.Count)
	}
	return c.checkValues(c.Init)
}

// checkValues is the range check of snd_ctl_elem_write with
// CONFIG_SND_CTL_INPUT_VALIDATION (sanitize_elem_value, check_range in
// control.c): each of the first Count values must lie in min..max and on
// the step grid. EINVAL otherwise.
func (c *Control) checkValues(v Values) error {
	if len(v) < c.Count {
		return pcm.Errorf(syscall.EINVAL, "mixer: %q: %d values for count %d", c.ID.Name, len(v), c.Count)
	}
	for i, x := range v[:c.Count] {
		if x < c.Min || x > c.Max {
			return pcm.Errorf(syscall.EINVAL, "mixer: %q: value[%d] = %d out of %d..%d", c.ID.Name, i, x, c.Min, c.Max)
		}
		if c.Step > 0 && (x-c.Min)%c.Step != 0 {
			return pcm.Errorf(syscall.EINVAL, "mixer: %q: value[%d] = %d not on step %d from %d", c.ID.Name, i, x, c.Step, c.Min)
		}
	}
	return nil
}
