package broker

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/selector"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/store"
)

// message is one message as the broker holds it. Headers are the producer's
// own headers; the ones the broker owns (destination, message-id, …) are set
// at delivery.
type message struct {
	id          string
	dest        string
	headers     []stomp.Header
	body        []byte
	path        []string // brokers it has been stored on, origin first
	redelivered bool
	expires     int64 // the producer's expires header, ms since the epoch; 0: never
	persistent  bool  // in the store until acknowledged
	deliveries  int   // times handed to a local consumer (network hops do not count)
	sz          int64 // size(), once computed
	pr          int8  // priority()+1, once worked out; 0: not yet
	// loc is where the store holds the message (persistent ones, queues
	// only). spooled says its body was dropped from memory because its
	// queue was over its memory limit: delivery reads it back from loc.
	loc     store.Location
	spooled bool
}

// dropBody forgets the body of a message that waits in the store. Its
// header strings and id are copied first: they may share the body's
// allocation (stomp.Reader reads a small body beside its frame's header
// text), which would otherwise stay in memory with them.
func (m *message) dropBody(d *destination) {
	m.dest = d.name
	m.id = strings.Clone(m.id) // a forwarded message's id is its frame's text
	hs, path := detachHeaders(m.headers, m.path)
	// The old headers are m's own (a messageBlock's inline room, or an
	// array of their own, newMessageBlock): cleared, they stop holding the
	// frame's text, body and all, for as long as m lives.
	clear(m.headers[:cap(m.headers)])
	m.headers, m.path = hs, path
	m.body, m.spooled, m.sz = nil, true, 0
}

// detachHeaders copies headers and path into one allocation of their own.
func detachHeaders(headers []stomp.Header, path []string) ([]stomp.Header, []string) {
	var n int
	for _, h := range headers {
		n += len(h.Key) + len(h.Value)
	}
	for _, p := range path {
		n += len(p)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, h := range headers {
		sb.WriteString(h.Key)
		sb.WriteString(h.Value)
	}
	for _, p := range path {
		sb.WriteString(p)
	}
	all, at := sb.String(), 0
	take := func(l int) string { s := all[at : at+l]; at += l; return s }
	hs := make([]stomp.Header, len(headers))
	for i, h := range headers {
		hs[i] = stomp.Header{Key: take(len(h.Key)), Value: take(len(h.Value))}
	}
	ps := make([]string, len(path))
	for i, p := range path {
		ps[i] = take(len(p))
	}
	return hs, ps
}

// expiryClock reads the time only when a message has an expiry to test
// against it: most carry none, and dispatch runs for every message.
type expiryClock struct{ now int64 }

func (c *expiryClock) expired(m *message) bool {
	if m.expires <= 0 {
		return false
	}
	if c.now == 0 {
		c.now = time.Now().UnixMilli()
	}
	return c.now >= m.expires
}

// size is what a waiting message costs the destination's memory limit.
// A message's headers and body never change once made, so its size is
// worked out once; it is only ever read under its destination's lock.
func (m *message) size() int64 {
	if m.sz == 0 {
		m.sz = int64(len(m.body) + len(m.id) + len(m.dest) + 64)
		for _, h := range m.headers {
			m.sz += int64(len(h.Key) + len(h.Value))
		}
	}
	return m.sz
}

// Message priorities, JMS's: 0 (lowest) to 9; 4 when the producer set none.
const (
	minPriority     = 0
	maxPriority     = 9
	defaultPriority = 4
)

// priority is the producer's priority header as a number. SEND refuses a
// value out of range, so anything else here (a message recovered from an
// older store, or forwarded by another broker) counts as the default.
// Like size, it is worked out once, under the destination's lock.
func (m *message) priority() int {
	if m.pr == 0 {
		p := defaultPriority
		if v, ok := m.header("priority"); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= minPriority && n <= maxPriority {
				p = n
			}
		}
		m.pr = int8(p + 1)
	}
	return int(m.pr - 1)
}

