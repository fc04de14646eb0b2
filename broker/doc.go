// Package broker is brokerlab's message broker: STOMP 1.0–1.2 to clients,
// queues and topics in memory, TCP and TLS listeners from ActiveMQ-style
// URIs, and network connectors that join brokers with duplex bridges.
//
//	listener ─▶ conn (read loop) ─▶ handle frame ─▶ destination.publish
//	                                                   │ dispatch (round robin, prefetch)
//	conn (write loop) ◀── MESSAGE ◀── subscription ◀───┘
//	                                   ├ local consumer
//	                                   └ network consumer ─▶ bridge ─▶ peer broker
//
// A bridge is a STOMP connection on which both brokers are client and
// server at once. Each tells the other which destinations it has consumers
// for (SUBSCRIBE with a hop count); the other then holds a network consumer
// that competes with local consumers and forwards MESSAGE frames, which the
// receiver ACKs only after routing them. Unacknowledged messages return to
// their queue when a bridge drops, and an audit of message ids drops the
// second copy that a lost ACK causes.
//
// Every noteworthy thing is reported as an events.Event on Options.Events.
// The broker imports nothing from the harness.
package broker
