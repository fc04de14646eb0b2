package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/topology/pki"
)

// Options configure a run.
type Options struct {
	// OutDir holds one directory per scenario (PKI, event log). Kept for
	// failed scenarios, removed for passed ones unless Keep.
	OutDir string
	Keep   bool
	// Seed drives every random choice; the report prints it, and the same
	// seed replays the same payloads.
	Seed int64
	// OnStep, if set, hears about each step as it ends (progress output).
	OnStep func(reports.Step)
	// Tune adjusts every node's broker options (in-process nodes only).
	Tune func(*broker.Options)
	// Driver runs the nodes: "inproc" (default), "process" (one
	// `brokerlab broker` child each) or "container" (one container each,
	// no fault steps). Binary is the brokerlab they run (default this
	// executable; static, CGO_ENABLED=0, for containers).
	Driver string
	Binary string
}

// Run runs one scenario and judges it. It never panics on a bad scenario:
// setup problems come back as a scenario with status error.
func Run(ctx context.Context, sc *Scenario, o Options) reports.Scenario {
	start := time.Now()
	res := reports.Scenario{Name: sc.Name, File: sc.File, Labels: sc.Labels, Seed: o.Seed}
	env, cleanup, err := setup(ctx, sc, o)
	if err != nil {
		res.Status = reports.StatusError
		res.Failures = []string{"setup: " + err.Error()}
		res.Duration = time.Since(start)
		return res
	}
	res.ArtifactsDir = env.Dir

	failed := runSteps(env, sc, start, &res, o.OnStep)
	env.healAll(context.WithoutCancel(ctx))
	judge(env, sc, &res)
	var stats []string
	if failed != "" || len(res.Failures) > 0 {
		stats = snapshotStats(env)
	}
	cleanup()

	if failed != "" {
		res.Failures = append([]string{failed}, res.Failures...)
	}
	res.Status = reports.StatusPassed
	if len(res.Failures) > 0 {
		res.Status = reports.StatusFailed
	}
	res.Events = append(eventLines(env.Events.Events(), start), stats...)
	writeEventLog(env.Dir, res.Events)
	// Explanations cite the scenario's certificate files, so a scenario
	// that explains something keeps them even when it passed.
	if res.Status == reports.StatusPassed && !o.Keep && len(res.Explanations) == 0 {
		os.RemoveAll(env.Dir)
		res.ArtifactsDir = ""
	}
	res.Duration = time.Since(start)
	return res
}

