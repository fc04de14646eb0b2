package topology

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// Keys of the mappings below, in the order messages list them.
var (
	nodeKeys      = []string{"listen", "tls", "connect", "like", "security"}
	tlsKeys       = []string{"identity", "trust", "format", "sslContext"}
	identityKeys  = []string{"self_signed", "issuer"}
	connectorKeys = []string{"to", "name", "duplex", "dynamicOnly", "networkTTL",
		"initialReconnectDelay", "maxReconnectDelay", "useExponentialBackOff", "backOffMultiplier", "userName", "password", "tls"}
)

// node reads one node's block into node and m. A null block is an empty
// node, so `spare:` on its own line declares a node with nothing yet.
func (p *parser) node(node *Node, m *nodeMeta, n *yaml.Node) {
	d := deref(n)
	if isNull(d) {
		return
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "node %q must be a mapping with keys %s, got %s", node.Name, joinKeys(nodeKeys), describe(n))
		for _, k := range nodeKeys {
			m.bad[k] = true
		}
		return
	}
	f := p.fields(d, fmt.Sprintf("in node %q", node.Name), nodeKeys...)
	if hasUnknownKey(d, nodeKeys) {
		// A misspelt key ("lissten") most likely stands for a missing one:
		// do not go on to report "hub has no listener" for the same slip.
		for _, k := range nodeKeys {
			if _, given := f[k]; !given {
				m.bad[k] = true
			}
		}
	}
	at := fmt.Sprintf("node %q: ", node.Name)
	if v, ok := f["like"]; ok {
		m.likePos = posOf(v.val)
		if s, ok := p.str(v.val, at+"like"); ok {
			node.Like = s
		} else {
			m.bad["like"] = true
		}
	}
	if v, ok := f["listen"]; ok {
		m.given["listen"] = true
		var ok bool
		node.Listen, m.listenPos, ok = p.strList(v.val, at+"listen", "listener URIs such as \"stomp://127.0.0.1:0\"")
		m.bad["listen"] = !ok
	}
	if v, ok := f["tls"]; ok {
		m.given["tls"] = true
		var ok bool
		node.TLS, ok = p.tls(v.val, m, at)
		m.bad["tls"] = !ok
	}
	if v, ok := f["security"]; ok {
		m.given["security"] = true
		var ok bool
		node.Security, ok = p.security(v.val, at)
		m.bad["security"] = !ok
	}
	if v, ok := f["connect"]; ok {
		m.given["connect"] = true
		var ok bool
		node.Connect, m.toPos, ok = p.connectors(v.val, at)
		m.bad["connect"] = !ok
	}
}

// tls reads `tls: {identity: …, trust: […]}`. `tls: null` is allowed and
// means no TLS, which lets a node declared with like drop its template's.
func (p *parser) tls(n *yaml.Node, m *nodeMeta, at string) (*NodeTLS, bool) {
	d := deref(n)
	if isNull(d) {
		return nil, true
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "%stls must be a mapping with keys %s, e.g. tls: {identity: {self_signed: true}, trust: [hub]}, got %s", at, joinKeys(tlsKeys), describe(n))
		return nil, false
	}
	t := &NodeTLS{Pos: posOf(d)}
	ok := true
	f := p.fields(d, "in tls of "+at[:len(at)-2], tlsKeys...)
	if v, found := f["identity"]; found {
		m.identityPos = posOf(v.val)
		t.Identity, m.issuerPos, ok = p.identity(v.val, at)
	}
	if v, found := f["trust"]; found {
		var good bool
		t.Trust, m.trustPos, good = p.strList(v.val, at+"tls.trust", "node or authority names")
		ok = ok && good
	}
	ok = p.sslContext(t, f, at) && ok
	return t, ok
}

// identity reads {self_signed: true} or {issuer: <authority>}. A missing or
// null identity is allowed: such a node can dial TLS listeners and verify
// them, but has no certificate of its own to present or to listen with.
func (p *parser) identity(n *yaml.Node, at string) (Identity, Pos, bool) {
	d := deref(n)
	if isNull(d) {
		return Identity{}, Pos{}, true
	}
	const shape = "{self_signed: true} or {issuer: <authority>}"
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "%stls.identity must be %s, got %s", at, shape, describe(n))
		return Identity{}, Pos{}, false
	}
	f := p.fields(d, "in tls.identity of "+at[:len(at)-2], identityKeys...)
	ss, hasSS := f["self_signed"]
	is, hasIs := f["issuer"]
	switch {
	case hasSS && hasIs:
		p.errorf(n, "%stls.identity gives both self_signed and issuer; choose one: %s", at, shape)
		return Identity{}, Pos{}, false
	case hasSS:
		b, ok := p.boolean(ss.val, at+"tls.identity.self_signed")
		if ok && !b {
			p.errorf(ss.val, "%stls.identity.self_signed: false declares no identity; write self_signed: true, name an issuer, or drop identity", at)
			ok = false
		}
		return Identity{SelfSigned: b && ok}, Pos{}, ok
	case hasIs:
		s, ok := p.str(is.val, at+"tls.identity.issuer")
		return Identity{Issuer: s}, posOf(is.val), ok
	}
	if len(d.Content) == 0 {
		p.errorf(n, "%stls.identity is empty; write %s, or drop identity", at, shape)
	}
	// Otherwise only unknown keys were given, and fields reported them.
	return Identity{}, Pos{}, false
}

