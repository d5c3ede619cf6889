package fusefs

import (
	"fmt"
	"strings"
	"time"

	"github.com/vsnd/vsnd/pcm"
)

// The /proc/asound text formats, byte for byte where the kernel has a
// matching file, so tools and people that read /proc/asound read these.

// cardsText is /proc/asound/cards (snd_card_info_read, sound/core/init.c).
func (s *Server) cardsText() string {
	var b strings.Builder
	for _, c := range s.cards {
		fmt.Fprintf(&b, "%2d [%-15s]: %s - %s\n", c.Number, c.ID, c.Driver, c.Name)
		fmt.Fprintf(&b, "                      %s\n", c.LongName)
	}
	if len(s.cards) == 0 {
		b.WriteString("--- no soundcards ---\n")
	}
	return b.String()
}

// cardInfoText is cardN/info: the fields of struct snd_ctl_card_info
// (SNDRV_CTL_IOCTL_CARD_INFO), one "key: value" a line. The kernel has no
// such /proc file; the names are the struct's.
func cardInfoText(c *pcm.Card) string {
	var b strings.Builder
	fmt.Fprintf(&b, "card: %d\n", c.Number)
	fmt.Fprintf(&b, "id: %s\n", c.ID)
	fmt.Fprintf(&b, "driver: %s\n", c.Driver)
	fmt.Fprintf(&b, "name: %s\n", c.Name)
	fmt.Fprintf(&b, "longname: %s\n", c.LongName)
	fmt.Fprintf(&b, "mixername: %s\n", c.MixerName)
	fmt.Fprintf(&b, "components: \n")
	for _, d := range c.Devices {
		fmt.Fprintf(&b, "pcm%d: %s (%d playback, %d capture)\n", d.Number, d.Name,
			len(d.Substreams(pcm.Playback)), len(d.Substreams(pcm.Capture)))
	}
	return b.String()
}

// pcmInfoText is pcmDx/info and pcmDx/subS/info (snd_pcm_proc_info_read,
// sound/core/pcm.c).
func pcmInfoText(d *pcm.Device, st pcm.Stream, sub int) string {
	info, err := d.Info(st, sub)
	if err != nil {
		return fmt.Sprintf("error %d\n", -int(pcm.Errno(err)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "card: %d\n", info.Card)
	fmt.Fprintf(&b, "device: %d\n", info.Device)
	fmt.Fprintf(&b, "subdevice: %d\n", info.Subdevice)
	fmt.Fprintf(&b, "stream: %s\n", strings.ToUpper(info.Stream.String()))
	fmt.Fprintf(&b, "id: %s\n", info.ID)
	fmt.Fprintf(&b, "name: %s\n", info.Name)
	fmt.Fprintf(&b, "subname: %s\n", info.Subname)
	fmt.Fprintf(&b, "class: %d\n", info.Class)
	fmt.Fprintf(&b, "subclass: %d\n", info.Subclass)
	fmt.Fprintf(&b, "subdevices_count: %d\n", info.SubdevicesCount)
	fmt.Fprintf(&b, "subdevices_avail: %d\n", info.SubdevicesAvail)
	return b.String()
}

// hwParamsText is subS/hw_params (snd_pcm_substream_proc_hw_params_read).
// The native face installs integer rates, so rate_num/rate_den is rate/1.
func hwParamsText(c pcm.Config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "access: %s\n", c.Access)
	fmt.Fprintf(&b, "format: %s\n", c.Format)
	fmt.Fprintf(&b, "subformat: STD\n")
	fmt.Fprintf(&b, "channels: %d\n", c.Channels)
	fmt.Fprintf(&b, "rate: %d (%d/%d)\n", c.Rate, c.Rate, 1)
	fmt.Fprintf(&b, "period_size: %d\n", c.PeriodSize)
	fmt.Fprintf(&b, "buffer_size: %d\n", c.BufferSize)
	return b.String()
}

// tstampModeNames are snd_pcm_tstamp_mode_names.
var tstampModeNames = []string{"NONE", "ENABLE"}

func tstampModeName(m int32) string {
	if m >= 0 && int(m) < len(tstampModeNames) {
		return tstampModeNames[m]
	}
	return fmt.Sprintf("%d", m)
}

// swParamsText is subS/sw_params (snd_pcm_substream_proc_sw_params_read).
func swParamsText(p pcm.SWParams) string {
	var b strings.Builder
	fmt.Fprintf(&b, "tstamp_mode: %s\n", tstampModeName(p.TstampMode))
	fmt.Fprintf(&b, "period_step: %d\n", p.PeriodStep)
	fmt.Fprintf(&b, "avail_min: %d\n", p.AvailMin)
	fmt.Fprintf(&b, "start_threshold: %d\n", p.StartThreshold)
	fmt.Fprintf(&b, "stop_threshold: %d\n", p.StopThreshold)
	fmt.Fprintf(&b, "silence_threshold: %d\n", p.SilenceThreshold)
	fmt.Fprintf(&b, "silence_size: %d\n", p.SilenceSize)
	fmt.Fprintf(&b, "boundary: %d\n", p.Boundary)
	return b.String()
}

// tstamp formats a timestamp as "%lld.%09lld".
func tstamp(d time.Duration) string {
	return fmt.Sprintf("%d.%09d", int64(d/time.Second), int64(d%time.Second))
}

// statusText is subS/status (snd_pcm_substream_proc_status_read), with
// vsnd's lines after the kernel's: xruns, the endpoint and its counters.
func statusText(st pcm.Status, ownerPid uint32, dir pcm.Stream, spec string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "state: %s\n", st.State)
	fmt.Fprintf(&b, "owner_pid   : %d\n", ownerPid)
	fmt.Fprintf(&b, "trigger_time: %s\n", tstamp(st.TriggerTstamp))
	fmt.Fprintf(&b, "tstamp      : %s\n", tstamp(st.Tstamp))
	fmt.Fprintf(&b, "delay       : %d\n", st.Delay)
	fmt.Fprintf(&b, "avail       : %d\n", st.Avail)
	fmt.Fprintf(&b, "avail_max   : %d\n", st.AvailMax)
	fmt.Fprintf(&b, "-----\n")
	fmt.Fprintf(&b, "hw_ptr      : %d\n", st.HWPtr)
	fmt.Fprintf(&b, "appl_ptr    : %d\n", st.ApplPtr)
	fmt.Fprintf(&b, "xruns       : %d\n", st.XRuns)
	if dir == pcm.Playback {
		fmt.Fprintf(&b, "sink        : %s\n", spec)
		fmt.Fprintf(&b, "sink_overflow: %d\n", st.SinkOverflow)
	} else {
		fmt.Fprintf(&b, "source      : %s\n", spec)
		fmt.Fprintf(&b, "source_underrun: %d\n", st.SourceUnderrun)
	}
	return b.String()
}
