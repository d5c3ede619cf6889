package asound

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/vsnd/vsnd/pcm"
)

// Timestamp clocks a client can choose with sw_params.tstamp_type or the
// TTSTAMP ioctl, SNDRV_PCM_TSTAMP_TYPE_*.
const (
	TstampTypeGettimeofday uint32 = 0 // CLOCK_REALTIME
	TstampTypeMonotonic    uint32 = 1 // CLOCK_MONOTONIC
	TstampTypeMonotonicRaw uint32 = 2 // CLOCK_MONOTONIC_RAW
	TstampTypeLast                = TstampTypeMonotonicRaw
)

// Clock is the core's clock (timer.Clock satisfies it).
type Clock interface {
	Now() time.Duration
}

// TimeMap converts a time read on the core's clock into a timespec on
// the clock the client chose. pcm.Status carries times as durations on the
// core's monotonic clock; the kernel stamps them with snd_pcm_gettime
// (include/sound/pcm.h), which reads the runtime's tstamp_type clock.
type TimeMap interface {
	Timespec(core time.Duration, tstampType uint32) Timespec
}

// TimeMapFunc adapts a function to TimeMap.
type TimeMapFunc func(core time.Duration, tstampType uint32) Timespec

// Timespec implements TimeMap.
func (f TimeMapFunc) Timespec(core time.Duration, tstampType uint32) Timespec {
	return f(core, tstampType)
}

// ClockOffsets is a TimeMap that adds a fixed offset per clock: element k
// is (clock k) - (core clock), indexed by SNDRV_PCM_TSTAMP_TYPE_*. An unknown
// type falls back to MONOTONIC, as snd_pcm_gettime's default case does. A
// core time of 0 means "never stamped" and maps to a zero timespec, the
// value the kernel reports for a stream that has not been triggered.
type ClockOffsets [TstampTypeLast + 1]time.Duration

// Timespec implements TimeMap.
func (o *ClockOffsets) Timespec(core time.Duration, tstampType uint32) Timespec {
	if core == 0 {
		return Timespec{}
	}
	if tstampType > TstampTypeLast {
		tstampType = TstampTypeMonotonic
	}
	return DurationTimespec(core + o[tstampType])
}

var clockIDs = [TstampTypeLast + 1]int32{
	TstampTypeGettimeofday: unix.CLOCK_REALTIME,
	TstampTypeMonotonic:    unix.CLOCK_MONOTONIC,
	TstampTypeMonotonicRaw: unix.CLOCK_MONOTONIC_RAW,
}

// MeasureClockOffsets reads each system clock between two readings of the
// core clock and returns the offsets from the midpoint. CLOCK_REALTIME can
// be stepped (settimeofday, NTP), and the kernel reads it afresh for every
// status; a face that cares measures again per STATUS (three clock reads
// per clock, no allocation) or at least periodically.
func MeasureClockOffsets(core Clock) (ClockOffsets, error) {
	var o ClockOffsets
	for k, id := range clockIDs {
		var ts unix.Timespec
		t0 := core.Now()
		if err := unix.ClockGettime(id, &ts); err != nil {
			return o, err
		}
		t1 := core.Now()
		o[k] = time.Duration(ts.Nano()) - (t0 + (t1-t0)/2)
	}
	return o, nil
}

// struct snd_pcm_status on x86_64 (== the kernel's snd_pcm_status64, so
// STATUS and STATUS64 are the same request; pcm_native.c
// snd_pcm_status_user64):
//
//	  0  snd_pcm_state_t state, 4 bytes padding
//	  8  struct timespec trigger_tstamp
//	 24  struct timespec tstamp
//	 40  appl_ptr, hw_ptr, delay, avail, avail_max, overrange (6 x 8)
//	 88  snd_pcm_state_t suspended_state
//	 92  __u32 audio_tstamp_data   (STATUS_EXT: in = config, out = report)
//	 96  struct timespec audio_tstamp
//	112  struct timespec driver_tstamp
//	128  __u32 audio_tstamp_accuracy
//	132  unsigned char reserved[20]
//	152
const (
	stStateOff          = 0
	stTriggerOff        = 8
	stTstampOff         = 24
	stApplPtrOff        = 40
	stHWPtrOff          = 48
	stDelayOff          = 56
	stAvailOff          = 64
	stAvailMaxOff       = 72
	stOverrangeOff      = 80
	stSuspendedOff      = 88
	stAudioDataOff      = 92
	stAudioTstampOff    = 96
	stDriverTstampOff   = 112
	stAudioAccuracyOff  = 128
	stReservedOff       = 132
	audioTstampTypeMask = 0xf
)

// StatusReport carries the fields of snd_pcm_status that pcm.Status does
// not have: the audio timestamp report of STATUS_EXT and driver_tstamp.
// The zero value is the COMPAT answer (no report).
type StatusReport struct {
	AudioTstampData     uint32        // packed as by PackAudioTstampReport
	AudioTstampAccuracy uint32        // ns
	DriverTstamp        time.Duration // on the core's clock; 0 = none
}

