package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios"
)

var runDoc = &doc{
	name:     "run",
	synopsis: "brokerlab run [flags] [FILE|DIR...]",
	about: `Runs scenarios and writes reports. With no FILE or DIR it runs the built-in
catalogue; a DIR is searched for *.yaml and *.yml scenario files.

Each scenario brings up its own network in this process (fresh certificates,
a fault proxy on every link), runs its steps, and is judged on what its
probes saw and on the nodes' events. A line is printed per scenario as it
finishes, with its failures and, for TLS and auth failures, an explanation
and the fix; certificate-misconfiguration scenarios pass when they reproduce
the failure, and still print what it means. The summary at the end lists the
reports written.

Per-scenario artifacts (certificates, events.log) go under DIR/runs; they are
kept for scenarios that did not pass, and for all with --keep.

Every random choice derives from the seed, which is printed; --seed replays a
run. Colours are used only when stdout is a terminal and NO_COLOR is not set.`,
	examples: `  # the built-in catalogue; reports in out/
  brokerlab run

  # only the TLS scenarios, steps as they finish, a Markdown summary for CI
  brokerlab run --label tls -v --markdown out/summary.md

  # your scenario files, replaying a failed run
  brokerlab run --seed 1718093452 --keep my-scenarios/`,
	exits: `  0  every scenario passed
  1  a scenario failed or errored, none matched --label, the run was
     interrupted, or a report could not be written
  2  bad flags, or a scenario file has errors (all are printed as file:line:col)`,
}

// runFlags are run's settings after parsing.
type runFlags struct {
	out, junit, json, markdown string
	seed                       int64
	keep, verbose              bool
	labels                     stringList
	timeout                    time.Duration
	driver                     string
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	f := &runFlags{labels: stringList{commas: true}}
	fs := newFlags(runDoc)
	fs.StringVar(&f.out, "out", "out", "`DIR` for reports and per-scenario artifacts (DIR/runs)")
	fs.StringVar(&f.junit, "junit", "", "write the JUnit XML report to `FILE` (default DIR/junit.xml)")
	fs.StringVar(&f.json, "json", "", "also write the full report as JSON to `FILE`")
	fs.StringVar(&f.markdown, "markdown", "", "also write a Markdown summary to `FILE`")
	fs.Int64Var(&f.seed, "seed", 0, "`N` seeds every random choice (default: from the clock, printed)")
	fs.BoolVar(&f.keep, "keep", false, "keep the artifacts of passed scenarios too")
	fs.BoolVar(&f.verbose, "v", false, "print each step as it finishes")
	fs.Var(&f.labels, "label", "run only scenarios with this `LABEL`; repeatable or comma-separated (any matches)")
	fs.StringVar(&f.driver, "driver", scenarios.DriverInproc, "run the nodes as `KIND`: inproc (goroutines in this process), process (one brokerlab broker child each, events read from its admin endpoint) container (one Docker container each, from an image FROM scratch of this binary, which must be static: CGO_ENABLED=0) or activemq (one real ActiveMQ 5.17 JVM each, from /usr/share/activemq or ACTIVEMQ_HOME, events read from its log); container and activemq refuse scenarios with fault steps")
	fs.DurationVar(&f.timeout, "timeout", 2*time.Minute, "cancel a scenario that runs longer than `DURATION`")
	pos, code, ok := parse(fs, runDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	if !slices.Contains(scenarios.DriverNames, f.driver) {
		return usageError(stderr, runDoc, "--driver %q: use one of %s", f.driver, strings.Join(scenarios.DriverNames, ", "))
	}
	prepareDriver(f.driver)
	if f.timeout <= 0 {
		return usageError(stderr, runDoc, "--timeout must be positive, got %s", f.timeout)
	}
	if !wasSet(fs, "seed") {
		f.seed = time.Now().UnixNano() % 1e10 // short enough to retype
	}
	if f.junit == "" {
		f.junit = filepath.Join(f.out, "junit.xml")
	}

	all, err := loadScenarios(pos)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprintf(stderr, "brokerlab run: the scenarios above have errors; nothing was run\n")
		return exitUsage
	}
	selected := filterLabels(all, f.labels.values)
	if len(selected) == 0 {
		fmt.Fprintf(stderr, "brokerlab run: no scenario has label %s; labels in use: %s\n",
			strings.Join(f.labels.values, " or "), strings.Join(labelsOf(all), ", "))
	}

	ctx, stop := signalContext()
	defer stop()
	fmt.Fprintf(stdout, "brokerlab %s: running %s, seed %d (replay with --seed %d)\n\n", version, plural(len(selected), "scenario"), f.seed, f.seed)
	report, interrupted := runAll(ctx, selected, f, stdout)
	return finish(report, interrupted, f, stdout, stderr)
}

