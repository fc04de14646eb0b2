package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// client's timeout only keeps a broken test from hanging; no assertion
// depends on time.
var client = &http.Client{Timeout: time.Minute}

// fakeStats has broker.Stats' JSON shape, which is what /metrics reads
// when no sampler is set.
type fakeStats struct {
	Node         string     `json:"node"`
	Connections  int        `json:"connections"`
	Bridges      []string   `json:"bridges"`
	Destinations []fakeDest `json:"destinations"`
}

type fakeDest struct {
	Name      string           `json:"name"`
	Pending   int              `json:"pending"`
	Enqueued  uint64           `json:"enqueued"`
	Dequeued  uint64           `json:"dequeued"`
	Consumers []map[string]any `json:"consumers,omitempty"`
}

func sampleStats() fakeStats {
	return fakeStats{Node: "hub", Connections: 3, Bridges: []string{"a->hub (127.0.0.1:5)"},
		Destinations: []fakeDest{{Name: "/queue/a", Pending: 2, Enqueued: 5, Dequeued: 3, Consumers: []map[string]any{{"id": "c1", "ack": "client"}}}}}
}

func start(t *testing.T, o Options) (*Server, string) {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.Node == "" {
		o.Node = "hub"
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return s, "http://" + s.Addr()
}

func do(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	return do(t, http.MethodGet, url)
}

func TestNewValidates(t *testing.T) {
	for _, o := range []Options{
		{Node: "hub"},
		{Addr: "127.0.0.1:0"},
		{Addr: "127.0.0.1:0", Node: "hub", Metrics: NewMetrics("other")},
	} {
		if _, err := New(o); err == nil || !strings.HasPrefix(err.Error(), "admin: ") {
			t.Errorf("New(%+v) = %v, want an admin: error", o, err)
		}
	}
}

func TestStartAndAddr(t *testing.T) {
	s, _ := start(t, Options{})
	host, port, err := net.SplitHostPort(s.Addr())
	if err != nil || host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q (%v), want the bound 127.0.0.1 port", s.Addr(), err)
	}
	if err := s.Start(); err == nil {
		t.Fatal("second Start succeeded")
	}
	busy, err := New(Options{Addr: s.Addr(), Node: "hub"})
	if err != nil {
		t.Fatal(err)
	}
	if err := busy.Start(); err == nil || !strings.HasPrefix(err.Error(), "admin: ") {
		t.Fatalf("Start on a used port = %v, want an admin: error", err)
	}
}

func TestHealthz(t *testing.T) {
	var unhealthy error
	_, base := start(t, Options{Health: HealthFunc(func() error { return unhealthy })})
	resp, body := get(t, base+"/healthz")
	if resp.StatusCode != 200 || body != "ok\n" {
		t.Fatalf("healthy: %d %q", resp.StatusCode, body)
	}
	unhealthy = errors.New("broker: listener stomp://127.0.0.1:61613 is closed")
	resp, body = get(t, base+"/healthz")
	if resp.StatusCode != 503 || body != unhealthy.Error()+"\n" {
		t.Fatalf("unhealthy: %d %q", resp.StatusCode, body)
	}
}

func TestStats(t *testing.T) {
	_, base := start(t, Options{Stats: StatsFunc(func() any { return sampleStats() })})
	resp, body := get(t, base+"/stats")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if !strings.Contains(body, "\n  \"connections\": 3,") || !strings.Contains(body, `"a->hub (127.0.0.1:5)"`) {
		t.Fatalf("not indented JSON:\n%s", body)
	}
	var got fakeStats
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	if got.Destinations[0].Enqueued != 5 || got.Bridges[0] != "a->hub (127.0.0.1:5)" {
		t.Fatalf("round trip: %+v", got)
	}

	_, base = start(t, Options{})
	if resp, body := get(t, base+"/stats"); resp.StatusCode != 501 || !strings.HasPrefix(body, "admin: ") {
		t.Fatalf("no stats source: %d %q", resp.StatusCode, body)
	}
}

