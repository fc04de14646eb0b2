package faults

import "github.com/brokerlab/brokerlab/broker/tlsconf"

// Advice is what a failure class means and how to fix it, for a log line
// read on its own: unlike Explain, there is no topology and there are no
// certificate files to be specific with, so it speaks of "this side" (the
// process that wrote the log) and "the peer".
type Advice struct {
	Meaning string
	Fix     string
}

// LogAdvice says what a classified log record means and what to do. The
// fix is given as keytool/ActiveMQ/Kafka settings, since the logs it reads
// are mostly theirs, and in brokerlab's terms where they differ.
func LogAdvice(m tlsconf.LogMatch) Advice {
	if m.Remote {
		if a, ok := remoteAdvice[m.Class]; ok {
			return a
		}
	}
	if a, ok := logAdvice[m.Class]; ok {
		return a
	}
	return Advice{
		Meaning: "A TLS failure brokerlab does not classify more precisely.",
		Fix:     "Read the peer's log for the same moment, and run the Java side with -Djavax.net.debug=ssl:handshake to see which step failed.",
	}
}

// remoteAdvice is for alerts this side received: the peer refused, and the
// cause is on its side.
var remoteAdvice = map[tlsconf.Class]Advice{
	tlsconf.ClassUnknownAuthority: {
		Meaning: "The peer does not trust this side's certificate: it is not in the peer's truststore, and neither is the authority that signed it.",
		Fix:     "Import this side's certificate (or its CA's) into the peer's truststore: keytool -import -alias <this-broker> -file <this-broker>.cert -keystore <peer>.ts; brokerlab: add this node to nodes.<peer>.tls.trust.",
	},
	tlsconf.ClassBadCertificate: {
		Meaning: "The peer refused this side's certificate without saying why (alert certificate_unknown or bad_certificate). Java sends certificate_unknown for any certificate it cannot verify; most often this side's certificate is not in the peer's truststore, else it expired, is revoked or has the wrong key usage.",
		Fix:     "Read the peer's log for the same moment: it names the cause (PKIX path building failed = import this side's certificate into the peer's truststore: keytool -import -alias <this-broker> -file <this-broker>.cert -keystore <peer>.ts).",
	},
	tlsconf.ClassExpired: {
		Meaning: "The peer says this side's certificate has expired (or, from a Go peer, is not valid yet: Go sends the same alert for both).",
		Fix:     "Check the dates (keytool -list -v -keystore <this-broker>.ks, or openssl x509 -noout -dates) and both clocks; renew the certificate and re-import it into every truststore that pins it.",
	},
	tlsconf.ClassClientCertRequired: {
		Meaning: "The peer requires a client certificate (needClientAuth / ssl.client.auth=required) and this side sent none. A Java (or Go) client sends none when none of its certificates was issued by an authority the peer lists as acceptable, so \"the peer does not trust my certificate\" looks exactly like this. Under TLS 1.3 this side's handshake seemed to succeed and the refusal came on the first read.",
		Fix:     "Make sure the peer's truststore holds this side's certificate or its CA's (keytool -import -alias <this-broker> -file <this-broker>.cert -keystore <peer>.ts), and that this side's connector has a keystore with its key (ActiveMQ: keyStore/keyStorePassword in <sslContext>; Kafka: ssl.keystore.location).",
	},
	tlsconf.ClassRevoked: {
		Meaning: "The peer checked a CRL and found this side's certificate revoked.",
		Fix:     "A revoked certificate stays revoked: issue this side a new key pair and certificate from its CA and import it where needed.",
	},
	tlsconf.ClassBadKeyUsage: {
		Meaning: "The peer refused this side's certificate for its key usage: its extended key usage lacks serverAuth or clientAuth.",
		Fix:     "Re-issue the certificate with both (keytool -genkeypair … -ext EKU=serverAuth,clientAuth): every broker in a network is both a server and a client.",
	},
	tlsconf.ClassHostnameMismatch: {
		Meaning: "The peer has no certificate for the server name this side asked for (alert unrecognized_name).",
		Fix:     "Dial the peer by a name its certificate has, or give its certificate that name as a SAN.",
	},
	tlsconf.ClassBadRecordMAC: {
		Meaning: "The peer could not decrypt a record this side sent: bytes changed between the two (a faulty proxy, NIC or load balancer, or a fault injected on purpose).",
		Fix:     "Look at what sits between the two ends (TLS-inspecting proxies, load balancers, NICs with offload bugs); the connection cannot be resumed and must be redialled.",
	},
}

