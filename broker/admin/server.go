package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// StatsSource gives /stats its snapshot (the broker's Stats); anything
// encoding/json can marshal will do.
type StatsSource interface{ StatsJSON() any }

// StatsFunc adapts a function to a StatsSource.
type StatsFunc func() any

func (f StatsFunc) StatsJSON() any { return f() }

// Health says whether the node is fit to serve: nil while it is listening
// and not shutting down, otherwise why not.
type Health interface{ Healthy() error }

// HealthFunc adapts a function to Health.
type HealthFunc func() error

func (f HealthFunc) Healthy() error { return f() }

// ErrServerClosed is returned by Start after Shutdown.
var ErrServerClosed = errors.New("admin: server closed")

// streamWriteTimeout bounds one write to a following /events reader. A
// reader that stops reading is dropped by the Hub anyway; this frees the
// handler goroutine too instead of leaving it blocked in a write.
const streamWriteTimeout = 30 * time.Second

// Options configure a Server. Addr and Node are required; Stats, Health,
// Hub and Metrics are optional, and an endpoint whose source is missing
// answers 501 saying so (a missing Health counts as healthy).
type Options struct {
	Addr    string // listen address, e.g. "127.0.0.1:0"
	Node    string // the broker's name
	Stats   StatsSource
	Health  Health
	Hub     *Hub
	Metrics *Metrics // if it has no sampler, it reads Stats at scrape time
}

// Server is a broker's admin HTTP endpoint.
type Server struct {
	o   Options
	srv *http.Server

	mu      sync.Mutex
	ln      net.Listener
	closed  bool
	closing chan struct{} // closed by Shutdown, to end /events streams that http.Server.Shutdown would wait on forever
}

// New validates o and returns a Server that is not yet listening.
func New(o Options) (*Server, error) {
	if o.Addr == "" {
		return nil, errors.New("admin: Addr is required (e.g. 127.0.0.1:0)")
	}
	if o.Node == "" {
		return nil, errors.New("admin: Node is required")
	}
	if o.Metrics != nil && o.Metrics.node != o.Node {
		return nil, fmt.Errorf("admin: Metrics are labelled node=%q but the server is for node %q", o.Metrics.node, o.Node)
	}
	if o.Metrics != nil && o.Stats != nil {
		stats := o.Stats
		o.Metrics.setFallback(func() (Sample, error) { return sampleFromJSON(stats.StatsJSON()) })
	}
	s := &Server{o: o, closing: make(chan struct{})}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       time.Minute,
		// No WriteTimeout: it would cut /events?follow=1 streams.
	}
	return s, nil
}

// Start binds Addr and serves in the background. When it returns without
// error, Addr reports the bound address (port 0 resolved).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrServerClosed
	}
	if s.ln != nil {
		return errors.New("admin: already started")
	}
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return fmt.Errorf("admin: %w", err)
	}
	s.ln = ln
	go s.srv.Serve(ln) // returns ErrServerClosed on Shutdown; nothing to report
	return nil
}

// Addr is the bound address, or "" before Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown stops listening, ends live /events streams and waits for the
// requests in progress, or for ctx; on ctx expiry it closes the remaining
// connections so no handler outlives the server.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	started := s.ln != nil
	s.mu.Unlock()
	if !started {
		return nil
	}
	if err := s.srv.Shutdown(ctx); err != nil {
		s.srv.Close()
		return fmt.Errorf("admin: shutdown: %w", err)
	}
	return nil
}

