package events

import (
	"strings"
	"testing"
	"time"
)

func TestRecorderWaitFindsLaterEvent(t *testing.T) {
	r := NewRecorder(nil)
	r.Emit(Event{Node: "a", Kind: BridgeState, State: StateConnecting})
	from := r.Len()
	go func() {
		r.Emit(Event{Node: "a", Kind: BridgeState, State: StateRetrying})
		r.Emit(Event{Node: "a", Kind: BridgeState, State: StateUp})
	}()
	e, ok, _ := r.Wait(from, time.Now().Add(5*time.Second), func(e Event) bool { return e.State == StateUp }, nil)
	if !ok || e.State != StateUp || e.Time.IsZero() {
		t.Fatalf("got %v %v", e, ok)
	}
}

// On timeout, Wait reports the last related event, so callers can say what
// they saw instead of a bare timeout.
func TestRecorderWaitReportsLastRelated(t *testing.T) {
	r := NewRecorder(nil)
	r.Emit(Event{Node: "a", Kind: BridgeState, Link: "a->b", State: StateRetrying, Reason: "tls: unknown authority"})
	r.Emit(Event{Node: "c", Kind: ListenerUp})
	_, ok, last := r.Wait(0, time.Now().Add(50*time.Millisecond),
		func(e Event) bool { return e.State == StateUp },
		func(e Event) bool { return e.Link == "a->b" })
	if ok || last == nil || last.Reason != "tls: unknown authority" {
		t.Fatalf("ok=%v last=%v", ok, last)
	}
}

func TestRecorderForwardsAndCopies(t *testing.T) {
	var got []Event
	r := NewRecorder(SinkFunc(func(e Event) { got = append(got, e) }))
	r.Emit(Event{Node: "n", Kind: ConnAccepted})
	evs := r.Events()
	evs[0].Node = "changed"
	if r.Events()[0].Node != "n" || len(got) != 1 {
		t.Fatal("Events must return a copy, and forward must see every event")
	}
}

func TestEventString(t *testing.T) {
	e := Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Node: "hub", Kind: TLSFailed, Side: SideServer, Class: "unknown-authority", Peer: "server-b", Delay: time.Second}
	s := e.String()
	for _, want := range []string{"03:04:05.000 hub tls-failed", "side=server", "class=unknown-authority", "peer=server-b", "delay=1s"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}
