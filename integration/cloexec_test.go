package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vsnd/vsnd/fusefs"
)

// TestFuseFdNotInherited: a program started by the daemon must not inherit
// the FUSE connection (go-fuse's direct mount opens /dev/fuse without
// O_CLOEXEC). A client holding it keeps the connection alive, so a client
// stuck in a FUSE request could never be killed.
func TestFuseFdNotInherited(t *testing.T) {
	testMount(t, fusefs.Config{})
	var fuseFds []string
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == "/dev/fuse" {
			fuseFds = append(fuseFds, e.Name())
		}
	}
	if len(fuseFds) == 0 {
		t.Fatal("the mount holds no /dev/fuse fd: the test cannot check inheritance")
	}
	// The child lists its own fds: none may be /dev/fuse.
	out, err := exec.Command("sh", "-c", "ls -l /proc/$$/fd").CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "/dev/fuse") {
		t.Fatalf("a child process inherited the FUSE connection (daemon fds %v):\n%s", fuseFds, out)
	}
}
