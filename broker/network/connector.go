// Package network keeps a broker's network connectors connected: it reads
// ActiveMQ connector URIs (static://(ssl://hub:61617)?duplex=true&…) with
// every networkConnector attribute, and runs the reconnect schedule. What
// flows over an established link is the broker's business: the connector
// hands each connection to a Session function and waits for it to end.
//
//	Run ─▶ Connect(peer[i]) ──refused / closed before a word──▶ probe again in probeInterval (quiet)
//	            │ ok
//	            ▼
//	       Session(conn): TLS, CONNECT ──up──▶ … ──▶ down ─▶ Connect at once
//	            │ failed (tls, auth, stall)
//	            ▼
//	       backoff 1, 2, 4 … 30 s (±jitter), checking once a second that the
//	       peer is still there ─▶ Connect(peer[i+1]) …
//
// Cheap failures cost the peer nothing and are repeated often; costly ones
// follow ActiveMQ's backoff (schedule.go).
package network

import (
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults are ActiveMQ's for static: discovery.
const (
	DefaultInitialReconnectDelay = time.Second
	DefaultMaxReconnectDelay     = 30 * time.Second
	DefaultBackOffMultiplier     = 2.0
	DefaultNetworkTTL            = 1
	// brokerlab's own: how often a peer that refuses TCP is probed, and
	// how long a bridge must live before its end no longer counts as a
	// failed attempt.
	DefaultProbeInterval = 100 * time.Millisecond
	DefaultStableAfter   = time.Second
)

// Config is a parsed connector URI with its attributes.
type Config struct {
	URI         string
	Name        string
	Peers       []Peer
	Duplex      bool
	DynamicOnly bool
	NetworkTTL  int
	MessageTTL  int // hops a message may make; defaults to NetworkTTL
	ConsumerTTL int // hops demand is passed on; defaults to NetworkTTL
	// ConduitSubscriptions (ActiveMQ's default, true) sends one demand per
	// destination however many consumers it has; false sends one per
	// consumer, so a peer balances between brokers by consumer count.
	ConduitSubscriptions bool
	// DecreaseNetworkConsumerPriority makes local consumers win over the
	// network: a message goes over a bridge only when no local consumer
	// has room for it, and over fewer hops before more.
	DecreaseNetworkConsumerPriority bool
	// SuppressDuplicateQueueSubscriptions keeps, per queue, only the
	// shortest path to a consumer in a mesh, so a message never takes the
	// long way round.
	SuppressDuplicateQueueSubscriptions bool
	// Destination filters (ActiveMQ names or /queue/, /topic/ names, with
	// wildcards * and >). Static ones forward without demand; dynamic ones,
	// when given, are the only ones demand may cross for; excluded ones
	// never cross.
	StaticallyIncludedDestinations  []string
	DynamicallyIncludedDestinations []string
	ExcludedDestinations            []string

	InitialReconnectDelay time.Duration
	MaxReconnectDelay     time.Duration
	UseExponentialBackOff bool
	BackOffMultiplier     float64
	MaxReconnectAttempts  int // 0: unlimited
	// Jitter spreads each backoff delay by up to ±Jitter (0.2: ±20 %),
	// from a source seeded by JitterSeed (default: a hash of the URI), so a
	// run can be replayed.
	Jitter     float64
	JitterSeed uint64
	// ProbeInterval is how often a peer that refuses TCP is tried again;
	// StableAfter how long a bridge must live for its end not to count as
	// a failed attempt (brokerlab's own knobs).
	ProbeInterval      time.Duration
	StableAfter        time.Duration
	UserName, Password string
}

// Peer is one URI inside static:(…).
type Peer struct {
	URI        string
	Addr       string // host:port to dial
	TLS        bool
	ServerName string // the name the peer's certificate is verified against; defaults to the host
	// TLSParams are the peer URI's TLS knobs as written (enabledProtocols,
	// enabledCipherSuites, verifyHostName, with or without ActiveMQ's
	// socket. prefix); tlsconf.ParseKnobs reads them.
	TLSParams map[string]string
}

// peerTLSParams are the TLS knobs a peer URI may carry.
var peerTLSParams = []string{"enabledProtocols", "enabledCipherSuites", "verifyHostName",
	"socket.enabledProtocols", "socket.enabledCipherSuites", "socket.verifyHostName"}

var connectorOptions = map[string]bool{
	"name": true, "duplex": true, "dynamicOnly": true, "networkTTL": true,
	"initialReconnectDelay": true, "maxReconnectDelay": true, "useExponentialBackOff": true,
	"backOffMultiplier": true, "maxReconnectAttempts": true, "userName": true, "password": true,
	"messageTTL": true, "consumerTTL": true, "conduitSubscriptions": true, "decreaseNetworkConsumerPriority": true,
	"suppressDuplicateQueueSubscriptions": true, "staticallyIncludedDestinations": true,
	"dynamicallyIncludedDestinations": true, "excludedDestinations": true,
	"jitter": true, "jitterSeed": true, "probeInterval": true, "stableAfter": true,
}

// MaxBackOffMultiplier bounds backOffMultiplier: 100 already takes
// ActiveMQ's default 1 s to its 30 s cap in one step, so a larger value is a
// slip, and an unbounded one (1e12, Inf) overflows the delay.
const MaxBackOffMultiplier = 100

// ParseBackOffMultiplier reads a backOffMultiplier value; the error says the
// valid range, for the caller to prefix with the option's name. Topology
// files use it too, so both accept the same values.
func ParseBackOffMultiplier(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	// Written as !(in range) so that NaN, which compares false with
	// everything, fails too.
	if err != nil || !(f >= 1 && f <= MaxBackOffMultiplier) {
		return 0, fmt.Errorf("must be a number from 1 to %d, e.g. 2 to double each delay", MaxBackOffMultiplier)
	}
	return f, nil
}

// ParseJitter reads a jitter value, a fraction from 0 to below 1.
func ParseJitter(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= 0 && f < 1) {
		return 0, errors.New("must be a fraction from 0 to below 1, e.g. 0.2 for ±20%")
	}
	return f, nil
}

