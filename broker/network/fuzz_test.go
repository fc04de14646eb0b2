package network

import (
	"strings"
	"testing"
)

// FuzzParseConnector: any string either parses into a valid configuration
// or fails with an error that never shows the password.
func FuzzParseConnector(f *testing.F) {
	f.Add("static://(ssl://127.0.0.1:61617?serverName=hub,tcp://127.0.0.1:61616)?duplex=true&networkTTL=2")
	f.Add("static:(ssl://h:1)?excludedDestinations=/queue/a.>,topic://b.*&staticallyIncludedDestinations=queue://audit&jitter=0.2&jitterSeed=7")
	f.Add("static://(ssl://h:1)?userName=u&password=s3cret&messageTTL=3&consumerTTL=2&probeInterval=50ms&stableAfter=2s")
	f.Add("static://(ssl://h:1)?password=s3cret&jitter=x")
	f.Add("ssl://127.0.0.1:1")
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := ParseConnector(raw)
		if err != nil {
			if strings.Contains(raw, "password=s3cret") && strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("error shows the password: %v", err)
			}
			return
		}
		if len(c.Peers) == 0 || c.MessageTTL < 1 || c.ConsumerTTL < 1 || c.ProbeInterval <= 0 || c.Jitter < 0 || c.Jitter >= 1 || c.MaxReconnectDelay < c.InitialReconnectDelay {
			t.Fatalf("accepted an invalid configuration %+v from %q", c, raw)
		}
	})
}
