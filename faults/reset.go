package faults

import (
	"context"
	"fmt"
	"time"

	"github.com/brokerlab/brokerlab/topology"
)

// Reset tears a link's connections down with a TCP RST (toxiproxy's
// reset_peer), the way a firewall or a restarted NAT does: each connection
// is reset `after` its first bytes, open ones at once and new ones as soon
// as they speak, for as long as the fault lasts.
//
// Params: after (duration, default 0).
type Reset struct {
	link  topology.Link
	after time.Duration
}

func init() { Register("reset", newReset) }

func newReset(link topology.Link, p Params) (Fault, error) {
	if err := p.Check("reset", "after"); err != nil {
		return nil, err
	}
	f := &Reset{link: link}
	var err error
	if f.after, err = p.Duration("reset", "after", 0); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Reset) Name() string {
	if f.after > 0 {
		return fmt.Sprintf("reset %s after %v", f.link, f.after)
	}
	return "reset " + f.link.String()
}

func (f *Reset) Apply(ctx context.Context, t Target) (Undo, error) {
	p, err := t.Proxy(f.link)
	if err != nil {
		return nil, err
	}
	return addToxics(ctx, f.Name(), p, []toxic{{Name: toxicName("reset", "upstream"), Type: "reset_peer", Stream: "upstream",
		Attributes: map[string]any{"timeout": f.after.Milliseconds()}}})
}
