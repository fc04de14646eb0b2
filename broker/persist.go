package broker

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/selector"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/store"
)

// Persistence. A persistent message (persistent:true, to a queue) is
// appended to the store before it is routed, so before its RECEIPT: once a
// producer holds a receipt, a crash cannot lose the message. Consumers'
// acknowledgements are appended by a background writer, batched: a crash
// can make a message come back once more, never go missing.

// States of store events (events.StoreRecovered). They say how much an
// event matters, so that logEvent can log a cut tail as a warning and a
// failure as an error without reading the reason's words.
const (
	storeRecovered = "recovered" // Open replayed the log; counts in the reason
	storeTruncated = "truncated" // a torn tail was cut; file and offset in the reason
	storeFailed    = "failed"    // the store refuses appends until a restart
	storeAcksLost  = "acks-lost" // acknowledgements were not written: those messages come back once
)

// openStore opens Options.DataDir's store and routes what it recovered,
// before any listener accepts a connection.
func (b *Broker) openStore() error {
	st, rec, err := store.Open(store.Options{Dir: filepath.Join(b.cfg.DataDir, "store"), OnFail: b.storeFailed})
	if err != nil {
		// Not wrapped: every error of package store starts "store:", and
		// a CorruptError already names the file, the offset and the fix.
		return err
	}
	b.acks = make(chan string, 1<<16)
	b.ackDone = make(chan struct{})
	go b.ackWriter(st)
	b.storeMu.Lock()
	b.store = st
	b.storeMu.Unlock()
	if t := rec.Truncated; t != nil {
		b.emit(events.Event{Kind: events.StoreRecovered, State: storeTruncated,
			Reason: fmt.Sprintf("cut a damaged tail at %s offset %d (%s); the records before it were recovered", t.File, t.Offset, t.Reason)})
	}
	// Open keeps no bodies. They are read back here one at a time, each
	// message with its location, so that publish can spool what is over
	// a queue's memory limit exactly as it does for a live producer: a
	// backlog bigger than memory restarts like any other.
	err = st.ReadRecovered(rec.Messages, func(i int, r store.Record) error {
		if b.recoverDurable(r, rec.Messages[i].Loc) {
			return nil
		}
		m := &message{id: r.ID, dest: r.Dest, body: r.Body, path: []string{b.cfg.Name}, persistent: true,
			loc: rec.Messages[i].Loc,
			// It may have reached a consumer before the crash: say so.
			redelivered: true}
		for _, h := range r.Headers {
			m.headers = append(m.headers, stomp.Header{Key: h.Key, Value: h.Value})
		}
		b.audit.add(m.id) // a bridge resending it is a duplicate
		b.route(m)
		return nil
	})
	if err != nil {
		// The log replayed, yet a live message cannot be read back: do
		// not start without it. The error names the file and offset.
		b.closeStore(false)
		return err
	}
	b.emit(events.Event{Kind: events.StoreRecovered, State: storeRecovered,
		Reason: fmt.Sprintf("recovered %d persistent messages from %d records in %d segments", len(rec.Messages), rec.Records, rec.Segments)})
	return nil
}

// storeFailed reports, once, that the store stopped taking appends. From
// then on persistent sends are refused and acknowledgements are not
// written, until a restart replays what reached the disk; /healthz says so
// too (healthy).
func (b *Broker) storeFailed(err error) {
	b.emit(events.Event{Kind: events.StoreRecovered, State: storeFailed,
		Reason: err.Error() + "; persistent messages are refused and acknowledgements not recorded until the broker restarts"})
}

func putRecord(m *message) store.Record {
	r := store.Record{Kind: store.Put, ID: m.id, Dest: m.dest, Body: m.body}
	for _, h := range m.headers {
		r.Headers = append(r.Headers, store.Header{Key: h.Key, Value: h.Value})
	}
	return r
}