// EncodeStatus writes s as struct snd_pcm_status into b, the whole
// StatusSize bytes (the kernel memsets the struct first: snd_pcm_status64).
// Trigger and system timestamps go through tm for the client's tstampType;
// audio_tstamp is stream time, not a clock reading, and is written as is.
// rep may be nil.
func EncodeStatus(b []byte, s *pcm.Status, tm TimeMap, tstampType uint32, rep *StatusReport) error {
	if err := need(b, StatusSize, "snd_pcm_status"); err != nil {
		return err
	}
	clear(b[:StatusSize])
	le.PutUint32(b[stStateOff:], uint32(s.State))
	putTimespec(b[stTriggerOff:], tm.Timespec(s.TriggerTstamp, tstampType))
	putTimespec(b[stTstampOff:], tm.Timespec(s.Tstamp, tstampType))
	le.PutUint64(b[stApplPtrOff:], s.ApplPtr)
	le.PutUint64(b[stHWPtrOff:], s.HWPtr)
	le.PutUint64(b[stDelayOff:], uint64(s.Delay))
	le.PutUint64(b[stAvailOff:], s.Avail)
	le.PutUint64(b[stAvailMaxOff:], s.AvailMax)
	le.PutUint64(b[stOverrangeOff:], s.OverRange)
	le.PutUint32(b[stSuspendedOff:], uint32(s.SuspendedState))
	putTimespec(b[stAudioTstampOff:], DurationTimespec(s.AudioTstamp))
	if rep != nil {
		le.PutUint32(b[stAudioDataOff:], rep.AudioTstampData)
		le.PutUint32(b[stAudioAccuracyOff:], rep.AudioTstampAccuracy)
		putTimespec(b[stDriverTstampOff:], tm.Timespec(rep.DriverTstamp, tstampType))
	}
	return nil
}

// DecodeStatus is the inverse of EncodeStatus for tests and tools: times
// come back as the raw timespecs the client sees.
func DecodeStatus(b []byte) (st StatusTimes, s pcm.Status, rep StatusReport, err error) {
	if err = need(b, StatusSize, "snd_pcm_status"); err != nil {
		return
	}
	s.State = pcm.State(le.Uint32(b[stStateOff:]))
	st.Trigger = getTimespec(b[stTriggerOff:])
	st.Tstamp = getTimespec(b[stTstampOff:])
	st.Driver = getTimespec(b[stDriverTstampOff:])
	s.ApplPtr = le.Uint64(b[stApplPtrOff:])
	s.HWPtr = le.Uint64(b[stHWPtrOff:])
	s.Delay = int64(le.Uint64(b[stDelayOff:]))
	s.Avail = le.Uint64(b[stAvailOff:])
	s.AvailMax = le.Uint64(b[stAvailMaxOff:])
	s.OverRange = le.Uint64(b[stOverrangeOff:])
	s.SuspendedState = pcm.State(le.Uint32(b[stSuspendedOff:]))
	s.AudioTstamp = getTimespec(b[stAudioTstampOff:]).Duration()
	rep.AudioTstampData = le.Uint32(b[stAudioDataOff:])
	rep.AudioTstampAccuracy = le.Uint32(b[stAudioAccuracyOff:])
	return
}

// StatusTimes are the clock timestamps of a decoded status.
type StatusTimes struct {
	Trigger, Tstamp, Driver Timespec
}

// StatusExtRequest returns the audio_tstamp_data a STATUS_EXT caller put
// in (snd_pcm_status_user64 reads it with get_user before anything else).
func StatusExtRequest(b []byte) (uint32, error) {
	if err := need(b, StatusSize, "snd_pcm_status"); err != nil {
		return 0, err
	}
	return le.Uint32(b[stAudioDataOff:]), nil
}

// UnpackAudioTstampConfig mirrors snd_pcm_unpack_audio_tstamp_config
// (include/sound/pcm.h): bits 0..3 type requested, bit 4 report_delay.
func UnpackAudioTstampConfig(data uint32) (typeRequested uint32, reportDelay bool) {
	return data & audioTstampTypeMask, data>>4&1 != 0
}

// PackAudioTstampReport mirrors snd_pcm_pack_audio_tstamp_report: the
// report goes in the upper 16 bits of data (valid bit 16, actual type bits
// 17..20, accuracy_report bit 21), the lower 16 bits keep the request.
func PackAudioTstampReport(data uint32, valid bool, actualType uint32, accuracyReport bool) uint32 {
	var tmp uint32
	if accuracyReport {
		tmp = 1
	}
	tmp = tmp<<4 | actualType&audioTstampTypeMask
	tmp <<= 1
	if valid {
		tmp |= 1
	}
	return data&0xffff | tmp<<16
}

// Audio timestamp types, SNDRV_PCM_AUDIO_TSTAMP_TYPE_*.
const (
	AudioTstampTypeCompat           uint32 = 0
	AudioTstampTypeDefault          uint32 = 1
	AudioTstampTypeLink             uint32 = 2
	AudioTstampTypeLinkAbsolute     uint32 = 3
	AudioTstampTypeLinkEstimated    uint32 = 4
	AudioTstampTypeLinkSynchronized uint32 = 5
)
