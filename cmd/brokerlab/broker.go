package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/store"
	"github.com/brokerlab/brokerlab/topology"
)

// shutdownTimeout bounds a graceful shutdown after SIGINT/SIGTERM; past it
// the broker's connections are cut (broker.Shutdown kills on ctx expiry).
const shutdownTimeout = 5 * time.Second

// defaultBrokerGCPercent trades memory for CPU, as a JVM's heap size does
// for ActiveMQ: measured with `brokerlab bench` (2×2, 1 KiB), GOGC 400
// took 3.6–4.0 µs of broker CPU per message against 5.2–5.4 µs at Go's
// default 100, for 38 MB of resident memory instead of 25 MB.
const defaultBrokerGCPercent = 400

var brokerDoc = &doc{
	name:     "broker",
	synopsis: "brokerlab broker --name NAME --listen URI... [--connect URI...] [--tls-cert F --tls-key F --tls-ca F | --keystore F --truststore F] [--events]",
	about: `Runs one STOMP broker in the foreground until SIGINT or SIGTERM, then shuts
it down gracefully (at most 5s) and exits.

Listener URIs use ActiveMQ's vocabulary: stomp://HOST:PORT for plaintext,
stomp+ssl://HOST:PORT?needClientAuth=true for TLS that requires a client
certificate (wantClientAuth=true asks for one). Port 0 picks a free port.
Connector URIs open bridges to other brokers:
  static://(ssl://127.0.0.1:61617?serverName=hub)?duplex=true&name=server-a->hub
with the options name, duplex, dynamicOnly, networkTTL, initialReconnectDelay
(ms), maxReconnectDelay (ms), useExponentialBackOff, backOffMultiplier and
maxReconnectAttempts. serverName is the name the peer's certificate must carry.

TLS material comes from PEM files (--tls-cert, --tls-key, --tls-ca) or, as in
ActiveMQ's <sslContext>, from a keystore and a truststore (--keystore,
--truststore; JKS, PKCS#12 or PEM, told by content) whose passwords are read
from $BROKERLAB_KEYSTORE_PASSWORD, $BROKERLAB_KEY_PASSWORD and
$BROKERLAB_TRUSTSTORE_PASSWORD. A keystore that does not open stops the broker
at start-up, naming the file and the setting. SIGHUP reloads the files
without a restart: new connections use them, established ones keep theirs.
Listener URIs also take enabledProtocols=TLSv1.2,TLSv1.3 and
enabledCipherSuites=...; peer URIs in static:(...) take those and
verifyHostName=false.

Limits. Each has a flag (below); the defaults are the broker's own:
  --max-connections (10,000): clients and bridges together. One more is
    answered with an ERROR frame ("too many connections") and closed.
  --handshake-timeout (5s): the connect timeout. A TLS handshake and then the
    CONNECT frame must arrive within it, or the connection is closed; a
    bridge waits as long for its peer's CONNECTED.
  --destination-memory-limit (64MiB, per destination): bytes of messages
    waiting in one queue, or topic copies not yet sent. A producer that finds
    its destination over the limit is paused (its connection is not read, so
    TCP slows it) until consumers make room; with --send-fail-if-no-space it
    is refused instead, with an ERROR frame ("destination memory limit
    reached"), and disconnected. Persistent messages to a queue (with --data)
    never pause their producer: over the limit their bodies wait in the store
    rather than in memory.
  --max-body (16MiB), --max-header-line (16KiB), --max-headers (256): the
    largest frame a peer may send; a larger one is answered with an ERROR
    frame and the connection closed.
  --prefetch (1000): messages in flight, unacknowledged, per subscription,
    unless its SUBSCRIBE sets activemq.prefetchSize.
  --max-redeliveries (6): redeliveries (after NACK, or a consumer leaving
    without ACK) before a message goes to /queue/ActiveMQ.DLQ; -1: never.
  --heart-beat (1s): the interval offered and asked for in CONNECTED (bridges
    beat at it too); a peer that agreed to heart-beats and then stays silent
    for about three intervals is cut.
Paused producers and refused connections are printed on stderr (--log human).

The store (--data DIR) is an append-only, checksummed log in DIR/store,
replayed at start-up before any listener opens:
  - a torn tail (the batch being written when the process or the machine
    stopped; none of it had been confirmed) is cut off, the records before it
    are recovered, and stderr says so, naming the file and the offset it now
    ends at;
  - damage in the middle (a bad record followed by valid later ones, or in a
    segment that is not the last) would lose confirmed messages, so the broker
    refuses to start: it names the file and the offset and exits 1. Move the
    file out of DIR/store to start without it, or truncate it to that offset
    to keep what comes before.

Once every listener is bound, brokerlab prints exactly one line on stdout:
  {"event":"ready","node":"hub","listeners":[{"uri":"stomp://127.0.0.1:40001","addr":"127.0.0.1:40001"}],"admin":"127.0.0.1:40002"}
Bridge state changes and TLS handshake failures are always printed on stderr,
one short line each; --events adds every event as one JSON object per line.`,
	examples: `  # a plaintext hub on a fixed port
  brokerlab broker --name hub --listen stomp://127.0.0.1:61613

  # a spoke that bridges to it, both directions over one connection
  brokerlab broker --name spoke --listen stomp://127.0.0.1:0 \
    --connect 'static://(tcp://127.0.0.1:61613)?duplex=true&networkTTL=2'

  # a hub requiring mutual TLS, with PEM files (e.g. from brokerlab up)
  brokerlab broker --name hub --listen 'stomp+ssl://127.0.0.1:61617?needClientAuth=true' \
    --tls-cert hub/cert.pem --tls-key hub/key.pem --tls-ca hub/trust.pem --events

  # the same hub from Java keystores, as ActiveMQ's sslContext has them
  BROKERLAB_KEYSTORE_PASSWORD=changeit BROKERLAB_TRUSTSTORE_PASSWORD=changeit \
    brokerlab broker --name hub --listen 'stomp+ssl://127.0.0.1:61617?needClientAuth=true' \
    --keystore hub/keystore.jks --truststore hub/truststore.jks

  # a hub whose clients log in (security.yaml: users: {alice: "$2a$10$…"})
  brokerlab broker --name hub --listen stomp://127.0.0.1:61613 --security security.yaml

  # room for more clients; a producer to a full queue gets an ERROR, not a pause
  brokerlab broker --name hub --listen stomp://127.0.0.1:61613 --data ./hub-data \
    --max-connections 20000 --destination-memory-limit 256MiB --send-fail-if-no-space`,
	exits: `  0  stopped by SIGINT/SIGTERM and shut down cleanly
  1  the broker could not start (e.g. port in use, a store damaged in the middle)
     or did not shut down in 5s
  2  bad flags or options (the message names the field)`,
}

