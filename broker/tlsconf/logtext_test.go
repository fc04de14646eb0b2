package tlsconf

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Log lines as ActiveMQ, Kafka, a JSSE client and brokerlab write them.
var logTextCases = []struct {
	line   string
	class  Class
	remote bool
	noise  bool
}{
	// ActiveMQ 5.x connector, the tutorial's forgotten keytool -import.
	{"2026-11-22 10:00:01,123 | WARN  | Could not start network bridge between: vm://server-a and: ssl://hub:61617 due to: javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target | org.apache.activemq.network.DiscoveryNetworkConnector",
		ClassUnknownAuthority, false, false},
	{"Caused by: sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: Path does not chain with any of the trust anchors",
		ClassUnknownAuthority, false, false},
	// The hub's side of the same handshake.
	{"2026-11-22 10:00:01,130 | ERROR | Could not accept connection from tcp://127.0.0.1:50412: javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_unknown | org.apache.activemq.broker.TransportConnector | ActiveMQ BrokerService[hub] Task-3",
		ClassBadCertificate, true, false},
	{"javax.net.ssl.SSLHandshakeException: Received fatal alert: bad_certificate", ClassBadCertificate, true, false},
	{"javax.net.ssl.SSLHandshakeException: Received fatal alert: unknown_ca", ClassUnknownAuthority, true, false},
	{"javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_expired", ClassExpired, true, false},
	{"Caused by: java.security.cert.CertificateExpiredException: NotAfter: Sat Nov 21 10:00:00 UTC 2026", ClassExpired, false, false},
	{"Caused by: java.security.cert.CertificateNotYetValidException: NotBefore: Tue Nov 24 10:00:00 UTC 2026", ClassNotYetValid, false, false},
	{"sun.security.validator.ValidatorException: PKIX path validation failed: java.security.cert.CertPathValidatorException: validity check failed", ClassExpired, false, false},
	{"javax.net.ssl.SSLHandshakeException: No subject alternative names matching IP address 127.0.0.1 found", ClassHostnameMismatch, false, false},
	{"javax.net.ssl.SSLHandshakeException: No subject alternative DNS name matching hub found.", ClassHostnameMismatch, false, false},
	{"Caused by: java.security.cert.CertificateException: No name matching hub.example.com found", ClassHostnameMismatch, false, false},
	{"java.security.cert.CertificateException: No subject alternative names present", ClassHostnameMismatch, false, false},
	// Start-up failures of a broker whose sslContext is wrong.
	{"ERROR | Failed to start Apache ActiveMQ (localhost, null) | java.io.IOException: Keystore was tampered with, or password was incorrect", ClassBadKeystorePassword, false, false},
	{"java.io.IOException: keystore password was incorrect\nCaused by: java.security.UnrecoverableKeyException: failed to decrypt safe contents entry: javax.crypto.BadPaddingException: Given final block not properly padded. Such issues can arise if a bad key is used during decryption.",
		ClassBadKeystorePassword, false, false},
	{"java.security.UnrecoverableKeyException: Cannot recover key", ClassBadKeyPassword, false, false},
	{"java.security.UnrecoverableKeyException: Get Key failed: Given final block not properly padded. Such issues can arise if a bad key is used during decryption.", ClassBadKeyPassword, false, false},
	{"java.security.InvalidAlgorithmParameterException: the trustAnchors parameter must be non-empty", ClassTruststoreEmpty, false, false},
	{"java.io.IOException: Invalid keystore format", ClassBadKeystore, false, false},
	// needClientAuth.
	{"javax.net.ssl.SSLHandshakeException: Empty client certificate chain", ClassClientCertRequired, false, false},
	{"javax.net.ssl.SSLHandshakeException: null cert chain", ClassClientCertRequired, false, false},
	{"javax.net.ssl.SSLHandshakeException: Received fatal alert: certificate_required", ClassClientCertRequired, true, false},
	// Negotiation.
	{"javax.net.ssl.SSLHandshakeException: No appropriate protocol (protocol is disabled or cipher suites are inappropriate)", ClassProtocolVersion, false, false},
	{"javax.net.ssl.SSLHandshakeException: The client supported protocol versions [TLSv1.1] are not accepted by server preferences [TLSv1.3, TLSv1.2]", ClassProtocolVersion, false, false},
	{"javax.net.ssl.SSLHandshakeException: Received fatal alert: protocol_version", ClassProtocolVersion, true, false},
	{"javax.net.ssl.SSLHandshakeException: no cipher suites in common", ClassNoCommonCipher, false, false},
	{"org.apache.kafka.common.errors.SslAuthenticationException: SSL handshake failed\nCaused by: javax.net.ssl.SSLHandshakeException: Received fatal alert: handshake_failure", ClassNoCommonCipher, true, false},
	{"javax.net.ssl.SSLException: Unrecognized SSL message, plaintext connection?", ClassNotTLS, false, false},
	{"javax.net.ssl.SSLException: Unsupported or unrecognized SSL message", ClassNotTLS, false, false},
	{"sun.security.validator.ValidatorException: Extended key usage does not permit use for TLS client authentication", ClassBadKeyUsage, false, false},
	{"java.security.cert.CertPathValidatorException: Certificate has been revoked, reason: KEY_COMPROMISE, revocation date: Sun Nov 22 10:00:00 UTC 2026, authority: CN=ca", ClassRevoked, false, false},
	{"javax.net.ssl.SSLException: Received fatal alert: bad_record_mac", ClassBadRecordMAC, true, false},
	{"javax.crypto.AEADBadTagException: Tag mismatch!", ClassBadRecordMAC, false, false},
	// Noise: ActiveMQ logs these on the retries where the cause is lost.
	{"WARN | Transport Connection to: tcp://127.0.0.1:61617 failed: java.net.SocketException: Broken pipe (Write failed)", ClassConnectionReset, false, true},
	{"java.net.SocketException: Connection reset", ClassConnectionReset, false, true},
	{"WARN  | Could not start network bridge between: vm://spoke and: ssl://127.0.0.1:45661 due to: Connection or outbound has closed | org.apache.activemq.network.DiscoveryNetworkConnector | main", ClassConnectionReset, false, true},
	{"javax.net.ssl.SSLHandshakeException: Remote host terminated the handshake", ClassConnectionReset, false, true},
	// brokerlab's own events, in each log format.
	{"12:00:01.200 hub: tls handshake failed as server, peer server-b from 127.0.0.1:50000: unknown-authority: tls: failed to verify certificate", ClassUnknownAuthority, false, false},
	{"12:00:01.200 server-a: bridge server-a->hub failing (hostname-mismatch): x509: certificate is valid for hub-x, not hub", ClassHostnameMismatch, false, false},
	{`time=2026-11-22T10:00:01Z level=WARN msg="tls handshake failed" node=hub side=server class=client-cert-required reason="tls: client didn't provide a certificate"`, ClassClientCertRequired, false, false},
	{`{"time":"2026-11-22T10:00:01Z","level":"WARN","msg":"tls handshake failed","node":"hub","class":"expired"}`, ClassExpired, false, false},
	// Go errors with no event around them.
	{"dial hub: remote error: tls: unknown certificate authority", ClassUnknownAuthority, true, false},
	{"read: local error: tls: bad record MAC", ClassBadRecordMAC, false, false},
	{"tls: failed to verify certificate: x509: certificate signed by unknown authority", ClassUnknownAuthority, false, false},
	{"handshake: tls: first record does not look like a TLS handshake", ClassNotTLS, false, false},
}

