package topology

import (
	"fmt"
	"net"
	"regexp"
	"strconv"
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// ValidName reports whether name may name a node or an authority. Names
// become directory names, certificate SANs and parts of link names
// ("server-a->hub"), hence the narrow alphabet and no leading dot or dash.
func ValidName(name string) bool { return nameRE.MatchString(name) }

// HasIdentity reports whether the node has a certificate of its own.
func (n *Node) HasIdentity() bool {
	return n.TLS != nil && (n.TLS.Identity.SelfSigned || n.TLS.Identity.Issuer != "")
}

// Validate checks a Spec built in code with the same rules Parse applies to
// a file: names, listener URIs, TLS identities and trust entries,
// connectors. Errors carry no positions. It returns an ErrorList or nil.
func (s *Spec) Validate() error {
	return check(s, s.File, nil).err()
}

// checker runs the semantic checks over an expanded Spec. With meta from
// Parse, each error points at the value to change; a value a node copied
// by like is reported at that node's like: entry, and only for problems
// that depend on the copying node (the template reports its own).
type checker struct {
	file  string
	spec  *Spec
	meta  map[*Node]*nodeMeta
	errs  ErrorList
	list  []*Node // the non-nil nodes
	nodes map[string]*Node
	auths map[string]*Authority
	lis   map[*Node][]listener
}

var noMeta = newMeta() // read only: stands in for nodes built in code

func check(spec *Spec, file string, meta map[*Node]*nodeMeta) ErrorList {
	c := &checker{file: file, spec: spec, meta: meta,
		nodes: map[string]*Node{}, auths: map[string]*Authority{}, lis: map[*Node][]listener{}}
	c.names()
	for _, n := range c.list {
		for _, uri := range n.Listen {
			c.lis[n] = append(c.lis[n], parseListener(uri))
		}
	}
	for _, n := range c.list {
		c.listeners(n)
		c.tls(n)
		c.connectors(n)
	}
	c.ports()
	return c.errs
}

func (c *checker) m(n *Node) *nodeMeta {
	if m := c.meta[n]; m != nil {
		return m
	}
	return noMeta
}

func (c *checker) errorAt(pos Pos, format string, args ...any) {
	c.errs = append(c.errs, &Error{File: c.file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// at says where to report a problem with node n's value under key: at the
// value when n's own block wrote it, else at n's like: entry, which is
// what the user edits to change a copied value; the suffix says so.
func (c *checker) at(n *Node, key string, own Pos) (Pos, string) {
	m := c.m(n)
	if m.inherited[key] {
		return m.likePos, fmt.Sprintf(" (%s copied from %q by like)", key, n.Like)
	}
	return own, ""
}

func posAt(ps []Pos, i int) Pos {
	if i < len(ps) {
		return ps[i]
	}
	return Pos{}
}

const nameRule = "use letters, digits, '.', '_' and '-', starting with a letter or digit"

func (c *checker) names() {
	for i, a := range c.spec.Authorities {
		switch {
		case a == nil:
			c.errorAt(Pos{}, "authorities[%d] is nil", i)
			continue
		case !ValidName(a.Name):
			c.errorAt(a.Pos, "authority name %q is not valid: %s", a.Name, nameRule)
		case c.auths[a.Name] != nil:
			c.errorAt(a.Pos, "authority %q is declared twice", a.Name)
			continue
		}
		c.auths[a.Name] = a
	}
	for i, n := range c.spec.Nodes {
		switch {
		case n == nil:
			c.errorAt(Pos{}, "nodes[%d] is nil", i)
			continue
		case !ValidName(n.Name):
			c.errorAt(n.Pos, "node name %q is not valid: %s", n.Name, nameRule)
		case c.nodes[n.Name] != nil:
			c.errorAt(n.Pos, "node %q is declared twice", n.Name)
			continue
		case c.auths[n.Name] != nil:
			c.errorAt(n.Pos, "%q names both a node and an authority, so a trust entry could not tell which is meant; rename one", n.Name)
		}
		c.nodes[n.Name] = n
		c.list = append(c.list, n)
	}
	if len(c.list) == 0 && c.meta == nil {
		c.errorAt(Pos{}, "the topology has no nodes")
	}
}

func (c *checker) listeners(n *Node) {
	m := c.m(n)
	if !m.inherited["listen"] {
		for i, l := range c.lis[n] {
			for _, p := range l.problems {
				c.errorAt(posAt(m.listenPos, i), "node %q: listener %q %s", n.Name, l.uri, p)
			}
		}
	}
	if m.bad["tls"] || n.HasIdentity() {
		return
	}
	for i, l := range c.lis[n] {
		if !l.ssl() {
			continue
		}
		pos, sfx := c.at(n, "listen", posAt(m.listenPos, i))
		if n.TLS == nil {
			c.errorAt(pos, "node %q: listener %q uses TLS, so %s needs tls with an identity: add tls: {identity: {self_signed: true}} or {identity: {issuer: <authority>}}%s", n.Name, l.uri, n.Name, sfx)
		} else {
			c.errorAt(pos, "node %q: listener %q uses TLS, but %s's tls has no identity to present: add identity: {self_signed: true} or {issuer: <authority>}%s", n.Name, l.uri, n.Name, sfx)
		}
		return // one is enough: the fix is the same for all
	}
}

func (c *checker) tls(n *Node) {
	m, t := c.m(n), n.TLS
	if t == nil || m.inherited["tls"] {
		return
	}
	id := t.Identity
	if id.SelfSigned && id.Issuer != "" {
		c.errorAt(m.identityPos, "node %q: tls.identity is both self-signed and issued by %q; choose one", n.Name, id.Issuer)
	}
	if id.Issuer != "" && c.auths[id.Issuer] == nil {
		pos := m.issuerPos
		if len(c.auths) == 0 {
			c.errorAt(pos, "node %q: tls.identity.issuer %q names no authority; declare it: authorities: {%s: {}}", n.Name, id.Issuer, id.Issuer)
		} else {
			c.errorAt(pos, "node %q: tls.identity.issuer %q names no authority; authorities: %s", n.Name, id.Issuer, c.authNames())
		}
	}
	seen := make(map[string]bool)
	for i, name := range t.Trust {
		pos := posAt(m.trustPos, i)
		if seen[name] {
			c.errorAt(pos, "node %q: tls.trust lists %q twice", n.Name, name)
			continue
		}
		seen[name] = true
		if peer := c.nodes[name]; peer != nil {
			if !peer.HasIdentity() && !c.m(peer).bad["tls"] {
				c.errorAt(pos, "node %q: tls.trust names node %q, which has no tls identity to trust; give %s an identity or drop it from the list", n.Name, name, name)
			}
			continue
		}
		if c.auths[name] == nil {
			c.errorAt(pos, "node %q: tls.trust entry %q names no node or authority; nodes: %s; authorities: %s", n.Name, name, nodeNames(&Spec{Nodes: c.list}), c.authNames())
		}
	}
}

func (c *checker) connectors(n *Node) {
	m := c.m(n)
	own := !m.inherited["connect"]
	seenTo := make(map[string]int)
	seenName := make(map[string]int)
	for i, con := range n.Connect {
		what := fmt.Sprintf("node %q: connect[%d]", n.Name, i)
		if con == nil {
			c.errorAt(Pos{}, "%s is nil", what)
			continue
		}
		toPos := posAt(m.toPos, i)
		if toPos == (Pos{}) {
			toPos = con.Pos
		}
		t := c.nodes[con.To]
		if own {
			c.connectorOwn(n, con, t, what, toPos)
			if j, dup := seenTo[con.To]; dup && con.To != "" {
				c.errorAt(con.Pos, "%s dials %q again, as connect[%d] does; keep one connector per peer (duplex: true carries both directions)", what, con.To, j)
			}
			if j, dup := seenName[con.Name]; dup && con.Name != "" {
				c.errorAt(con.Pos, "%s has the name %q of connect[%d]; bridge names must differ", what, con.Name, j)
			}
		}
		if _, dup := seenTo[con.To]; !dup {
			seenTo[con.To] = i
		}
		if _, dup := seenName[con.Name]; !dup {
			seenName[con.Name] = i
		}
		if con.To == n.Name {
			pos, sfx := c.at(n, "connect", toPos)
			c.errorAt(pos, "%s dials %s itself; a broker cannot bridge to itself%s", what, n.Name, sfx)
			continue
		}
		if t != nil && n.TLS == nil && !m.bad["tls"] && !c.m(t).bad["listen"] && c.allSSL(t) {
			pos, sfx := c.at(n, "connect", con.Pos)
			c.errorAt(pos, "%s dials %q, whose listeners all use stomp+ssl, but %s has no tls; add tls: {trust: [%s]} or trust %s's issuer%s", what, con.To, n.Name, con.To, con.To, sfx)
		}
	}
}

// connectorOwn checks what a connector says on its own, apart from the
// node that holds it.
func (c *checker) connectorOwn(n *Node, con *Connector, t *Node, what string, toPos Pos) {
	switch {
	case con.To == "":
		c.errorAt(con.Pos, "%s needs to: <node>, the node it dials", what)
	case t == nil:
		c.errorAt(toPos, "%s.to %q names no node; nodes: %s", what, con.To, nodeNames(&Spec{Nodes: c.list}))
	case t != n && len(t.Listen) == 0 && !c.m(t).bad["listen"]:
		c.errorAt(toPos, "%s dials %q, which has no listener; give %s a listen: entry", what, con.To, con.To)
	}
	if con.NetworkTTL < 0 {
		c.errorAt(con.Pos, "%s.networkTTL is %d; it must be ≥ 1 (0 means ActiveMQ's default, 1)", what, con.NetworkTTL)
	}
	if con.InitialReconnectDelay < 0 {
		c.errorAt(con.Pos, "%s.initialReconnectDelay is negative (%s)", what, con.InitialReconnectDelay)
	}
	if con.MaxReconnectDelay < 0 {
		c.errorAt(con.Pos, "%s.maxReconnectDelay is negative (%s)", what, con.MaxReconnectDelay)
	}
	if i, mx := con.InitialReconnectDelay, con.MaxReconnectDelay; i > 0 && mx > 0 && mx < i {
		c.errorAt(con.Pos, "%s.maxReconnectDelay (%s) is shorter than initialReconnectDelay (%s); the cap must be at least the first delay", what, mx, i)
	}
}

// allSSL reports whether a node can only be reached over TLS. A node whose
// listeners have errors is left alone: those errors come first.
func (c *checker) allSSL(n *Node) bool {
	ls := c.lis[n]
	for _, l := range ls {
		if len(l.problems) > 0 || !l.ssl() {
			return false
		}
	}
	return len(ls) > 0
}

// ports refuses two listeners on one fixed host:port; port 0 is exempt as
// every such listener gets its own free port.
func (c *checker) ports() {
	type owner struct {
		n *Node
		i int
	}
	seen := make(map[string]owner)
	for _, n := range c.list {
		for i, l := range c.lis[n] {
			if len(l.problems) > 0 || l.port == 0 {
				continue
			}
			addr := net.JoinHostPort(l.host, strconv.Itoa(l.port))
			prev, taken := seen[addr]
			if !taken {
				seen[addr] = owner{n, i}
				continue
			}
			pos, sfx := c.at(n, "listen", posAt(c.m(n).listenPos, i))
			who := fmt.Sprintf("node %q", prev.n.Name)
			if prev.n == n {
				who = "this node"
			}
			c.errorAt(pos, "node %q: listener %q uses %s, on which %s already listens; pick another port, or 0 for a free one%s", n.Name, l.uri, addr, who, sfx)
		}
	}
}

func (c *checker) authNames() string {
	var names []string
	for _, a := range c.spec.Authorities {
		if a != nil {
			names = append(names, a.Name)
		}
	}
	return quoteList(names)
}