func cmdBroker(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(brokerDoc)
	name := fs.String("name", "", "the broker's `NAME` (letters, digits, '.', '_', '-'); bridges and message paths carry it")
	listen := &stringList{}
	fs.Var(listen, "listen", "listener `URI`, repeatable: stomp://HOST:PORT or stomp+ssl://HOST:PORT?needClientAuth=true")
	connect := &stringList{}
	fs.Var(connect, "connect", "network connector `URI`, repeatable: static://(tcp://HOST:PORT)?duplex=true&...")
	tlsF := addTLSFlags(fs)
	jsonEvents := fs.Bool("events", false, "also print every event on stderr as one JSON object per line")
	logFormat := fs.String("log", "human", "how events are logged on stderr: `human` (short lines for bridges, TLS failures, limits reached and the store's recovery), text or json (log/slog records of every event, at its level: store failures at error, a cut store tail and refusals at warning)")
	dataDir := fs.String("data", "", "keep persistent messages in `DIR` (created if missing): a message sent with persistent:true to a queue is on disk before its RECEIPT, and a restart on the same DIR delivers it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the broker to `FILE` until it stops (for go tool pprof)")
	gcPercent := fs.Int("gc-percent", defaultBrokerGCPercent, "Go's GOGC for the broker process: heap growth before a collection, in `PERCENT` (the GOGC environment variable wins; -1 turns collection off)")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the broker to `FILE` when it stops (go tool pprof -sample_index=alloc_objects)")
	securityFile := fs.String("security", "", "logins and authorization from `FILE`: a topology node's security: block on its own (users, groups, certificates, locations, login, authorization), YAML or JSON")
	adminAddr := fs.String("admin", "127.0.0.1:0", "serve /healthz, /stats, /metrics and /events on `ADDR` (in the ready line); \"\" turns it off")
	limits := addLimitFlags(fs)
	pos, code, ok := parse(fs, brokerDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, brokerDoc, "unexpected argument %q (listeners and connectors are flags: --listen, --connect)", pos[0])
	}

	opts := broker.Options{
		Name:      *name,
		Listen:    listen.values,
		Connect:   connect.values,
		AdminAddr: *adminAddr,
		DataDir:   *dataDir,
	}
	if err := limits.apply(&opts); err != nil {
		return usageError(stderr, brokerDoc, "%v", err)
	}
	files, err := tlsF.tlsFiles()
	if err != nil {
		return usageError(stderr, brokerDoc, "%v", err)
	}
	opts.TLS = files
	var sink events.Sink = &eventPrinter{w: stderr, jsonAll: *jsonEvents}
	var logger *slog.Logger
	switch *logFormat {
	case "human":
		// Besides bridges and TLS failures, what someone running a broker
		// must see at once: limits biting and the store's recovery.
		sink = &operatorPrinter{next: sink, w: stderr}
	case "text", "json":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
		if *logFormat == "json" {
			logger = slog.New(slog.NewJSONHandler(stderr, nil))
		}
		sink = &eventPrinter{w: stderr, jsonAll: *jsonEvents, quiet: true}
	default:
		return usageError(stderr, brokerDoc, "--log %q: use human, text or json", *logFormat)
	}
	var sec *topology.Security
	if *securityFile != "" {
		data, err := os.ReadFile(*securityFile)
		if err == nil {
			sec, err = topology.ParseSecurity(*securityFile, data)
		}
		if err != nil {
			return problems(stderr, "--security", err)
		}
	}
	opts.Security, opts.Events, opts.Logger = sec.Config(), sink, logger
	b, err := broker.New(opts)
	if err != nil {
		// One problem per line, each naming its field (Name, Listen[0], TLS…).
		return problems(stderr, "invalid options", err)
	}
	// Listen for signals before Start, so a SIGTERM sent right after the
	// ready line is never lost to the default handler.
	ctx, stop := signalContext()
	defer stop()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(*gcPercent)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(stderr, "brokerlab broker: --cpuprofile: %v\n", err)
			return exitFail
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if *memProfile != "" {
		defer func() {
			f, err := os.Create(*memProfile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintf(stderr, "brokerlab broker: --memprofile: %v\n", err)
			}
		}()
	}
	if err := b.Start(); err != nil {
		fmt.Fprintf(stderr, "brokerlab broker: %v\n", err)
		return exitFail
	}
	defer reloadOnHangup(b, stderr)()
	if err := printReady(stdout, b.Name(), b.Listeners(), b.AdminAddr()); err != nil {
		fmt.Fprintf(stderr, "brokerlab broker: write ready line: %v\n", err)
	}
	<-ctx.Done()
	stop() // a second Ctrl-C now kills the process the default way

	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := b.Shutdown(sctx); err != nil {
		fmt.Fprintf(stderr, "brokerlab broker: shutdown: %v (connections were cut)\n", err)
		return exitFail
	}
	return exitOK
}

