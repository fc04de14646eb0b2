package scenarios

import (
	"fmt"
	"path/filepath"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/driver/inproc"
	"github.com/brokerlab/brokerlab/topology/driver/process"
)

// Drivers a scenario's nodes can run on (Options.Driver). The container
// and ActiveMQ drivers are not here: a scenario's faults sit on loopback
// toxiproxy proxies that a container cannot dial, and an ActiveMQ topology
// speaks OpenWire between nodes, which our fault layer does not carry.
const (
	DriverInproc  = "inproc"
	DriverProcess = "process"
)

// DriverNames lists the accepted Options.Driver values.
var DriverNames = []string{DriverInproc, DriverProcess}

// newNodes runs the scenario's nodes on the chosen driver; "" is inproc.
func newNodes(env *Env, spec *topology.Spec, o Options) (driver.Nodes, error) {
	common := driver.Options{Files: env.files, Events: env.Events, Dial: env.Links.AddLink, Tune: o.Tune}
	switch o.Driver {
	case "", DriverInproc:
		return inproc.New(spec, inproc.Options{Files: common.Files, Events: common.Events, Dial: common.Dial, Tune: common.Tune,
			DataDir: filepath.Join(env.Dir, "data")})
	case DriverProcess:
		return process.New(spec, process.Options{Options: common, Binary: o.Binary, Dir: filepath.Join(env.Dir, "nodes")})
	default:
		return nil, fmt.Errorf("scenarios: Options.Driver %q: use one of %v", o.Driver, DriverNames)
	}
}
