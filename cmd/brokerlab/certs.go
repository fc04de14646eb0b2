package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/pki"
)

var certsDoc = &doc{
	name:     "certs",
	synopsis: "brokerlab certs gen TOPOLOGY --out DIR [--format pem|p12|jks]\n       brokerlab certs inspect FILE|TOPOLOGY [--password P]",
	about: `Makes and reads the certificates and keystores of a network of brokers.

  gen      writes every node's key, certificate and trust as a topology says:
           self-signed identities with per-node trust lists (the ActiveMQ
           tutorial's <node>.ks + shared.ks), or CA-signed ones. --format
           pem writes cert.pem, key.pem and trust.pem per node; p12 and jks
           write keystore.p12/.jks (the key entry aliased by the node's name)
           and truststore.p12/.jks (one trusted entry per trust list name),
           as keytool makes them, plus cert.pem for keytool -import.
  inspect  shows what a keystore, truststore or certificate file holds
           (JKS, PKCS#12, PEM or DER, told by content): aliases, each
           certificate's subject, issuer, SANs, validity, key usage and
           SHA-256 fingerprint. Given a topology (a file or a built-in name)
           it prints who trusts whom as a table, and checks each link's
           trust: the dialler must trust the listener, and a listener with
           needClientAuth the dialler.

TOPOLOGY is a topology file or the name of a built-in one: ` + strings.Join(topology.Examples(), ", ") + `.
Run brokerlab certs gen --help or brokerlab certs inspect --help for flags.`,
	examples: `  # the tutorial's stores, ready for activemq.xml's <sslContext>
  brokerlab certs gen hub-and-spokes --out certs --format jks
  keytool -list -keystore certs/hub/keystore.jks -storepass changeit

  # what is in a store someone sent you
  brokerlab certs inspect shared.ts --password changeit

  # who trusts whom, and is each link's trust complete?
  brokerlab certs inspect hub-and-spokes`,
	exits: `  0  done
  1  a file could not be written or read (wrong password, damaged file), or a link lacks trust
  2  bad arguments`,
}

func cmdCerts(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, certsDoc, "give a subcommand: gen or inspect")
	}
	switch args[0] {
	case "gen":
		return cmdCertsGen(args[1:], stdout, stderr)
	case "inspect":
		return cmdCertsInspect(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		printHelp(stdout, newFlags(certsDoc), certsDoc)
		return exitOK
	}
	return usageError(stderr, certsDoc, "unknown subcommand %q: use gen or inspect", args[0])
}

var certsGenDoc = &doc{
	name:     "certs gen",
	synopsis: "brokerlab certs gen TOPOLOGY --out DIR [--format pem|p12|jks] [flags]",
	about: `Writes the PKI of a topology into DIR: DIR/<node>/ for each node with tls,
DIR/<authority>/ for each authority (ca.pem, ca-key.pem, crl.pem). A node's
files depend on --format:

  pem  cert.pem (certificate and chain), key.pem (PKCS#8, mode 0600), trust.pem
  p12  keystore.p12, truststore.p12, cert.pem
  jks  keystore.jks, truststore.jks, cert.pem

Keystores hold the key entry aliased by the node's name; truststores one
trusted certificate per trust list entry, aliased by the trusted node's or
authority's name, as keytool -import -alias makes them. Certificates have a
SAN with the node's name (and localhost, 127.0.0.1, ::1) and both
serverAuth and clientAuth, since every broker in a network listens and
dials. DIR is emptied of an earlier gen's nodes first.`,
	examples: `  brokerlab certs gen hub-and-spokes --out certs --format jks --store-password s3cret
  brokerlab certs gen my-network.yaml --out pki --format pem --validity 8760h`,
	exits: `  0  written
  1  a file could not be written
  2  bad arguments or topology`,
}