// operatorPrinter adds to eventPrinter's human lines those for a broker
// run by hand: a producer paused at --destination-memory-limit, a
// connection refused (e.g. over --max-connections), and what the store
// recovered at start-up, a cut torn tail included with its file and offset.
// Each is rare (a pause is reported once, recovery once per start), so
// none floods the terminal.
type operatorPrinter struct {
	next events.Sink
	mu   sync.Mutex
	w    io.Writer
}

func (p *operatorPrinter) Emit(e events.Event) {
	p.next.Emit(e)
	var what string
	switch e.Kind {
	case events.ProducerBlocked:
		what = fmt.Sprintf("producer from %s on %s: %s", orDash(e.Remote), e.Dest, e.Reason)
	case events.ConnRefused:
		what = fmt.Sprintf("connection refused from %s: %s", orDash(e.Remote), e.Reason)
	case events.StoreRecovered:
		what = "store: " + e.Reason
	default:
		return
	}
	line := fmt.Sprintf("%s %s: %s\n", e.Time.Format("15:04:05.000"), e.Node, oneLine(what))
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(p.w, line)
}

// problems prints err under a heading, one indented line per line of it
// (joined errors hold one problem a line), and returns exitUsage.
func problems(stderr io.Writer, heading string, err error) int {
	fmt.Fprintf(stderr, "brokerlab broker: %s:\n", heading)
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "  %s\n", line)
	}
	return exitUsage
}