func TestRouting(t *testing.T) {
	_, base := start(t, Options{Hub: NewHub(0)})
	resp, body := get(t, base+"/nope")
	if resp.StatusCode != 404 {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
	for _, p := range []string{"/healthz", "/stats", "/metrics", "/events"} {
		if !strings.Contains(body, p) {
			t.Errorf("404 text does not list %s:\n%s", p, body)
		}
	}
	resp, _ = do(t, http.MethodPost, base+"/healthz")
	if resp.StatusCode != 405 || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("POST: %d Allow=%q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	// HEAD of a follow stream answers at once instead of waiting for events.
	resp, body = do(t, http.MethodHead, base+"/events?follow=1")
	if resp.StatusCode != 200 || body != "" || resp.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("HEAD /events: %d %q %q", resp.StatusCode, body, resp.Header.Get("Content-Type"))
	}
}

type line struct {
	Seq *int `json:"seq"`
	events.Event
}

func parseLines(t *testing.T, body string) []line {
	t.Helper()
	var out []line
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if l == "" {
			continue
		}
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, x)
	}
	return out
}

func checkSeq(t *testing.T, ls []line, first int) {
	t.Helper()
	for i, l := range ls {
		want := first + i
		if l.Seq == nil || *l.Seq != want || l.Dest != ev(want).Dest {
			t.Fatalf("line %d: seq %v dest %s, want seq %d dest %s", i, l.Seq, l.Dest, want, ev(want).Dest)
		}
	}
}

func TestEventsBacklogAndSince(t *testing.T) {
	hub := NewHub(0)
	_, base := start(t, Options{Hub: hub})
	for i := range 5 {
		hub.Emit(ev(i))
	}
	resp, body := get(t, base+"/events")
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("Content-Type %q", ct)
	}
	ls := parseLines(t, body)
	if len(ls) != 5 {
		t.Fatalf("%d lines, want 5:\n%s", len(ls), body)
	}
	checkSeq(t, ls, 0)

	resp, body = get(t, base+"/events?since=3")
	ls = parseLines(t, body)
	if len(ls) != 2 || resp.Header.Get("X-Events-Next") != "5" {
		t.Fatalf("since=3: %d lines, next %s:\n%s", len(ls), resp.Header.Get("X-Events-Next"), body)
	}
	checkSeq(t, ls, 3)

	resp, body = get(t, base+"/events?since=5")
	if resp.StatusCode != 200 || body != "" {
		t.Fatalf("since=5: %d %q", resp.StatusCode, body)
	}
	for _, q := range []string{"since=-1", "since=x", "follow=maybe"} {
		if resp, body := get(t, base+"/events?"+q); resp.StatusCode != 400 || !strings.HasPrefix(body, "admin: ") {
			t.Errorf("%s: %d %q", q, resp.StatusCode, body)
		}
	}
}

func TestEventsFollow(t *testing.T) {
	hub := NewHub(0)
	_, base := start(t, Options{Hub: hub})
	hub.Emit(ev(0))
	hub.Emit(ev(1))
	resp, err := client.Get(base + "/events?follow=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	// The headers arrive after the handler subscribed, so everything
	// emitted from here on is live.
	if resp.Header.Get("X-Events-Next") != "2" {
		t.Fatalf("X-Events-Next %q, want 2", resp.Header.Get("X-Events-Next"))
	}
	const n = 50
	for i := 2; i < n; i++ {
		hub.Emit(ev(i))
	}
	r := bufio.NewReader(resp.Body)
	var body strings.Builder
	for range n {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", body.String(), err)
		}
		body.WriteString(l)
	}
	checkSeq(t, parseLines(t, body.String()), 0)
}

