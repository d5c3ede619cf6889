// Command vsnd mounts a virtual sound card as a FUSE filesystem.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "vsnd: not yet implemented")
	os.Exit(2)
}
