package admin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/brokerlab/brokerlab/broker/events"
)

// Sample is what Metrics reads from the broker at each scrape. Levels and
// totals the broker already keeps are read, not re-derived from events, so
// /metrics and /stats always agree.
type Sample struct {
	Connections  int
	Destinations []DestinationSample
}

// DestinationSample describes one queue or topic.
type DestinationSample struct {
	Name      string
	Depth     int    // messages waiting for a consumer
	Consumers int    // subscriptions, local and network
	Enqueued  uint64 // messages published here since the broker started
	Dequeued  uint64 // deliveries settled since the broker started
}

// Metrics holds a node's Prometheus collectors in a private registry, so
// several brokers in one process (the in-process driver) do not collide in
// the global one. It is an events.Sink: TLS failures, bridge states and
// event counts come from the event stream; connections and per-destination
// figures come from a Sample taken at scrape time.
type Metrics struct {
	node string
	reg  *prometheus.Registry

	tlsFailures *prometheus.CounterVec
	eventsTotal *prometheus.CounterVec
	bridgeUp    *prometheus.GaugeVec

	mu       sync.Mutex
	sampler  func() (Sample, error) // set by SetSampler; wins over fallback
	fallback func() (Sample, error) // set by New from Options.Stats

	connections, depth, consumers, enqueued, dequeued *prometheus.Desc
}

// NewMetrics returns the collectors for node, each labelled node=<node>,
// registered together with the Go runtime and process collectors.
func NewMetrics(node string) *Metrics {
	nodeLabel := prometheus.Labels{"node": node}
	m := &Metrics{
		node: node,
		reg:  prometheus.NewRegistry(),
		tlsFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brokerlab_tls_failures_total", ConstLabels: nodeLabel,
			Help: "TLS handshakes that failed, by failure class and by which side this node was.",
		}, []string{"class", "side"}),
		eventsTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "brokerlab_events_total", ConstLabels: nodeLabel,
			Help: "Events this node emitted, by kind.",
		}, []string{"kind"}),
		bridgeUp: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "brokerlab_bridge_up", ConstLabels: nodeLabel,
			Help: "1 while the network bridge on this link is up, 0 after it went down, retried, failed or stopped.",
		}, []string{"link"}),
		connections: prometheus.NewDesc("brokerlab_connections",
			"Open connections, clients and bridges.", nil, nodeLabel),
		depth: prometheus.NewDesc("brokerlab_destination_depth",
			"Messages waiting on a destination for a consumer.", []string{"destination"}, nodeLabel),
		consumers: prometheus.NewDesc("brokerlab_destination_consumers",
			"Subscriptions on a destination, local and network.", []string{"destination"}, nodeLabel),
		enqueued: prometheus.NewDesc("brokerlab_enqueued_total",
			"Messages published to a destination.", []string{"destination"}, nodeLabel),
		dequeued: prometheus.NewDesc("brokerlab_dequeued_total",
			"Deliveries from a destination that were settled (acked, or written in auto mode).", []string{"destination"}, nodeLabel),
	}
	m.reg.MustRegister(m.tlsFailures, m.eventsTotal, m.bridgeUp, sampleCollector{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Node is the node label every broker metric carries.
func (m *Metrics) Node() string { return m.node }

// Emit counts e, and follows bridge state changes. It is cheap enough to
// call on the broker's connection goroutines.
func (m *Metrics) Emit(e events.Event) {
	m.eventsTotal.WithLabelValues(string(e.Kind)).Inc()
	switch e.Kind {
	case events.TLSFailed:
		m.tlsFailures.WithLabelValues(orOther(e.Class), orOther(e.Side)).Inc()
	case events.BridgeState:
		if e.Link == "" {
			return
		}
		// Any state but up means messages do not cross the link now;
		// keeping the series at 0 (not deleting it) lets an alert see it.
		up := 0.0
		if e.State == events.StateUp {
			up = 1
		}
		m.bridgeUp.WithLabelValues(e.Link).Set(up)
	}
}

// orOther keeps a label from being empty, which Prometheus would show as a
// missing label: an unclassified failure is "other", as tlsconf says.
func orOther(s string) string {
	if s == "" {
		return "other"
	}
	return s
}

// SetSampler sets the function read at every scrape for connections and
// per-destination figures. Without one, Metrics reads the Server's
// StatsSource (see Options.Stats); with neither, those metrics are absent
// rather than reported as zero.
func (m *Metrics) SetSampler(f func() Sample) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if f == nil {
		m.sampler = nil
		return
	}
	m.sampler = func() (Sample, error) { return f(), nil }
}

func (m *Metrics) setFallback(f func() (Sample, error)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fallback = f
}

// Handler serves the registry in the Prometheus exposition format. A
// failing sample does not hide the other metrics.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// sampleCollector reports the scrape-time figures; it is a separate type so
// Metrics itself is not a prometheus.Collector by accident.
type sampleCollector struct{ m *Metrics }

func (c sampleCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.m.connections, c.m.depth, c.m.consumers, c.m.enqueued, c.m.dequeued} {
		ch <- d
	}
}

func (c sampleCollector) Collect(ch chan<- prometheus.Metric) {
	m := c.m
	m.mu.Lock()
	f := m.sampler
	if f == nil {
		f = m.fallback
	}
	m.mu.Unlock()
	if f == nil {
		return
	}
	s, err := f()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(m.connections, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(m.connections, prometheus.GaugeValue, float64(s.Connections))
	seen := map[string]bool{}
	for _, d := range s.Destinations {
		// A duplicate series would fail the whole scrape; keep the first.
		if seen[d.Name] {
			continue
		}
		seen[d.Name] = true
		ch <- prometheus.MustNewConstMetric(m.depth, prometheus.GaugeValue, float64(d.Depth), d.Name)
		ch <- prometheus.MustNewConstMetric(m.consumers, prometheus.GaugeValue, float64(d.Consumers), d.Name)
		ch <- prometheus.MustNewConstMetric(m.enqueued, prometheus.CounterValue, float64(d.Enqueued), d.Name)
		ch <- prometheus.MustNewConstMetric(m.dequeued, prometheus.CounterValue, float64(d.Dequeued), d.Name)
	}
}

// sampleFromJSON reads a Sample out of a /stats snapshot by its JSON field
// names, which are the /stats contract, so the broker's Stats type can feed
// /metrics without this package importing it.
func sampleFromJSON(v any) (Sample, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return Sample{}, fmt.Errorf("admin: stats: %w", err)
	}
	var st struct {
		Connections  int `json:"connections"`
		Destinations []struct {
			Name      string            `json:"name"`
			Pending   int               `json:"pending"`
			Enqueued  uint64            `json:"enqueued"`
			Dequeued  uint64            `json:"dequeued"`
			Consumers []json.RawMessage `json:"consumers"`
		} `json:"destinations"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return Sample{}, fmt.Errorf("admin: stats snapshot is not shaped like /stats: %w", err)
	}
	s := Sample{Connections: st.Connections}
	for _, d := range st.Destinations {
		s.Destinations = append(s.Destinations, DestinationSample{Name: d.Name, Depth: d.Pending,
			Consumers: len(d.Consumers), Enqueued: d.Enqueued, Dequeued: d.Dequeued})
	}
	return s, nil
}
