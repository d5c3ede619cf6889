package mmap

import "unsafe"

// statusOf returns the Status at the start of the status page mapping. The
// mapping is page aligned and PageSize long, so every field is naturally
// aligned for sync/atomic.
func statusOf(page []byte) *Status {
	if len(page) < int(unsafe.Sizeof(Status{})) {
		return nil
	}
	return (*Status)(unsafe.Pointer(&page[0]))
}

// controlOf returns the Control at the start of the control page mapping.
func controlOf(page []byte) *Control {
	if len(page) < int(unsafe.Sizeof(Control{})) {
		return nil
	}
	return (*Control)(unsafe.Pointer(&page[0]))
}
