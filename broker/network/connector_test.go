package network

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseConnector(t *testing.T) {
	c, err := ParseConnector("static://(ssl://127.0.0.1:61617?serverName=hub,tcp://127.0.0.1:61616)?duplex=true&name=a-hub&networkTTL=2&initialReconnectDelay=100&maxReconnectDelay=2s&useExponentialBackOff=false")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Peers) != 2 || !c.Peers[0].TLS || c.Peers[0].ServerName != "hub" || c.Peers[0].Addr != "127.0.0.1:61617" || c.Peers[1].TLS || c.Peers[1].ServerName != "127.0.0.1" {
		t.Fatalf("peers: %+v", c.Peers)
	}
	if !c.Duplex || c.Name != "a-hub" || c.NetworkTTL != 2 || c.InitialReconnectDelay != 100*time.Millisecond || c.MaxReconnectDelay != 2*time.Second || c.UseExponentialBackOff {
		t.Fatalf("options: %+v", c)
	}
	d, err := ParseConnector("ssl://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if d.NetworkTTL != 1 || d.InitialReconnectDelay != time.Second || d.MaxReconnectDelay != 30*time.Second || !d.UseExponentialBackOff || d.BackOffMultiplier != 2 {
		t.Fatalf("defaults are not ActiveMQ's: %+v", d)
	}
}

