// Package inproc runs every node of a topology as a broker in this process,
// on loopback. Each node can be started, shut down gracefully, killed and
// started again on the same ports.
package inproc

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
)

// Options configure a Network.
type Options struct {
	// Files gives each node's PEM identity and truststore (zero for a node
	// without TLS).
	Files map[string]tlsconf.Files
	// Events receives every node's events.
	Events events.Sink
	// Dial returns the address a link's connector dials, given the peer's
	// listener address; nil dials the peer directly. The fault layer
	// answers with a proxy in front of the peer.
	Dial func(link topology.Link, upstream string) (string, error)
	// Tune, if set, adjusts each node's broker options before use (e.g.
	// shorter handshake timeouts in tests).
	Tune func(*broker.Options)
	// DataDir, when set, gives every node a store in DataDir/<node>, so a
	// node killed and started again keeps its persistent messages.
	DataDir string
}

// Network is a topology's nodes, rendered and ready to start.
type Network struct {
	spec  *topology.Spec
	addrs driver.Addresses
	opts  map[string]broker.Options

	mu      sync.Mutex
	running map[string]*broker.Broker
}

// New renders every node; nothing runs until Start.
func New(spec *topology.Spec, o Options) (*Network, error) {
	addrs, err := driver.ResolvePorts(spec)
	if err != nil {
		return nil, err
	}
	dial := o.Dial
	if dial == nil {
		dial = driver.DirectDial
	}
	n := &Network{spec: spec, addrs: addrs, opts: map[string]broker.Options{}, running: map[string]*broker.Broker{}}
	for _, node := range spec.Nodes {
		bo, err := driver.Render(spec, node.Name, addrs, o.Files[node.Name], dial)
		if err != nil {
			return nil, err
		}
		bo.Events = o.Events
		if o.DataDir != "" {
			bo.DataDir = filepath.Join(o.DataDir, node.Name)
		}
		if o.Tune != nil {
			o.Tune(&bo)
		}
		n.opts[node.Name] = bo
	}
	return n, nil
}

// Names lists the nodes in file order.
func (n *Network) Names() []string { return n.spec.NodeNames() }

// Addrs returns a node's listener addresses, whether or not it runs.
func (n *Network) Addrs(name string) []string { return n.addrs[name] }

// Options returns the broker options a node runs with.
func (n *Network) Options(name string) (broker.Options, bool) {
	o, ok := n.opts[name]
	return o, ok
}

// Start starts one node; starting a running node is an error.
func (n *Network) Start(name string) error {
	o, ok := n.opts[name]
	if !ok {
		return fmt.Errorf("inproc: no node %q; nodes: %v", name, n.Names())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running[name] != nil {
		return fmt.Errorf("inproc: node %s is already running", name)
	}
	b, err := broker.New(o)
	if err != nil {
		return fmt.Errorf("inproc: node %s: %w", name, err)
	}
	if err := b.Start(); err != nil {
		return fmt.Errorf("inproc: node %s: %w", name, err)
	}
	n.running[name] = b
	return nil
}

// StartAll starts every node that is not running, in file order.
func (n *Network) StartAll() error {
	return driver.StartAll(n.Names(), func(name string) bool { return n.Broker(name) != nil }, n.Start)
}

// Broker returns a running node's broker, or nil.
func (n *Network) Broker(name string) *broker.Broker {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.running[name]
}

// Stop shuts one node down gracefully.
func (n *Network) Stop(ctx context.Context, name string) error {
	b := n.take(name)
	if b == nil {
		return fmt.Errorf("inproc: node %s is not running", name)
	}
	return b.Shutdown(ctx)
}

// Kill stops one node at once, as a crash would.
func (n *Network) Kill(name string) error {
	b := n.take(name)
	if b == nil {
		return fmt.Errorf("inproc: node %s is not running", name)
	}
	b.Kill()
	return nil
}

func (n *Network) take(name string) *broker.Broker {
	n.mu.Lock()
	defer n.mu.Unlock()
	b := n.running[name]
	delete(n.running, name)
	return b
}

// Shutdown stops every running node.
func (n *Network) Shutdown(ctx context.Context) error {
	var errs []error
	for _, name := range n.Names() {
		if b := n.take(name); b != nil {
			if err := b.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ReloadTLS re-reads a running node's certificate files (driver.TLSReloader).
func (n *Network) ReloadTLS(name string) error {
	b := n.Broker(name)
	if b == nil {
		return fmt.Errorf("inproc: %s is not running", name)
	}
	return b.ReloadTLS()
}
