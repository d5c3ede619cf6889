package fusefs

import (
	"context"

	"github.com/hanwen/go-fuse/v2/fs"
)

// addOSSNodes adds the OSS face's nodes to DIR/dev: dsp, dspN, mixer
// (fusefs/oss answers their ioctls).
func (r *rootNode) addOSSNodes(ctx context.Context, dev *fs.Inode) {}
