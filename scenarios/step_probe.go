package scenarios

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-stomp/stomp/v3"
	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/topology"
)

// probeStep connects once and checks whether the node lets it in, and
// optionally whether it may SEND to or SUBSCRIBE to a destination:
//
//	probe: {node: hub, login: bob, passcode: nope, from: 127.0.0.2, cert: none,
//	        send: /queue/orders, expect: refused, message: "not authorized to write"}
//
// expect is accepted or refused; message, with refused, must appear in what
// the broker said (the ERROR frame's message, or the TLS error). The
// outcome is recorded as a probe-result event, so reports show it.
type probeStep struct {
	node      string
	auth      probeAuth
	send      string
	subscribe string
	expect    string
	message   string
	pos       *yaml.Node
	d         *decoder
}

// ProbeResult is the outcome of a probe step, on the scenario's timeline.
const ProbeResult events.Kind = "probe-result"

const (
	outcomeAccepted = "accepted"
	outcomeRefused  = "refused"
)

func init() { registerStep("probe", parseProbe) }

func parseProbe(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "probe", append([]string{"node", "send", "subscribe", "expect", "message"}, authKeys...)...)
	s := &probeStep{node: f.str("node", true), auth: parseAuth(d, f), send: f.str("send", false), subscribe: f.str("subscribe", false),
		expect: f.str("expect", true), message: f.str("message", false), pos: v, d: d}
	if s.expect != "" && s.expect != outcomeAccepted && s.expect != outcomeRefused {
		d.errorf(f.values["expect"], "probe: expect must be accepted or refused, got %q", s.expect)
	}
	if s.message != "" && s.expect == outcomeAccepted {
		d.errorf(f.values["message"], "probe: message is what a refusal must say; it needs expect: refused")
	}
	if s.send != "" && s.subscribe != "" {
		d.errorf(v, "probe: give send or subscribe, not both")
	}
	for _, k := range []string{"send", "subscribe"} {
		if dest := f.str(k, false); dest != "" && !isDest(dest) && !strings.HasPrefix(dest, "/temp-") {
			d.errorf(f.values[k], "probe: %s must start with /queue/, /topic/ or /temp-queue/, got %q", k, dest)
		}
	}
	return s
}

func (s *probeStep) check(spec *topology.Spec) error {
	if err := checkNode(s.d, s.pos, spec, s.node); err != nil {
		return err
	}
	return s.auth.check(s.d, s.pos, spec)
}

func (s *probeStep) Describe() string {
	what := "connect"
	switch {
	case s.send != "":
		what = "send to " + s.send
	case s.subscribe != "":
		what = "subscribe to " + s.subscribe
	}
	d := fmt.Sprintf("probe %s%s: %s, expect %s", s.node, s.auth.describe(), what, s.expect)
	if s.message != "" {
		d += fmt.Sprintf(" (%q)", s.message)
	}
	return d
}

func (s *probeStep) Run(env *Env) error {
	outcome, said := outcomeAccepted, ""
	if err := s.try(env); err != nil {
		outcome, said = outcomeRefused, err.Error()
	}
	e := events.Event{Node: "probe@" + s.node, Kind: ProbeResult, Dest: s.send + s.subscribe, Reason: outcome}
	if said != "" {
		e.Reason += ": " + said
	}
	env.Events.Emit(e)
	switch {
	case outcome != s.expect && said != "":
		return fmt.Errorf("expected %s, was %s: %s", s.expect, outcome, said)
	case outcome != s.expect:
		return fmt.Errorf("expected %s, was %s", s.expect, outcome)
	case s.message != "" && !strings.Contains(said, s.message):
		return fmt.Errorf("refused as expected, but the broker said %q, which does not contain %q", said, s.message)
	}
	return nil
}

// try connects and does the one operation; an error is the refusal in the
// broker's words.
func (s *probeStep) try(env *Env) error {
	c, err := env.connectAs(env.Ctx, s.node, s.auth)
	if err != nil {
		return unwrapProbe(err)
	}
	switch {
	case s.send != "":
		err := c.Send(s.send, "text/plain", []byte("probe"), stomp.SendOpt.Receipt)
		if err != nil {
			c.nc.Close()
			return err
		}
	case s.subscribe != "":
		// SUBSCRIBE asks for a RECEIPT under its own id, so go-stomp routes
		// both answers to the subscription: a RECEIPT closes it quietly (the
		// SUBSCRIBE was taken), an ERROR arrives on it in the broker's words.
		sub, err := c.Subscribe(s.subscribe, stomp.AckAuto, stomp.SubscribeOpt.Header("id", "probe"), stomp.SubscribeOpt.Header("receipt", "probe"))
		if err != nil {
			c.nc.Close()
			return err
		}
		select {
		case m, ok := <-sub.C:
			if ok && m != nil && m.Err != nil {
				c.nc.Close()
				return m.Err
			}
		case <-time.After(10 * time.Second):
			c.nc.Close()
			return fmt.Errorf("no RECEIPT and no ERROR for SUBSCRIBE within 10s")
		}
	}
	return c.Disconnect()
}

// unwrapProbe drops the "probe to hub: " prefix: the message is the broker's.
func unwrapProbe(err error) error {
	if u := errors.Unwrap(err); u != nil {
		return u
	}
	return err
}
