package control

import (
	"context"
	"time"

	"github.com/pgrst/pgrst/wire"
)

// Notification payloads on the channel.
const (
	payloadSchema = "reload schema"
	payloadConfig = "reload config"
)

// listen keeps a dedicated connection LISTENing on db-channel. It
// closes first after its first attempt, which Run's first load waits
// for. Every time it connects after that attempt it asks for both
// reloads, since notifications sent while it was away are lost. A lost
// connection is retried with exponential backoff (1s doubling to 32s),
// cut short when the pool reports that the database answers again (Wake).
func (p *Plane) listen(ctx context.Context, first chan struct{}) {
	uri, channel := p.running.DBURI, p.running.Get("db-channel")
	timeout := time.Duration(p.running.Int("db-timeout")) * time.Second
	backoff := minBackoff
	for {
		l, err := wire.Listen(ctx, uri, channel, timeout)
		firstAttempt := first != nil
		if firstAttempt {
			close(first)
			first = nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			p.o.Log.Error().Err(err).Str("channel", channel).Dur("retry_in", backoff).
				Msg("listener: cannot listen for notifications")
			if !sleep(ctx, backoff, p.wakeListener) {
				return
			}
			backoff = min(backoff*2, maxBackoff)
			continue
		}
		backoff = minBackoff
		p.listenerUp.Store(true)
		p.o.Log.Log().Str("channel", channel).Str("postgres", l.ServerVersion()).
			Msg("listening for notifications")
		if !firstAttempt {
			p.request(wantSchema | wantConfig)
		}
		for {
			payload, err := l.Wait(ctx)
			if err != nil {
				break
			}
			p.notifications.Add(1)
			switch payload {
			case payloadSchema:
				p.o.Log.Debug().Str("channel", channel).Msg("notification: reload schema")
				p.request(wantSchema)
			case payloadConfig:
				p.o.Log.Debug().Str("channel", channel).Msg("notification: reload config")
				p.request(wantConfig)
			case "":
				p.o.Log.Debug().Str("channel", channel).Msg("notification: reload schema and config")
				p.request(wantSchema | wantConfig)
			default:
				p.o.Log.Warn().Str("channel", channel).Str("payload", payload).
					Msg("notification ignored: the payload is neither 'reload schema' nor 'reload config'")
			}
		}
		l.Close()
		p.listenerUp.Store(false)
		if ctx.Err() != nil {
			return
		}
		p.o.Log.Error().Str("channel", channel).Msg("listener: connection lost; reconnecting")
		// Drain a wake-up from before the loss, then try at once.
		select {
		case <-p.wakeListener:
		default:
		}
	}
}

// sleep waits for d, or until wake or ctx; false when ctx ended.
func sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}