// loadScenarios reads the named files and directories, or the catalogue.
func loadScenarios(paths []string) ([]*scenarios.Scenario, error) {
	if len(paths) == 0 {
		return scenarios.Catalog()
	}
	return scenarios.LoadPaths(paths)
}

func filterLabels(all []*scenarios.Scenario, want []string) []*scenarios.Scenario {
	if len(want) == 0 {
		return all
	}
	var out []*scenarios.Scenario
	for _, sc := range all {
		if slices.ContainsFunc(sc.Labels, func(l string) bool { return slices.Contains(want, l) }) {
			out = append(out, sc)
		}
	}
	return out
}

func labelsOf(all []*scenarios.Scenario) []string {
	set := map[string]bool{}
	for _, sc := range all {
		for _, l := range sc.Labels {
			set[l] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// runAll runs the scenarios one after another, printing each as it ends.
// After an interrupt the rest are reported as skipped, so the reports still
// say what ran.
func runAll(ctx context.Context, list []*scenarios.Scenario, f *runFlags, stdout io.Writer) (*reports.Report, bool) {
	console := reports.NewConsole(stdout, useColor())
	console.Verbose = f.verbose
	report := &reports.Report{
		Title:   "brokerlab",
		Seed:    f.seed,
		Started: time.Now(),
		Environment: map[string]string{
			"go":        runtime.Version(),
			"os":        runtime.GOOS + "/" + runtime.GOARCH,
			"brokerlab": version,
			"driver":    f.driver,
		},
	}
	// Async steps finish on their own goroutines; the console must hear
	// about them one at a time.
	var mu sync.Mutex
	onStep := func(s reports.Step) {
		mu.Lock()
		defer mu.Unlock()
		console.StepDone(s)
	}
	interrupted := false
	for i, sc := range list {
		if ctx.Err() != nil {
			interrupted = true
			report.Scenarios = append(report.Scenarios, reports.Scenario{Name: sc.Name, File: sc.File, Labels: sc.Labels,
				Status: reports.StatusSkipped, Seed: f.seed, Failures: []string{"the run was interrupted before this scenario"}})
			continue
		}
		mu.Lock()
		console.ScenarioStarted(sc.Name, i, len(list))
		mu.Unlock()
		res := runOne(ctx, sc, f, onStep)
		mu.Lock()
		console.ScenarioDone(res)
		mu.Unlock()
		report.Scenarios = append(report.Scenarios, res)
	}
	interrupted = interrupted || ctx.Err() != nil
	report.Duration = time.Since(report.Started)
	return report, interrupted
}

// runOne runs one scenario under its own deadline. The same seed goes to
// every scenario, so the seed a failed scenario prints replays it alone
// (--label, a single file) as well as in the whole run.
func runOne(ctx context.Context, sc *scenarios.Scenario, f *runFlags, onStep func(reports.Step)) reports.Scenario {
	sctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	res := scenarios.Run(sctx, sc, scenarios.Options{
		OutDir: filepath.Join(f.out, "runs"),
		Keep:   f.keep,
		Seed:   f.seed,
		OnStep: onStep,
		Driver: f.driver,
	})
	if res.Status != reports.StatusPassed {
		switch {
		case ctx.Err() != nil:
			res.Failures = append(res.Failures, "interrupted (SIGINT/SIGTERM)")
		case errors.Is(sctx.Err(), context.DeadlineExceeded):
			res.Failures = append(res.Failures, fmt.Sprintf("the scenario did not finish within --timeout %s and was cancelled", f.timeout))
		}
	}
	return res
}

// finish writes the reports, prints the summary and chooses the exit code.
func finish(report *reports.Report, interrupted bool, f *runFlags, stdout, stderr io.Writer) int {
	written := map[string]string{}
	failed := false
	write := func(label, path string, render func(io.Writer, *reports.Report) error) {
		if path == "" {
			return
		}
		if err := writeFile(path, func(w io.Writer) error { return render(w, report) }); err != nil {
			fmt.Fprintf(stderr, "brokerlab run: %v\n", err)
			failed = true
			return
		}
		written[label] = path
	}
	write("JUnit", f.junit, reports.WriteJUnit)
	write("JSON", f.json, reports.WriteJSON)
	write("Markdown", f.markdown, reports.WriteMarkdown)

	console := reports.NewConsole(stdout, useColor())
	console.Summary(report, written)
	if interrupted {
		fmt.Fprintf(stderr, "brokerlab run: interrupted\n")
	}
	if failed || interrupted || !report.OK() {
		return exitFail
	}
	return exitOK
}

// useColor: colours only for a person at a terminal. NO_COLOR follows
// no-color.org: present and not empty disables them.
func useColor() bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	st, err := os.Stdout.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
