package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/faults"
	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/topology"
)

// judge checks the expectations against the probes' history and the event
// stream, and explains every TLS failure that was seen.
func judge(env *Env, sc *Scenario, res *reports.Scenario) {
	h := env.History.Check()
	if h.Sent > 0 || h.Received > 0 {
		d := h.Delivery
		res.Delivery = &d
	}
	if de := sc.Expect.Delivery; de != nil {
		judgeDelivery(de, h, res)
	}
	evs, failures := awaitTLS(env, sc.Expect.TLS, tlsSettle)
	for _, te := range sc.Expect.TLS {
		if !matchTLS(te, failures) {
			res.Failures = append(res.Failures, fmt.Sprintf("expected a TLS failure %s on the %s side of %s; saw %s", te.Failure, te.Side, te.Link, describeTLS(te.Link, failures)))
		}
	}
	ctx := faults.Context{Spec: env.Spec, TrustFiles: env.trustFiles, CertFiles: env.certFiles}
	for _, f := range failures {
		res.Explanations = append(res.Explanations, faults.Explain(f, ctx))
	}
	for _, e := range evs {
		if e.Kind == events.StartFailed {
			res.Explanations = append(res.Explanations, faults.ExplainStart(e.Node, tlsconf.Class(e.Class), e.Reason, ctx))
		}
	}
	evs = awaitEvents(env, sc.Expect.Events, evs, tlsSettle)
	for _, ee := range sc.Expect.Events {
		n := countEvents(ee, evs)
		switch {
		case n == 0 && ee.Min > 0:
			res.Failures = append(res.Failures, fmt.Sprintf("expected a %s event on %s containing %q; none was seen", ee.Kind, ee.Node, ee.Contains))
		case n < ee.Min:
			res.Failures = append(res.Failures, fmt.Sprintf("expected at least %d %s events on %s containing %q; saw %d", ee.Min, ee.Kind, ee.Node, ee.Contains, n))
		case ee.Max != nil && n > *ee.Max:
			res.Failures = append(res.Failures, fmt.Sprintf("expected at most %d %s events on %s containing %q; saw %d", *ee.Max, ee.Kind, ee.Node, ee.Contains, n))
		}
	}
	judgeReconnect(env, sc, res)
	for _, want := range sc.Expect.Explanation {
		found := false
		for _, e := range res.Explanations {
			found = found || strings.Contains(e, want)
		}
		if !found {
			res.Failures = append(res.Failures, fmt.Sprintf("expected an explanation containing %q; got %d explanation(s)", want, len(res.Explanations)))
		}
	}
}

// tlsSettle bounds how long the judge waits for expected TLS failures that
// have not been reported yet: the two ends of one handshake report it at
// slightly different moments, and the step that ended the scenario may
// have seen only one of them.
const tlsSettle = 3 * time.Second

// awaitTLS waits, at most within, for the expected TLS failures, and
// returns the events seen and the failures they make.
func awaitTLS(env *Env, want []TLSExpect, within time.Duration) ([]events.Event, []faults.Failure) {
	deadline := time.Now().Add(within)
	for {
		evs := env.Events.Events()
		fs := tlsFailures(env.Spec, evs)
		all := true
		for _, te := range want {
			all = all && matchTLS(te, fs)
		}
		if all || time.Now().After(deadline) {
			return evs, fs
		}
		env.Events.Wait(len(evs), deadline, func(e events.Event) bool { return e.Kind == events.TLSFailed }, nil)
	}
}

func judgeDelivery(de *DeliveryExpect, v Verdict, res *reports.Scenario) {
	if de.Lost != nil && v.Lost != *de.Lost {
		res.Failures = append(res.Failures, fmt.Sprintf("expected %d lost, %d of %d confirmed messages were never received (first: %s)", *de.Lost, v.Lost, v.Sent, strings.Join(v.LostKeys, ", ")))
	}
	if de.Duplicates != nil && v.Duplicates != *de.Duplicates {
		res.Failures = append(res.Failures, fmt.Sprintf("expected %d duplicates, %d messages were received more than once (first: %s)", *de.Duplicates, v.Duplicates, strings.Join(v.DupKeys, ", ")))
	}
	if de.Received != nil && v.Received != *de.Received {
		res.Failures = append(res.Failures, fmt.Sprintf("expected %d received, got %d", *de.Received, v.Received))
	}
	if de.Order == "per-producer" && v.OutOfOrder > 0 {
		res.Failures = append(res.Failures, fmt.Sprintf("expected per-producer order, %d out of order (first: %s)", v.OutOfOrder, v.OrderNote))
	}
}

