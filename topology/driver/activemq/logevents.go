package activemq

import (
	"bufio"
	"context"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// FlushDelay waits long enough for the log reader's next poll.
func FlushDelay() { time.Sleep(2 * pollEvery) }

const pollEvery = 100 * time.Millisecond

// FollowLog reads an ActiveMQ log from offset as it grows and turns the
// lines it knows into events of node, until ctx ends.
func FollowLog(ctx context.Context, path string, offset int64, lr *LogReader, sink events.Sink) {
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	var r *bufio.Reader
	var partial string
	for {
		if f == nil {
			if ff, err := os.Open(path); err == nil {
				if _, err := ff.Seek(offset, io.SeekStart); err == nil {
					f, r = ff, bufio.NewReader(ff)
				} else {
					ff.Close()
				}
			}
		}
		for r != nil {
			line, err := r.ReadString('\n')
			if err != nil {
				partial += line
				break
			}
			for _, e := range lr.Parse(partial + line) {
				sink.Emit(e)
			}
			partial = ""
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pollEvery):
		}
	}
}

var (
	// Network connection between vm://server-a#0 and ssl://127.0.0.1/127.0.0.1:10001@43210 (hub) has been established.
	bridgeUp = regexp.MustCompile(`Network connection between vm://([^#\s]+)#\S* and (\S+) \(([^)]+)\) has been established`)
	// Network connection between vm://server-a#0 and ssl:///127.0.0.1:29505 shutdown due to a remote error: java.io.EOFException
	bridgeShutdown = regexp.MustCompile(`Network connection between vm://([^#\s]+)#\S* and (\S+)(?: \([^)]*\))? shutdown(.*)`)
	// server-a bridge to hub stopped
	bridgeStopped = regexp.MustCompile(`^(\S+) bridge to (\S+) stopped`)
	// Could not accept connection from tcp://127.0.0.1:43210 : javax.net.ssl.SSLHandshakeException: …
	acceptFailed = regexp.MustCompile(`Could not accept connection (?:from|during shutdown) (\S+?):? (.*)`)
	// Could not start network bridge between: vm://server-a and: ssl://127.0.0.1:29505 due to: Connection refused
	connectFailed = regexp.MustCompile(`Could not start network bridge between: vm://\S+ and: [a-z]+:/*(\S+) due to: (.*)`)
	// Error with pending remote brokerInfo on: ssl:///127.0.0.1:24423 (PKIX path building failed: …)
	// ActiveMQ logs a connector's real cause here, at INFO; the WARN line
	// above often carries only the previous attempt's cause, or noise.
	pendingFailed = regexp.MustCompile(`Error with pending remote brokerInfo on: [a-z]+:/*(\S+) \((.*)\)$`)
)

// LogReader turns the log lines of one node into events. It keeps the
// reason of the last bridge shutdown, which ActiveMQ logs on one line and
// the peer's name on the next ("server-a bridge to hub stopped").
type LogReader struct {
	Spec *topology.Spec
	Node string
	// Peers names the node behind an OpenWire address ("127.0.0.1:29505"),
	// for lines that give only the address.
	Peers map[string]string

	shutdownReason, shutdownRemote string
}

