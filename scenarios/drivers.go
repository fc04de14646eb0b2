package scenarios

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/driver/container"
	"github.com/brokerlab/brokerlab/topology/driver/inproc"
	"github.com/brokerlab/brokerlab/topology/driver/process"
)

// Drivers a scenario's nodes can run on (Options.Driver). The ActiveMQ
// driver is not here: its bridges speak OpenWire, which the fault layer
// does not carry, and its nodes report through their logs only.
const (
	DriverInproc    = "inproc"
	DriverProcess   = "process"
	DriverContainer = "container"
)

// DriverNames lists the accepted Options.Driver values.
var DriverNames = []string{DriverInproc, DriverProcess, DriverContainer}

// newNodes runs the scenario's nodes on the chosen driver; "" is inproc.
func newNodes(env *Env, spec *topology.Spec, o Options) (driver.Nodes, error) {
	common := driver.Options{Files: env.files, Events: env.Events, Dial: env.Links.AddLink, Tune: o.Tune}
	switch o.Driver {
	case "", DriverInproc:
		return inproc.New(spec, inproc.Options{Files: common.Files, Events: common.Events, Dial: common.Dial, Tune: common.Tune,
			DataDir: filepath.Join(env.Dir, "data")})
	case DriverProcess:
		return process.New(spec, process.Options{Options: common, Binary: o.Binary, Dir: filepath.Join(env.Dir, "nodes")})
	case DriverContainer:
		// Containers dial each other by node name on their own Docker
		// network; the fault proxies listen on this machine's loopback,
		// out of their reach, so a fault step would test nothing.
		for _, s := range env.Scenario.Steps {
			if f, ok := s.(*faultStep); ok {
				return nil, fmt.Errorf("scenarios: driver container cannot run fault steps (%q at line %d): containers do not pass through the fault proxies; use inproc or process", f.Describe(), f.pos.Line)
			}
		}
		common.Dial = nil
		bin := o.Binary
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				return nil, fmt.Errorf("scenarios: driver container: no Options.Binary and this executable cannot be found: %w", err)
			}
			bin = exe
		}
		return container.New(spec, container.Options{Options: common, Binary: bin})
	default:
		return nil, fmt.Errorf("scenarios: Options.Driver %q: use one of %v", o.Driver, DriverNames)
	}
}
