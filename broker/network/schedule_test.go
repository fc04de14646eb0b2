package network

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeClock is virtual time: Sleep advances it at once, so a schedule of
// minutes is checked in microseconds and exactly.
type fakeClock struct{ t time.Duration }

func (c *fakeClock) Now() time.Time { return time.Unix(0, 0).Add(c.t) }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.t += d
	return nil
}

// fakeConn knows whether its far end closed at once, so tests need not
// wait on real time to find out.
type fakeConn struct {
	net.Conn
	gone bool
}

// world scripts a peer in virtual time: whether it listens, how a costly
// attempt ends, how long a bridge lives.
type world struct {
	clk       *fakeClock
	listening func(t time.Duration) bool
	attempt   func(t time.Duration) error         // nil: the bridge comes up
	lives     func(t time.Duration) time.Duration // how long a bridge that came up lives
	stopAt    time.Duration
	connects  []time.Duration
	attempts  []time.Duration
	log       []string // "t state delay"
	ups       []time.Duration
	delays    []time.Duration
	open      []net.Conn
	proxied   bool // a proxy in front of the peer: TCP always connects
}

// maxWorldConnects ends a run whose virtual clock stopped advancing (a
// schedule that waits zero or less), so such a bug fails a test rather than
// hanging it.
const maxWorldConnects = 20000

func (w *world) run(t *testing.T, uri string) error {
	t.Helper()
	cfg, err := ParseConnector(uri)
	if err != nil {
		t.Fatal(err)
	}
	return w.runConfig(cfg)
}

func (w *world) runConfig(cfg Config) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer func() {
		for _, c := range w.open {
			c.Close()
		}
	}()
	return Run(ctx, cfg, Hooks{
		Clock: w.clk,
		Gone:  func(c net.Conn, _ time.Duration) bool { return c.(*fakeConn).gone },
		Connect: func(ctx context.Context, p Peer) (net.Conn, error) {
			if w.clk.t >= w.stopAt || len(w.connects) >= maxWorldConnects {
				cancel()
				return nil, ctx.Err()
			}
			w.connects = append(w.connects, w.clk.t)
			up := w.listening(w.clk.t)
			if !up && !w.proxied {
				return nil, errors.New("connect: connection refused")
			}
			// The far end stays open and silent, as a live server's does;
			// a proxy with nothing behind it closes it at once.
			a, b := net.Pipe()
			w.open = append(w.open, b)
			if !up {
				b.Close()
			}
			return &fakeConn{Conn: a, gone: !up}, nil
		},
		Session: func(ctx context.Context, conn net.Conn, p Peer, up func()) error {
			if w.proxied && !w.listening(w.clk.t) {
				return Fail(FailAbsent, "", errors.New("EOF before a word"))
			}
			w.attempts = append(w.attempts, w.clk.t)
			if w.attempt != nil {
				if err := w.attempt(w.clk.t); err != nil {
					return err
				}
			}
			up()
			w.ups = append(w.ups, w.clk.t)
			life := time.Hour
			if w.lives != nil {
				life = w.lives(w.clk.t)
			}
			w.clk.t += life
			return errors.New("peer closed the connection")
		},
		Observe: func(state string, p Peer, err error, delay time.Duration) {
			w.log = append(w.log, fmt.Sprintf("%v %s %v", w.clk.t, state, delay))
			if state == StateRetrying {
				w.delays = append(w.delays, delay)
			}
		},
	})
}

const hubURI = "static://(ssl://127.0.0.1:61617?serverName=hub)"

// A hub down for a long time: refused connects cost nothing, so they are
// repeated every probe interval and the bridge is up one probe after the hub
// listens again. ActiveMQ's default schedule would have reached 16 s by then.
func TestScheduleHubBackAfterLongOutage(t *testing.T) {
	for _, down := range []time.Duration{time.Second, 5 * time.Second, 20 * time.Second, 5 * time.Minute} {
		w := &world{clk: &fakeClock{}, stopAt: down + time.Minute,
			listening: func(t time.Duration) bool { return t >= down },
			lives:     func(time.Duration) time.Duration { return time.Hour }}
		w.run(t, hubURI)
		if len(w.ups) == 0 {
			t.Fatalf("down %v: never up; log %v", down, w.log)
		}
		late := w.ups[0] - down
		if late < 0 || late > DefaultProbeInterval {
			t.Errorf("down %v: up %v after the hub listened, want within one probe (%v)", down, late, DefaultProbeInterval)
		}
		if n := len(w.attempts); n != 1 {
			t.Errorf("down %v: %d costly attempts, want 1 (refused connects are not attempts)", down, n)
		}
		// One retrying event for the whole outage, not one per probe.
		if n := strings.Count(strings.Join(w.log, "\n"), StateRetrying); n != 1 {
			t.Errorf("down %v: %d retrying events, want 1: %v", down, n, w.log)
		}
	}
}

