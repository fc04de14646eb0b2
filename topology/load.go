package topology

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// Load reads and parses a topology file. The returned Spec has File set to
// path. On failure the error is an ErrorList holding every problem found,
// each at its line and column, or a plain error if the file cannot be read.
func Load(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	spec, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	spec.File = path
	return spec, nil
}

// Parse reads a topology from data: it decodes the YAML, expands `like:`
// and checks every reference. file is used only in error messages. All
// problems are returned together as an ErrorList, sorted by position.
func Parse(file string, data []byte) (*Spec, error) {
	p := &parser{file: file, meta: make(map[*Node]*nodeMeta)}
	root := p.decode(data)
	if root == nil {
		return nil, p.errs.err()
	}
	spec := p.root(root)
	if spec == nil {
		return nil, p.errs.err()
	}
	p.expandLikes(spec)
	p.errs = append(p.errs, check(spec, file, p.meta)...)
	if err := p.errs.err(); err != nil {
		return nil, err
	}
	return spec, nil
}

// parser collects errors while turning YAML nodes into the model.
type parser struct {
	file string
	errs ErrorList
	meta map[*Node]*nodeMeta
}

// nodeMeta is what Parse knows about a node beyond the model: where each
// value is written, which keys the node's own block gives, which it copied
// from its `like:` template, and which failed to decode. Validation uses it
// to point at the line a user has to change and to avoid reporting
// follow-on errors for values that were already reported as malformed.
type nodeMeta struct {
	given       map[string]bool // keys written in the node's own block
	inherited   map[string]bool // keys copied from the template by like
	bad         map[string]bool // keys whose value failed to decode
	likePos     Pos
	listenPos   []Pos
	identityPos Pos
	issuerPos   Pos
	trustPos    []Pos
	toPos       []Pos // the `to:` value of each connector
}

func newMeta() *nodeMeta {
	return &nodeMeta{given: map[string]bool{}, inherited: map[string]bool{}, bad: map[string]bool{}}
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) {
	var pos Pos
	if n != nil {
		pos = posOf(n)
	}
	p.errorAt(pos, format, args...)
}

func (p *parser) errorAt(pos Pos, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

var yamlLineErr = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decode parses the YAML text into a node tree and returns the root value,
// or nil after recording why it could not.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	// yaml.v3 turns its own failures into errors but re-panics anything
	// else; a topology loader must never take the CLI down on bad input.
	defer func() {
		if r := recover(); r != nil {
			p.errorAt(Pos{}, "invalid YAML: the YAML parser failed (%v)", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	err := dec.Decode(&doc)
	if err != nil && !errors.Is(err, io.EOF) {
		p.yamlError(err)
		return nil
	}
	if err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		p.errorAt(Pos{Line: 1, Column: 1}, "the topology is empty; it needs at least name and nodes")
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		p.yamlError(err)
		return nil
	default:
		p.errorf(&extra, "a topology file holds one YAML document; remove this one or move it to its own file")
		return nil
	}
	root = doc.Content[0]
	if !p.checkAliases(root) {
		return nil
	}
	return deref(root)
}

// yamlError turns yaml.v3's "yaml: line N: msg" into a positioned Error.
func (p *parser) yamlError(err error) {
	if m := yamlLineErr.FindStringSubmatch(err.Error()); m != nil {
		line, _ := strconv.Atoi(m[1])
		p.errorAt(Pos{Line: line}, "invalid YAML: %s", m[2])
		return
	}
	msg := err.Error()
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	p.errorAt(Pos{}, "invalid YAML: %s", msg)
}

// root reads the top-level mapping.
func (p *parser) root(n *yaml.Node) *Spec {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "a topology must be a mapping with keys name, authorities and nodes, got %s", describe(n))
		return nil
	}
	spec := &Spec{}
	f := p.fields(n, "at the top level", "name", "authorities", "nodes", "generate")
	if v, ok := f["name"]; ok {
		if s, ok := p.str(v.val, "name"); ok {
			if s == "" {
				p.errorf(v.val, "name must not be empty")
			}
			spec.Name = s
		}
	} else {
		p.errorf(n, "missing name: give the topology a name, e.g. name: hub-and-spokes")
	}
	if v, ok := f["authorities"]; ok {
		spec.Authorities = p.authorities(v.val)
	}
	if v, ok := f["generate"]; ok {
		p.generate(v.val, spec)
	}
	if v, ok := f["nodes"]; ok {
		spec.Nodes = append(spec.Nodes, p.nodes(v.val)...)
	} else if _, gen := f["generate"]; !gen {
		p.errorf(n, "missing nodes: declare at least one node under nodes:")
	}
	return spec
}

// authorities reads `authorities: {root: {}, …}`. An authority takes no
// settings yet; the empty mapping reserves room for key type, validity and
// the like without changing the file format.
func (p *parser) authorities(n *yaml.Node) []*Authority {
	d := deref(n)
	if isNull(d) {
		return nil
	}
	if d.Kind != yaml.MappingNode {
		p.errorf(n, "authorities must be a mapping of authority name to settings, e.g. authorities: {root: {}}, got %s", describe(n))
		return nil
	}
	var out []*Authority
	for _, kv := range p.pairs(d, "under authorities") {
		a := &Authority{Name: kv.key.Value, Pos: posOf(kv.key)}
		out = append(out, a)
		v := deref(kv.val)
		switch {
		case isNull(v):
		case v.Kind == yaml.MappingNode:
			p.fields(v, fmt.Sprintf("in authority %q", a.Name))
		default:
			p.errorf(kv.val, "authority %q must be a mapping (write %s: {}), got %s", a.Name, a.Name, describe(kv.val))
		}
	}
	return out
}

// nodes reads `nodes:` keeping the file's order.
func (p *parser) nodes(n *yaml.Node) []*Node {
	d := deref(n)
	if !isNull(d) && d.Kind != yaml.MappingNode {
		p.errorf(n, "nodes must be a mapping of node name to node, got %s", describe(n))
		return nil
	}
	var out []*Node
	if !isNull(d) {
		for _, kv := range p.pairs(d, "under nodes") {
			node := &Node{Name: kv.key.Value, Pos: posOf(kv.key)}
			m := newMeta()
			p.meta[node] = m
			p.node(node, m, kv.val)
			out = append(out, node)
		}
	}
	if len(out) == 0 && (isNull(d) || len(d.Content) == 0) {
		p.errorf(n, "nodes must declare at least one node")
	}
	return out
}
