package topology

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// This file holds the small readers that turn yaml.v3 nodes into Go values.
// They work on *yaml.Node rather than on tagged structs because only the
// node keeps line and column, and because yaml.v3's KnownFields does not
// apply to Node.Decode: unknown and repeated keys are checked here instead.

// field is one key/value pair of a mapping.
type field struct{ key, val *yaml.Node }

func posOf(n *yaml.Node) Pos { return Pos{Line: n.Line, Column: n.Column} }

// deref follows YAML aliases (*name) to the anchored value. checkAliases has
// already refused alias cycles; the bound is a second line of defence.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what a value is, for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		v := n.Value
		if len(v) > 40 {
			v = v[:40] + "…"
		}
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!bool":
			return "the boolean " + v
		case "!!int":
			return "the integer " + v
		case "!!float":
			return "the number " + v
		case "!!str":
			return "the string " + strconv.Quote(v)
		default:
			return fmt.Sprintf("a %s value %q", n.ShortTag(), v)
		}
	}
	return "an unexpected YAML value"
}

// fields reads a mapping whose keys are fixed words. It reports keys that
// are not allowed (listing those that are) and keys given twice, which
// yaml.v3 silently keeps in a Node; where says whose mapping it is, e.g.
// `in node "hub"`.
func (p *parser) fields(n *yaml.Node, where string, allowed ...string) map[string]field {
	out := make(map[string]field)
	for _, kv := range p.pairs(n, where) {
		k := kv.key.Value
		if !contains(allowed, k) {
			if len(allowed) == 0 {
				p.errorf(kv.key, "unknown key %q %s; it takes no keys yet", k, where)
			} else {
				p.errorf(kv.key, "unknown key %q %s; allowed: %s", k, where, strings.Join(allowed, ", "))
			}
			continue
		}
		out[k] = kv
	}
	return out
}

// pairs lists a mapping's entries in order, dropping (and reporting) keys
// that are not plain scalars, YAML merge keys and repeated keys.
func (p *parser) pairs(n *yaml.Node, where string) []field {
	var out []field
	first := make(map[string]*yaml.Node)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), n.Content[i+1]
		switch {
		case k == nil || k.Kind != yaml.ScalarNode || isNull(k):
			p.errorf(n.Content[i], "keys %s must be plain names, got %s", where, describe(k))
			continue
		case k.Value == "<<" && k.ShortTag() == "!!merge":
			p.errorf(k, "YAML merge keys (<<) are not supported %s; use like: <node> to copy a node", where)
			continue
		}
		if prev, dup := first[k.Value]; dup {
			p.errorf(k, "key %q given twice %s (first at %s); keep one", k.Value, where, posOf(prev))
			continue
		}
		first[k.Value] = k
		out = append(out, field{key: k, val: v})
	}
	return out
}

// str reads a string. Any non-null scalar is accepted and taken as written,
// so that `name: 2024` is not an error.
func (p *parser) str(n *yaml.Node, what string) (string, bool) {
	d := deref(n)
	if d == nil || d.Kind != yaml.ScalarNode || isNull(d) {
		p.errorf(n, "%s must be a string, got %s", what, describe(n))
		return "", false
	}
	return d.Value, true
}

// strList reads a list of strings and the position of each.
func (p *parser) strList(n *yaml.Node, what, item string) ([]string, []Pos, bool) {
	d := deref(n)
	if isNull(d) {
		return nil, nil, true
	}
	if d.Kind != yaml.SequenceNode {
		hint := ""
		if d.Kind == yaml.ScalarNode {
			hint = fmt.Sprintf("; write [%s] for a list of one", d.Value)
		}
		p.errorf(n, "%s must be a list of %s, got %s%s", what, item, describe(n), hint)
		return nil, nil, false
	}
	var vals []string
	var poss []Pos
	ok := true
	for i, e := range d.Content {
		s, good := p.str(e, fmt.Sprintf("%s[%d]", what, i))
		if !good {
			ok = false
			continue
		}
		vals = append(vals, s)
		poss = append(poss, posOf(e))
	}
	return vals, poss, ok
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	d := deref(n)
	var b bool
	if d == nil || d.Kind != yaml.ScalarNode || d.ShortTag() != "!!bool" || d.Decode(&b) != nil {
		p.errorf(n, "%s must be true or false, got %s", what, describe(n))
		return false, false
	}
	return b, true
}

func (p *parser) integer(n *yaml.Node, what string, min int) (int, bool) {
	d := deref(n)
	var i int
	if d == nil || d.Kind != yaml.ScalarNode || d.ShortTag() != "!!int" || d.Decode(&i) != nil {
		p.errorf(n, "%s must be an integer ≥ %d, got %s", what, min, describe(n))
		return 0, false
	}
	if i < min {
		p.errorf(n, "%s must be ≥ %d, got %d", what, min, i)
		return 0, false
	}
	return i, true
}

// duration reads a Go duration string ("500ms", "30s") or, as ActiveMQ's
// connector attributes do, an integer number of milliseconds.
func (p *parser) duration(n *yaml.Node, what string) (time.Duration, bool) {
	d := deref(n)
	bad := func() (time.Duration, bool) {
		p.errorf(n, "%s must be a duration such as \"500ms\" or \"30s\", or an integer number of milliseconds, got %s", what, describe(n))
		return 0, false
	}
	if d == nil || d.Kind != yaml.ScalarNode {
		return bad()
	}
	switch d.ShortTag() {
	case "!!int":
		var ms int64
		if d.Decode(&ms) != nil || ms > math.MaxInt64/int64(time.Millisecond) || ms < -math.MaxInt64/int64(time.Millisecond) {
			return bad()
		}
		if ms < 0 {
			p.errorf(n, "%s must not be negative, got %d", what, ms)
			return 0, false
		}
		return time.Duration(ms) * time.Millisecond, true
	case "!!str":
		v, err := time.ParseDuration(d.Value)
		if err != nil {
			return bad()
		}
		if v < 0 {
			p.errorf(n, "%s must not be negative, got %s", what, d.Value)
			return 0, false
		}
		return v, true
	}
	return bad()
}

// checkAliases refuses alias cycles (yaml.v3 registers an anchor before
// reading its children, so `&a [*a]` is a node that contains itself) and
// documents whose aliases would blow up into millions of values: the readers
// follow aliases, and a few hundred bytes of nested aliases can otherwise
// cost minutes and gigabytes.
func (p *parser) checkAliases(root *yaml.Node) bool {
	const limit = 1 << 20
	const visiting = -1
	size := make(map[*yaml.Node]int)
	ok := true
	var walk func(n *yaml.Node) int
	walk = func(n *yaml.Node) int {
		if n == nil || !ok {
			return 0
		}
		if n.Kind == yaml.AliasNode {
			if n.Alias == nil {
				return 1
			}
			if size[n.Alias] == visiting {
				p.errorf(n, "alias *%s refers to a value that contains it; YAML aliases may not loop", n.Value)
				ok = false
				return 0
			}
			return walk(n.Alias)
		}
		if s, done := size[n]; done {
			if s == visiting {
				return 0
			}
			return s
		}
		size[n] = visiting
		total := 1
		for _, c := range n.Content {
			total += walk(c)
			if total > limit {
				total = limit + 1
			}
		}
		size[n] = total
		return total
	}
	if walk(root) > limit && ok {
		p.errorf(root, "the file expands through YAML aliases to more than %d values; use like: <node> to copy nodes instead", limit)
		ok = false
	}
	return ok
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
