// Package container runs every node of a topology as a Docker container
// (testcontainers-go), on a user-defined Docker network of its own, so
// that nodes reach each other by node name, the name their certificates
// carry:
//
//	BuildImage(static brokerlab) ──▶ brokerlab-node:<hash>  (FROM scratch)
//	network.New ──▶ one bridge network per Network
//	Run(node) ──▶ container, alias = node name, /pki/* copied in,
//	              brokerlab broker --listen stomp+ssl://0.0.0.0:61617 --connect static://(ssl://hub:61617?serverName=hub)…
//	admin 8080 and STOMP ports published on this machine ──▶ probes, /events → Options.Events
//
// Options.Dial must be nil: the fault layer's proxies listen on this
// machine's loopback, which a container cannot reach. Options.Tune is not
// applied (a node takes only what its flags say).
package container

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/transport"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/driver/process"
)

// FirstPort is the port a node's first listener takes inside its
// container (ActiveMQ's STOMP port); further listeners take the next ones.
// Every container has its own address, so all nodes use the same ports.
const FirstPort = 61613

// Options configure a Network.
type Options struct {
	driver.Options
	// Binary is a static brokerlab executable (CGO_ENABLED=0); required
	// unless Image is set.
	Binary string
	// Image, if set, is used instead of building one from Binary.
	Image string
	// BuildLog receives the image build's output (default: discarded).
	BuildLog io.Writer
}

// Network is a topology's nodes as containers.
type Network struct {
	spec  *topology.Spec
	o     Options
	args  map[string][]string
	ports map[string][]string // per node, its listeners' container ports ("61613/tcp")

	mu      sync.Mutex
	image   string
	net     *testcontainers.DockerNetwork
	nodes   map[string]*node // created containers, running or stopped
	closing bool
}

var _ driver.Nodes = (*Network)(nil)

type node struct {
	c       *Container
	running bool
	addrs   []string // host addresses of the listeners, while running
	admin   string
	gone    chan struct{}
	follow  *driver.Follower
}

// New renders every node into its container command line; nothing runs
// until Start.
func New(spec *topology.Spec, o Options) (*Network, error) {
	if o.Dial != nil {
		return nil, errors.New("container: Options.Dial must be nil: containers dial each other by node name on their own network, and cannot reach proxies on this machine's loopback")
	}
	if o.Binary == "" && o.Image == "" {
		return nil, errors.New("container: Options.Binary (a static brokerlab) or Options.Image is required")
	}
	if o.Image == "" {
		if err := checkStatic(o.Binary); err != nil {
			return nil, err
		}
	}
	n := &Network{spec: spec, o: o, image: o.Image, args: map[string][]string{}, ports: map[string][]string{}, nodes: map[string]*node{}}
	addrs := driver.Addresses{}
	for _, nd := range spec.Nodes {
		for i, raw := range nd.Listen {
			if _, err := transport.ParseListener(raw); err != nil {
				return nil, fmt.Errorf("container: node %s: %w", nd.Name, err)
			}
			port := strconv.Itoa(FirstPort + i)
			addrs[nd.Name] = append(addrs[nd.Name], net.JoinHostPort("0.0.0.0", port))
			n.ports[nd.Name] = append(n.ports[nd.Name], port+"/tcp")
		}
	}
	// A connector dials the peer by its node name, its network alias.
	byName := func(link topology.Link, upstream string) (string, error) {
		_, port, err := net.SplitHostPort(upstream)
		if err != nil {
			return "", err
		}
		return net.JoinHostPort(link.To, port), nil
	}
	for _, nd := range spec.Nodes {
		bo, err := driver.Render(spec, nd.Name, addrs, InContainer(o.Files[nd.Name]), byName)
		if err != nil {
			return nil, err
		}
		bo.DataDir = "/data"
		bo.AdminAddr = "0.0.0.0:" + AdminPortNumber
		n.args[nd.Name] = process.Args(bo)[1:] // without "broker"
	}
	return n, nil
}

// AdminPortNumber is AdminPort without its protocol.
const AdminPortNumber = "8080"

// Names lists the nodes in file order.
func (n *Network) Names() []string { return n.spec.NodeNames() }

// Args returns the broker command line of a node (after "broker").
func (n *Network) Args(name string) []string { return n.args[name] }

// Addrs returns where this machine reaches a running node's listeners (the
// published ports; they may change when a node is started again), or nil.
func (n *Network) Addrs(name string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd := n.nodes[name]; nd != nil && nd.running {
		return nd.addrs
	}
	return nil
}

// Container returns a node's container, or nil before its first start.
func (n *Network) Container(name string) *Container {
	n.mu.Lock()
	defer n.mu.Unlock()
	if nd := n.nodes[name]; nd != nil {
		return nd.c
	}
	return nil
}

// opTimeout bounds one Docker operation made on behalf of Start/Kill.
const opTimeout = 2 * time.Minute

// up builds the image and the Docker network once.
func (n *Network) up(ctx context.Context) error {
	if n.closing {
		return errors.New("container: the network is shut down")
	}
	if n.image == "" {
		img, err := BuildImage(ctx, n.o.Binary, n.o.BuildLog)
		if err != nil {
			return err
		}
		n.image = img
	}
	if n.net == nil {
		nw, err := network.New(ctx, network.WithLabels(map[string]string{"org.brokerlab.topology": n.spec.Name}))
		if err != nil {
			return fmt.Errorf("container: create Docker network: %w", err)
		}
		n.net = nw
	}
	return nil
}

