// Package driver turns a topology into running brokers. This file renders
// one node of a Spec into broker.Options; the subpackages run them:
// inproc (goroutines in this process) today, processes, containers and
// real ActiveMQ later, all from the same rendering.
package driver

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/broker/transport"
	"github.com/brokerlab/brokerlab/topology"
)

// Addresses maps each node to its listeners' concrete addresses, in the
// order of Node.Listen.
type Addresses map[string][]string

// ResolvePorts binds every port-0 listener once to learn a free port, so
// that all addresses are known before anything starts: link proxies can be
// made up front, and a restarted node comes back on the same port.
func ResolvePorts(spec *topology.Spec) (Addresses, error) {
	addrs := Addresses{}
	for _, n := range spec.Nodes {
		for _, raw := range n.Listen {
			l, err := transport.ParseListener(raw)
			if err != nil {
				return nil, fmt.Errorf("driver: node %s: %w", n.Name, err)
			}
			addr := l.Addr
			if host, port, _ := net.SplitHostPort(addr); port == "0" {
				free, err := freePort(host)
				if err != nil {
					return nil, fmt.Errorf("driver: node %s: find a free port for %s: %w", n.Name, raw, err)
				}
				addr = free
			}
			addrs[n.Name] = append(addrs[n.Name], addr)
		}
	}
	return addrs, nil
}

// freePort finds a port that is free now and stays free until the node
// binds it. Port 0 would hand out one from the kernel's ephemeral range, and
// there any outgoing connection (a proxy dialling upstream, a probe) may
// take it as its source port before the node binds it. Ports just below
// that range are never chosen automatically.
func freePort(host string) (string, error) {
	if lo := ephemeralLow(); lo > 10000 {
		start, span := 10000, lo-10000
		for i := range 64 {
			port := start + (int(rand.Uint32())+i)%span
			addr := net.JoinHostPort(host, strconv.Itoa(port))
			if ln, err := net.Listen("tcp", addr); err == nil {
				ln.Close()
				return addr, nil
			}
		}
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// ephemeralLow reads where the kernel's range for automatic ports starts;
// where it cannot be read, Linux's default.
func ephemeralLow() int {
	data, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	if f := strings.Fields(string(data)); len(f) == 2 {
		if lo, err := strconv.Atoi(f[0]); err == nil {
			return lo
		}
	}
	return 32768
}

// Target picks the listener a connector to node `to` dials: the first TLS
// listener when the dialler has an identity, else the first listener.
func Target(spec *topology.Spec, from *topology.Node, to string, addrs Addresses) (addr string, tls bool, err error) {
	n := spec.Node(to)
	if n == nil || len(n.Listen) == 0 {
		return "", false, fmt.Errorf("driver: %s connects to %s, which has no listener", from.Name, to)
	}
	pick := 0
	for i, raw := range n.Listen {
		if l, _ := transport.ParseListener(raw); l.TLS && from.TLS != nil {
			pick = i
			break
		}
	}
	l, err := transport.ParseListener(n.Listen[pick])
	if err != nil {
		return "", false, err
	}
	return addrs[to][pick], l.TLS, nil
}

// Render builds the broker options of one node. listen are the node's
// concrete listener URIs; dial gives the address its connector for a link
// dials (the peer itself, or a fault proxy in front of it).
func Render(spec *topology.Spec, name string, addrs Addresses, files tlsconf.Files, dial func(topology.Link, string) (string, error)) (broker.Options, error) {
	n := spec.Node(name)
	if n == nil {
		return broker.Options{}, fmt.Errorf("driver: no node %q", name)
	}
	o := broker.Options{Name: name, TLS: files, Security: n.Security.Config()}
	for i, raw := range n.Listen {
		u, err := url.Parse(raw)
		if err != nil {
			return o, fmt.Errorf("driver: node %s: listener %q: %w", name, raw, err)
		}
		u.Host = addrs[name][i]
		o.Listen = append(o.Listen, u.String())
	}
	for _, c := range n.Connect {
		link := topology.Link{From: name, To: c.To}
		upstream, tls, err := Target(spec, n, c.To, addrs)
		if err != nil {
			return o, err
		}
		if v, ok := c.TLS["ssl"]; ok {
			// Forced: a connector that dials ssl:// or tcp:// whatever
			// the peer's listener speaks.
			tls = v == "true"
		}
		addr, err := dial(link, upstream)
		if err != nil {
			return o, fmt.Errorf("driver: link %s: %w", link, err)
		}
		o.Connect = append(o.Connect, ConnectorURI(link, c, addr, tls))
	}
	return o, nil
}

// peerQuery writes the peer URI's options: serverName (the peer's node
// name unless the connector overrides it) and the connector's TLS knobs,
// values escaped so that a comma-separated list stays one value.
func peerQuery(link topology.Link, c *topology.Connector, tls bool) string {
	serverName := link.To
	if v, ok := c.TLS["serverName"]; ok {
		serverName = v
	}
	q := []string{"serverName=" + url.QueryEscape(serverName)}
	for _, k := range slices.Sorted(maps.Keys(c.TLS)) {
		if k != "serverName" && k != "ssl" && tls {
			q = append(q, k+"="+url.QueryEscape(c.TLS[k]))
		}
	}
	return strings.Join(q, "&")
}

// ConnectorURI writes a connector as ActiveMQ would, plus serverName: the
// link may run through a proxy, so the peer is verified by its node name.
func ConnectorURI(link topology.Link, c *topology.Connector, addr string, tls bool) string {
	scheme := "tcp"
	if tls {
		scheme = "ssl"
	}
	q := []string{"name=" + url.QueryEscape(link.String())}
	if c.Name != "" {
		q[0] = "name=" + url.QueryEscape(c.Name)
	}
	q = append(q, "duplex="+strconv.FormatBool(c.Duplex), "dynamicOnly="+strconv.FormatBool(c.DynamicOnly))
	q = append(q, c.Network.Query()...)
	if c.NetworkTTL > 0 {
		q = append(q, "networkTTL="+strconv.Itoa(c.NetworkTTL))
	}
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	if c.InitialReconnectDelay > 0 {
		q = append(q, "initialReconnectDelay="+ms(c.InitialReconnectDelay))
	}
	if c.MaxReconnectDelay > 0 {
		q = append(q, "maxReconnectDelay="+ms(c.MaxReconnectDelay))
	}
	if c.UseExponentialBackOff != nil {
		q = append(q, "useExponentialBackOff="+strconv.FormatBool(*c.UseExponentialBackOff))
	}
	if c.UserName != "" {
		q = append(q, "userName="+url.QueryEscape(c.UserName), "password="+url.QueryEscape(c.Password))
	}
	return fmt.Sprintf("static://(%s://%s?%s)?%s", scheme, addr, peerQuery(link, c, tls), strings.Join(q, "&"))
}
