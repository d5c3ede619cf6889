package pcm

// Hardware mirrors struct snd_pcm_hardware (include/sound/pcm.h): what a
// substream's "hardware" can do. It is data: the card configuration sets it,
// DefaultHardware gives a realistic USB/HDA-like default, and the refine
// engine turns it into the initial constraints as
// snd_pcm_hw_constraints_complete does.
type Hardware struct {
	Info           uint32 // SNDRV_PCM_INFO_*
	Formats        uint64 // bit (1 << Format) per supported format (SNDRV_PCM_FMTBIT_*)
	RateMin        int
	RateMax        int
	ChannelsMin    int
	ChannelsMax    int
	BufferBytesMax int
	PeriodBytesMin int
	PeriodBytesMax int
	PeriodsMin     int
	PeriodsMax     int
	FifoSize       int
}
