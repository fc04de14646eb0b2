package tlsconf

import (
	"crypto/tls"
	"strings"
)

// A Java broker (ActiveMQ, Kafka, Artemis) says the same failures in other
// words: JSSE's exception messages, the alerts it received, the
// certificate-path errors of sun.security.validator. ClassifyLogText reads
// those words, and Go's and brokerlab's own, into the one set of classes,
// so that `brokerlab explain` turns a Java broker's log into the same
// diagnosis a brokerlab scenario gives.
//
// The texts below are JSSE's as Java 8 to 21 print them; the order of the table decides when a record holds more
// than one, so the most specific cause comes first: a stack trace says
// "PKIX path validation failed" and, three lines down, why.

// LogMatch is what ClassifyLogText found in the text of one log record.
type LogMatch struct {
	Class Class
	// Phrase is the words that decided, as the log has them.
	Phrase string
	// Remote: the peer said it (a received alert), so the cause, and the
	// fuller error, are in the peer's log; this side only heard the verdict.
	Remote bool
	// Noise: a symptom with no cause in it ("Broken pipe", "Connection
	// reset"). A Java broker often logs the real cause on only some retries
	// and these on the others, so noise is worth reading only when nothing
	// else is there.
	Noise bool
}

// logPhrase is one entry of the table. remote and noise are copied into the
// LogMatch.
type logPhrase struct {
	substr string
	class  Class
	remote bool
	noise  bool
}

// javaPhrases, most specific first.
var javaPhrases = []logPhrase{
	// Keystores: a Java broker with a wrong password exits at start-up.
	// A PKCS#12 store with the wrong store password says both "password was
	// incorrect" and, as its cause, "Given final block not properly
	// padded", so the store's message must win over the key's.
	{substr: "Keystore was tampered with, or password was incorrect", class: ClassBadKeystorePassword},
	{substr: "keystore password was incorrect", class: ClassBadKeystorePassword},
	{substr: "Password verification failed", class: ClassBadKeystorePassword}, // JKS, as the cause of the above
	{substr: "Cannot recover key", class: ClassBadKeyPassword},
	{substr: "Given final block not properly padded", class: ClassBadKeyPassword},
	{substr: "the trustAnchors parameter must be non-empty", class: ClassTruststoreEmpty},
	{substr: "Invalid keystore format", class: ClassBadKeystore},
	{substr: "DerInputStream.getLength(): lengthTag", class: ClassBadKeystore},

	// Revocation, then the validity window: both arrive wrapped in "PKIX
	// path validation failed", which alone says nothing.
	{substr: "Certificate has been revoked", class: ClassRevoked},
	{substr: "Received fatal alert: certificate_revoked", class: ClassRevoked, remote: true},
	{substr: "CertificateNotYetValidException", class: ClassNotYetValid},
	{substr: "NotBefore:", class: ClassNotYetValid},
	{substr: "CertificateExpiredException", class: ClassExpired},
	{substr: "NotAfter:", class: ClassExpired},
	{substr: "Received fatal alert: certificate_expired", class: ClassExpired, remote: true},
	{substr: "validity check failed", class: ClassExpired},

	// Key usage.
	{substr: "Extended key usage does not permit use for TLS", class: ClassBadKeyUsage},
	{substr: "KeyUsage does not allow", class: ClassBadKeyUsage},
	{substr: "Received fatal alert: unsupported_certificate", class: ClassBadKeyUsage, remote: true},

	// Names: Java checks SANs for IP addresses, SANs then the CN for DNS
	// names.
	{substr: "No subject alternative names matching IP address", class: ClassHostnameMismatch},
	{substr: "No subject alternative DNS name matching", class: ClassHostnameMismatch},
	{substr: "No subject alternative names present", class: ClassHostnameMismatch},
	{substr: "No name matching", class: ClassHostnameMismatch},
	{substr: "doesn't match any of the subject alternative names", class: ClassHostnameMismatch},
	{substr: "Received fatal alert: unrecognized_name", class: ClassHostnameMismatch, remote: true},

	// Trust.
	{substr: "PKIX path building failed", class: ClassUnknownAuthority},
	{substr: "unable to find valid certification path", class: ClassUnknownAuthority},
	{substr: "Path does not chain with any of the trust anchors", class: ClassUnknownAuthority},
	{substr: "Received fatal alert: unknown_ca", class: ClassUnknownAuthority, remote: true},

	// Client certificates under needClientAuth.
	{substr: "Empty client certificate chain", class: ClassClientCertRequired},
	{substr: "null cert chain", class: ClassClientCertRequired},
	{substr: "Received fatal alert: certificate_required", class: ClassClientCertRequired, remote: true},

	// The peer refused our certificate and did not say why.
	{substr: "Received fatal alert: certificate_unknown", class: ClassBadCertificate, remote: true},
	{substr: "Received fatal alert: bad_certificate", class: ClassBadCertificate, remote: true},

	// Negotiation.
	{substr: "No appropriate protocol", class: ClassProtocolVersion},
	{substr: "Received fatal alert: protocol_version", class: ClassProtocolVersion, remote: true},
	{substr: "are not accepted by server preferences", class: ClassProtocolVersion},
	{substr: "is not enabled or supported in server context", class: ClassProtocolVersion},
	{substr: "not accepted by client preferences", class: ClassProtocolVersion},
	{substr: "no cipher suites in common", class: ClassNoCommonCipher},
	{substr: "No available authentication scheme", class: ClassNoCommonCipher},
	{substr: "Received fatal alert: insufficient_security", class: ClassNoCommonCipher, remote: true},
	// handshake_failure is also what a TLS 1.2 server sends a client that
	// has no certificate; the explanation says so.
	{substr: "Received fatal alert: handshake_failure", class: ClassNoCommonCipher, remote: true},

	// Not TLS at all.
	{substr: "Unrecognized SSL message, plaintext connection?", class: ClassNotTLS},
	{substr: "Unsupported or unrecognized SSL message", class: ClassNotTLS},
	{substr: "plaintext connection?", class: ClassNotTLS},

	// Bytes changed in transit.
	{substr: "Received fatal alert: bad_record_mac", class: ClassBadRecordMAC, remote: true},
	{substr: "bad record MAC", class: ClassBadRecordMAC},
	{substr: "Tag mismatch", class: ClassBadRecordMAC}, // AEADBadTagException on a damaged GCM record

	// Symptoms without a cause.
	{substr: "Remote host terminated the handshake", class: ClassConnectionReset, noise: true},
	{substr: "Remote host closed connection during handshake", class: ClassConnectionReset, noise: true},
	// SSLEngine's words for a peer that went away: ActiveMQ's connector
	// logs the cause at INFO ("Error with pending remote brokerInfo … (PKIX
	// …)") and only this at WARN.
	{substr: "Connection or outbound has closed", class: ClassConnectionReset, noise: true},
	{substr: "Connection or inbound has closed", class: ClassConnectionReset, noise: true},
	{substr: "Broken pipe", class: ClassConnectionReset, noise: true},
	{substr: "Connection reset", class: ClassConnectionReset, noise: true},
}

