package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver/inproc"
	"github.com/brokerlab/brokerlab/topology/pki"
)

func upDoc() *doc {
	return &doc{
		name:     "up",
		synopsis: "brokerlab up TOPOLOGY [--out DIR] [--events]",
		about: `Brings every node of a topology up in this process, on loopback, and keeps
them running until SIGINT or SIGTERM: a network of brokers for your own
clients to talk to, with nothing to install.

TOPOLOGY is a topology file or the name of a built-in one: ` + strings.Join(topology.Examples(), ", ") + `.

brokerlab generates fresh certificates for the nodes with tls into DIR/pki
(PEM: cert.pem, key.pem, trust.pem per node), starts the nodes in file order
and writes DIR/endpoints.json, where clients find everything they need:
  {"topology": "hub-and-spokes",
   "nodes": {"hub": {"listeners": [{"uri": "stomp+ssl://127.0.0.1:40001?needClientAuth=true",
                                    "addr": "127.0.0.1:40001"}],
                     "ca": "/abs/DIR/pki/hub/trust.pem",
                     "cert": "/abs/DIR/pki/hub/cert.pem", "key": "/abs/DIR/pki/hub/key.pem"},
             ...}}
(ca, cert and key are left out for nodes without tls). A client of a TLS
listener presents that node's cert and key, trusts its ca file, and verifies
the server by the node's name (the certificates carry it, plus localhost and
127.0.0.1). Then one ready line per node is printed on stdout, as
brokerlab broker prints it. Bridge state changes and TLS failures go to stderr.`,
		examples: `  # the classic tutorial: a hub over mutual TLS, two plaintext spokes
  brokerlab up hub-and-spokes --out lab

  # the same with a private CA instead of self-signed certificates
  brokerlab up hub-and-spokes-ca --out lab-ca

  # your own topology file, every event as JSON on stderr
  brokerlab up my-network.yaml --out lab --events 2>events.jsonl`,
		exits: `  0  stopped by SIGINT/SIGTERM and shut down cleanly
  1  the network could not come up (PKI, ports) or did not shut down cleanly
  2  bad flags, or the topology is unknown or invalid`,
	}
}

// endpoints is DIR/endpoints.json: what a client needs to reach each node.
type endpoints struct {
	Topology string                   `json:"topology"`
	Nodes    map[string]nodeEndpoints `json:"nodes"`
}

type nodeEndpoints struct {
	Listeners []broker.Listener `json:"listeners"`
	CA        string            `json:"ca,omitempty"`
	Cert      string            `json:"cert,omitempty"`
	Key       string            `json:"key,omitempty"`
}

func cmdUp(args []string, stdout, stderr io.Writer) int {
	d := upDoc()
	fs := newFlags(d)
	out := fs.String("out", "out/up", "`DIR` for the PKI (DIR/pki) and DIR/endpoints.json")
	jsonEvents := fs.Bool("events", false, "also print every event on stderr as one JSON object per line")
	pos, code, ok := parse(fs, d, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, d, "give exactly one topology (a file, or one of %s)", strings.Join(topology.Examples(), ", "))
	}
	spec, err := loadTopology(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab up: %v\n", err)
		return exitUsage
	}
	dir, err := filepath.Abs(*out)
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab up: %v\n", err)
		return exitUsage
	}

	// Certificates from an earlier run would be mixed with new ones (pki
	// does not remove files of nodes no longer in the spec), so start clean.
	pkiDir := filepath.Join(dir, "pki")
	if err := os.RemoveAll(pkiDir); err != nil {
		fmt.Fprintf(stderr, "brokerlab up: %v\n", err)
		return exitFail
	}
	mat, err := pki.Generate(spec, pkiDir, pki.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab up: generate certificates: %v\n", err)
		return exitFail
	}
	files := map[string]tlsconf.Files{}
	for name, nf := range mat.Nodes {
		files[name] = tlsconf.Files{CertFile: nf.CertFile, KeyFile: nf.KeyFile, TrustFile: nf.TrustFile}
	}

	// No Dial: clients and bridges reach the nodes directly, without fault
	// proxies; up is for using a network, not for breaking it.
	network, err := inproc.New(spec, inproc.Options{Files: files, Events: &eventPrinter{w: stderr, jsonAll: *jsonEvents}})
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab up: %v\n", err)
		return exitFail
	}
	ctx, stop := signalContext()
	defer stop()
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		return network.Shutdown(sctx)
	}
	if err := network.StartAll(); err != nil {
		fmt.Fprintf(stderr, "brokerlab up: %v\n", err)
		shutdown()
		return exitFail
	}

	ep := endpoints{Topology: spec.Name, Nodes: map[string]nodeEndpoints{}}
	for _, name := range network.Names() {
		ne := nodeEndpoints{Listeners: network.Broker(name).Listeners()}
		if f, ok := files[name]; ok {
			ne.CA, ne.Cert, ne.Key = f.TrustFile, f.CertFile, f.KeyFile
		}
		if ne.Listeners == nil {
			ne.Listeners = []broker.Listener{}
		}
		ep.Nodes[name] = ne
	}
	if err := writeEndpoints(filepath.Join(dir, "endpoints.json"), ep); err != nil {
		fmt.Fprintf(stderr, "brokerlab up: %v\n", err)
		shutdown()
		return exitFail
	}
	// Ready lines come after endpoints.json exists, so a script that waits
	// for them can read the file at once.
	for _, name := range network.Names() {
		printReady(stdout, name, ep.Nodes[name].Listeners, "")
	}
	fmt.Fprintf(stderr, "brokerlab up: %s is up (%d nodes); endpoints in %s; Ctrl-C stops it\n",
		spec.Name, len(ep.Nodes), filepath.Join(dir, "endpoints.json"))

	<-ctx.Done()
	stop()
	if err := shutdown(); err != nil {
		fmt.Fprintf(stderr, "brokerlab up: shutdown: %v\n", err)
		return exitFail
	}
	return exitOK
}

// loadTopology reads a topology file, or a built-in example by name. A path
// that exists wins, so a file named like an example is still usable.
func loadTopology(arg string) (*topology.Spec, error) {
	if _, err := os.Stat(arg); err == nil {
		return topology.Load(arg)
	}
	spec, err := topology.Example(arg)
	if err != nil && (strings.ContainsAny(arg, `/\`) || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml")) {
		// It was meant as a file: say that it is missing.
		return nil, fmt.Errorf("topology file %s: %w", arg, os.ErrNotExist)
	}
	return spec, err
}

// writeEndpoints replaces the file atomically: a client polling for it never
// reads half of it, nor the previous run's ports.
func writeEndpoints(path string, ep endpoints) error {
	data, err := marshalIndent(ep)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".endpoints-*.json")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cherr := tmp.Chmod(0o644) // CreateTemp makes it 0600; the file holds no secret
	cerr := tmp.Close()
	if err := errors.Join(werr, cherr, cerr); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
