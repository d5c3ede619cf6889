package mixer

// The default card mixer: what snd-dummy and HDA cards show amixer, with
// the volumes of an HDA codec's 0 dB-at-maximum amplifier.
//
//	numid name                    type     count range      dB
//	1     Master Playback Volume  INTEGER  2     0..100     DB_SCALE(-5000, 50, mute): 0 mute, 1 = -49.5 dB, 100 = 0 dB
//	2     Master Playback Switch  BOOLEAN  2
//	3     PCM Playback Volume     INTEGER  2     0..100     same
//	4     PCM Playback Switch     BOOLEAN  2
//	5     Capture Volume          INTEGER  2     0..100     same
//	6     Capture Switch          BOOLEAN  2
//
// Every volume starts at 100 (0 dB) and every switch on, so the default
// path is unity and bit-exact. snd-dummy instead ranges -50..100 with
// DB_SCALE(-4500, 30, 0) and starts at 0 (-30 dB); vsnd starts at 0 dB
// because a virtual card must not change the samples unless asked.
const (
	DefaultVolumeMax = 100
)

// DefaultDBScale is the dB scale of the default volumes: -50 dB..0 dB in
// 0.5 dB steps over 0..100, the minimum muting.
var DefaultDBScale = DBScale{Min: -5000, Step: 50, Mute: true}

// Names of the default controls.
const (
	MasterVolume  = "Master Playback Volume"
	MasterSwitch  = "Master Playback Switch"
	PCMVolume     = "PCM Playback Volume"
	PCMSwitch     = "PCM Playback Switch"
	CaptureVolume = "Capture Volume"
	CaptureSwitch = "Capture Switch"
)

// DefaultConfig returns the default card mixer's configuration: playback
// gain Master × PCM (volumes and switches), capture gain Capture.
func DefaultConfig() Config {
	vol := func(name string) Control {
		return Control{ID: ElemID{Iface: IfaceMixer, Name: name}, Type: TypeInteger,
			Access: AccessReadWrite | AccessTLVRead, Count: 2, Min: 0, Max: DefaultVolumeMax, Step: 1,
			TLV: DefaultDBScale.TLV(), Init: Values{DefaultVolumeMax, DefaultVolumeMax}}
	}
	sw := func(name string) Control {
		return Control{ID: ElemID{Iface: IfaceMixer, Name: name}, Type: TypeBoolean,
			Access: AccessReadWrite, Count: 2, Init: Values{1, 1}}
	}
	return Config{
		Controls: []Control{
			vol(MasterVolume), sw(MasterSwitch),
			vol(PCMVolume), sw(PCMSwitch),
			vol(CaptureVolume), sw(CaptureSwitch),
		},
		Playback: GainPath{Volumes: []string{MasterVolume, PCMVolume}, Switches: []string{MasterSwitch, PCMSwitch}},
		Capture:  GainPath{Volumes: []string{CaptureVolume}, Switches: []string{CaptureSwitch}},
	}
}

// Default returns a mixer with DefaultConfig.
func Default() *Mixer {
	m, err := New(DefaultConfig())
	if err != nil {
		panic("mixer: default configuration rejected: " + err.Error()) // a bug in this file, not bad input
	}
	return m
}
