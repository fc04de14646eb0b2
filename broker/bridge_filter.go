package broker

import (
	"slices"

	"github.com/brokerlab/brokerlab/broker/network"
)

// bridgeFilter is a connector's destination filters, as ActiveMQ's
// networkConnector has them. Excluded wins over included; with no dynamic
// includes, every destination may have demand cross.
type bridgeFilter struct {
	static   []string // staticallyIncludedDestinations: forwarded without demand
	dynamic  []string // dynamicallyIncludedDestinations: the only ones demand crosses for
	excluded []string // excludedDestinations: never cross
}

func newBridgeFilter(c network.Config) *bridgeFilter {
	if len(c.StaticallyIncludedDestinations)+len(c.DynamicallyIncludedDestinations)+len(c.ExcludedDestinations) == 0 {
		return nil
	}
	return &bridgeFilter{static: c.StaticallyIncludedDestinations, dynamic: c.DynamicallyIncludedDestinations, excluded: c.ExcludedDestinations}
}

func matchesAny(patterns []string, dest string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return p == dest || matchFilter(p, dest) })
}

func (f *bridgeFilter) allows(dest string) bool {
	if matchesAny(f.excluded, dest) {
		return false
	}
	return len(f.dynamic) == 0 || matchesAny(f.dynamic, dest) || matchesAny(f.static, dest)
}
