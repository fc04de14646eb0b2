package network

import (
	"math/rand/v2"
	"time"
)

// Schedule decides how long a connector waits between attempts. It keeps
// two clocks apart: costly failures (a handshake or login that fails, a
// bridge that dies young) advance ActiveMQ's backoff; refused connects only
// count towards maxReconnectAttempts, at the pace ActiveMQ itself would have
// retried, so a connector gives up exactly when ActiveMQ's would.
type Schedule struct {
	cfg      Config
	costly   Backoff // between costly attempts
	virtual  Backoff // ActiveMQ's own pace, for counting refused connects as attempts
	nextVirt time.Time
	attempts int
	rng      *rand.Rand
}

// NewSchedule starts a schedule at now.
func NewSchedule(c Config, now time.Time) *Schedule {
	b := Backoff{Initial: c.InitialReconnectDelay, Max: c.MaxReconnectDelay, Multiplier: c.BackOffMultiplier, Exponential: c.UseExponentialBackOff}
	return &Schedule{cfg: c, costly: b, virtual: b, nextVirt: now, rng: rand.New(rand.NewPCG(c.JitterSeed, 0x6a6974746572))}
}

// Probe is the interval between connects to a peer that is not listening.
func (s *Schedule) Probe() time.Duration { return s.cfg.ProbeInterval }

// Up: a bridge is established; the attempts start counting again. The
// costly backoff resets only once the bridge proves stable (Ended), so a
// peer that accepts and drops every bridge still backs off.
func (s *Schedule) Up() {
	s.attempts = 0
	s.virtual.Reset()
}

// PeerAbsent: a connect was refused. Whatever made the peer refuse or drop
// us before belonged to its previous life, so its next one gets a fresh
// costly schedule. (ActiveMQ resets only after a bridge lived 5 s, so a hub
// that keeps dying quickly costs each spoke up to 30 s per outage.)
func (s *Schedule) PeerAbsent() { s.costly.Reset() }

// Refused counts a refused connect at ActiveMQ's pace and reports whether
// maxReconnectAttempts is exhausted.
func (s *Schedule) Refused(now time.Time) (gaveUp bool) {
	if now.Before(s.nextVirt) {
		return false
	}
	s.nextVirt = now.Add(s.virtual.Next())
	s.attempts++
	return s.cfg.MaxReconnectAttempts > 0 && s.attempts >= s.cfg.MaxReconnectAttempts
}

// Failed records a costly failure and returns the wait before the next
// costly attempt, with jitter, and whether to give up.
func (s *Schedule) Failed(now time.Time) (time.Duration, bool) {
	s.attempts++
	s.nextVirt = now.Add(s.virtual.Next())
	if s.cfg.MaxReconnectAttempts > 0 && s.attempts >= s.cfg.MaxReconnectAttempts {
		return 0, true
	}
	return s.jitter(s.costly.Next()), false
}

// Ended: an established bridge ended after living `lived`. A bridge that
// lived at least StableAfter proves the peer healthy: the schedule starts
// again and the wait is zero. A younger one is a costly failure: young
// reports it, with the wait it would cost if the peer is still listening
// (if it is not, PeerAbsent forgives it).
func (s *Schedule) Ended(lived time.Duration) (wait time.Duration, young bool) {
	if lived >= s.cfg.StableAfter {
		s.costly.Reset()
		return 0, false
	}
	return s.jitter(s.costly.Next()), true
}

// jitter spreads d by ±Jitter (a fraction), from the connector's seeded
// source, so many spokes of one hub do not retry in lockstep and a run can
// be replayed.
func (s *Schedule) jitter(d time.Duration) time.Duration {
	// ParseConnector accepts only 0 ≤ Jitter < 1; a Config built by hand
	// with NaN or ≥ 1 would make the wait NaN or negative, so it gets none.
	if !(s.cfg.Jitter > 0 && s.cfg.Jitter < 1) {
		return d
	}
	f := 1 + s.cfg.Jitter*(2*s.rng.Float64()-1)
	return time.Duration(float64(d) * f)
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
		// Clamped in float: converting a product beyond time.Duration's
		// range (a multiplier of 1e12 or Inf) wraps to about -292 years,
		// that is no wait at all. Written so that NaN clamps too; a
		// multiplier below 1 (a Config built by hand) never shrinks it.
		switch f := float64(b.next) * b.Multiplier; {
		case !(f < float64(b.Max)):
			b.next = b.Max
		case f > float64(b.next):
			b.next = time.Duration(f)
		}
	}
	return min(d, b.Max)
}

// Reset starts the schedule again from Initial.
func (b *Backoff) Reset() { b.next = 0 }
