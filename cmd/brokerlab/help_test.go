package main

import (
	"bytes"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

func TestHelpOfEveryCommand(t *testing.T) {
	flags := map[string][]string{
		"run":      {"--out", "--junit", "--json", "--markdown", "--seed", "--keep", "-v", "--label", "--timeout"},
		"validate": {"FILE|DIR"},
		"broker":   {"--name", "--listen", "--connect", "--tls-cert", "--tls-key", "--tls-ca", "--events"},
		"up":       {"--out", "--events", "hub-and-spokes", "endpoints.json"},
		"bench":    {"--size", "--count", "--rounds", "--json", "--timeout"},
		"explain":  {"LOGFILE", "Received fatal alert", "Broken pipe"},
		"certs":    {"gen", "inspect", "--format", "pem|p12|jks", "who trusts whom"},
		"diagnose": {"HOST:PORT", "--ca", "--truststore", "--keystore", "--cert", "--server-name", "--tls-version", "TLS 1.3"},
		"version":  {"brokerlab version"},
	}
	for _, c := range commands() {
		if c.name == "help" {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			r := brokerlab(t, c.name, "--help")
			if r.code != exitOK {
				t.Fatalf("exit %d, want 0; stderr:\n%s", r.code, r.stderr)
			}
			want, ok := flags[c.name]
			if !ok {
				t.Fatalf("no expectation for command %s; add one", c.name)
			}
			if c.name != "version" {
				want = append(want, "Examples:", "Exit codes:")
			}
			for _, w := range want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("help does not mention %q:\n%s", w, r.stdout)
				}
			}
			if h := brokerlab(t, "help", c.name); h.code != exitOK || h.stdout != r.stdout {
				t.Errorf("brokerlab help %s differs from %s --help (exit %d)", c.name, c.name, h.code)
			}
		})
	}
}

func TestTopLevelHelp(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}} {
		r := brokerlab(t, args...)
		if r.code != exitOK {
			t.Errorf("%v: exit %d", args, r.code)
		}
		for _, c := range commands() {
			if !strings.Contains(r.stdout, "\n  "+c.name+" ") {
				t.Errorf("%v: command %s is not listed:\n%s", args, c.name, r.stdout)
			}
		}
		for _, w := range []string{"make run", "make test"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%v: no %q in:\n%s", args, w, r.stdout)
			}
		}
	}
	if r := brokerlab(t, "version"); r.code != exitOK || r.stdout != "brokerlab "+version+"\n" {
		t.Errorf("version: exit %d, %q", r.code, r.stdout)
	}
	if r := brokerlab(t); r.code != exitUsage {
		t.Errorf("no command: exit %d, want %d", r.code, exitUsage)
	}
	if r := brokerlab(t, "frobnicate"); r.code != exitUsage || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := brokerlab(t, "run", "--no-such-flag"); r.code != exitUsage || !strings.Contains(r.stderr, "run --help") {
		t.Errorf("bad flag: exit %d, stderr %q", r.code, r.stderr)
	}
}

// Flags may follow positional arguments, as in `up hub-and-spokes --out
// DIR`; after "--" everything is positional.
func TestParseInterleaved(t *testing.T) {
	tests := []struct {
		args    []string
		pos     []string
		out     string
		verbose bool
	}{
		{[]string{"a", "--out", "x", "b"}, []string{"a", "b"}, "x", false},
		{[]string{"--out=x", "-v", "a"}, []string{"a"}, "x", true},
		{[]string{"a", "-v", "--", "--out", "b"}, []string{"a", "--out", "b"}, "def", true},
		{nil, nil, "def", false},
	}
	for _, tt := range tests {
		d := &doc{name: "t"}
		fs := newFlags(d)
		out := fs.String("out", "def", "")
		v := fs.Bool("v", false, "")
		var stdout, stderr bytes.Buffer
		pos, _, ok := parse(fs, d, tt.args, &stdout, &stderr)
		if !ok || !slices.Equal(pos, tt.pos) || *out != tt.out || *v != tt.verbose {
			t.Errorf("parse(%q) = %q out=%q v=%v ok=%v, want %q out=%q v=%v", tt.args, pos, *out, *v, ok, tt.pos, tt.out, tt.verbose)
		}
	}
}

func TestListFlags(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	labels := &stringList{commas: true}
	uris := &stringList{}
	sizes := &intList{values: []int{1024}}
	fs.Var(labels, "label", "")
	fs.Var(uris, "connect", "")
	fs.Var(sizes, "size", "")
	err := fs.Parse([]string{"--label", "tls,mtls", "--label", "network",
		"--connect", "static://(tcp://a:1,tcp://b:2)?duplex=true", "--size", "256,1024", "--size", "65536"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"tls", "mtls", "network"}; !slices.Equal(labels.values, want) {
		t.Errorf("labels = %q, want %q", labels.values, want)
	}
	if want := []string{"static://(tcp://a:1,tcp://b:2)?duplex=true"}; !slices.Equal(uris.values, want) {
		t.Errorf("connect = %q, want %q (a connector's commas are its own)", uris.values, want)
	}
	if want := []int{256, 1024, 65536}; !slices.Equal(sizes.values, want) {
		t.Errorf("sizes = %v, want %v (the default replaced)", sizes.values, want)
	}
	if err := fs.Parse([]string{"--size", "0"}); err == nil {
		t.Error("--size 0 accepted")
	}
}

func TestHumanEvent(t *testing.T) {
	ts := time.Date(2026, 3, 1, 12, 0, 1, 200e6, time.UTC)
	tests := []struct {
		e    events.Event
		want string
	}{
		{events.Event{Time: ts, Node: "server-a", Kind: events.BridgeState, Link: "server-a->hub", State: events.StateUp, Peer: "hub", Remote: "127.0.0.1:61617", Reason: "duplex"},
			"12:00:01.200 server-a: bridge server-a->hub up, peer hub at 127.0.0.1:61617 (duplex)"},
		{events.Event{Time: ts, Node: "server-a", Kind: events.BridgeState, Link: "server-a->hub", State: events.StateRetrying, Delay: 2 * time.Second, Reason: "dial tcp: connection refused"},
			"12:00:01.200 server-a: bridge server-a->hub retrying in 2s: dial tcp: connection refused"},
		{events.Event{Time: ts, Node: "server-a", Kind: events.BridgeState, Link: "server-a->hub", State: events.StateFailing, Class: "unknown-authority", Reason: "x509: certificate signed\nby unknown authority"},
			"12:00:01.200 server-a: bridge server-a->hub failing (unknown-authority): x509: certificate signed by unknown authority"},
		{events.Event{Time: ts, Node: "hub", Kind: events.TLSFailed, Side: "server", Peer: "server-b", Remote: "127.0.0.1:50000", Class: "unknown-authority", Reason: "tls: failed to verify certificate"},
			"12:00:01.200 hub: tls handshake failed as server, peer server-b from 127.0.0.1:50000: unknown-authority: tls: failed to verify certificate"},
		{events.Event{Time: ts, Node: "hub", Kind: events.ConnAccepted}, ""},
	}
	for _, tt := range tests {
		if got := humanEvent(tt.e); got != tt.want {
			t.Errorf("humanEvent(%v)\n got %q\nwant %q", tt.e, got, tt.want)
		}
	}
}
