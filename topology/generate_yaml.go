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
var generatorKeys = []string{"hub-spoke"}

var hubSpokeKeys = []string{"spokes", "ca", "networkTTL"}

// generate reads `generate:` and adds what it makes to spec.
func (p *parser) generate(n *yaml.Node, spec *Spec) {
	d := deref(n)
	if d == nil || d.Kind != yaml.MappingNode {
		p.errorf(n, "generate must be a mapping such as {hub-spoke: {spokes: 100}}, got %s", describe(n))
		return
	}
	f := p.fields(d, "in generate", generatorKeys...)
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
	gen := HubAndSpokes(o)
	pos := posOf(v.key)
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
