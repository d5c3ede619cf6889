package pcm

// Sink receives what a playback substream plays. The core never calls it
// on the interrupt path: the period callback copies played frames into a
// bounded FIFO and a goroutine of the substream's feeds the sink from it, so
// a slow sink can fall behind (its overflow is counted in Status) but never
// stalls the interrupt.
type Sink interface {
	// Open starts a run in configuration c (called before the first Write
	// after hw_params).
	Open(c Config) error
	// Write takes whole frames in c's format.
	Write(p []byte) (int, error)
	// Close ends the run (hw_free, release, or the daemon stopping); a WAV
	// sink finishes its header here.
	Close() error
}

// Source supplies what a capture substream records. Like Sink it is read by
// a goroutine of the substream's into a bounded FIFO, and the period
// callback takes from the FIFO; a source that cannot keep up is recorded as
// silence and counted.
type Source interface {
	// Open starts a run in configuration c.
	Open(c Config) error
	// Read fills p with whole frames in c's format. It may block until data
	// is available (loopback); it returns io.EOF when it will never produce
	// more.
	Read(p []byte) (int, error)
	// Close ends the run. It may be called from another goroutine while
	// a Read is blocked (the core ends a loopback capture waiting for
	// data this way); the blocked Read then returns io.EOF.
	Close() error
}