func setup(ctx context.Context, sc *Scenario, o Options) (*Env, func(), error) {
	if sc.Spec == nil {
		return nil, nil, errors.New("the scenario has no topology")
	}
	out := o.OutDir
	if out == "" {
		out = os.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp(out, slug(sc.Name)+"-")
	if err != nil {
		return nil, nil, err
	}
	// Mutations change the topology (untrusted-peer), the certificate plan
	// (expired, cn-only, …) and, after generation, the material and the
	// files each node loads (revoked adds a CRL, wrong-ca swaps an
	// identity), so the mistake is in the very files the nodes read.
	spec := sc.Spec.Clone()
	var plan pki.Options
	if err := faults.ApplyMutations(spec, &plan, sc.Mutations); err != nil {
		return nil, nil, err
	}
	mat, err := pki.Generate(spec, filepath.Join(dir, "pki"), plan)
	if err != nil {
		return nil, nil, err
	}
	files := faults.NodeFiles(mat)
	if err := faults.ApplyMaterialMutations(mat, files, spec, sc.Mutations); err != nil {
		return nil, nil, err
	}
	env := &Env{Scenario: sc, Spec: spec, Dir: dir, Events: events.NewRecorder(nil), History: &History{}, Seed: o.Seed,
		rng: rand.New(rand.NewPCG(uint64(o.Seed), 0x6272)), files: files, pki: mat, trustFiles: map[string]string{}, certFiles: map[string]string{}}
	for name, f := range files {
		env.trustFiles[name], env.certFiles[name] = f.TrustFile, f.CertFile
		if nf := mat.Nodes[name]; f.SSLContext != nil && f.SSLContext.KeyStore != nil && nf != nil {
			// A node on keystores: explanations read the PEM copies of
			// the same certificates.
			env.trustFiles[name], env.certFiles[name] = nf.TrustFile, nf.CertFile
		}
	}
	// Authorities too, so that explanations can cite root's certificate
	// and check who issued what.
	for name, af := range mat.Authorities {
		env.certFiles[name] = af.CertFile
	}
	env.Links = faults.NewNetwork()
	env.Nodes, err = newNodes(env, spec, o)
	if err != nil {
		env.Links.Close()
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(ctx)
	env.Ctx = runCtx
	cleanup := func() {
		cancel()
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		env.Nodes.Shutdown(sctx)
		for _, n := range env.Nodes.Names() {
			env.unsquat(n)
		}
		env.Links.Close()
	}
	return env, cleanup, nil
}

// runSteps runs the steps in order, async ones in the background, and
// returns the first failure.
func runSteps(env *Env, sc *Scenario, start time.Time, res *reports.Scenario, onStep func(reports.Step)) string {
	var mu sync.Mutex
	var wg sync.WaitGroup
	failure := ""
	record := func(s Step, began time.Time, err error) {
		st := reports.Step{Name: s.Describe(), Status: reports.StatusPassed, Started: began.Sub(start), Duration: time.Since(began)}
		if err != nil {
			st.Status, st.Detail = reports.StatusFailed, err.Error()
		}
		mu.Lock()
		res.Steps = append(res.Steps, st)
		if err != nil && failure == "" {
			failure = fmt.Sprintf("step %q: %v", s.Describe(), err)
		}
		mu.Unlock()
		if onStep != nil {
			onStep(st)
		}
	}
	for _, s := range sc.Steps {
		mu.Lock()
		stop := failure != ""
		mu.Unlock()
		if stop {
			break
		}
		began := time.Now()
		if a, ok := s.(asyncStep); ok && a.Async() {
			wg.Add(1)
			go func() {
				defer wg.Done()
				record(s, began, runBounded(env, a))
			}()
			continue
		}
		record(s, began, s.Run(env))
	}
	wg.Wait()
	return failure
}

// runBounded runs an async step with its own deadline, so a stuck probe
// cannot hold the run forever.
func runBounded(env *Env, a asyncStep) error {
	done := make(chan error, 1)
	go func() { done <- a.Run(env) }()
	select {
	case err := <-done:
		return err
	case <-time.After(a.Bound()):
		return fmt.Errorf("did not finish within %v", a.Bound())
	}
}

var nonSlug = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = strings.Trim(nonSlug.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}

func eventLines(es []events.Event, start time.Time) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		if e.Kind == events.MessageForwarded {
			continue // one per message: counted, not listed
		}
		line := strings.TrimPrefix(e.String(), e.Time.Format("15:04:05.000")+" ")
		out = append(out, fmt.Sprintf("+%7.3fs %s", e.Time.Sub(start).Seconds(), line))
	}
	return out
}

// snapshotStats records where messages are when a scenario fails: per
// node, what waits in each destination and what each consumer holds in
// flight. Written to stats.json; summarised as lines for the report.
func snapshotStats(env *Env) []string {
	var all []broker.Stats
	var lines []string
	for _, name := range env.Nodes.Names() {
		st, ok := env.Nodes.Stats(name)
		if !ok {
			lines = append(lines, fmt.Sprintf("stats %s: not running", name))
			continue
		}
		all = append(all, st)
		line := fmt.Sprintf("stats %s: %d connections, bridges %v", name, st.Connections, st.Bridges)
		for _, d := range st.Destinations {
			line += fmt.Sprintf("; %s pending=%d", d.Name, d.Pending)
			for _, c := range d.Consumers {
				who := c.Remote
				if c.Network {
					who = "network:" + c.Peer
				}
				line += fmt.Sprintf(" [%s inflight=%d/%d]", who, c.InFlight, c.Window)
			}
		}
		lines = append(lines, line)
	}
	if data, err := json.MarshalIndent(all, "", "  "); err == nil {
		os.WriteFile(filepath.Join(env.Dir, "stats.json"), data, 0o644)
	}
	return lines
}

func writeEventLog(dir string, lines []string) {
	os.WriteFile(filepath.Join(dir, "events.log"), []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}
