package scenarios

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
	"github.com/brokerlab/brokerlab/topology/driver/activemq"
	"github.com/brokerlab/brokerlab/topology/driver/container"
	"github.com/brokerlab/brokerlab/topology/driver/inproc"
	"github.com/brokerlab/brokerlab/topology/driver/process"
)

// Drivers a scenario's nodes can run on (Options.Driver).
const (
	DriverInproc    = "inproc"
	DriverProcess   = "process"
	DriverContainer = "container"
	// DriverActiveMQ runs every node as a real ActiveMQ 5.17: the same
	// probes, expectations judged on events read from ActiveMQ's logs.
	DriverActiveMQ = "activemq"
)

// DriverNames lists the accepted Options.Driver values.
var DriverNames = []string{DriverInproc, DriverProcess, DriverContainer, DriverActiveMQ}

// refuseFaults refuses a scenario whose fault steps could not reach the
// driver's links: a fault that acts on nothing would let it pass by
// testing nothing.
func refuseFaults(env *Env, driverName, why string) error {
	for _, s := range env.Scenario.Steps {
		if f, ok := s.(*faultStep); ok {
			return fmt.Errorf("scenarios: driver %s cannot run fault steps (%q at line %d): %s; use inproc or process", driverName, f.Describe(), f.pos.Line, why)
		}
	}
	return nil
}

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
		if err := refuseFaults(env, DriverContainer, "containers do not pass through the fault proxies"); err != nil {
			return nil, err
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
	case DriverActiveMQ:
		if err := refuseFaults(env, DriverActiveMQ, "ActiveMQ's bridges speak OpenWire straight to each other, not through the fault proxies"); err != nil {
			return nil, err
		}
		// The brokers load the JKS stores pki.Generate wrote; a mutation
		// that changes files after generation would not reach them.
		for _, m := range env.Scenario.Mutations {
			if _, ok := m.(faults.MaterialMutation); ok {
				return nil, fmt.Errorf("scenarios: driver activemq cannot apply mutation %q: it changes PEM files after generation, and ActiveMQ loads the JKS stores", m.Name())
			}
		}
		return activemq.New(spec, activemq.Options{Material: env.pki, Dir: filepath.Join(env.Dir, "activemq"), Events: env.Events})
	default:
		return nil, fmt.Errorf("scenarios: Options.Driver %q: use one of %v", o.Driver, DriverNames)
	}
}