// enqueue adds m to a list of waiting messages kept in dispatch order:
// higher priorities first, first in first out within one priority. Most
// messages carry the default priority and go at the end at once.
func enqueue(list []*message, m *message) []*message {
	p := m.priority()
	i := len(list)
	for i > 0 && list[i-1].priority() < p {
		i--
	}
	if i == len(list) {
		return append(list, m)
	}
	return slices.Insert(list, i, m)
}

// popFront drops a list's first message. Re-slicing past it would give up
// a slot of capacity each time, so a queue that consumers keep nearly empty
// would allocate a new array for every message; short lists shift instead,
// long ones (where shifting costs more than an occasional regrowth) are
// re-sliced.
func popFront(list []*message) []*message {
	if n := len(list); n <= 32 {
		copy(list, list[1:])
		list[n-1] = nil
		return list[:n-1]
	}
	list[0] = nil
	return list[1:]
}

// requeueAhead puts messages coming back (redelivered) ahead of the waiting
// messages of their own priority, keeping dispatch order by priority.
func requeueAhead(back, list []*message) []*message {
	slices.SortStableFunc(back, func(a, b *message) int { return b.priority() - a.priority() })
	out := make([]*message, 0, len(back)+len(list))
	for len(back) > 0 && len(list) > 0 {
		if back[0].priority() >= list[0].priority() {
			out, back = append(out, back[0]), back[1:]
		} else {
			out, list = append(out, list[0]), list[1:]
		}
	}
	out = append(out, back...)
	return append(out, list...)
}

func (m *message) visited(broker string) bool { return slices.Contains(m.path, broker) }

// destination is a queue or a topic. Its mutex guards its messages and
// subscriptions; dispatch runs under it and only enqueues frames, never
// blocking on a socket.
type destination struct {
	name  string
	topic bool
	b     *Broker

	mu       sync.Mutex
	pending  []*message // queue only
	subs     []*subscription
	durables []*durable    // topics: durable subscriptions, present or away
	rr       int           // round-robin cursor over subs
	special  int           // subs with a priority or suppression: pick must rank them
	bytes    int64         // size of what waits here (pending, topic copies, durables' backlog, unacknowledged deliveries)
	deleted  bool          // deleteDest: its bytes no longer count in the broker's
	space    chan struct{} // closed when bytes drops, so paused producers look again
	enqueued uint64        // messages published here
	expired  uint64        // dropped unsent because their expires passed
	dequeued uint64        // deliveries settled (acked, or written in auto mode)
	spooled  uint64        // persistent messages whose bodies waited in the store, not in memory
}

// Temporary destinations: a client names them /temp-queue/x or
// /temp-topic/x; the broker gives each connection its own real destination,
// /remote-temp-queue/<session>.x, rewrites reply-to headers to it so others
// can answer, and deletes it when the connection ends.
const (
	tempQueuePrefix       = "/temp-queue/"
	tempTopicPrefix       = "/temp-topic/"
	remoteTempQueuePrefix = "/remote-temp-queue/"
	remoteTempTopicPrefix = "/remote-temp-topic/"
)

func isQueue(name string) bool {
	return strings.HasPrefix(name, "/queue/") || strings.HasPrefix(name, remoteTempQueuePrefix)
}

func isTopic(name string) bool {
	return strings.HasPrefix(name, "/topic/") || strings.HasPrefix(name, remoteTempTopicPrefix)
}

func isTemp(name string) bool {
	return strings.HasPrefix(name, tempQueuePrefix) || strings.HasPrefix(name, tempTopicPrefix)
}

