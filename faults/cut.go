package faults

import (
	"context"
	"fmt"
	"strconv"

	"github.com/brokerlab/brokerlab/topology"
)

// Cut closes each connection on a link once `bytes` bytes have passed in
// one direction (toxiproxy's limit_data): the last frame is cut mid-way,
// at a byte the scenario chooses. Downstream (what the dialler receives)
// cuts a bridge just before the receiving broker's acknowledgements reach
// the sender, the moment that tests "stored, then acknowledged" and the
// receiver's audit. Every new connection is cut again at the same count
// while the fault lasts.
//
// Params: bytes (whole number, required), direction (upstream |
// downstream, default downstream).
type Cut struct {
	link      topology.Link
	bytes     int64
	direction string
}

func init() { Register("cut", newCut) }

func newCut(link topology.Link, p Params) (Fault, error) {
	if err := p.Check("cut", "bytes", "direction"); err != nil {
		return nil, err
	}
	if err := p.Require("cut", "bytes"); err != nil {
		return nil, err
	}
	raw, _ := p.String("cut", "bytes", "")
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 {
		return nil, fmt.Errorf("faults: cut: field %q: %q is not a whole number of bytes ≥ 1", "bytes", raw)
	}
	f := &Cut{link: link, bytes: n}
	if f.direction, err = p.OneOf("cut", "direction", "downstream", "upstream", "downstream"); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *Cut) Name() string {
	return fmt.Sprintf("cut %s after %d bytes %s", f.link, f.bytes, f.direction)
}

func (f *Cut) Apply(ctx context.Context, t Target) (Undo, error) {
	p, err := t.Proxy(f.link)
	if err != nil {
		return nil, err
	}
	return addToxics(ctx, f.Name(), p, []toxic{{Name: toxicName("cut", f.direction), Type: "limit_data", Stream: f.direction,
		Attributes: map[string]any{"bytes": f.bytes}}})
}
