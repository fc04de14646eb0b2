package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/topology"
)

// stepParser reads one step's value (what follows `kind:`).
type stepParser func(d *decoder, v *yaml.Node) Step

var stepKinds = map[string]stepParser{}

// registerStep adds a step kind; each kind lives in its own file.
func registerStep(kind string, p stepParser) {
	if _, dup := stepKinds[kind]; dup {
		panic("scenarios: step kind registered twice: " + kind)
	}
	stepKinds[kind] = p
}

// StepKinds lists the step kinds a scenario may use.
func StepKinds() []string {
	var ks []string
	for k := range stepKinds {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TopologyResolver finds a topology by the name a scenario gives: a built-in
// example name, or a path relative to the scenario file.
type TopologyResolver func(name, scenarioFile string) (*topology.Spec, error)

// DefaultTopologies resolves built-in examples first, then files.
func DefaultTopologies(name, scenarioFile string) (*topology.Spec, error) {
	if spec, err := topology.Example(name); err == nil {
		return spec, nil
	}
	path := name
	if !filepath.IsAbs(path) && scenarioFile != "" {
		path = filepath.Join(filepath.Dir(scenarioFile), name)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("topology %q is neither a built-in example (%s) nor a file (%v)", name, strings.Join(topology.Examples(), ", "), err)
	}
	return topology.Load(path)
}

// LoadFile reads and checks a scenario file.
func LoadFile(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenarios: %w", err)
	}
	return Parse(path, data, DefaultTopologies)
}

// Parse reads a scenario. Every problem is reported with its line and
// column, all of them at once.
func Parse(file string, data []byte, topologies TopologyResolver) (*Scenario, error) {
	d := &decoder{file: file}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		return nil, ErrorList{yamlError(file, err)}
	}
	if len(doc.Content) == 0 {
		return nil, ErrorList{{File: file, Msg: "empty file; a scenario needs name, topology and steps"}}
	}
	root := doc.Content[0]
	f := d.fields(root, "scenario", "name", "labels", "topology", "mutate", "steps", "expect")
	sc := &Scenario{File: file, Name: f.str("name", true), Labels: f.strings("labels"), Topology: f.str("topology", true)}
	if sc.Topology != "" {
		spec, err := topologies(sc.Topology, file)
		if err != nil {
			d.errorf(f.pos("topology"), "%v", err)
		} else {
			sc.Spec = spec
		}
	}
	if m, ok := f.values["mutate"]; ok {
		sc.Mutations = d.mutations(m)
	}
	if s, ok := f.values["steps"]; ok {
		sc.Steps = d.steps(s)
	} else if root.Kind == yaml.MappingNode {
		d.errorf(root, "scenario: \"steps\" is required; e.g. steps: [{start: all}]")
	}
	if e, ok := f.values["expect"]; ok {
		sc.Expect = d.expect(e)
	}
	if sc.Spec != nil {
		d.checkNames(sc, f)
	}
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i], d.errs[j]
			return a.Line < b.Line || (a.Line == b.Line && a.Column < b.Column)
		})
		return nil, d.errs
	}
	return sc, nil
}

func yamlError(file string, err error) *Error {
	// yaml.v3 says "yaml: line N: msg"; keep its line as ours.
	var line int
	msg := err.Error()
	if _, e := fmt.Sscanf(msg, "yaml: line %d:", &line); e == nil {
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
		msg = strings.TrimSpace(msg[strings.Index(msg, ":")+1:])
	}
	return &Error{File: file, Line: line, Column: 1, Msg: "not valid YAML: " + msg}
}

func (d *decoder) mutations(n *yaml.Node) []faults.Mutation {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "mutate must be a list, e.g. [{node: server-a, cert: untrusted-peer, peer: hub}]")
		return nil
	}
	var out []faults.Mutation
	for _, item := range n.Content {
		f := d.fields(item, "mutation")
		kind := f.str("cert", true)
		p := faults.Params{}
		for _, k := range f.order {
			if k != "cert" {
				p[k] = f.values[k].Value
			}
		}
		if kind == "" {
			continue
		}
		m, err := faults.NewMutation(kind, p)
		if err != nil {
			d.errorf(f.pos("cert"), "%v", err)
			continue
		}
		out = append(out, m)
	}
	return out
}

