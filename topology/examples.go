package topology

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// The example topologies ship inside the binary so that scenarios in the
// catalogue can name one ("topology: hub-and-spokes") and run anywhere.
//
//go:embed examples/*.yaml
var examplesFS embed.FS

// Examples lists the names of the built-in topologies, sorted.
func Examples() []string {
	entries, err := fs.ReadDir(examplesFS, "examples")
	if err != nil {
		return nil // cannot happen: the directory is embedded
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Example parses the built-in topology with the given name afresh, so the
// caller may change the result freely. Its File is the example's path in
// the source tree, which error messages and reports show.
func Example(name string) (*Spec, error) {
	file := path.Join("examples", name+".yaml")
	data, err := examplesFS.ReadFile(file)
	if err != nil || !ValidName(name) {
		return nil, fmt.Errorf("topology: no built-in topology %q; built in: %s", name, strings.Join(Examples(), ", "))
	}
	src := "topology/" + file
	spec, err := Parse(src, data)
	if err != nil {
		return nil, err
	}
	spec.File = src
	return spec, nil
}
