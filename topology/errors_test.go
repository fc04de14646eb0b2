package topology

import (
	"strings"
	"testing"
)

// TestParseErrors feeds one mistake at a time and checks that Parse
// reports exactly the expected errors, each at the offending value and
// with a message that starts as given.
func TestParseErrors(t *testing.T) {
	const hub = "  hub: {listen: [\"stomp://127.0.0.1:0\"]}\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		// the document
		{"empty", "", []string{"1:1: the topology is empty"}},
		{"comments only", "# nothing\n", []string{"1:1: the topology is empty"}},
		{"syntax", "name: [x\n", []string{"1: invalid YAML: did not find expected ',' or ']'"}},
		{"tab indentation", "name: x\nnodes:\n\thub:\n", []string{"3: invalid YAML: found character that cannot start any token"}},
		{"two documents", "name: x\nnodes: {a: }\n---\nname: y\n", []string{"3:1: a topology file holds one YAML document"}},
		{"not a mapping", "[a, b]\n", []string{"1:1: a topology must be a mapping with keys name, authorities and nodes, got a list"}},
		{"alias loop", "name: x\nnodes: &n {a: *n}\n", []string{"2:15: alias *n refers to a value that contains it"}},
		{"alias bomb", aliasBomb(), []string{"1:1: the file expands through YAML aliases to more than"}},

		// top level
		{"unknown top key", "name: x\nnodez: {}\nnodes: {a: }\n", []string{`2:1: unknown key "nodez" at the top level; allowed: name, authorities, nodes, generate`}},
		{"missing name", "nodes: {a: }\n", []string{"1:1: missing name"}},
		{"empty name", "name: ''\nnodes: {a: }\n", []string{"1:7: name must not be empty"}},
		{"name not a string", "name: {a: 1}\nnodes: {a: }\n", []string{"1:7: name must be a string, got a mapping"}},
		{"missing nodes", "name: x\n", []string{"1:1: missing nodes"}},
		{"null nodes", "name: x\nnodes:\n", []string{"2:7: nodes must declare at least one node"}},
		{"empty nodes", "name: x\nnodes: {}\n", []string{"2:8: nodes must declare at least one node"}},
		{"nodes a list", "name: x\nnodes: [a]\n", []string{"2:8: nodes must be a mapping of node name to node, got a list"}},
		{"duplicate key", "name: x\nname: y\nnodes: {a: }\n", []string{`2:1: key "name" given twice at the top level (first at 1:1)`}},
		{"duplicate node", "name: x\nnodes:\n  a:\n  a:\n", []string{`4:3: key "a" given twice under nodes (first at 3:3)`}},
		{"complex key", "name: x\nnodes: {[a]: }\n", []string{"2:9: keys under nodes must be plain names, got a list"}},
		{"merge key", "name: x\nnodes:\n  a: &a {listen: [\"stomp://h:0\"]}\n  b: {<<: *a}\n", []string{"4:7: YAML merge keys (<<) are not supported in node \"b\""}},

		// authorities
		{"authorities a list", "name: x\nauthorities: [root]\nnodes: {a: }\n", []string{"2:14: authorities must be a mapping"}},
		{"authority key", "name: x\nauthorities: {root: {validity: 1h}}\nnodes: {a: }\n", []string{`2:22: unknown key "validity" in authority "root"; it takes no keys yet`}},
		{"authority scalar", "name: x\nauthorities: {root: yes}\nnodes: {a: }\n", []string{`2:21: authority "root" must be a mapping (write root: {})`}},
		{"authority name", "name: x\nauthorities: {-root: }\nnodes: {a: }\n", []string{`2:15: authority name "-root" is not valid`}},
		{"node and authority", "name: x\nauthorities: {a: }\nnodes: {a: }\n", []string{`3:9: "a" names both a node and an authority`}},

		// nodes
		{"node name", "name: x\nnodes: {.a: }\n", []string{`2:9: node name ".a" is not valid`}},
		{"node a list", "name: x\nnodes: {a: []}\n", []string{`2:12: node "a" must be a mapping with keys listen, tls, connect, like, security, got a list`}},
		{"unknown node key", "name: x\nnodes:\n  hub: {lissten: []}\n", []string{`3:9: unknown key "lissten" in node "hub"; allowed: listen, tls, connect, like, security`}},
		{"misspelt key does not cascade", "name: x\nnodes:\n  hub: {lissten: [\"stomp://h:0\"]}\n  a: {connect: [{to: hub}]}\n", []string{`3:9: unknown key "lissten" in node "hub"`}},
		{"listen a string", "name: x\nnodes:\n  a: {listen: \"stomp://h:0\"}\n", []string{`3:15: node "a": listen must be a list of listener URIs such as "stomp://127.0.0.1:0", got the string "stomp://h:0"; write [stomp://h:0] for a list of one`}},
		{"listen item a mapping", "name: x\nnodes:\n  a: {listen: [{port: 1}]}\n", []string{`3:16: node "a": listen[0] must be a string, got a mapping`}},
		{"like a list", "name: x\nnodes:\n  a: {like: [b]}\n", []string{`3:13: node "a": like must be a string, got a list`}},

		// listeners
		{"scheme", "name: x\nnodes:\n  a: {listen: [\"ssl://h:1\"]}\n", []string{`3:16: node "a": listener "ssl://h:1" has scheme "ssl"; use stomp:// or stomp+ssl://`}},
		{"no scheme", "name: x\nnodes:\n  a: {listen: [\"h:1\"]}\n", []string{`3:16: node "a": listener "h:1" has scheme "h"`, `3:16: node "a": listener "h:1" has no host`}},
		{"no host", "name: x\nnodes:\n  a: {listen: [\"stomp://:1\"]}\n", []string{`3:16: node "a": listener "stomp://:1" has no host`}},
		{"no port", "name: x\nnodes:\n  a: {listen: [\"stomp://h\"]}\n", []string{`3:16: node "a": listener "stomp://h" has no port`}},
		{"bad port", "name: x\nnodes:\n  a: {listen: [\"stomp://h:x\"]}\n", []string{`3:16: node "a": listener "stomp://h:x" is not a valid URI (invalid port ":x" after host)`}},
		{"big port", "name: x\nnodes:\n  a: {listen: [\"stomp://h:65536\"]}\n", []string{`3:16: node "a": listener "stomp://h:65536" has port 65536, outside 0–65535`}},
		{"path", "name: x\nnodes:\n  a: {listen: [\"stomp://h:1/x\"]}\n", []string{`3:16: node "a": listener "stomp://h:1/x" must not have a path`}},
		{"user", "name: x\nnodes:\n  a: {listen: [\"stomp://u:p@h:1\"]}\n", []string{`3:16: node "a": listener "stomp://u:p@h:1" must not carry user information`}},
		{"unknown option", "name: x\nnodes:\n  a: {listen: [\"stomp://h:1?needClientAuht=true\"]}\n", []string{`3:16: node "a": listener "stomp://h:1?needClientAuht=true" has unknown option "needClientAuht"; allowed: needClientAuth, wantClientAuth`}},
		{"option value", "name: x\nnodes:\n  a: {listen: [\"stomp+ssl://h:1?wantClientAuth=1\"], tls: {identity: {self_signed: true}}}\n", []string{`3:16: node "a": listener "stomp+ssl://h:1?wantClientAuth=1" has wantClientAuth=1; it must be true or false`}},
		{"option twice", "name: x\nnodes:\n  a: {listen: [\"stomp+ssl://h:1?needClientAuth=true&needClientAuth=false\"], tls: {identity: {self_signed: true}}}\n", []string{`3:16: node "a": listener "stomp+ssl://h:1?needClientAuth=true&needClientAuth=false" gives needClientAuth 2 times`}},
		{"option on plain", "name: x\nnodes:\n  a: {listen: [\"stomp://h:1?needClientAuth=true\"]}\n", []string{`3:16: node "a": listener "stomp://h:1?needClientAuth=true" sets needClientAuth, which only applies to stomp+ssl listeners`}},
		{"ssl without tls", "name: x\nnodes:\n  a: {listen: [\"stomp+ssl://h:0\"]}\n", []string{`3:16: node "a": listener "stomp+ssl://h:0" uses TLS, so a needs tls with an identity`}},
		{"ssl without identity", "name: x\nnodes:\n  a: {listen: [\"stomp+ssl://h:0\"], tls: {trust: []}}\n", []string{`3:16: node "a": listener "stomp+ssl://h:0" uses TLS, but a's tls has no identity to present`}},
		{"port taken", "name: x\nnodes:\n  a: {listen: [\"stomp://h:61613\"]}\n  b: {listen: [\"stomp://h:61613\"]}\n", []string{`4:16: node "b": listener "stomp://h:61613" uses h:61613, on which node "a" already listens`}},

		// tls
		{"tls a list", "name: x\nnodes:\n  a: {tls: [x]}\n", []string{`3:12: node "a": tls must be a mapping with keys identity, trust`}},
		{"tls key", "name: x\nnodes:\n  a: {tls: {trusts: []}}\n", []string{`3:13: unknown key "trusts" in tls of node "a"; allowed: identity, trust`}},
		{"identity scalar", "name: x\nnodes:\n  a: {tls: {identity: self_signed}}\n", []string{`3:23: node "a": tls.identity must be {self_signed: true} or {issuer: <authority>}, got the string "self_signed"`}},
		{"identity both", "name: x\nauthorities: {r: }\nnodes:\n  a: {tls: {identity: {self_signed: true, issuer: r}}}\n", []string{`4:23: node "a": tls.identity gives both self_signed and issuer; choose one`}},
		{"identity empty", "name: x\nnodes:\n  a: {tls: {identity: {}}}\n", []string{`3:23: node "a": tls.identity is empty`}},
		{"identity key", "name: x\nnodes:\n  a: {tls: {identity: {selfsigned: true}}}\n", []string{`3:24: unknown key "selfsigned" in tls.identity of node "a"; allowed: self_signed, issuer`}},
		{"self_signed false", "name: x\nnodes:\n  a: {tls: {identity: {self_signed: false}}}\n", []string{`3:37: node "a": tls.identity.self_signed: false declares no identity`}},
		{"self_signed string", "name: x\nnodes:\n  a: {tls: {identity: {self_signed: \"yes\"}}}\n", []string{`3:37: node "a": tls.identity.self_signed must be true or false, got the string "yes"`}},
		{"unknown issuer", "name: x\nnodes:\n  a: {tls: {identity: {issuer: root}}}\n", []string{`3:32: node "a": tls.identity.issuer "root" names no authority; declare it: authorities: {root: {}}`}},
		{"unknown issuer listed", "name: x\nauthorities: {ca: }\nnodes:\n  a: {tls: {identity: {issuer: root}}}\n", []string{`4:32: node "a": tls.identity.issuer "root" names no authority; authorities: ca`}},
		{"trust a string", "name: x\nnodes:\n  a: {tls: {trust: hub}}\n", []string{`3:20: node "a": tls.trust must be a list of node or authority names, got the string "hub"; write [hub] for a list of one`}},
		{"trust unknown", "name: x\nauthorities: {r: }\nnodes:\n  a: {tls: {trust: [r, q]}}\n", []string{`4:24: node "a": tls.trust entry "q" names no node or authority; nodes: a; authorities: r`}},
		{"trust twice", "name: x\nnodes:\n  a: {tls: {identity: {self_signed: true}, trust: [a, a]}}\n", []string{`3:55: node "a": tls.trust lists "a" twice`}},
		{"trust no identity", "name: x\nnodes:\n  a: {tls: {trust: [b]}}\n  b: \n", []string{`3:21: node "a": tls.trust names node "b", which has no tls identity to trust`}},

		// connectors
		{"connect a mapping", "name: x\nnodes:\n" + hub + "  a: {connect: {to: hub}}\n", []string{`4:16: node "a": connect must be a list of connectors such as {to: hub, duplex: true}, got a mapping; wrap it in a list: connect: [{to: hub}]`}},
		{"connector a string", "name: x\nnodes:\n" + hub + "  a: {connect: [hub]}\n", []string{`4:17: node "a": connect[0] must be a mapping such as {to: hub, duplex: true}, got the string "hub"`}},
		{"connector key", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, networkTtl: 2}]}\n", []string{`4:27: unknown key "networkTtl" in connect[0] of node "a"; allowed: to, name, duplex, dynamicOnly, networkTTL, initialReconnectDelay, maxReconnectDelay, useExponentialBackOff`}},
		{"connector without to", "name: x\nnodes:\n" + hub + "  a: {connect: [{duplex: true}]}\n", []string{`4:17: node "a": connect[0] needs to: <node>, the node it dials`}},
		{"to unknown", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hubb}]}\n", []string{`4:22: node "a": connect[0].to "hubb" names no node; nodes: hub, a`}},
		{"to itself", "name: x\nnodes:\n  a: {listen: [\"stomp://h:0\"], connect: [{to: a}]}\n", []string{`3:47: node "a": connect[0] dials a itself`}},
		{"to a node without listener", "name: x\nnodes:\n  hub: \n  a: {connect: [{to: hub}]}\n", []string{`4:22: node "a": connect[0] dials "hub", which has no listener; give hub a listen: entry`}},
		{"to ssl without tls", "name: x\nnodes:\n  hub: {listen: [\"stomp+ssl://h:0\"], tls: {identity: {self_signed: true}}}\n  a: {connect: [{to: hub}]}\n", []string{`4:17: node "a": connect[0] dials "hub", whose listeners all use stomp+ssl, but a has no tls; add tls: {trust: [hub]}`}},
		{"to twice", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub}, {to: hub, duplex: true}]}\n", []string{`4:28: node "a": connect[1] dials "hub" again, as connect[0] does`}},
		{"same name twice", "name: x\nnodes:\n" + hub + "  b: {listen: [\"stomp://h:0\"]}\n  a: {connect: [{to: hub, name: br}, {to: b, name: br}]}\n", []string{`5:38: node "a": connect[1] has the name "br" of connect[0]`}},
		{"duplex not bool", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, duplex: yes}]}\n", []string{`4:35: node "a": connect[0].duplex must be true or false, got the string "yes"`}},
		{"networkTTL zero", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, networkTTL: 0}]}\n", []string{`4:39: node "a": connect[0].networkTTL must be ≥ 1, got 0`}},
		{"networkTTL float", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, networkTTL: 2.5}]}\n", []string{`4:39: node "a": connect[0].networkTTL must be an integer ≥ 1, got the number 2.5`}},
		{"delay unit", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, maxReconnectDelay: 30 seconds}]}\n", []string{`4:46: node "a": connect[0].maxReconnectDelay must be a duration such as "500ms" or "30s", or an integer number of milliseconds, got the string "30 seconds"`}},
		{"delay negative", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, initialReconnectDelay: -5}]}\n", []string{`4:50: node "a": connect[0].initialReconnectDelay must not be negative, got -5`}},
		{"delay overflow", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, initialReconnectDelay: 99999999999999999999}]}\n", []string{`4:50: node "a": connect[0].initialReconnectDelay must be a duration`}},
		{"max below initial", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, initialReconnectDelay: 5s, maxReconnectDelay: 1s}]}\n", []string{`4:17: node "a": connect[0].maxReconnectDelay (1s) is shorter than initialReconnectDelay (5s)`}},
		{"backoff not bool", "name: x\nnodes:\n" + hub + "  a: {connect: [{to: hub, useExponentialBackOff: 1}]}\n", []string{`4:50: node "a": connect[0].useExponentialBackOff must be true or false, got the integer 1`}},

		// like
		{"like unknown", "name: x\nnodes:\n  a: {like: b}\n", []string{`3:13: node "a": like "b" names no node; nodes: a`}},
		{"like itself", "name: x\nnodes:\n  a: {like: a}\n", []string{`3:13: node "a" is like itself`}},
		{"like cycle", "name: x\nnodes:\n  a: {like: b}\n  b: {like: c}\n  c: {like: a}\n", []string{`3:13: like cycle: a -> b -> c -> a`}},
		{"like copies a fixed port", "name: x\nnodes:\n  a: {listen: [\"stomp://h:61613\"]}\n  b: {like: a}\n", []string{`4:13: node "b": listener "stomp://h:61613" uses h:61613, on which node "a" already listens; pick another port, or 0 for a free one (listen copied from "a" by like)`}},
		{"like copies a connector to itself", "name: x\nnodes:\n  a: {listen: [\"stomp://h:0\"], connect: [{to: b}]}\n  b: {like: a}\n", []string{`4:13: node "b": connect[0] dials b itself; a broker cannot bridge to itself (connect copied from "a" by like)`}},
		{"like drops tls an ssl listener needs", "name: x\nnodes:\n  a: {listen: [\"stomp+ssl://h:0\"], tls: {identity: {self_signed: true}}}\n  b: {like: a, tls: null}\n", []string{`4:13: node "b": listener "stomp+ssl://h:0" uses TLS, so b needs tls with an identity`}},
		{"like reports template errors once", "name: x\nnodes:\n  a: {listen: [\"stomp://h\"]}\n  b: {like: a}\n", []string{`3:16: node "a": listener "stomp://h" has no port`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseErrors(t, tt.src)
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.HasPrefix(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("errors:\n  %s\nwant (prefixes):\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

// aliasBomb builds the "billion laughs" document: each level is a list of
// ten aliases to the level below.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		p := "*a" + string(rune('0'+i-1))
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString(p)
		}
		b.WriteString("]\n")
	}
	return b.String()
}
