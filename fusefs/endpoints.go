package fusefs

import (
	"log/slog"

	"github.com/vsnd/vsnd/pcm"
	"github.com/vsnd/vsnd/pcm/endpoint"
	"github.com/vsnd/vsnd/pcm/mixer"
	"github.com/vsnd/vsnd/timer"
)

// endpointEnv is what the endpoints of one mount share: the loopback hub
// (card N device 0 playback sub S is heard on device 1 capture sub S, and
// the other way round, as snd-aloop).
type endpointEnv struct {
	env *endpoint.Env // immutable
}

func newEndpointEnv(log *slog.Logger) *endpointEnv {
	return &endpointEnv{env: &endpoint.Env{Loop: endpoint.NewLoopHub(), Logger: log}}
}

// closeStream is called when the server stops a stream; endpoints are
// closed by the core when the substream is released, so there is nothing
// left to do.
func (e *endpointEnv) closeStream(st *stream) {}

func (st *stream) streamID() endpoint.StreamID {
	return endpoint.StreamID{Card: st.dev.Card.Number, Device: st.dev.Number, Sub: st.num, Stream: st.dir}
}

// setEndpoint parses a sink (playback) or source (capture) SPEC, builds
// the endpoint and hands it to the substream; the core switches to it
// (at once, or at the next run). Errors are EINVAL with the reason.
func (st *stream) setEndpoint(spec string) error {
	var canon string
	if st.dir == pcm.Playback {
		ss, err := endpoint.ParseSink(spec)
		if err != nil {
			return err
		}
		k, err := ss.New(st.streamID(), st.env.env)
		if err != nil {
			return err
		}
		st.sub.SetSink(mixer.GainSink(k, st.mixer()))
		canon = ss.String()
	} else {
		ss, err := endpoint.ParseSource(spec)
		if err != nil {
			return err
		}
		r, err := ss.New(st.streamID(), st.env.env)
		if err != nil {
			return err
		}
		st.sub.SetSource(mixer.GainSource(r, st.mixer()))
		canon = ss.String()
	}
	st.mu.Lock()
	st.spec = canon
	st.mu.Unlock()
	return nil
}

// newBackend drives every substream of a card with the virtual driver over
// src (the hrtimer-like interrupt of snd-dummy).
func newBackend(src timer.Source) pcm.Backend {
	return pcm.Backend{Clock: src, NewDriver: func() pcm.Driver { return pcm.NewVirtualDriver(src) }}
}

// mixer is the mixer of the stream's card.
func (st *stream) mixer() *mixer.Mixer { return st.srv.mixers[st.dev.Card.Number] }
