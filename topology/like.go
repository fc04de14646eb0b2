package topology

import "strings"

// expandLikes applies `like: X` to every node that has it: the node starts
// from a deep copy of X's listen, tls and connect, and every one of those
// keys written in its own block replaces X's value whole. Templates may be
// declared before or after the nodes that use them and may themselves use
// like; they are expanded first, depth first, so chains work. Nodes on a
// cycle keep only what their own blocks say, after one error for the cycle.
func (p *parser) expandLikes(spec *Spec) {
	const (
		unseen = iota
		visiting
		done
	)
	state := make(map[*Node]int)
	inCycle := make(map[*Node]bool)
	var stack []*Node
	var visit func(n *Node)
	visit = func(n *Node) {
		switch state[n] {
		case done:
			return
		case visiting:
			p.likeCycle(stack, n, inCycle)
			return
		}
		state[n] = visiting
		stack = append(stack, n)
		defer func() {
			stack = stack[:len(stack)-1]
			state[n] = done
		}()
		m := p.meta[n]
		if n.Like == "" {
			if m.bad["like"] {
				markUngivenBad(m)
			}
			return
		}
		t := spec.Node(n.Like)
		if t == nil {
			p.errorAt(m.likePos, "node %q: like %q names no node; nodes: %s", n.Name, n.Like, nodeNames(spec))
			markUngivenBad(m)
			return
		}
		visit(t)
		if inCycle[n] {
			return
		}
		copyFrom(n, m, t, p.meta[t])
	}
	for _, n := range spec.Nodes {
		visit(n)
	}
}

// likeCycle reports the cycle that closes at n once, at the like of the
// node where it was entered, and marks its members.
func (p *parser) likeCycle(stack []*Node, n *Node, inCycle map[*Node]bool) {
	i := len(stack) - 1
	for i > 0 && stack[i] != n {
		i--
	}
	cycle := stack[i:]
	names := make([]string, 0, len(cycle)+1)
	for _, c := range cycle {
		names = append(names, c.Name)
		inCycle[c] = true
		markUngivenBad(p.meta[c])
	}
	names = append(names, n.Name)
	m := p.meta[cycle[0]]
	if len(cycle) == 1 {
		p.errorAt(m.likePos, "node %q is like itself; name another node as its template", n.Name)
		return
	}
	p.errorAt(m.likePos, "like cycle: %s; one of these nodes must spell out its listen, tls and connect", strings.Join(names, " -> "))
}

// copyFrom fills the keys n does not give itself from its template t. In
// the copied trust list t's own name becomes n's: the classic tutorial's
// spokes each trust themselves and the hub, so `server-b: {like: server-a}`
// must trust server-b, not server-a.
func copyFrom(n *Node, m *nodeMeta, t *Node, tm *nodeMeta) {
	c := t.Clone()
	if !m.given["listen"] {
		n.Listen = c.Listen
		m.listenPos = append([]Pos(nil), tm.listenPos...)
		m.inherited["listen"] = true
		m.bad["listen"] = tm.bad["listen"]
	}
	if !m.given["tls"] {
		n.TLS = c.TLS
		if n.TLS != nil {
			n.TLS.Trust, m.trustPos = renameTrust(n.TLS.Trust, tm.trustPos, t.Name, n.Name)
		}
		m.identityPos, m.issuerPos = tm.identityPos, tm.issuerPos
		m.inherited["tls"] = true
		m.bad["tls"] = tm.bad["tls"]
	}
	if !m.given["security"] {
		n.Security = c.Security
		m.bad["security"] = tm.bad["security"]
	}
	if !m.given["connect"] {
		n.Connect = c.Connect
		m.toPos = append([]Pos(nil), tm.toPos...)
		m.inherited["connect"] = true
		m.bad["connect"] = tm.bad["connect"]
	}
}

// renameTrust replaces from by to and drops the repeats this can create
// (a template that trusts both itself and the copy, say).
func renameTrust(trust []string, pos []Pos, from, to string) ([]string, []Pos) {
	var out []string
	var outPos []Pos
	seen := make(map[string]bool)
	for i, name := range trust {
		if name == from {
			name = to
		}
		if seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, name)
		if i < len(pos) {
			outPos = append(outPos, pos[i])
		} else {
			outPos = append(outPos, Pos{})
		}
	}
	return out, outPos
}

// markUngivenBad stops validation from reporting the missing listeners or
// TLS of a node whose template could not be applied: the like error says
// what is wrong, and the rest would only be its echo.
func markUngivenBad(m *nodeMeta) {
	for _, k := range []string{"listen", "tls", "connect"} {
		if !m.given[k] {
			m.bad[k] = true
		}
	}
}

func nodeNames(spec *Spec) string {
	names := make([]string, len(spec.Nodes))
	for i, n := range spec.Nodes {
		names[i] = n.Name
	}
	return quoteList(names)
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}
