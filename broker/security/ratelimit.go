package security

import (
	"net/netip"
	"sync"
	"time"
)

// limiter counts failed logins per source address in a sliding window.
// Once an address has used up its failures, its next attempts are refused
// before any module runs, so a password cannot be guessed at wire speed.
type limiter struct {
	rate RateLimit
	now  func() time.Time

	mu    sync.Mutex
	fails map[netip.Addr][]time.Time // oldest first, at most rate.Failures
}

// maxTracked bounds the addresses remembered; beyond it, addresses whose
// failures have all expired are forgotten first.
const maxTracked = 1 << 16

func newLimiter(r RateLimit, now func() time.Time) *limiter {
	if r.Failures == 0 {
		r.Failures = DefaultLoginRate.Failures
	}
	if r.Per == 0 {
		r.Per = DefaultLoginRate.Per
	}
	return &limiter{rate: r, now: now, fails: map[netip.Addr][]time.Time{}}
}

// allow reports whether addr may try to log in now, and if not, how long
// until it may.
func (l *limiter) allow(addr netip.Addr) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.expire(addr, now)
	if len(fs) < l.rate.Failures {
		return true, 0
	}
	return false, fs[0].Add(l.rate.Per).Sub(now)
}

// fail records a failed login from addr.
func (l *limiter) fail(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	fs := l.expire(addr, now)
	if len(fs) >= l.rate.Failures {
		fs = fs[1:]
	}
	if len(l.fails) >= maxTracked {
		for a, f := range l.fails {
			if len(f) == 0 || now.Sub(f[len(f)-1]) >= l.rate.Per {
				delete(l.fails, a)
			}
		}
	}
	l.fails[addr] = append(fs, now)
}

func (l *limiter) expire(addr netip.Addr, now time.Time) []time.Time {
	fs := l.fails[addr]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= l.rate.Per {
		i++
	}
	fs = fs[i:]
	if len(fs) == 0 {
		delete(l.fails, addr)
		return nil
	}
	l.fails[addr] = fs
	return fs
}