// ParseConnector reads `static://(uri1,uri2)?opt=v&…` (also `static:(…)` and a
// bare peer URI such as `ssl://hub:61617`).
//
// No error quotes a password, nor any part of one: every piece of the URI
// that an error shows is redacted first.
func ParseConnector(raw string) (Config, error) {
	c := Config{
		URI:                   raw,
		NetworkTTL:            DefaultNetworkTTL,
		InitialReconnectDelay: DefaultInitialReconnectDelay,
		MaxReconnectDelay:     DefaultMaxReconnectDelay,
		UseExponentialBackOff: true,
		BackOffMultiplier:     DefaultBackOffMultiplier,
		ConduitSubscriptions:  true,
		ProbeInterval:         DefaultProbeInterval,
		StableAfter:           DefaultStableAfter,
	}
	h := fnv.New64a()
	h.Write([]byte(raw))
	c.JitterSeed = h.Sum64()
	fail := func(format string, a ...any) (Config, error) {
		// The detail quotes only redacted pieces; redacting it again is a
		// second line of defence for a piece that was not.
		return Config{}, fmt.Errorf("network: connector %q: %s", Redact(raw), redactQuoted(fmt.Sprintf(format, a...)))
	}
	rest := raw
	var list, query string
	if strings.HasPrefix(rest, "static:") {
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "static:"), "//")
		if !strings.HasPrefix(rest, "(") {
			return fail("expected static://(uri,…), e.g. static://(ssl://127.0.0.1:61617)")
		}
		// A peer URI never holds a ')', so the first one ends the list; a
		// ')' after it is in an option value, which parseOptions refuses
		// by name (a composite-URI parser, ActiveMQ's included, may take
		// it for the end of the list), so no tail of a password is ever
		// taken for text after the list and quoted.
		end := strings.Index(rest, ")")
		if end < 0 {
			return fail("missing ')' after the peer list")
		}
		list, query = rest[1:end], rest[end+1:]
	} else {
		list = rest
	}
	for _, p := range splitPeers(list) {
		p = strings.TrimSpace(p)
		if fixed, moved := withoutConnectorOptions(p); len(moved) > 0 {
			k, _, _ := strings.Cut(moved[0], "=")
			opts := strings.Join(moved, "&")
			// The options already after ')' join them, unless they may
			// continue a password cut short by a ')' in it.
			if q, ok := strings.CutPrefix(query, "?"); ok && q != "" && !inPassword(raw, len(raw)-len(query)) {
				opts += "&" + q
			}
			return fail("%q is a connector option, which a peer URI does not take; connector options go after the peer list: %s",
				k, Redact("static://("+strings.Replace(list, p, fixed, 1)+")?"+opts))
		}
		peer, err := parsePeer(p)
		if err != nil {
			return fail("%v", err)
		}
		c.Peers = append(c.Peers, peer)
	}
	if query != "" && !strings.HasPrefix(query, "?") {
		if inPassword(raw, len(raw)-len(query)) {
			// The text after ')' continues a password written in the
			// peer list: quoting it would show part of that password.
			return fail("unexpected text after ')'; options go after '?', and a ')' in a value is written %%29")
		}
		return fail("unexpected %q after ')'; options go after '?'", query)
	}
	q, err := parseOptions(strings.TrimPrefix(query, "?"))
	if err != nil {
		return fail("%v", err)
	}
	if err := c.applyOptions(q); err != nil {
		return fail("%v", err)
	}
	return c, c.validate(fail)
}

