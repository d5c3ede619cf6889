package fusefs

import (
	"strconv"
	"strings"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// Parsing of what users write into the control files. Every refusal is
// EINVAL with a reason that names the key and the accepted values.

// hwKeys maps the keys of a hw_params write to the parameter they set.
var hwKeys = map[string]pcm.Param{
	"access":       pcm.ParamAccess,
	"format":       pcm.ParamFormat,
	"subformat":    pcm.ParamSubformat,
	"channels":     pcm.ParamChannels,
	"rate":         pcm.ParamRate,
	"period_size":  pcm.ParamPeriodSize,
	"period_time":  pcm.ParamPeriodTime,
	"period_bytes": pcm.ParamPeriodBytes,
	"periods":      pcm.ParamPeriods,
	"buffer_size":  pcm.ParamBufferSize,
	"buffer_time":  pcm.ParamBufferTime,
	"buffer_bytes": pcm.ParamBufferBytes,
}

const hwKeyList = "access, format, subformat, channels, rate, period_size, period_time, period_bytes, periods, buffer_size, buffer_time, buffer_bytes"

// Defaults the native face applies when a hw_params write leaves the
// buffer or period open, instead of the kernel's choice (smallest period,
// largest buffer: 16-frame periods and 20 s of buffer with the default
// hardware). They are aplay's: buffer_time near 500 ms, period_time near a
// quarter of the buffer.
const (
	defaultBufferTimeUs = 500000
	defaultPeriodsNear  = 4
)

// hwRequest is a parsed hw_params write: the values, in the order given.
type hwRequest struct {
	keys []pcm.Param
	vals []uint32
}

// pairs splits "k=v k=v" (spaces, tabs, newlines or commas between) into
// ordered pairs.
func pairs(text string) ([][2]string, error) {
	var out [][2]string
	for _, f := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == ','
	}) {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k == "" || v == "" {
			return nil, pcm.Errorf(syscall.EINVAL, "%q is not key=value", f)
		}
		out = append(out, [2]string{strings.ToLower(k), v})
	}
	return out, nil
}

func parseHWRequest(text string) (*hwRequest, error) {
	ps, err := pairs(text)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, pcm.Errorf(syscall.EINVAL, "empty hw_params: write key=value pairs (%s)", hwKeyList)
	}
	r := &hwRequest{}
	for _, kv := range ps {
		k, v := kv[0], kv[1]
		param, ok := hwKeys[k]
		if !ok {
			return nil, pcm.Errorf(syscall.EINVAL, "unknown hw_params key %q (known: %s)", k, hwKeyList)
		}
		var val uint32
		switch param {
		case pcm.ParamAccess:
			a, err := pcm.ParseAccess(v)
			if err != nil {
				return nil, pcm.Errorf(syscall.EINVAL, "access: %v (RW_INTERLEAVED, RW_NONINTERLEAVED, MMAP_INTERLEAVED, ...)", err)
			}
			val = uint32(a)
		case pcm.ParamFormat:
			f, err := pcm.ParseFormat(v)
			if err != nil {
				return nil, pcm.Errorf(syscall.EINVAL, "format: %v (S16_LE, S32_LE, FLOAT_LE, ...)", err)
			}
			val = uint32(f)
		case pcm.ParamSubformat:
			if !strings.EqualFold(v, "STD") {
				return nil, pcm.Errorf(syscall.EINVAL, "subformat %q: only STD", v)
			}
			val = 0
		default:
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				return nil, pcm.Errorf(syscall.EINVAL, "%s=%q: want a non-negative integer", k, v)
			}
			val = uint32(n)
		}
		r.keys = append(r.keys, param)
		r.vals = append(r.vals, val)
	}
	return r, nil
}

func (r *hwRequest) has(ps ...pcm.Param) bool {
	for _, k := range r.keys {
		for _, p := range ps {
			if k == p {
				return true
			}
		}
	}
	return false
}