func (d *decoder) steps(n *yaml.Node) []Step {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "steps must be a list")
		return nil
	}
	var out []Step
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode || len(item.Content) != 2 {
			d.errorf(item, "a step is a mapping with one key, its kind (%s), e.g. {start: all}", strings.Join(StepKinds(), ", "))
			continue
		}
		k, v := item.Content[0], item.Content[1]
		parse, ok := stepKinds[k.Value]
		if !ok {
			d.errorf(k, "unknown step %q; known: %s", k.Value, strings.Join(StepKinds(), ", "))
			continue
		}
		if s := parse(d, v); s != nil {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) expect(n *yaml.Node) Expect {
	var e Expect
	f := d.fields(n, "expect", "delivery", "tls", "explanation", "events", "reconnect")
	if v, ok := f.values["reconnect"]; ok {
		e.Reconnect = d.reconnectExpect(v)
	}
	if v, ok := f.values["delivery"]; ok {
		df := d.fields(v, "expect.delivery", "lost", "duplicates", "order", "received")
		de := &DeliveryExpect{Order: df.str("order", false)}
		intp := func(key string) *int {
			if !df.has(key) {
				return nil
			}
			x := df.integer(key, 0)
			return &x
		}
		de.Lost, de.Duplicates, de.Received = intp("lost"), intp("duplicates"), intp("received")
		if de.Order != "" && de.Order != "per-producer" {
			d.errorf(df.pos("order"), "expect.delivery: order must be per-producer, got %q", de.Order)
		}
		e.Delivery = de
	}
	if v, ok := f.values["tls"]; ok {
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "expect.tls must be a list of {link, side, failure}")
		} else {
			for _, item := range v.Content {
				tf := d.fields(item, "expect.tls entry", "link", "side", "failure")
				te := TLSExpect{Side: tf.str("side", true), Failure: tf.str("failure", true), Line: item.Line}
				link, err := topology.ParseLink(tf.str("link", true))
				if err != nil && tf.has("link") {
					d.errorf(tf.pos("link"), "%v", err)
				}
				te.Link = link
				if te.Side != "" && te.Side != events.SideClient && te.Side != events.SideServer {
					d.errorf(tf.pos("side"), "side must be client (the dialling node) or server, got %q", te.Side)
				}
				if te.Failure != "" && !knownClass(te.Failure) {
					d.errorf(tf.pos("failure"), "unknown failure class %q; known: %s", te.Failure, strings.Join(classNames(), ", "))
				}
				e.TLS = append(e.TLS, te)
			}
		}
	}
	if v, ok := f.values["events"]; ok {
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "expect.events must be a list of {node, kind, contains}")
		} else {
			for _, item := range v.Content {
				ef := d.fields(item, "expect.events entry", "node", "kind", "contains", "min", "max")
				ee := EventExpect{Node: ef.str("node", true), Kind: ef.str("kind", true), Contains: ef.str("contains", false), Min: ef.integer("min", 1), Line: item.Line}
				if ef.has("max") {
					mx := ef.integer("max", 0)
					ee.Max = &mx
					if !ef.has("min") && mx < ee.Min {
						ee.Min = mx
					}
				}
				if ee.Min < 0 || (ee.Max != nil && *ee.Max < ee.Min) {
					d.errorf(item, "expect.events: min and max must satisfy 0 <= min <= max")
				}
				e.Events = append(e.Events, ee)
			}
		}
	}
	if v, ok := f.values["explanation"]; ok {
		ef := d.fields(v, "expect.explanation", "contains")
		e.Explanation = ef.strings("contains")
	}
	return e
}

// The classes are tlsconf's, the one list every part of brokerlab uses.
func knownClass(s string) bool {
	for _, c := range tlsconf.Classes() {
		if string(c) == s {
			return true
		}
	}
	return false
}

func classNames() []string {
	var out []string
	for _, c := range tlsconf.Classes() {
		out = append(out, string(c))
	}
	return out
}

// checkNames makes sure every node and link a step names exists in the
// topology, so a typo fails at load time rather than mid-run.
func (d *decoder) checkNames(sc *Scenario, f *fields) {
	for _, s := range sc.Steps {
		if c, ok := s.(interface{ check(*topology.Spec) error }); ok {
			if err := c.check(sc.Spec); err != nil {
				var e *Error
				if errors.As(err, &e) {
					d.errs = append(d.errs, e)
				} else {
					d.errorf(f.pos("steps"), "%v", err)
				}
			}
		}
	}
	for _, ee := range sc.Expect.Events {
		if ee.Node != "" && sc.Spec.Node(ee.Node) == nil {
			d.errs = append(d.errs, &Error{File: d.file, Line: ee.Line, Column: 1, Msg: fmt.Sprintf("expect.events: topology %s has no node %q", sc.Spec.Name, ee.Node)})
		}
	}
	d.checkReconnect(sc)
	for _, te := range sc.Expect.TLS {
		if te.Link.From != "" && sc.Spec.Connector(te.Link) == nil {
			d.errs = append(d.errs, &Error{File: d.file, Line: te.Line, Column: 1, Msg: fmt.Sprintf("expect.tls: topology %s has no link %s; links: %v", sc.Spec.Name, te.Link, sc.Spec.Links())})
		}
	}
}

// nameError points at the node that named something the topology lacks.
func (d *decoder) nameError(n *yaml.Node, format string, a ...any) error {
	return &Error{File: d.file, Line: n.Line, Column: n.Column, Msg: fmt.Sprintf(format, a...)}
}
