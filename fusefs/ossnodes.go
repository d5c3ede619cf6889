package fusefs

import (
	"context"
	"strconv"

	"github.com/hanwen/go-fuse/v2/fs"

	"github.com/vsnd/vsnd/fusefs/oss"
)

// addOSSNodes adds the OSS face's nodes to DIR/dev, named as the kernel's
// OSS emulation names its devices (sound/core/sound_oss.c,
// snd_pcm_oss_register_minor with the default dsp_map/adsp_map):
//
//	dsp, dspN      card 0 (N: card N), PCM device 0
//	adsp, adspN    card 0 (N: card N), PCM device 1
//	mixer, mixerN  card 0 (N: card N), the card's mixer
//
// PCM devices 2 and up have no OSS node, as in the kernel. fusefs/oss
// answers the requests; the card's pcm/mixer is the OSS mixer's backend.
func (r *rootNode) addOSSNodes(ctx context.Context, dev *fs.Inode) {
	s := r.srv
	f := newOSSFace(s)
	s.oss = f
	for i, c := range s.cards {
		suffix := ""
		if c.Number > 0 {
			suffix = strconv.Itoa(c.Number)
		}
		m := oss.NewMixer(c.Driver, c.MixerName, s.mixers[i].OSS())
		r.addFile(ctx, dev, "mixer"+suffix, &mixerNode{face: f, mixer: m, name: "dev/mixer" + suffix})
		for _, d := range c.Devices {
			var name string
			switch d.Number {
			case 0:
				name = "dsp" + suffix
			case 1:
				name = "adsp" + suffix
			default:
				continue
			}
			r.addFile(ctx, dev, name, &dspNode{face: f, dev: d, mixer: m, name: "dev/" + name})
		}
	}
}
