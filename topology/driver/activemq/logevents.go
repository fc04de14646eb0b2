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
	"github.com/brokerlab/brokerlab/topology"
)

// FlushDelay waits long enough for the log reader's next poll.
func FlushDelay() { time.Sleep(2 * pollEvery) }

const pollEvery = 100 * time.Millisecond

// FollowLog reads an ActiveMQ log from offset as it grows and turns the
// lines it knows into events of node, until ctx ends.
func FollowLog(ctx context.Context, path string, offset int64, spec *topology.Spec, node string, sink events.Sink) {
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
			if e, ok := ParseLogLine(spec, node, partial+line); ok {
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
	// Network connection between vm://server-a#0 and ssl://…(hub) shutdown due to a remote error: …
	bridgeDown = regexp.MustCompile(`Network connection between vm://([^#\s]+)#\S* and (\S+) \(([^)]+)\) shutdown(.*)`)
	// Could not accept connection from tcp://127.0.0.1:43210 : javax.net.ssl.SSLHandshakeException: …
	acceptFailed = regexp.MustCompile(`Could not accept connection (?:from|during shutdown) ?(\S*)\s*:?\s*(.*)`)
	// Could not start network bridge between: vm://hub and: ssl://… due to: …
	connectFailed = regexp.MustCompile(`(?:Could not start network bridge between|Network Could not be established).*?(?:due to|:)\s*(.*)`)
)

// ParseLogLine turns one log line of node into an event, when it says
// something the harness knows: a bridge established or shut down, a
// connection refused, a bridge that could not start. The line's text is
// kept as Reason, for classifying a failure in words.
func ParseLogLine(spec *topology.Spec, node, line string) (events.Event, bool) {
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
	case bridgeDown.MatchString(msg):
		m := bridgeDown.FindStringSubmatch(msg)
		e.Kind, e.State, e.Link, e.Peer, e.Remote, e.Reason = events.BridgeState, events.StateDown, linkName(spec, m[1], m[3]), m[3], m[2], strings.TrimSpace(m[4])
	case acceptFailed.MatchString(msg) && strings.Contains(msg, "SSL"):
		m := acceptFailed.FindStringSubmatch(msg)
		e.Kind, e.Side, e.Remote, e.Reason = events.TLSFailed, events.SideServer, m[1], m[2]
	case connectFailed.MatchString(msg):
		m := connectFailed.FindStringSubmatch(msg)
		e.Kind, e.State, e.Reason = events.BridgeState, events.StateRetrying, m[1]
		if strings.Contains(m[1], "SSL") || strings.Contains(m[1], "certificate") {
			e.Kind, e.State, e.Side = events.TLSFailed, "", events.SideClient
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
