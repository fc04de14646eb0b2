// Package bench measures what TLS costs a broker: the same one-producer,
// one-consumer queue transfer over plaintext STOMP and over STOMP with
// mutual TLS, against one broker, with go-stomp clients (not our codec, as
// for every probe).
//
//	           ┌──────────── broker "broker" ────────────┐
//	producer ─▶│ stomp://127.0.0.1:P                     │─▶ consumer   "plaintext"
//	producer ─▶│ stomp+ssl://127.0.0.1:Q?needClientAuth  │─▶ consumer   "tls"
//	           └─────────────────────────────────────────┘
//
// Runs of the two transports are interleaved round by round, so that a
// slow moment of the machine (another process, a thermal throttle) hurts
// both alike, and the median of the rounds is reported per transport and
// message size.
package bench
