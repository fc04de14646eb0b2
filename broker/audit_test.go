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