func TestParseConnectorErrors(t *testing.T) {
	for raw, want := range map[string]string{
		"static://ssl://h:1":                           "expected static://(uri,",
		"static://(ssl://h:1":                          "missing ')'",
		"static://(ftp://h:1)":                         `unknown scheme "ftp"`,
		"static://(ssl://h)":                           "missing port",
		"static://(ssl://h:1)?duplex=maybe":            "not true or false",
		"static://(ssl://h:1)?networkTTL=0":            "at least 1",
		"static://(ssl://h:1)?dupex=true":              `unknown option "dupex"`,
		"static://(ssl://h:1?verify=no)":               `unknown option "verify"`,
		"static://(ssl://h:1)?maxReconnectDelay=10":    "less than initialReconnectDelay",
		"static://(ssl://h:1)?initialReconnectDelay=x": "neither milliseconds",
	} {
		if _, err := ParseConnector(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
}

func TestBackoffSchedule(t *testing.T) {
	// ActiveMQ 5.17 measured: +1, 2, 4, 8, 16 s capped at 30 s.
	b := Backoff{Initial: time.Second, Max: 30 * time.Second, Multiplier: 2, Exponential: true}
	var got []time.Duration
	for range 7 {
		got = append(got, b.Next())
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("schedule %v, want %v s", got, want)
		}
	}
	b.Reset()
	if d := b.Next(); d != time.Second {
		t.Fatalf("after reset: %v", d)
	}
	flat := Backoff{Initial: time.Second, Max: 30 * time.Second, Multiplier: 2}
	flat.Next()
	if d := flat.Next(); d != time.Second {
		t.Fatalf("non-exponential: %v", d)
	}
}

// TestRunReconnects drives Run against a real listener that drops the first
// connection: the connector must come back by itself and try peers in turn.
func TestRunReconnects(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { buf := make([]byte, 1); c.Read(buf); c.Close() }()
		}
	}()
	cfg, err := ParseConnector("static://(tcp://127.0.0.1:1,tcp://" + ln.Addr().String() + ")?initialReconnectDelay=10&maxReconnectDelay=40")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var states []string
	ups := 0
	dial := func(ctx context.Context, p Peer) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", p.Addr)
	}
	session := func(ctx context.Context, conn net.Conn, p Peer, up func()) error {
		up()
		mu.Lock()
		ups++
		n := ups
		mu.Unlock()
		if n == 2 {
			cancel()
		}
		conn.Write([]byte("x"))
		_, err := conn.Read(make([]byte, 1))
		return err
	}
	err = Run(ctx, cfg, Hooks{Connect: dial, Session: session, Observe: func(state string, p Peer, err error, delay time.Duration) {
		mu.Lock()
		states = append(states, state)
		mu.Unlock()
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v", err)
	}
	joined := strings.Join(states, ",")
	if !strings.HasPrefix(joined, "retrying,up,down,") || strings.Count(joined, "up,down") != 2 || !strings.HasSuffix(joined, "stopped") {
		t.Fatalf("states: %s", joined)
	}
}

func TestConnectorErrorsNeverShowThePassword(t *testing.T) {
	_, err := ParseConnector("static://(ssl://h:1)?userName=bridge&password=s3cret&dupex=true")
	if err == nil || strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "password=***") {
		t.Fatalf("err = %v", err)
	}
	c, err := ParseConnector("static://(ssl://h:1)?userName=bridge&password=s3cret")
	if err != nil || c.UserName != "bridge" || c.Password != "s3cret" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestParseConnectorNetworkAttributes(t *testing.T) {
	c, err := ParseConnector("static://(ssl://h:1)?networkTTL=3&consumerTTL=2&conduitSubscriptions=false&decreaseNetworkConsumerPriority=true" +
		"&suppressDuplicateQueueSubscriptions=true&excludedDestinations=/queue/a.>,topic://b.*&staticallyIncludedDestinations=queue://audit" +
		"&dynamicallyIncludedDestinations=/topic/x&jitter=0.2&jitterSeed=9&probeInterval=250&stableAfter=2s")
	if err != nil {
		t.Fatal(err)
	}
	if c.MessageTTL != 3 || c.ConsumerTTL != 2 || c.ConduitSubscriptions || !c.DecreaseNetworkConsumerPriority || !c.SuppressDuplicateQueueSubscriptions ||
		strings.Join(c.ExcludedDestinations, " ") != "/queue/a.> /topic/b.*" || c.StaticallyIncludedDestinations[0] != "/queue/audit" ||
		c.DynamicallyIncludedDestinations[0] != "/topic/x" || c.Jitter != 0.2 || c.JitterSeed != 9 || c.ProbeInterval != 250*time.Millisecond || c.StableAfter != 2*time.Second {
		t.Fatalf("%+v", c)
	}
	d, _ := ParseConnector("static://(ssl://h:1)")
	if !d.ConduitSubscriptions || d.ProbeInterval != DefaultProbeInterval || d.MessageTTL != 1 || d.ConsumerTTL != 1 {
		t.Fatalf("defaults: %+v", d)
	}
	for raw, want := range map[string]string{
		"static://(ssl://h:1)?jitter=1.5":                  "fraction",
		"static://(ssl://h:1)?excludedDestinations=orders": "is not a destination",
		"static://(ssl://h:1)?consumerTTL=0":               "at least 1",
		"static://(ssl://h:1)?probeInterval=0":             "probeInterval must be positive",
		"static://(ssl://h:1)?jitterSeed=-1":               "whole number",
	} {
		if _, err := ParseConnector(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
}

// Non-finite or huge backoff settings used to pass and turn the first delay
// into an overflow, that is no wait at all: a wrong password then cost the
// peer thousands of logins a second. They are refused, by name and range.
func TestParseConnectorBackoffRanges(t *testing.T) {
	for raw, want := range map[string]string{
		"backOffMultiplier=NaN":   `backOffMultiplier="NaN" must be a number from 1 to 100`,
		"backOffMultiplier=Inf":   `backOffMultiplier="Inf" must be a number from 1 to 100`,
		"backOffMultiplier=-Inf":  `backOffMultiplier="-Inf" must be a number from 1 to 100`,
		"backOffMultiplier=1e12":  `backOffMultiplier="1e12" must be a number from 1 to 100`,
		"backOffMultiplier=1e400": `backOffMultiplier="1e400" must be a number from 1 to 100`,
		"backOffMultiplier=0.5":   `backOffMultiplier="0.5" must be a number from 1 to 100`,
		"backOffMultiplier=x":     `backOffMultiplier="x" must be a number from 1 to 100`,
		"jitter=NaN":              `jitter="NaN" must be a fraction from 0 to below 1`,
		"jitter=Inf":              `jitter="Inf" must be a fraction from 0 to below 1`,
		"jitter=-0.1":             `jitter="-0.1" must be a fraction from 0 to below 1`,
	} {
		if _, err := ParseConnector("static://(ssl://h:1)?" + raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
	for raw, want := range map[string]float64{"backOffMultiplier=1": 1, "backOffMultiplier=1.5": 1.5, "backOffMultiplier=100": 100} {
		if c, err := ParseConnector("static://(ssl://h:1)?" + raw); err != nil || c.BackOffMultiplier != want {
			t.Errorf("%s: %v, %v", raw, c.BackOffMultiplier, err)
		}
	}
	for raw, want := range map[string]float64{"jitter=0": 0, "jitter=0.5": 0.5, "jitter=0.999": 0.999} {
		if c, err := ParseConnector("static://(ssl://h:1)?" + raw); err != nil || c.Jitter != want {
			t.Errorf("%s: %v, %v", raw, c.Jitter, err)
		}
	}
}

// No error shows any part of a password, wherever a ')', '&', '%' or '"'
// in it would cut it short; each says how to write the character instead.
func TestConnectorErrorsNeverShowPartOfThePassword(t *testing.T) {
	for raw, want := range map[string]string{
		"static://(tcp://127.0.0.1:1)?userName=u&password=Secr)etTail":  `option "password" has a ')' in its value`,
		"static://(tcp://127.0.0.1:1)?password=Secr)etTail&duplex=true": "write it as %29",
		"static://(ssl://h:1?password=Secr)etTail)?duplex=true":         `connector options go after the peer list: static://(ssl://h:1)?password=***`,
		"static://(ssl://h:1?password=Secr)?etTail":                     `connector options go after the peer list: static://(ssl://h:1)?password=***`,
		"static://(ssl://h:1?serverName=hub&password=Secr)etTail)":      "static://(ssl://h:1?serverName=hub)?password=***",
		"ssl://h:1?password=Secr)etTail":                                "static://(ssl://h:1)?password=***",
		"static://(tcp://h:1)?password=Secr%zzetTail":                   "write '%' as %25",
		`static://(tcp://h:1)?password=Secr"etTail&dupex=1`:             `unknown option "dupex" (if it is the rest of the password, write its '&' as %26)`,
		"static://(tcp://h:1)?Password=Secr)etTail":                     `unknown option "Password"`,
		"static://(tcp://h:1)x?password=Secr)etTail":                    `unexpected "x?password=***" after ')'`,
		"static://(ssl://h:1?password=Secr)etTail":                      "connector options go after the peer list",
	} {
		_, err := ParseConnector(raw)
		if err == nil {
			t.Errorf("%s: accepted", raw)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "Secr") || strings.Contains(msg, "etTail") || !strings.Contains(msg, want) {
			t.Errorf("%s:\nerr  %v\nwant %q, and no part of the password", raw, err, want)
		}
	}
}

// Percent-escapes in option values are decoded as ActiveMQ decodes them,
// so any password can be written: ')' as %29, '&' as %26, '%' as %25.
func TestParseConnectorDecodesOptionValues(t *testing.T) {
	for raw, want := range map[string]string{
		"Secr%29etTail":         "Secr)etTail",
		"p%26ss%3Dw%29rd":       "p&ss=w)rd",
		"100%25%20sure":         "100% sure",
		"a+b":                   "a b",
		"%22quoted%22%2C%28%29": `"quoted",()`,
	} {
		c, err := ParseConnector("static://(tcp://127.0.0.1:1)?userName=u&password=" + raw + "&duplex=true")
		if err != nil || c.Password != want || c.UserName != "u" || !c.Duplex {
			t.Errorf("password=%s: got %q, %v; want %q", raw, c.Password, err, want)
		}
	}
	c, err := ParseConnector("static://(ssl://127.0.0.1:1?serverName=hub%2Da)?name=a%2D%3Ehub")
	if err != nil || c.Name != "a->hub" || c.Peers[0].ServerName != "hub-a" {
		t.Errorf("%+v %v", c, err)
	}
}

// A port outside 1–65535 was accepted and then probed forever.
func TestParseConnectorPortRange(t *testing.T) {
	for raw, want := range map[string]string{
		"static://(tcp://127.0.0.1:99999)":     `peer "tcp://127.0.0.1:99999": port "99999" is not from 1 to 65535`,
		"static://(ssl://h:0?serverName=hub)":  `peer "ssl://h:0?serverName=hub": port "0" is not from 1 to 65535`,
		"tcp://127.0.0.1:65536":                `peer "tcp://127.0.0.1:65536": port "65536" is not from 1 to 65535`,
		"static://(tcp://h:1,tcp://h:70000)":   `peer "tcp://h:70000": port "70000" is not from 1 to 65535`,
		"static://(tcp://h:99999999999999999)": `port "99999999999999999" is not from 1 to 65535`,
	} {
		if _, err := ParseConnector(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
	for _, raw := range []string{"tcp://127.0.0.1:1", "static://(ssl://h:65535)"} {
		if _, err := ParseConnector(raw); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
	}
}

// An option given twice was read first-one-wins, silently.
func TestParseConnectorRepeatedOption(t *testing.T) {
	for raw, want := range map[string]string{
		"static://(ssl://h:1)?duplex=true&duplex=false":         `option "duplex" is given more than once`,
		"static://(ssl://h:1)?password=a&userName=u&password=b": `option "password" is given more than once`,
		"static://(ssl://h:1)?name=a&name=a":                    `option "name" is given more than once`,
		"static://(ssl://h:1?serverName=a&serverName=b)":        `peer "ssl://h:1?serverName=a&serverName=b": option "serverName" is given more than once`,
	} {
		if _, err := ParseConnector(raw); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", raw, err, want)
		}
	}
}

// Connector options on a peer URI (a bare one especially) are a common
// slip: the error writes the URI as it should be.
func TestParseConnectorOptionsOnAPeer(t *testing.T) {
	for raw, want := range map[string]string{
		"ssl://h:1?duplex=true": `"duplex" is a connector option, which a peer URI does not take; ` +
			"connector options go after the peer list: static://(ssl://h:1)?duplex=true",
		"ssl://h:1?serverName=hub&duplex=true&networkTTL=2":     "static://(ssl://h:1?serverName=hub)?duplex=true&networkTTL=2",
		"static://(ssl://h:1?duplex=true,tcp://g:2)?name=x":     "static://(ssl://h:1,tcp://g:2)?duplex=true&name=x",
		"static:(tcp://g:2,ssl://h:1?networkTTL=2)":             "static://(tcp://g:2,ssl://h:1)?networkTTL=2",
		"ssl://h:1?userName=bridge&password=s3cret&duplex=true": "static://(ssl://h:1)?userName=bridge&password=***&duplex=true",
	} {
		_, err := ParseConnector(raw)
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s:\nerr  %v\nwant %q", raw, err, want)
		}
	}
}
