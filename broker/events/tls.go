package events

// Kinds for a node's TLS material as a whole, rather than one handshake.
const (
	// StartFailed: the node refused to start, as a Java broker with a wrong
	// keystore password exits at start-up. Class is the tlsconf class when
	// the cause is TLS material; Reason names the file and the setting.
	StartFailed Kind = "start-failed"
	// TLSReloaded: the node read its certificate files again (rotation);
	// new connections use what it read. Reason describes the certificate,
	// or, with Class set, why the reload failed and the old one stays.
	TLSReloaded Kind = "tls-reloaded"
)
