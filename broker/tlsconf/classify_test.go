package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

// Typed errors built by hand; the handshake tests cover what crypto/tls
// really returns, including the unexported alert type a received alert has.
func TestClassifyErrors(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("network: bridge server-a->hub: %w", err) }
	verify := func(err error) error { return &tls.CertificateVerificationError{Err: err} }
	cases := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, ClassNone},
		{"unknown authority", verify(x509.UnknownAuthorityError{}), ClassUnknownAuthority},
		{"unknown authority, wrapped twice", wrap(verify(x509.UnknownAuthorityError{})), ClassUnknownAuthority},
		{"system roots", x509.SystemRootsError{}, ClassUnknownAuthority},
		{"hostname", verify(x509.HostnameError{Certificate: &x509.Certificate{DNSNames: []string{"other"}}, Host: "hub"}), ClassHostnameMismatch},
		{"expired", verify(x509.CertificateInvalidError{Reason: x509.Expired, Detail: "current time 2026-11-22T10:00:00Z is after 2026-11-21T10:00:00Z"}), ClassExpired},
		{"not yet valid", verify(x509.CertificateInvalidError{Reason: x509.Expired, Detail: "current time 2026-11-22T10:00:00Z is before 2026-11-23T10:00:00Z"}), ClassNotYetValid},
		{"incompatible usage", verify(x509.CertificateInvalidError{Reason: x509.IncompatibleUsage}), ClassBadKeyUsage},
		{"CA not authorized for EKU", x509.CertificateInvalidError{Reason: x509.CANotAuthorizedForExtKeyUsage}, ClassBadKeyUsage},
		{"no valid chains for key usage", x509.CertificateInvalidError{Reason: x509.NoValidChains, Detail: "1 candidate chains with incompatible key usage, 1 candidate chains with invalid policies"}, ClassBadKeyUsage},
		{"not authorized to sign", x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, ClassOther},
		{"exported AlertError (QUIC)", fmt.Errorf("quic: %w", tls.AlertError(48)), ClassUnknownAuthority},
		{"alert in an OpError", &net.OpError{Op: "remote error", Err: tls.AlertError(116)}, ClassClientCertRequired},
		{"unmapped alert", &net.OpError{Op: "remote error", Err: tls.AlertError(80)}, ClassOther},
		{"record header: not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, ClassNotTLS},
		{"record header: SSLv2", tls.RecordHeaderError{Msg: "unsupported SSLv2 handshake received"}, ClassProtocolVersion},
		{"record header: oversized", tls.RecordHeaderError{Msg: "oversized record received with length 20000"}, ClassOther},
		{"client gave no certificate", errors.New("tls: client didn't provide a certificate"), ClassClientCertRequired},
		{"server picked unsupported version", errors.New("tls: server selected unsupported protocol version 301"), ClassProtocolVersion},
		{"config allows no version", errors.New("tls: no supported versions satisfy MinVersion and MaxVersion"), ClassProtocolVersion},
		{"client offered unsupported versions", errors.New("tls: client offered only unsupported versions: [303]"), ClassProtocolVersion},
		{"no cipher", errors.New("tls: no cipher suite supported by both client and server; client offered: [c02b]"), ClassNoCommonCipher},
		{"deadline", wrap(context.DeadlineExceeded), ClassHandshakeTimeout},
		{"os deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, ClassHandshakeTimeout},
		{"EOF", io.EOF, ClassConnectionReset},
		{"unexpected EOF", io.ErrUnexpectedEOF, ClassConnectionReset},
		{"reset", &net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, ClassConnectionReset},
		{"broken pipe", &net.OpError{Op: "write", Err: os.NewSyscallError("write", syscall.EPIPE)}, ClassConnectionReset},
		{"cancelled is not a timeout", context.Canceled, ClassOther},
		{"closed by us", net.ErrClosed, ClassOther},
		{"anything else", errors.New("stomp: bad frame"), ClassOther},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Classify(tc.err); got != tc.want {
				t.Errorf("Classify(%v) = %q, want %q", tc.err, got, tc.want)
			}
		})
	}
}