// A hub that listens but fails every handshake follows ActiveMQ's backoff
// exactly: +1, 2, 4, 8, 16 s, then 30 s; the hub is never stormed.
func TestScheduleCostlyFailuresBackOff(t *testing.T) {
	w := &world{clk: &fakeClock{}, stopAt: 2 * time.Minute,
		listening: func(time.Duration) bool { return true },
		attempt: func(time.Duration) error {
			return Fail(FailTLS, "unknown-authority", errors.New("tls: unknown certificate authority"))
		}}
	w.run(t, hubURI)
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30, 30}
	for i, d := range want {
		if i >= len(w.delays) || w.delays[i] != d*time.Second {
			t.Fatalf("delays %v, want %v s", w.delays, want)
		}
	}
	var at []time.Duration
	for _, a := range w.attempts {
		at = append(at, a)
	}
	wantAt := []time.Duration{0, 1, 3, 7, 15, 31, 61, 91}
	for i, s := range wantAt {
		if at[i] != s*time.Second {
			t.Fatalf("attempts at %v, want %v s", at, wantAt)
		}
	}
	// Between attempts the connector only checks, once a second at most,
	// that the hub has not gone away: never a storm.
	if probes, waited := len(w.connects)-len(w.attempts), int(w.clk.t/time.Second); probes > waited {
		t.Fatalf("%d connects between attempts over %d s of waiting: more than one a second", probes, waited)
	}
}

// A hub that keeps dying quickly: up 2 s, down 3 s, again and again. Each
// time it listens again the bridge is up within one probe, because a peer
// found not listening starts a fresh schedule. ActiveMQ resets only after a
// bridge lived 5 s, so its delay grows to 30 s per outage.
func TestScheduleHubKeepsDyingQuickly(t *testing.T) {
	const period, upFor = 5 * time.Second, 2 * time.Second
	listening := func(t time.Duration) bool { return t%period < upFor }
	w := &world{clk: &fakeClock{}, stopAt: 10 * period, listening: listening,
		lives: func(t time.Duration) time.Duration { return upFor - t%period }}
	w.run(t, hubURI)
	if len(w.ups) != 10 {
		t.Fatalf("%d bridges in 10 lives of the hub: %v\n%s", len(w.ups), w.ups, strings.Join(w.log, "\n"))
	}
	for i, u := range w.ups {
		if late := u - time.Duration(i)*period; late > DefaultProbeInterval {
			t.Errorf("life %d: up %v after the hub listened", i, late)
		}
	}
}

// A hub that stays up but drops every bridge at once (flapping) is treated
// as failing: young bridges count as failed attempts and back off.
func TestScheduleFlappingPeerBacksOff(t *testing.T) {
	w := &world{clk: &fakeClock{}, stopAt: time.Minute,
		listening: func(time.Duration) bool { return true },
		lives:     func(time.Duration) time.Duration { return 10 * time.Millisecond }}
	w.run(t, hubURI)
	var gaps []time.Duration
	for i := 1; i < len(w.ups); i++ {
		gaps = append(gaps, (w.ups[i] - w.ups[i-1]).Round(100*time.Millisecond))
	}
	want := []time.Duration{1, 2, 4, 8, 16}
	for i, g := range want {
		if i >= len(gaps) || gaps[i] != g*time.Second {
			t.Fatalf("gaps between bridges %v, want %v s", gaps, want)
		}
	}
}

