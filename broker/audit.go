package broker

import (
	"hash/maphash"
	"strings"
	"sync"
)

// audit remembers the ids of messages received over bridges, so a copy
// sent again after a lost ACK, or reaching this broker by a second path,
// is recognised and dropped.
//
// Most ids end in a sequence number under a prefix naming their producer:
// ours are "ID:<broker>-<run>-<seq>", ActiveMQ's "<producer id>:<seq>". For
// those, as ActiveMQ's own message audit does, each producer gets a window
// of the last n sequence numbers as a bitmap: recording an id touches one
// word that is almost always in cache. A map of 65,536 ids, even keyed by
// a hash, cost a hub 0.5–0.7 µs per forwarded message in cache misses,
// about a seventh of its CPU.
//
// Everything else goes to an exact ring of the last n ids: ids without a
// sequence number, and ids arriving below their producer's window (a
// message that waited on the sending broker while later ones crossed). So
// an id is forgotten only once its producer has moved n sequence numbers
// past it, or the ring n ids past it, or its producer's window was dropped
// to make room for maxProducers newer ones.
type audit struct {
	mu           sync.Mutex
	n            uint64 // a power of two
	maxProducers int
	producers    map[string]*seqWindow
	clock        uint64 // counts adds, to find the least recently used window
	ring         idRing
}

// auditProducers bounds the windows kept (8 KiB each at n = 65,536); a
// network's brokers are one producer each per run, ActiveMQ's producers
// one each per producer.
const auditProducers = 256

func newAudit(n int) *audit {
	size := uint64(64)
	for size < uint64(n) {
		size <<= 1
	}
	return &audit{n: size, maxProducers: auditProducers, producers: map[string]*seqWindow{}, ring: newIDRing(n)}
}

// add records id and reports whether it is new.
func (a *audit) add(id string) bool {
	prefix, seq, ok := splitSeq(id)
	a.mu.Lock()
	defer a.mu.Unlock()
	if !ok {
		return a.ring.add(id)
	}
	a.clock++
	w := a.producers[prefix]
	if w == nil {
		w = a.newWindow(prefix, seq)
	}
	w.used = a.clock
	switch {
	case seq > w.hi:
		w.advance(seq)
	case seq+a.n <= w.hi:
		return a.ring.add(id) // below the window: remembered exactly
	}
	return w.set(seq)
}

func (a *audit) newWindow(prefix string, seq uint64) *seqWindow {
	if len(a.producers) >= a.maxProducers {
		var oldest string
		var used uint64
		for p, w := range a.producers {
			if oldest == "" || w.used < used {
				oldest, used = p, w.used
			}
		}
		delete(a.producers, oldest)
	}
	w := &seqWindow{bits: make([]uint64, a.n/64), hi: seq}
	a.producers[prefix] = w
	return w
}

// seqWindow is one producer's sequence numbers in (hi-n, hi], a bit each,
// bit seq%n in a ring of words.
type seqWindow struct {
	bits []uint64
	hi   uint64
	used uint64
}

// advance moves the window up to end at seq, clearing the bits of the
// sequence numbers it passes over (they belonged to ids n behind).
func (w *seqWindow) advance(seq uint64) {
	n := uint64(len(w.bits)) * 64
	if seq-w.hi >= n {
		clear(w.bits)
	} else {
		for s := w.hi + 1; s <= seq; s++ {
			if s%64 == 0 && seq-s >= 63 {
				w.bits[(s%n)/64] = 0
				s += 63
				continue
			}
			w.bits[(s%n)/64] &^= 1 << (s % 64)
		}
	}
	w.hi = seq
}

// set marks seq, inside the window, and reports whether it was unmarked.
func (w *seqWindow) set(seq uint64) bool {
	n := uint64(len(w.bits)) * 64
	word, bit := &w.bits[(seq%n)/64], uint64(1)<<(seq%64)
	if *word&bit != 0 {
		return false
	}
	*word |= bit
	return true
}

// splitSeq splits an id into a prefix and the decimal number it ends in.
// The number must be canonical (no leading zero) and the prefix must not
// be empty, so each id has one (prefix, seq) and no two ids share one:
// "x-07" is not a sequence id at all, rather than a second "x-7".
func splitSeq(id string) (prefix string, seq uint64, ok bool) {
	i := len(id)
	for i > 0 && id[i-1] >= '0' && id[i-1] <= '9' {
		i--
	}
	digits := id[i:]
	if i == 0 || len(digits) == 0 || len(digits) > 19 || (digits[0] == '0' && len(digits) > 1) {
		return "", 0, false
	}
	for j := 0; j < len(digits); j++ {
		seq = seq*10 + uint64(digits[j]-'0')
	}
	return id[:i], seq, true
}

// idRing remembers the last n ids exactly. It grows as ids arrive rather
// than reserving room for n up front: most brokers never need it.
//
// The index is keyed by a 64-bit hash of the id, not the id; a hit is
// confirmed against the id itself, so two ids sharing a hash never make a
// message look like a duplicate; the second of them is simply not
// remembered.
type idRing struct {
	n      int
	hashOf func(string) uint64
	seen   map[uint64]int // hash -> slot in ring
	ring   []auditEntry
	next   int
}

type auditEntry struct {
	hash uint64
	id   string
}

func newIDRing(n int) idRing {
	seed := maphash.MakeSeed()
	return idRing{n: n, hashOf: func(id string) uint64 { return maphash.String(seed, id) }, seen: map[uint64]int{}}
}

// add records id and reports whether it is new.
func (r *idRing) add(id string) bool {
	h := r.hashOf(id)
	slot, known := r.seen[h]
	if known && r.ring[slot].id == id {
		return false
	}
	// A copy, so as not to keep the message's header text, and perhaps its
	// body (see message.dropBody), alive as long as the ring remembers it.
	e := auditEntry{hash: h, id: strings.Clone(id)}
	if len(r.ring) < r.n {
		slot = len(r.ring)
		r.ring = append(r.ring, e)
	} else {
		slot = r.next
		if old := r.ring[slot].hash; r.seen[old] == slot {
			delete(r.seen, old)
		}
		r.ring[slot] = e
		r.next = (r.next + 1) % r.n
	}
	if !known {
		r.seen[h] = slot
	}
	return true
}