// subscription is a consumer: a client's SUBSCRIBE, or a bridge's demand on
// behalf of a peer broker (network consumer).
type subscription struct {
	conn     *conn
	id       string
	dest     *destination
	ack      string // auto, client, client-individual
	window   int    // max in flight (prefetch)
	network  bool
	peer     string // for network subscriptions: the broker that asked
	ttl      int    // for network subscriptions: the bridge's networkTTL
	hops     int    // bridges between this broker and the real consumer
	priority int    // higher wins among consumers with room (decreaseNetworkConsumerPriority makes network ones negative)
	suppress bool   // suppressDuplicateQueueSubscriptions: idle while a shorter path to the same demand exists
	parent   *wildcardSub
	durable  *durable
	selector *selector.Selector // nil: every message

	// guarded by dest.mu
	inflight int
	pending  []*message // topic subscriptions: copies not yet sent
	starved  bool       // noted on its connection's starved list (conn.starve)

	// Guarded by conn.mu. Client-ack (cumulative) subscriptions only:
	// deliveries in the order sent, so an ACK settles a prefix instead of
	// scanning every unacknowledged message of the connection. Entries
	// settled some other way (NACK, unsubscribe) are skipped when met.
	// A wildcard's children use their parent's instead (wildcard.go).
	sent []*delivery

	// Guarded by parent.mu: a wildcard child's place in the line for its
	// parent's shared window (wildcard.go).
	waiting, turn bool
}

// eligible says whether m may go to s: never back to a broker it has been
// on, and only if the consumer behind s is within the TTL counted from the
// message's origin (hops made so far, plus s.hops still to go), so a
// message is never sent where it would be stranded short of its consumer.
func (s *subscription) eligible(m *message) bool {
	if s.network && (m.visited(s.peer) || len(m.path)-1+s.hops > s.ttl) {
		return false
	}
	return s.selector == nil || s.selector.Match(m.header)
}

// header is what a selector sees: the message's headers, with JMS's
// default priority 4 when the producer set none.
func (m *message) header(name string) (string, bool) {
	for _, h := range m.headers {
		if h.Key == name {
			return h.Value, true
		}
	}
	switch name {
	case "priority":
		return "4", true
	case "message-id":
		return m.id, true
	case "destination":
		return m.dest, true
	}
	return "", false
}

// hasRoom says whether s may take one more message: its window has room
// (for a wildcard's child, the wildcard's one window), and its connection
// holds less than its memory limit (conn.held).
func (s *subscription) hasRoom() bool {
	if s.parent != nil {
		if !s.parent.room(s) { // one window for all of a wildcard's children
			return false
		}
	} else if s.inflight >= s.window {
		return false
	}
	return s.conn.held.Load() < s.conn.heldLimit || s.conn.starve(s)
}

// feed dispatches again to s, whose connection had no room and has drained.
func (d *destination) feed(s *subscription) {
	d.mu.Lock()
	s.starved = false
	d.dispatchLocked()
	d.mu.Unlock()
}

// publish adds a message and dispatches what it can.
func (d *destination) publish(m *message) { d.publishKept(m, nil) }

// publishKept is publish, given where the store holds each durable
// subscription's copy of m (publishTo). It reports whether d is over its
// memory limit once m is in and dispatched.
func (d *destination) publishKept(m *message, locs []durableLoc) (full bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.enqueued++
	if d.topic {
		for _, s := range d.subs {
			if s.eligible(m) {
				s.pending = enqueue(s.pending, m)
				d.grow(m.size())
			}
		}
		for _, dur := range d.durables {
			if dur.active != nil {
				continue
			}
			// A copy in the store means the selector took m already.
			if loc := locFor(locs, dur); loc.Valid() || dur.wants(m) {
				d.keep(dur, m, loc)
			}
		}
	} else {
		if m.loc.Valid() && !m.spooled && (d.bytes+m.size() > d.b.cfg.DestinationMemoryLimit || d.b.memOver()) {
			// Over the limit (its own or the broker's), a stored message
			// waits on disk rather than pausing its producer: only its
			// headers stay in memory.
			m.dropBody(d)
			d.spooled++
		}
		d.pending = enqueue(d.pending, m)
		d.grow(m.size())
	}
	d.dispatchLocked()
	return d.bytes >= d.b.cfg.DestinationMemoryLimit || d.b.memOver()
}