// A bridge that lived longer than stableAfter resets the schedule: the next
// attempt after it ends is immediate.
func TestScheduleStableBridgeResets(t *testing.T) {
	n := 0
	w := &world{clk: &fakeClock{}, stopAt: time.Minute,
		listening: func(time.Duration) bool { return true },
		attempt: func(time.Duration) error {
			n++
			if n <= 3 || n == 5 {
				return Fail(FailAuth, "", errors.New("login failed"))
			}
			return nil
		},
		lives: func(time.Duration) time.Duration { return 2 * time.Second }}
	w.run(t, hubURI)
	// Attempts: 0 fail, +1 fail, +2 fail, +4 up (at 7 s) for 2 s, ends 9 s;
	// next at once: fails (5th); then 1 s (reset), not 8 s.
	want := []time.Duration{0, 1 * time.Second, 3 * time.Second, 7 * time.Second, 9 * time.Second, 10 * time.Second}
	for i, a := range want {
		if i >= len(w.attempts) || w.attempts[i] != a {
			t.Fatalf("attempts %v, want %v", w.attempts, want)
		}
	}
}

// maxReconnectAttempts counts refused connects at ActiveMQ's own pace, so
// fast probing does not make a connector give up sooner than ActiveMQ's.
func TestScheduleGivesUpWhenActiveMQWould(t *testing.T) {
	w := &world{clk: &fakeClock{}, stopAt: time.Hour, listening: func(time.Duration) bool { return false }}
	err := w.run(t, hubURI+"?maxReconnectAttempts=4")
	if !errors.Is(err, ErrGaveUp) {
		t.Fatalf("Run = %v", err)
	}
	// ActiveMQ: attempts at 0, 1, 3, 7 s; the 4th failure ends it.
	if end := w.clk.t; end < 7*time.Second || end > 7*time.Second+DefaultProbeInterval {
		t.Fatalf("gave up at %v, want at 7 s", end)
	}
}

func TestScheduleDisposeStops(t *testing.T) {
	w := &world{clk: &fakeClock{}, stopAt: time.Hour, listening: func(time.Duration) bool { return true },
		attempt: func(time.Duration) error { return Fail(FailDispose, "", errors.New("points at its own broker")) }}
	err := w.run(t, hubURI)
	if k, _ := KindOf(err); k != FailDispose || len(w.attempts) != 1 {
		t.Fatalf("Run = %v after %d attempts", err, len(w.attempts))
	}
}

// The next URI is tried when one fails.
func TestScheduleNextURI(t *testing.T) {
	var peers []string
	cfg, _ := ParseConnector("static://(tcp://127.0.0.1:1,tcp://127.0.0.1:2)")
	clk := &fakeClock{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	Run(ctx, cfg, Hooks{Clock: clk,
		Connect: func(ctx context.Context, p Peer) (net.Conn, error) {
			peers = append(peers, p.Addr)
			if len(peers) == 4 {
				cancel()
			}
			if p.Addr == "127.0.0.1:1" {
				return nil, errors.New("refused")
			}
			a, _ := net.Pipe()
			return a, nil
		},
		Session: func(ctx context.Context, conn net.Conn, p Peer, up func()) error {
			return Fail(FailTLS, "bad-certificate", errors.New("tls"))
		},
		Observe: func(string, Peer, error, time.Duration) {},
	})
	if strings.Join(peers, " ") != "127.0.0.1:1 127.0.0.1:2 127.0.0.1:1 127.0.0.1:2" {
		t.Fatalf("peers tried: %v", peers)
	}
}

// Jitter stays within its bounds and replays with the same seed.
func TestScheduleJitter(t *testing.T) {
	delays := func(seed string) []time.Duration {
		w := &world{clk: &fakeClock{}, stopAt: 3 * time.Minute, listening: func(time.Duration) bool { return true },
			attempt: func(time.Duration) error { return errors.New("refused the bridge") }}
		w.run(t, hubURI+"?jitter=0.25&jitterSeed="+seed)
		return w.delays
	}
	a, b, c := delays("7"), delays("7"), delays("8")
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different delays: %v %v", a, b)
	}
	if fmt.Sprint(a) == fmt.Sprint(c) {
		t.Fatalf("different seeds, same delays: %v", a)
	}
	base := []time.Duration{1, 2, 4, 8, 16, 30}
	for i, d := range base {
		lo, hi := time.Duration(float64(d*time.Second)*0.75), time.Duration(float64(d*time.Second)*1.25)
		if a[i] < lo || a[i] > hi {
			t.Fatalf("delay %d = %v outside ±25%% of %v s", i, a[i], d)
		}
	}
}

