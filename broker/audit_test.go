package broker

import (
	"fmt"
	"testing"
)

func TestAuditRemembersTheLastN(t *testing.T) {
	a := newAudit(3)
	for i := range 5 {
		if !a.add(fmt.Sprint(i)) {
			t.Fatalf("%d reported as a duplicate", i)
		}
	}
	for _, id := range []string{"2", "3", "4"} {
		if a.add(id) {
			t.Errorf("%s, one of the last 3, was not recognised", id)
		}
	}
	if !a.add("0") || !a.add("2") {
		t.Error("ids older than the last 3 must be forgotten")
	}
	if len(a.seen) != 3 || len(a.ring) != 3 {
		t.Fatalf("holds %d ids in a ring of %d, want 3", len(a.seen), len(a.ring))
	}
}

// TestAuditHashCollision: ids that share a hash are told apart by the id
// itself, so a new message is never dropped as a duplicate of another.
func TestAuditHashCollision(t *testing.T) {
	a := newAudit(4)
	a.hashOf = func(id string) uint64 { return uint64(len(id)) } // "a" and "b" collide
	if !a.add("a") || !a.add("b") {
		t.Fatal("an id sharing a hash with a remembered one was reported as a duplicate")
	}
	if a.add("a") {
		t.Fatal(`"a" was not recognised`)
	}
	for _, id := range []string{"cc", "ddd", "eeee", "fffff"} { // push "a" and "b" out
		a.add(id)
	}
	if !a.add("a") {
		t.Fatal(`"a", forgotten, was reported as a duplicate`)
	}
	if a.add("eeee") || a.add("fffff") {
		t.Fatal("recent ids were not recognised")
	}
}