// requeue puts messages back at the head of the queue (ahead of the
// waiting messages of their priority), in their order, marked redelivered:
// a consumer went away or refused them.
// Messages delivered to consumers more than 1+MaxRedeliveries times go to
// the dead-letter queue instead, with their original destination noted.
func (d *destination) requeue(ms []*message) {
	if len(ms) == 0 || d.topic {
		return
	}
	d.mu.Lock()
	back, dead := d.redelivered(ms)
	d.pending = requeueAhead(back, d.pending)
	d.dispatchLocked()
	d.mu.Unlock()
	d.deadLetterAll(nil, dead)
}

// redelivered marks refused messages redelivered and splits them: those
// that may be delivered again, counted back in d, and those delivered more
// than 1+MaxRedeliveries times, for the DLQ. Called under d.mu.
func (d *destination) redelivered(ms []*message) (back, dead []*message) {
	back = make([]*message, 0, len(ms))
	for _, m := range ms {
		m.redelivered = true
		if m.deliveries > d.b.cfg.MaxRedeliveries && d.name != DeadLetterQueue {
			dead = append(dead, m)
			continue
		}
		back = append(back, m)
		d.grow(m.size())
	}
	return back, dead
}

// deadLetterAll routes what redelivered set aside to the DLQ (s is the
// subscription whose own copies they are, nil for a queue's). Outside
// d.mu: the DLQ is another destination with its own lock.
func (d *destination) deadLetterAll(s *subscription, dead []*message) {
	for _, m := range dead {
		record := m.id
		if s != nil && s.durable != nil {
			record = durableRecordID(m.id, s.durable.key) // a durable subscription's copy
		}
		d.b.deadLetter(m, record, fmt.Sprintf("delivered %d times, more than 1+maximumRedeliveries (%d)", m.deliveries, d.b.cfg.MaxRedeliveries))
	}
}

// refused takes back what s's consumer NACKed: a queue's messages go back
// to the queue for any consumer; a topic's are s's own copies, so they go
// back to s alone.
func (d *destination) refused(s *subscription, ms []*message) {
	if d.topic {
		d.redeliverTo(s, ms)
		return
	}
	d.requeue(ms)
}

// redeliverTo puts a topic subscriber's NACKed messages back ahead of what
// waits for it, marked redelivered; past MaxRedeliveries one goes to the
// DLQ instead, as a queue's does. Each becomes s's own copy here: the
// original may still be on its way to the topic's other subscribers, who
// must not see it redelivered.
func (d *destination) redeliverTo(s *subscription, ms []*message) {
	if len(ms) == 0 {
		return
	}
	own := make([]*message, len(ms))
	for i, m := range ms {
		c := *m
		own[i] = &c
	}
	d.mu.Lock()
	back, dead := d.redelivered(own)
	s.pending = requeueAhead(back, s.pending)
	d.dispatchLocked()
	d.mu.Unlock()
	d.deadLetterAll(s, dead)
}

func (d *destination) addSub(s *subscription) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.subs = append(d.subs, s)
	if s.ranked() {
		d.special++
	}
	d.dispatchLocked()
}

// removeSub detaches s so nothing more is dispatched to it. A durable
// subscriber's unsent copies move back to its durable subscription in the
// same step, so a message published meanwhile is kept, not lost.
func (d *destination) removeSub(s *subscription) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, x := range d.subs {
		if x == s {
			d.subs = append(d.subs[:i:i], d.subs[i+1:]...)
			if s.ranked() {
				d.special--
			}
			break
		}
	}
	if dur := s.durable; dur != nil && dur.active == s {
		// Still counted: the durable subscription keeps them.
		for _, m := range s.pending {
			dur.bytes += m.size()
		}
		dur.pending = append(s.pending, dur.pending...)
		dur.active = nil
	} else {
		for _, m := range s.pending {
			d.freed(m)
		}
	}
	s.pending = nil
}