var logAdvice = map[tlsconf.Class]Advice{
	tlsconf.ClassUnknownAuthority: {
		Meaning: "This side does not trust the peer's certificate: neither it nor the authority that signed it is in this side's truststore (PKIX: no certification path to a trusted certificate). The classic cause is a forgotten keytool -import.",
		Fix:     "Import the peer's certificate (self-signed) or its CA's certificate into this side's truststore: keytool -import -alias <peer> -file <peer>.cert -keystore <this-broker>.ts; if the peer is CA-signed, make it send its intermediates too. brokerlab: add the peer to nodes.<this>.tls.trust.",
	},
	tlsconf.ClassHostnameMismatch: {
		Meaning: "The peer's certificate is trusted but not valid for the name or IP address this side dialled: no SAN matches (Java falls back to the CN for DNS names, never for IP addresses; Go never does).",
		Fix:     "Re-issue the peer's certificate with the name dialled as a SAN (keytool -genkeypair … -ext SAN=dns:<host>,ip:<address>), or dial it by a name it has. Turning verification off (ActiveMQ verifyHostName=false, Kafka ssl.endpoint.identification.algorithm=) hides the mistake.",
	},
	tlsconf.ClassExpired: {
		Meaning: "A certificate in the peer's chain has expired as this side's clock sees it (NotAfter is in the past).",
		Fix:     "Renew the certificate (keytool -genkeypair … -validity <days>, re-import it into every truststore that pins it) and check both clocks (NTP).",
	},
	tlsconf.ClassNotYetValid: {
		Meaning: "A certificate in the peer's chain is not valid yet as this side's clock sees it (NotBefore is in the future): a clock behind, or a certificate issued with a start date ahead.",
		Fix:     "Synchronise the clocks (NTP), or re-issue the certificate with a start date in the past (keytool -startdate -1d).",
	},
	tlsconf.ClassBadKeyUsage: {
		Meaning: "The peer's certificate is not allowed for this use: its (extended) key usage lacks serverAuth (for a listener) or clientAuth (for a connector).",
		Fix:     "Re-issue it with both (keytool -ext EKU=serverAuth,clientAuth -ext KU=digitalSignature,keyEncipherment): every broker in a network listens and dials.",
	},
	tlsconf.ClassBadCertificate: {
		Meaning: "A certificate was refused without a reason.",
		Fix:     "Read the other side's log for the same moment; it names the cause.",
	},
	tlsconf.ClassClientCertRequired: {
		Meaning: "This side requires a client certificate and the client sent none (an empty Certificate message). A Java or Go client also sends none when none of its certificates was issued by an authority this side lists as acceptable, so a missing trust entry looks the same.",
		Fix:     "Give the client a keystore with its key and certificate (ActiveMQ: keyStore in the client's <sslContext>; Kafka: ssl.keystore.location) and import its certificate into this side's truststore (keytool -import -alias <client> -file <client>.cert -keystore <this-broker>.ts).",
	},
	tlsconf.ClassProtocolVersion: {
		Meaning: "The two sides have no TLS version in common: one allows only versions the other refuses (e.g. TLSv1.3 only against TLSv1.2 only, or an old TLSv1/1.1 client against a JVM that disables them).",
		Fix:     "Allow a common version on both sides, TLSv1.2 and TLSv1.3: ActiveMQ transport.enabledProtocols=TLSv1.2,TLSv1.3 on the URI, Kafka ssl.enabled.protocols; check jdk.tls.disabledAlgorithms in java.security.",
	},
	tlsconf.ClassNoCommonCipher: {
		Meaning: "The two sides share no cipher suite, or no key type and signature algorithm they both accept (e.g. an ECDSA key against RSA-only suites). Over TLS 1.2, handshake_failure is also what a server sends a client that has no certificate when one is required.",
		Fix:     "Give both sides overlapping suites (the defaults overlap: remove enabledCipherSuites / ssl.cipher.suites restrictions) and a key type both accept; if the server requires client certificates, check that the client has one.",
	},
	tlsconf.ClassNotTLS: {
		Meaning: "One side spoke TLS and the other did not: a plaintext client on a TLS port, or a TLS client on a plaintext port (the TLS side read bytes that are not a TLS record).",
		Fix:     "Make the schemes agree: ssl:// (stomp+ssl://) connectors to ssl:// listeners, tcp:// (stomp://) to tcp://; check the port numbers, e.g. 61617 vs 61616/61613.",
	},
	tlsconf.ClassHandshakeTimeout: {
		Meaning: "The TLS handshake did not complete in time: nothing answered, or the answer stalled (a partition, a firewall dropping packets, a proxy that accepts and then holds the connection, or a server waiting for the client to speak first).",
		Fix:     "Check that the peer is up and listening with TLS at the address dialled and that nothing on the path drops or holds packets.",
	},
	tlsconf.ClassConnectionReset: {
		Meaning: "The connection was closed or reset without a TLS alert (Broken pipe, Connection reset, Remote host terminated the handshake). This is a symptom, not a cause: ActiveMQ logs the real cause on only some retry attempts and these words on the others.",
		Fix:     "Look for a classified failure nearby in this log or at the same moment in the peer's log; if there is none, check whether the peer crashed or restarted, or a proxy in between cut the connection.",
	},
	tlsconf.ClassBadRecordMAC: {
		Meaning: "A TLS record failed its integrity check: bytes changed between the two ends after the handshake (a faulty proxy, NIC or load balancer, or a fault injected on purpose).",
		Fix:     "Find what modifies the stream between the two ends; the connection is lost and must be redialled (a bridge reconnects by itself).",
	},
	tlsconf.ClassRevoked: {
		Meaning: "The peer's certificate is on a certificate revocation list this side checks.",
		Fix:     "Issue the peer a new key pair and certificate; a revoked certificate stays revoked. Removing the CRL (crlPath) would let it back in.",
	},
	tlsconf.ClassBadKeystorePassword: {
		Meaning: "The keystore (or truststore: Java's message does not say which) cannot be opened with the password given; a Java broker exits at start-up.",
		Fix:     "Check keyStorePassword and trustStorePassword in <sslContext> (Kafka: ssl.keystore.password, ssl.truststore.password) against keytool -list -keystore <file>, which asks for the password.",
	},
	tlsconf.ClassBadTruststorePassword: {
		Meaning: "The truststore cannot be opened with the password given.",
		Fix:     "Check trustStorePassword against keytool -list -keystore <truststore>.",
	},
	tlsconf.ClassBadKeyPassword: {
		Meaning: "The keystore opened, but the private key entry's own password is not the one given (keyPassword). keytool's PKCS12 keystores protect the key with the store password, so a differing keyPassword fails.",
		Fix:     "Set keyPassword to the key's password, or leave it unset to use keyStorePassword (keytool -keypasswd changes a JKS key's password).",
	},
	tlsconf.ClassTruststoreEmpty: {
		Meaning: "The truststore holds no trusted certificate, and Java refuses to use an empty one (\"the trustAnchors parameter must be non-empty\"): often a wrong path or a truststore never filled.",
		Fix:     "Import the peers' (or their CA's) certificates: keytool -import -alias <peer> -file <peer>.cert -keystore <truststore>; check the trustStore path.",
	},
	tlsconf.ClassBadKeystore: {
		Meaning: "The keystore file is missing, damaged, or not a keystore of a type Java reads.",
		Fix:     "Check the path and the file: keytool -list -keystore <file> must open it.",
	},
	ClassAuthFailed: {
		Meaning: "A client or bridge logged in with a user name or password the broker does not accept.",
		Fix:     "Check the connector's userName/password against the broker's users (ActiveMQ: simpleAuthenticationPlugin or the JAAS users.properties; Kafka: the SASL JAAS config).",
	},
	ClassNotAuthorized: {
		Meaning: "The user logged in but may not use that destination: an authorization entry does not grant it read, write or admin.",
		Fix:     "Grant the user's group the right on the destination (ActiveMQ: authorizationEntry read/write/admin, remembering that a network bridge needs admin to create destinations; Kafka: kafka-acls).",
	},
}
