package driver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// A node's /events stream that breaks after two lines is resumed from the
// next index: every event arrives once, in order, and the follower returns
// once the node is gone and its stream has ended.
func TestFollowEventsResumesWithoutDuplicates(t *testing.T) {
	var mu sync.Mutex
	var asked []string
	gone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Query().Get("since"))
		n := len(asked)
		mu.Unlock()
		since := 0
		fmt.Sscan(r.URL.Query().Get("since"), &since)
		// First connection: events 0 and 1, then the stream breaks. Second:
		// from since to 4, then the node goes away.
		last := 1
		if n > 1 {
			last = 4
		}
		for i := since; i <= last; i++ {
			fmt.Fprintf(w, `{"seq":%d,"time":"2026-01-01T00:00:00Z","node":"hub","kind":"bridge","reason":"e%d"}`+"\n", i, i)
		}
		// A line without seq (the endpoint's "you were dropped") is skipped.
		fmt.Fprintln(w, `{"node":"hub","kind":"events-dropped"}`)
		if n > 1 {
			close(gone)
		}
	}))
	defer srv.Close()
	rec := events.NewRecorder(nil)
	done := make(chan struct{})
	go func() {
		FollowEvents(context.Background(), strings.TrimPrefix(srv.URL, "http://"), gone, rec)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("FollowEvents did not return after the node was gone")
	}
	var got []string
	for _, e := range rec.Events() {
		got = append(got, e.Reason)
	}
	if strings.Join(got, ",") != "e0,e1,e2,e3,e4" {
		t.Fatalf("events %v, want e0..e4 once each", got)
	}
	if len(asked) < 2 || asked[0] != "0" || asked[1] != "2" {
		t.Fatalf("since= asked %v, want 0 then 2", asked)
	}
}