// tlsFailures turns TLS events into failures on links, one per distinct
// (node, side, class, link). A server sees only an address, so its link is
// found from the certificate the client presented, when it presented one.
func tlsFailures(spec *topology.Spec, evs []events.Event) []faults.Failure {
	seen := map[string]bool{}
	var out []faults.Failure
	for _, e := range evs {
		if e.Kind != events.TLSFailed {
			continue
		}
		f := faults.Failure{Node: e.Node, Side: e.Side, Class: tlsconf.Class(e.Class), Reason: e.Reason, PeerSubject: e.Peer}
		if e.Side == events.SideClient {
			if l, err := topology.ParseLink(e.Link); err == nil {
				f.Link, f.Peer = l, l.To
			}
		} else if e.Peer != "" && spec.Connector(topology.Link{From: e.Peer, To: e.Node}) != nil {
			f.Link, f.Peer = topology.Link{From: e.Peer, To: e.Node}, e.Peer
		} else if l, ok := onlyLinkInto(spec, e.Node); ok {
			f.Link, f.Peer = l, l.From
		} else if l, ok := nearestClientFailure(e, evs); ok {
			f.Link, f.Peer = l, l.From
		}
		key := fmt.Sprintf("%s|%s|%s|%s", f.Node, f.Side, f.Class, f.Link)
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Link.String() < out[j].Link.String() })
	return out
}

// onlyLinkInto returns the link into node when there is exactly one, so a
// server-side failure without a certificate can still be placed.
func onlyLinkInto(spec *topology.Spec, node string) (topology.Link, bool) {
	var found []topology.Link
	for _, l := range spec.Links() {
		if l.To == node {
			found = append(found, l)
		}
	}
	if len(found) == 1 {
		return found[0], true
	}
	return topology.Link{}, false
}

// nearestClientFailure places a server-side failure that carries no
// certificate name (the client refused ours, say) on the link whose client
// side failed, or began to connect, closest in time, within a second: the
// same handshake seen from the other end. A guess, so only within that
// window.
func nearestClientFailure(srv events.Event, evs []events.Event) (topology.Link, bool) {
	best, found := time.Second, topology.Link{}
	for _, e := range evs {
		// The dialler's own TLS failure, or, when it saw none (a plaintext
		// connector on a TLS port), its attempt to connect.
		dialled := e.Kind == events.TLSFailed && e.Side == events.SideClient ||
			e.Kind == events.BridgeState && e.State == events.StateConnecting
		if !dialled {
			continue
		}
		l, err := topology.ParseLink(e.Link)
		if err != nil || l.To != srv.Node || e.Node != l.From {
			continue
		}
		if d := e.Time.Sub(srv.Time).Abs(); d < best {
			best, found = d, l
		}
	}
	return found, found.From != ""
}

func matchTLS(te TLSExpect, fs []faults.Failure) bool {
	for _, f := range fs {
		if f.Side != te.Side || string(f.Class) != te.Failure {
			continue
		}
		want := te.Link.From
		if te.Side == events.SideServer {
			want = te.Link.To
		}
		if f.Node == want && (f.Link == te.Link || (te.Side == events.SideServer && f.Link == topology.Link{})) {
			return true
		}
	}
	return false
}

func describeTLS(l topology.Link, fs []faults.Failure) string {
	var parts []string
	for _, f := range fs {
		if f.Link == l || f.Link == (topology.Link{}) {
			parts = append(parts, fmt.Sprintf("%s on %s's %s side", f.Class, f.Node, f.Side))
		}
	}
	if len(parts) == 0 {
		return "no TLS failure on that link"
	}
	return strings.Join(parts, ", ")
}

// awaitEvents gives expected events the same grace as TLS failures: a
// node in another process reports through its admin endpoint, so its last
// events may still be on their way when the steps end.
func awaitEvents(env *Env, want []EventExpect, evs []events.Event, within time.Duration) []events.Event {
	deadline := time.Now().Add(within)
	for {
		all := true
		for _, ee := range want {
			all = all && countEvents(ee, evs) >= ee.Min
		}
		if all || time.Now().After(deadline) {
			return evs
		}
		env.Events.Wait(len(evs), deadline, func(events.Event) bool { return true }, nil)
		evs = env.Events.Events()
	}
}

func countEvents(ee EventExpect, evs []events.Event) int {
	n := 0
	for _, e := range evs {
		if e.Node == ee.Node && string(e.Kind) == ee.Kind && strings.Contains(e.String(), ee.Contains) {
			n++
		}
	}
	return n
}
