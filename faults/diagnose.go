package faults

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// Probe says what Diagnose does once the handshake is done. TLS 1.3 hides a
// server's refusal of the client's certificate until the client reads, so a
// diagnosis that stopped at the handshake would call a refused client
// "connected".
type Probe string

const (
	// ProbeSTOMP sends a STOMP CONNECT and reads the answer (CONNECTED,
	// ERROR, or the TLS alert that arrives instead).
	ProbeSTOMP Probe = "stomp"
	// ProbeRead sends nothing and reads for a moment: a refusal arrives as
	// an alert, silence means the server waits for the client to speak.
	ProbeRead Probe = "read"
)

// DiagnoseOptions are the client side of the handshake, as ActiveMQ's
// <sslContext> or PEM files give it.
type DiagnoseOptions struct {
	Addr       string // host:port
	ServerName string // verified name and SNI; "" means Addr's host

	// Trust: PEM certificates, or a truststore (JKS, PKCS#12, PEM). Neither
	// means the system's roots, since the server may be anyone's.
	CAFile                         string
	TrustStore, TrustStorePassword string

	// Identity: PEM certificate and key, or a keystore.
	CertFile, KeyFile                       string
	KeyStore, KeyStorePassword, KeyPassword string

	// CRLFile, optional: revocation lists the server's chain is checked
	// against, as a broker with a crlPath does.
	CRLFile string

	// MinVersion and MaxVersion bound the versions offered; zero means
	// TLS 1.2 and TLS 1.3.
	MinVersion, MaxVersion uint16

	Probe    Probe         // "" means ProbeSTOMP
	Login    string        // STOMP login and passcode, if the server wants them
	Passcode string        //
	Timeout  time.Duration // for the dial, the handshake and the first read; 0 means 10s
}

// Diagnosis is what happened, step by step, and what it means.
type Diagnosis struct {
	Addr, ServerName string
	Offered          []string // versions offered, e.g. ["TLS 1.2", "TLS 1.3"]
	ClientCert       *x509.Certificate
	Trust            string // what the server's certificate was checked against

	// What the server did.
	Requested    bool     // it asked for a client certificate
	AcceptableCA []string // the authorities it said it accepts (TLS 1.2 and 1.3 both send them)
	Version      string   // negotiated; "" if the handshake failed first
	CipherSuite  string
	PeerChain    []*x509.Certificate // as presented, leaf first, even when refused
	Verified     bool
	Reply        string // the first answer to the probe: "CONNECTED …", "ERROR …", or "(nothing)"

	// Stage is where it ended: "load", "dial", "handshake", "first read",
	// or "ok".
	Stage string
	Err   error
	Class tlsconf.Class // ClassNone when all went well
	// Remote: the server said it (an alert), so the cause is on its side.
	Remote bool
	// Findings are facts from the certificates that explain the class:
	// "hub's certificate is valid for hub-x, 127.0.0.1; not for hub".
	Findings []string
}

// OK reports a handshake and probe with no failure.
func (d *Diagnosis) OK() bool { return d.Class == tlsconf.ClassNone && d.Err == nil }

// Diagnose performs a real handshake against o.Addr, then the probe, and
// classifies whatever failed. It returns an error only for options it
// cannot use; every failure of the connection is in the Diagnosis.
func Diagnose(ctx context.Context, o DiagnoseOptions) (*Diagnosis, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	d := &Diagnosis{Addr: o.Addr, ServerName: o.ServerName}
	for v := o.MinVersion; v <= o.MaxVersion && v != 0; v++ {
		d.Offered = append(d.Offered, tls.VersionName(v))
	}
	cfg, err := o.config(d)
	if err != nil {
		d.fail("load", err)
		return d, nil
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", o.Addr)
	if err != nil {
		d.fail("dial", err)
		return d, nil
	}
	defer raw.Close()
	conn := tls.Client(raw, cfg)
	herr := conn.HandshakeContext(ctx)
	cs := conn.ConnectionState()
	d.PeerChain = cs.PeerCertificates
	if len(d.PeerChain) == 0 {
		d.PeerChain = tlsconf.PeerCertificates(herr)
	}
	if herr != nil {
		d.fail("handshake", herr)
		d.explainCerts(o)
		return d, nil
	}
	d.Version, d.CipherSuite = tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite)
	d.Verified = true
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if err := d.probe(conn, o); err != nil {
		d.fail("first read", err)
		d.explainCerts(o)
		return d, nil
	}
	d.Stage = "ok"
	return d, nil
}

