package admin

import (
	"fmt"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker/events"
)

func ev(i int) events.Event {
	return events.Event{Node: "hub", Kind: events.MessageForwarded, Dest: fmt.Sprintf("/queue/%d", i)}
}

func dests(es []events.Event) string {
	var s []string
	for _, e := range es {
		s = append(s, e.Dest)
	}
	return strings.Join(s, " ")
}

func TestHubRingAndSince(t *testing.T) {
	h := NewHub(3)
	for i := range 5 {
		h.Emit(ev(i))
	}
	if h.Len() != 5 {
		t.Fatalf("Len = %d, want 5", h.Len())
	}
	for _, c := range []struct {
		since int
		want  string
	}{
		{0, "/queue/2 /queue/3 /queue/4"}, // 0 and 1 fell out of the ring
		{-1, "/queue/2 /queue/3 /queue/4"},
		{3, "/queue/3 /queue/4"},
		{5, ""},
		{9, ""},
	} {
		backlog, _, cancel := h.Subscribe(c.since)
		cancel()
		if got := dests(backlog); got != c.want {
			t.Errorf("since=%d: backlog %q, want %q", c.since, got, c.want)
		}
	}
	if h.subscribers() != 0 {
		t.Fatalf("cancel left %d subscribers", h.subscribers())
	}
}

func TestHubLiveAfterBacklog(t *testing.T) {
	h := NewHub(0)
	h.Emit(ev(0))
	backlog, ch, cancel := h.Subscribe(0)
	defer cancel()
	h.Emit(ev(1))
	h.Emit(ev(2))
	got := append(backlog, <-ch, <-ch)
	if want := "/queue/0 /queue/1 /queue/2"; dests(got) != want {
		t.Fatalf("got %q, want %q", dests(got), want)
	}
	if got[1].Time.IsZero() {
		t.Fatal("Emit did not stamp the time")
	}
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("channel still open after cancel")
	}
	cancel() // twice is fine
	h.Emit(ev(3))
}

// A subscriber that never reads must not block Emit: it is dropped, and
// what it buffered ends with an EventsDropped event saying where to resume.
func TestHubSlowSubscriberIsDropped(t *testing.T) {
	h := NewHub(0)
	_, ch, cancel := h.Subscribe(0)
	defer cancel()
	const n = 100000
	for i := range n {
		h.Emit(ev(i))
	}
	if h.subscribers() != 0 {
		t.Fatal("the slow subscriber was not dropped")
	}
	var got []events.Event
	for e := range ch {
		got = append(got, e)
	}
	if len(got) != subscriberBuffer {
		t.Fatalf("received %d events, want %d (buffer) ", len(got), subscriberBuffer)
	}
	last := got[len(got)-1]
	if last.Kind != EventsDropped {
		t.Fatalf("last event %v, want %s", last, EventsDropped)
	}
	if want := fmt.Sprintf("since=%d", subscriberBuffer-1); !strings.Contains(last.Reason, want) {
		t.Fatalf("reason %q does not say %q", last.Reason, want)
	}
	for i, e := range got[:len(got)-1] {
		if e.Dest != ev(i).Dest {
			t.Fatalf("event %d is %s, want %s", i, e.Dest, ev(i).Dest)
		}
	}
	if h.Len() != n {
		t.Fatalf("Len = %d, want %d", h.Len(), n)
	}
}

func TestTee(t *testing.T) {
	h := NewHub(0)
	m := NewMetrics("hub")
	var seen []events.Event
	sink := Tee(h, nil, m, events.SinkFunc(func(e events.Event) { seen = append(seen, e) }))
	sink.Emit(ev(0))
	backlog, _, cancel := h.Subscribe(0)
	cancel()
	if len(backlog) != 1 || len(seen) != 1 || !backlog[0].Time.Equal(seen[0].Time) || seen[0].Time.IsZero() {
		t.Fatalf("hub %v, func %v: want one event with the same time", backlog, seen)
	}
}
