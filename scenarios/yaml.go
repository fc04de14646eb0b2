package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Error is a problem at a place in a scenario file.
type Error struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

// ErrorList is every problem found in a file, in file order.
type ErrorList []*Error

func (l ErrorList) Error() string {
	var sb strings.Builder
	for i, e := range l {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(e.Error())
	}
	return sb.String()
}

// decoder walks yaml nodes, collecting errors with their positions rather
// than stopping at the first, so `brokerlab validate` can list them all.
type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) errorf(n *yaml.Node, format string, a ...any) {
	e := &Error{File: d.file, Msg: fmt.Sprintf(format, a...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// fields reads a mapping whose keys must all be in allowed. Keys are
// checked here because yaml.v3's KnownFields does not reach Node.Decode.
type fields struct {
	d       *decoder
	node    *yaml.Node
	what    string
	allowed []string
	values  map[string]*yaml.Node
	keys    map[string]*yaml.Node
	order   []string
}

func (d *decoder) fields(n *yaml.Node, what string, allowed ...string) *fields {
	f := &fields{d: d, node: n, what: what, allowed: allowed, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
	if n == nil || n.Kind != yaml.MappingNode {
		d.errorf(n, "%s must be a mapping of %s", what, strings.Join(allowed, ", "))
		return f
	}
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := f.values[k.Value]; dup {
			d.errorf(k, "%s: %q given twice", what, k.Value)
			continue
		}
		if len(allowed) > 0 && !ok[k.Value] {
			sorted := append([]string(nil), allowed...)
			sort.Strings(sorted)
			d.errorf(k, "unknown key %q in %s; allowed: %s", k.Value, what, strings.Join(sorted, ", "))
			continue
		}
		f.values[k.Value], f.keys[k.Value] = v, k
		f.order = append(f.order, k.Value)
	}
	return f
}

func (f *fields) has(key string) bool { _, ok := f.values[key]; return ok }

func (f *fields) str(key string, required bool) string {
	v, ok := f.values[key]
	if !ok {
		if required {
			f.d.errorf(f.node, "%s: %q is required", f.what, key)
		}
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		f.d.errorf(v, "%s: %q must be a string", f.what, key)
		return ""
	}
	return v.Value
}

func (f *fields) integer(key string, def int) int {
	v, ok := f.values[key]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil {
		f.d.errorf(v, "%s: %q must be a whole number, got %q", f.what, key, v.Value)
		return def
	}
	return n
}

func (f *fields) boolean(key string, def bool) bool {
	v, ok := f.values[key]
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil {
		f.d.errorf(v, "%s: %q must be true or false, got %q", f.what, key, v.Value)
		return def
	}
	return b
}

func (f *fields) duration(key string, def time.Duration) time.Duration {
	v, ok := f.values[key]
	if !ok {
		return def
	}
	d, err := time.ParseDuration(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil || d < 0 {
		f.d.errorf(v, "%s: %q must be a duration such as 500ms or 5s, got %q", f.what, key, v.Value)
		return def
	}
	return d
}

func (f *fields) strings(key string) []string {
	v, ok := f.values[key]
	if !ok {
		return nil
	}
	if v.Kind == yaml.ScalarNode {
		return []string{v.Value}
	}
	if v.Kind != yaml.SequenceNode {
		f.d.errorf(v, "%s: %q must be a list of strings", f.what, key)
		return nil
	}
	var out []string
	for _, x := range v.Content {
		if x.Kind != yaml.ScalarNode {
			f.d.errorf(x, "%s: %q must be a list of strings", f.what, key)
			continue
		}
		out = append(out, x.Value)
	}
	return out
}

// pos returns the position of key's value, or of the mapping.
func (f *fields) pos(key string) *yaml.Node {
	if v, ok := f.values[key]; ok {
		return v
	}
	return f.node
}
