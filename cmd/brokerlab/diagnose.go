package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/faults"
)

var diagnoseDoc = &doc{
	name:     "diagnose",
	synopsis: "brokerlab diagnose HOST:PORT [--ca F | --truststore F] [--cert F --key F | --keystore F] [--server-name N] [flags]",
	about: `Performs a real TLS handshake against any TLS server — a brokerlab node, a
real ActiveMQ, a Kafka listener — as a client configured like yours, and
shows what was offered, what the server answered and accepted, and, if it
failed, the failure class, what it means, and the fix.

It shows: the versions offered and the client certificate sent; whether the
server asked for a client certificate and which authorities it accepts; the
version and cipher suite agreed; the server's chain as presented (subjects,
SANs, validity, extended key usage, SHA-256 fingerprints), even when it was
refused.

After the handshake it sends a STOMP CONNECT and waits for the answer: with
TLS 1.3 a server that refuses the client's certificate lets the client's
handshake succeed and says so only on the first read, so a check that stops
at the handshake calls a refused client "connected". For a server that is
not STOMP, use --probe read.

Trust and identity are read the way a broker reads them (JKS, PKCS#12 or
PEM, by content), so a wrong keystore password is diagnosed too. With no
--ca or --truststore the system's roots are used. Passwords are never
printed.`,
	examples: `  # a spoke's view of the hub, with the spoke's own stores
  brokerlab diagnose hub.example.com:61617 --truststore spoke.ts --truststore-password changeit \
      --keystore spoke.ks --keystore-password changeit

  # PEM files, verifying the name the connector uses rather than the address dialled
  brokerlab diagnose 127.0.0.1:61617 --ca hub.pem --cert spoke.pem --key spoke-key.pem --server-name hub

  # would a TLS 1.2-only client get in?
  brokerlab diagnose broker:61617 --ca ca.pem --tls-version 1.2`,
	exits: `  0  handshake and first read succeeded
  1  the connection failed; the class and the fix are printed
  2  bad flags, or an unusable combination of them`,
}

func cmdDiagnose(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(diagnoseDoc)
	var o faults.DiagnoseOptions
	fs.StringVar(&o.CAFile, "ca", "", "PEM `file` of certificates to trust (the server's, or its CA's)")
	fs.StringVar(&o.TrustStore, "truststore", "", "truststore `file` (JKS, PKCS#12 or PEM), instead of --ca")
	fs.StringVar(&o.TrustStorePassword, "truststore-password", "", "the truststore's `password`")
	fs.StringVar(&o.CertFile, "cert", "", "PEM client certificate `file` (with its chain)")
	fs.StringVar(&o.KeyFile, "key", "", "PEM private key `file` of --cert")
	fs.StringVar(&o.KeyStore, "keystore", "", "keystore `file` (JKS, PKCS#12 or PEM) holding the client's key, instead of --cert/--key")
	fs.StringVar(&o.KeyStorePassword, "keystore-password", "", "the keystore's `password`")
	fs.StringVar(&o.KeyPassword, "key-password", "", "the key entry's `password` (default: the keystore's)")
	fs.StringVar(&o.CRLFile, "crl", "", "PEM or DER `file` of revocation lists to check the server's chain against (ActiveMQ's crlPath)")
	fs.StringVar(&o.ServerName, "server-name", "", "the `name` to verify the server's certificate against, and to send as SNI\n(default: HOST); brokerlab connectors use the peer's node name")
	versions := fs.String("tls-version", "1.2,1.3", "TLS `versions` to offer: 1.0, 1.1, 1.2, 1.3, or a list like 1.2,1.3 (also TLSv1.2)")
	probe := fs.String("probe", "stomp", "after the handshake: `stomp` (send CONNECT, read the answer) or read (read only)")
	fs.StringVar(&o.Login, "login", "", "STOMP `login` for the CONNECT")
	fs.StringVar(&o.Passcode, "passcode", "", "STOMP `passcode` for the CONNECT")
	fs.DurationVar(&o.Timeout, "timeout", 10*time.Second, "bound on the dial, the handshake and the first read")
	pos, code, ok := parse(fs, diagnoseDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(stderr, diagnoseDoc, "give one HOST:PORT")
	}
	o.Addr = pos[0]
	o.Probe = faults.Probe(*probe)
	var err error
	if o.MinVersion, o.MaxVersion, err = parseVersions(*versions); err != nil {
		return usageError(stderr, diagnoseDoc, "--tls-version: %v", err)
	}
	ctx, cancel := signalContext()
	defer cancel()
	d, err := faults.Diagnose(ctx, o)
	if err != nil {
		return usageError(stderr, diagnoseDoc, "%s", strings.TrimPrefix(err.Error(), "faults: diagnose: "))
	}
	writeDiagnosis(stdout, d)
	if !d.OK() {
		return exitFail
	}
	return exitOK
}

