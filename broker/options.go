package broker

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/network"
	"github.com/brokerlab/brokerlab/broker/security"
	"github.com/brokerlab/brokerlab/broker/stomp"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/broker/transport"
)

// Options configure one broker. New validates them once, fills defaults and
// keeps its own copy, so the caller may reuse or change theirs afterwards.
type Options struct {
	Name    string   // broker name; bridges and message paths carry it
	Listen  []string // listener URIs: stomp://host:port, stomp+ssl://host:port?needClientAuth=true
	Connect []string // connector URIs: static://(ssl://host:port?serverName=hub)?duplex=true&networkTTL=2
	TLS     tlsconf.Files
	Events  events.Sink // nil: events are discarded

	// HandshakeTimeout bounds a TLS handshake and the wait for CONNECT or
	// CONNECTED, so a blackholed link is noticed.
	HandshakeTimeout time.Duration
	// HeartBeat is the interval this broker offers and asks for, both ways
	// (CONNECTED's heart-beat header). Bridges use it as their own rate.
	HeartBeat time.Duration
	// Prefetch is the default number of unacknowledged messages in flight
	// per subscription (ActiveMQ's queue prefetch, 1000).
	Prefetch int
	Limits   stomp.Limits
	// MaxConnections bounds accepted connections (clients and bridges);
	// one more is answered with an ERROR frame and closed. 0: 10000.
	MaxConnections int
	// MaxRedeliveries is how often a message may be redelivered to
	// consumers (after NACK or a consumer leaving without ACK) before it goes
	// to /queue/ActiveMQ.DLQ. ActiveMQ's default, 6; negative: never.
	MaxRedeliveries int
	// Users, when not empty, are the only login/passcode pairs CONNECT
	// accepts (bridges log in too, with the connector's userName/password).
	// Passcodes are never logged or reported.
	Users map[string]string
	// Security is the plugin chain: login stack, authorization map, extra
	// plugins (package security). Nil: everyone may do everything.
	Security *security.Config
	// AdminAddr, when set (e.g. "127.0.0.1:0"), serves /healthz, /stats,
	// /metrics and /events there; Broker.AdminAddr reads the bound address.
	AdminAddr string
	// DestinationMemoryLimit bounds the bytes of messages waiting in one
	// destination (queue backlog, topic copies not yet sent, messages
	// delivered but not yet acknowledged). A client
	// producer that would exceed it is paused until consumers make room,
	// or refused when SendFailIfNoSpace is set. 0: 64 MiB.
	DestinationMemoryLimit int64
	SendFailIfNoSpace      bool
	// ConnectionMemoryLimit bounds the bytes of messages queued for one
	// connection's socket. At the limit its subscriptions are given
	// nothing more until the socket drains, whatever their prefetch, so
	// the messages wait in their destination, count against
	// DestinationMemoryLimit and pause producers there. (Messages written
	// but not yet acknowledged stay counted in their destination, as in
	// ActiveMQ.) 0: 16 MiB.
	ConnectionMemoryLimit int64
	// BrokerMemoryLimit bounds the bytes of messages in all destinations
	// together (what DestinationMemoryLimit counts, summed): past it every
	// producer is paused, or refused with SendFailIfNoSpace, and
	// persistent messages spool, so many destinations each under their own
	// limit cannot together take the machine's memory. 0: 1 GiB.
	BrokerMemoryLimit int64
	// MaxTransactionBytes bounds what one connection's open transactions
	// buffer until COMMIT (their SENDs and ACKs); more is refused with an
	// ERROR. 0: DestinationMemoryLimit.
	MaxTransactionBytes int64
	// DataDir, when set, holds the store of persistent messages: a message
	// sent with persistent:true to a queue is on disk before its RECEIPT,
	// and a restart on the same DataDir delivers it again.
	DataDir string
	// Logger, when set, receives every event as a structured record
	// (warnings for TLS failures, refusals and failing bridges; debug for
	// per-connection and per-message events).
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultHandshakeTimeout       = 5 * time.Second
	DefaultHeartBeat              = time.Second
	DefaultPrefetch               = 1000
	DefaultMaxConnections         = 10000
	DefaultMaxRedeliveries        = 6
	DefaultDestinationMemoryLimit = 64 << 20
	DefaultConnectionMemoryLimit  = 16 << 20
	// DefaultBrokerMemoryLimit is fixed rather than a share of the
	// machine's memory: the harness runs many brokers in one process or
	// on one machine (a hub and a hundred spokes), where a share would
	// promise each of them the same memory, and a fixed figure behaves the
	// same on a laptop and in CI. 1 GiB is sixteen destinations at their
	// default limit.
	DefaultBrokerMemoryLimit = 1 << 30
	// MaxPrefetch is the largest prefetch a subscription gets; a larger
	// activemq.prefetchSize is cut to it. ActiveMQ's
	// ActiveMQPrefetchPolicy.MAX_PREFETCH_SIZE, Short.MAX_VALUE.
	MaxPrefetch = 32767
)

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// config is Options after validation: parsed once, never re-read.
type config struct {
	Options
	listeners  []transport.Listener
	connectors []network.Config
	tls        *tlsconf.Material
	sec        *security.Chain // nil: no security configured
	tlsSrc     *tlsconf.Source // tls, reloadable (Broker.ReloadTLS)
}

