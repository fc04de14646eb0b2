package scenarios

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Secrets lists every secret a run of the scenario uses: user passwords
// (plain or bcrypt hashes) from its topology's security blocks, connector
// passwords, the passcodes its steps log in with, and the keystore password
// its PKI is written with. None of them may appear in any event, log or
// report; the secret-leak tests grep every output for them.
func (sc *Scenario) Secrets() []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(pki.DefaultPassword) // the runner writes keystores with the default
	if sc.Spec != nil {
		for _, n := range sc.Spec.Nodes {
			if n.Security != nil {
				for _, pw := range n.Security.Users {
					add(pw)
				}
				if f, err := os.Open(n.Security.UsersFile); err == nil {
					ps, _ := security.ParseProperties(f)
					f.Close()
					for _, p := range ps {
						add(p.Value)
					}
				}
			}
			for _, c := range n.Connect {
				add(c.Password)
			}
		}
	}
	for _, s := range sc.Steps {
		if a, ok := s.(interface{ credentials() probeAuth }); ok {
			add(a.credentials().Passcode)
		}
	}
	return out
}

func (s *produceStep) credentials() probeAuth { return s.auth }
func (s *consumeStep) credentials() probeAuth { return s.auth }
func (s *probeStep) credentials() probeAuth   { return s.auth }

// Leaks returns, for every secret found in any of outputs (name -> bytes),
// "name contains secret #i" — the secret itself is not repeated, so the
// message that reports a leak does not leak it once more.
func Leaks(secrets []string, outputs map[string][]byte) []string {
	var out []string
	names := make([]string, 0, len(outputs))
	for n := range outputs {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for i, s := range secrets {
			if s != "" && bytes.Contains(outputs[n], []byte(s)) {
				out = append(out, fmt.Sprintf("%s contains secret #%d (%d characters)", n, i, len(s)))
			}
		}
	}
	return out
}

// ReadTree reads every regular file under dir, keyed by its path.
func ReadTree(dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(path)
		out[path] = data
		return err
	})
	return out, err
}
