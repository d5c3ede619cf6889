package nsrun

import (
	"os"
	"os/exec"
	"testing"
)

func TestIsHostSound(t *testing.T) {
	for name, want := range map[string]bool{
		"snd": true, "dsp": true, "dsp1": true, "adsp": true, "mixer": true, "mixer2": true, "audio": true,
		"sequencer": true, "midi00": true, "null": false, "pts": false, "shm": false, "tty0": false, "fuse": false,
	} {
		if got := isHostSound(name); got != want {
			t.Errorf("isHostSound(%q) = %v, want %v", name, got, want)
		}
	}
}

// ExitCode is the shell's: the status, or 128+N for signal N.
func TestExitCode(t *testing.T) {
	for script, want := range map[string]int{"exit 0": 0, "exit 3": 3, "kill -TERM $$": 143, "kill -KILL $$": 137} {
		cmd := exec.Command("sh", "-c", script)
		cmd.Run()
		if got := ExitCode(cmd.ProcessState); got != want {
			t.Errorf("%q: ExitCode %d, want %d", script, got, want)
		}
	}
	if ExitCode(nil) != 127 {
		t.Error("ExitCode(nil) != 127")
	}
}

// Command refuses a directory that is not a vsnd mount and an empty
// program, before anything is started.
func TestCommandChecks(t *testing.T) {
	if _, err := Command(t.TempDir(), []string{"true"}); err == nil {
		t.Error("a plain directory was accepted as a vsnd mount")
	}
	dir := t.TempDir()
	if err := os.MkdirAll(dir+"/dev/snd", 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Command(dir, nil); err == nil {
		t.Error("no program accepted")
	}
	cmd, err := Command(dir, []string{"aplay", "-l"})
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Args[0] != "aplay" || cmd.Args[1] != HelperArg || cmd.Args[3] != "--" || cmd.Args[4] != "aplay" {
		t.Errorf("helper arguments %q", cmd.Args)
	}
}