// freed takes a message out of the memory count and wakes paused
// producers. Called under d.mu.
func (d *destination) freed(m *message) { d.shrink(m.size()) }

// reserve waits until the destination is under its memory limit, and the
// broker under its own. It returns false at once when fail is set, or
// when stop is closed first. paused is called once if it has to wait,
// saying whether for the broker's limit; alive, every pausedCheck while it
// waits, and when it says no, reserve gives up.
func (d *destination) reserve(limit int64, fail bool, stop <-chan struct{}, paused func(broker bool), alive func() bool) bool {
	told := false
	var check *time.Ticker
	defer func() {
		if check != nil {
			check.Stop()
		}
	}()
	for {
		d.mu.Lock()
		room := d.bytes < limit
		if room && !d.b.memOver() {
			d.mu.Unlock()
			return true
		}
		if fail {
			d.mu.Unlock()
			return false
		}
		var space <-chan struct{}
		if !room {
			if d.space == nil {
				d.space = make(chan struct{})
			}
			space = d.space
		}
		d.mu.Unlock()
		if room {
			if space = d.b.memWait(); space == nil {
				continue
			}
		}
		if !told {
			paused(room)
			told = true
			check = time.NewTicker(pausedCheck)
		}
		select {
		case <-space:
		case <-stop:
			return false
		case <-check.C:
			if !alive() {
				return false
			}
		}
	}
}

// pausedCheck is how often a paused producer's connection is checked for
// its peer having gone (conn.peerAlive).
const pausedCheck = time.Second

// giveBack returns what a departed subscriber held unacknowledged: to the
// head of the queue, or to its durable subscription (before everything it
// kept meanwhile); a plain topic subscriber's copies are dropped.
func (d *destination) giveBack(s *subscription, ms []*message) {
	if len(ms) == 0 {
		return
	}
	if dur := s.durable; dur != nil {
		d.mu.Lock()
		for _, m := range ms {
			m.redelivered = true
			dur.bytes += m.size()
			d.grow(m.size())
		}
		dur.pending = append(append([]*message(nil), ms...), dur.pending...)
		d.mu.Unlock()
		return
	}
	d.requeue(ms)
}

// settled takes the bytes of unacknowledged deliveries that ended some
// other way than release (their subscriber left; giveBack has already
// counted them again wherever they went) out of the memory count.
func (d *destination) settled(size int64) {
	if size == 0 {
		return
	}
	d.mu.Lock()
	d.shrink(size)
	d.mu.Unlock()
}

// release returns n credits to s (acked, or written in auto mode); size
// is the acknowledged deliveries' bytes, still counted here until now.
func (d *destination) release(s *subscription, n int, size int64) {
	d.mu.Lock()
	if size != 0 {
		d.shrink(size)
	}
	s.inflight -= n
	d.dequeued += uint64(n)
	if s.parent != nil {
		s.parent.give(n)
	}
	d.dispatchLocked()
	d.mu.Unlock()
	if s.parent != nil {
		// The credits may be for a sibling on another destination, which
		// only wake dispatches; it takes their locks, so not under ours.
		s.parent.wake()
	}
}

