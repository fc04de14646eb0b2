package broker_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
)

// rawClient is a STOMP client over a bare TCP connection, so a test can do
// what no well-behaved client library does: never read, trickle bytes,
// vanish mid-flood.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

// dialRaw dials addr and, unless connect is empty, sends it and waits
// for CONNECTED. The connection is closed when the test ends, before the
// broker's own cleanup: a peer that never reads must not hold up Shutdown.
func dialRaw(t *testing.T, addr, connect string) *rawClient {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawClient{t: t, nc: nc, r: bufio.NewReader(nc)}
	if connect != "" {
		c.write(connect)
		c.expect("CONNECTED")
	}
	return c
}

func (c *rawClient) write(s string) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.nc, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// expect reads frames until one whose text contains want.
func (c *rawClient) expect(want string) string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.nc.SetReadDeadline(time.Time{})
	var seen []string
	for {
		f, err := c.r.ReadString(0)
		if err != nil {
			c.t.Fatalf("waiting for %q: %v; frames seen: %q", want, err, seen)
		}
		if f = strings.TrimLeft(f, "\r\n"); strings.Contains(f, want) {
			return f
		}
		seen = append(seen, f)
	}
}

// closedWithin reads (discarding) until the broker closes the connection
// and reports how long that took, or fails after max.
func closedWithin(t *testing.T, nc net.Conn, max time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	nc.SetReadDeadline(start.Add(max))
	buf := make([]byte, 512)
	for {
		_, err := nc.Read(buf)
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("the broker kept the connection open for %v", max)
		}
		return time.Since(start)
	}
}

// A connection that never sends CONNECT is closed after HandshakeTimeout,
// whether it stays silent or trickles heart-beat newlines to look alive:
// before CONNECT there is one fixed deadline, not a sliding one.
func TestConnectTimeoutPlaintext(t *testing.T) {
	const timeout = 400 * time.Millisecond
	b := brokertest.NewBroker(t, broker.Options{HandshakeTimeout: timeout})
	for _, tc := range []struct {
		name  string
		every time.Duration // 0: silent
	}{{"silent", 0}, {"trickling newlines", timeout / 5}} {
		t.Run(tc.name, func(t *testing.T) {
			from := b.Events.Len()
			c := dialRaw(t, b.Addr(), "")
			stop := make(chan struct{})
			defer close(stop)
			if tc.every > 0 {
				go func() {
					tick := time.NewTicker(tc.every)
					defer tick.Stop()
					for {
						select {
						case <-stop:
							return
						case <-tick.C:
							if _, err := c.nc.Write([]byte("\n")); err != nil {
								return
							}
						}
					}
				}()
			}
			// Generous: the point is that it is closed at all, where before
			// the trickling one never was.
			took := closedWithin(t, c.nc, 10*timeout)
			if took < timeout/2 {
				t.Errorf("closed after %v, before HandshakeTimeout %v", took, timeout)
			}
			if _, ok, last := b.Events.Wait(from, time.Now().Add(5*time.Second), func(e events.Event) bool {
				return e.Kind == events.ConnRefused && strings.Contains(e.Reason, "HandshakeTimeout")
			}, nil); !ok {
				t.Errorf("no conn-refused event naming HandshakeTimeout; last: %v", last)
			}
		})
	}
}
