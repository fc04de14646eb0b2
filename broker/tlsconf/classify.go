package tlsconf

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Alert codes (RFC 5246 §7.2, RFC 8446 §6) that decide a class. crypto/tls
// keeps its own names unexported; tls.AlertError carries the same numbers.
const (
	alertBadRecordMAC           tls.AlertError = 20
	alertHandshakeFailure       tls.AlertError = 40
	alertBadCertificate         tls.AlertError = 42
	alertUnsupportedCertificate tls.AlertError = 43
	alertCertificateRevoked     tls.AlertError = 44
	alertCertificateExpired     tls.AlertError = 45
	alertCertificateUnknown     tls.AlertError = 46
	alertUnknownCA              tls.AlertError = 48
	alertProtocolVersion        tls.AlertError = 70
	alertInsufficientSecurity   tls.AlertError = 71
	alertInappropriateFallback  tls.AlertError = 86
	alertUnrecognizedName       tls.AlertError = 112
	alertCertificateRequired    tls.AlertError = 116
)

// alertClasses maps the alert a handshake ended with to a class.
var alertClasses = map[tls.AlertError]Class{
	alertUnknownCA:           ClassUnknownAuthority,
	alertBadCertificate:      ClassBadCertificate, // what Go clients send for any server certificate they refuse
	alertCertificateUnknown:  ClassBadCertificate, // Java's and OpenSSL's equally vague "certificate_unknown"
	alertCertificateRevoked:  ClassBadCertificate,
	alertCertificateExpired:  ClassExpired, // Go servers send it for not-yet-valid client certificates too
	alertCertificateRequired: ClassClientCertRequired,
	// RFC 5280 EKU failures: OpenSSL says "unsupported certificate".
	alertUnsupportedCertificate: ClassBadKeyUsage,
	alertProtocolVersion:        ClassProtocolVersion,
	alertInappropriateFallback:  ClassProtocolVersion,
	// handshake_failure is Go's alert for "no cipher suite, curve or key
	// exchange in common". Caution: over TLS 1.2 a Go server that requires a
	// client certificate and got none also sends handshake_failure (TLS 1.3
	// has certificate_required); the client cannot tell the two apart from
	// the alert alone.
	alertHandshakeFailure:     ClassNoCommonCipher,
	alertInsufficientSecurity: ClassNoCommonCipher,
	// The server has no certificate for the name asked for (SNI).
	alertUnrecognizedName: ClassHostnameMismatch,
	// A record that does not decrypt: something between the ends changed
	// bytes (the corrupt-record fault does it on purpose).
	alertBadRecordMAC: ClassBadRecordMAC,
}

// alertByText maps the text crypto/tls prints for each alert ("tls: bad
// certificate") back to its code. Received alerts arrive as a *net.OpError
// whose Err is crypto/tls's unexported alert type; its text, taken from the
// exported tls.AlertError for every code, is the stable way back to a number.
var alertByText = sync.OnceValue(func() map[string]tls.AlertError {
	m := make(map[string]tls.AlertError, 256)
	for i := 0; i < 256; i++ {
		m[tls.AlertError(i).Error()] = tls.AlertError(i)
	}
	return m
})

// Alert returns the TLS alert that ended the connection err came from, and
// whether the peer sent it (remote) or this side did. crypto/tls reports a
// received alert as &net.OpError{Op: "remote error", Err: alert} and a sent
// one as Op "local error"; over QUIC, and wrapped by some callers, it is a
// tls.AlertError.
func Alert(err error) (a tls.AlertError, remote, ok bool) {
	if op, isOp := errors.AsType[*net.OpError](err); isOp && op.Err != nil &&
		(op.Op == "remote error" || op.Op == "local error") {
		if ae, isAE := op.Err.(tls.AlertError); isAE {
			return ae, op.Op == "remote error", true
		}
		if ae, found := alertByText()[op.Err.Error()]; found {
			return ae, op.Op == "remote error", true
		}
	}
	if ae, isAE := errors.AsType[tls.AlertError](err); isAE {
		return ae, false, true
	}
	// An error that crossed a process boundary as text.
	msg := err.Error()
	for _, side := range []string{"remote error: ", "local error: "} {
		if i := strings.LastIndex(msg, side); i >= 0 {
			if ae, found := alertByText()[msg[i+len(side):]]; found {
				return ae, side == "remote error: ", true
			}
		}
	}
	return 0, false, false
}