// Start starts one node: a new container the first time, the same one
// again after Stop or Kill (its /data is kept, as a restarted machine's
// disk would be).
func (n *Network) Start(name string) error {
	args, ok := n.args[name]
	if !ok {
		return fmt.Errorf("container: no node %q; nodes: %v", name, n.Names())
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	n.mu.Lock()
	defer n.mu.Unlock()
	if err := n.up(ctx); err != nil {
		return err
	}
	nd := n.nodes[name]
	switch {
	case nd != nil && nd.running:
		return fmt.Errorf("container: node %s is already running", name)
	case nd != nil:
		if err := nd.c.Start(ctx); err != nil {
			return fmt.Errorf("container: node %s: start again: %w", name, err)
		}
	default:
		c, err := Run(ctx, n.image,
			WithBroker(args...),
			WithNodeFiles(n.o.Files[name]),
			network.WithNetwork([]string{name}, n.net),
			testcontainers.WithExposedPorts(n.ports[name]...),
			testcontainers.WithName(fmt.Sprintf("brokerlab-%s-%s", n.net.ID[:12], name)),
		)
		if c != nil {
			c.Node = name
			nd = &node{c: c}
			n.nodes[name] = nd
		}
		if err != nil {
			return fmt.Errorf("container: node %s: %w", name, err)
		}
	}
	return n.attach(ctx, name, nd)
}

// attach reads a freshly started node's published ports and follows its
// events.
func (n *Network) attach(ctx context.Context, name string, nd *node) error {
	nd.addrs = nil
	for _, p := range n.ports[name] {
		a, err := nd.c.HostAddr(ctx, p)
		if err != nil {
			return fmt.Errorf("container: node %s: port %s: %w", name, p, err)
		}
		nd.addrs = append(nd.addrs, a)
	}
	admin, err := nd.c.HostAddr(ctx, AdminPort)
	if err != nil {
		return fmt.Errorf("container: node %s: admin port: %w", name, err)
	}
	nd.admin, nd.running, nd.gone = admin, true, make(chan struct{})
	if n.o.Events != nil {
		nd.follow = driver.Follow(admin, nd.gone, n.o.Events)
	}
	return nil
}

// Running says whether a node's container is up.
func (n *Network) Running(name string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	nd := n.nodes[name]
	return nd != nil && nd.running
}

// StartAll starts every node that is not running, in file order.
func (n *Network) StartAll() error {
	return driver.StartAll(n.Names(), n.Running, n.Start)
}

// Stop stops a node's container gracefully (SIGTERM, SIGKILL when ctx
// ends or after 10 s).
func (n *Network) Stop(ctx context.Context, name string) error {
	nd, err := n.take(name)
	if err != nil {
		return err
	}
	timeout := 10 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(dl), 0)
	}
	err = nd.c.Stop(context.WithoutCancel(ctx), &timeout)
	nd.detach()
	if err != nil {
		return fmt.Errorf("container: node %s: stop: %w", name, err)
	}
	return nil
}

// Kill stops a node's container with SIGKILL, as a crash would.
func (n *Network) Kill(name string) error {
	nd, err := n.take(name)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("container: docker client: %w", err)
	}
	defer cli.Close()
	_, err = cli.ContainerKill(ctx, nd.c.GetContainerID(), client.ContainerKillOptions{Signal: "KILL"})
	nd.detach()
	if err != nil {
		return fmt.Errorf("container: node %s: kill: %w", name, err)
	}
	// Wait until Docker sees it exited, so a Start right after works.
	for ctx.Err() == nil {
		if st, err := nd.c.State(ctx); err == nil && !st.Running {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("container: node %s: still running after SIGKILL", name)
}

func (n *Network) take(name string) (*node, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	nd := n.nodes[name]
	if nd == nil || !nd.running {
		return nil, fmt.Errorf("container: node %s is not running", name)
	}
	nd.running = false
	return nd, nil
}

// detach ends the event stream once the container is gone: the follower
// reads what was sent, then returns; past a bound it is cut.
func (nd *node) detach() {
	close(nd.gone)
	nd.follow.Stop()
	nd.follow = nil
}

// Shutdown stops every running node, then removes the containers and the
// Docker network. The image is kept for the next run.
func (n *Network) Shutdown(ctx context.Context) error {
	var errs []error
	for _, name := range n.Names() {
		if n.Running(name) {
			if err := n.Stop(ctx, name); err != nil {
				errs = append(errs, err)
			}
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closing = true
	rctx := context.WithoutCancel(ctx)
	for name, nd := range n.nodes {
		if err := nd.c.Terminate(rctx); err != nil {
			errs = append(errs, fmt.Errorf("container: node %s: remove: %w", name, err))
		}
		delete(n.nodes, name)
	}
	if n.net != nil {
		if err := n.net.Remove(rctx); err != nil {
			errs = append(errs, fmt.Errorf("container: remove network: %w", err))
		}
		n.net = nil
	}
	return errors.Join(errs...)
}

// Stats reads a running node's /stats.
func (n *Network) Stats(name string) (broker.Stats, bool) {
	n.mu.Lock()
	nd := n.nodes[name]
	var admin string
	if nd != nil && nd.running {
		admin = nd.admin
	}
	n.mu.Unlock()
	return driver.AdminStats(admin)
}
