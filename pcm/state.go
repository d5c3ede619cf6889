package pcm

import "fmt"

// State is a substream state, numbered as SNDRV_PCM_STATE_*.
type State int32

const (
	StateOpen         State = 0 // stream is open, no hw_params
	StateSetup        State = 1 // hw_params set
	StatePrepared     State = 2 // ready to start
	StateRunning      State = 3 // the interrupt is running
	StateXRun         State = 4 // underrun (playback) or overrun (capture)
	StateDraining     State = 5 // playing out what is queued, then SETUP
	StatePaused       State = 6 // pause pushed
	StateSuspended    State = 7 // power management suspend
	StateDisconnected State = 8 // the card is gone
)

var stateNames = [...]string{"OPEN", "SETUP", "PREPARED", "RUNNING", "XRUN", "DRAINING", "PAUSED", "SUSPENDED", "DISCONNECTED"}

// String returns the name /proc/asound uses (snd_pcm_state_name).
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("STATE(%d)", int32(s))
}

// Stream is the direction of a substream, SNDRV_PCM_STREAM_*.
type Stream int

const (
	Playback Stream = 0
	Capture  Stream = 1
)

func (s Stream) String() string {
	if s == Capture {
		return "capture"
	}
	return "playback"
}

// Info flags, SNDRV_PCM_INFO_* (include/uapi/sound/asound.h).
const (
	InfoMMap           uint32 = 0x00000001
	InfoMMapValid      uint32 = 0x00000002
	InfoDouble         uint32 = 0x00000004
	InfoBatch          uint32 = 0x00000010
	InfoSyncApplPtr    uint32 = 0x00000020
	InfoPerfectDrain   uint32 = 0x00000040
	InfoInterleaved    uint32 = 0x00000100
	InfoNonInterleaved uint32 = 0x00000200
	InfoComplex        uint32 = 0x00000400
	InfoBlockTransfer  uint32 = 0x00010000
	InfoOverrange      uint32 = 0x00020000
	InfoResume         uint32 = 0x00040000
	InfoPause          uint32 = 0x00080000
	InfoHalfDuplex     uint32 = 0x00100000
	InfoJointDuplex    uint32 = 0x00200000
	InfoSyncStart      uint32 = 0x00400000
	InfoNoPeriodWakeup uint32 = 0x00800000
	InfoHasWallClock   uint32 = 0x01000000
	InfoDrainTrigger   uint32 = 0x40000000
)