func (d *destination) dispatchLocked() {
	var clock expiryClock
	if d.topic {
		for _, s := range d.subs {
			for len(s.pending) > 0 && s.hasRoom() {
				m := s.pending[0]
				if s.parent != nil && !clock.expired(m) && !s.parent.take(s) {
					break // a sibling on another destination took the wildcard's last credit
				}
				s.pending = popFront(s.pending)
				if clock.expired(m) {
					d.freed(m)
					d.expired++
					d.b.forgetFor(s, m)
					continue
				}
				s.deliver(m)
			}
		}
		return
	}
	for i := 0; i < len(d.pending); {
		if !d.anyRoom() {
			return
		}
		m := d.pending[i]
		if clock.expired(m) {
			d.pending = append(d.pending[:i], d.pending[i+1:]...)
			d.freed(m)
			d.b.forget(m)
			d.expired++
			d.b.emit(events.Event{Kind: events.MessageDropped, Dest: d.name, ID: m.id, Reason: "expired: its expires header has passed"})
			continue
		}
		s := d.pick(m)
		if s == nil {
			i++ // nobody may take this one (e.g. it came from the only peer with demand); try the next
			continue
		}
		if s.parent != nil && !s.parent.take(s) {
			continue // a sibling on another destination took the wildcard's last credit since pick looked: pick again
		}
		if i == 0 {
			d.pending = popFront(d.pending)
		} else {
			d.pending = append(d.pending[:i], d.pending[i+1:]...)
		}
		s.deliver(m)
	}
}

func (d *destination) anyRoom() bool {
	for _, s := range d.subs {
		if s.hasRoom() {
			return true
		}
	}
	return false
}

// pick chooses the next consumer round robin among those with room that may
// take m; when some consumers are ranked (network consumers' decreased
// priority, suppressed duplicate paths), only among the best ranked.
func (d *destination) pick(m *message) *subscription {
	n := len(d.subs)
	ok := func(s *subscription) bool { return s.hasRoom() && s.eligible(m) }
	best := 0
	if d.special > 0 {
		found := false
		ok = func(s *subscription) bool { return s.hasRoom() && s.eligible(m) && !d.suppressed(s) }
		for _, s := range d.subs {
			if ok(s) && (!found || s.priority > best) {
				best, found = s.priority, true
			}
		}
		if !found {
			return nil
		}
	}
	for k := 0; k < n; k++ {
		s := d.subs[(d.rr+k)%n]
		if s.priority == best && ok(s) {
			d.rr = (d.rr + k + 1) % n
			return s
		}
	}
	return nil
}

func (s *subscription) ranked() bool { return s.priority != 0 || s.suppress }

// suppressed says whether a network consumer stands idle because another
// peer offers a shorter path to the same queue (ties go to the peer whose
// name sorts first), as suppressDuplicateQueueSubscriptions asks.
func (d *destination) suppressed(s *subscription) bool {
	if !s.suppress {
		return false
	}
	for _, t := range d.subs {
		if t != s && t.network && t.peer != s.peer && (t.hops < s.hops || (t.hops == s.hops && t.peer < s.peer)) {
			return true
		}
	}
	return false
}

// deliver hands m to the subscription's connection. Called under dest.mu.
// A spooled message's body is read back from the store for this delivery
// only, so it never comes back into the destination's memory.
//
// An auto-ack delivery's bytes leave the destination now: until written
// they are its connection's (conn.held), then gone. An unacknowledged one
// stays counted here until settled, as ActiveMQ counts dispatched messages
// against the memory limit until acknowledged: a client-ack consumer that
// reads but does not acknowledge pauses producers, not itself.
func (s *subscription) deliver(m *message) {
	body, err := s.dest.b.body(m)
	if err != nil {
		s.dest.freed(m)
		// It stays stored and unacknowledged: a restart delivers it.
		s.dest.b.emit(events.Event{Kind: events.MessageDropped, Dest: m.dest, ID: m.id,
			Reason: "not delivered: " + err.Error() + "; it stays in the store and is delivered after a restart"})
		if w := s.parent; w != nil {
			// Its credit, taken before the read, goes back; the siblings'
			// destinations are dispatched elsewhere, as this one is locked.
			w.give(1)
			go w.wake()
		}
		return
	}
	if s.ack == ackAuto {
		s.dest.freed(m)
	}
	s.inflight++
	if !s.network {
		m.deliveries++
	}
	s.conn.deliver(s, m, body)
}
