package faults

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

// Latency delays every chunk of data on a link by Latency ± Jitter, in one
// or both directions, using toxiproxy's latency toxic. Two latency faults
// on one link add up, since each gets its own toxics (less the proxy's
// processing time, a fraction of a millisecond: toxiproxy measures each
// delay from the time the chunk entered the proxy, as advanced by the
// toxics before it).
//
// Params: latency (duration, required), jitter (duration, default 0),
// direction (upstream | downstream | both, default both). Upstream is what
// the From node sends, downstream what it receives, so "both" adds the
// latency twice to a request/response round trip.
type Latency struct {
	link      topology.Link
	latency   time.Duration
	jitter    time.Duration
	direction string
}

func init() { Register("latency", newLatency) }

func newLatency(link topology.Link, p Params) (Fault, error) {
	const kind = "latency"
	if err := p.Check(kind, "latency", "jitter", "direction"); err != nil {
		return nil, err
	}
	if err := p.Require(kind, "latency"); err != nil {
		return nil, err
	}
	f := &Latency{link: link}
	var err error
	if f.latency, err = p.Duration(kind, "latency", 0); err != nil {
		return nil, err
	}
	if f.jitter, err = p.Duration(kind, "jitter", 0); err != nil {
		return nil, err
	}
	if f.direction, err = p.OneOf(kind, "direction", "both", "upstream", "downstream", "both"); err != nil {
		return nil, err
	}
	// Toxiproxy counts in whole milliseconds: anything finer would be
	// silently rounded down, so 500µs would quietly become no latency.
	if f.latency < time.Millisecond {
		return nil, fmt.Errorf("faults: %s: field %q: %s is too small; toxiproxy works in whole milliseconds (e.g. 200ms)", kind, "latency", f.latency)
	}
	if f.jitter < 0 {
		return nil, fmt.Errorf("faults: %s: field %q: %s is negative", kind, "jitter", f.jitter)
	}
	return f, nil
}

func (f *Latency) Name() string {
	s := fmt.Sprintf("latency %s", f.latency)
	if f.jitter > 0 {
		s += "±" + f.jitter.String()
	}
	s += " on " + f.link.String()
	if f.direction != "both" {
		s += " (" + f.direction + " only)"
	}
	return s
}

func (f *Latency) Apply(ctx context.Context, t Target) (Undo, error) {
	p, err := t.Proxy(f.link)
	if err != nil {
		return nil, err
	}
	var ts []toxic
	for _, s := range streams(f.direction) {
		ts = append(ts, toxic{
			Name:   toxicName("latency", s),
			Type:   "latency",
			Stream: s,
			Attributes: map[string]any{
				"latency": f.latency.Milliseconds(),
				"jitter":  f.jitter.Milliseconds(),
			},
		})
	}
	return addToxics(ctx, f.Name(), p, ts)
}
