package oss

import (
	"math/bits"
	"syscall"

	"github.com/vsnd/vsnd/pcm"
)

// This file installs the OSS setting on the substream:
// snd_pcm_oss_change_params_locked and its helpers (choose_rate,
// snd_pcm_oss_period_size), in the kernel's "direct" mode: vsnd has no
// plugin layer, so the client's format, rate and channels are the
// hardware's.

// maxPeriodBytes is the kernel's "1MB period must be enough".
const maxPeriodBytes = 1 << 20

// paramSet is snd_pcm_hw_param_set(substream, params, var, val, 0) for an
// interval parameter: keep only val, refine, and return the value.
func (st *stream) paramSet(p *pcm.HWParams, v pcm.Param, val uint32) (uint32, error) {
	i := p.Interval(v)
	if i.Empty || !i.Test(val) {
		i.Empty = true
		return 0, pcm.Errorf(syscall.EINVAL, "%s: %d not allowed", v, val)
	}
	if !(i.Min == val && i.Max == val && !i.OpenMin && !i.OpenMax && i.Integer) {
		*i = pcm.Interval{Min: val, Max: val, Integer: true}
		p.CMask |= 1 << v
		p.RMask |= 1 << v
	}
	if p.RMask != 0 {
		if err := st.cons.Refine(p); err != nil {
			return 0, err
		}
	}
	val, _, err := pcm.ParamValue(p, v)
	return val, err
}

// chooseRate is choose_rate: the lowest multiple of the requested rate
// the hardware takes exactly, else the nearest rate.
func (st *stream) chooseRate(p *pcm.HWParams, best uint32) error {
	save := *p
	it := save.Interval(pcm.ParamRate)
	for rate := best; best > 0; {
		if it.Max < rate || (it.Max == rate && it.OpenMax) {
			break
		}
		if it.Min < rate || (it.Min == rate && !it.OpenMin) {
			if v, err := st.paramSet(p, pcm.ParamRate, rate); err == nil && v == rate {
				return nil
			}
			*p = save
		}
		prev := rate
		rate += best
		if rate <= prev {
			break
		}
	}
	_, _, err := st.cons.ParamNear(p, pcm.ParamRate, best, 0)
	return err
}

func roundDownPow2(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return 1 << (63 - bits.LeadingZeros64(uint64(n)))
}

func roundUpPow2(n int64) int64 {
	if n <= 1 {
		return 1
	}
	return 1 << (64 - bits.LeadingZeros64(uint64(n-1)))
}

// periodSizeLocked is snd_pcm_oss_period_size: the fragment size and
// count from the oss setup, SETFRAGMENT or SUBDIVIDE, or the kernel's default (about a
// second of audio divided in 4 or 8 fragments of at least 4 KiB), bounded
// by what p still allows. The results go to periodBytes and periods.
// Precondition: st.mu held.
func (st *stream) periodSizeLocked(p *pcm.HWParams) error {
	format := pcm.Format(p.Mask(pcm.ParamFormat).Min())
	channels := int64(p.Interval(pcm.ParamChannels).Min)
	frameSize := int64(format.PhysicalWidth()) * channels / 8
	if frameSize <= 0 {
		return pcm.Errorf(syscall.EINVAL, "oss: frame size 0 (format %s, %d channels)", format, channels)
	}
	bufferSize := int64(p.Interval(pcm.ParamBufferSize).Max) // snd_pcm_hw_param_value_max
	if bufferSize <= 0 {
		return pcm.Errorf(syscall.EINVAL, "oss: no buffer size left")
	}
	ossBuffer := roundDownPow2(bufferSize * frameSize)

	var period int64
	switch {
	case st.setup.PeriodSize > 16:
		period = int64(st.setup.PeriodSize)
	case st.fragshift != 0:
		period = 1 << st.fragshift
		if period > ossBuffer/2 {
			period = ossBuffer / 2
		}
	default:
		bytesPerSec := int64(p.Interval(pcm.ParamRate).Min) * int64(format.PhysicalWidth()) * channels / 8
		period = ossBuffer
		for {
			period /= 2
			if period <= bytesPerSec {
				break
			}
		}
		sd := int64(st.subdivision)
		if sd == 0 {
			sd = 4
			if period/sd > 4096 {
				sd *= 2
			}
			if period/sd < 4096 {
				sd = 1
			}
		}
		period /= sd
		if period < 16 {
			period = 16
		}
	}

	if min := int64(p.Interval(pcm.ParamPeriodSize).Min); min > 0 {
		min = roundUpPow2(min * frameSize)
		if period < min {
			period = min
		}
	}
	if max := int64(p.Interval(pcm.ParamPeriodSize).Max); max > 0 {
		max = roundDownPow2(max * frameSize)
		if period > max {
			period = max
		}
	}

	periods := ossBuffer / period
	if st.setup.Periods > 1 {
		periods = int64(st.setup.Periods)
	}
	if s := int64(p.Interval(pcm.ParamPeriods).Max); s > 0 {
		if st.maxfrags != 0 && s > int64(st.maxfrags) {
			s = int64(st.maxfrags)
		}
		if periods > s {
			periods = s
		}
	}
	s := int64(p.Interval(pcm.ParamPeriods).Min)
	if s < 2 {
		s = 2
	}
	if periods < s {
		periods = s
	}
	for period*periods > ossBuffer {
		period /= 2
	}
	if period < 16 {
		return pcm.Errorf(syscall.EINVAL, "oss: fragment of %d bytes is too small", period)
	}
	if period > maxPeriodBytes {
		return pcm.Errorf(syscall.ENOMEM, "oss: fragment of %d bytes is over 1 MiB", period)
	}
	st.periodBytes = int(period)
	st.periods = int(periods)
	return nil
}

