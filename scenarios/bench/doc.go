// Package bench measures a STOMP broker: throughput, latency percentiles
// and the broker's CPU time per message, with a hand-written STOMP client
// (rawclient.go: not our codec, as for every probe), so that the same load
// generator measures our broker and a real ActiveMQ alike.
//
//	            ┌───────── broker (its own process) ─────────┐
//	producer ─▶ │ stomp://127.0.0.1:P                         │ ─▶ consumer   "plaintext"
//	producer ─▶ │ stomp+ssl://127.0.0.1:Q?needClientAuth=true │ ─▶ consumer   "tls"
//	            └─────────────────────────────────────────────┘
//	                 /proc/PID/stat: broker CPU time   getrusage: generator CPU time
//
// Across a bridge (Options.Bridge, or a Target with a ConsumeAddr), the
// producers and the consumers dial different brokers, and the message
// crosses the network bridge between them; the broker CPU per message is
// both brokers' together:
//
//	producer ─▶ spoke ══ spoke->hub, mutual TLS, duplex ══▶ hub ─▶ consumer   "tls-bridge"
//
// Every run first sends one message and waits for a consumer to have it,
// before any load: a spoke forwards only once the hub's consumers' demand
// has reached it. That message is never in a measured window.
//
// Two loads (Shape): a closed loop of P producers and C consumers on one
// queue with at most N messages sent and not yet received (a semaphore the
// producers take and the consumers give back), which finds the broker's
// throughput; and a fixed rate from one producer, which gives latency at a
// load the broker carries easily. Every message carries its send time in
// the bench-ts header (Unix nanoseconds); consumers (ack auto) record
// receive time minus send time in a log-linear Histogram (HdrHistogram's
// scheme, 0.8% precision) per consumer, merged at the end.
//
// Each run warms up, then reads both CPU clocks, measures for a duration
// (or a count of messages), and reads them again: CPU per message is the
// difference over the messages received in that window. The broker runs in
// its own process so that its CPU time is its own: by default Run starts
// ours as a child (`brokerlab broker`, its ready line giving the ports);
// given Targets it drives any STOMP endpoint and reads the CPU of the PID
// it is told.
//
// The generator is kept lean so that it costs less CPU per message than
// the brokers it measures would leave idle: producers write into a 64 KiB
// buffer flushed only when they would otherwise wait (one system call
// carries a batch of frames under load), and consumers read through 64 KiB
// buffers with a parser that decodes only the headers the bench uses. Its
// own CPU per message is reported beside the broker's; when the two share
// a machine's cores, its share of the total is how far msgs/s falls short
// of what the broker alone could do.
//
// Runs of the targets are interleaved shape by shape and size by size, so
// that a slow moment of the machine (another process, a thermal throttle)
// hurts both alike; with several rounds, the median round is reported.
//
// testdata/activemq.xml is a minimal ActiveMQ 5.17 configuration with the
// STOMP connectors these measurements use, and how to run it.
package bench