// Classify names the TLS failure err reports: a handshake error from either
// side, or the error of a client's first read after a TLS 1.3 handshake
// whose certificate the server refused. nil is ClassNone; an error that is
// none of the known failures is ClassOther.
func Classify(err error) Class {
	if err == nil {
		return ClassNone
	}
	if c := classifyX509(err); c != ClassNone {
		return c
	}
	if a, _, ok := Alert(err); ok {
		if c, known := alertClasses[a]; known {
			return c
		}
		return ClassOther
	}
	if rh, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return classifyRecordHeader(rh)
	}
	if c := classifyText(err.Error()); c != ClassNone {
		return c
	}
	if isTimeout(err) {
		return ClassHandshakeTimeout
	}
	if isReset(err) {
		return ClassConnectionReset
	}
	return ClassOther
}

// classifyX509 handles the verifier's typed errors, which crypto/tls wraps
// in a *tls.CertificateVerificationError on the side that refused.
func classifyX509(err error) Class {
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		// Go refuses a SHA-1 or MD5 signature as "signed by unknown
		// authority (possibly because of ... insecure algorithm ...)".
		if strings.Contains(err.Error(), "insecure algorithm") {
			return ClassBadSignatureAlgorithm
		}
		return ClassUnknownAuthority
	}
	if _, ok := errors.AsType[x509.SystemRootsError](err); ok {
		return ClassUnknownAuthority
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return ClassHostnameMismatch
	}
	ci, ok := errors.AsType[x509.CertificateInvalidError](err)
	if !ok {
		return ClassNone
	}
	switch ci.Reason {
	case x509.Expired:
		// Go uses Reason Expired for both ends of the validity window; only
		// the detail ("current time X is before Y") tells them apart.
		if strings.Contains(ci.Detail, "is before") ||
			ci.Detail == "" && ci.Cert != nil && time.Now().Before(ci.Cert.NotBefore) {
			return ClassNotYetValid
		}
		return ClassExpired
	case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
		return ClassBadKeyUsage
	case x509.NoValidChains:
		if strings.Contains(ci.Detail, "incompatible key usage") {
			return ClassBadKeyUsage
		}
	}
	return ClassOther
}

func classifyRecordHeader(rh tls.RecordHeaderError) Class {
	switch {
	case strings.Contains(rh.Msg, "does not look like a TLS handshake"):
		return ClassNotTLS
	case strings.Contains(rh.Msg, "SSLv2"):
		return ClassProtocolVersion
	}
	return ClassOther
}

// textClass is one entry of textClasses: a phrase and the class it names.
type textClass struct {
	substr string
	class  Class
}

// textClasses are matched, in order, where Go exposes no type, and for
// errors that arrive as text (from a child process, or a log line).
var textClasses = []textClass{
	{"client didn't provide a certificate", ClassClientCertRequired},
	{"does not look like a TLS handshake", ClassNotTLS},
	{"server selected unsupported protocol version", ClassProtocolVersion},
	{"no supported versions", ClassProtocolVersion},
	{"unsupported versions", ClassProtocolVersion},
	{"offered TLS version older than", ClassProtocolVersion},
	{"no cipher suite supported by both", ClassNoCommonCipher},
	{"no key exchanges supported by both", ClassNoCommonCipher},
	{"no supported elliptic curves", ClassNoCommonCipher},
	// x509's own texts, for errors that lost their types on the way.
	{"x509: certificate signed by unknown authority", ClassUnknownAuthority},
	{"x509: certificate is valid for", ClassHostnameMismatch},
	{"x509: certificate is not valid for any names", ClassHostnameMismatch},
	{"x509: certificate relies on legacy Common Name", ClassHostnameMismatch},
	{"x509: certificate specifies an incompatible key usage", ClassBadKeyUsage},
	{"i/o timeout", ClassHandshakeTimeout},
	{"context deadline exceeded", ClassHandshakeTimeout},
	{"connection reset by peer", ClassConnectionReset},
	{"broken pipe", ClassConnectionReset},
	{"unexpected EOF", ClassConnectionReset},
}

func classifyText(msg string) Class {
	if strings.Contains(msg, "x509: certificate has expired or is not yet valid") {
		if strings.Contains(msg, "is before") {
			return ClassNotYetValid
		}
		return ClassExpired
	}
	for _, t := range textClasses {
		if strings.Contains(msg, t.substr) {
			return t.class
		}
	}
	if msg == "EOF" || strings.HasSuffix(msg, ": EOF") {
		return ClassConnectionReset
	}
	return ClassNone
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}

// isReset reports a peer that went away mid-handshake without an alert.
// io.EOF counts: during a handshake, or before the first byte a TLS 1.3
// client reads, a clean close is as much a refusal as a reset.
func isReset(err error) bool {
	for _, target := range []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.EPIPE, syscall.ECONNABORTED} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// PeerCertificates returns the certificates the peer presented when
// verification of them failed (from a *tls.CertificateVerificationError
// anywhere in err's chain), leaf first; nil if there is none.
func PeerCertificates(err error) []*x509.Certificate {
	if cv, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return cv.UnverifiedCertificates
	}
	return nil
}
