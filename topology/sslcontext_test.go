package topology

import (
	"strings"
	"testing"
)

func TestSSLContextYAML(t *testing.T) {
	good := `name: t
nodes:
  hub:
    listen: ["stomp+ssl://127.0.0.1:0?needClientAuth=true&enabledProtocols=TLSv1.3"]
    tls: {identity: {self_signed: true}, trust: [a], format: jks, sslContext: {keyStorePassword: s, keyPassword: k, minRSAKeyBits: 3072}}
  a:
    listen: ["stomp://127.0.0.1:0"]
    tls: {identity: {self_signed: true}, trust: [hub]}
    connect: [{to: hub, tls: {verifyHostName: false, serverName: hub.example.com, enabledProtocols: "TLSv1.2,TLSv1.3"}}]
`
	spec, err := Parse("t.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	s := spec.Node("hub").TLS.SSL
	if s == nil || s.Format != "jks" || s.KeyPassword != "k" || s.MinRSAKeyBits != 3072 || !s.UsesStores() {
		t.Fatalf("hub sslContext = %+v", s)
	}
	if strings.Contains(s.String(), "k}") || strings.Contains(s.String(), "=s ") {
		t.Errorf("String shows a password: %s", s)
	}
	c := spec.Node("a").Connect[0]
	if c.TLS["verifyHostName"] != "false" || c.TLS["serverName"] != "hub.example.com" || c.TLS["enabledProtocols"] != "TLSv1.2,TLSv1.3" {
		t.Errorf("connector tls = %v", c.TLS)
	}
	clone := spec.Clone()
	clone.Node("hub").TLS.SSL.Format = "p12"
	clone.Node("a").Connect[0].TLS["serverName"] = "x"
	if s.Format != "jks" || c.TLS["serverName"] != "hub.example.com" {
		t.Error("Clone shares sslContext or connector tls")
	}

	for _, tt := range []struct{ yaml, want string }{
		{"name: t\nnodes:\n  a: {tls: {identity: {self_signed: true}, format: pfx}}\n", `3:52: node "a": tls.format: "pfx" is not a format: use pem, jks, p12`},
		{"name: t\nnodes:\n  a: {tls: {identity: {self_signed: true}, sslContext: {keystore: x}}}\n", `unknown key "keystore" in tls.sslContext of node "a"; allowed: keyStore`},
		{"name: t\nnodes:\n  a: {tls: {identity: {self_signed: true}, sslContext: [x]}}\n", `tls.sslContext must be a mapping`},
		{"name: t\nnodes:\n  a: {listen: [\"stomp://127.0.0.1:0\"]}\n  b: {connect: [{to: a, tls: {verifyHostname: false}}]}\n", `unknown key "verifyHostname" in tls in connect[0] of node "b"`},
		{"name: t\nnodes:\n  a: {listen: [\"stomp://127.0.0.1:0\"]}\n  b: {connect: [{to: a, tls: {enabledProtocols: TLSv1.1}}]}\n", `4:49: node "b": connect[0].tls.enabledProtocols: enabledProtocols="TLSv1.1": TLSv1.1 is disabled`},
		{"name: t\nnodes:\n  a: {listen: [\"stomp://127.0.0.1:0\"]}\n  b: {connect: [{to: a, tls: {ssl: maybe}}]}\n", `connect[0].tls.ssl: "maybe" is not true or false`},
	} {
		_, err := Parse("t.yaml", []byte(tt.yaml))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.yaml, err, tt.want)
		}
	}
}
