package network

import (
	"context"
	"errors"
	"net"
	"time"
)

// Dialer opens a connection to a peer, TLS handshake included, so that a
// handshake failure is a dial failure.
type Dialer func(ctx context.Context, p Peer) (net.Conn, error)

// Session runs a bridge over an established connection until it ends. It
// calls up() once the bridge is established (after its own handshake), so
// that a connection that dies before that counts as a failed attempt.
type Session func(ctx context.Context, conn net.Conn, p Peer, up func()) error

// Observer hears about every state change. err is the dial or session error
// for StateDown/StateRetrying; delay is the wait before the next attempt.
type Observer func(state string, p Peer, err error, delay time.Duration)

// States reported to the Observer; the same words as events.State*.
const (
	StateConnecting = "connecting"
	StateUp         = "up"
	StateDown       = "down"
	StateRetrying   = "retrying"
	StateStopped    = "stopped"
)

// ErrGaveUp is returned by Run when maxReconnectAttempts is exhausted.
var ErrGaveUp = errors.New("network: gave up after maxReconnectAttempts")

// Run keeps the connector connected until ctx is done.
func Run(ctx context.Context, c Config, dial Dialer, session Session, observe Observer) error {
	b := Backoff{Initial: c.InitialReconnectDelay, Max: c.MaxReconnectDelay, Multiplier: c.BackOffMultiplier, Exponential: c.UseExponentialBackOff}
	attempts := 0
	for i := 0; ; i = (i + 1) % len(c.Peers) {
		p := c.Peers[i]
		observe(StateConnecting, p, nil, 0)
		conn, err := dial(ctx, p)
		if err == nil {
			wasUp := false
			err = session(ctx, conn, p, func() {
				wasUp = true
				attempts = 0
				b.Reset()
				observe(StateUp, p, nil, 0)
			})
			conn.Close()
			if wasUp {
				observe(StateDown, p, err, 0)
			}
		}
		if ctx.Err() != nil {
			observe(StateStopped, p, nil, 0)
			return ctx.Err()
		}
		attempts++
		if c.MaxReconnectAttempts > 0 && attempts >= c.MaxReconnectAttempts {
			observe(StateStopped, p, ErrGaveUp, 0)
			return ErrGaveUp
		}
		delay := b.Next()
		observe(StateRetrying, p, err, delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			observe(StateStopped, p, nil, 0)
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Backoff is ActiveMQ's reconnect schedule: Initial, then ×Multiplier per
// failure up to Max when Exponential, else always Initial.
type Backoff struct {
	Initial, Max time.Duration
	Multiplier   float64
	Exponential  bool
	next         time.Duration
}

// Next returns the delay before the next attempt and advances the schedule.
func (b *Backoff) Next() time.Duration {
	if b.next == 0 {
		b.next = b.Initial
	}
	d := b.next
	if b.Exponential {
		b.next = min(time.Duration(float64(b.next)*b.Multiplier), b.Max)
	}
	return min(d, b.Max)
}

// Reset starts the schedule again from Initial.
func (b *Backoff) Reset() { b.next = 0 }
