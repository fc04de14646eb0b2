package faults

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/Shopify/toxiproxy/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/brokerlab/brokerlab/topology"
)

// Network is an embedded toxiproxy with one proxy per link, named as the
// link is ("server-a->hub"). It has no HTTP API: brokerlab drives the
// proxies in-process, as toxiproxy's own tests do, so there is no port to
// allocate and nothing for another process to poke at.
//
// Network implements Target.
type Network struct {
	server *toxiproxy.ApiServer
}

// NewNetwork returns an empty network. Toxiproxy logs every accepted
// connection and every closed stream at Info/Warn level; the logger is
// zerolog.Nop so that nothing reaches stdout or stderr — brokerlab's own
// event stream is where connections are reported. A private Prometheus
// registry keeps the proxies out of the process-wide default one.
func NewNetwork() *Network {
	return &Network{server: toxiproxy.NewServer(
		toxiproxy.NewMetricsContainer(prometheus.NewRegistry()),
		zerolog.Nop(),
	)}
}

// AddLink starts a proxy for link on a free loopback port, relaying to
// upstream (the To node's listener, "host:port"), and returns the address
// the From node's connector must dial.
func (n *Network) AddLink(link topology.Link, upstream string) (listen string, err error) {
	if err := checkAddr(upstream); err != nil {
		return "", fmt.Errorf("faults: add link %s: upstream: %w", link, err)
	}
	p := toxiproxy.NewProxy(n.server, link.String(), "127.0.0.1:0", upstream)
	if err := n.server.Collection.Add(p, true); err != nil {
		return "", fmt.Errorf("faults: add link %s: %w", link, err)
	}
	// Toxiproxy rewrites Listen to the bound address once listening, so
	// ":0" comes back as the real port. It does so on the proxy's own
	// goroutine before Start returns; take the proxy's lock anyway, since
	// SetUpstream rewrites the field under it.
	p.Lock()
	defer p.Unlock()
	return p.Listen, nil
}

// SetUpstream points link's proxy at a new upstream, for when the To node
// restarted on another port. The proxy keeps its listen address, so the
// From node's connector needs no change; its open connections are closed
// (they led to the old process anyway) and the link's toxics stay.
func (n *Network) SetUpstream(link topology.Link, upstream string) error {
	if err := checkAddr(upstream); err != nil {
		return fmt.Errorf("faults: set upstream of %s: %w", link, err)
	}
	p, err := n.Proxy(link)
	if err != nil {
		return err
	}
	// Proxy.Upstream is read unlocked by the accept loop, so it cannot be
	// assigned in place; Update stops the proxy, sets the field and starts
	// it again on the same address (Go listeners set SO_REUSEADDR, so
	// rebinding the port at once works).
	p.Lock()
	listen := p.Listen
	p.Unlock()
	if err := p.Update(&toxiproxy.Proxy{Listen: listen, Upstream: upstream, Enabled: true}); err != nil {
		return fmt.Errorf("faults: set upstream of %s: %w", link, err)
	}
	return nil
}

// Proxy returns link's proxy.
func (n *Network) Proxy(link topology.Link) (*toxiproxy.Proxy, error) {
	p, err := n.server.Collection.Get(link.String())
	if err != nil {
		return nil, fmt.Errorf("faults: no proxy for link %s (was AddLink called?)", link)
	}
	return p, nil
}

// Close stops every proxy and closes every connection through them. It is
// safe to call more than once.
func (n *Network) Close() {
	_ = n.server.Collection.Clear() // never fails: it only stops proxies
}

func checkAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	return nil
}

// quiet strips any logger from ctx before it reaches toxiproxy's
// RemoveToxic, which logs through zerolog.Ctx(ctx) at trace level: a
// caller's context logger should carry brokerlab's events, not toxiproxy's
// internals.
func quiet(ctx context.Context) context.Context {
	return zerolog.Nop().WithContext(ctx)
}

// isGone reports whether err means the toxic was already removed, which
// makes a second Undo a no-op instead of an error.
func isGone(err error) bool {
	return errors.Is(err, toxiproxy.ErrToxicNotFound)
}
