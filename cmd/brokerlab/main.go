// Command brokerlab runs brokers, networks of brokers and scenario files
// against them, and measures what TLS costs. Each command lives in its own
// file (run.go, validate.go, broker.go, up.go, bench.go) and only turns
// flags into calls of the packages that do the work.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// version is brokerlab's own version, printed by `brokerlab version` and
// recorded in every report's environment.
const version = "0.1"

// Exit codes shared by every command. They are part of the CLI's contract:
// CI scripts tell "the lab found a problem" (1) from "the lab was called
// wrongly" (2).
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// command is one subcommand: its name, the line `brokerlab help` shows, and
// its entry point.
type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) int
}

func commands() []command {
	return []command{
		{"run", "run scenario files (default: the built-in catalogue) and write reports", cmdRun},
		{"validate", "check scenario and topology files; print every error with file:line:col", cmdValidate},
		{"broker", "run one broker in the foreground", cmdBroker},
		{"up", "bring a whole topology up in this process, with its PKI, until interrupted", cmdUp},
		{"bench", "measure plaintext STOMP against STOMP over mutual TLS", cmdBench},
		{"certs", "generate a topology's keys and keystores (pem, p12, jks); inspect stores and who trusts whom", cmdCerts},
		{"diagnose", "handshake with any TLS server as a configured client; show what was offered and accepted, classify and explain", cmdDiagnose},
		{"explain", "find the TLS and auth failures in an ActiveMQ, Kafka or brokerlab log and say how to fix each", cmdExplain},
		{"version", "print brokerlab's version", cmdVersion},
		{"help", "show this help, or a command's: brokerlab help COMMAND", cmdHelp},
	}
}

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		topHelp(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		topHelp(stdout)
		return exitOK
	case "-version", "--version":
		return cmdVersion(nil, stdout, stderr)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "brokerlab: unknown command %q\nRun 'brokerlab help' for the list of commands.\n", args[0])
	return exitUsage
}

func topHelp(w io.Writer) {
	var b strings.Builder
	b.WriteString(`brokerlab tests networks of STOMP brokers over TLS: does a message reach
the right node once, do duplex bridges come back after faults, is mutual TLS
enforced, what exactly breaks when a certificate is wrong, and what TLS costs.

Usage:
  brokerlab COMMAND [flags] [arguments]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString(`
Every command explains itself: brokerlab COMMAND --help.

In the source tree:
  make run    build brokerlab and run the built-in scenario catalogue
  make test   run the test suite (go test -race ./... within a timeout)

Examples:
  brokerlab run                          # the built-in catalogue, reports in out/
  brokerlab validate scenarios/          # check files before committing them
  brokerlab up hub-and-spokes --out lab  # a network to point your own clients at

Exit codes: 0 success, 1 the command ran and found a failure, 2 usage error.
`)
	io.WriteString(w, b.String())
}

func cmdVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			fmt.Fprintf(stdout, "Usage: brokerlab version\n\nPrints brokerlab's version. Exit code 0.\n")
			return exitOK
		}
		fmt.Fprintf(stderr, "brokerlab version: takes no arguments\n")
		return exitUsage
	}
	fmt.Fprintf(stdout, "brokerlab %s\n", version)
	return exitOK
}

func cmdHelp(args []string, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 0:
		topHelp(stdout)
		return exitOK
	case len(args) > 1:
		fmt.Fprintf(stderr, "brokerlab help: give one command name\n")
		return exitUsage
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		topHelp(stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run([]string{"--help"}, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "brokerlab help: unknown command %q\nRun 'brokerlab help' for the list of commands.\n", args[0])
	return exitUsage
}
