package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/faults"
)

var explainDoc = &doc{
	name:     "explain",
	synopsis: "brokerlab explain LOGFILE... (or - for stdin)",
	about: `Reads broker logs — ActiveMQ, Kafka, any Java TLS client or server, and
brokerlab's own (human, text or JSON) — finds every TLS and authentication
failure in them, and says in plain words what each means and how to fix it.

Failures are grouped by class (the same classes brokerlab's scenarios,
events and reports use: unknown-authority, hostname-mismatch, expired,
client-cert-required, protocol-version, not-tls, bad-keystore-password, …),
counted, and listed with their line numbers. A stack trace belongs to the
line above it, so one exception is one finding.

"Received fatal alert: …" means the peer refused: the cause is in the
peer's log, and the advice says so. "Broken pipe" and "Connection reset"
are symptoms, listed last: ActiveMQ logs the real cause on only some retry
attempts and these words on the others, so read the classified lines first.`,
	examples: `  # why does the spoke's bridge not come up?
  brokerlab explain /opt/activemq/data/activemq.log

  # both ends of the same handshake, together
  brokerlab explain spoke.log hub.log

  # straight from a container
  docker logs kafka-0 2>&1 | brokerlab explain -`,
	exits: `  0  no TLS or authentication failure found
  1  failures found (and explained)
  2  no LOGFILE given, a file cannot be read, or bad flags`,
}

func cmdExplain(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(explainDoc)
	pos, code, ok := parse(fs, explainDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		return usageError(stderr, explainDoc, "give a LOGFILE, or - to read standard input")
	}
	found := 0
	for i, name := range pos {
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		findings, err := scanFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "brokerlab explain: %v\n", err)
			return exitUsage
		}
		writeFindings(stdout, displayName(name), findings)
		found += len(findings)
	}
	if found > 0 {
		return exitFail
	}
	return exitOK
}

func displayName(name string) string {
	if name == "-" {
		return "stdin"
	}
	return name
}

func scanFile(name string) ([]faults.LogFinding, error) {
	if name == "-" {
		return faults.ScanLog(os.Stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fs, err := faults.ScanLog(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return fs, nil
}

// group is the findings of one class and side (a received alert and a
// local verdict of the same class call for different fixes).
type group struct {
	class  tlsconf.Class
	remote bool
	noise  bool
	items  []faults.LogFinding
}

// writeFindings prints one file's findings: a summary line, then each
// group in order of first appearance, causes before noise.
func writeFindings(w io.Writer, name string, fs []faults.LogFinding) {
	if len(fs) == 0 {
		fmt.Fprintf(w, "%s: no TLS or authentication failures found.\n", name)
		return
	}
	var groups []*group
	for _, f := range fs {
		i := slices.IndexFunc(groups, func(g *group) bool { return g.class == f.Class && g.remote == f.Remote })
		if i < 0 {
			groups = append(groups, &group{class: f.Class, remote: f.Remote, noise: f.Noise})
			i = len(groups) - 1
		}
		groups[i].items = append(groups[i].items, f)
	}
	// Stable: causes first, in order of first appearance; noise last.
	slices.SortStableFunc(groups, func(a, b *group) int {
		switch {
		case a.noise == b.noise:
			return 0
		case b.noise:
			return -1
		}
		return 1
	})
	fmt.Fprintf(w, "%s: %s in %s\n", name, plural(len(fs), "failure"), plural(len(groups), "class", "classes"))
	var causes []string
	for _, g := range groups {
		if !g.noise {
			causes = append(causes, string(g.class))
		}
	}
	for _, g := range groups {
		lines := make([]string, len(g.items))
		for i, f := range g.items {
			lines[i] = strconv.Itoa(f.Line)
		}
		side := ""
		if g.remote {
			side = ", said by the peer"
		}
		word := "line"
		if len(lines) > 1 {
			word = "lines"
		}
		fmt.Fprintf(w, "\n%s%s: %s (%s %s)\n", g.class, side, plural(len(g.items), "time"), word, strings.Join(lines, ", "))
		fmt.Fprintf(w, "  line %d: %s\n", g.items[0].Line, g.items[0].Excerpt)
		a := faults.LogAdvice(g.items[0].LogMatch)
		fmt.Fprintf(w, "  Meaning: %s\n", a.Meaning)
		fmt.Fprintf(w, "  Fix: %s\n", a.Fix)
		if g.noise && len(causes) > 0 {
			fmt.Fprintf(w, "  Note: this log also has %s; these lines are most likely the same failure on retries where the cause was not logged.\n", strings.Join(causes, ", "))
		}
	}
}

// plural says "1 failure", "3 failures"; forms[1], if given, is the plural.
func plural(n int, forms ...string) string {
	if n == 1 {
		return "1 " + forms[0]
	}
	if len(forms) > 1 {
		return strconv.Itoa(n) + " " + forms[1]
	}
	return strconv.Itoa(n) + " " + forms[0] + "s"
}
