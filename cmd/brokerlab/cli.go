package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// doc is what a command's --help teaches besides its flags.
type doc struct {
	name     string // "run"
	synopsis string // "brokerlab run [flags] [FILE|DIR...]"
	about    string // what it does, a few short paragraphs
	examples string // two or three, each with a comment line
	exits    string // what each exit code means for this command
}

// newFlags returns a flag set that prints nothing by itself: parse decides
// where help and errors go (help to stdout, exit 0; errors to stderr, exit 2).
func newFlags(d *doc) *flag.FlagSet {
	fs := flag.NewFlagSet("brokerlab "+d.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse reads flags and positional arguments in any order, so that
// `brokerlab up hub-and-spokes --out lab` works as written; the standard
// flag package alone stops at the first positional argument. After "--"
// everything is positional. When ok is false the caller returns code.
func parse(fs *flag.FlagSet, d *doc, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, fs, d)
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintf(stderr, "brokerlab %s: %v\nRun 'brokerlab %s --help' for usage.\n", d.name, err, d.name)
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), exitOK, true
		}
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// usageError reports a misuse found after flag parsing (a missing argument,
// a bad value) the same way parse reports a bad flag.
func usageError(stderr io.Writer, d *doc, format string, a ...any) int {
	fmt.Fprintf(stderr, "brokerlab %s: %s\nRun 'brokerlab %s --help' for usage.\n", d.name, fmt.Sprintf(format, a...), d.name)
	return exitUsage
}

// printHelp writes the command's help: synopsis, description, flags with
// their defaults, examples, exit codes.
func printHelp(w io.Writer, fs *flag.FlagSet, d *doc) {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", d.synopsis, strings.TrimRight(d.about, "\n"))

	type row struct{ left, right string }
	var rows []row
	width := 0
	fs.VisitAll(func(f *flag.Flag) {
		typ, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if len(f.Name) == 1 {
			left = "-" + f.Name
		}
		if typ != "" {
			left += " " + typ
		}
		if def := f.DefValue; def != "" && def != "false" && def != "0" && def != "[]" {
			usage += fmt.Sprintf(" (default %s)", def)
		}
		rows = append(rows, row{left, usage})
		width = max(width, len(left))
	})
	if len(rows) > 0 {
		b.WriteString("\nFlags:\n")
		for _, r := range rows {
			for i, line := range strings.Split(r.right, "\n") {
				left := ""
				if i == 0 {
					left = r.left
				}
				fmt.Fprintf(&b, "  %-*s  %s\n", width, left, line)
			}
		}
	}
	if d.examples != "" {
		fmt.Fprintf(&b, "\nExamples:\n%s\n", strings.TrimRight(d.examples, "\n"))
	}
	if d.exits != "" {
		fmt.Fprintf(&b, "\nExit codes:\n%s\n", strings.TrimRight(d.exits, "\n"))
	}
	io.WriteString(w, b.String())
}

// stringList is a repeatable string flag. With commas set, each value is
// also split at commas (--label tls,mtls); URIs keep theirs, because a
// connector lists its peers with commas: static://(ssl://a:1,ssl://b:2).
type stringList struct {
	values []string
	commas bool
}

func (l *stringList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.values, ",")
}

func (l *stringList) Set(v string) error {
	parts := []string{v}
	if l.commas {
		parts = strings.Split(v, ",")
	}
	for _, p := range parts {
		if p = strings.TrimSpace(p); p == "" {
			return errors.New("empty value")
		}
		l.values = append(l.values, p)
	}
	return nil
}

// intList is a comma-separated, repeatable list of positive integers
// (--size 256,1024,65536). The default is replaced, not added to, by the
// first value the user gives.
type intList struct {
	values []int
	set    bool
}

func (l *intList) String() string {
	if l == nil {
		return ""
	}
	s := make([]string, len(l.values))
	for i, v := range l.values {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, ",")
}

func (l *intList) Set(v string) error {
	if !l.set {
		l.values, l.set = nil, true
	}
	for _, p := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n <= 0 {
			return fmt.Errorf("%q is not a positive whole number", p)
		}
		l.values = append(l.values, n)
	}
	return nil
}

// signalContext ends when the process is asked to stop (Ctrl-C, or SIGTERM
// from a supervisor or a test), so long-running commands can shut down
// cleanly instead of dying mid-write.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// wasSet reports whether the user gave the flag, to tell "--seed 0" from
// no --seed at all.
func wasSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// writeFile creates path (and its directory) and fills it with write; a
// failure to write or to close is reported with the path.
func writeFile(path string, write func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
