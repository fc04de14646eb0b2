package broker

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestIDRingRemembersTheLastN(t *testing.T) {
	r := newIDRing(3)
	for i := range 5 {
		if !r.add(fmt.Sprint("id-", i)) {
			t.Fatalf("%d reported as a duplicate", i)
		}
	}
	for _, id := range []string{"id-2", "id-3", "id-4"} {
		if r.add(id) {
			t.Errorf("%s, one of the last 3, was not recognised", id)
		}
	}
	if !r.add("id-0") || !r.add("id-2") {
		t.Error("ids older than the last 3 must be forgotten")
	}
	if len(r.seen) != 3 || len(r.ring) != 3 {
		t.Fatalf("holds %d ids in a ring of %d, want 3", len(r.seen), len(r.ring))
	}
}

// TestIDRingHashCollision: ids that share a hash are told apart by the id
// itself, so a new message is never dropped as a duplicate of another.
func TestIDRingHashCollision(t *testing.T) {
	r := newIDRing(4)
	r.hashOf = func(id string) uint64 { return uint64(len(id)) } // "a" and "b" collide
	if !r.add("a") || !r.add("b") {
		t.Fatal("an id sharing a hash with a remembered one was reported as a duplicate")
	}
	if r.add("a") {
		t.Fatal(`"a" was not recognised`)
	}
	for _, id := range []string{"cc", "ddd", "eeee", "fffff"} { // push "a" and "b" out
		r.add(id)
	}
	if !r.add("a") {
		t.Fatal(`"a", forgotten, was reported as a duplicate`)
	}
	if r.add("eeee") || r.add("fffff") {
		t.Fatal("recent ids were not recognised")
	}
}

func TestSplitSeq(t *testing.T) {
	for _, c := range []struct {
		id     string
		prefix string
		seq    uint64
		ok     bool
	}{
		{"ID:spoke-1a2b-42", "ID:spoke-1a2b-", 42, true},
		{"ID:host-41234-1700000000000-1:1:1:1:7", "ID:host-41234-1700000000000-1:1:1:1:", 7, true},
		{"x-0", "x-", 0, true},
		{"x-07", "", 0, false},  // not canonical: would alias "x-7"
		{"12345", "", 0, false}, // no prefix
		{"abc", "", 0, false},   // no number
		{"x-99999999999999999999", "", 0, false},
		{"", "", 0, false},
	} {
		p, s, ok := splitSeq(c.id)
		if p != c.prefix || s != c.seq || ok != c.ok {
			t.Errorf("splitSeq(%q) = %q, %d, %v; want %q, %d, %v", c.id, p, s, ok, c.prefix, c.seq, c.ok)
		}
	}
}

// TestAuditAgainstExactModel drives the audit with ids from a few
// producers, out of order and resent, and checks every answer against a
// set of every id seen: within the audit's reach (ids less than n behind
// their producer's newest and the ring's last n) it must agree exactly,
// and it must never call a new id a duplicate.
func TestAuditAgainstExactModel(t *testing.T) {
	const n = 256
	a := newAudit(n)
	seen := map[string]bool{}
	next := map[string]uint64{}
	rng := rand.New(rand.NewPCG(1, 2))
	producers := []string{"ID:a-r1-", "ID:b-r1-", "peer:1:1:"}
	var sent []string
	recorded := map[string]int{} // id -> when add last called it new
	for i := range 20000 {
		var id string
		switch r := rng.IntN(10); {
		case r < 6: // a producer's next message, skipping some numbers as a broker's shared counter does
			p := producers[rng.IntN(len(producers))]
			next[p] += 1 + uint64(rng.IntN(3))
			id = fmt.Sprint(p, next[p])
		case r < 8 && len(sent) > 0: // a resend of a recent one
			id = sent[max(0, len(sent)-1-rng.IntN(n/4))]
		case r < 9: // an id with no sequence number
			id = fmt.Sprintf("opaque-%x", rng.Uint32()%512) + "z"
		default: // a message that waited: well below its producer's window
			p := producers[rng.IntN(len(producers))]
			if next[p] > 4*n {
				id = fmt.Sprint(p, next[p]-n-uint64(rng.IntN(2*n)))
			} else {
				continue
			}
		}
		fresh := a.add(id)
		if at, ok := recorded[id]; fresh && ok && i-at <= n/4 {
			t.Fatalf("%s, recorded %d adds ago, was not recognised", id, i-at)
		}
		if !fresh && !seen[id] {
			t.Fatalf("%s, never seen, was reported as a duplicate", id)
		}
		if fresh {
			recorded[id] = i
		}
		seen[id] = true
		sent = append(sent, id)
	}
}

func TestAuditWindow(t *testing.T) {
	a := newAudit(128)
	for s := 1; s <= 1000; s++ {
		if !a.add(fmt.Sprint("ID:p-", s)) {
			t.Fatalf("seq %d reported as a duplicate", s)
		}
	}
	if a.add("ID:p-1000") || a.add("ID:p-873") {
		t.Error("ids within the window were not recognised")
	}
	if !a.add("ID:p-872") {
		t.Error("an id n behind the newest must be forgotten")
	}
	if a.add("ID:p-872") {
		t.Error("an id below the window, once seen, must be remembered by the ring")
	}
	if !a.add("ID:p-100000") || !a.add("ID:p-999") {
		t.Error("a jump past the window must clear it")
	}
	if len(a.ring.ring) != 2 { // p-872 and p-999 went to the ring
		t.Errorf("ring holds %d ids, want 2", len(a.ring.ring))
	}
}

func TestAuditDropsLeastRecentProducer(t *testing.T) {
	a := newAudit(64)
	a.maxProducers = 2
	a.add("ID:a-1")
	a.add("ID:b-1")
	a.add("ID:a-2") // b is now the least recently used
	a.add("ID:c-1")
	if _, ok := a.producers["ID:b-"]; ok || len(a.producers) != 2 {
		t.Fatalf("windows kept: %v, want a and c", a.producers)
	}
	if a.add("ID:a-1") || a.add("ID:c-1") {
		t.Error("kept windows forgot their ids")
	}
}

func BenchmarkAuditAdd(b *testing.B) {
	a := newAudit(1 << 16)
	ids := make([]string, 1<<20)
	for i := range ids {
		ids[i] = fmt.Sprint("ID:spoke-0123456789abcdef-", 3*i+1)
	}
	b.ResetTimer()
	for i := range b.N {
		if i%len(ids) == 0 && i > 0 {
			a = newAudit(1 << 16) // the ids start again: a new run of the producer
		}
		a.add(ids[i%len(ids)])
	}
}
