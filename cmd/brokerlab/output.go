package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
)

// readyLine is what `broker` and `up` print on stdout, one line per node,
// once every listener of the node is bound. Scripts and tests read it to
// learn the ports that port 0 picked.
type readyLine struct {
	Event     string            `json:"event"` // always "ready"
	Node      string            `json:"node"`
	Listeners []broker.Listener `json:"listeners"`
	Admin     string            `json:"admin,omitempty"` // host:port of /healthz, /stats, /metrics, /events
}

func printReady(w io.Writer, node string, ls []broker.Listener, adminAddr string) error {
	if ls == nil {
		ls = []broker.Listener{} // [] rather than null: readers index it
	}
	data, err := marshalLine(readyLine{Event: "ready", Node: node, Listeners: ls, Admin: adminAddr})
	if err != nil {
		return err
	}
	// One Write per line, so that a reader never sees half a line.
	_, err = w.Write(data)
	return err
}

// marshalLine is compact JSON with a newline, without HTML escaping: the
// default would turn every "server-a->hub" into "server-a-\u003ehub".
func marshalLine(v any) ([]byte, error) { return marshalJSON(v, "") }

// marshalIndent is marshalLine for files people read.
func marshalIndent(v any) ([]byte, error) { return marshalJSON(v, "  ") }

func marshalJSON(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", indent)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// eventPrinter is the events.Sink of `broker` and `up`. Bridge state changes
// and TLS failures are always printed in a short human form, because they
// are what someone watching a network needs to see; with jsonAll every event
// is also printed as one JSON object per line, for tools.
//
// Emit is called on the brokers' connection goroutines, so writes are
// serialised and kept to one Write per line.
type eventPrinter struct {
	mu      sync.Mutex
	w       io.Writer
	jsonAll bool
	quiet   bool // no human lines: a slog logger reports events instead
}

func (p *eventPrinter) Emit(e events.Event) {
	var out []byte
	if p.jsonAll {
		if line, err := marshalLine(e); err == nil {
			out = append(out, line...)
		}
	}
	if h := humanEvent(e); h != "" && !p.quiet {
		out = append(out, h...)
		out = append(out, '\n')
	}
	if len(out) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.w.Write(out)
}

// humanEvent is the one-line form of a bridge or TLS event, or "" for any
// other kind, e.g.
//
//	12:00:01.200 server-a: bridge server-a->hub up, peer hub at 127.0.0.1:40001 (duplex)
//	12:00:01.300 server-a: bridge server-a->hub failing (unknown-authority): tls: failed to verify certificate: ...
//	12:00:01.300 hub: tls handshake failed as server, peer server-b from 127.0.0.1:51234: unknown-authority: ...
func humanEvent(e events.Event) string {
	ts := e.Time.Format("15:04:05.000")
	switch e.Kind {
	case events.BridgeState:
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s: bridge %s %s", ts, e.Node, orDash(e.Link), e.State)
		if e.Class != "" {
			fmt.Fprintf(&b, " (%s)", e.Class)
		}
		switch {
		case e.State == events.StateUp:
			if e.Peer != "" {
				fmt.Fprintf(&b, ", peer %s", e.Peer)
			}
			if e.Remote != "" {
				fmt.Fprintf(&b, " at %s", e.Remote)
			}
			if e.Reason != "" {
				fmt.Fprintf(&b, " (%s)", oneLine(e.Reason))
			}
		case e.State == events.StateRetrying:
			if e.Delay > 0 {
				fmt.Fprintf(&b, " in %s", e.Delay)
			}
			if e.Reason != "" {
				fmt.Fprintf(&b, ": %s", oneLine(e.Reason))
			}
		case e.Reason != "":
			fmt.Fprintf(&b, ": %s", oneLine(e.Reason))
		}
		return b.String()
	case events.TLSFailed:
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s: tls handshake failed", ts, e.Node)
		if e.Side != "" {
			fmt.Fprintf(&b, " as %s", e.Side)
		}
		if e.Link != "" {
			fmt.Fprintf(&b, " on %s", e.Link)
		}
		if e.Peer != "" {
			fmt.Fprintf(&b, ", peer %s", e.Peer)
		}
		if e.Remote != "" {
			fmt.Fprintf(&b, " from %s", e.Remote)
		}
		fmt.Fprintf(&b, ": %s", orDash(e.Class))
		if e.Reason != "" {
			fmt.Fprintf(&b, ": %s", oneLine(e.Reason))
		}
		return b.String()
	}
	return ""
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps an event on its line: stack errors can hold newlines.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