// Parse turns one log line into events, when it says something the
// harness knows: a bridge established or stopped, a connection refused, a
// bridge that could not start (retrying, or failing with a TLS failure
// when the cause is one a retry will not fix). The line's text is kept as
// Reason, for classifying a failure in words.
func (lr *LogReader) Parse(line string) []events.Event {
	spec, node := lr.Spec, lr.Node
	msg := line
	if parts := strings.Split(line, " | "); len(parts) >= 3 {
		msg = parts[2]
	}
	msg = strings.TrimSpace(msg)
	e := events.Event{Time: time.Now(), Node: node}
	switch {
	case bridgeUp.MatchString(msg):
		m := bridgeUp.FindStringSubmatch(msg)
		e.Kind, e.State, e.Link, e.Peer, e.Remote = events.BridgeState, events.StateUp, linkName(spec, m[1], m[3]), m[3], m[2]
	case bridgeShutdown.MatchString(msg):
		m := bridgeShutdown.FindStringSubmatch(msg)
		lr.shutdownRemote, lr.shutdownReason = m[2], strings.TrimSpace(m[3])
		return nil
	case bridgeStopped.MatchString(msg):
		m := bridgeStopped.FindStringSubmatch(msg)
		if m[1] != node || m[2] == "Unknown" { // "Unknown": an attempt that never reached the peer
			return nil
		}
		e.Kind, e.State, e.Link, e.Peer, e.Remote, e.Reason = events.BridgeState, events.StateDown, linkName(spec, node, m[2]), m[2], lr.shutdownRemote, lr.shutdownReason
		lr.shutdownRemote, lr.shutdownReason = "", ""
	case acceptFailed.MatchString(msg) && ClassifyJava(msg) != tlsconf.ClassNone:
		m := acceptFailed.FindStringSubmatch(msg)
		e.Kind, e.Side, e.Remote, e.Reason = events.TLSFailed, events.SideServer, m[1], m[2]
		e.Class = string(ClassifyJava(m[2]))
		// The remote is an ephemeral port; only a node with one link into
		// it can say which link failed.
		if in := inbound(spec, node); len(in) == 1 {
			e.Link, e.Peer = in[0].String(), in[0].From
		}
	case connectFailed.MatchString(msg), pendingFailed.MatchString(msg):
		m := connectFailed.FindStringSubmatch(msg)
		if m == nil {
			m = pendingFailed.FindStringSubmatch(msg)
		}
		e.Kind, e.State, e.Remote, e.Reason = events.BridgeState, events.StateRetrying, m[1], m[2]
		if peer := lr.peer(m[1]); peer != "" {
			e.Link, e.Peer = linkName(spec, node, peer), peer
		}
		m0, isTLS := tlsconf.ClassifyLogText(m[2])
		if !isTLS {
			if c := ClassifyJava(m[2]); c != tlsconf.ClassNone {
				m0, isTLS = tlsconf.LogMatch{Class: c}, true
			}
		}
		if !isTLS || m0.Noise {
			return []events.Event{e}
		}
		// A TLS failure: the event the judge reads, and the bridge state
		// our own broker reports for it.
		f := e
		f.Kind, f.State, f.Side, f.Class = events.TLSFailed, "", events.SideClient, string(m0.Class)
		e.State = events.StateFailing
		return []events.Event{f, e}
	default:
		return nil
	}
	return []events.Event{e}
}

// peer names the node listening at addr ("hub:24423", "127.0.0.1:24423"),
// by its port: every node's OpenWire port is its own.
func (lr *LogReader) peer(addr string) string {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return ""
	}
	port := strings.TrimRight(addr[i+1:], ")/")
	for a, name := range lr.Peers {
		if j := strings.LastIndexByte(a, ':'); j >= 0 && a[j+1:] == port {
			return name
		}
	}
	return ""
}

// inbound lists the links into node.
func inbound(spec *topology.Spec, node string) []topology.Link {
	var in []topology.Link
	for _, l := range spec.Links() {
		if l.To == node {
			in = append(in, l)
		}
	}
	return in
}

// linkName names the link between local and peer as the topology does:
// the dialler first.
func linkName(spec *topology.Spec, local, peer string) string {
	if n := spec.Node(local); n != nil {
		for _, c := range n.Connect {
			if c.To == peer {
				return topology.Link{From: local, To: peer}.String()
			}
		}
	}
	return topology.Link{From: peer, To: local}.String()
}

// ClassifyJava classes a Java TLS error message with the one table of
// Java's words (tlsconf.ClassifyLogText, shared with `brokerlab explain`);
// ClassNone when the text is not about TLS at all, ClassOther when it is
// but says nothing the table knows. "Broken pipe" and SSLEngine's
// "Connection or outbound has closed" are connection-reset: ActiveMQ often
// logs them on retries where the real cause was logged once.
func ClassifyJava(s string) tlsconf.Class {
	if m, ok := tlsconf.ClassifyLogText(s); ok {
		return m.Class
	}
	if strings.Contains(s, "SSL") || strings.Contains(s, "certificate") {
		return tlsconf.ClassOther
	}
	return tlsconf.ClassNone
}
