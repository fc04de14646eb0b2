// Package tlsconf turns PEM files into a *tls.Config in exactly one place
// and names every TLS handshake failure with one stable Class.
//
//	Files{CertFile, KeyFile, TrustFile}
//	   │ Load: read, parse, check the key matches the certificate
//	   ▼
//	Material{Certificate, Leaf, Trust, TrustedSubjects}
//	   ├─ ServerConfig(m, Need|Want|No) ─▶ *tls.Config for a listener
//	   └─ ClientConfig(m, "hub")        ─▶ *tls.Config for a connector
//	                                           │ Handshake(ctx, conn, timeout)
//	                                           ▼
//	                     error ─ Classify ─▶ Class ("unknown-authority", …)
//	                           ─ PeerCertificates / Describe ─▶ what the peer showed
//
// Files may carry an SSLContext: ActiveMQ keystores in place of the PEM
// files (LoadKeyStore), and the node's Policy (minimum RSA key size, clock
// offset), which every config made here applies. Knobs (ParseKnobs) are a
// listener's or connector's URI parameters: enabledProtocols,
// enabledCipherSuites, verifyHostName. A Source holds material that
// Reload reads again; its ServerConfig serves each handshake from the
// current material (GetConfigForClient), so a rotated certificate reaches
// new connections without a restart.
//
// Why one place: every listener and every connector must agree on the TLS
// floor, on where trust comes from (the trust file and nothing else, never
// the system roots), and on ServerName. Connectors dial a toxiproxy on
// 127.0.0.1, so the address dialled says nothing about who the peer is; the
// peer is always verified by its node name.
//
// ClientConfig always presents the node's certificate. crypto/tls (like
// Java) otherwise withholds a certificate whose issuer the server did not
// list as acceptable, and a server that does not trust the client would see
// "no certificate" instead of the certificate it refuses.
//
// Classify prefers types over text: x509 verification errors, the alert
// the peer sent (crypto/tls reports a received alert as a *net.OpError with
// Op "remote error"), tls.AlertError, tls.RecordHeaderError, net.Error
// timeouts and syscall resets. Text is matched only where Go exposes no type
// (for example "tls: client didn't provide a certificate"), and as a last
// resort so that an error that crossed a process boundary as a string still
// classifies.
//
// With TLS 1.3 a client whose certificate the server refuses finishes its
// own handshake; the server's alert arrives on the client's first read.
// Classify works on that read error as well, so a caller decides "refused"
// only after reading (for example while waiting for CONNECTED). Over TLS 1.2
// the same refusal fails the client's handshake instead; and a TLS 1.2 Go
// server that requires a certificate and got none sends handshake_failure,
// which the client can only classify as no-common-cipher.
package tlsconf
