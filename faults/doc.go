// Package faults injects failures into a running brokerlab network and
// explains the TLS failures that result, in words a person can act on.
//
// Every link "from->to" gets its own toxiproxy proxy. The From node's
// connector dials the proxy, the proxy relays bytes to the To node's
// listener, and TLS passes through untouched (the connector verifies the
// peer by its node name, not by the proxy's address):
//
//	 server-a                Network (embedded toxiproxy)                hub
//	┌──────────┐  dial   ┌────────────────────────────────────┐  dial  ┌──────────┐
//	│connector ├────────▶│ proxy "server-a->hub" 127.0.0.1:N  ├───────▶│ listener │
//	└──────────┘         │   upstream:   toxics ─▶            │        └──────────┘
//	                     │   downstream: ◀─ toxics            │
//	                     └────────────────────────────────────┘
//	                                   ▲
//	          Fault.Apply adds toxics; Undo removes them
//
// Three kinds of thing live here, each with a small interface and a
// registry by name, as toxiproxy's toxics do:
//
//   - Fault (network faults on a running network: partition, latency, and
//     tls-stall-after-client-hello, tls-close-after-certificate,
//     tls-corrupt-record, tls-drop-record, tls-truncate-record, whose toxics
//     read the TLS record layer in the stream),
//     made by New(kind, link, params), applied to a Target, undone by the
//     Undo it returns. One kind per file; see CREATING_FAULTS.md.
//   - Mutation (certificate and configuration mistakes: untrusted-peer,
//     expired, not-yet-valid, hostname-mismatch, cn-only, client-eku,
//     server-eku, wrong-ca, revoked), made by NewMutation(kind, params) and
//     applied to a cloned topology.Spec before the PKI is generated; those
//     that are PKIMutations also shape the certificate plan (pki.Options),
//     and MaterialMutations change the generated files afterwards
//     (ApplyMutations, ApplyMaterialMutations).
//   - Explain, which turns a classified TLS failure (tlsconf.Class) into
//     a text naming the node, the side, the file or setting, what the peer
//     said, and the fix — for brokerlab and for ActiveMQ/keytool users. It
//     reads the certificate files the nodes loaded to say what the alert
//     does not: the dates, names, issuer or usage that are wrong.
//   - ScanLog and LogAdvice, which find TLS and auth failures in broker logs
//     (ActiveMQ, Kafka, brokerlab) and say what each means and how to fix
//     it; Diagnose, which performs a real handshake against any TLS server
//     as a configured client and classifies what went wrong.
package faults
