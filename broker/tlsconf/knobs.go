package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Knobs are the TLS settings of one listener or one connector, as ActiveMQ
// writes them on a transport URI: enabledProtocols, enabledCipherSuites
// (listeners: also transport.enabledProtocols, …) and, on connectors,
// verifyHostName (also socket.verifyHostName). The zero value is the
// defaults: TLS 1.2 and 1.3, Go's suites, host names verified.
type Knobs struct {
	MinVersion, MaxVersion uint16   // 0: TLS 1.2 and TLS 1.3
	CipherSuites           []uint16 // TLS 1.2 suites; nil: Go's defaults
	// SkipHostName is verifyHostName=false: the chain (or the pinned
	// certificate) is still verified, only the name is not, as in ActiveMQ.
	SkipHostName bool
}

// Parameter names, as ActiveMQ writes them, and their prefixed forms.
const (
	ParamEnabledProtocols    = "enabledProtocols"
	ParamEnabledCipherSuites = "enabledCipherSuites"
	ParamVerifyHostName      = "verifyHostName"
)

// KnobParams lists the URI parameters ParseKnobs reads on a listener
// (connector false) or a connector's peer URI (connector true), with the
// prefixes ActiveMQ accepts (transport. on listeners, socket. on
// connectors).
func KnobParams(connector bool) []string {
	names := []string{ParamEnabledProtocols, ParamEnabledCipherSuites}
	prefix := "transport."
	if connector {
		names = append(names, ParamVerifyHostName)
		prefix = "socket."
	}
	for _, n := range slices.Clone(names) {
		names = append(names, prefix+n)
	}
	return names
}

// tls13Suites are the suites of TLS 1.3, which Go always enables together.
var tls13Suites = []uint16{tls.TLS_AES_128_GCM_SHA256, tls.TLS_AES_256_GCM_SHA384, tls.TLS_CHACHA20_POLY1305_SHA256}

// ParseKnobs reads a URI's TLS parameters (params maps a name, as written,
// to its value). Errors name the parameter and say what is accepted.
func ParseKnobs(params map[string]string, connector bool) (Knobs, error) {
	var k Knobs
	get := func(name string) (string, string, bool) {
		for _, key := range []string{name, "transport." + name, "socket." + name} {
			if v, ok := params[key]; ok {
				return key, v, true
			}
		}
		return "", "", false
	}
	allowed := KnobParams(connector)
	for _, key := range slices.Sorted(maps.Keys(params)) {
		if !slices.Contains(allowed, key) {
			return k, fmt.Errorf("tlsconf: unknown TLS parameter %q; known: %s", key, strings.Join(allowed, ", "))
		}
	}
	if key, v, ok := get(ParamEnabledProtocols); ok {
		lo, hi, err := parseProtocols(v)
		if err != nil {
			return k, fmt.Errorf("tlsconf: %s=%q: %v", key, v, err)
		}
		k.MinVersion, k.MaxVersion = lo, hi
	}
	if key, v, ok := get(ParamEnabledCipherSuites); ok {
		if err := k.parseSuites(v); err != nil {
			return k, fmt.Errorf("tlsconf: %s=%q: %v", key, v, err)
		}
	}
	if key, v, ok := get(ParamVerifyHostName); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return k, fmt.Errorf("tlsconf: %s=%q is not true or false", key, v)
		}
		k.SkipHostName = !b
	}
	return k, nil
}

// parseProtocols reads Java's protocol names. Go enables a range of
// versions, so a list with a gap is refused (there is none today with two).
func parseProtocols(v string) (lo, hi uint16, err error) {
	for _, name := range splitList(v) {
		var ver uint16
		switch name {
		case "TLSv1.2":
			ver = tls.VersionTLS12
		case "TLSv1.3":
			ver = tls.VersionTLS13
		case "TLSv1", "TLSv1.1", "SSLv3", "SSLv2Hello":
			return 0, 0, fmt.Errorf("%s is disabled in brokerlab, as in current Java (jdk.tls.disabledAlgorithms): use TLSv1.2 or TLSv1.3", name)
		default:
			return 0, 0, fmt.Errorf("unknown protocol %q: use TLSv1.2, TLSv1.3 or both, comma-separated", name)
		}
		if lo == 0 || ver < lo {
			lo = ver
		}
		hi = max(hi, ver)
	}
	if lo == 0 {
		return 0, 0, fmt.Errorf("no protocol given: use TLSv1.2, TLSv1.3 or both")
	}
	return lo, hi, nil
}

