// Package activemq renders a topology into real ActiveMQ Classic 5.17
// brokers and runs them, one JVM each, from an installation (Debian's
// /usr/share/activemq) with a base directory of their own:
//
//	topology node ──Render──▶ Config ──XML──▶ BASE/conf/activemq.xml
//	   stomp:// and stomp+ssl://?needClientAuth listeners, as written
//	   + an OpenWire listener (ssl:// when the node has TLS) for bridges
//	   networkConnector static:(ssl://127.0.0.1:PORT) duplex, networkTTL
//	   sslContext: the node's JKS keystore and truststore from topology/pki
//	StartInstance ──▶ java -jar activemq.jar start xbean:file:… (PID kept)
//	BASE/data/activemq.log ──FollowLog──▶ events (bridge up/down, TLS failures)
//
// Bridges between ActiveMQ nodes speak OpenWire, so an ActiveMQ topology
// is all-ActiveMQ; probes reach the nodes over STOMP like any other. All
// nodes listen on loopback; connectors dial peers by node name, which each
// JVM resolves to 127.0.0.1 through its own hosts file, so ActiveMQ's
// hostname verification checks the node name, as our serverName does.
package activemq

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Options configure a Network.
type Options struct {
	// Material is the PKI generated for the topology (JKS stores are used).
	Material *pki.Material
	// Home is the ActiveMQ installation; "" is /usr/share/activemq.
	Home string
	// Dir holds each node's base directory. Required.
	Dir string
	// Heap is each JVM's -Xmx; "" is DefaultHeap.
	Heap string
	// Events receives what the brokers' logs say, as events.
	Events events.Sink
}

// Network is a topology's nodes as ActiveMQ brokers.
type Network struct {
	spec  *topology.Spec
	o     Options
	ports Ports
	xml   map[string][]byte

	mu      sync.Mutex
	running map[string]*running
}

type running struct {
	in     *Instance
	cancel context.CancelFunc
	follow sync.WaitGroup
}

var _ driver.Nodes = (*Network)(nil)

// New renders every node's activemq.xml; nothing runs until Start.
func New(spec *topology.Spec, o Options) (*Network, error) {
	if o.Dir == "" {
		return nil, errors.New("activemq: Options.Dir is required (each node's base directory goes there)")
	}
	if o.Home == "" {
		o.Home = "/usr/share/activemq"
	}
	if o.Material == nil {
		o.Material = &pki.Material{}
	}
	ports, err := ResolvePorts(spec)
	if err != nil {
		return nil, err
	}
	n := &Network{spec: spec, o: o, ports: ports, xml: map[string][]byte{}, running: map[string]*running{}}
	for _, nd := range spec.Nodes {
		c, err := Render(spec, nd.Name, ports, o.Material, filepath.Join(n.base(nd.Name), "data"))
		if err != nil {
			return nil, err
		}
		if n.xml[nd.Name], err = c.XML(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *Network) base(name string) string { return filepath.Join(n.o.Dir, name) }

// XML returns a node's rendered activemq.xml.
func (n *Network) XML(name string) []byte { return n.xml[name] }

// Names lists the nodes in file order.
func (n *Network) Names() []string { return n.spec.NodeNames() }

// Addrs returns a node's STOMP listener addresses.
func (n *Network) Addrs(name string) []string { return n.ports.STOMP[name] }

// OpenWireAddr is the address of a node's OpenWire listener.
func (n *Network) OpenWireAddr(name string) string { return n.ports.OpenWire[name] }

// Start starts one node's JVM and waits until its log says it started.
func (n *Network) Start(name string) error {
	xml, ok := n.xml[name]
	if !ok {
		return fmt.Errorf("activemq: no node %q; nodes: %v", name, n.Names())
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.running[name] != nil {
		return fmt.Errorf("activemq: node %s is already running", name)
	}
	logOffset := fileSize(filepath.Join(n.base(name), "data", "activemq.log"))
	in, err := StartInstance(n.o.Home, n.base(name), name, xml, HostsFile(n.spec), n.o.Heap)
	if err != nil {
		return err
	}
	r := &running{in: in}
	if n.o.Events != nil {
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		r.follow.Add(1)
		go func() {
			defer r.follow.Done()
			FollowLog(ctx, in.LogFile(), logOffset, &LogReader{Spec: n.spec, Node: name, Peers: n.peers()}, n.o.Events)
		}()
	}
	n.running[name] = r
	return nil
}

// StartAll starts every node that is not running, in file order, one at a
// time: JVM start-ups compete for CPU.
func (n *Network) StartAll() error {
	return driver.StartAll(n.Names(), n.isRunning, n.Start)
}

func (n *Network) isRunning(name string) bool { return n.Instance(name) != nil }

// Instance returns a running node's JVM, or nil.
func (n *Network) Instance(name string) *Instance {
	n.mu.Lock()
	defer n.mu.Unlock()
	if r := n.running[name]; r != nil {
		return r.in
	}
	return nil
}

func (n *Network) take(name string) *running {
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.running[name]
	delete(n.running, name)
	return r
}

// stopFollowing gives the log reader a moment to read the last lines.
func (r *running) stopFollowing() {
	if r.cancel != nil {
		FlushDelay()
		r.cancel()
		r.follow.Wait()
	}
}

// Stop shuts one node down by SIGTERM to its PID.
func (n *Network) Stop(ctx context.Context, name string) error {
	r := n.take(name)
	if r == nil {
		return fmt.Errorf("activemq: node %s is not running", name)
	}
	err := r.in.Stop(ctx)
	r.stopFollowing()
	return err
}

// Kill stops one node's JVM by SIGKILL to its PID.
func (n *Network) Kill(name string) error {
	r := n.take(name)
	if r == nil {
		return fmt.Errorf("activemq: node %s is not running", name)
	}
	r.in.Kill()
	r.stopFollowing()
	return nil
}

// Shutdown stops every running node, all at once.
func (n *Network) Shutdown(ctx context.Context) error {
	return driver.StopAll(ctx, n.Names(), n.isRunning, n.Stop)
}

// peers maps OpenWire addresses to node names.
func (n *Network) peers() map[string]string {
	m := map[string]string{}
	for name, addr := range n.ports.OpenWire {
		m[addr] = name
	}
	return m
}

// Stats is not available: ActiveMQ has no /stats (its JMX is off here).
func (n *Network) Stats(string) (broker.Stats, bool) { return broker.Stats{}, false }
