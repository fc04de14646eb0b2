package scenarios

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/topology"
)

// ReconnectExpect asserts the observed reconnect schedule, not just the end
// state: every time node After listens again after a restart, the bridge
// Link is up within Within of it, measured on the events' own timestamps:
//
//	expect:
//	  reconnect: [{link: server-a->hub, after: hub, within: 500ms}]
type ReconnectExpect struct {
	Link   topology.Link
	After  string
	Within time.Duration
	Line   int
}

// Measured is a harness event carrying a figure the judge worked out from
// the event stream (e.g. how long a bridge took to return).
const Measured events.Kind = "measured"

func (d *decoder) reconnectExpect(v *yaml.Node) []ReconnectExpect {
	if v.Kind != yaml.SequenceNode {
		d.errorf(v, "expect.reconnect must be a list of {link, after, within}")
		return nil
	}
	var out []ReconnectExpect
	for _, item := range v.Content {
		f := d.fields(item, "expect.reconnect entry", "link", "after", "within")
		r := ReconnectExpect{After: f.str("after", true), Within: f.duration("within", 0), Line: item.Line}
		link, err := topology.ParseLink(f.str("link", true))
		if err != nil && f.has("link") {
			d.errorf(f.pos("link"), "%v", err)
		}
		r.Link = link
		if r.Within <= 0 && f.has("within") {
			d.errorf(f.pos("within"), "expect.reconnect: within must be a positive duration such as 500ms")
		}
		if !f.has("within") {
			d.errorf(item, "expect.reconnect needs within: <duration>, e.g. 500ms")
		}
		out = append(out, r)
	}
	return out
}

func (d *decoder) checkReconnect(sc *Scenario) {
	for _, r := range sc.Expect.Reconnect {
		if r.Link.From != "" && sc.Spec.Connector(r.Link) == nil {
			d.errs = append(d.errs, &Error{File: d.file, Line: r.Line, Column: 1, Msg: fmt.Sprintf("expect.reconnect: topology %s has no link %s; links: %v", sc.Spec.Name, r.Link, sc.Spec.Links())})
		}
		if r.After != "" && sc.Spec.Node(r.After) == nil {
			d.errs = append(d.errs, &Error{File: d.file, Line: r.Line, Column: 1, Msg: fmt.Sprintf("expect.reconnect: topology %s has no node %q", sc.Spec.Name, r.After)})
		}
	}
}

// judgeReconnect measures, for every restart of r.After, how long r.Link
// took to be up again, records each figure as a Measured event, and fails
// the scenario for any over r.Within (or a restart it never came back from).
func judgeReconnect(env *Env, sc *Scenario, res *reports.Scenario) {
	for _, r := range sc.Expect.Reconnect {
		evs := env.Events.Events()
		var restarts []events.Event
		var lastLU, lastGone time.Time
		gone := map[time.Time]time.Duration{}
		for _, e := range evs {
			if e.Node != r.After {
				continue
			}
			switch e.Kind {
			case NodeKilled, NodeStopped:
				lastGone = e.Time
			case events.ListenerUp:
				// One restart may bring up several listeners at once.
				if !lastLU.IsZero() && e.Time.Sub(lastLU) > 100*time.Millisecond {
					restarts = append(restarts, e)
					if !lastGone.IsZero() {
						gone[e.Time] = e.Time.Sub(lastGone)
					}
				}
				lastLU = e.Time
			}
		}
		if len(restarts) == 0 {
			res.Failures = append(res.Failures, fmt.Sprintf("expect.reconnect: %s never restarted, so the reconnection of %s was not measured", r.After, r.Link))
			continue
		}
		var late []string
		for i, lu := range restarts {
			var up *events.Event
			for _, e := range evs {
				if e.Kind == events.BridgeState && e.Node == r.Link.From && e.Link == r.Link.String() && e.State == events.StateUp && !e.Time.Before(lu.Time) {
					up = &e
					break
				}
			}
			if up == nil {
				late = append(late, fmt.Sprintf("restart %d: never up again", i+1))
				continue
			}
			took := up.Time.Sub(lu.Time)
			msg := fmt.Sprintf("bridge %s up %v after %s listened again (restart %d", r.Link, took.Round(time.Millisecond), r.After, i+1)
			if g, ok := gone[lu.Time]; ok {
				msg += fmt.Sprintf(", %s was down %v", r.After, g.Round(time.Millisecond))
			}
			msg += ")"
			env.Events.Emit(events.Event{Time: up.Time, Node: "brokerlab", Kind: Measured, Link: r.Link.String(), Reason: msg})
			if took > r.Within {
				late = append(late, msg)
			}
		}
		if len(late) > 0 {
			res.Failures = append(res.Failures, fmt.Sprintf("expect.reconnect: %s was not up within %v of %s listening again: %s", r.Link, r.Within, r.After, strings.Join(late, "; ")))
		}
	}
}
