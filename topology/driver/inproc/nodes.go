package inproc

import (
	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/topology/driver"
)

var _ driver.Nodes = (*Network)(nil)

// Stats is a running node's snapshot.
func (n *Network) Stats(name string) (broker.Stats, bool) {
	b := n.Broker(name)
	if b == nil {
		return broker.Stats{}, false
	}
	return b.Stats(), true
}