// parseOptions reads the options after '?' as url.ParseQuery would (values
// percent-decoded, '+' a space), with three differences: an option given
// twice is an error rather than first-one-wins; a ')' in a value is an error
// that says how to write it; and no error quotes a password or a piece that
// may belong to one.
func parseOptions(query string) (url.Values, error) {
	q := url.Values{}
	if query == "" {
		return q, nil
	}
	afterPassword := false
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		key, rawVal, _ := strings.Cut(pair, "=")
		follows := afterPassword
		afterPassword = strings.EqualFold(key, "password")
		if !connectorOptions[key] {
			hint := ""
			if follows {
				// "password=ab&cd" reads as password "ab" and option "cd".
				hint = " (if it is the rest of the password, write its '&' as %26)"
			}
			return nil, fmt.Errorf("unknown option %q%s; known: %s", key, hint, knownOptions())
		}
		if _, dup := q[key]; dup {
			return nil, fmt.Errorf("option %q is given more than once; give it once", key)
		}
		if strings.Contains(rawVal, ")") {
			return nil, fmt.Errorf("option %q has a ')' in its value, which may be read as the end of the peer list; write it as %%29", key)
		}
		v, err := url.QueryUnescape(rawVal)
		if err != nil {
			if key == "password" {
				return nil, errors.New("option \"password\" has a '%' that is not followed by two hex digits; write '%' as %25")
			}
			return nil, fmt.Errorf("option %q: %v; write '%%' as %%25", key, err)
		}
		q[key] = []string{v}
	}
	return q, nil
}

func knownOptions() string {
	return strings.Join(slices.Sorted(maps.Keys(connectorOptions)), ", ")
}

// withoutConnectorOptions returns a peer URI without the connector options
// it carries (ssl://h:1?duplex=true, a common slip) and those options.
func withoutConnectorOptions(peer string) (string, []string) {
	base, query, ok := strings.Cut(peer, "?")
	if !ok {
		return peer, nil
	}
	var keep, moved []string
	for _, pair := range strings.Split(query, "&") {
		k, _, _ := strings.Cut(pair, "=")
		if connectorOptions[k] {
			moved = append(moved, pair)
		} else {
			keep = append(keep, pair)
		}
	}
	if len(keep) > 0 {
		base += "?" + strings.Join(keep, "&")
	}
	return base, moved
}

// inPassword reports whether position i of uri falls in a password's value.
func inPassword(uri string, i int) bool {
	for _, m := range passwordRE.FindAllStringIndex(uri, -1) {
		if m[0] < i && i < m[1] {
			return true
		}
	}
	return false
}