// persistAll stores, in one append, the persistent ones among ms and the
// copies the persistent topic messages among them make for durable
// subscriptions (storeForDurables): after a crash all of them are there or
// none, so a transaction is never half committed. It returns each
// message's copies' locations, for publishKept.
func (b *Broker) persistAll(ms []*message) ([][]durableLoc, error) {
	st := b.currentStore()
	copies := make([][]durableLoc, len(ms))
	if st == nil {
		return copies, nil
	}
	var recs []store.Record
	for i, m := range ms {
		switch {
		case m.persistent:
			recs = append(recs, putRecord(m))
		case isTopic(m.dest):
			var rs []store.Record
			_, copies[i], rs = b.durableRecords(b.dest(m.dest), m)
			recs = append(recs, rs...)
		}
	}
	if len(recs) == 0 {
		return copies, nil
	}
	locs, err := st.AppendAt(recs...)
	if err != nil {
		return nil, err
	}
	// The locations come back in the order the records went in: a
	// message's own, or its copies (durableRecords marks a topic message
	// with copies persistent, hence copies first).
	k := 0
	for i, m := range ms {
		if m.persistent && copies[i] == nil {
			m.loc = locs[k]
			k++
			continue
		}
		for j := range copies[i] {
			copies[i][j].loc = locs[k]
			k++
		}
	}
	return copies, nil
}

// body is m's body: in memory, or read back from the store when m was
// spooled.
func (b *Broker) body(m *message) ([]byte, error) {
	if !m.spooled {
		return m.body, nil
	}
	st := b.currentStore()
	if st == nil {
		return nil, fmt.Errorf("the store holding %s's body is closed", m.id)
	}
	r, err := st.Read(m.loc)
	if err != nil {
		return nil, err
	}
	// m.loc is the message's own record, or a durable subscription's copy
	// of it (durableRecordID), which names its subscription.
	if r.ID != m.id && r.ID != durableRecordID(m.id, recordHeader(r, hdrDurable)) {
		return nil, fmt.Errorf("store: read %s: found %s at its location", m.id, r.ID)
	}
	return r.Body, nil
}

func recordHeader(r store.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return h.Value
		}
	}
	return ""
}

func (b *Broker) currentStore() *store.Store {
	b.storeMu.RLock()
	defer b.storeMu.RUnlock()
	return b.store
}

// forget records that a persistent message is done with (acknowledged,
// expired, dead-lettered elsewhere). It never blocks: it may run under a
// destination's lock.
func (b *Broker) forget(m *message) {
	if m.persistent {
		b.forgetID(m.id)
	}
}

func (b *Broker) forgetID(id string) {
	b.storeMu.RLock()
	defer b.storeMu.RUnlock()
	if b.store == nil {
		return
	}
	select {
	case b.acks <- id:
	default:
		go func() {
			defer func() { recover() }() // the store closed meanwhile: the ack is lost, the message may come back once
			b.acks <- id
		}()
	}
}

// ackWriter appends acknowledgements in batches, so consumers never wait
// for a disk. A failed batch is reported once, not per batch: once the
// store has failed every later batch fails the same way.
func (b *Broker) ackWriter(st *store.Store) {
	defer close(b.ackDone)
	reported := false
	for id := range b.acks {
		recs := []store.Record{{Kind: store.Ack, ID: id}}
	drain:
		for len(recs) < 4096 {
			select {
			case id, ok := <-b.acks:
				if !ok {
					break drain
				}
				recs = append(recs, store.Record{Kind: store.Ack, ID: id})
			default:
				break drain
			}
		}
		err := st.Append(recs...)
		if err == nil || reported {
			continue
		}
		reported = true
		e := events.Event{Kind: events.StoreRecovered, State: storeFailed,
			Reason: "cannot record acknowledgements: " + err.Error() + "; the messages acknowledged from now on are delivered again after a restart"}
		if errors.Is(err, store.ErrClosed) {
			// Kill closes the store under the writer, as a crash would:
			// expected, and at-least-once covers it.
			e.State, e.Reason = storeAcksLost, "acknowledgements not recorded before the store closed; those messages are delivered again after a restart"
		}
		b.emit(e)
	}
}

// closeStore flushes pending acknowledgements (when graceful) and closes.
func (b *Broker) closeStore(graceful bool) {
	b.storeMu.Lock()
	st := b.store
	b.store = nil
	if st != nil {
		close(b.acks) // forget sees store nil from now on, so nothing sends
	}
	b.storeMu.Unlock()
	if st == nil {
		return
	}
	if graceful {
		<-b.ackDone // what was queued is written
	} else {
		st.Close() // a crash: what the writer has not written is lost
		<-b.ackDone
		return
	}
	st.Close()
}

