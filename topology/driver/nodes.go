package driver

import (
	"context"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
)

// Nodes is a topology's nodes as some driver runs them: goroutines in this
// process (inproc), child processes (process), containers (container).
// Scenario steps and probes see only this.
type Nodes interface {
	// Names lists the nodes in file order.
	Names() []string
	// Addrs returns the addresses a probe on this machine dials for a
	// node's listeners, in the order of Node.Listen.
	Addrs(name string) []string
	Start(name string) error
	StartAll() error
	// Stop shuts one node down gracefully; Kill stops it at once, as a
	// crash would. Either way it can be started again on the same ports.
	Stop(ctx context.Context, name string) error
	Kill(name string) error
	// Shutdown stops every running node.
	Shutdown(ctx context.Context) error
	// Stats is a running node's snapshot; false when it is not running or
	// cannot say.
	Stats(name string) (broker.Stats, bool)
}

// TLSReloader is a driver whose nodes can re-read their certificate files
// without a restart (certificate rotation): new connections then use the
// new files.
type TLSReloader interface {
	ReloadTLS(name string) error
}

// Options are what every driver is given. A driver that cannot honour one
// (Tune, for a node in another process) says so in its own documentation.
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
	// Tune, if set, adjusts each node's broker options before use.
	Tune func(*broker.Options)
}

// DirectDial is the Dial of a network without fault proxies.
func DirectDial(_ topology.Link, upstream string) (string, error) { return upstream, nil }
