package topology

import "gopkg.in/yaml.v3"

// Generators in topology files, so nobody writes 100 nodes by hand:
//
//	name: hub-100
//	generate:
//	  hub-spoke: {spokes: 100, ca: true, networkTTL: 2}
//	nodes:            # optional: more nodes next to the generated ones
//	  monitor: {listen: ["stomp://127.0.0.1:0"], connect: [{to: hub}]}
//
// hub-spoke makes what HubAndSpokes makes: a hub listening on stomp+ssl
// with needClientAuth=true, spokes server-a, server-b, … each with a duplex
// connector to it, over mutual TLS.
//
// mesh, ring and chain make node-1 … node-N over mutual TLS (one authority,
// root), joined by duplex connectors: every pair, each to the next and back
// to the first, or each to the next.
//
//	generate: {mesh: {nodes: 20, networkTTL: 2}}
var generatorKeys = []string{"hub-spoke", "mesh", "ring", "chain"}

var shapeKeys = []string{"nodes", "networkTTL"}

var hubSpokeKeys = []string{"spokes", "ca", "networkTTL"}

// generate reads `generate:` and adds what it makes to spec.
func (p *parser) generate(n *yaml.Node, spec *Spec) {
	d := deref(n)
	if d == nil || d.Kind != yaml.MappingNode {
		p.errorf(n, "generate must be a mapping such as {hub-spoke: {spokes: 100}}, got %s", describe(n))
		return
	}
	f := p.fields(d, "in generate", generatorKeys...)
	if len(f) > 1 {
		p.errorf(n, "generate takes one generator, got %d", len(f))
		return
	}
	for _, shape := range []string{"mesh", "ring", "chain"} {
		if v, ok := f[shape]; ok {
			p.generateShape(shape, v, spec)
		}
	}
	v, ok := f["hub-spoke"]
	if !ok {
		return
	}
	g := deref(v.val)
	if g == nil || g.Kind != yaml.MappingNode {
		p.errorf(v.val, "generate.hub-spoke must be a mapping such as {spokes: 100, ca: true}, got %s", describe(v.val))
		return
	}
	gf := p.fields(g, "in generate.hub-spoke", hubSpokeKeys...)
	var o HubAndSpokesOptions
	good := optional(gf, "spokes", "generate.hub-spoke", func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, 1) }, &o.Spokes)
	good = optional(gf, "ca", "generate.hub-spoke", p.boolean, &o.CA) && good
	good = optional(gf, "networkTTL", "generate.hub-spoke", func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, 1) }, &o.NetworkTTL) && good
	if _, given := gf["spokes"]; !given {
		p.errorf(g, "generate.hub-spoke needs spokes: <how many>, e.g. {spokes: 100}")
		return
	}
	if !good {
		return
	}
	p.addGenerated(HubAndSpokes(o), posOf(v.key), spec)
}

// generateShape reads {nodes: N, networkTTL: T} for a mesh, ring or chain.
func (p *parser) generateShape(shape string, v field, spec *Spec) {
	g := deref(v.val)
	what := "generate." + shape
	if g == nil || g.Kind != yaml.MappingNode {
		p.errorf(v.val, "%s must be a mapping such as {nodes: 20, networkTTL: 2}, got %s", what, describe(v.val))
		return
	}
	gf := p.fields(g, "in "+what, shapeKeys...)
	o := ShapeOptions{Shape: shape}
	atLeast := func(min int) func(*yaml.Node, string) (int, bool) {
		return func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, min) }
	}
	good := optional(gf, "nodes", what, atLeast(2), &o.Nodes)
	good = optional(gf, "networkTTL", what, atLeast(1), &o.NetworkTTL) && good
	if _, given := gf["nodes"]; !given {
		p.errorf(g, "%s needs nodes: <how many>, e.g. {nodes: 20}", what)
		return
	}
	if !good {
		return
	}
	gen, err := Shape(o)
	if err != nil {
		p.errorf(g, "%v", err)
		return
	}
	p.addGenerated(gen, posOf(v.key), spec)
}

// addGenerated adds a generator's nodes and authorities to spec, placed at
// the generator's line so errors about them point there.
func (p *parser) addGenerated(gen *Spec, pos Pos, spec *Spec) {
	for _, a := range gen.Authorities {
		a.Pos = pos
		spec.Authorities = append(spec.Authorities, a)
	}
	for _, node := range gen.Nodes {
		node.Pos, node.Like = pos, ""
		if node.TLS != nil {
			node.TLS.Pos = pos
		}
		for _, c := range node.Connect {
			c.Pos = pos
		}
		m := newMeta()
		for _, k := range []string{"listen", "tls", "connect"} {
			m.given[k] = true
		}
		m.likePos, m.identityPos = pos, pos
		for range node.Listen {
			m.listenPos = append(m.listenPos, pos)
		}
		if node.TLS != nil {
			for range node.TLS.Trust {
				m.trustPos = append(m.trustPos, pos)
			}
			if node.TLS.Identity.Issuer != "" {
				m.issuerPos = pos
			}
		}
		for range node.Connect {
			m.toPos = append(m.toPos, pos)
		}
		p.meta[node] = m
		spec.Nodes = append(spec.Nodes, node)
	}
}