// build makes the HWParams the request describes, as a client would: Any,
// restrict each given parameter, refine against the hardware's
// constraints; then, where the request left the buffer or the period open,
// pick the native face's defaults with ParamNear. Access defaults to
// RW_INTERLEAVED (the data file is read/write access). The substream's
// HWParams refines and chooses the rest.
func (r *hwRequest) build(hw pcm.Hardware) (*pcm.HWParams, error) {
	c, err := pcm.NewConstraints(hw)
	if err != nil {
		return nil, err
	}
	p := new(pcm.HWParams)
	p.Any()
	if !r.has(pcm.ParamAccess) {
		p.SetMask(pcm.ParamAccess, uint32(pcm.AccessRWInterleaved))
	}
	for i, k := range r.keys {
		p.SetIntervalValue(k, r.vals[i]) // SetMask for masks
	}
	if err := c.Refine(p); err != nil {
		return nil, err
	}
	if !r.has(pcm.ParamBufferSize, pcm.ParamBufferTime, pcm.ParamBufferBytes) {
		if _, _, err := c.ParamNear(p, pcm.ParamBufferTime, defaultBufferTimeUs, 0); err != nil {
			return nil, err
		}
	}
	if !r.has(pcm.ParamPeriodSize, pcm.ParamPeriodTime, pcm.ParamPeriodBytes, pcm.ParamPeriods) {
		if _, _, err := c.ParamNear(p, pcm.ParamPeriods, defaultPeriodsNear, 0); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// applySWRequest changes the sw params keys the text names.
func applySWRequest(text string, p *pcm.SWParams) error {
	ps, err := pairs(text)
	if err != nil {
		return err
	}
	if len(ps) == 0 {
		return pcm.Errorf(syscall.EINVAL, "empty sw_params: write key=value pairs (%s)", swKeyList)
	}
	for _, kv := range ps {
		k, v := kv[0], kv[1]
		if k == "tstamp_mode" {
			switch strings.ToUpper(v) {
			case "NONE", "0":
				p.TstampMode = 0
			case "ENABLE", "1":
				p.TstampMode = 1
			default:
				return pcm.Errorf(syscall.EINVAL, "tstamp_mode %q: NONE or ENABLE", v)
			}
			continue
		}
		dst, ok := map[string]*uint64{
			"avail_min":         &p.AvailMin,
			"start_threshold":   &p.StartThreshold,
			"stop_threshold":    &p.StopThreshold,
			"silence_threshold": &p.SilenceThreshold,
			"silence_size":      &p.SilenceSize,
		}[k]
		if !ok {
			if k == "period_step" {
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return pcm.Errorf(syscall.EINVAL, "period_step=%q: want a non-negative integer", v)
				}
				p.PeriodStep = uint32(n)
				continue
			}
			return pcm.Errorf(syscall.EINVAL, "unknown sw_params key %q (known: %s)", k, swKeyList)
		}
		if strings.EqualFold(v, "boundary") {
			*dst = p.Boundary // as alsa-lib's "stop_threshold = boundary" idiom
			continue
		}
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return pcm.Errorf(syscall.EINVAL, "%s=%q: want a non-negative integer or \"boundary\"", k, v)
		}
		*dst = n
	}
	return nil
}

const swKeyList = "avail_min, start_threshold, stop_threshold, silence_threshold, silence_size, tstamp_mode, period_step"

// action is a write-only control file.
type action int

const (
	actPrepare action = iota
	actHWFree
	actTrigger
)

func (a action) String() string {
	return [...]string{"prepare", "hw_free", "trigger"}[a]
}

// command is what a control write asks for.
type command int

const (
	cmdPrepare command = iota
	cmdHWFree
	cmdStart
	cmdStop
	cmdDrain
	cmdPause
	cmdRelease
	cmdResume
	cmdSuspend
	cmdXRun
	cmdReset
	cmdHWSync
	cmdRewind
	cmdForward
)

