package broker

import (
	"context"
	"log/slog"

	"github.com/brokerlab/brokerlab/broker/events"
)

// logEvent writes an event to Options.Logger as a structured record: what
// a person grepping logs needs (node, kind, link, state, class, peer,
// reason), at a level by how much it matters. Events never carry secrets,
// so neither do the logs.
func (b *Broker) logEvent(e events.Event) {
	l := b.cfg.Logger
	level := eventLevel(e)
	if l == nil || !l.Enabled(context.Background(), level) {
		return
	}
	attrs := []slog.Attr{slog.String("node", e.Node), slog.String("kind", string(e.Kind))}
	for _, kv := range [][2]string{{"link", e.Link}, {"state", e.State}, {"side", e.Side}, {"class", e.Class},
		{"peer", e.Peer}, {"remote", e.Remote}, {"local", e.Local}, {"dest", e.Dest}, {"id", e.ID}, {"reason", e.Reason}} {
		if kv[1] != "" {
			attrs = append(attrs, slog.String(kv[0], kv[1]))
		}
	}
	if e.Delay > 0 {
		attrs = append(attrs, slog.Duration("delay", e.Delay))
	}
	l.LogAttrs(context.Background(), level, string(e.Kind), attrs...)
}

func eventLevel(e events.Event) slog.Level {
	switch e.Kind {
	case events.TLSFailed, events.ConnRefused, events.ProducerBlocked, events.AuthFailed, events.AuthzDenied:
		return slog.LevelWarn
	case events.BridgeState:
		switch e.State {
		case events.StateDown, events.StateFailing, events.StateRetrying, events.StateTLSFailed, events.StateAuthFailed:
			return slog.LevelWarn
		}
	case events.MessageForwarded, events.ConnAccepted, events.ConnClosed, events.Authenticated:
		return slog.LevelDebug
	case events.MessageDropped:
		return slog.LevelInfo
	case events.StoreRecovered:
		return storeLevel(e.State)
	}
	return slog.LevelInfo
}

// storeLevel ranks store events by their state. One without a known state
// is an error: the store's successes are named (recovered), and whatever
// else it has to say is about persistent messages at risk.
func storeLevel(state string) slog.Level {
	switch state {
	case storeRecovered:
		return slog.LevelInfo
	case storeTruncated, storeAcksLost:
		return slog.LevelWarn
	}
	return slog.LevelError
}