// A follower that stops reading must not hold up Emit: the Hub drops it,
// and when it reads again its stream ends with an events-dropped line.
func TestEventsSlowFollowerIsDropped(t *testing.T) {
	hub := NewHub(0)
	_, base := start(t, Options{Hub: hub})
	resp, err := client.Get(base + "/events?follow=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pad := strings.Repeat("x", 200) // fill socket buffers sooner
	emit := func(i int) {
		e := ev(i)
		e.Reason = pad
		hub.Emit(e)
	}
	i := 0
	for ; i < 100000; i++ {
		emit(i)
	}
	// The handler drains into the socket until its buffers fill; after
	// that the Hub must drop it. Nothing reads the body until then.
	for hub.subscribers() > 0 {
		emit(i)
		i++
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	ls := parseLines(t, string(b))
	last := ls[len(ls)-1]
	if last.Kind != EventsDropped || last.Seq != nil || last.Node != "hub" {
		t.Fatalf("last line %+v, want %s", last.Event, EventsDropped)
	}
	checkSeq(t, ls[:len(ls)-1], 0)
	resume := strconv.Itoa(len(ls) - 1)
	if !strings.Contains(last.Reason, "since="+resume) {
		t.Fatalf("reason %q does not say since=%s", last.Reason, resume)
	}
	t.Logf("dropped after %d of %d events", len(ls)-1, i)
	if len(ls)-1 >= i {
		t.Fatalf("received all %d events; the follower was not dropped", i)
	}
}

func TestMetrics(t *testing.T) {
	hub, m := NewHub(0), NewMetrics("hub")
	_, base := start(t, Options{Hub: hub, Metrics: m, Stats: StatsFunc(func() any { return sampleStats() })})
	sink := Tee(hub, m)
	for _, e := range []events.Event{
		{Kind: events.TLSFailed, Side: events.SideServer, Class: "unknown-authority"},
		{Kind: events.TLSFailed, Side: events.SideServer, Class: "unknown-authority"},
		{Kind: events.TLSFailed, Side: events.SideClient, Class: "expired"},
		{Kind: events.TLSFailed, Side: events.SideClient},
		{Kind: events.BridgeState, Link: "a->hub", State: events.StateUp},
		{Kind: events.BridgeState, Link: "b->hub", State: events.StateUp},
		{Kind: events.BridgeState, Link: "b->hub", State: events.StateRetrying},
	} {
		e.Node = "hub"
		sink.Emit(e)
	}
	resp, body := get(t, base+"/metrics")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{
		`brokerlab_tls_failures_total{class="unknown-authority",node="hub",side="server"} 2`,
		`brokerlab_tls_failures_total{class="expired",node="hub",side="client"} 1`,
		`brokerlab_tls_failures_total{class="other",node="hub",side="client"} 1`,
		`brokerlab_events_total{kind="tls-failed",node="hub"} 4`,
		`brokerlab_events_total{kind="bridge",node="hub"} 3`,
		`brokerlab_bridge_up{link="a->hub",node="hub"} 1`,
		`brokerlab_bridge_up{link="b->hub",node="hub"} 0`,
		`brokerlab_connections{node="hub"} 3`,
		`brokerlab_destination_depth{destination="/queue/a",node="hub"} 2`,
		`brokerlab_destination_consumers{destination="/queue/a",node="hub"} 1`,
		`brokerlab_enqueued_total{destination="/queue/a",node="hub"} 5`,
		`brokerlab_dequeued_total{destination="/queue/a",node="hub"} 3`,
		"\ngo_goroutines ",
		"\nprocess_",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}

	// An explicit sampler wins over reading /stats.
	m.SetSampler(func() Sample { return Sample{Connections: 7} })
	_, body = get(t, base+"/metrics")
	if !strings.Contains(body, `brokerlab_connections{node="hub"} 7`) || strings.Contains(body, "brokerlab_destination_depth") {
		t.Fatalf("SetSampler not used:\n%s", body)
	}
}

func TestMetricsWithoutSampleSource(t *testing.T) {
	_, base := start(t, Options{Metrics: NewMetrics("hub")})
	resp, body := get(t, base+"/metrics")
	if resp.StatusCode != 200 || strings.Contains(body, "brokerlab_connections") || !strings.Contains(body, "go_goroutines") {
		t.Fatalf("%d:\n%s", resp.StatusCode, body)
	}
}

func TestShutdownEndsFollow(t *testing.T) {
	hub := NewHub(0)
	s, base := start(t, Options{Hub: hub})
	resp, err := client.Get(base + "/events?follow=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	hub.Emit(ev(0))
	r := bufio.NewReader(resp.Body)
	if _, err := r.ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	// With a live stream, http.Server.Shutdown alone would wait for the
	// context; Shutdown returning nil means the stream was ended.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(r)
	if err != nil || len(rest) != 0 {
		t.Fatalf("after Shutdown: %q, %v; want a clean end", rest, err)
	}
	if err := s.Start(); !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Start after Shutdown = %v", err)
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Fatal("still answering after Shutdown")
	}
}

func Example() {
	hub := NewHub(0)
	s, _ := New(Options{Addr: "127.0.0.1:0", Node: "hub", Hub: hub})
	if err := s.Start(); err != nil {
		panic(err)
	}
	defer s.Shutdown(context.Background())
	hub.Emit(events.Event{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Node: "hub", Kind: events.ListenerUp, Local: "127.0.0.1:61613"})
	resp, err := http.Get("http://" + s.Addr() + "/events")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	io.Copy(os.Stdout, resp.Body)
	// Output:
	// {"seq":0,"time":"2026-01-02T03:04:05Z","node":"hub","kind":"listener-up","local":"127.0.0.1:61613"}
}
