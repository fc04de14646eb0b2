package topology

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
)

// SSLContext is a node's `tls.format` and `tls.sslContext`: which form of
// its material the node loads, and ActiveMQ's <sslContext> settings.
//
//	tls:
//	  identity: {self_signed: true}
//	  trust: [hub]
//	  format: jks                 # pem (default), jks or p12: generated stores the node loads
//	  sslContext: {keyStorePassword: secret, keyPassword: other, minRSAKeyBits: 2048}
//
// With format jks or p12 the PKI writes the node's keystore and truststore
// in that format with these passwords (default "changeit") and the node
// loads them as a Java broker would, store type by content. keyStore and
// trustStore name existing files instead (relative to the topology file),
// such as keytool made them; the PKI's are then not used.
type SSLContext struct {
	Format                                  string // "pem", "jks" or "p12"; "" is pem, or the given stores
	KeyStore, KeyStorePassword, KeyPassword string
	TrustStore, TrustStorePassword          string
	MinRSAKeyBits                           int // 0: tlsconf's default (2048); -1: no minimum
	Pos                                     Pos
}

// Formats a node's material may be loaded in.
var Formats = []string{"pem", "jks", "p12"}

// String leaves the passwords out.
func (s SSLContext) String() string {
	return fmt.Sprintf("sslContext{format=%s keyStore=%s trustStore=%s}", s.Format, s.KeyStore, s.TrustStore)
}

// UsesStores reports whether the node loads keystores rather than PEM.
func (s *SSLContext) UsesStores() bool {
	return s != nil && (s.Format == "jks" || s.Format == "p12" || s.KeyStore != "" || s.TrustStore != "")
}

var sslContextKeys = []string{"keyStore", "keyStorePassword", "keyPassword", "trustStore", "trustStorePassword", "minRSAKeyBits"}

// sslContext reads tls.format and tls.sslContext into t.SSL.
func (p *parser) sslContext(t *NodeTLS, f map[string]field, at string) bool {
	format, hasFormat := f["format"]
	ctx, hasCtx := f["sslContext"]
	if !hasFormat && !hasCtx {
		return true
	}
	s := &SSLContext{Pos: t.Pos}
	ok := true
	if hasFormat {
		v, good := p.str(format.val, at+"tls.format")
		if good && !slices.Contains(Formats, v) {
			p.errorf(format.val, "%stls.format: %q is not a format: use %s", at, v, strings.Join(Formats, ", "))
			good = false
		}
		s.Format, ok = v, good
	}
	if hasCtx {
		d := deref(ctx.val)
		if d == nil || d.Kind != yaml.MappingNode {
			p.errorf(ctx.val, "%stls.sslContext must be a mapping with keys %s", at, joinKeys(sslContextKeys))
			return false
		}
		what := at + "tls.sslContext"
		cf := p.fields(d, "in tls.sslContext of "+at[:len(at)-2], sslContextKeys...)
		check := func(good bool) { ok = ok && good }
		check(optional(cf, "keyStore", what, p.str, &s.KeyStore))
		check(optional(cf, "keyStorePassword", what, p.str, &s.KeyStorePassword))
		check(optional(cf, "keyPassword", what, p.str, &s.KeyPassword))
		check(optional(cf, "trustStore", what, p.str, &s.TrustStore))
		check(optional(cf, "trustStorePassword", what, p.str, &s.TrustStorePassword))
		check(optional(cf, "minRSAKeyBits", what, func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, -1) }, &s.MinRSAKeyBits))
		if s.Format == "pem" && (s.KeyStore != "" || s.TrustStore != "") {
			p.errorf(ctx.val, "%stls: format pem with sslContext keyStore/trustStore: drop format, or the store paths", at)
			ok = false
		}
	}
	t.SSL = s
	return ok
}

// connectorTLSKeys are the TLS knobs a connector may set on its peer URI.
// ssl: true or false dials ssl:// or tcp:// whatever the peer listens with.
var connectorTLSKeys = []string{"serverName", "verifyHostName", "enabledProtocols", "enabledCipherSuites", "ssl"}

// connectorTLS reads a connector's `tls: {verifyHostName: false, …}`.
func (p *parser) connectorTLS(f map[string]field, what, where string) (map[string]string, bool) {
	v, found := f["tls"]
	if !found {
		return nil, true
	}
	d := deref(v.val)
	if d == nil || d.Kind != yaml.MappingNode {
		p.errorf(v.val, "%s.tls must be a mapping with keys %s, e.g. {enabledProtocols: TLSv1.3}", what, joinKeys(connectorTLSKeys))
		return nil, false
	}
	out := map[string]string{}
	ok := true
	for k, kv := range p.fields(d, "in tls "+where, connectorTLSKeys...) {
		s, good := p.str(kv.val, what+".tls."+k)
		switch {
		case !good:
		case k == "ssl" && s != "true" && s != "false":
			p.errorf(kv.val, "%s.tls.ssl: %q is not true or false", what, s)
			good = false
		case k != "ssl" && k != "serverName":
			if _, err := tlsconf.ParseKnobs(map[string]string{k: s}, true); err != nil {
				p.errorf(kv.val, "%s.tls.%s: %s", what, k, strings.TrimPrefix(err.Error(), "tlsconf: "))
				good = false
			}
		}
		ok = ok && good
		out[k] = s
	}
	return out, ok
}