// Behind a proxy (toxiproxy, a load balancer) TCP always connects, and a
// dead hub shows as a connection closed before a word: as cheap as a
// refused connect, so the schedule is the same as without the proxy.
func TestScheduleBehindAProxy(t *testing.T) {
	const period, upFor = 5 * time.Second, 2 * time.Second
	w := &world{clk: &fakeClock{}, stopAt: 6 * period, proxied: true,
		listening: func(t time.Duration) bool { return t%period < upFor },
		lives:     func(t time.Duration) time.Duration { return upFor - t%period }}
	w.run(t, hubURI)
	if len(w.ups) != 6 {
		t.Fatalf("%d bridges in 6 lives of the hub: %v\n%s", len(w.ups), w.ups, strings.Join(w.log, "\n"))
	}
	for i, u := range w.ups {
		if late := u - time.Duration(i)*period; late > DefaultProbeInterval {
			t.Errorf("life %d: up %v after the hub listened", i, late)
		}
	}
	if n := strings.Count(strings.Join(w.log, "\n"), StateRetrying); n != 6 {
		t.Errorf("%d retrying events for 6 outages, want one each:\n%s", n, strings.Join(w.log, "\n"))
	}
}

// A hub that fails every handshake (a wrong certificate, say) is fixed and
// restarted while the spoke waits out a 16 s backoff: the spoke notices it
// went away, and is up soon after it listens again, not at the end of the
// wait.
func TestScheduleBrokenHubFixedDuringBackoff(t *testing.T) {
	const downAt, upAt = 20 * time.Second, 20*time.Second + 500*time.Millisecond
	w := &world{clk: &fakeClock{}, stopAt: time.Minute,
		listening: func(t time.Duration) bool { return t < downAt || t >= upAt },
		attempt: func(t time.Duration) error {
			if t < downAt {
				return Fail(FailTLS, "unknown-authority", errors.New("tls: unknown certificate authority"))
			}
			return nil
		}}
	w.run(t, hubURI)
	if len(w.ups) == 0 {
		t.Fatalf("never up: %s", strings.Join(w.log, "\n"))
	}
	// Attempts at 0, 1, 3, 7, 15 s; the next would be at 31 s.
	if late := w.ups[0] - upAt; late < 0 || late > time.Second+DefaultProbeInterval {
		t.Fatalf("up %v after the fixed hub listened (at %v), want within about a second; log:\n%s", late, w.ups[0], strings.Join(w.log, "\n"))
	}
}