// triggerWords are the words a trigger write accepts, and what each does.
var triggerWords = []struct {
	word string
	cmd  command
	doc  string
}{
	{"start", cmdStart, "SNDRV_PCM_IOCTL_START: PREPARED -> RUNNING"},
	{"stop", cmdStop, "SNDRV_PCM_IOCTL_DROP: stop now, -> SETUP"},
	{"drop", cmdStop, "same as stop"},
	{"drain", cmdDrain, "SNDRV_PCM_IOCTL_DRAIN: play what is queued, -> SETUP (blocks)"},
	{"pause", cmdPause, "SNDRV_PCM_IOCTL_PAUSE push: RUNNING -> PAUSED"},
	{"release", cmdRelease, "SNDRV_PCM_IOCTL_PAUSE release: PAUSED -> RUNNING"},
	{"resume", cmdResume, "PAUSED: pause release; SUSPENDED: SNDRV_PCM_IOCTL_RESUME"},
	{"suspend", cmdSuspend, "power-management suspend: -> SUSPENDED"},
	{"xrun", cmdXRun, "SNDRV_PCM_IOCTL_XRUN: RUNNING -> XRUN"},
	{"reset", cmdReset, "SNDRV_PCM_IOCTL_RESET: avail to buffer size / 0"},
	{"hwsync", cmdHWSync, "SNDRV_PCM_IOCTL_HWSYNC: update hw_ptr"},
	{"rewind", cmdRewind, "rewind N: SNDRV_PCM_IOCTL_REWIND by N frames"},
	{"forward", cmdForward, "forward N: SNDRV_PCM_IOCTL_FORWARD by N frames"},
	{"prepare", cmdPrepare, "SNDRV_PCM_IOCTL_PREPARE"},
}

// usage is what reading an action file shows.
func (a action) usage() string {
	switch a {
	case actPrepare:
		return "write anything to prepare the stream (SNDRV_PCM_IOCTL_PREPARE)\n"
	case actHWFree:
		return "write anything to free the hw params and release the substream (SNDRV_PCM_IOCTL_HW_FREE)\n"
	}
	var b strings.Builder
	b.WriteString("write one of:\n")
	for _, w := range triggerWords {
		b.WriteString("  " + w.word + strings.Repeat(" ", 10-len(w.word)) + w.doc + "\n")
	}
	return b.String()
}

// parseCommand turns a write to action file a into a command and its
// argument (frames, for rewind and forward).
func parseCommand(a action, text string) (command, uint64, error) {
	switch a {
	case actPrepare:
		return cmdPrepare, 0, nil
	case actHWFree:
		return cmdHWFree, 0, nil
	}
	f := strings.Fields(text)
	if len(f) == 0 {
		return 0, 0, pcm.Errorf(syscall.EINVAL, "empty trigger: write start, stop, drain, pause, resume, ...")
	}
	word := strings.ToLower(f[0])
	for _, w := range triggerWords {
		if w.word != word {
			continue
		}
		if w.cmd == cmdRewind || w.cmd == cmdForward {
			if len(f) != 2 {
				return 0, 0, pcm.Errorf(syscall.EINVAL, "%s needs a frame count: \"%s N\"", word, word)
			}
			n, err := strconv.ParseUint(f[1], 10, 63)
			if err != nil {
				return 0, 0, pcm.Errorf(syscall.EINVAL, "%s %q: want a frame count", word, f[1])
			}
			return w.cmd, n, nil
		}
		if len(f) != 1 {
			return 0, 0, pcm.Errorf(syscall.EINVAL, "trigger %s takes no argument", word)
		}
		return w.cmd, 0, nil
	}
	return 0, 0, pcm.Errorf(syscall.EINVAL, "unknown trigger %q: start, stop, drain, pause, release, resume, suspend, xrun, reset, hwsync, rewind N, forward N", f[0])
}