// tlsContext are words that make a Go error text a TLS matter; Go's own
// phrases ("i/o timeout", "EOF") are read only in their company.
var tlsContext = []string{"tls:", "x509:", "handshake", "TLS", "SSL", "ssl"}

// ClassifyLogText reads one log record (a line, or a line and the stack
// trace under it) and names the TLS failure it reports, if it reports one.
// It reads Java's words first, then brokerlab's own (an event line names
// its class), then Go's error texts.
func ClassifyLogText(text string) (LogMatch, bool) {
	for _, p := range javaPhrases {
		if strings.Contains(text, p.substr) {
			return LogMatch{Class: p.class, Phrase: p.substr, Remote: p.remote, Noise: p.noise}, true
		}
	}
	if m, ok := brokerlabClass(text); ok {
		return m, true
	}
	if !containsAny(text, tlsContext) {
		return LogMatch{}, false
	}
	if a, remote, ok := alertInText(text); ok {
		if c, known := alertClasses[a]; known {
			return LogMatch{Class: c, Phrase: a.Error(), Remote: remote}, true
		}
	}
	for _, t := range textClasses {
		if strings.Contains(text, t.substr) {
			m := LogMatch{Class: t.class, Phrase: t.substr}
			m.Noise = t.class == ClassConnectionReset
			return m, true
		}
	}
	return LogMatch{}, false
}

// brokerlabClass finds the class a brokerlab event names: "class=expired"
// (slog text), `"class":"expired"` (JSON), or the human line's
// "tls handshake failed as server, …: expired: …" and "failing (expired)".
func brokerlabClass(text string) (LogMatch, bool) {
	for _, key := range []string{"class=", `"class":"`} {
		if i := strings.Index(text, key); i >= 0 {
			if c, ok := leadingClass(text[i+len(key):]); ok {
				return LogMatch{Class: c, Phrase: key + string(c)}, true
			}
		}
	}
	if strings.Contains(text, "tls handshake failed") {
		for _, f := range strings.Split(text, ": ") {
			if c, ok := exactClass(f); ok {
				return LogMatch{Class: c, Phrase: string(c)}, true
			}
		}
	}
	if i := strings.Index(text, " failing ("); i >= 0 {
		if c, ok := leadingClass(text[i+len(" failing ("):]); ok {
			return LogMatch{Class: c, Phrase: "failing (" + string(c) + ")"}, true
		}
	}
	return LogMatch{}, false
}

// leadingClass reads a class name at the start of s, up to the first
// character that cannot be in one.
func leadingClass(s string) (Class, bool) {
	end := strings.IndexFunc(s, func(r rune) bool { return !(r == '-' || r >= 'a' && r <= 'z') })
	if end < 0 {
		end = len(s)
	}
	return exactClass(s[:end])
}

func exactClass(s string) (Class, bool) {
	for _, c := range Classes() {
		if string(c) == s {
			return c, true
		}
	}
	return ClassNone, false
}

// alertInText finds Go's "remote error: tls: X" or "local error: tls: X"
// anywhere in a line, not only at its end as Alert does.
func alertInText(text string) (a tls.AlertError, remote, ok bool) {
	for _, side := range []string{"remote error: ", "local error: "} {
		i := strings.Index(text, side)
		if i < 0 {
			continue
		}
		rest := text[i+len(side):]
		best := ""
		for msg, code := range alertByText() {
			// The longest name wins: "tls: bad certificate" must not be
			// read as a shorter alert that happens to be its prefix.
			if strings.HasPrefix(rest, msg) && len(msg) > len(best) && !strings.HasPrefix(msg, "tls: alert(") {
				best, a = msg, code
			}
		}
		if best != "" {
			return a, side == "remote error: ", true
		}
	}
	return 0, false, false
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