func (c *Config) applyOptions(q url.Values) error {
	var err error
	boolOpt := func(key string, dst *bool) {
		if v := q.Get(key); v != "" && err == nil {
			b, e := strconv.ParseBool(v)
			if e != nil {
				err = fmt.Errorf("%s=%q is not true or false", key, v)
			}
			*dst = b
		}
	}
	intOpt := func(key string, dst *int) {
		if v := q.Get(key); v != "" && err == nil {
			n, e := strconv.Atoi(v)
			if e != nil {
				err = fmt.Errorf("%s=%q is not a whole number", key, v)
			}
			*dst = n
		}
	}
	// ActiveMQ gives delays in milliseconds; a Go duration ("1.5s") is accepted too.
	msOpt := func(key string, dst *time.Duration) {
		if v := q.Get(key); v != "" && err == nil {
			if ms, e := strconv.Atoi(v); e == nil {
				*dst = time.Duration(ms) * time.Millisecond
				return
			}
			d, e := time.ParseDuration(v)
			if e != nil {
				err = fmt.Errorf("%s=%q is neither milliseconds nor a duration such as 500ms", key, v)
			}
			*dst = d
		}
	}
	c.Name = q.Get("name")
	c.UserName, c.Password = q.Get("userName"), q.Get("password")
	boolOpt("duplex", &c.Duplex)
	boolOpt("dynamicOnly", &c.DynamicOnly)
	boolOpt("useExponentialBackOff", &c.UseExponentialBackOff)
	intOpt("networkTTL", &c.NetworkTTL)
	c.MessageTTL, c.ConsumerTTL = c.NetworkTTL, c.NetworkTTL
	intOpt("messageTTL", &c.MessageTTL)
	intOpt("consumerTTL", &c.ConsumerTTL)
	boolOpt("conduitSubscriptions", &c.ConduitSubscriptions)
	boolOpt("decreaseNetworkConsumerPriority", &c.DecreaseNetworkConsumerPriority)
	boolOpt("suppressDuplicateQueueSubscriptions", &c.SuppressDuplicateQueueSubscriptions)
	msOpt("probeInterval", &c.ProbeInterval)
	msOpt("stableAfter", &c.StableAfter)
	if v := q.Get("jitter"); v != "" && err == nil {
		f, e := ParseJitter(v)
		if e != nil {
			err = fmt.Errorf("jitter=%q %v", v, e)
		}
		c.Jitter = f
	}
	if v := q.Get("jitterSeed"); v != "" && err == nil {
		n, e := strconv.ParseUint(v, 10, 64)
		if e != nil {
			err = fmt.Errorf("jitterSeed=%q is not a whole number", v)
		}
		c.JitterSeed = n
	}
	for key, dst := range map[string]*[]string{
		"staticallyIncludedDestinations":  &c.StaticallyIncludedDestinations,
		"dynamicallyIncludedDestinations": &c.DynamicallyIncludedDestinations,
		"excludedDestinations":            &c.ExcludedDestinations,
	} {
		if v := q.Get(key); v != "" && err == nil {
			*dst, err = destinationList(key, v)
		}
	}
	intOpt("maxReconnectAttempts", &c.MaxReconnectAttempts)
	msOpt("initialReconnectDelay", &c.InitialReconnectDelay)
	msOpt("maxReconnectDelay", &c.MaxReconnectDelay)
	if v := q.Get("backOffMultiplier"); v != "" && err == nil {
		f, e := ParseBackOffMultiplier(v)
		if e != nil {
			err = fmt.Errorf("backOffMultiplier=%q %v", v, e)
		}
		c.BackOffMultiplier = f
	}
	return err
}

func (c *Config) validate(fail func(string, ...any) (Config, error)) error {
	var err error
	switch {
	case c.NetworkTTL < 1:
		_, err = fail("networkTTL must be at least 1, got %d", c.NetworkTTL)
	case c.MessageTTL < 1 || c.ConsumerTTL < 1:
		_, err = fail("messageTTL and consumerTTL must be at least 1, got %d and %d", c.MessageTTL, c.ConsumerTTL)
	case c.ProbeInterval <= 0 || c.StableAfter < 0:
		_, err = fail("probeInterval must be positive and stableAfter not negative")
	case c.InitialReconnectDelay <= 0:
		_, err = fail("initialReconnectDelay must be positive")
	case c.MaxReconnectDelay < c.InitialReconnectDelay:
		_, err = fail("maxReconnectDelay (%v) is less than initialReconnectDelay (%v)", c.MaxReconnectDelay, c.InitialReconnectDelay)
	case c.MaxReconnectAttempts < 0:
		_, err = fail("maxReconnectAttempts must be 0 (unlimited) or more")
	}
	return err
}

// peerStart finds where a peer URI begins in a static:(…) list.
var peerStart = regexp.MustCompile(`,\s*[a-zA-Z][a-zA-Z0-9+.-]*://`)

// splitPeers splits a peer list at the commas that start a new URI, so a
// peer's own comma-separated values (enabledProtocols=TLSv1.2,TLSv1.3)
// stay with it.
func splitPeers(list string) []string {
	var out []string
	for {
		loc := peerStart.FindStringIndex(list)
		if loc == nil {
			return append(out, list)
		}
		out = append(out, list[:loc[0]])
		list = list[loc[0]+1:]
	}
}

