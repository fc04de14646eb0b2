package scenarios

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/topology"
)

// nodeStep acts on one node's process:
//
//	kill: hub     crash it: sockets closed at once, unwritten acknowledgements lost
//	stop: hub     shut it down gracefully
//	squat: hub    while hub is down, hold its ports with a listener that
//	              accepts TCP and never says a word (a hung process, a
//	              half-dead proxy); the next `start: hub` lets them go
//
// `start: hub` brings the node back on the same ports and data directory.
type nodeStep struct {
	kind string
	node string
	pos  *yaml.Node
	d    *decoder
}

func init() {
	for _, k := range []string{"kill", "stop", "squat"} {
		registerStep(k, func(d *decoder, v *yaml.Node) Step {
			if v.Kind != yaml.ScalarNode || v.Value == "" {
				d.errorf(v, "%s takes a node name, e.g. %s: hub", k, k)
				return nil
			}
			return &nodeStep{kind: k, node: v.Value, pos: v, d: d}
		})
	}
}

func (s *nodeStep) check(spec *topology.Spec) error { return checkNode(s.d, s.pos, spec, s.node) }

func (s *nodeStep) Describe() string { return s.kind + " " + s.node }

// NodeKilled and NodeStopped mark a node's end in the event stream, so the
// timeline shows when it went and the judge can measure how long it was away.
const (
	NodeKilled  events.Kind = "node-killed"
	NodeStopped events.Kind = "node-stopped"
)

func (s *nodeStep) Run(env *Env) error {
	switch s.kind {
	case "kill":
		if err := env.Nodes.Kill(s.node); err != nil {
			return err
		}
		env.Events.Emit(events.Event{Node: s.node, Kind: NodeKilled})
	case "stop":
		ctx, cancel := context.WithTimeout(env.Ctx, 10*time.Second)
		defer cancel()
		if err := env.Nodes.Stop(ctx, s.node); err != nil {
			return err
		}
		env.Events.Emit(events.Event{Node: s.node, Kind: NodeStopped})
	case "squat":
		if _, running := env.Nodes.Stats(s.node); running {
			return fmt.Errorf("squat %s: the node is running; kill or stop it first", s.node)
		}
		return env.squatNode(s.node)
	}
	return nil
}

// squatters hold a stopped node's ports; see nodeStep.
type squatters struct {
	mu   sync.Mutex
	lns  map[string][]net.Listener
	held []net.Conn
}

func (env *Env) squatNode(node string) error {
	sq := &env.squat
	for _, addr := range env.Nodes.Addrs(node) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return fmt.Errorf("squat %s: %w", node, err)
		}
		sq.mu.Lock()
		if sq.lns == nil {
			sq.lns = map[string][]net.Listener{}
		}
		sq.lns[node] = append(sq.lns[node], ln)
		sq.mu.Unlock()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				sq.mu.Lock()
				sq.held = append(sq.held, c) // accepted, never answered
				sq.mu.Unlock()
			}
		}()
	}
	env.Events.Emit(events.Event{Node: node, Kind: "node-squatted", Reason: "its ports accept TCP and never answer"})
	return nil
}

// unsquat frees a node's ports (and, once no squatter is left, the
// connections they held) so the node can start on them.
func (env *Env) unsquat(node string) {
	sq := &env.squat
	sq.mu.Lock()
	defer sq.mu.Unlock()
	for _, ln := range sq.lns[node] {
		ln.Close()
	}
	delete(sq.lns, node)
	if len(sq.lns) == 0 {
		for _, c := range sq.held {
			c.Close()
		}
		sq.held = nil
	}
}
