package main

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/scenarios"
	"github.com/brokerlab/brokerlab/topology"
)

var validateDoc = &doc{
	name:     "validate",
	synopsis: "brokerlab validate FILE|DIR...",
	about: `Parses scenario files and topology files and checks them as brokerlab run
and brokerlab up would, without running anything. Directories are searched
for *.yaml and *.yml files, recursively. A file whose top level has a
"nodes:" key is a topology; any other file is a scenario (its topology,
built in or a file next to it, is checked too).

Every problem is printed on stderr, one per line, as file:line:col: message,
so that editors and CI logs can jump to it; all of them at once, not just
the first. On success it prints "ok: N scenarios, M topologies".`,
	examples: `  # everything under a directory, before committing
  brokerlab validate scenarios/

  # one scenario and the topology file it names
  brokerlab validate my-scenario.yaml my-network.yaml`,
	exits: `  0  every file is valid
  1  at least one file has an error (or no file was found)
  2  no FILE or DIR given, or bad flags`,
}

func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(validateDoc)
	pos, code, ok := parse(fs, validateDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return usageError(stderr, validateDoc, "give at least one FILE or DIR")
	}
	files, errs := yamlFiles(pos)
	if len(files) == 0 && len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no .yaml or .yml file in %s", strings.Join(pos, ", ")))
	}

	var scenarioFiles []string
	topologies := 0
	for _, f := range files {
		isTopo, err := isTopologyFile(f)
		switch {
		case err != nil:
			errs = append(errs, err)
		case isTopo:
			if _, err := topology.Load(f); err != nil {
				errs = append(errs, err)
			} else {
				topologies++
			}
		default:
			scenarioFiles = append(scenarioFiles, f)
		}
	}
	var scs []*scenarios.Scenario
	if len(scenarioFiles) > 0 {
		var err error
		scs, err = scenarios.LoadPaths(scenarioFiles)
		if err != nil {
			errs = append(errs, err)
		}
	}

	if len(errs) > 0 {
		n := 0
		for _, err := range errs {
			fmt.Fprintln(stderr, err)
			n += countErrors(err)
		}
		fmt.Fprintln(stderr, plural(n, "error"))
		return exitFail
	}
	fmt.Fprintf(stdout, "ok: %d scenarios, %d topologies\n", len(scs), topologies)
	return exitOK
}

// yamlFiles expands directories into their YAML files, sorted; a path that
// cannot be read is an error, not a silent skip.
func yamlFiles(paths []string) ([]string, []error) {
	var files []string
	var errs []error
	seen := map[string]bool{}
	add := func(f string) {
		if !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !st.IsDir() {
			add(p)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
				found = append(found, path)
			}
			return err
		})
		if err != nil {
			errs = append(errs, err)
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return files, errs
}

// isTopologyFile tells a topology from a scenario by its top-level keys:
// only a topology has "nodes". A file that is not valid YAML is left to the
// scenario parser, which reports the YAML error with its position.
func isTopologyFile(path string) (bool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(data)).Decode(&doc); err != nil || len(doc.Content) == 0 {
		return false, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return false, nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "nodes" {
			return true, nil
		}
	}
	return false, nil
}

// countErrors counts the individual problems inside joined errors and
// error lists, for the closing "N errors" line.
func countErrors(err error) int {
	switch e := err.(type) {
	case scenarios.ErrorList:
		return len(e)
	case topology.ErrorList:
		return len(e)
	case interface{ Unwrap() []error }:
		n := 0
		for _, x := range e.Unwrap() {
			n += countErrors(x)
		}
		return n
	}
	return 1
}
