package security

import (
	"fmt"
	"time"
)

// Plugin is one link of the chain. It implements any of the hook
// interfaces below; the chain calls each hook of each plugin in order, and
// the first error refuses the operation.
type Plugin interface {
	Name() string
}

// Conn is what the chain knows of one connection. Authentication sets
// Principal; later hooks read it.
type Conn struct {
	View      ConnView
	Bridge    string // the peer broker's name for a bridge, "" for a client
	Link      string // the bridge's link, "from->to"
	Principal *Principal
}

// User is the connection's user name, Anonymous before (or without) login.
func (c *Conn) User() string {
	if c == nil || c.Principal == nil {
		return Anonymous
	}
	return c.Principal.User
}

// The hooks, after ActiveMQ's BrokerFilter methods.
type (
	ConnectionAdder interface{ AddConnection(c *Conn) error }
	BridgeAdder     interface{ AddBridge(c *Conn) error }
	Sender          interface {
		Send(c *Conn, dest string) error
	}
	Subscriber interface {
		Subscribe(c *Conn, dest string) error
	}
	Acker interface {
		Ack(c *Conn, dest, messageID string) error
	}
	DestinationCreator interface {
		CreateDestination(c *Conn, dest string) error
	}
	ConnectionRemover interface{ RemoveConnection(c *Conn) }
)

// Refusal is a hook's error with the plugin that raised it; its text is
// the hook's own, which is what a client is told.
type Refusal struct {
	Plugin string
	Hook   string
	Err    error
}

func (r *Refusal) Error() string { return r.Err.Error() }
func (r *Refusal) Unwrap() error { return r.Err }

// Chain is the ordered plugins, with each hook's implementers found once.
type Chain struct {
	plugins  []Plugin
	conns    []ConnectionAdder
	bridges  []BridgeAdder
	sends    []Sender
	subs     []Subscriber
	acks     []Acker
	creates  []DestinationCreator
	removals []ConnectionRemover
}

// NewChain orders plugins as given.
func NewChain(plugins ...Plugin) *Chain {
	ch := &Chain{plugins: plugins}
	for _, p := range plugins {
		if h, ok := p.(ConnectionAdder); ok {
			ch.conns = append(ch.conns, h)
		}
		if h, ok := p.(BridgeAdder); ok {
			ch.bridges = append(ch.bridges, h)
		}
		if h, ok := p.(Sender); ok {
			ch.sends = append(ch.sends, h)
		}
		if h, ok := p.(Subscriber); ok {
			ch.subs = append(ch.subs, h)
		}
		if h, ok := p.(Acker); ok {
			ch.acks = append(ch.acks, h)
		}
		if h, ok := p.(DestinationCreator); ok {
			ch.creates = append(ch.creates, h)
		}
		if h, ok := p.(ConnectionRemover); ok {
			ch.removals = append(ch.removals, h)
		}
	}
	return ch
}

// New builds the chain a Config describes: authentication (when Login is
// set), authorization (when Authorization is), then c.Plugins. match is
// the broker's wildcard matcher. A nil or empty Config gives a nil chain,
// on which every hook allows.
func New(c *Config, match Matcher) (*Chain, error) {
	if !c.Enabled() {
		return nil, nil
	}
	c, err := c.loadFiles()
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var ps []Plugin
	if len(c.Login) > 0 {
		stack, err := BuildStack(c)
		if err != nil {
			return nil, err
		}
		tlsStack, err := buildStack(c, "LoginTLS", c.LoginTLS)
		if err != nil {
			return nil, err
		}
		ps = append(ps, &Authentication{Stack: stack, TLSStack: tlsStack, limit: newLimiter(c.LoginRate, time.Now)})
	}
	if c.Authorization != nil {
		m, err := NewAuthorizationMap(c.Authorization, match)
		if err != nil {
			return nil, err
		}
		ps = append(ps, &Authorization{Map: m})
	}
	return NewChain(append(ps, c.Plugins...)...), nil
}

// Plugins lists the chain's plugins in order.
func (ch *Chain) Plugins() []Plugin {
	if ch == nil {
		return nil
	}
	return ch.plugins
}

func refuse(p Plugin, hook string, err error) error {
	if err == nil {
		return nil
	}
	return &Refusal{Plugin: p.Name(), Hook: hook, Err: err}
}