// Errors that crossed a process boundary keep only their text, which must
// classify the same.
func TestClassifyText(t *testing.T) {
	cases := map[string]Class{
		"remote error: tls: unknown certificate authority":                                                 ClassUnknownAuthority,
		"bridge server-a->hub: remote error: tls: bad certificate":                                         ClassBadCertificate,
		"remote error: tls: unknown certificate":                                                           ClassBadCertificate,
		"remote error: tls: certificate required":                                                          ClassClientCertRequired,
		"remote error: tls: expired certificate":                                                           ClassExpired,
		"remote error: tls: protocol version not supported":                                                ClassProtocolVersion,
		"remote error: tls: handshake failure":                                                             ClassNoCommonCipher,
		"remote error: tls: unsupported certificate":                                                       ClassBadKeyUsage,
		"local error: tls: bad record MAC":                                                                 ClassBadRecordMAC,
		"tls: failed to verify certificate: x509: certificate signed by unknown authority":                 ClassUnknownAuthority,
		"tls: failed to verify certificate: x509: certificate is valid for other, localhost, not hub":      ClassHostnameMismatch,
		"x509: certificate relies on legacy Common Name field, use SANs instead":                           ClassHostnameMismatch,
		"x509: certificate has expired or is not yet valid: current time 2026-11-22T10:00:00Z is after x":  ClassExpired,
		"x509: certificate has expired or is not yet valid: current time 2026-11-22T10:00:00Z is before x": ClassNotYetValid,
		"tls: failed to verify certificate: x509: certificate specifies an incompatible key usage":         ClassBadKeyUsage,
		"tls: first record does not look like a TLS handshake":                                             ClassNotTLS,
		"read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout":                                                   ClassHandshakeTimeout,
		"read tcp 127.0.0.1:1->127.0.0.1:2: read: connection reset by peer":                                ClassConnectionReset,
		"write tcp 127.0.0.1:1->127.0.0.1:2: write: broken pipe":                                           ClassConnectionReset,
		"EOF":            ClassConnectionReset,
		"handshake: EOF": ClassConnectionReset,
		"tls: no key exchanges supported by both client and server":                                        ClassNoCommonCipher,
		"tlsconf: TLS handshake with 127.0.0.1:1: no answer within 300ms: context deadline exceeded":       ClassHandshakeTimeout,
		"javax.net.ssl.SSLHandshakeException: PKIX path building failed (an unfamiliar stack stays other)": ClassOther,
	}
	for msg, want := range cases {
		if got := Classify(errors.New(msg)); got != want {
			t.Errorf("Classify(%q) = %q, want %q", msg, got, want)
		}
	}
}

// Every alert that decides a class is found from the text crypto/tls
// prints for it, which is how a received alert is recognised.
func TestAlertTextsRoundTrip(t *testing.T) {
	for a, want := range alertClasses {
		err := errors.New("remote error: " + a.Error())
		got, remote, ok := Alert(err)
		if !ok || !remote || got != a {
			t.Errorf("Alert(%q) = %d, %v, %v; want %d received", err, got, remote, ok, a)
		}
		if c := Classify(err); c != want {
			t.Errorf("Classify(%q) = %q, want %q", err, c, want)
		}
	}
	if _, _, ok := Alert(errors.New("tls: bad certificate")); ok {
		t.Error("Alert found an alert in text without a remote/local error prefix")
	}
}

func TestParseClass(t *testing.T) {
	for _, c := range Classes() {
		got, err := ParseClass(string(c))
		if err != nil || got != c {
			t.Errorf("ParseClass(%q) = %q, %v", c, got, err)
		}
	}
	if _, err := ParseClass("untrusted"); err == nil {
		t.Error("ParseClass(untrusted) succeeded")
	}
}