// changeParamsLocked is snd_pcm_oss_change_params_locked: turn the OSS
// setting (rate, channels, format, fragments, trigger) into hw_params and
// sw_params and install them. On success the stream is SETUP and must be
// prepared; the setting is replaced by what was installed.
// Precondition: st.mu held.
func (st *stream) changeParamsLocked() error {
	if !st.params {
		return nil
	}
	err := st.installLocked()
	if err != nil {
		st.buffer = nil // snd_pcm_oss_release_buffers
	}
	return err
}

func (st *stream) installLocked() error {
	var sp pcm.HWParams
	sp.Any() // _snd_pcm_hw_params_any
	// _snd_pcm_hw_param_setinteger(PERIODS), _snd_pcm_hw_param_min(PERIODS, 2)
	if pi := sp.Interval(pcm.ParamPeriods); true {
		pi.Integer = true
		if pi.Min < 2 {
			pi.Min, pi.OpenMin = 2, false
		}
	}
	// Direct mode: read/write access, interleaved only.
	am := sp.Mask(pcm.ParamAccess)
	if !am.Test(uint32(pcm.AccessRWInterleaved)) {
		return pcm.Errorf(syscall.EINVAL, "oss: no usable access")
	}
	am.None()
	am.Set(uint32(pcm.AccessRWInterleaved))
	if err := st.cons.Refine(&sp); err != nil {
		return pcm.Errorf(syscall.EINVAL, "oss: no usable access: %s", reason(err))
	}

	if err := st.chooseRate(&sp, uint32(st.rate)); err != nil {
		return err
	}
	if _, _, err := st.cons.ParamNear(&sp, pcm.ParamChannels, uint32(st.channels), 0); err != nil {
		return err
	}

	// Direct: the slave format is the client's, else the first the
	// hardware has that OSS can name.
	fm := sp.Mask(pcm.ParamFormat)
	format := FormatFrom(st.format)
	if !fm.Test(uint32(format)) {
		found := false
		for f := pcm.Format(0); f <= pcm.FormatLast; f++ {
			if _, ok := FormatTo(f); ok && fm.Test(uint32(f)) {
				format, found = f, true
				break
			}
		}
		if !found {
			return pcm.Errorf(syscall.EINVAL, "oss: cannot find a format")
		}
	}
	fm.None() // _snd_pcm_hw_param_set(FORMAT): no refine yet
	fm.Set(uint32(format))
	sp.CMask |= 1 << pcm.ParamFormat
	sp.RMask |= 1 << pcm.ParamFormat

	frameSize := format.PhysicalWidth() * int(sp.Interval(pcm.ParamChannels).Min) / 8
	if err := st.periodSizeLocked(&sp); err != nil {
		return err
	}
	if _, _, err := st.cons.ParamNear(&sp, pcm.ParamPeriodSize, uint32(st.periodBytes/frameSize), 0); err != nil {
		return err
	}
	if _, _, err := st.cons.ParamNear(&sp, pcm.ParamPeriods, uint32(st.periods), 0); err != nil {
		return err
	}

	st.sub.Drop() // the kernel ignores DROP's answer (EBADFD in OPEN)
	if err := st.sub.HWParams(&sp); err != nil {
		return err
	}
	cfg, ok := st.sub.Config()
	if !ok {
		return pcm.Errorf(syscall.EBADFD, "oss: hw_params installed but no configuration")
	}
	cur, err := st.sub.CurrentSWParams()
	if err != nil {
		return err
	}
	st.cfg, st.boundary = cfg, cur.Boundary

	sw := cur
	if st.trigger {
		sw.StartThreshold = 1
	} else {
		sw.StartThreshold = st.boundary
	}
	if st.dir == pcm.Capture {
		sw.StopThreshold = st.boundary
		sw.AvailMin = uint64(cfg.PeriodSize)
	} else {
		sw.StopThreshold = uint64(cfg.BufferSize)
		sw.AvailMin = 1
	}
	sw.TstampMode = 0 // SNDRV_PCM_TSTAMP_NONE
	sw.PeriodStep = 1
	silence := uint64(cfg.PeriodSize) + 16
	if silence > uint64(cfg.BufferSize) {
		silence = uint64(cfg.BufferSize)
	}
	sw.SilenceThreshold, sw.SilenceSize = silence, silence
	if err := st.sub.SWParams(&sw); err != nil {
		return err
	}

	st.periods = cfg.Periods
	st.periodBytes = cfg.PeriodBytes()
	st.bufferBytes = st.periodBytes * st.periods
	if st.bufferBytes <= 0 {
		return pcm.Errorf(syscall.EINVAL, "oss: empty buffer")
	}
	if a, ok := FormatTo(cfg.Format); ok {
		st.format = a
	}
	st.channels = cfg.Channels
	st.rate = cfg.Rate
	st.buffer = make([]byte, st.periodBytes)
	st.params = false
	st.prepare = true
	st.bufferUsed = 0
	st.periodFrames = cfg.PeriodSize
	return nil
}