// limitFlags are the broker's limits (broker.Options) as flags. Each
// defaults to the broker's own default, so --help shows what applies when
// the flag is left out, and a value is checked here: broker.Options reads
// 0 as "the default", which a user typing 0 does not mean.
type limitFlags struct {
	maxConns        int
	handshake       time.Duration
	heartBeat       time.Duration
	prefetch        int
	maxRedeliveries int
	destMemory      byteSize
	sendFail        bool
	maxBody         byteSize
	maxHeaderLine   byteSize
	maxHeaders      int
}

func addLimitFlags(fs *flag.FlagSet) *limitFlags {
	l := &limitFlags{
		destMemory:    byteSize(broker.DefaultDestinationMemoryLimit),
		maxBody:       byteSize(stomp.DefaultLimits.MaxBody),
		maxHeaderLine: byteSize(stomp.DefaultLimits.MaxHeaderLine),
	}
	fs.IntVar(&l.maxConns, "max-connections", broker.DefaultMaxConnections, "accept at most `N` connections, clients and bridges together; one more is answered with an ERROR frame and closed")
	fs.DurationVar(&l.handshake, "handshake-timeout", broker.DefaultHandshakeTimeout, "the connect timeout: close a connection whose TLS handshake and CONNECT frame have not arrived within `DURATION`; a bridge waits as long for CONNECTED")
	fs.Var(&l.destMemory, "destination-memory-limit", "bytes of messages that may wait in one destination, `SIZE` as 65536, 512KiB, 64MiB or 1GiB; a producer over it is paused (or refused, --send-fail-if-no-space)")
	fs.BoolVar(&l.sendFail, "send-fail-if-no-space", false, "refuse a producer whose destination is over --destination-memory-limit with an ERROR frame, instead of pausing it (ActiveMQ's sendFailIfNoSpace)")
	fs.Var(&l.maxBody, "max-body", "the largest frame body a peer may send, `SIZE`; a larger one is answered with an ERROR frame and the connection closed")
	fs.Var(&l.maxHeaderLine, "max-header-line", "the longest command or header line a peer may send, `SIZE`")
	fs.IntVar(&l.maxHeaders, "max-headers", stomp.DefaultLimits.MaxHeaders, "accept at most `N` header lines in one frame")
	fs.IntVar(&l.prefetch, "prefetch", broker.DefaultPrefetch, "`N` unacknowledged messages in flight per subscription, unless its SUBSCRIBE sets activemq.prefetchSize")
	fs.IntVar(&l.maxRedeliveries, "max-redeliveries", broker.DefaultMaxRedeliveries, "redeliver a message `N` times (after NACK or a consumer leaving without ACK) before it goes to /queue/ActiveMQ.DLQ; -1: never")
	fs.DurationVar(&l.heartBeat, "heart-beat", broker.DefaultHeartBeat, "offer and ask for heart-beats every `DURATION` (whole milliseconds; bridges beat at it too)")
	return l
}

