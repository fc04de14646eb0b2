package faults

import "fmt"

// badRecordMAC explains a record that failed its integrity check: the
// handshake was sound, so no certificate or setting is to blame, and the
// fix is on the path between the nodes.
func (e *explainer) badRecordMAC() []string {
	head := fmt.Sprintf("A TLS record between %s and %s failed its integrity check (\"bad record MAC\"): bytes changed on the way.", e.client, e.server)
	what := fmt.Sprintf("%s could not decrypt a record %s sent; the connection cannot go on and is closed.", e.role(e.self), e.peer)
	if e.remote {
		what = fmt.Sprintf("%s could not decrypt a record %s sent, and said so with an alert; the connection is closed.", e.peer, e.self)
	}
	return []string{
		head, what, e.seen(),
		"Certificates and settings are not the cause: the two ends agreed keys. Something between them modified, dropped or reordered bytes — a TLS-inspecting proxy, a load balancer, a NIC with an offload bug, or a tls-corrupt-record / tls-drop-record fault.",
		fmt.Sprintf("Fix: find what on the path of %s alters the stream; the bridge reconnects by itself, and messages it had not acknowledged are sent again.", e.bridge),
	}
}
