package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
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
  brokerlab broker --name hub --listen stomp://127.0.0.1:61613 --security security.yaml`,
	exits: `  0  stopped by SIGINT/SIGTERM and shut down cleanly
  1  the broker could not start (e.g. port in use) or did not shut down in 5s
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
	logFormat := fs.String("log", "human", "how events are logged on stderr: `human` (short lines for bridges and TLS failures), text or json (log/slog records, every event at info or warning level)")
	dataDir := fs.String("data", "", "keep persistent messages in `DIR` (created if missing): a message sent with persistent:true to a queue is on disk before its RECEIPT, and a restart on the same DIR delivers it")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the broker to `FILE` until it stops (for go tool pprof)")
	gcPercent := fs.Int("gc-percent", defaultBrokerGCPercent, "Go's GOGC for the broker process: heap growth before a collection, in `PERCENT` (the GOGC environment variable wins; -1 turns collection off)")
	memProfile := fs.String("memprofile", "", "write an allocation profile of the broker to `FILE` when it stops (go tool pprof -sample_index=alloc_objects)")
	securityFile := fs.String("security", "", "logins and authorization from `FILE`: a topology node's security: block on its own (users, groups, certificates, locations, login, authorization), YAML or JSON")
	adminAddr := fs.String("admin", "127.0.0.1:0", "serve /healthz, /stats, /metrics and /events on `ADDR` (in the ready line); \"\" turns it off")
	pos, code, ok := parse(fs, brokerDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(stderr, brokerDoc, "unexpected argument %q (listeners and connectors are flags: --listen, --connect)", pos[0])
	}

	files, err := tlsF.tlsFiles()
	if err != nil {
		return usageError(stderr, brokerDoc, "%v", err)
	}
	var sink events.Sink = &eventPrinter{w: stderr, jsonAll: *jsonEvents}
	var logger *slog.Logger
	switch *logFormat {
	case "human":
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
	b, err := broker.New(broker.Options{
		Security:  sec.Config(),
		Name:      *name,
		Listen:    listen.values,
		Connect:   connect.values,
		TLS:       files,
		Events:    sink,
		Logger:    logger,
		AdminAddr: *adminAddr,
		DataDir:   *dataDir,
	})
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

// problems prints err under a heading, one indented line per line of it
// (joined errors hold one problem a line), and returns exitUsage.
func problems(stderr io.Writer, heading string, err error) int {
	fmt.Fprintf(stderr, "brokerlab broker: %s:\n", heading)
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "  %s\n", line)
	}
	return exitUsage
}
