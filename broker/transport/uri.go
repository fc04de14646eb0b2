// Package transport reads listener URIs in ActiveMQ's vocabulary
// (stomp://host:port, stomp+ssl://host:port?needClientAuth=true) and binds
// them. TLS itself is layered on per connection by the broker, so that a
// failed handshake is an event on the connection that failed, not a silent
// error inside Accept.
package transport

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// ClientAuth mirrors tlsconf.ClientAuth without importing it, so transport
// stays a leaf package.
type ClientAuth int

const (
	NoClientCert ClientAuth = iota
	WantClientCert
	NeedClientCert
)

func (a ClientAuth) String() string {
	switch a {
	case WantClientCert:
		return "wantClientAuth"
	case NeedClientCert:
		return "needClientAuth"
	}
	return "none"
}

// Listener is a parsed listener URI.
type Listener struct {
	URI        string // as written
	Scheme     string // "stomp" or "stomp+ssl"
	Addr       string // host:port to bind; port 0 picks one
	TLS        bool
	ClientAuth ClientAuth
	// TLSParams are the TLS knobs as written (enabledProtocols,
	// enabledCipherSuites, with or without ActiveMQ's transport. prefix);
	// tlsconf.ParseKnobs reads them.
	TLSParams map[string]string
}

var listenerOptions = map[string]bool{"needClientAuth": true, "wantClientAuth": true,
	"transport.needClientAuth": true, "transport.wantClientAuth": true}

// tlsParams are handed to tlsconf as they are; transport stays a leaf.
var tlsParams = map[string]bool{"enabledProtocols": true, "enabledCipherSuites": true,
	"transport.enabledProtocols": true, "transport.enabledCipherSuites": true}

// ParseListener reads a listener URI. Errors say which part is wrong and
// what a valid URI looks like.
func ParseListener(raw string) (Listener, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Listener{}, fmt.Errorf("transport: listener %q: %v", raw, err)
	}
	l := Listener{URI: raw, Scheme: u.Scheme}
	switch u.Scheme {
	case "stomp", "tcp":
	case "stomp+ssl", "stomp+tls", "ssl":
		l.TLS = true
	default:
		return Listener{}, fmt.Errorf("transport: listener %q: unknown scheme %q; use stomp://host:port or stomp+ssl://host:port", raw, u.Scheme)
	}
	if u.Host == "" {
		return Listener{}, fmt.Errorf("transport: listener %q: no host:port; e.g. stomp://127.0.0.1:61613 (port 0 picks a free port)", raw)
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return Listener{}, fmt.Errorf("transport: listener %q: %v; e.g. stomp://127.0.0.1:61613", raw, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return Listener{}, fmt.Errorf("transport: listener %q: port %q is not a number from 0 to 65535", raw, port)
	}
	l.Addr = net.JoinHostPort(host, port)
	q := u.Query()
	for k := range q {
		switch {
		case tlsParams[k]:
			if !l.TLS {
				return Listener{}, fmt.Errorf("transport: listener %q: %s applies only to stomp+ssl:// listeners", raw, k)
			}
			if l.TLSParams == nil {
				l.TLSParams = map[string]string{}
			}
			l.TLSParams[k] = q.Get(k)
		case !listenerOptions[k]:
			known := slices.Sorted(maps.Keys(listenerOptions))
			known = append(known, slices.Sorted(maps.Keys(tlsParams))...)
			return Listener{}, fmt.Errorf("transport: listener %q: unknown option %q; known: %s", raw, k, strings.Join(known, ", "))
		}
	}
	// ActiveMQ: setting one of need/want clears the other; need wins when both are true.
	for _, opt := range []struct {
		key  string
		auth ClientAuth
	}{{"wantClientAuth", WantClientCert}, {"needClientAuth", NeedClientCert}} {
		key := opt.key
		if q.Has("transport." + key) {
			key = "transport." + key
		}
		v := q.Get(key)
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Listener{}, fmt.Errorf("transport: listener %q: %s=%q is not true or false", raw, key, v)
		}
		if !l.TLS {
			return Listener{}, fmt.Errorf("transport: listener %q: %s applies only to stomp+ssl:// listeners", raw, key)
		}
		if b {
			l.ClientAuth = opt.auth
		}
	}
	return l, nil
}

// Listen binds the listener's address (TCP only; TLS is per connection).
func (l Listener) Listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", l.Addr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", l.URI, err)
	}
	return ln, nil
}

// WithAddr returns the URI with host:port replaced by addr, e.g. to report
// the port that port 0 picked.
func (l Listener) WithAddr(addr string) string {
	u, err := url.Parse(l.URI)
	if err != nil {
		return l.URI
	}
	u.Host = addr
	return u.String()
}
