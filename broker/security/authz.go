package security

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Op is what a principal wants to do with a destination.
type Op string

const (
	Read  Op = "read"  // SUBSCRIBE, and a bridge's demand
	Write Op = "write" // SEND, and a message a bridge forwards
	Admin Op = "admin" // create a destination that does not exist yet
)

// AuthzEntry grants groups read, write and admin on the destinations one
// pattern matches (ActiveMQ's authorizationEntry). Exactly one of Pattern,
// Temp (every temporary destination: tempDestinationAuthorizationEntry)
// and Advisory (ActiveMQ.Advisory.> topics) says which.
type AuthzEntry struct {
	Pattern  string // e.g. /queue/orders.> or /topic/prices.*
	Temp     bool
	Advisory bool
	Read     []string
	Write    []string
	Admin    []string
}

// AdvisoryPattern is where ActiveMQ publishes advisory messages.
const AdvisoryPattern = "/topic/ActiveMQ.Advisory.>"

func (e AuthzEntry) clone() AuthzEntry {
	e.Read, e.Write, e.Admin = slices.Clone(e.Read), slices.Clone(e.Write), slices.Clone(e.Admin)
	return e
}

func (e AuthzEntry) validate() error {
	n := 0
	for _, b := range []bool{e.Pattern != "", e.Temp, e.Advisory} {
		if b {
			n++
		}
	}
	if n != 1 {
		return errors.New("an entry needs exactly one of a destination pattern, temp or advisory")
	}
	if e.Pattern != "" && !strings.HasPrefix(e.Pattern, "/queue/") && !strings.HasPrefix(e.Pattern, "/topic/") {
		return fmt.Errorf("pattern %q must start with /queue/ or /topic/", e.Pattern)
	}
	return nil
}

// Matcher reports whether a concrete destination (or a subscription's
// pattern) matches an entry's pattern. The broker passes its own wildcard
// matcher, so authorization and subscriptions read `*` and `>` alike.
type Matcher func(pattern, dest string) bool

// AuthorizationMap decides who may do what to which destination. As in
// ActiveMQ's DefaultAuthorizationMap, the groups of every matching entry
// are combined, and a destination no entry matches is refused.
type AuthorizationMap struct {
	entries []AuthzEntry
	match   Matcher

	// Decisions are remembered per (groups, op, destination): the map
	// never changes, and a producer sends to the same few destinations.
	mu    sync.RWMutex
	cache map[decisionKey]bool
}

type decisionKey struct {
	groups string
	op     Op
	dest   string
}

// maxDecisions bounds the cache; it starts afresh when full.
const maxDecisions = 1 << 14

// NewAuthorizationMap checks the entries and keeps a copy.
func NewAuthorizationMap(entries []AuthzEntry, match Matcher) (*AuthorizationMap, error) {
	if match == nil {
		return nil, errors.New("security: an authorization map needs a destination matcher")
	}
	m := &AuthorizationMap{match: match}
	for i, e := range entries {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("security: Authorization[%d]: %w", i, err)
		}
		m.entries = append(m.entries, e.clone())
	}
	return m, nil
}

// Groups lists the groups allowed op on dest, from every matching entry.
func (m *AuthorizationMap) Groups(op Op, dest string) []string {
	var out []string
	for _, e := range m.entries {
		var hit bool
		switch {
		case e.Temp:
			hit = IsTempDest(dest)
		case e.Advisory:
			hit = m.match(AdvisoryPattern, dest)
		default:
			hit = m.match(e.Pattern, dest)
		}
		if !hit {
			continue
		}
		gs := e.Read
		switch op {
		case Write:
			gs = e.Write
		case Admin:
			gs = e.Admin
		}
		for _, g := range gs {
			if !slices.Contains(out, g) {
				out = append(out, g)
			}
		}
	}
	return out
}

// Check returns nil when p may do op on dest, else a *Denied.
func (m *AuthorizationMap) Check(p *Principal, op Op, dest string) error {
	if p == nil {
		p = anonymous
	}
	k := decisionKey{groups: strings.Join(p.Groups, "\x00"), op: op, dest: dest}
	m.mu.RLock()
	ok, known := m.cache[k]
	m.mu.RUnlock()
	if !known {
		ok = p.In(m.Groups(op, dest))
		m.mu.Lock()
		if m.cache == nil || len(m.cache) >= maxDecisions {
			m.cache = map[decisionKey]bool{}
		}
		m.cache[k] = ok
		m.mu.Unlock()
	}
	if ok {
		return nil
	}
	return &Denied{User: p.User, Op: op, Dest: dest}
}

// Anonymous is the user of a connection no login module vouched for.
const Anonymous = "anonymous"

// anonymous is the principal Check uses for a connection without one; it
// is only read.
var anonymous = &Principal{User: Anonymous}

// Denied is an authorization refusal. Its text is ActiveMQ's, so users of
// either broker recognise it: "User bob is not authorized to write to:
// queue://orders".
type Denied struct {
	User string
	Op   Op
	Dest string
}

func (d *Denied) Error() string {
	what := map[Op]string{Read: "read from", Write: "write to", Admin: "create"}[d.Op]
	return fmt.Sprintf("User %s is not authorized to %s: %s", d.User, what, DestURL(d.Dest))
}

// Temporary destinations as the broker names them once resolved, and as
// clients write them.
var tempPrefixes = []string{"/remote-temp-queue/", "/remote-temp-topic/", "/temp-queue/", "/temp-topic/"}

// IsTempDest reports whether dest is a temporary destination.
func IsTempDest(dest string) bool {
	for _, p := range tempPrefixes {
		if strings.HasPrefix(dest, p) {
			return true
		}
	}
	return false
}

// DestURL writes a STOMP destination the way ActiveMQ's messages do:
// /queue/a → queue://a, /remote-temp-queue/x → temp-queue://x.
func DestURL(dest string) string {
	for _, p := range []struct{ prefix, scheme string }{
		{"/queue/", "queue://"}, {"/topic/", "topic://"},
		{"/remote-temp-queue/", "temp-queue://"}, {"/remote-temp-topic/", "temp-topic://"},
		{"/temp-queue/", "temp-queue://"}, {"/temp-topic/", "temp-topic://"},
	} {
		if rest, ok := strings.CutPrefix(dest, p.prefix); ok {
			return p.scheme + rest
		}
	}
	return dest
}