// Handler is the endpoint's routing, for mounting elsewhere or testing
// without a listener.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// endpoints is what a 404 lists, so a person poking at the port learns
// what is there.
const endpoints = `  /healthz  "ok", or 503 with the reason
  /stats    JSON snapshot: connections, destinations, consumers, bridges
  /metrics  Prometheus text format
  /events   JSON lines, one event each; ?since=N from index N, ?follow=1 to stay for live events
`

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var h func(http.ResponseWriter, *http.Request)
	switch r.URL.Path {
	case "/healthz":
		h = s.healthz
	case "/stats":
		h = s.stats
	case "/metrics":
		h = s.metrics
	case "/events":
		h = s.events
	default:
		http.Error(w, fmt.Sprintf("admin: no endpoint %q on node %s; there are:\n%s", r.URL.Path, s.o.Node, endpoints), http.StatusNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "admin: "+r.Method+" not allowed; the admin endpoint is read-only (GET, HEAD)", http.StatusMethodNotAllowed)
		return
	}
	h(w, r)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if s.shuttingDown() {
		http.Error(w, "admin: shutting down", http.StatusServiceUnavailable)
		return
	}
	if s.o.Health != nil {
		if err := s.o.Health.Healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprint(w, "ok\n")
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	if s.o.Stats == nil {
		http.Error(w, "admin: node "+s.o.Node+" has no stats source", http.StatusNotImplemented)
		return
	}
	// Encoded whole before the header goes out, so a marshal error can
	// still be a 500. No HTML escaping: links read "a->hub", not "a-\u003ehub".
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s.o.Stats.StatsJSON()); err != nil {
		http.Error(w, "admin: stats: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.o.Metrics == nil {
		http.Error(w, "admin: node "+s.o.Node+" has no metrics", http.StatusNotImplemented)
		return
	}
	s.o.Metrics.Handler().ServeHTTP(w, r)
}

// eventLine is one /events line: the event plus its index in the stream,
// so a reader knows what to ask for with ?since= when it reconnects. Seq is
// absent on the EventsDropped line, which is not part of the stream.
type eventLine struct {
	Seq *int `json:"seq,omitempty"`
	events.Event
}

func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	if s.o.Hub == nil {
		http.Error(w, "admin: node "+s.o.Node+" has no event hub", http.StatusNotImplemented)
		return
	}
	q := r.URL.Query()
	since := 0
	if v := q.Get("since"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			http.Error(w, fmt.Sprintf("admin: since=%q: want an event index, 0 or more", v), http.StatusBadRequest)
			return
		}
		since = n
	}
	follow := false
	if v := q.Get("follow"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			http.Error(w, fmt.Sprintf("admin: follow=%q: want 1 or 0", v), http.StatusBadRequest)
			return
		}
		follow = b
	}
	// A HEAD request gets the headers only, so it must not wait for events.
	follow = follow && r.Method != http.MethodHead
	sub := s.o.Hub.subscribe(since, follow)
	defer sub.cancel()

	hdr := w.Header()
	hdr.Set("Content-Type", "application/x-ndjson")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Events-First", strconv.Itoa(sub.first))
	hdr.Set("X-Events-Next", strconv.Itoa(sub.next)) // where a non-following reader resumes
	if follow {
		// A stream leaves a write deadline on the connection; closing it
		// afterwards keeps that deadline from catching a later request.
		hdr.Set("Connection", "close")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}

	rc := http.NewResponseController(w)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // for people reading the stream with curl
	write := func(l eventLine) error {
		buf.Reset()
		if err := enc.Encode(l); err != nil {
			return err
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	if follow {
		rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	}
	seq := sub.first
	for _, e := range sub.backlog {
		if write(eventLine{Seq: &seq, Event: e}) != nil {
			return
		}
		seq++
	}
	if !follow {
		return
	}
	// Flushing here also tells a follower that it is subscribed: events
	// emitted after the response headers arrive will be on the stream.
	if rc.Flush() != nil {
		return
	}
	for {
		select {
		case e, ok := <-sub.ch:
			if !ok {
				return
			}
			rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
			if e.Kind == EventsDropped {
				e.Node = s.o.Node
				write(eventLine{Event: e})
				rc.Flush()
				return
			}
			if write(eventLine{Seq: &seq, Event: e}) != nil {
				return
			}
			seq++
			// Flush once the burst is written, not per line: a reader sees
			// every line as soon as no more are queued, and a burst costs
			// one syscall instead of thousands, which keeps us from falling
			// behind and being dropped.
			if len(sub.ch) == 0 && rc.Flush() != nil {
				return
			}
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		}
	}
}

func (s *Server) shuttingDown() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}
