package topology

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/network"
)

// ConnectorNetwork holds a connector's network-of-brokers attributes beyond
// the basics: ActiveMQ's names, as in <networkConnector …/>, plus
// brokerlab's reconnection knobs. Zero values mean the broker's defaults.
type ConnectorNetwork struct {
	MessageTTL, ConsumerTTL             int
	ConduitSubscriptions                *bool // nil: true
	DecreaseNetworkConsumerPriority     bool
	SuppressDuplicateQueueSubscriptions bool
	StaticallyIncludedDestinations      []string
	DynamicallyIncludedDestinations     []string
	ExcludedDestinations                []string
	MaxReconnectAttempts                int
	// BackOffMultiplier is ActiveMQ's factor between delays; its key is
	// listed with the other backoff keys in node.go, and it lives here so
	// that it renders with the attributes below. 0: the default, 2.
	BackOffMultiplier          float64
	ProbeInterval, StableAfter time.Duration
	Jitter                     string // a fraction such as "0.2"
}

var networkConnectorKeys = []string{"messageTTL", "consumerTTL", "conduitSubscriptions", "decreaseNetworkConsumerPriority",
	"suppressDuplicateQueueSubscriptions", "staticallyIncludedDestinations", "dynamicallyIncludedDestinations",
	"excludedDestinations", "maxReconnectAttempts", "probeInterval", "stableAfter", "jitter"}

func init() { connectorKeys = append(connectorKeys, networkConnectorKeys...) }

// connectorNetwork reads the attributes above from a connector's fields.
func (p *parser) connectorNetwork(f map[string]field, what string, c *ConnectorNetwork) bool {
	ok := true
	check := func(good bool) { ok = ok && good }
	atLeast1 := func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, 1) }
	check(optional(f, "messageTTL", what, atLeast1, &c.MessageTTL))
	check(optional(f, "consumerTTL", what, atLeast1, &c.ConsumerTTL))
	check(optional(f, "decreaseNetworkConsumerPriority", what, p.boolean, &c.DecreaseNetworkConsumerPriority))
	check(optional(f, "suppressDuplicateQueueSubscriptions", what, p.boolean, &c.SuppressDuplicateQueueSubscriptions))
	check(optional(f, "maxReconnectAttempts", what, func(n *yaml.Node, w string) (int, bool) { return p.integer(n, w, 0) }, &c.MaxReconnectAttempts))
	check(optional(f, "probeInterval", what, p.duration, &c.ProbeInterval))
	check(optional(f, "stableAfter", what, p.duration, &c.StableAfter))
	if v, found := f["conduitSubscriptions"]; found {
		b, good := p.boolean(v.val, what+".conduitSubscriptions")
		if good {
			c.ConduitSubscriptions = &b
		}
		check(good)
	}
	if v, found := f["jitter"]; found {
		s, _, good := p.connectorFloat(v.val, what+".jitter", network.ParseJitter)
		c.Jitter = s
		check(good)
	}
	if v, found := f["backOffMultiplier"]; found {
		_, x, good := p.connectorFloat(v.val, what+".backOffMultiplier", network.ParseBackOffMultiplier)
		c.BackOffMultiplier = x
		check(good)
	}
	for key, dst := range map[string]*[]string{
		"staticallyIncludedDestinations":  &c.StaticallyIncludedDestinations,
		"dynamicallyIncludedDestinations": &c.DynamicallyIncludedDestinations,
		"excludedDestinations":            &c.ExcludedDestinations,
	} {
		v, found := f[key]
		if !found {
			continue
		}
		list, poss, good := p.strList(v.val, what+"."+key, "destinations such as /queue/orders or /topic/prices.>")
		for i, d := range list {
			if !strings.HasPrefix(d, "/queue/") && !strings.HasPrefix(d, "/topic/") && !strings.HasPrefix(d, "queue://") && !strings.HasPrefix(d, "topic://") {
				p.errorAt(poss[i], "%s.%s[%d]: %q is not a destination; write /queue/name or /topic/name (wildcards * and >)", what, key, i, d)
				good = false
			}
		}
		*dst = list
		check(good)
	}
	return ok
}

// connectorFloat reads a number with the connector URI's own parser, so a
// file accepts exactly what the broker does: no NaN or infinity (YAML's
// .nan, .inf), which would end in no wait at all between failed attempts.
// It returns the value as written too.
func (p *parser) connectorFloat(n *yaml.Node, what string, parse func(string) (float64, error)) (string, float64, bool) {
	s := ""
	if d := deref(n); d != nil && d.Kind == yaml.ScalarNode && !isNull(d) {
		s = d.Value
	}
	x, err := parse(s)
	if err != nil {
		p.errorf(n, "%s %v, got %s", what, err, describe(n))
		return s, 0, false
	}
	return s, x, true
}

// Clone returns a deep copy.
func (c ConnectorNetwork) Clone() ConnectorNetwork {
	c.StaticallyIncludedDestinations = slices.Clone(c.StaticallyIncludedDestinations)
	c.DynamicallyIncludedDestinations = slices.Clone(c.DynamicallyIncludedDestinations)
	c.ExcludedDestinations = slices.Clone(c.ExcludedDestinations)
	if c.ConduitSubscriptions != nil {
		b := *c.ConduitSubscriptions
		c.ConduitSubscriptions = &b
	}
	return c
}

// Query renders the attributes as connector URI options.
func (c ConnectorNetwork) Query() []string {
	var q []string
	ms := func(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) }
	if c.MessageTTL > 0 {
		q = append(q, "messageTTL="+strconv.Itoa(c.MessageTTL))
	}
	if c.ConsumerTTL > 0 {
		q = append(q, "consumerTTL="+strconv.Itoa(c.ConsumerTTL))
	}
	if c.ConduitSubscriptions != nil {
		q = append(q, "conduitSubscriptions="+strconv.FormatBool(*c.ConduitSubscriptions))
	}
	if c.DecreaseNetworkConsumerPriority {
		q = append(q, "decreaseNetworkConsumerPriority=true")
	}
	if c.SuppressDuplicateQueueSubscriptions {
		q = append(q, "suppressDuplicateQueueSubscriptions=true")
	}
	for key, list := range map[string][]string{
		"staticallyIncludedDestinations":  c.StaticallyIncludedDestinations,
		"dynamicallyIncludedDestinations": c.DynamicallyIncludedDestinations,
		"excludedDestinations":            c.ExcludedDestinations,
	} {
		if len(list) > 0 {
			q = append(q, key+"="+url.QueryEscape(strings.Join(list, ",")))
		}
	}
	if c.MaxReconnectAttempts > 0 {
		q = append(q, "maxReconnectAttempts="+strconv.Itoa(c.MaxReconnectAttempts))
	}
	if c.BackOffMultiplier > 0 {
		q = append(q, "backOffMultiplier="+strconv.FormatFloat(c.BackOffMultiplier, 'g', -1, 64))
	}
	if c.ProbeInterval > 0 {
		q = append(q, "probeInterval="+ms(c.ProbeInterval))
	}
	if c.StableAfter > 0 {
		q = append(q, "stableAfter="+ms(c.StableAfter))
	}
	if c.Jitter != "" {
		q = append(q, "jitter="+c.Jitter)
	}
	slices.Sort(q)
	return q
}