func cmdCertsGen(args []string, stdout, stderr io.Writer) int {
	d := certsGenDoc
	fs := newFlags(d)
	out := fs.String("out", "", "`DIR` to write into (required)")
	format := fs.String("format", "pem", "`format` of the nodes' files: pem, p12 or jks")
	storePW := fs.String("store-password", pki.DefaultPassword, "`password` of every keystore and truststore")
	keyPW := fs.String("key-password", "", "`password` of the key entry in keystore.jks (default: the store password; PKCS#12 keys always use the store password, as keytool's do)")
	validity := fs.Duration("validity", 365*24*time.Hour, "how long certificates are valid from now")
	pos, code, ok := parse(fs, d, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, d, "give exactly one topology (a file, or one of %s)", strings.Join(topology.Examples(), ", "))
	}
	if *out == "" {
		return usageError(stderr, d, "--out DIR is required")
	}
	keep, ok := formatFiles[*format]
	if !ok {
		return usageError(stderr, d, "--format %q: use pem, p12 or jks", *format)
	}
	spec, err := loadTopology(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab certs gen: %v\n", err)
		return exitUsage
	}
	for _, n := range spec.Nodes {
		// Files of an earlier run would mix with this one's.
		if err := os.RemoveAll(filepath.Join(*out, n.Name)); err != nil {
			fmt.Fprintf(stderr, "brokerlab certs gen: %v\n", err)
			return exitFail
		}
	}
	m, err := pki.Generate(spec, *out, pki.Options{StorePassword: *storePW, KeyPassword: *keyPW, Validity: *validity})
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab certs gen: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "%s: %d nodes, %d authorities, %s files in %s\n", spec.Name, len(m.Nodes), len(m.Authorities), *format, *out)
	for _, n := range spec.Nodes {
		nf := m.Nodes[n.Name]
		if nf == nil {
			continue
		}
		if err := keepOnly(filepath.Join(*out, n.Name), keep); err != nil {
			fmt.Fprintf(stderr, "brokerlab certs gen: %v\n", err)
			return exitFail
		}
		files, _ := filepath.Glob(filepath.Join(*out, n.Name, "*"))
		for i := range files {
			files[i] = filepath.Base(files[i])
		}
		id := "no identity"
		if nf.Cert != nil {
			ci := tlsconf.Info(nf.Cert, time.Now())
			id = fmt.Sprintf("%s, issuer %s, SHA-256 %s", ci.Subject, ci.Issuer, ci.SHA256)
		}
		fmt.Fprintf(stdout, "  %-10s %s\n  %-10s %s; trusts %s\n", n.Name, strings.Join(files, " "), "", id, strings.Join(nf.TrustedNames, ", "))
	}
	for _, n := range spec.Nodes {
		if nf := m.Nodes[n.Name]; nf != nil && nf.Cert != nil && *format != "pem" {
			fmt.Fprintf(stdout, "Check them: keytool -list -keystore %s -storepass <password>\n", filepath.Join(*out, n.Name, "keystore."+*format))
			break
		}
	}
	return exitOK
}

// formatFiles are the files of a node each format keeps.
var formatFiles = map[string][]string{
	"pem": {pki.CertFile, pki.KeyFile, pki.TrustFile},
	"p12": {pki.CertFile, pki.KeyStoreP12File, pki.TrustStoreP12File},
	"jks": {pki.CertFile, pki.KeyStoreJKSFile, pki.TrustStoreJKSFile},
}

func keepOnly(dir string, keep []string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !slices.Contains(keep, e.Name()) {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

var certsInspectDoc = &doc{
	name:     "certs inspect",
	synopsis: "brokerlab certs inspect FILE|TOPOLOGY [--password P]",
	about: `Shows what a keystore, truststore or certificate file holds — JKS,
PKCS#12, PEM or DER, told by content, never by file name — entry by entry:
alias and kind (PrivateKeyEntry, trustedCertEntry), then for each
certificate its subject, issuer, SANs, validity (marked when expired or not
yet valid), key, key usage, extended key usage and SHA-256 fingerprint.

A JKS store can be listed without --password (unverified, as keytool -list
does); PKCS#12 needs it. The password is never printed.

Given a topology instead (a file, or a built-in name), prints a table of
who trusts whom, and checks every link: the dialling node must trust the
listening one, and a listener with needClientAuth the dialling node.`,
	examples: `  brokerlab certs inspect certs/hub/truststore.jks --password changeit
  brokerlab certs inspect server.pem
  brokerlab certs inspect hub-and-spokes-ca`,
	exits: `  0  shown
  1  the file cannot be read (wrong password, damaged), or a link lacks trust
  2  bad arguments`,
}

func cmdCertsInspect(args []string, stdout, stderr io.Writer) int {
	d := certsInspectDoc
	fs := newFlags(d)
	password := fs.String("password", "", "the store's `password` (PKCS#12 needs it; JKS is listed unverified without it)")
	pos, code, ok := parse(fs, d, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, d, "give one FILE or TOPOLOGY")
	}
	if isTopology(pos[0]) {
		spec, err := loadTopology(pos[0])
		if err != nil {
			fmt.Fprintf(stderr, "brokerlab certs inspect: %v\n", err)
			return exitUsage
		}
		if !writeTrustTable(stdout, spec) {
			return exitFail
		}
		return exitOK
	}
	sc, err := tlsconf.InspectStore(pos[0], *password)
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab certs inspect: %v\n", err)
		return exitFail
	}
	writeStore(stdout, sc)
	return exitOK
}

// isTopology: a built-in name that is not a file, or a YAML file whose
// top level has nodes:.
func isTopology(arg string) bool {
	data, err := os.ReadFile(arg)
	if err != nil {
		return slices.Contains(topology.Examples(), arg)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "nodes:") {
			return true
		}
	}
	return false
}

