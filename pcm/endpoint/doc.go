// Package endpoint is everything a vsnd stream plays into and records from:
// the pcm.Sink of a playback substream and the pcm.Source of a capture
// substream, chosen by a SPEC string, plus the sample conversion and WAV
// files they need.
//
// # Model
//
// A SPEC (flag, config file, or the runtime `sink`/`source` file of a
// substream) is parsed by ParseSink or ParseSource into a SinkSpec or
// SourceSpec; its New makes the endpoint of one substream, named by a
// StreamID, with an Env shared by the whole daemon (the LoopHub and the
// logger). The PCM core then drives the endpoint once per run:
//
//	Open(config)   after hw_params, before the first Write/Read
//	Write / Read   whole interleaved frames in config.Format (the core
//	               interleaves for non-interleaved access)
//	Close          hw_free, release or daemon stop; idempotent
//
// The core calls endpoints from its pump goroutines, never from the timer
// ("interrupt") goroutine, so a sink may block on disk I/O and a loop
// source may block waiting for data. One goroutine drives an endpoint's
// Open and Write or Read; Close may come from any goroutine, also while a
// Write or Read is in progress (every endpoint locks for it, and a loop
// Read blocked waiting for data is woken and returns io.EOF).
//
// # Sink SPECs
//
//	null            discard, count frames (NullSink.Frames)
//	wav:PATH        PATH a file: every run truncates and rewrites it.
//	                PATH an existing directory, or ending in "/" (created if
//	                missing): every run writes a new file
//	                <card>-<pcm><dev><p|c>-<sub>-NNNN.wav, e.g.
//	                wav:/var/tmp/vsnd/ -> /var/tmp/vsnd/card0-pcm0p-sub0-0001.wav,
//	                numbers counting up and skipping files that exist, so
//	                nothing is overwritten. WAVSink.Files lists them (and
//	                each is logged at Open and Close). Give substreams that
//	                share a SPEC a directory: with one file PATH every run of
//	                every such substream rewrites the same file.
//	loop            into the paired capture stream (see Loop)
//
// # Source SPECs
//
//	silence                 the format's silence (0x80.. for unsigned)
//	sine:FREQ[:AMPLITUDE]   e.g. sine:440, sine:997:0.25. AMPLITUDE is the
//	                        peak, 0..1 of full scale, default 0.5; every
//	                        channel the same; phase-continuous across Reads,
//	                        exact frequency at the run's rate (FREQ above
//	                        rate/2 fails Open with EINVAL)
//	noise[:AMPLITUDE]       uniform white noise in [-A, A), channels
//	                        independent, from a PCG seeded by the StreamID:
//	                        every run of a substream records the same noise
//	wav:PATH                the file, looped forever, converted to the run's
//	                        format and channels and, if its rate differs,
//	                        linearly resampled (no low-pass filter: fine for
//	                        test tones, aliases when downsampling rich
//	                        material). The file is streamed: opened at Open,
//	                        read a chunk at a time, rewound at its end.
//	loop                    the paired playback stream's frames (see Loop)
//
// White space around a SPEC is ignored. Bad SPECs are EINVAL with a reason
// that quotes the SPEC, e.g.
//
//	bad source "sine:-3": frequency "-3" is not a positive number of Hz
//
// SinkSpec.String and SourceSpec.String give the canonical text
// ("sine:440:0.5").
//
// # Conversion
//
// Converter converts any of the 22 formats in Formats with 1..32 channels
// to any other, as alsa-lib's plug plugin would:
//
//   - same format and channels: a plain copy, bit-exact;
//   - same width of 8, 16 or 32 bits, only byte order and/or signedness
//     differ: a byte swap and/or sign-bit flip in place, bit-exact;
//   - integer to integer: exact through a left-justified 32-bit value, so
//     byte swaps (S16_BE<->S16_LE), sign flips (U16<->S16) and widening
//     (S16->S32 is a shift) lose nothing; narrowing keeps the most
//     significant bits (truncation, as pcm_linear.c);
//   - float involved: an integer of width w is v/2^(w-1); a float becomes an
//     integer by clamping (>= 1.0 is the maximum, <= -1.0 the minimum),
//     truncating f*2^31 and narrowing (get32float in plugin_ops.h); NaN is 0;
//     floats are not clamped when the target is float.
//
// Lossless round trips: integer->wider or equal integer; integer of <= 24
// bits <-> FLOAT; any integer <-> FLOAT64; FLOAT <-> FLOAT64. A 24-bit
// sample in 4 bytes (S24_LE...) reads its low three bytes and is written
// sign-extended (signed) or with a zero top byte (unsigned).
//
// Channels, M in, N out (pcm_plug.c's default route table): M == N is
// one to one; 1 -> N duplicates the channel; M -> 1 averages all; otherwise
// channel i goes to i for i < min(M, N), further outputs are silence and
// further inputs dropped.
//
// # WAV files
//
// WAVWriter writes RIFF/WAVE: PCM for 8-bit unsigned and 16/24/32-bit
// signed, IEEE float (with a fact chunk) for 32/64-bit float, and
// WAVE_FORMAT_EXTENSIBLE (channel mask 0: vsnd does not know the speaker
// layout) for more than 2 channels or when the valid bits are fewer than
// the container's. A stream format WAV cannot hold as is is stored in the
// nearest WAV format, losslessly:
//
//	stream format                 WAV data                      how
//	U8                            8-bit PCM                     same bytes
//	S8                            8-bit PCM                     sign flipped
//	S16_LE                        16-bit PCM                    same bytes
//	S16_BE                        16-bit PCM                    byte swapped
//	U16_LE, U16_BE                16-bit PCM                    sign flipped (and swapped)
//	S24_3LE                       24-bit PCM                    same bytes
//	S24_3BE, U24_3LE, U24_3BE     24-bit PCM                    swapped / sign flipped
//	S24_LE, S24_BE, U24_LE/BE     EXTENSIBLE 32-bit container,  sample << 8: WAV keeps
//	                              24 valid bits                 valid bits left-justified
//	S32_LE                        32-bit PCM                    same bytes
//	S32_BE, U32_LE, U32_BE        32-bit PCM                    swapped / sign flipped
//	FLOAT_LE, FLOAT_BE            32-bit IEEE float             same / swapped
//	FLOAT64_LE, FLOAT64_BE        64-bit IEEE float             same / swapped
//
// (sox 14.4 refuses the 24-in-32 EXTENSIBLE file: "padded samples are not
// supported yet"; libsndfile, ffmpeg and vsnd's reader accept it.)
//
// WAVReader parses PCM, float and EXTENSIBLE files (and arecord's
// 24-bit-in-4-bytes PCM, as aplay does), skips unknown chunks, and trusts
// the file's length when the data size is larger or zero. A 24-in-32
// EXTENSIBLE file is delivered as S24_LE, so a file vsnd wrote reads back
// bit-exact after converting to the stream's format.
//
// The header is written at Open with zero sizes; the RIFF, fact and data
// sizes are rewritten every UpdateEvery bytes (about one second of audio,
// at most DefaultHeaderEvery) and at Close. A daemon killed mid-run
// leaves a valid file holding the audio up to the last update. Sizes
// saturate at 4 GiB - 1; beyond that readers must go by the file length.
// Close does not fsync: the data is in the kernel when Close returns, which
// survives the daemon but not a machine crash.
//
// # Loop
//
// LoopHub pairs streams as snd-aloop (sound/drivers/aloop.c) does: card N
// device 0 playback substream S feeds card N device 1 capture substream S,
// and device 1 playback S feeds device 0 capture S. "loop" on any other
// device, or as a sink of a capture stream, is EINVAL; a daemon creates one
// hub and puts it in Env.
//
// Each pair has a bounded ring of DefaultLoopCapacity of the writer's audio
// (at most MaxLoopBytes, at least two of its buffers). The sink never blocks: while no loop
// source is open its frames are discarded (LoopStats.Unheard: capture only
// hears what plays while it runs); when the source falls a whole capacity
// behind, the oldest frames are overwritten (LoopStats.Overflow). A source
// Open discards stale frames. Read blocks until frames are queued (the
// core records silence meanwhile). When a flow starts (source Open, or
// frames into an empty pipe after the writer was silent for the idle time)
// it holds them until one capture period plus LoopOptions.Margin
// (DefaultLoopMargin) is queued, then hands everything over as it comes,
// so phase jitter between the two ends' timers never becomes silence in
// the middle of a flow; a hold ends early at the sink's Close or when the
// writer goes idle (loop_preroll.go). Close wakes a blocked Read with
// io.EOF. Frames arrive in order and bit-exact when
// both ends share format, channels and rate; otherwise they are converted
// as above and linearly resampled. A sink run in another configuration
// discards what the previous run left queued. Unlike snd-aloop, neither end
// fixes the other's hw_params: each end runs in its own configuration and
// the pipe converts. LoopHub.Stats and LoopSink.Stats report the counters.
//
// Lock order: LoopHub.mu, then a pipe's mu. WAVSink.mu guards a sink's file
// so Files may be called from any goroutine.
package endpoint