// Durable subscriptions in the store: a registration record
// ("durable:<client-id>:<name>", with the topic as its destination), and,
// for every persistent message published to the topic, one copy per durable
// subscription ("<message id>@<client-id>:<name>"), acknowledged when that
// subscription's subscriber acknowledges it.
const (
	durablePrefix = "durable:"
	hdrDurable    = "brokerlab-durable" // on stored copies: which durable subscription
)

func durableRecordID(msgID, key string) string { return msgID + "@" + key }

// storeDurable registers durable subscription key to dest, a topic or a
// pattern of topics.
func (b *Broker) storeDurable(key, dest string, sel *selector.Selector) error {
	st := b.currentStore()
	if st == nil {
		return nil
	}
	r := store.Record{Kind: store.Put, ID: durablePrefix + key, Dest: dest}
	if sel != nil {
		r.Headers = []store.Header{{Key: "selector", Value: sel.String()}}
	}
	return st.Append(r)
}

// forgetDurable drops a deleted durable subscription and what it kept.
func (b *Broker) forgetDurable(key string, kept []*message) {
	st := b.currentStore()
	if st == nil {
		return
	}
	recs := []store.Record{{Kind: store.Ack, ID: durablePrefix + key}}
	for _, m := range kept {
		if m.persistent {
			recs = append(recs, store.Record{Kind: store.Ack, ID: durableRecordID(m.id, key)})
		}
	}
	st.Append(recs...)
}

// forgetFor records that sub's subscriber is done with m: the queue copy,
// or a durable subscription's own copy.
func (b *Broker) forgetFor(s *subscription, m *message) {
	switch {
	case s.durable != nil:
		if m.persistent {
			b.forgetID(durableRecordID(m.id, s.durable.key))
		}
	case !s.dest.topic:
		b.forget(m)
	}
}

// recoverDurable rebuilds durable subscriptions and what they kept, from
// the records Open returned (registrations come before their copies). A
// kept copy comes back spooled, as it was kept: its body stays in the
// store, at loc, until its subscriber is given it, so a backlog kept for
// subscribers away restarts in little memory however large it is.
func (b *Broker) recoverDurable(r store.Record, loc store.Location) bool {
	if key, ok := strings.CutPrefix(r.ID, durablePrefix); ok {
		var sel *selector.Selector
		for _, h := range r.Headers {
			if h.Key == "selector" {
				// Parsed when it was subscribed; if this version no longer
				// takes it, the subscriber's next SUBSCRIBE says so.
				sel, _ = selector.Parse(h.Value)
			}
		}
		if isPattern(r.Dest) {
			b.addDurablePattern(&durablePattern{key: key, pattern: r.Dest, selector: sel})
			return true
		}
		d := b.dest(r.Dest)
		dur := &durable{key: key, dest: d, selector: sel}
		b.mu.Lock()
		b.durables[key] = dur
		b.mu.Unlock()
		d.mu.Lock()
		d.durables = append(d.durables, dur)
		d.mu.Unlock()
		return true
	}
	key := recordHeader(r, hdrDurable)
	if key == "" {
		return false
	}
	b.mu.Lock()
	dur, dp := b.durables[key], b.durablePatterns[key]
	b.mu.Unlock()
	if dur == nil && dp != nil {
		dur = b.durableChild(dp, b.dest(r.Dest))
	}
	if dur == nil {
		return true // its subscription was deleted; the copy is stale
	}
	m := &message{id: strings.TrimSuffix(r.ID, "@"+key), dest: r.Dest, path: []string{b.cfg.Name}, persistent: true, redelivered: true,
		loc: loc, spooled: true}
	for _, h := range r.Headers {
		if h.Key != hdrDurable {
			m.headers = append(m.headers, stomp.Header{Key: h.Key, Value: h.Value})
		}
	}
	dur.dest.mu.Lock()
	dur.pending = append(dur.pending, m)
	dur.dest.spooled++
	dur.dest.mu.Unlock()
	return true
}