func TestClassifyLogText(t *testing.T) {
	for _, tt := range logTextCases {
		m, ok := ClassifyLogText(tt.line)
		if !ok || m.Class != tt.class || m.Remote != tt.remote || m.Noise != tt.noise {
			t.Errorf("ClassifyLogText(%q)\n = %+v, %v\nwant class %s remote %v noise %v", tt.line, m, ok, tt.class, tt.remote, tt.noise)
		}
		if ok && !strings.Contains(tt.line, m.Phrase) {
			t.Errorf("ClassifyLogText(%q): phrase %q is not in the line", tt.line, m.Phrase)
		}
	}
}

// Lines that mention TLS words without reporting a failure are left alone.
func TestClassifyLogTextIgnores(t *testing.T) {
	for _, line := range []string{
		"INFO | Listening for connections at: ssl://0.0.0.0:61617?needClientAuth=true | org.apache.activemq.transport.TransportServerThreadSupport",
		"INFO | Network connection between vm://server-a#0 and ssl://hub/127.0.0.1:61617@50412 (hub) has been established. | org.apache.activemq.network.DemandForwardingBridgeSupport",
		"INFO | Apache ActiveMQ 5.17.6 (localhost, ID:host-1) started",
		"read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout", // no TLS in sight
		"12:00:01.200 server-a: bridge server-a->hub up, peer hub at 127.0.0.1:61617 (duplex)",
		"",
	} {
		if m, ok := ClassifyLogText(line); ok {
			t.Errorf("ClassifyLogText(%q) = %+v, want no match", line, m)
		}
	}
}

// Every class the classifier can return is one of Classes(), whatever the
// input: the fuzzer's invariant, checked on the seed corpus by go test.
func FuzzClassifyLogText(f *testing.F) {
	for _, tt := range logTextCases {
		f.Add(tt.line)
	}
	// Whole logs, stack traces and all, as faults.ScanLog hands records.
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "faults", "testdata", "logs", "*.log"))
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	f.Fuzz(func(t *testing.T, text string) {
		m, ok := ClassifyLogText(text)
		if !ok {
			if m != (LogMatch{}) {
				t.Fatalf("no match but %+v", m)
			}
			return
		}
		if _, known := exactClass(string(m.Class)); !known {
			t.Fatalf("class %q is not one of Classes()", m.Class)
		}
		if m.Phrase == "" {
			t.Fatalf("match %+v has no phrase", m)
		}
	})
}