// passwordRE runs to the next '&' or the end: a password may hold any
// other character, ')' included, and stopping at one would show the rest.
var passwordRE = regexp.MustCompile(`(?i)(password=)[^&]*`)

// Redact hides a connector URI's password, so the URI can appear in an
// error, a log line or a report.
func Redact(uri string) string { return passwordRE.ReplaceAllString(uri, "${1}***") }

// quotedPasswordRE is passwordRE inside a %q-quoted string of a message: it
// stops at the closing quote (a quote in the password is escaped), so the
// rest of the message survives.
var quotedPasswordRE = regexp.MustCompile(`(?i)(password=)(?:[^&"\\]|\\.)*`)

func redactQuoted(msg string) string { return quotedPasswordRE.ReplaceAllString(msg, "${1}***") }

func parsePeer(raw string) (Peer, error) {
	shown := Redact(raw)
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URI, unredacted: keep only its reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return Peer{}, fmt.Errorf("peer %q: %v", shown, err)
	}
	p := Peer{URI: raw}
	switch u.Scheme {
	case "ssl", "tls", "stomp+ssl", "nio+ssl":
		p.TLS = true
	case "tcp", "stomp", "nio":
	default:
		return Peer{}, fmt.Errorf("peer %q: unknown scheme %q; use ssl://host:port or tcp://host:port", shown, u.Scheme)
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return Peer{}, fmt.Errorf("peer %q: %v; e.g. ssl://127.0.0.1:61617", shown, err)
	}
	// Checked here because a dial to port 0 or 99999 fails only as a
	// refused connect, which the connector would probe forever.
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return Peer{}, fmt.Errorf("peer %q: port %q is not from 1 to 65535; e.g. ssl://127.0.0.1:61617", shown, port)
	}
	p.Addr = u.Host
	p.ServerName = u.Hostname()
	// Read in order, so that the first bad option is the one reported,
	// and with repeats refused: u.Query() would keep the first silently.
	seen := map[string]bool{}
	for _, pair := range strings.Split(u.RawQuery, "&") {
		if pair == "" {
			continue
		}
		k, rawVal, _ := strings.Cut(pair, "=")
		if k != "serverName" && !slices.Contains(peerTLSParams, k) {
			return Peer{}, fmt.Errorf("peer %q: unknown option %q; known: serverName, %s", shown, k, strings.Join(peerTLSParams, ", "))
		}
		if seen[k] {
			return Peer{}, fmt.Errorf("peer %q: option %q is given more than once; give it once", shown, k)
		}
		seen[k] = true
		v, err := url.QueryUnescape(rawVal)
		if err != nil {
			return Peer{}, fmt.Errorf("peer %q: option %q: %v; write '%%' as %%25", shown, k, err)
		}
		switch {
		case k == "serverName":
			// The link runs through a fault proxy on loopback, so the peer is
			// verified by its node name rather than by the address dialled.
			p.ServerName = v
		case !p.TLS:
			return Peer{}, fmt.Errorf("peer %q: %s applies only to ssl:// peers", shown, k)
		default:
			if p.TLSParams == nil {
				p.TLSParams = map[string]string{}
			}
			p.TLSParams[k] = v
		}
	}
	return p, nil
}

// destinationList reads a comma-separated list of destinations, written as
// brokerlab does (/queue/a.b, /topic/a.>) or as ActiveMQ does (queue://a.b,
// topic://a.>), into brokerlab's form.
func destinationList(key, v string) ([]string, error) {
	var out []string
	for _, d := range strings.Split(v, ",") {
		d = strings.TrimSpace(d)
		switch {
		case strings.HasPrefix(d, "queue://"):
			d = "/queue/" + strings.TrimPrefix(d, "queue://")
		case strings.HasPrefix(d, "topic://"):
			d = "/topic/" + strings.TrimPrefix(d, "topic://")
		}
		name, ok := strings.CutPrefix(d, "/queue/")
		if !ok {
			name, ok = strings.CutPrefix(d, "/topic/")
		}
		if !ok || name == "" {
			return nil, fmt.Errorf("%s: %q is not a destination; write /queue/name, /topic/name or queue://name, with * and > as wildcards", key, d)
		}
		out = append(out, d)
	}
	return out, nil
}
