// Package events is the broker's one typed event stream. Every node reports
// what happens to it (listeners, connections, TLS handshakes, bridges,
// messages) as Events; scenario assertions and reports read only this stream
// and the probes' own history.
package events

import (
	"fmt"
	"sync"
	"time"
)

// Kind names what happened.
type Kind string

const (
	ListenerUp       Kind = "listener-up"
	ConnAccepted     Kind = "conn-accepted"
	ConnClosed       Kind = "conn-closed"
	ConnRefused      Kind = "conn-refused" // CONNECT refused (protocol, limits); Reason says why
	TLSFailed        Kind = "tls-failed"   // a handshake failed; Class, Side and Peer say how
	BridgeState      Kind = "bridge"       // a connector's bridge changed state; State says to what
	MessageForwarded Kind = "message-forwarded"
	MessageDropped   Kind = "message-dropped"  // e.g. a duplicate caught by the audit
	ProducerBlocked  Kind = "producer-blocked" // flow control paused a producer: its destination is full
	StoreRecovered   Kind = "store"            // the persistent store opened, recovered or cut a damaged tail
)

// Bridge states, in the order a healthy connector passes through them.
const (
	StateConnecting = "connecting"
	StateUp         = "up"
	StateDown       = "down"
	StateRetrying   = "retrying"
	StateFailing    = "failing"     // the last attempt failed for a reason a retry will not fix by itself (TLS, auth)
	StateTLSFailed  = "tls-failed"  // the bridge's TLS handshake failed; Class says how
	StateAuthFailed = "auth-failed" // the peer refused the bridge's login
	StateStopped    = "stopped"
)

// Side of a TLS handshake: the dialer is the client.
const (
	SideClient = "client"
	SideServer = "server"
)

// Event is one thing that happened on one node. Fields that do not apply to
// a Kind are left empty.
type Event struct {
	Time   time.Time     `json:"time"`
	Node   string        `json:"node"`
	Kind   Kind          `json:"kind"`
	Link   string        `json:"link,omitempty"`   // "from->to" for bridge events, on either end
	State  string        `json:"state,omitempty"`  // a bridge's state; for store events, what recovery or a failure did
	Side   string        `json:"side,omitempty"`   // client or server, for TLS events
	Class  string        `json:"class,omitempty"`  // TLS failure class (tlsconf.Class)
	Peer   string        `json:"peer,omitempty"`   // peer identity: node name or certificate subject
	Remote string        `json:"remote,omitempty"` // peer address
	Local  string        `json:"local,omitempty"`  // our address (listener, or dialer's source)
	Reason string        `json:"reason,omitempty"` // the error as the stack said it
	Delay  time.Duration `json:"delay,omitempty"`  // for retrying: how long until the next attempt
	Dest   string        `json:"dest,omitempty"`
	ID     string        `json:"id,omitempty"` // message id
}

func (e Event) String() string {
	s := fmt.Sprintf("%s %s %s", e.Time.Format("15:04:05.000"), e.Node, e.Kind)
	for _, kv := range [][2]string{{"link", e.Link}, {"state", e.State}, {"side", e.Side}, {"class", e.Class}, {"peer", e.Peer}, {"remote", e.Remote}, {"dest", e.Dest}, {"reason", e.Reason}} {
		if kv[1] != "" {
			s += " " + kv[0] + "=" + kv[1]
		}
	}
	if e.Delay > 0 {
		s += " delay=" + e.Delay.String()
	}
	return s
}

// Sink receives events. Emit must not block for long: it is called on the
// broker's connection goroutines.
type Sink interface {
	Emit(Event)
}

// SinkFunc adapts a function to a Sink.
type SinkFunc func(Event)

func (f SinkFunc) Emit(e Event) { f(e) }

// Discard drops every event.
var Discard Sink = SinkFunc(func(Event) {})

// Recorder keeps every event in order and lets a caller wait for one that
// matches. One Recorder can be shared by all nodes of a network.
type Recorder struct {
	mu      sync.Mutex
	events  []Event
	changed chan struct{} // closed and replaced on every Emit
	forward Sink
}

// NewRecorder returns an empty recorder; forward, if not nil, also receives
// every event (for live progress output).
func NewRecorder(forward Sink) *Recorder {
	return &Recorder{changed: make(chan struct{}), forward: forward}
}

func (r *Recorder) Emit(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	r.mu.Lock()
	r.events = append(r.events, e)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	if r.forward != nil {
		r.forward.Emit(e)
	}
}

// Events returns a copy of everything recorded so far.
func (r *Recorder) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Len is how many events have been recorded; pass it to Wait as `from` to
// wait only for events that happen after now.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.events)
}

// Wait returns the first event at index >= from that matches, waiting until
// deadline. On timeout it returns false and the last event that concerned
// the caller (per `related`, may be nil), so the error can say what was seen
// last instead of a bare "timeout".
func (r *Recorder) Wait(from int, deadline time.Time, match, related func(Event) bool) (Event, bool, *Event) {
	var last *Event
	for {
		r.mu.Lock()
		events, changed := r.events, r.changed
		r.mu.Unlock()
		for i := from; i < len(events); i++ {
			if match(events[i]) {
				return events[i], true, nil
			}
			if related != nil && related(events[i]) {
				e := events[i]
				last = &e
			}
		}
		from = len(events)
		wait := time.Until(deadline)
		if wait <= 0 {
			return Event{}, false, last
		}
		t := time.NewTimer(wait)
		select {
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}
