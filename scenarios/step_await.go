package scenarios

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/topology"
)

// awaitStep waits for a bridge to be in a state:
// `await: {bridge: server-a->hub, state: up, within: 5s}`. The bridge's
// current state counts; otherwise the step waits for it to change.
type awaitStep struct {
	link   topology.Link
	state  string
	within time.Duration
	pos    *yaml.Node
	d      *decoder
}

var bridgeStates = map[string]bool{events.StateUp: true, events.StateDown: true, events.StateFailing: true, events.StateRetrying: true, events.StateConnecting: true,
	events.StateTLSFailed: true, events.StateAuthFailed: true, events.StateStopped: true}

// stateIs matches an event's state to an awaited one; failing stands for
// any failure a retry will not fix by itself (TLS, login).
func stateIs(got, want string) bool {
	if want == events.StateFailing {
		return got == events.StateFailing || got == events.StateTLSFailed || got == events.StateAuthFailed
	}
	return got == want
}

func init() { registerStep("await", parseAwait) }

func parseAwait(d *decoder, v *yaml.Node) Step {
	f := d.fields(v, "await", "bridge", "state", "within")
	s := &awaitStep{state: f.str("state", true), within: f.duration("within", 10*time.Second), pos: v, d: d}
	link, err := topology.ParseLink(f.str("bridge", true))
	if err != nil && f.has("bridge") {
		d.errorf(f.pos("bridge"), "%v", err)
	}
	s.link = link
	if s.state != "" && !bridgeStates[s.state] {
		d.errorf(f.pos("state"), "await: state must be one of up, down, failing, tls-failed, auth-failed, retrying, connecting, stopped; got %q", s.state)
	}
	return s
}

func (s *awaitStep) check(spec *topology.Spec) error {
	if s.link.From != "" && spec.Connector(s.link) == nil {
		return s.d.nameError(s.pos, "await: topology %s has no link %s; links: %v", spec.Name, s.link, spec.Links())
	}
	return nil
}

func (s *awaitStep) Describe() string {
	return fmt.Sprintf("await bridge %s %s within %v", s.link, s.state, s.within)
}

// Run watches the dialling node's bridge events, which carry the full
// lifecycle (the accepting side sees only up and down).
func (s *awaitStep) Run(env *Env) error {
	link := s.link.String()
	concerns := func(e events.Event) bool {
		return e.Kind == events.BridgeState && e.Node == s.link.From && e.Link == link
	}
	from := env.Events.Len()
	all := env.Events.Events()
	for i := len(all) - 1; i >= 0; i-- {
		if concerns(all[i]) {
			from = i // the current state counts
			break
		}
	}
	_, ok, last := env.Events.Wait(from, time.Now().Add(s.within), func(e events.Event) bool {
		return concerns(e) && stateIs(e.State, s.state)
	}, concerns)
	if ok {
		return nil
	}
	if last == nil {
		return fmt.Errorf("bridge %s did not become %s within %v: no bridge activity at all (is %s started?)", link, s.state, s.within, s.link.From)
	}
	detail := last.State
	if last.Reason != "" {
		detail += ": " + last.Reason
	}
	return fmt.Errorf("bridge %s did not become %s within %v; last seen %s", link, s.state, s.within, detail)
}