func (o *DiagnoseOptions) defaults() error {
	host, _, err := net.SplitHostPort(o.Addr)
	if err != nil {
		return fmt.Errorf("faults: diagnose: address %q is not host:port", o.Addr)
	}
	if o.ServerName == "" {
		o.ServerName = host
	}
	if o.CAFile != "" && o.TrustStore != "" {
		return errors.New("faults: diagnose: give a CA file or a truststore, not both")
	}
	if (o.CertFile != "" || o.KeyFile != "") && o.KeyStore != "" {
		return errors.New("faults: diagnose: give a certificate and key or a keystore, not both")
	}
	if (o.CertFile == "") != (o.KeyFile == "") {
		return errors.New("faults: diagnose: a client certificate needs both the certificate and its key")
	}
	if o.MinVersion == 0 {
		o.MinVersion = tls.VersionTLS12
	}
	if o.MaxVersion == 0 {
		o.MaxVersion = max(tls.VersionTLS13, o.MinVersion)
	}
	if o.MinVersion > o.MaxVersion {
		return fmt.Errorf("faults: diagnose: lowest version %s is above highest %s", tls.VersionName(o.MinVersion), tls.VersionName(o.MaxVersion))
	}
	switch o.Probe {
	case "":
		o.Probe = ProbeSTOMP
	case ProbeSTOMP, ProbeRead:
	default:
		return fmt.Errorf("faults: diagnose: probe %q: use stomp or read", o.Probe)
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	return nil
}

// config loads the trust and identity material the way a broker would,
// so that a wrong keystore password is diagnosed as such, and builds the
// connector's configuration with tlsconf.ClientConfig, the one place a
// broker's does, revocation checks included.
func (o *DiagnoseOptions) config(d *Diagnosis) (*tls.Config, error) {
	m := &tlsconf.Material{}
	var err error
	var trust *tlsconf.Material
	switch {
	case o.CAFile != "":
		trust, err = tlsconf.Load(tlsconf.Files{TrustFile: o.CAFile})
		d.Trust = o.CAFile
	case o.TrustStore != "":
		trust, err = tlsconf.LoadKeyStore(tlsconf.KeyStore{TrustStore: o.TrustStore, TrustStorePassword: o.TrustStorePassword})
		d.Trust = o.TrustStore
	default:
		d.Trust = "the system's root certificates"
	}
	if err != nil {
		return nil, err
	}
	if trust != nil {
		m.Trust = trust.Trust
		d.Trust = fmt.Sprintf("%s (%d trusted: %s)", d.Trust, len(trust.TrustedSubjects), strings.Join(trust.TrustedSubjects, "; "))
	}
	var ident *tlsconf.Material
	switch {
	case o.CertFile != "":
		ident, err = tlsconf.Load(tlsconf.Files{CertFile: o.CertFile, KeyFile: o.KeyFile})
	case o.KeyStore != "":
		ident, err = tlsconf.LoadKeyStore(tlsconf.KeyStore{KeyStore: o.KeyStore, KeyStorePassword: o.KeyStorePassword, KeyPassword: o.KeyPassword})
	}
	if err != nil {
		return nil, err
	}
	if ident != nil {
		m.Certificate, m.Leaf = ident.Certificate, ident.Leaf
		d.ClientCert = ident.Leaf
	}
	if o.CRLFile != "" {
		crls, err := tlsconf.Load(tlsconf.Files{CRLFile: o.CRLFile})
		if err != nil {
			return nil, err
		}
		m.CRLs = crls.CRLs
	}
	cfg, err := tlsconf.ClientConfig(m, o.ServerName)
	if err != nil {
		return nil, err
	}
	cfg.MinVersion, cfg.MaxVersion = o.MinVersion, o.MaxVersion
	if trust == nil {
		cfg.RootCAs = nil // crypto/tls then uses the system's roots
	}
	// ClientConfig always presents the certificate, whatever authorities
	// the server lists (else crypto/tls would send none and the diagnosis
	// would say "no certificate" where the truth is "not trusted"); wrap
	// it to record what the server asked for.
	present := cfg.GetClientCertificate
	cfg.GetClientCertificate = func(cri *tls.CertificateRequestInfo) (*tls.Certificate, error) {
		d.Requested = true
		for _, raw := range cri.AcceptableCAs {
			if n, err := dnString(raw); err == nil {
				d.AcceptableCA = append(d.AcceptableCA, n)
			}
		}
		if present == nil {
			return &tls.Certificate{}, nil
		}
		return present(cri)
	}
	return cfg, nil
}

// probe does what a STOMP client does next, and reads the first answer.
func (d *Diagnosis) probe(c *tls.Conn, o DiagnoseOptions) error {
	if o.Probe == ProbeSTOMP {
		frame := "CONNECT\naccept-version:1.0,1.1,1.2\nhost:" + o.ServerName + "\nheart-beat:0,0\n"
		if o.Login != "" {
			frame += "login:" + o.Login + "\npasscode:" + o.Passcode + "\n"
		}
		if _, err := c.Write([]byte(frame + "\n\x00")); err != nil {
			return err
		}
	} else {
		// Silence is the expected answer from a server that waits for the
		// client: a short read is enough to catch an alert.
		c.SetReadDeadline(time.Now().Add(min(o.Timeout, time.Second)))
	}
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if n > 0 {
		d.Reply = firstLines(string(buf[:n]))
		if strings.HasPrefix(d.Reply, "ERROR") {
			return fmt.Errorf("faults: diagnose: the server answered CONNECT with %s", d.Reply)
		}
		return nil
	}
	if o.Probe == ProbeRead && err != nil && tlsconf.Classify(err) == tlsconf.ClassHandshakeTimeout {
		d.Reply = "(nothing: the server waits for the client to speak)"
		return nil
	}
	if err == nil {
		err = errors.New("faults: diagnose: empty read")
	}
	return err
}

// firstLines is a STOMP frame's command and headers, on one line.
func firstLines(s string) string {
	s, _, _ = strings.Cut(s, "\x00")
	head, body, _ := strings.Cut(s, "\n\n")
	out := strings.Join(strings.Split(strings.TrimSpace(head), "\n"), " ")
	if body = strings.TrimSpace(body); body != "" {
		out += ": " + body
	}
	if len(out) > 300 {
		out = out[:300] + "…"
	}
	return out
}

func (d *Diagnosis) fail(stage string, err error) {
	d.Stage, d.Err = stage, err
	if le, ok := errors.AsType[*tlsconf.LoadError](err); ok {
		d.Class = le.Class
		return
	}
	if stage == "dial" {
		d.Class = tlsconf.ClassOther
		if tlsconf.Classify(err) == tlsconf.ClassHandshakeTimeout {
			d.Class = tlsconf.ClassHandshakeTimeout
		}
		return
	}
	if stage == "load" {
		d.Class = tlsconf.ClassBadKeystore
		return
	}
	d.Class = tlsconf.Classify(err)
	if strings.Contains(err.Error(), "the server answered CONNECT with ERROR") {
		d.Class = tlsconf.ClassOther
	}
	_, d.Remote, _ = tlsconf.Alert(err)
	// handshake_failure is ambiguous from the alert alone, but not here:
	// a server that sent a CertificateRequest had agreed a cipher suite
	// already, so what it refused is the client's certificate (TLS 1.2
	// servers, Go's included, answer a missing one with handshake_failure).
	if d.Class == tlsconf.ClassNoCommonCipher && d.Requested {
		d.Class = tlsconf.ClassBadCertificate
		if d.ClientCert == nil {
			d.Class = tlsconf.ClassClientCertRequired
		}
		d.Findings = append(d.Findings, "The server's alert was handshake_failure, but it had asked for a client certificate, so a cipher suite was already agreed: what it refused is the client's certificate.")
	}
	// A Java server (ActiveMQ, Kafka) answers an empty certificate chain
	// with bad_certificate, under TLS 1.2 and 1.3 alike, and logs "Empty
	// client certificate chain"; Go servers say certificate_required.
	if d.Class == tlsconf.ClassBadCertificate && d.Remote && d.Requested && d.ClientCert == nil {
		d.Class = tlsconf.ClassClientCertRequired
		d.Findings = append(d.Findings, "The server's alert was bad_certificate, but no certificate was sent: Java servers (ActiveMQ, Kafka) answer an empty certificate chain so, and log \"Empty client certificate chain\".")
	}
}

// explainCerts adds what the presented certificates show about the class.
func (d *Diagnosis) explainCerts(o DiagnoseOptions) {
	if len(d.PeerChain) == 0 {
		switch d.Class {
		case tlsconf.ClassClientCertRequired:
			if d.ClientCert == nil {
				d.Findings = append(d.Findings, "No client certificate was given: pass --cert and --key, or --keystore.")
			}
		}
		if d.Requested && len(d.AcceptableCA) > 0 {
			d.Findings = append(d.Findings, "The server accepts client certificates issued by: "+strings.Join(d.AcceptableCA, "; ")+".")
		}
		return
	}
	leaf := d.PeerChain[0]
	now := time.Now()
	switch d.Class {
	case tlsconf.ClassHostnameMismatch:
		names := tlsconf.Info(leaf, now).SANs
		if len(names) == 0 {
			d.Findings = append(d.Findings, fmt.Sprintf("The server's certificate (%s) has no SANs at all; Go ignores its CN, Java would match it for a DNS name.", leaf.Subject))
		} else {
			d.Findings = append(d.Findings, fmt.Sprintf("The server's certificate is valid for %s; not for %q, the name this diagnosis verified (--server-name).", strings.Join(names, ", "), o.ServerName))
		}
	case tlsconf.ClassExpired, tlsconf.ClassNotYetValid:
		for _, c := range d.PeerChain {
			if v := tlsconf.Expiry(c, now); v != "" {
				d.Findings = append(d.Findings, fmt.Sprintf("%s: %s (valid %s .. %s).", c.Subject, v, c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339)))
			}
		}
	case tlsconf.ClassUnknownAuthority:
		top := d.PeerChain[len(d.PeerChain)-1]
		d.Findings = append(d.Findings, fmt.Sprintf("The server's chain ends at %s, issued by %s; %s does not hold that issuer.", top.Subject, top.Issuer, d.Trust))
	case tlsconf.ClassBadKeyUsage:
		if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) && len(leaf.ExtKeyUsage) > 0 {
			d.Findings = append(d.Findings, fmt.Sprintf("The server's certificate allows %s, not serverAuth.", strings.Join(tlsconf.Info(leaf, now).ExtKeyUsage, ", ")))
		}
	case tlsconf.ClassClientCertRequired, tlsconf.ClassBadCertificate:
		if d.ClientCert == nil && d.Requested {
			d.Findings = append(d.Findings, "The server asked for a client certificate and none was given: pass --cert and --key, or --keystore.")
		}
	}
	if d.Remote && d.ClientCert != nil {
		d.Findings = append(d.Findings, fmt.Sprintf("The server refused after seeing this client's certificate, %s.", tlsconf.Describe(d.ClientCert)))
	}
	if d.Requested && len(d.AcceptableCA) > 0 && d.Class != tlsconf.ClassNone {
		d.Findings = append(d.Findings, "The server accepts client certificates issued by: "+strings.Join(d.AcceptableCA, "; ")+".")
	}
}

// dnString reads a DER distinguished name, as a CertificateRequest lists
// the authorities a server accepts.
func dnString(der []byte) (string, error) {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) > 0 {
		return "", fmt.Errorf("faults: not a distinguished name")
	}
	var n pkix.Name
	n.FillFromRDNSequence(&rdn)
	return n.String(), nil
}