// reason is the readable part of a core error.
func reason(err error) string {
	if e, ok := err.(*pcm.Error); ok {
		return e.Reason
	}
	return err.Error()
}

// eachStreamLocked runs set on each stream of the file with its parameters
// locked, capture first: the loop "for (idx = 1; idx >= 0; --idx)" over
// pcm_oss_file->streams[] with lock_params/unlock_params around the body
// that snd_pcm_oss_set_rate, _set_channels, _set_format, _set_subdivide and
// _set_fragment each spell out. It stops at the first error, lock_params'
// EBUSY during a transfer included.
func (d *DSP) eachStreamLocked(set func(st *stream) error) error {
	for dir := 1; dir >= 0; dir-- {
		st := d.streams[dir]
		if st == nil {
			continue
		}
		if err := st.lockParams(); err != nil {
			return err
		}
		err := set(st)
		st.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// setRate is snd_pcm_oss_set_rate: clamp to 1000..192000, remember, and
// answer the rate that gets installed.
func (d *DSP) setRate(rate int) (int, error) {
	if rate < 1000 {
		rate = 1000
	} else if rate > 192000 {
		rate = 192000
	}
	err := d.eachStreamLocked(func(st *stream) error {
		if st.rate != rate {
			st.params = true
			st.rate = rate
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return d.getRate()
}

// getRate is snd_pcm_oss_get_rate.
func (d *DSP) getRate() (int, error) {
	st, err := d.activeStream()
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.rate, nil
}

// setChannels is snd_pcm_oss_set_channels: at least 1, EINVAL above 128.
func (d *DSP) setChannels(channels int) (int, error) {
	if channels < 1 {
		channels = 1
	}
	if channels > 128 {
		return 0, pcm.Errorf(syscall.EINVAL, "oss: %d channels", channels)
	}
	err := d.eachStreamLocked(func(st *stream) error {
		if st.channels != channels {
			st.params = true
			st.channels = channels
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return d.getChannels()
}

// getChannels is snd_pcm_oss_get_channels.
func (d *DSP) getChannels() (int, error) {
	st, err := d.activeStream()
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.channels, nil
}

// getBlockSize is snd_pcm_oss_get_block_size: the fragment size.
func (d *DSP) getBlockSize() (int, error) {
	st, err := d.activeStream()
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.periodBytes, nil
}

// getFormats is snd_pcm_oss_get_formats in direct mode: the OSS names of
// the formats the hardware allows.
func (d *DSP) getFormats() (uint32, error) {
	st, err := d.activeStream()
	if err != nil {
		return 0, err
	}
	var p pcm.HWParams
	p.Any()
	if err := st.cons.Refine(&p); err != nil {
		return 0, err
	}
	m := p.Mask(pcm.ParamFormat)
	return FormatsOf(uint64(m.Bits[0]) | uint64(m.Bits[1])<<32), nil
}

// setFormat is snd_pcm_oss_set_format: an unsupported format becomes
// AFMT_U8; AFMT_QUERY only reads.
func (d *DSP) setFormat(format uint32) (uint32, error) {
	if format != AFMT_QUERY {
		formats, err := d.getFormats()
		if err != nil {
			return 0, err
		}
		if formats&format == 0 {
			format = AFMT_U8
		}
		err = d.eachStreamLocked(func(st *stream) error {
			if st.format != format {
				st.params = true
				st.format = format
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	return d.getFormat()
}

// getFormat is snd_pcm_oss_get_format.
func (d *DSP) getFormat() (uint32, error) {
	st, err := d.activeStream()
	if err != nil {
		return 0, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.format, nil
}

// setSubdivide is snd_pcm_oss_set_subdivide(1): 0 queries; 1, 2, 4, 8 or
// 16 once, and not after SETFRAGMENT (EINVAL).
func (d *DSP) setSubdivide(sub int) (int, error) {
	res, err := 0, error(pcm.Errorf(syscall.EINVAL, "oss: no substream"))
	if e := d.eachStreamLocked(func(st *stream) error {
		res, err = st.setSubdivideLocked(sub)
		return err
	}); e != nil {
		return 0, e
	}
	return res, err
}

func (st *stream) setSubdivideLocked(sub int) (int, error) {
	if sub == 0 {
		if st.subdivision == 0 {
			return 1, nil
		}
		return st.subdivision, nil
	}
	if st.subdivision != 0 || st.fragshift != 0 {
		return 0, pcm.Errorf(syscall.EINVAL, "oss: fragments already set")
	}
	switch sub {
	case 1, 2, 4, 8, 16:
	default:
		return 0, pcm.Errorf(syscall.EINVAL, "oss: subdivision %d", sub)
	}
	st.subdivision = sub
	st.params = true
	return sub, nil
}

// setFragment is snd_pcm_oss_set_fragment(1): val is 0xMMMMSSSS, fragments
// of 2^SSSS bytes (16 bytes at least, below 2^25), at most MMMM of them
// (at least 2). Once only, and not after SUBDIVIDE (EINVAL).
func (d *DSP) setFragment(val uint32) error {
	err := error(pcm.Errorf(syscall.EINVAL, "oss: no substream"))
	if e := d.eachStreamLocked(func(st *stream) error {
		err = st.setFragmentLocked(val)
		return err
	}); e != nil {
		return e
	}
	return err
}

func (st *stream) setFragmentLocked(val uint32) error {
	if st.subdivision != 0 || st.fragshift != 0 {
		return pcm.Errorf(syscall.EINVAL, "oss: fragments already set")
	}
	shift := int(val & 0xffff)
	if shift >= 25 {
		return pcm.Errorf(syscall.EINVAL, "oss: fragment size 2^%d", shift)
	}
	st.fragshift = shift
	st.maxfrags = int(val>>16) & 0xffff
	if st.fragshift < 4 {
		st.fragshift = 4
	}
	if st.maxfrags < 2 {
		st.maxfrags = 2
	}
	st.params = true
	return nil
}
