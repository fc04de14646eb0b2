package broker_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/security"
)

func rawConnect(login, pass string) string {
	return fmt.Sprintf("CONNECT\naccept-version:1.2\nlogin:%s\npasscode:%s\n\n\x00", login, pass)
}

func waitSecurityEvent(t *testing.T, b *brokertest.Broker, kind events.Kind, contains string) events.Event {
	t.Helper()
	e, ok, _ := b.Events.Wait(0, time.Now().Add(5*time.Second), func(e events.Event) bool {
		return e.Kind == kind && strings.Contains(e.String(), contains)
	}, nil)
	if !ok {
		t.Fatalf("no %s event containing %q in %v", kind, contains, b.Events.Events())
	}
	return e
}

// A stack over the wire: location admits 127.0.0.1 without a password,
// then users; the ERROR names the module that refused, never which of
// login or passcode was wrong; the event says the same.
func TestLoginStackOverTheWire(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Security: &security.Config{
		Users:     map[string]string{"alice": "wonder"},
		Login:     []security.ModuleConfig{{Module: "users", Flag: security.Required}},
		LoginRate: security.RateLimit{Failures: 3, Per: time.Minute},
	}})
	for _, tt := range []struct{ login, pass string }{{"alice", "nottheone"}, {"mallory", "wonder"}} {
		got := rawExchange(t, b.Addr(), rawConnect(tt.login, tt.pass))
		if !strings.Contains(got, "message:login failed: unknown login or wrong passcode (users, required)") {
			t.Fatalf("%s: %q", tt.login, got)
		}
	}
	waitSecurityEvent(t, b, events.AuthFailed, `peer=login "mallory"`)
	dial(t, b.Addr(), stomp.ConnOpt.Login("alice", "wonder")).Disconnect()
	// The third failure uses up 127.0.0.1's budget; then the right password waits too.
	rawExchange(t, b.Addr(), rawConnect("alice", "guess"))
	got := rawExchange(t, b.Addr(), rawConnect("alice", "wonder"))
	if !strings.Contains(got, "message:login failed: too many failed logins from 127.0.0.1; try again in") {
		t.Fatalf("rate limit: %q", got)
	}
	for _, e := range b.Events.Events() {
		for _, secret := range []string{"wonder", "nottheone", "guess"} {
			if strings.Contains(e.String(), secret) {
				t.Fatalf("an event shows a passcode: %v", e)
			}
		}
	}
}

// Authorization with the broker's own wildcard matcher: a reader may
// subscribe but not send, and hears ActiveMQ's words for it.
func TestAuthorizationOverTheWire(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Security: &security.Config{
		Users:  map[string]string{"rita": "r", "walt": "w"},
		Groups: map[string][]string{"readers": {"rita", "walt"}, "writers": {"walt"}},
		Login:  []security.ModuleConfig{{Module: "users", Flag: security.Required}},
		Authorization: []security.AuthzEntry{
			{Pattern: "/queue/orders.>", Read: []string{"readers"}, Write: []string{"writers"}, Admin: []string{"readers", "writers"}},
			{Temp: true, Read: []string{"*"}, Write: []string{"*"}, Admin: []string{"*"}},
		},
	}})
	rita := dial(t, b.Addr(), stomp.ConnOpt.Login("rita", "r"))
	sub, err := rita.Subscribe("/queue/orders.eu", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	walt := dial(t, b.Addr(), stomp.ConnOpt.Login("walt", "w"))
	if err := walt.Send("/queue/orders.eu", "text/plain", []byte("hi"), stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, sub); string(m.Body) != "hi" {
		t.Fatalf("got %q", m.Body)
	}
	if err := walt.Send("/temp-queue/replies", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatalf("temp destinations are open to all: %v", err)
	}
	for _, tt := range []struct{ frame, want string }{
		{"SEND\ndestination:/queue/orders.eu\n\nx\x00", "message:User rita is not authorized to write to: queue://orders.eu"},
		{"SUBSCRIBE\nid:1\ndestination:/queue/other\n\n\x00", "message:User rita is not authorized to create: queue://other"},
		{"SUBSCRIBE\nid:1\ndestination:/queue/>\n\n\x00", "message:User rita is not authorized to read from: queue://>"},
	} {
		got := strings.ReplaceAll(rawExchange(t, b.Addr(), rawConnect("rita", "r")+tt.frame), `\c`, ":")
		if !strings.Contains(got, tt.want) {
			t.Errorf("%q: %q", tt.frame, got)
		}
	}
	e := waitSecurityEvent(t, b, events.AuthzDenied, "write to: queue://orders.eu")
	if e.Peer != "rita" || e.Dest != "/queue/orders.eu" {
		t.Fatalf("event %+v", e)
	}
}

