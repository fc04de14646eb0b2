package topology

import "fmt"

// ShapeOptions shapes the networks Shape builds.
type ShapeOptions struct {
	// Shape is "mesh" (every pair joined once), "ring" (each node to the
	// next, the last to the first) or "chain" (each node to the next).
	Shape string
	// Nodes is how many brokers, named node-1, node-2, …
	Nodes int
	// NetworkTTL of every connector; 0 means 1, ActiveMQ's default.
	NetworkTTL int
}

// Shape builds a network of brokers over mutual TLS, all signed by one
// authority ("root") and trusting only it; every connector is duplex, so
// each pair of neighbours shares one bridge.
func Shape(o ShapeOptions) (*Spec, error) {
	if o.Nodes < 2 {
		return nil, fmt.Errorf("topology: a %s needs at least 2 nodes, got %d", o.Shape, o.Nodes)
	}
	spec := &Spec{Name: fmt.Sprintf("%s-%d", o.Shape, o.Nodes), Authorities: []*Authority{{Name: "root"}}}
	name := func(i int) string { return fmt.Sprintf("node-%d", i+1) }
	for i := range o.Nodes {
		spec.Nodes = append(spec.Nodes, &Node{
			Name:   name(i),
			Listen: []string{"stomp+ssl://127.0.0.1:0?needClientAuth=true"},
			TLS:    &NodeTLS{Identity: Identity{Issuer: "root"}, Trust: []string{"root"}},
		})
	}
	join := func(i, j int) {
		spec.Nodes[i].Connect = append(spec.Nodes[i].Connect, &Connector{To: name(j), Duplex: true, NetworkTTL: o.NetworkTTL})
	}
	switch o.Shape {
	case "mesh":
		for i := range o.Nodes {
			for j := i + 1; j < o.Nodes; j++ {
				join(i, j)
			}
		}
	case "ring", "chain":
		for i := 0; i+1 < o.Nodes; i++ {
			join(i, i+1)
		}
		if o.Shape == "ring" && o.Nodes > 2 {
			join(o.Nodes-1, 0)
		}
	default:
		return nil, fmt.Errorf("topology: unknown shape %q; known: mesh, ring, chain", o.Shape)
	}
	return spec, nil
}