// apply checks every limit flag and sets o's fields; the error holds one
// line per bad flag, each naming the flag, its value and what to give.
func (l *limitFlags) apply(o *broker.Options) error {
	var errs []error
	bad := func(flag, value, format string, a ...any) {
		errs = append(errs, fmt.Errorf("--%s %s: %s", flag, value, fmt.Sprintf(format, a...)))
	}
	atLeastOne := func(flag string, n, def int) {
		if n < 1 {
			bad(flag, strconv.Itoa(n), "must be at least 1 (default %d)", def)
		}
	}
	atLeastOne("max-connections", l.maxConns, broker.DefaultMaxConnections)
	atLeastOne("prefetch", l.prefetch, broker.DefaultPrefetch)
	atLeastOne("max-headers", l.maxHeaders, stomp.DefaultLimits.MaxHeaders)
	if l.handshake <= 0 {
		bad("handshake-timeout", l.handshake.String(), "must be positive, e.g. %s (the default)", broker.DefaultHandshakeTimeout)
	}
	// STOMP's heart-beat header counts milliseconds: anything finer would
	// be offered as something else than what the broker does.
	if l.heartBeat < time.Millisecond || l.heartBeat%time.Millisecond != 0 {
		bad("heart-beat", l.heartBeat.String(), "must be a positive whole number of milliseconds, e.g. 1s (the default) or 250ms")
	}
	switch {
	case l.maxRedeliveries == 0:
		// broker.Options takes 0 for "the default": it cannot say "never
		// redeliver", so refuse rather than silently give 6.
		bad("max-redeliveries", "0", "the broker cannot dead-letter at the first NACK: use 1 or more (default %d), or -1 to redeliver without limit", broker.DefaultMaxRedeliveries)
	case l.maxRedeliveries < -1:
		bad("max-redeliveries", strconv.Itoa(l.maxRedeliveries), "use 1 or more (default %d), or -1 to redeliver without limit", broker.DefaultMaxRedeliveries)
	}
	for _, s := range []struct {
		flag string
		v    byteSize
	}{{"destination-memory-limit", l.destMemory}, {"max-body", l.maxBody}, {"max-header-line", l.maxHeaderLine}} {
		if s.v < 1 {
			bad(s.flag, s.v.String(), "must be at least 1 byte")
		}
	}
	// With a store, a persistent SEND of the largest frame a peer may send
	// must fit one record, or every such SEND would fail at run time.
	// recordOverhead is generous room for the record's own fields (kind,
	// message id, lengths).
	const recordOverhead = 4 << 10
	headers := int64(math.MaxInt64 / 2) // absurd limits: saturate, not overflow
	if int64(l.maxHeaderLine) <= headers/int64(max(1, l.maxHeaders)) {
		headers = int64(l.maxHeaders) * int64(l.maxHeaderLine)
	}
	frame := min(int64(l.maxBody), math.MaxInt64/2) + headers
	if o.DataDir != "" && len(errs) == 0 && frame > store.MaxRecordSize-recordOverhead {
		room := max(0, store.MaxRecordSize-recordOverhead-headers)
		bad("max-body", l.maxBody.String(), "with --data a persistent frame must fit one store record (%s), but --max-body + --max-headers × --max-header-line allows %s: "+
			"lower --max-body to at most %s, or the header limits", byteSize(store.MaxRecordSize), byteSize(frame), byteSize(room&^(1<<20-1)))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	o.MaxConnections = l.maxConns
	o.HandshakeTimeout = l.handshake
	o.HeartBeat = l.heartBeat
	o.Prefetch = l.prefetch
	o.MaxRedeliveries = l.maxRedeliveries
	o.DestinationMemoryLimit = int64(l.destMemory)
	o.SendFailIfNoSpace = l.sendFail
	o.Limits = stomp.Limits{MaxBody: int(l.maxBody), MaxHeaderLine: int(l.maxHeaderLine), MaxHeaders: l.maxHeaders}
	return nil
}

// byteSize is a flag of bytes written as people write memory limits:
// 65536, 512KiB, 64MiB, 1GiB. As in ActiveMQ's memoryLimit="64mb", kb, mb
// and gb (any case) are powers of 1024 too: no one sizing a broker means
// 64,000,000 bytes.
type byteSize int64

// sizeUnits, largest first; String uses the first name.
var sizeUnits = []struct {
	names []string
	mult  int64
}{
	{[]string{"GiB", "gb", "g"}, 1 << 30},
	{[]string{"MiB", "mb", "m"}, 1 << 20},
	{[]string{"KiB", "kb", "k"}, 1 << 10},
	{[]string{"", "b"}, 1},
}

func (b byteSize) String() string {
	n := int64(b)
	if n == 0 {
		return "0"
	}
	for _, u := range sizeUnits {
		if n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.names[0]
		}
	}
	return strconv.FormatInt(n, 10)
}

func (b *byteSize) Set(v string) error {
	s := strings.TrimSpace(v)
	digits := strings.TrimRightFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(s[len(digits):])
	n, err := strconv.ParseInt(digits, 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size: give bytes, or a whole number with KiB, MiB or GiB (e.g. 64MiB)", v)
	}
	for _, u := range sizeUnits {
		if slices.ContainsFunc(u.names, func(name string) bool { return strings.EqualFold(name, unit) }) {
			if n > math.MaxInt64/u.mult {
				return fmt.Errorf("%q is too large", v)
			}
			*b = byteSize(n * u.mult)
			return nil
		}
	}
	return fmt.Errorf("%q: unknown unit %q: use KiB, MiB or GiB (e.g. 64MiB)", v, unit)
}
