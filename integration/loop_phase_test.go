package integration

import (
	"bytes"
	"os"
	"testing"
	"time"
)

// The loopback pair with the capture started first, then the playback (the
// other order than TestLoopbackBitExact, and no backlog): the two streams
// run on independent period timers at whatever phase they happened to
// start, and the capture records silence, then every played frame
// contiguous and bit-exact, then silence. The loop source holds a starting
// flow back for one capture period plus a margin, so a played period that
// reaches the capture a moment after the capture's interrupt is not
// recorded as silence in the middle of the flow.
func TestLoopbackCaptureFirst(t *testing.T) {
	ps, cs := loopMount(t)
	const period = 1024
	params := stereoS16 + " period_size=1024 buffer_size=4096"
	mustCtl(t, cs+"/hw_params", params) // the loop source opens: the pipe starts empty
	mustCtl(t, ps+"/hw_params", params)
	audio := noise(2*bytesPerS, 5) // 2 s; its first frame is not silence

	cf, err := openData(cs+"/data", os.O_RDONLY)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, 3*bytesPerS) // the capture's first 3 s
	capErr := make(chan error, 1)
	go func() { // the first read starts the capture
		_, err := ioReadFull(cf, got)
		cf.Close()
		capErr <- err
	}()
	waitFor(t, "the capture to run", 10*time.Second, func() bool { return hwPtr(t, cs) >= period })

	pf, err := openData(ps+"/data", os.O_WRONLY)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pf.Write(audio)
	if cerr := pf.Close(); err == nil { // drains
		err = cerr
	}
	if err != nil {
		t.Fatalf("playback: %v", err)
	}
	select {
	case err := <-capErr:
		if err != nil {
			t.Fatalf("capture: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the capture did not finish")
	}

	lead := 0
	for lead < len(got) && bytes.Equal(got[lead:lead+frameBytes], make([]byte, frameBytes)) {
		lead += frameBytes
	}
	if lead == len(got) {
		t.Fatal("the capture recorded only silence")
	}
	if len(got)-lead < len(audio) {
		t.Fatalf("the flow started %v into the capture: too late to record all of it", time.Duration(lead/frameBytes)*time.Second/rate)
	}
	if err := sameBytes(got[lead:lead+len(audio)], audio); err != nil {
		t.Errorf("loopback: %v", err)
	}
	if rest := got[lead+len(audio):]; !bytes.Equal(rest, make([]byte, len(rest))) {
		t.Errorf("after the played audio the capture is not silence")
	}
	t.Logf("the flow started %d frames into the capture; %d frames compared", lead/frameBytes, len(audio)/frameBytes)
}
