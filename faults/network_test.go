package faults

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

var testLink = topology.Link{From: "server-a", To: "hub"}

// echoServer starts a TCP server on loopback that echoes every byte back,
// standing in for the To node's listener.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// newLinkedNetwork returns a network with testLink proxied to a fresh echo
// server, and the proxy's listen address.
func newLinkedNetwork(t *testing.T) (*Network, string) {
	t.Helper()
	n := NewNetwork()
	t.Cleanup(n.Close)
	listen, err := n.AddLink(testLink, echoServer(t))
	if err != nil {
		t.Fatal(err)
	}
	return n, listen
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes a line and reads it back within wait.
func roundTrip(c net.Conn, line string, wait time.Duration) (string, error) {
	if err := c.SetDeadline(time.Now().Add(wait)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(c, line+"\n"); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

// mustRelay asserts a round trip through c succeeds. The deadline is only
// a guard against a hung test, not a timing assertion.
func mustRelay(t *testing.T, c net.Conn, line string) {
	t.Helper()
	got, err := roundTrip(c, line, 5*time.Second)
	if err != nil {
		t.Fatalf("round trip %q: %v", line, err)
	}
	if got != line {
		t.Fatalf("round trip: got %q, want %q", got, line)
	}
}

// mustBlackhole asserts that nothing comes back within a short window: the
// read must end by its deadline, not with data, EOF or a reset.
func mustBlackhole(t *testing.T, c net.Conn, line string) {
	t.Helper()
	got, err := roundTrip(c, line, 300*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("round trip through a partition: got %q, err %v; want a read timeout", got, err)
	}
}

func TestAddLinkRelays(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	host, port, err := net.SplitHostPort(listen)
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("AddLink returned %q; want the bound 127.0.0.1 address", listen)
	}
	mustRelay(t, dial(t, listen), "hello")

	p, err := n.Proxy(testLink)
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "server-a->hub" {
		t.Errorf("proxy name %q, want %q", p.Name, "server-a->hub")
	}
}

func TestAddLinkErrors(t *testing.T) {
	n, _ := newLinkedNetwork(t)
	if _, err := n.AddLink(testLink, echoServer(t)); err == nil || !strings.Contains(err.Error(), "faults: add link server-a->hub: proxy already exists") {
		t.Errorf("duplicate AddLink: %v", err)
	}
	if _, err := n.AddLink(topology.Link{From: "x", To: "y"}, "nowhere"); err == nil || !strings.HasPrefix(err.Error(), "faults: add link x->y: upstream: \"nowhere\" is not host:port") {
		t.Errorf("bad upstream: %v", err)
	}
	if _, err := n.Proxy(topology.Link{From: "x", To: "y"}); err == nil || !strings.Contains(err.Error(), "faults: no proxy for link x->y") {
		t.Errorf("unknown link: %v", err)
	}
}

func TestSetUpstreamKeepsListenAddress(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	mustRelay(t, dial(t, listen), "before")

	// The To node "restarts" on another port: a second echo server.
	if err := n.SetUpstream(testLink, echoServer(t)); err != nil {
		t.Fatal(err)
	}
	p, _ := n.Proxy(testLink)
	p.Lock()
	got := p.Listen
	p.Unlock()
	if got != listen {
		t.Errorf("listen address changed from %s to %s", listen, got)
	}
	mustRelay(t, dial(t, listen), "after")

	if err := n.SetUpstream(topology.Link{From: "x", To: "y"}, "127.0.0.1:1"); err == nil {
		t.Error("SetUpstream on an unknown link succeeded")
	}
}

func TestCloseStopsProxies(t *testing.T) {
	n, listen := newLinkedNetwork(t)
	n.Close()
	n.Close() // idempotent
	if c, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
		c.Close()
		t.Errorf("proxy still accepting after Close")
	}
}

// TestQuiet checks that toxiproxy writes nothing to stdout or stderr while
// proxying, applying and undoing faults: its logs would drown brokerlab's.
func TestQuiet(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	func() {
		defer func() { os.Stdout, os.Stderr = stdout, stderr }()
		n, listen := newLinkedNetwork(t)
		c := dial(t, listen)
		mustRelay(t, c, "x")
		f, err := New("partition", testLink, nil)
		if err != nil {
			t.Fatal(err)
		}
		undo, err := f.Apply(context.Background(), n)
		if err != nil {
			t.Fatal(err)
		}
		if err := undo(context.Background()); err != nil {
			t.Fatal(err)
		}
		c.Close()
		n.Close()
	}()
	w.Close()
	out, _ := io.ReadAll(r)
	if len(out) > 0 {
		t.Errorf("toxiproxy wrote to stdout/stderr:\n%s", out)
	}
}
