// Package stomp is brokerlab's own codec for STOMP frames, versions 1.0, 1.1
// and 1.2 (https://stomp.github.io/stomp-specification-1.2.html).
//
// It is deliberately independent of the STOMP client library the test
// harness drives the broker with: if the broker and the probes shared one
// codec, a framing bug would cancel itself out and no scenario could see it.
//
// The package only deals with bytes on the wire: a Reader turns a stream into
// Frames and a Writer turns Frames into a stream. It knows the commands and
// the header escaping rules of each version but none of the protocol's
// semantics (sessions, subscriptions, acknowledgements, heart-beat timing);
// those belong to the broker.
//
// Versions differ on the wire only in how header names and values are
// escaped:
//
//	1.0  no escaping at all
//	1.1  \n (LF), \c (colon), \\ (backslash)
//	1.2  as 1.1, plus \r (CR)
//
// CONNECT, STOMP and CONNECTED frames are never escaped, in any version,
// because they are exchanged before the version has been negotiated. Both
// Reader and Writer start at 1.0 and are switched with SetVersion once the
// broker has negotiated a version.
//
// Lines end in LF; a CR immediately before the LF is stripped in every
// version, not only 1.2, because clients that send CRLF under 1.0 or 1.1
// exist and nothing else could be meant.
//
// Input is untrusted: the Reader enforces Limits, never allocates according
// to a declared content-length before checking it, and reports malformed
// input as *ProtocolError, whose Msg is suitable for the message header of
// the ERROR frame the broker sends before closing the connection.
package stomp