func (o Options) validate() (*config, error) {
	o = o.clone()
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("broker: %s: %s", field, fmt.Sprintf(format, a...)))
	}
	if !nameRE.MatchString(o.Name) {
		bad("Name", "%q is not a broker name (letters, digits, '.', '_', '-')", o.Name)
	}
	if o.Events == nil {
		o.Events = events.Discard
	}
	if o.HandshakeTimeout == 0 {
		o.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if o.HeartBeat == 0 {
		o.HeartBeat = DefaultHeartBeat
	}
	if o.Prefetch == 0 {
		o.Prefetch = DefaultPrefetch
	}
	switch {
	case o.MaxRedeliveries == 0:
		o.MaxRedeliveries = DefaultMaxRedeliveries
	case o.MaxRedeliveries < 0:
		o.MaxRedeliveries = int(^uint(0) >> 1)
	}
	if o.DestinationMemoryLimit == 0 {
		o.DestinationMemoryLimit = DefaultDestinationMemoryLimit
	}
	if o.ConnectionMemoryLimit == 0 {
		o.ConnectionMemoryLimit = DefaultConnectionMemoryLimit
	}
	if o.BrokerMemoryLimit == 0 {
		o.BrokerMemoryLimit = DefaultBrokerMemoryLimit
	}
	if o.MaxTransactionBytes == 0 {
		o.MaxTransactionBytes = o.DestinationMemoryLimit
	}
	if o.DestinationMemoryLimit < 0 || o.ConnectionMemoryLimit < 0 || o.BrokerMemoryLimit < 0 || o.MaxTransactionBytes < 0 {
		bad("DestinationMemoryLimit/ConnectionMemoryLimit/BrokerMemoryLimit/MaxTransactionBytes", "must not be negative")
	}
	if o.Prefetch > MaxPrefetch {
		bad("Prefetch", "%d is more than the most a subscription may have in flight, %d (ActiveMQ's maximum prefetch)", o.Prefetch, MaxPrefetch)
	}
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.Limits == (stomp.Limits{}) {
		o.Limits = stomp.DefaultLimits
	}
	if o.HandshakeTimeout < 0 || o.HeartBeat < 0 || o.Prefetch < 0 || o.MaxConnections < 0 {
		bad("HandshakeTimeout/HeartBeat/Prefetch/MaxConnections", "must not be negative")
	}
	c := &config{Options: o}
	needTLS := false
	for i, raw := range o.Listen {
		l, err := transport.ParseListener(raw)
		if err != nil {
			bad(fmt.Sprintf("Listen[%d]", i), "%v", err)
			continue
		}
		needTLS = needTLS || l.TLS
		if _, err := tlsconf.ParseKnobs(l.TLSParams, false); err != nil {
			bad(fmt.Sprintf("Listen[%d]", i), "listener %q: %v", raw, err)
		}
		c.listeners = append(c.listeners, l)
	}
	for i, raw := range o.Connect {
		n, err := network.ParseConnector(raw)
		if err != nil {
			bad(fmt.Sprintf("Connect[%d]", i), "%v", err)
			continue
		}
		for _, p := range n.Peers {
			needTLS = needTLS || p.TLS
			if _, err := tlsconf.ParseKnobs(p.TLSParams, true); err != nil {
				bad(fmt.Sprintf("Connect[%d]", i), "peer %q: %v", network.Redact(p.URI), err)
			}
		}
		c.connectors = append(c.connectors, n)
	}
	if o.TLS != (tlsconf.Files{}) {
		m, err := tlsconf.Load(o.TLS)
		if err != nil {
			// %w: New reports a load failure's class (start-failed event).
			errs = append(errs, fmt.Errorf("broker: TLS: %w", err))
		} else {
			c.tls, c.tlsSrc = m, tlsconf.SourceOf(o.TLS, m)
		}
	} else if needTLS {
		bad("TLS", "a stomp+ssl listener or ssl:// connector needs a certificate, key and truststore (TLS.CertFile, TLS.KeyFile, TLS.TrustFile)")
	}
	if ch, err := o.securityChain(); err != nil {
		errs = append(errs, err)
	} else {
		c.sec = ch
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

func (o Options) clone() Options {
	c := o
	c.Listen = append([]string(nil), o.Listen...)
	c.Connect = append([]string(nil), o.Connect...)
	if o.TLS.SSLContext != nil {
		sc := *o.TLS.SSLContext
		if sc.KeyStore != nil {
			ks := *sc.KeyStore
			sc.KeyStore = &ks
		}
		c.TLS.SSLContext = &sc
	}
	if o.Users != nil {
		c.Users = make(map[string]string, len(o.Users))
		for k, v := range o.Users {
			c.Users[k] = v
		}
	}
	c.Security = o.Security.Clone()
	return c
}