// A bridge is a principal: the hub authorizes what the spoke forwards, so
// the spoke cannot write through the hub where it may not, and its demand
// for destinations it may not read is ignored.
func TestBridgeAuthorizedOnReceivingSide(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", Security: &security.Config{
		Users:  map[string]string{"spoke": "s-pass", "ops": "o-pass"},
		Groups: map[string][]string{"bridges": {"spoke"}, "admins": {"ops"}},
		Login:  []security.ModuleConfig{{Module: "users", Flag: security.Required}},
		Authorization: []security.AuthzEntry{
			{Pattern: "/queue/public.>", Read: []string{"bridges", "admins"}, Write: []string{"bridges", "admins"}, Admin: []string{"bridges", "admins"}},
			{Pattern: "/queue/admin.>", Read: []string{"admins"}, Write: []string{"admins"}, Admin: []string{"admins"}},
		},
	}})
	spoke := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?name=server-a->hub&duplex=true&userName=spoke&password=s-pass&initialReconnectDelay=50", hub.Addr())}})
	awaitBridge(t, spoke, "server-a->hub", events.StateUp)
	ops := dial(t, hub.Addr(), stomp.ConnOpt.Login("ops", "o-pass"))
	public, err := ops.Subscribe("/queue/public.x", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := ops.Subscribe("/queue/admin.x", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	waitDemand(t, spoke, "/queue/public.x")
	waitDemand(t, spoke, "/queue/admin.x") // the hub advertises to the spoke: the hub's consumers are its own
	p := dial(t, spoke.Addr())
	for _, d := range []string{"/queue/admin.x", "/queue/public.x"} {
		if err := p.Send(d, "text/plain", []byte(d), stomp.SendOpt.Receipt); err != nil {
			t.Fatal(err)
		}
	}
	if m := recv(t, public); string(m.Body) != "/queue/public.x" {
		t.Fatalf("public got %q", m.Body)
	}
	e := waitSecurityEvent(t, hub, events.AuthzDenied, "User spoke is not authorized to write to: queue://admin.x")
	if e.Link != "server-a->hub" {
		t.Fatalf("event %+v", e)
	}
	waitSecurityEvent(t, hub, events.MessageDropped, "not authorized")
	select {
	case m := <-admin.C:
		t.Fatalf("the spoke injected %q into the hub", m.Body)
	case <-time.After(300 * time.Millisecond):
	}
	// The spoke's demand for a hub destination it may not read is ignored.
	sc := dial(t, spoke.Addr())
	if _, err := sc.Subscribe("/queue/admin.y", stomp.AckAuto); err != nil {
		t.Fatal(err)
	}
	waitSecurityEvent(t, hub, events.AuthzDenied, "User spoke is not authorized to create: queue://admin.y")
	if hub.HasDemand("/queue/admin.y") {
		t.Fatal("the hub holds a network consumer the spoke may not have")
	}
}

// A bridge whose credentials are refused is reported failing, with the
// refusal, and keeps to its backoff.
func TestBridgeWrongCredentialsFailing(t *testing.T) {
	hub := brokertest.NewBroker(t, broker.Options{Name: "hub", Users: map[string]string{"spoke": "right"}})
	spoke := brokertest.NewBroker(t, broker.Options{Name: "server-a", Connect: []string{
		fmt.Sprintf("static://(tcp://%s)?name=server-a->hub&userName=spoke&password=wrong&initialReconnectDelay=50", hub.Addr())}})
	e := waitSecurityEvent(t, spoke, events.BridgeState, "state=auth-failed")
	if !strings.Contains(e.Reason, "refused the bridge: login failed: unknown login or wrong passcode (users, required)") {
		t.Fatalf("reason %q", e.Reason)
	}
	waitSecurityEvent(t, hub, events.AuthFailed, `peer=login "spoke"`)
	waitSecurityEvent(t, spoke, events.BridgeState, "delay=100ms") // the second retry waits twice as long
}

// refuseAcks is a plugin with one hook: it shows the chain reaches ACK.
type refuseAcks struct{}

func (refuseAcks) Name() string { return "no-acks" }
func (refuseAcks) Ack(c *security.Conn, dest, id string) error {
	return fmt.Errorf("%s may not acknowledge on %s", c.User(), dest)
}

func TestPluginRefusesAck(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Security: &security.Config{
		Users:   map[string]string{"u": "p"},
		Login:   []security.ModuleConfig{{Module: "users", Flag: security.Required}},
		Plugins: []security.Plugin{refuseAcks{}},
	}})
	c := dial(t, b.Addr(), stomp.ConnOpt.Login("u", "p"))
	sub, err := c.Subscribe("/queue/a", stomp.AckClientIndividual)
	if err != nil {
		t.Fatal(err)
	}
	c.Send("/queue/a", "text/plain", []byte("x"), stomp.SendOpt.Receipt)
	m := recv(t, sub)
	c.Ack(m)
	select {
	case m := <-sub.C:
		if m.Err == nil || !strings.Contains(m.Err.Error(), "u may not acknowledge on /queue/a") {
			t.Fatalf("after a refused ACK: %v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no ERROR after a refused ACK")
	}
}

func TestSecurityOptionsErrors(t *testing.T) {
	for _, o := range []broker.Options{
		{Name: "x", Users: map[string]string{"a": "b"}, Security: &security.Config{Guest: "g", Login: []security.ModuleConfig{{Module: "guest", Flag: security.Optional}}}},
		{Name: "x", Security: &security.Config{Login: []security.ModuleConfig{{Module: "nope", Flag: security.Optional}}}},
	} {
		if _, err := broker.New(o); err == nil || !strings.Contains(err.Error(), "Security") {
			t.Errorf("%+v: %v", o.Security, err)
		}
	}
}
