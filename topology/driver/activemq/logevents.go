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
			if e, ok := lr.Parse(partial + line); ok {
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
	connectFailed = regexp.MustCompile(`Could not start network bridge between: vm://\S+ and: [a-z]+://(\S+) due to: (.*)`)
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

// Parse turns one log line into an event, when it says something the
// harness knows: a bridge established or stopped, a connection refused, a
// bridge that could not start. The line's text is kept as Reason, for
// classifying a failure in words.
func (lr *LogReader) Parse(line string) (events.Event, bool) {
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
		return events.Event{}, false
	case bridgeStopped.MatchString(msg):
		m := bridgeStopped.FindStringSubmatch(msg)
		if m[1] != node || m[2] == "Unknown" { // "Unknown": an attempt that never reached the peer
			return events.Event{}, false
		}
		e.Kind, e.State, e.Link, e.Peer, e.Remote, e.Reason = events.BridgeState, events.StateDown, linkName(spec, node, m[2]), m[2], lr.shutdownRemote, lr.shutdownReason
		lr.shutdownRemote, lr.shutdownReason = "", ""
	case acceptFailed.MatchString(msg) && ClassifyJava(msg) != tlsconf.ClassNone:
		m := acceptFailed.FindStringSubmatch(msg)
		e.Kind, e.Side, e.Remote, e.Reason = events.TLSFailed, events.SideServer, m[1], m[2]
		e.Class = string(ClassifyJava(m[2]))
	case connectFailed.MatchString(msg):
		m := connectFailed.FindStringSubmatch(msg)
		e.Kind, e.State, e.Remote, e.Reason = events.BridgeState, events.StateRetrying, m[1], m[2]
		if peer := lr.Peers[m[1]]; peer != "" {
			e.Link, e.Peer = linkName(spec, node, peer), peer
		}
		if c := ClassifyJava(m[2]); c != tlsconf.ClassNone {
			e.Kind, e.State, e.Side, e.Class = events.TLSFailed, "", events.SideClient, string(c)
		}
	default:
		return events.Event{}, false
	}
	return e, true
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