// connectors reads `connect: [{to: hub, …}, …]`. A connector without a
// usable `to` is dropped after its error, so that it does not cause further
// errors about a node named "".
func (p *parser) connectors(n *yaml.Node, at string) ([]*Connector, []Pos, bool) {
	d := deref(n)
	if isNull(d) {
		return nil, nil, true
	}
	if d.Kind != yaml.SequenceNode {
		hint := ""
		if d.Kind == yaml.MappingNode {
			hint = "; wrap it in a list: connect: [{to: hub}]"
		}
		p.errorf(n, "%sconnect must be a list of connectors such as {to: hub, duplex: true}, got %s%s", at, describe(n), hint)
		return nil, nil, false
	}
	var out []*Connector
	var toPos []Pos
	ok := true
	for i, item := range d.Content {
		what := fmt.Sprintf("%sconnect[%d]", at, i)
		where := fmt.Sprintf("in connect[%d] of %s", i, at[:len(at)-2])
		c, pos, good := p.connector(item, what, where)
		if !good {
			ok = false
		}
		if c != nil {
			out = append(out, c)
			toPos = append(toPos, pos)
		}
	}
	return out, toPos, ok
}

// connector reads one connector; what prefixes messages about its values
// (`node "a": connect[0]`), where says whose keys are wrong.
func (p *parser) connector(n *yaml.Node, what, where string) (*Connector, Pos, bool) {
	d := deref(n)
	if d == nil || d.Kind != yaml.MappingNode {
		p.errorf(n, "%s must be a mapping such as {to: hub, duplex: true}, got %s", what, describe(n))
		return nil, Pos{}, false
	}
	c := &Connector{Pos: posOf(d)}
	ok := true
	f := p.fields(d, where, connectorKeys...)
	v, found := f["to"]
	if !found {
		p.errorf(n, "%s needs to: <node>, the node it dials", what)
		return nil, Pos{}, false
	}
	to, good := p.str(v.val, what+".to")
	if !good {
		return nil, Pos{}, false
	}
	c.To = to
	toPos := posOf(v.val)
	check := func(good bool) { ok = ok && good }
	check(optional(f, "name", what, p.str, &c.Name))
	check(optional(f, "duplex", what, p.boolean, &c.Duplex))
	check(optional(f, "dynamicOnly", what, p.boolean, &c.DynamicOnly))
	check(optional(f, "networkTTL", what, func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, 1) }, &c.NetworkTTL))
	check(optional(f, "initialReconnectDelay", what, p.duration, &c.InitialReconnectDelay))
	check(optional(f, "maxReconnectDelay", what, p.duration, &c.MaxReconnectDelay))
	check(optional(f, "userName", what, p.str, &c.UserName))
	check(optional(f, "password", what, p.str, &c.Password))
	if v, found := f["useExponentialBackOff"]; found {
		b, good := p.boolean(v.val, what+".useExponentialBackOff")
		if good {
			c.UseExponentialBackOff = &b
		}
		check(good)
	}
	knobs, good := p.connectorTLS(f, what, where)
	c.TLS = knobs
	check(good)
	check(p.connectorNetwork(f, what, &c.Network))
	return c, toPos, ok
}

// optional reads key, when the mapping has it, into dst with read, naming
// it what.key in errors; it reports false only for a value that was there
// and wrong.
func optional[T any](f map[string]field, key, what string, read func(*yaml.Node, string) (T, bool), dst *T) bool {
	v, found := f[key]
	if !found {
		return true
	}
	x, good := read(v.val, what+"."+key)
	if good {
		*dst = x
	}
	return good
}

func hasUnknownKey(n *yaml.Node, allowed []string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := deref(n.Content[i]); k == nil || !contains(allowed, k.Value) {
			return true
		}
	}
	return false
}

func joinKeys(keys []string) string { return strings.Join(keys, ", ") }
