package broker

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/network"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/broker/transport"
)

// listenerTLS is a TLS listener's configuration: the node's material as
// of each handshake (so a reload reaches new connections), with the
// listener's own knobs. The knobs were checked by validate.
func (b *Broker) listenerTLS(l transport.Listener) (*tls.Config, error) {
	if b.cfg.tlsSrc == nil {
		return nil, errors.New("broker: a TLS listener needs TLS material")
	}
	k, err := tlsconf.ParseKnobs(l.TLSParams, false)
	if err != nil {
		return nil, err
	}
	return b.cfg.tlsSrc.ServerConfig(tlsconf.ClientAuth(l.ClientAuth), k)
}

// connectorTLS is one dial's configuration: the current material and the
// peer URI's knobs (verifyHostName, enabledProtocols, …).
func (b *Broker) connectorTLS(p network.Peer) (*tls.Config, error) {
	if b.cfg.tlsSrc == nil {
		return nil, fmt.Errorf("broker: connector to %s needs TLS material", p.ServerName)
	}
	k, err := tlsconf.ParseKnobs(p.TLSParams, true)
	if err != nil {
		return nil, err
	}
	return b.cfg.tlsSrc.ClientConfig(p.ServerName, k)
}

// ReloadTLS reads the node's certificate and key files (or keystores)
// again without a restart: connections accepted or dialled from now on use
// them; established ones keep the old. On error the old material stays and
// the error says why. Either way a tls-reloaded event records it.
func (b *Broker) ReloadTLS() error {
	if b.cfg.tlsSrc == nil {
		return errors.New("broker: ReloadTLS: this broker has no TLS material")
	}
	m, err := b.cfg.tlsSrc.Reload()
	if err != nil {
		b.emit(events.Event{Kind: events.TLSReloaded, Class: string(tlsconf.Classify(err)), Reason: "reload failed, the previous certificate stays: " + err.Error()})
		return fmt.Errorf("broker %s: reload TLS: %w", b.cfg.Name, err)
	}
	reason := "no certificate"
	if m.Leaf != nil {
		reason = fmt.Sprintf("certificate %s serial %X valid until %s", m.Leaf.Subject, m.Leaf.SerialNumber, m.Leaf.NotAfter.UTC().Format("2006-01-02 15:04:05Z"))
	}
	b.emit(events.Event{Kind: events.TLSReloaded, Reason: reason})
	return nil
}

// startFailed reports options a broker cannot start with, as a Java
// broker logs a keystore it cannot open and exits: the class of a TLS
// material failure, and the error, which names the file and the setting.
func startFailed(o Options, err error) {
	if o.Events == nil {
		return
	}
	e := events.Event{Time: time.Now(), Node: o.Name, Kind: events.StartFailed, Reason: err.Error()}
	if le, ok := errors.AsType[*tlsconf.LoadError](err); ok {
		e.Class = string(le.Class)
	} else if o.TLS != (tlsconf.Files{}) {
		if c := tlsconf.Classify(err); c != tlsconf.ClassOther {
			e.Class = string(c)
		}
	}
	o.Events.Emit(e)
}

// tlsVersionName names the TLS version of an established connection, for
// messages.
func tlsVersionName(nc net.Conn) string {
	if tc, ok := nc.(*tls.Conn); ok {
		return tls.VersionName(tc.ConnectionState().Version)
	}
	return "TLS"
}