// AddConnection runs when a client or bridge sends CONNECT.
func (ch *Chain) AddConnection(c *Conn) error {
	if ch == nil {
		return nil
	}
	for _, h := range ch.conns {
		if err := refuse(h.(Plugin), "AddConnection", h.AddConnection(c)); err != nil {
			return err
		}
	}
	return nil
}

// AddBridge runs after AddConnection when the connection is a bridge.
func (ch *Chain) AddBridge(c *Conn) error {
	if ch == nil {
		return nil
	}
	for _, h := range ch.bridges {
		if err := refuse(h.(Plugin), "AddBridge", h.AddBridge(c)); err != nil {
			return err
		}
	}
	return nil
}

// Send runs for every SEND and every message a bridge forwards.
func (ch *Chain) Send(c *Conn, dest string) error {
	if ch == nil {
		return nil
	}
	for _, h := range ch.sends {
		if err := refuse(h.(Plugin), "Send", h.Send(c, dest)); err != nil {
			return err
		}
	}
	return nil
}

// Subscribe runs for every SUBSCRIBE and every demand a bridge advertises.
func (ch *Chain) Subscribe(c *Conn, dest string) error {
	if ch == nil {
		return nil
	}
	for _, h := range ch.subs {
		if err := refuse(h.(Plugin), "Subscribe", h.Subscribe(c, dest)); err != nil {
			return err
		}
	}
	return nil
}

// Ack runs for every ACK and NACK.
func (ch *Chain) Ack(c *Conn, dest, messageID string) error {
	if ch == nil {
		return nil
	}
	for _, h := range ch.acks {
		if err := refuse(h.(Plugin), "Ack", h.Ack(c, dest, messageID)); err != nil {
			return err
		}
	}
	return nil
}

// CreateDestination runs before a SEND, SUBSCRIBE or forwarded message
// creates a destination that does not exist yet.
func (ch *Chain) CreateDestination(c *Conn, dest string) error {
	if ch == nil {
		return nil
	}
	for _, h := range ch.creates {
		if err := refuse(h.(Plugin), "CreateDestination", h.CreateDestination(c, dest)); err != nil {
			return err
		}
	}
	return nil
}

// RemoveConnection runs once when a connection ends; it cannot refuse.
func (ch *Chain) RemoveConnection(c *Conn) {
	if ch == nil {
		return
	}
	for _, h := range ch.removals {
		h.RemoveConnection(c)
	}
}

// Authentication runs the login stack on every connection, bridges
// included, after checking the source address's failed-login budget.
// Connections over TLS listeners get TLSStack when it is set.
type Authentication struct {
	Stack    Stack
	TLSStack Stack
	limit    *limiter
}

func (*Authentication) Name() string { return "authentication" }

// LoginError is a refused login: why, for the ERROR frame and the
// auth-failed event. It never holds the passcode.
type LoginError struct {
	Reason      string
	RateLimited bool
	Tried       []string // the modules the stack ran, in order
}

func (e *LoginError) Error() string { return e.Reason }

func (a *Authentication) AddConnection(c *Conn) error {
	addr := c.View.Remote.Addr().Unmap()
	if a.limit != nil {
		if ok, wait := a.limit.allow(addr); !ok {
			return &LoginError{RateLimited: true, Reason: fmt.Sprintf("too many failed logins from %s; try again in %v", addr, wait.Round(time.Second))}
		}
	}
	stack := a.Stack
	if c.View.TLS != nil && len(a.TLSStack) > 0 {
		stack = a.TLSStack
	}
	res := stack.Login(c.View)
	if res.Err != nil {
		if a.limit != nil {
			a.limit.fail(addr)
		}
		return &LoginError{Reason: res.Err.Error(), Tried: res.Called}
	}
	c.Principal = res.Principal
	return nil
}

// Authorization checks sends, subscriptions and destination creation
// against the map.
type Authorization struct {
	Map *AuthorizationMap
}

func (*Authorization) Name() string { return "authorization" }

func (a *Authorization) Send(c *Conn, dest string) error {
	return a.Map.Check(c.Principal, Write, dest)
}

func (a *Authorization) Subscribe(c *Conn, dest string) error {
	return a.Map.Check(c.Principal, Read, dest)
}

func (a *Authorization) CreateDestination(c *Conn, dest string) error {
	return a.Map.Check(c.Principal, Admin, dest)
}
