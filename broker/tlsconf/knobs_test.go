package tlsconf

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseKnobs(t *testing.T) {
	tests := []struct {
		name      string
		params    map[string]string
		connector bool
		want      Knobs
		wantErr   string
	}{
		{name: "defaults", want: Knobs{}},
		{name: "1.2 only", params: map[string]string{"enabledProtocols": "TLSv1.2"}, want: Knobs{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}},
		{name: "both, prefixed", params: map[string]string{"transport.enabledProtocols": "TLSv1.3, TLSv1.2"}, want: Knobs{MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS13}},
		{name: "1.3 only", params: map[string]string{"socket.enabledProtocols": "TLSv1.3"}, connector: true, want: Knobs{MinVersion: tls.VersionTLS13, MaxVersion: tls.VersionTLS13}},
		{name: "old protocol", params: map[string]string{"enabledProtocols": "TLSv1.1"}, wantErr: `enabledProtocols="TLSv1.1": TLSv1.1 is disabled`},
		{name: "typo protocol", params: map[string]string{"enabledProtocols": "TLS1.2"}, wantErr: `enabledProtocols="TLS1.2": unknown protocol "TLS1.2"`},
		{name: "1.2 suites turn 1.3 off", params: map[string]string{"enabledCipherSuites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
			want: Knobs{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}},
		{name: "java SSL_ name", params: map[string]string{"enabledCipherSuites": "SSL_RSA_WITH_3DES_EDE_CBC_SHA"},
			want: Knobs{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA}}},
		{name: "1.3 suites only", params: map[string]string{"enabledCipherSuites": "TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384,TLS_CHACHA20_POLY1305_SHA256"},
			want: Knobs{MinVersion: tls.VersionTLS13}},
		{name: "some 1.3 suites", params: map[string]string{"enabledCipherSuites": "TLS_AES_128_GCM_SHA256"}, wantErr: "names 1 of the 3 TLS 1.3 suites"},
		{name: "unknown suite", params: map[string]string{"enabledCipherSuites": "TLS_FOO"}, wantErr: `enabledCipherSuites="TLS_FOO": unknown or unsupported cipher suite "TLS_FOO"`},
		{name: "suites contradict protocols", params: map[string]string{"enabledProtocols": "TLSv1.3", "enabledCipherSuites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}, wantErr: "nothing could be negotiated"},
		{name: "verifyHostName off", params: map[string]string{"verifyHostName": "false"}, connector: true, want: Knobs{SkipHostName: true}},
		{name: "socket.verifyHostName", params: map[string]string{"socket.verifyHostName": "true"}, connector: true, want: Knobs{}},
		{name: "verifyHostName junk", params: map[string]string{"verifyHostName": "no"}, connector: true, wantErr: `verifyHostName="no" is not true or false`},
		{name: "verifyHostName on a listener", params: map[string]string{"verifyHostName": "false"}, wantErr: `unknown TLS parameter "verifyHostName"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseKnobs(tt.params, tt.connector)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.MinVersion != tt.want.MinVersion || got.MaxVersion != tt.want.MaxVersion || got.SkipHostName != tt.want.SkipHostName ||
				len(got.CipherSuites) != len(tt.want.CipherSuites) || (len(got.CipherSuites) > 0 && got.CipherSuites[0] != tt.want.CipherSuites[0]) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// knobsPair runs a handshake between two nodes' material with knobs on
// each side, as a broker listener and connector would.
func knobsPair(t *testing.T, srv, cli *Material, auth ClientAuth, sk, ck map[string]string) outcome {
	t.Helper()
	skn, err := ParseKnobs(sk, false)
	if err != nil {
		t.Fatal(err)
	}
	ckn, err := ParseKnobs(ck, true)
	if err != nil {
		t.Fatal(err)
	}
	scfg, err := SourceOf(srv.Files, srv).ServerConfig(auth, skn)
	if err != nil {
		t.Fatal(err)
	}
	ccfg, err := SourceOf(cli.Files, cli).ClientConfig("hub", ckn)
	if err != nil {
		t.Fatal(err)
	}
	return pair(t, scfg, ccfg)
}

// The classes each side reports when listener and connector knobs do not
// meet, measured on real loopback handshakes.
func TestKnobHandshakes(t *testing.T) {
	hub, spoke := node(t, "hub"), node(t, "server-a")
	hubM, spokeM := material(t, hub, hub, spoke), material(t, spoke, spoke, hub)
	wrongName := newCert(t, certSpec{cn: "hub", dns: []string{"hub.example.com"}})
	wrongM := material(t, wrongName, wrongName, spoke)
	spokeTrustsWrong := material(t, spoke, spoke, wrongName)
	anonymous := material(t, nil, hub)
	tests := []struct {
		name               string
		srv, cli           *Material
		auth               ClientAuth
		sk, ck             map[string]string
		client, server     Class
		version            uint16
		clientHandshakeErr bool
		handshakeOnly      bool // pair's read after a TLS 1.2 handshake races its server's close; judge the handshake
	}{
		{name: "defaults agree on 1.3", srv: hubM, cli: spokeM, auth: NeedClientCert, version: tls.VersionTLS13},
		{name: "both 1.2", srv: hubM, cli: spokeM, auth: NeedClientCert, sk: map[string]string{"enabledProtocols": "TLSv1.2"}, version: tls.VersionTLS12, handshakeOnly: true},
		{name: "version mismatch", srv: hubM, cli: spokeM, auth: NeedClientCert, sk: map[string]string{"enabledProtocols": "TLSv1.3"}, ck: map[string]string{"enabledProtocols": "TLSv1.2"},
			client: ClassProtocolVersion, server: ClassProtocolVersion, clientHandshakeErr: true},
		{name: "no common cipher", srv: hubM, cli: spokeM, auth: NeedClientCert,
			sk: map[string]string{"enabledCipherSuites": "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}, ck: map[string]string{"enabledCipherSuites": "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
			client: ClassNoCommonCipher, server: ClassNoCommonCipher, clientHandshakeErr: true},
		{name: "name checked by default", srv: wrongM, cli: spokeTrustsWrong, auth: NeedClientCert, client: ClassHostnameMismatch, server: ClassBadCertificate, clientHandshakeErr: true},
		{name: "verifyHostName=false skips only the name", srv: wrongM, cli: spokeTrustsWrong, auth: NeedClientCert, ck: map[string]string{"verifyHostName": "false"}, version: tls.VersionTLS13},
		{name: "verifyHostName=false still checks trust", srv: wrongM, cli: spokeM, auth: NeedClientCert, ck: map[string]string{"verifyHostName": "false"},
			client: ClassUnknownAuthority, server: ClassBadCertificate, clientHandshakeErr: true},
		{name: "no client certificate under needClientAuth, TLS 1.3: on the first read", srv: hubM, cli: anonymous, auth: NeedClientCert,
			client: ClassClientCertRequired, server: ClassClientCertRequired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := knobsPair(t, tt.srv, tt.cli, tt.auth, tt.sk, tt.ck)
			if tt.handshakeOnly {
				o.client = o.clientHandshake
			}
			if got := Classify(o.client); got != tt.client {
				t.Errorf("client class = %q (%v), want %q", got, o.client, tt.client)
			}
			if got := Classify(o.server); got != tt.server {
				t.Errorf("server class = %q (%v), want %q", got, o.server, tt.server)
			}
			if (o.clientHandshake != nil) != tt.clientHandshakeErr {
				t.Errorf("client handshake error = %v, want one: %v", o.clientHandshake, tt.clientHandshakeErr)
			}
			if tt.version != 0 && o.serverState.Version != tt.version {
				t.Errorf("version = %s, want %s", tls.VersionName(o.serverState.Version), tls.VersionName(tt.version))
			}
		})
	}
}

func TestPolicyWeakKeyAndClock(t *testing.T) {
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	hubWeak := newCert(t, certSpec{cn: "hub", dns: []string{"hub"}, key: weak})
	spoke := node(t, "server-a")
	hubM, spokeM := material(t, hubWeak, spoke), material(t, spoke, spoke, hubWeak)
	o := knobsPair(t, hubM, spokeM, NeedClientCert, nil, nil)
	if got := Classify(o.client); got != ClassWeakKey {
		t.Errorf("client class = %q (%v), want weak-key", got, o.client)
	}
	if got := Classify(o.server); got != ClassBadCertificate {
		t.Errorf("server class = %q (%v), want bad-certificate", got, o.server)
	}
	// A lower minimum admits the same key.
	spokeM.Policy.MinRSAKeyBits = 1024
	if o := knobsPair(t, hubM, spokeM, NeedClientCert, nil, nil); o.client != nil || o.server != nil {
		t.Errorf("with MinRSAKeyBits 1024: client %v, server %v", o.client, o.server)
	}

	// A clock two days ahead sees the hub's one-day certificate expired.
	hub := node(t, "hub")
	hubM, spokeM = material(t, hub, hub, spoke), material(t, spoke, spoke, hub)
	spokeM.Policy.ClockOffset = 48 * time.Hour
	o = knobsPair(t, hubM, spokeM, NeedClientCert, nil, nil)
	if got := Classify(o.client); got != ClassExpired {
		t.Errorf("skewed client class = %q (%v), want expired", got, o.client)
	}
}

func TestSourceReload(t *testing.T) {
	dir := t.TempDir()
	first, second := node(t, "hub"), node(t, "hub")
	f := Files{CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem"), TrustFile: filepath.Join(dir, "trust.pem")}
	put := func(c *testCert) {
		for path, data := range map[string][]byte{f.CertFile: c.certPEM, f.KeyFile: c.keyPEM, f.TrustFile: nil} {
			if err := os.WriteFile(path, data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	put(first)
	src, err := NewSource(f)
	if err != nil {
		t.Fatal(err)
	}
	scfg, err := src.ServerConfig(NoClientCert, Knobs{})
	if err != nil {
		t.Fatal(err)
	}
	served := func() *x509.Certificate {
		client := material(t, nil, first, second)
		ccfg, err := ClientConfig(client, "hub")
		if err != nil {
			t.Fatal(err)
		}
		ln := listen(t)
		go func() {
			if c, err := ln.Accept(); err == nil {
				tc := tls.Server(c, scfg)
				tc.Handshake()
				tc.Close()
			}
		}()
		tc, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
		if err != nil {
			t.Fatalf("handshake: %v", err)
		}
		defer tc.Close()
		return tc.ConnectionState().PeerCertificates[0]
	}
	if !served().Equal(first.cert) {
		t.Fatal("before reload: not the first certificate")
	}
	// A half-done rotation (new certificate, old key) is refused and the
	// old material stays.
	os.WriteFile(f.CertFile, second.certPEM, 0o600)
	if _, err := src.Reload(); Classify(err) != ClassKeyMismatch {
		t.Fatalf("reload with a mismatched key: %v (class %s), want key-mismatch", err, Classify(err))
	}
	if !served().Equal(first.cert) {
		t.Fatal("after a failed reload: not the first certificate")
	}
	put(second)
	if _, err := src.Reload(); err != nil {
		t.Fatal(err)
	}
	if !served().Equal(second.cert) {
		t.Fatal("after reload: not the second certificate")
	}
}
