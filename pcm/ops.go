package pcm

// TriggerCmd is a trigger command, SNDRV_PCM_TRIGGER_*.
type TriggerCmd int

const (
	TriggerStop         TriggerCmd = 0
	TriggerStart        TriggerCmd = 1
	TriggerPausePush    TriggerCmd = 3
	TriggerPauseRelease TriggerCmd = 4
	TriggerSuspend      TriggerCmd = 5
	TriggerResume       TriggerCmd = 6
	TriggerDrain        TriggerCmd = 7
)

// Driver mirrors struct snd_pcm_ops (include/sound/pcm.h). The core owns
// every piece of stream state; a driver only starts and stops its interrupt
// and reports a position.
//
// Locking, as in the kernel: Trigger and Pointer are called with the stream
// lock held ("atomic" ops) and must never block; Trigger(TriggerStop) may be
// called from inside the driver's own interrupt via PeriodElapsed. SyncStop
// is called without the stream lock, never from the interrupt, and returns
// only when no interrupt for the substream is running or can run until the
// next Trigger(TriggerStart). All other ops are called without the stream
// lock from process context.
type Driver interface {
	// Open is snd_pcm_ops.open: the substream is being opened.
	Open(s *Substream) error
	// Close is snd_pcm_ops.close.
	Close(s *Substream) error
	// HWParams is snd_pcm_ops.hw_params: c is the installed configuration.
	HWParams(s *Substream, c Config) error
	// HWFree is snd_pcm_ops.hw_free: release what HWParams allocated.
	HWFree(s *Substream) error
	// Prepare is snd_pcm_ops.prepare: reset the position to 0.
	Prepare(s *Substream) error
	// Trigger is snd_pcm_ops.trigger. Call with stream lock; must not block.
	Trigger(s *Substream, cmd TriggerCmd) error
	// Pointer is snd_pcm_ops.pointer: the position in frames within the
	// buffer, [0, buffer_size). Call with stream lock.
	Pointer(s *Substream) int
	// SyncStop is snd_pcm_ops.sync_stop.
	SyncStop(s *Substream)
}
