package admin

import (
	"fmt"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// DefaultKeep is how many events a Hub keeps for late readers when NewHub
// is given no positive number: enough for a scenario's worth of connection
// and bridge events without holding a long run's message events forever.
const DefaultKeep = 10000

// EventsDropped is the kind of the last event a dropped subscriber
// receives. It is not a broker event: it says the reader missed some, and
// its Reason says from which index to resume.
const EventsDropped events.Kind = "events-dropped"

// subscriberBuffer is how far a live subscriber may fall behind before it
// is dropped. Large enough to ride out a burst of message events while an
// HTTP reader is descheduled, small enough that a stuck reader costs about
// a megabyte.
const subscriberBuffer = 4096

// Hub is an events.Sink that keeps the last events in a ring for late
// readers and fans every event out to live subscribers. Emit never blocks,
// because it runs on the broker's connection goroutines: a subscriber that
// cannot keep up is dropped rather than allowed to slow the broker.
type Hub struct {
	keep int

	mu   sync.Mutex
	ring []events.Event // event i is at ring[i%keep]; grown lazily so idle hubs stay small
	next int            // index the next event gets: how many events were emitted
	subs map[*subscriber]struct{}
}

type subscriber struct {
	ch chan events.Event
}

// NewHub returns a Hub that keeps the last keep events (DefaultKeep if keep
// is not positive).
func NewHub(keep int) *Hub {
	if keep <= 0 {
		keep = DefaultKeep
	}
	return &Hub{keep: keep, subs: map[*subscriber]struct{}{}}
}

// Emit records e and hands it to every live subscriber. It never blocks:
// a subscriber whose buffer is full is sent an EventsDropped event in the
// slot kept free for it, and its channel is closed.
func (h *Hub) Emit(e events.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	idx := h.next
	if len(h.ring) < h.keep {
		h.ring = append(h.ring, e)
	} else {
		h.ring[idx%h.keep] = e
	}
	h.next++
	for s := range h.subs {
		// Only Emit sends, and only under h.mu, so a length checked here
		// cannot grow before the send: both sends below never block. The
		// last slot is reserved so a dropped reader learns why.
		if len(s.ch) < cap(s.ch)-1 {
			s.ch <- e
			continue
		}
		s.ch <- events.Event{Time: e.Time, Node: e.Node, Kind: EventsDropped,
			Reason: fmt.Sprintf("admin: reader fell %d events behind and was dropped; resume with since=%d", cap(s.ch)-1, idx)}
		close(s.ch)
		delete(h.subs, s)
	}
}

// Len is how many events the Hub has seen: the index the next event will
// get.
func (h *Hub) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.next
}

// Subscribe returns the kept events with index >= since (all kept events
// for since <= 0; none if since is beyond the newest), and a channel that
// receives every event emitted after them, in order, with nothing missed
// or repeated between the two. The channel is closed by cancel, or by the
// Hub when the subscriber falls too far behind, in which case the last
// value received is an EventsDropped event. cancel may be called more than
// once.
func (h *Hub) Subscribe(since int) (backlog []events.Event, ch <-chan events.Event, cancel func()) {
	sub := h.subscribe(since, true)
	return sub.backlog, sub.ch, sub.cancel
}

// subscription is Subscribe's result plus the indexes /events needs to
// number its lines.
type subscription struct {
	backlog []events.Event
	first   int // index of backlog[0]
	next    int // index of the first event on ch
	ch      <-chan events.Event
	cancel  func()
}

// subscribe takes the backlog and, when live, registers a subscriber in the
// same critical section, so no event falls between the two.
func (h *Hub) subscribe(since int, live bool) subscription {
	h.mu.Lock()
	defer h.mu.Unlock()
	oldest := max(0, h.next-h.keep)
	first := min(max(since, oldest), h.next)
	sub := subscription{first: first, next: h.next, cancel: func() {}}
	if n := h.next - first; n > 0 {
		sub.backlog = make([]events.Event, 0, n)
		for i := first; i < h.next; i++ {
			sub.backlog = append(sub.backlog, h.ring[i%h.keep])
		}
	}
	if !live {
		return sub
	}
	s := &subscriber{ch: make(chan events.Event, subscriberBuffer)}
	h.subs[s] = struct{}{}
	sub.ch = s.ch
	sub.cancel = func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		// Emit may already have dropped and closed it.
		if _, ok := h.subs[s]; ok {
			delete(h.subs, s)
			close(s.ch)
		}
	}
	return sub
}

// subscribers is how many live subscribers the Hub has; for tests.
func (h *Hub) subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Tee returns a Sink that hands every event to each non-nil sink in turn,
// so one broker can feed a Hub, Metrics and a Recorder at once. It stamps
// the time once, so every sink sees the same event.
func Tee(sinks ...events.Sink) events.Sink {
	var out []events.Sink
	for _, s := range sinks {
		if s != nil {
			out = append(out, s)
		}
	}
	return events.SinkFunc(func(e events.Event) {
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		for _, s := range out {
			s.Emit(e)
		}
	})
}
