package procmem

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The test binary doubles as the client process: with VSND_PROCMEM_HELPER
// set it runs helperMain, which holds a buffer with a known pattern and a
// descriptor opened O_NONBLOCK on VSND_PROCMEM_FILE, and obeys commands on
// stdin (one per line, answered with one line on stdout).
func TestMain(m *testing.M) {
	if os.Getenv("VSND_PROCMEM_HELPER") == "1" {
		helperMain()
		return
	}
	os.Exit(m.Run())
}

const helperBufLen = 3 * 4096

func pattern(i int) byte { return byte(i*7 + 3) }

func helperMain() {
	buf := make([]byte, helperBufLen)
	for i := range buf {
		buf[i] = pattern(i)
	}
	fd, err := unix.Open(os.Getenv("VSND_PROCMEM_FILE"), unix.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Printf("ready %x %d\n", uintptr(unsafe.Pointer(&buf[0])), fd)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		if len(f) == 0 {
			continue
		}
		switch f[0] {
		case "block", "nonblock":
			fl, _ := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
			if f[0] == "block" {
				fl &^= unix.O_NONBLOCK
			} else {
				fl |= unix.O_NONBLOCK
			}
			_, err = unix.FcntlInt(uintptr(fd), unix.F_SETFL, fl)
			fmt.Println("ok", err)
		case "dump": // dump OFF LEN
			off, _ := strconv.Atoi(f[1])
			n, _ := strconv.Atoi(f[2])
			fmt.Println("ok", hex.EncodeToString(buf[off:off+n]))
		case "swap": // put another file on the same fd number
			other, err := unix.Open(f[1], unix.O_RDONLY, 0)
			if err == nil {
				err = unix.Dup2(other, fd)
				unix.Close(other)
			}
			fmt.Println("ok", err)
		case "exit":
			os.Exit(0)
		}
	}
}

// helper is a running client process.
type helper struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Scanner
	addr uintptr // address of its pattern buffer
	fd   int     // its descriptor on file
	file string
}

func startHelper(t *testing.T) *helper {
	t.Helper()
	file := t.TempDir() + "/pcmC0D0p"
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "VSND_PROCMEM_HELPER=1", "VSND_PROCMEM_FILE="+file)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &helper{cmd: cmd, in: in, out: bufio.NewScanner(outPipe), file: file}
	t.Cleanup(func() { h.stop() })
	f := strings.Fields(h.line(t))
	if len(f) != 3 || f[0] != "ready" {
		t.Fatalf("helper said %q", f)
	}
	a, _ := strconv.ParseUint(f[1], 16, 64)
	h.addr = uintptr(a)
	h.fd, _ = strconv.Atoi(f[2])
	return h
}

func (h *helper) pid() int { return h.cmd.Process.Pid }

// line reads one answer, failing the test after a generous deadline.
func (h *helper) line(t *testing.T) string {
	t.Helper()
	ch := make(chan string, 1)
	go func() {
		if h.out.Scan() {
			ch <- h.out.Text()
		}
		close(ch)
	}()
	select {
	case s, ok := <-ch:
		if !ok {
			t.Fatal("helper exited")
		}
		return s
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not answer within 30 s")
	}
	return ""
}

// do sends a command and returns the answer after "ok ".
func (h *helper) do(t *testing.T, cmd string) string {
	t.Helper()
	fmt.Fprintln(h.in, cmd)
	s := h.line(t)
	if !strings.HasPrefix(s, "ok ") {
		t.Fatalf("%s: helper said %q", cmd, s)
	}
	return strings.TrimPrefix(s, "ok ")
}

// stop ends the helper (it exits when its stdin closes or on "exit") and
// reaps it.
func (h *helper) stop() {
	if h.cmd.ProcessState != nil {
		return
	}
	fmt.Fprintln(h.in, "exit")
	h.in.Close()
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		h.cmd.Process.Kill() // our own child, by pid
		<-done
	}
}