// parseSuites reads Java or IANA suite names (Java's SSL_ prefix of old
// suites is read as TLS_). Go cannot choose among the TLS 1.3 suites: a
// list naming some but not all of them is refused rather than half
// honoured; one naming none of them turns TLS 1.3 off, as in Java, where
// TLS 1.3 then has no suite to use.
func (k *Knobs) parseSuites(v string) error {
	byName := map[string]*tls.CipherSuite{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		byName[s.Name] = s
	}
	var n13 int
	for _, name := range splitList(v) {
		s := byName[name]
		if s == nil && strings.HasPrefix(name, "SSL_") {
			s = byName["TLS_"+strings.TrimPrefix(name, "SSL_")]
		}
		if s == nil {
			return fmt.Errorf("unknown or unsupported cipher suite %q: use IANA/Java names such as TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 or TLS_AES_128_GCM_SHA256", name)
		}
		if slices.Contains(tls13Suites, s.ID) {
			n13++
			continue
		}
		if !slices.Contains(k.CipherSuites, s.ID) {
			k.CipherSuites = append(k.CipherSuites, s.ID)
		}
	}
	switch {
	case n13 > 0 && n13 < len(tls13Suites):
		return fmt.Errorf("names %d of the %d TLS 1.3 suites: Go enables TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256 together; list all three or none", n13, len(tls13Suites))
	case n13 == 0 && len(k.CipherSuites) == 0:
		return fmt.Errorf("no cipher suite given")
	case n13 == 0:
		if k.MinVersion == tls.VersionTLS13 {
			return fmt.Errorf("names no TLS 1.3 suite, but enabledProtocols allows only TLSv1.3: nothing could be negotiated")
		}
		k.MaxVersion = tls.VersionTLS12
	case len(k.CipherSuites) == 0:
		if k.MaxVersion == tls.VersionTLS12 {
			return fmt.Errorf("names only TLS 1.3 suites, but enabledProtocols allows only TLSv1.2: nothing could be negotiated")
		}
		k.MinVersion = tls.VersionTLS13
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Apply sets the knobs on a configuration ServerConfig or ClientConfig
// made.
func (k Knobs) Apply(cfg *tls.Config) {
	if k.MinVersion != 0 {
		cfg.MinVersion = k.MinVersion
	}
	if k.MaxVersion != 0 {
		cfg.MaxVersion = k.MaxVersion
	}
	if k.CipherSuites != nil {
		cfg.CipherSuites = slices.Clone(k.CipherSuites)
	}
	if k.SkipHostName && cfg.ServerName != "" {
		skipHostName(cfg)
	}
}

// skipHostName verifies the server's chain as crypto/tls would, against
// the same roots and clock, but for no name; then runs the checks settle
// installed (policy, CRLs) on the chains found. crypto/tls has no switch
// for "everything but the name", so verification moves into
// VerifyConnection behind InsecureSkipVerify.
func skipHostName(cfg *tls.Config) {
	next := cfg.VerifyConnection
	roots := cfg.RootCAs
	now := cfg.Time
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("tlsconf: the server sent no certificate")
		}
		opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if now != nil {
			opts.CurrentTime = now()
		}
		for _, c := range cs.PeerCertificates[1:] {
			opts.Intermediates.AddCert(c)
		}
		chains, err := cs.PeerCertificates[0].Verify(opts)
		if err != nil {
			return &tls.CertificateVerificationError{UnverifiedCertificates: cs.PeerCertificates, Err: err}
		}
		cs.VerifiedChains = chains
		if next != nil {
			return next(cs)
		}
		return nil
	}
}
