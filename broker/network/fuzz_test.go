package network

import (
	"strings"
	"testing"
	"time"
)

// FuzzParseConnector: any string either parses into a valid configuration
// or fails with an error that never shows the password.
func FuzzParseConnector(f *testing.F) {
	f.Add("static://(ssl://127.0.0.1:61617?serverName=hub,tcp://127.0.0.1:61616)?duplex=true&networkTTL=2")
	f.Add("static:(ssl://h:1)?excludedDestinations=/queue/a.>,topic://b.*&staticallyIncludedDestinations=queue://audit&jitter=0.2&jitterSeed=7")
	f.Add("static://(ssl://h:1)?userName=u&password=s3cret&messageTTL=3&consumerTTL=2&probeInterval=50ms&stableAfter=2s")
	f.Add("static://(ssl://h:1)?password=s3cret&jitter=x")
	f.Add("static://(ssl://h:1)?backOffMultiplier=NaN&jitter=NaN")
	f.Add("static://(ssl://h:1)?backOffMultiplier=1e12&jitter=0.5")
	f.Add("static://(tcp://127.0.0.1:1)?userName=u&password=s3cret)T4il")
	f.Add("static://(ssl://h:1?password=s3cret)T4il)?duplex=true")
	f.Add("static://(tcp://127.0.0.1:99999)?duplex=true&duplex=false")
	f.Add("ssl://h:1?duplex=true&password=s3cret%29T4il")
	f.Add("ssl://127.0.0.1:1")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseConnector(raw)
		if err != nil {
			// The markers stand for a password only where the password
			// alone holds them; anywhere else in the URI they may be
			// quoted.
			for _, secret := range []string{"s3cret", "T4il"} {
				if inPasswords := passwordValues(raw); strings.Count(inPasswords, secret) > 0 &&
					strings.Count(inPasswords, secret) == strings.Count(raw, secret) && strings.Contains(err.Error(), secret) {
					t.Fatalf("error shows the password: %v", err)
				}
			}
			return
		}
		// Written as !(valid) so that NaN, which compares false with
		// everything, is caught too.
		valid := len(c.Peers) > 0 && c.MessageTTL >= 1 && c.ConsumerTTL >= 1 && c.ProbeInterval > 0 &&
			c.Jitter >= 0 && c.Jitter < 1 && c.BackOffMultiplier >= 1 && c.BackOffMultiplier <= MaxBackOffMultiplier &&
			c.MaxReconnectDelay >= c.InitialReconnectDelay && c.InitialReconnectDelay > 0
		if !valid {
			t.Fatalf("accepted an invalid configuration %+v from %q", c, raw)
		}
		// Nor may any delay it leads to be negative (an overflow) or
		// beyond its bounds.
		now := time.Unix(0, 0)
		s := NewSchedule(c, now)
		for range 8 {
			if d, _ := s.Failed(now); d < 0 || d > c.MaxReconnectDelay+time.Duration(c.Jitter*float64(c.MaxReconnectDelay)) {
				t.Fatalf("delay %v outside 0 to maxReconnectDelay (±jitter) from %q", d, raw)
			}
		}
	})
}

// passwordValues joins the values of every password= in uri, each up to
// the next '&' or the end (as Redact sees them).
func passwordValues(uri string) string {
	var b strings.Builder
	for _, m := range passwordRE.FindAllStringIndex(uri, -1) {
		b.WriteString(uri[m[0]+len("password=") : m[1]])
		b.WriteByte('\n')
	}
	return b.String()
}