func writeStore(w io.Writer, sc *tlsconf.StoreContents) {
	typ := string(sc.Type)
	if typ == "" {
		typ = "DER"
	}
	verified := ""
	if sc.Type == tlsconf.StoreJKS && !sc.Verified {
		verified = " (integrity not checked: no --password)"
	}
	fmt.Fprintf(w, "%s: %s, %s%s\n", sc.Path, typ, plural(len(sc.Entries), "entry", "entries"), verified)
	now := time.Now()
	for i, e := range sc.Entries {
		alias := e.Alias
		if alias == "" {
			alias = "(no alias)"
		}
		created := ""
		if !e.Created.IsZero() {
			created = ", created " + e.Created.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "\nentry %d: %s, %s%s\n", i+1, alias, e.Kind, created)
		for j, c := range e.Chain {
			if len(e.Chain) > 1 {
				fmt.Fprintf(w, "  certificate [%d]:\n", j)
			}
			for _, l := range tlsconf.Info(c, now).Lines("    ") {
				fmt.Fprintln(w, l)
			}
		}
	}
}

// writeTrustTable prints who trusts whom and checks each link; false when
// a link lacks the trust it needs.
func writeTrustTable(w io.Writer, spec *topology.Spec) bool {
	var names []string
	width := len("trusts:")
	for _, n := range spec.Nodes {
		if n.TLS != nil {
			names = append(names, n.Name)
			width = max(width, len(n.Name))
		}
	}
	fmt.Fprintf(w, "%s: who trusts whom (row trusts column)\n\n", spec.Name)
	cell := max(width, len("via CA"))
	row := func(head string, cells []string) {
		var b strings.Builder
		fmt.Fprintf(&b, "%-*s", width+2, head)
		for _, c := range cells {
			fmt.Fprintf(&b, "  %-*s", cell, c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	row("trusts:", names)
	for _, a := range names {
		var cells []string
		for _, b := range names {
			cells = append(cells, trustWord(spec, a, b))
		}
		row(a, cells)
	}
	fmt.Fprintln(w, "\nidentities:")
	for _, n := range spec.Nodes {
		if n.TLS == nil {
			fmt.Fprintf(w, "  %-*s no tls\n", width, n.Name)
			continue
		}
		id := "self-signed"
		switch {
		case n.TLS.Identity.Issuer != "":
			id = "issued by " + n.TLS.Identity.Issuer
		case !n.TLS.Identity.SelfSigned:
			id = "none (verifies peers only)"
		}
		fmt.Fprintf(w, "  %-*s %s; trust list [%s]\n", width, n.Name, id, strings.Join(n.TLS.Trust, ", "))
	}
	ok := true
	if links := spec.Links(); len(links) > 0 {
		fmt.Fprintln(w, "\nlinks:")
		for _, l := range links {
			var problems []string
			if trustWord(spec, l.From, l.To) == "-" {
				problems = append(problems, fmt.Sprintf("%s does not trust %s (the listener it dials): unknown-authority on %s", l.From, l.To, l.From))
			}
			if needsClientAuth(spec.Node(l.To)) && trustWord(spec, l.To, l.From) == "-" {
				problems = append(problems, fmt.Sprintf("%s requires client certificates and does not trust %s: unknown-authority on %s", l.To, l.From, l.To))
			}
			if len(problems) == 0 {
				fmt.Fprintf(w, "  %-*s ok\n", 2*width, l)
				continue
			}
			ok = false
			fmt.Fprintf(w, "  %-*s MISSING TRUST: %s\n", 2*width, l, strings.Join(problems, "; "))
		}
	}
	return ok
}

// trustWord says how a trusts b: "self", "pinned" (b's certificate is in
// a's trust list), "via CA", or "-".
func trustWord(spec *topology.Spec, a, b string) string {
	na, nb := spec.Node(a), spec.Node(b)
	if na == nil || na.TLS == nil || nb == nil || nb.TLS == nil || !nb.HasIdentity() {
		return "-"
	}
	switch {
	case slices.Contains(na.TLS.Trust, b) && a == b:
		return "self"
	case slices.Contains(na.TLS.Trust, b):
		return "pinned"
	case nb.TLS.Identity.Issuer != "" && slices.Contains(na.TLS.Trust, nb.TLS.Identity.Issuer):
		return "via CA"
	}
	return "-"
}

func needsClientAuth(n *topology.Node) bool {
	if n == nil {
		return false
	}
	for _, l := range n.Listen {
		if strings.HasPrefix(l, "stomp+ssl://") && strings.Contains(l, "needClientAuth=true") {
			return true
		}
	}
	return false
}
