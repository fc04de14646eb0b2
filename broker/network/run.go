package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"
)

// Hooks are what Run needs from the broker. Connect is the cheap part of an
// attempt (a TCP connect: refused costs the peer nothing); Session is the
// costly part (TLS handshake, CONNECT/CONNECTED, then the bridge itself) and
// calls up once the bridge is established, so that a connection that dies
// before that counts as a failed attempt.
type Hooks struct {
	Connect func(ctx context.Context, p Peer) (net.Conn, error)
	Session func(ctx context.Context, conn net.Conn, p Peer, up func()) error
	Observe Observer
	Clock   Clock // nil: the real clock
}

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

// Kind says what a failed attempt cost and whether retrying can help.
type Kind int

const (
	// FailOther is a costly failure without a more precise kind.
	FailOther Kind = iota
	// FailTLS: the handshake failed (Class says how).
	FailTLS
	// FailAuth: the peer refused the bridge's login.
	FailAuth
	// FailStall: the peer accepted TCP but never answered in time.
	FailStall
	// FailDispose: retrying cannot help (a connector pointing at its own
	// broker); Run stops.
	FailDispose
	// FailAbsent: the connection was accepted and closed before the peer
	// said a word (a proxy or load balancer with nothing behind it): as
	// cheap as a refused connect, and probed as often.
	FailAbsent
)

func (k Kind) String() string {
	return [...]string{"failed", "tls-failed", "auth-failed", "stalled", "disposed", "absent"}[k]
}

// Failure is a failed attempt with its kind, returned by Session.
type Failure struct {
	Kind  Kind
	Class string // for FailTLS: the tlsconf class
	Err   error
}

func (f *Failure) Error() string { return f.Err.Error() }
func (f *Failure) Unwrap() error { return f.Err }

// Fail wraps err as a failure of kind k.
func Fail(k Kind, class string, err error) error { return &Failure{Kind: k, Class: class, Err: err} }

// KindOf returns the kind of a Session error (FailOther when untyped).
func KindOf(err error) (Kind, string) {
	var f *Failure
	if errors.As(err, &f) {
		return f.Kind, f.Class
	}
	return FailOther, ""
}

// Run keeps the connector connected until ctx is done, or until the attempts
// are exhausted or a Session says retrying cannot help.
//
// The schedule: a TCP connect that is refused costs nothing, so while a peer
// is not listening it is probed every ProbeInterval and the bridge is up
// within about that long after it listens again, however long it was away.
// Only costly failures (a TLS handshake or a login that fails, a peer that
// stalls, a bridge that dies young while its peer stays reachable) follow
// ActiveMQ's backoff, so a broken peer is never stormed. A peer found not
// listening has restarted or gone: its next life starts a fresh schedule.
func Run(ctx context.Context, c Config, h Hooks) error {
	clk := h.Clock
	if clk == nil {
		clk = RealClock{}
	}
	s := NewSchedule(c, clk.Now())
	observe := h.Observe
	probing := false // refused connects are being repeated quietly
	flapCheck := false
	var pending time.Duration // wait before the next costly attempt
	var lived time.Duration   // how long the last bridge lived
	// absent handles a peer found not there: a fresh costly schedule for
	// its next life, one quiet retrying event, a probe interval's wait.
	absent := func(p Peer, err error) error {
		s.PeerAbsent()
		pending, flapCheck = 0, false
		if s.Refused(clk.Now()) {
			observe(StateStopped, p, ErrGaveUp, 0)
			return ErrGaveUp
		}
		if !probing {
			observe(StateRetrying, p, fmt.Errorf("%w; probing every %v until it listens", err, s.Probe()), s.Probe())
			probing = true
		}
		if err := clk.Sleep(ctx, s.Probe()); err != nil {
			observe(StateStopped, p, nil, 0)
			return err
		}
		return nil
	}
	for i := 0; ; {
		p := c.Peers[i]
		if pending > 0 && !flapCheck {
			if err := clk.Sleep(ctx, pending); err != nil {
				observe(StateStopped, p, nil, 0)
				return err
			}
			pending = 0
		}
		conn, err := h.Connect(ctx, p)
		if ctx.Err() != nil {
			if conn != nil {
				conn.Close()
			}
			observe(StateStopped, p, nil, 0)
			return ctx.Err()
		}
		if err != nil {
			// Not listening: the peer is down or restarting, and probing it
			// costs it nothing.
			if stop := absent(p, err); stop != nil {
				return stop
			}
			i = (i + 1) % len(c.Peers)
			continue
		}
		if flapCheck {
			flapCheck = false
			if closedAtOnce(conn, s.Probe()) {
				// A proxy with nothing behind it: the peer died, it did
				// not drop us.
				if stop := absent(p, errors.New("the connection was closed before a word was said")); stop != nil {
					return stop
				}
				continue
			}
			// The peer dropped a young bridge and is still there: it
			// drops us, so it waits out the backoff like any costly
			// failure.
			conn.Close()
			observe(StateRetrying, p, fmt.Errorf("the bridge lived only %v and %s is still there: it drops us, so it waits like a failed attempt", lived.Round(time.Millisecond), p.ServerName), pending)
			continue
		}
		if !probing {
			observe(StateConnecting, p, nil, 0)
		}
		wasUp := false
		var upAt time.Time
		err = h.Session(ctx, conn, p, func() {
			wasUp, upAt, probing = true, clk.Now(), false
			s.Up()
			observe(StateUp, p, nil, 0)
		})
		conn.Close()
		if ctx.Err() != nil {
			if wasUp {
				observe(StateDown, p, err, 0)
			}
			observe(StateStopped, p, nil, 0)
			return ctx.Err()
		}
		if wasUp {
			observe(StateDown, p, err, 0)
			lived = clk.Now().Sub(upAt)
			if d, young := s.Ended(lived); young {
				pending, flapCheck = d, true
			}
			continue // straight back: the next connect says whether the peer is still there
		}
		kind, _ := KindOf(err)
		if kind == FailAbsent {
			if stop := absent(p, err); stop != nil {
				return stop
			}
			i = (i + 1) % len(c.Peers)
			continue
		}
		if kind == FailDispose {
			observe(StateStopped, p, err, 0)
			return err
		}
		probing = false
		var gaveUp bool
		pending, gaveUp = s.Failed(clk.Now())
		if gaveUp {
			observe(StateStopped, p, ErrGaveUp, 0)
			return ErrGaveUp
		}
		observe(StateRetrying, p, err, pending)
		i = (i + 1) % len(c.Peers) // ActiveMQ tries the next URI when one fails
	}
}

// closedAtOnce says whether the other end closes a fresh connection within
// window without a word, as a proxy does when nothing listens behind it. A
// live STOMP or TLS server waits for us to speak first.
func closedAtOnce(conn net.Conn, window time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(window))
	_, err := conn.Read(make([]byte, 1))
	var ne net.Error
	return err != nil && !(errors.As(err, &ne) && ne.Timeout())
}

// Clock is the time Run lives in; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits d, or returns ctx.Err() when ctx ends first.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

func (RealClock) Now() time.Time { return time.Now() }

func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