var versionNumbers = map[string]uint16{
	"1.0": tls.VersionTLS10, "1.1": tls.VersionTLS11, "1.2": tls.VersionTLS12, "1.3": tls.VersionTLS13,
}

// parseVersions reads "1.2,1.3" (or Java's "TLSv1.2,TLSv1.3") into the
// range Go can offer: crypto/tls offers every version from its minimum to
// its maximum, so a list with a gap is refused rather than widened.
func parseVersions(s string) (lo, hi uint16, err error) {
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(p), "TLSv"), "TLS")
		v, ok := versionNumbers[p]
		if !ok {
			return 0, 0, fmt.Errorf("%q is not a TLS version; use 1.0, 1.1, 1.2 or 1.3", p)
		}
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if n := strings.Count(s, ",") + 1; int(hi-lo)+1 != n {
		return 0, 0, fmt.Errorf("%q: give consecutive versions (TLS offers a range)", s)
	}
	return lo, hi, nil
}

func writeDiagnosis(w io.Writer, d *faults.Diagnosis) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("diagnose %s, verifying the name %q", d.Addr, d.ServerName)
	p("client:")
	p("  offered:    %s", strings.Join(d.Offered, ", "))
	if d.ClientCert != nil {
		ci := tlsconf.Info(d.ClientCert, time.Now())
		p("  identity:   %s (SHA-256 %s)", ci.Subject, ci.SHA256)
	} else {
		p("  identity:   none")
	}
	if d.Trust != "" {
		p("  trusts:     %s", d.Trust)
	}
	if d.Stage != "load" && d.Stage != "dial" {
		p("server:")
		switch {
		case d.Requested && len(d.AcceptableCA) > 0:
			p("  asked for a client certificate, issued by: %s", strings.Join(d.AcceptableCA, "; "))
		case d.Requested:
			p("  asked for a client certificate (any issuer)")
		case d.Stage == "handshake" && len(d.PeerChain) == 0:
			p("  (the handshake ended before the server's certificate)")
		default:
			p("  did not ask for a client certificate")
		}
		if d.Version != "" {
			p("  agreed:     %s, %s", d.Version, d.CipherSuite)
		}
		for i, c := range d.PeerChain {
			p("  certificate [%d]:", i)
			for _, l := range tlsconf.Info(c, time.Now()).Lines("    ") {
				p("%s", l)
			}
		}
		if len(d.PeerChain) > 0 {
			verdict := "yes"
			if !d.Verified {
				verdict = "NO"
			}
			p("  verified:   %s", verdict)
		}
		if d.Reply != "" {
			p("  answered:   %s", d.Reply)
		}
	}
	if d.OK() {
		p("result: ok — the handshake and the first read succeeded.")
		return
	}
	p("result: FAILED at %s: %s", d.Stage, d.Class)
	p("  error:   %v", d.Err)
	if d.Remote {
		p("  The server sent this as a TLS alert: the cause is on its side, and its log says more (try brokerlab explain on it).")
	}
	for _, f := range d.Findings {
		p("  - %s", f)
	}
	a := faults.LogAdvice(tlsconf.LogMatch{Class: d.Class, Remote: d.Remote})
	p("  Meaning: %s", a.Meaning)
	p("  Fix: %s", a.Fix)
}