// A hub that dies young, again and again: each bridge lives 100-300 ms,
// less than stableAfter, so its end counts as a costly failure; then the
// hub refuses connects for a while and listens again. Finding it not
// listening proves it restarted, so its next life gets a fresh schedule:
// no wait left pending (plain), and a first failed login in the new life
// waits initialReconnectDelay, not a delay grown by the previous lives
// (slowStart). (TestScheduleHubKeepsDyingQuickly keeps each bridge alive
// past stableAfter, which resets the backoff anyway, so it cannot tell.)
func TestScheduleHubDiesYoungAgainAndAgain(t *testing.T) {
	outages := []time.Duration{3 * time.Second, 500 * time.Millisecond, 10 * time.Second, 2 * time.Second,
		40 * time.Second, time.Second, 5 * time.Second, 1500 * time.Millisecond}
	for _, tc := range []struct {
		name      string
		proxied   bool
		slowStart bool          // the first login of each life fails (the hub still starting)
		life      time.Duration // how long the hub listens each time
		upAfter   time.Duration // when in its life the bridge should be up, within a probe
	}{
		{name: "plain", life: 200 * time.Millisecond},
		{name: "proxied", proxied: true, life: 200 * time.Millisecond},
		{name: "slowStart", slowStart: true, life: DefaultInitialReconnectDelay + 300*time.Millisecond, upAfter: DefaultInitialReconnectDelay},
		{name: "slowStart proxied", proxied: true, slowStart: true, life: DefaultInitialReconnectDelay + 300*time.Millisecond, upAfter: DefaultInitialReconnectDelay},
	} {
		var starts []time.Duration // when each life of the hub begins
		end := time.Duration(0)
		for _, o := range outages {
			starts = append(starts, end)
			end += tc.life + o
		}
		lifeAt := func(t time.Duration) (start time.Duration, ok bool) {
			for _, s := range starts {
				if t >= s && t < s+tc.life {
					return s, true
				}
			}
			return 0, false
		}
		failed := map[time.Duration]bool{}
		w := &world{clk: &fakeClock{}, stopAt: end, proxied: tc.proxied,
			listening: func(t time.Duration) bool { _, ok := lifeAt(t); return ok },
			attempt: func(t time.Duration) error {
				if s, _ := lifeAt(t); tc.slowStart && !failed[s] {
					failed[s] = true
					return Fail(FailAuth, "", errors.New("login failed: the hub is still loading its users"))
				}
				return nil
			},
			// The bridge ends when the hub dies.
			lives: func(t time.Duration) time.Duration { s, _ := lifeAt(t); return s + tc.life - t }}
		w.run(t, hubURI)
		log := strings.Join(w.log, "\n")
		if len(w.ups) != len(starts) {
			t.Fatalf("%s: %d bridges in %d lives of the hub, at %v\n%s", tc.name, len(w.ups), len(starts), w.ups, log)
		}
		for i, u := range w.ups {
			if late := u - starts[i] - tc.upAfter; late < 0 || late > DefaultProbeInterval {
				t.Errorf("%s: life %d: up %v after the hub listened again, want %v within one probe (%v)\n%s", tc.name, i, u-starts[i], tc.upAfter, DefaultProbeInterval, log)
			}
			if lived := starts[i] + tc.life - u; lived >= DefaultStableAfter {
				t.Fatalf("%s: life %d: the bridge lived %v, not less than stableAfter", tc.name, i, lived)
			}
		}
	}
}

// A multiplier beyond time.Duration's range (or NaN, from a Config built
// by hand; ParseConnector refuses them) once made the second delay wrap to
// about -292 years: no wait at all. The schedule clamps in float.
func TestBackoffHugeMultiplierClampsToMax(t *testing.T) {
	for _, m := range []float64{1e12, math.Inf(1), math.NaN(), math.MaxFloat64, 1e6} {
		b := Backoff{Initial: time.Second, Max: 30 * time.Second, Multiplier: m, Exponential: true}
		var got []time.Duration
		for range 5 {
			got = append(got, b.Next())
		}
		if fmt.Sprint(got) != "[1s 30s 30s 30s 30s]" {
			t.Errorf("multiplier %v: delays %v, want 1 s then 30 s", m, got)
		}
	}
	// Below 1 (also only by hand) never shrinks a delay below Initial.
	b := Backoff{Initial: time.Second, Max: 30 * time.Second, Multiplier: -3, Exponential: true}
	for range 3 {
		if d := b.Next(); d != time.Second {
			t.Fatalf("multiplier -3: delay %v", d)
		}
	}
}

// The storm the overflow caused: a peer refusing the bridge's login, with
// backOffMultiplier=1e12, got thousands of logins. Clamped, it gets one
// at 0, 1 s, then every 30 s; likewise with jitter NaN.
func TestScheduleHugeMultiplierDoesNotStorm(t *testing.T) {
	for _, tc := range []struct {
		multiplier, jitter float64
	}{{1e12, 0}, {math.Inf(1), 0}, {math.NaN(), 0}, {2, math.NaN()}, {1e12, math.NaN()}} {
		cfg, err := ParseConnector(hubURI)
		if err != nil {
			t.Fatal(err)
		}
		cfg.BackOffMultiplier, cfg.Jitter = tc.multiplier, tc.jitter
		w := &world{clk: &fakeClock{}, stopAt: 100 * time.Second,
			listening: func(time.Duration) bool { return true },
			attempt:   func(time.Duration) error { return Fail(FailAuth, "", errors.New("login failed")) }}
		w.runConfig(cfg)
		for _, d := range w.delays {
			if d < time.Second || d > 30*time.Second {
				t.Errorf("%+v: delay %v outside 1 s to 30 s", tc, d)
				break
			}
		}
		if n := len(w.attempts); n > 10 {
			t.Errorf("%+v: %d logins in %v, want a few", tc, n, w.clk.t)
		}
	}
}
