package faults

import (
	"context"

	"github.com/brokerlab/brokerlab/topology"
)

// Partition blackholes a link in both directions.
//
// It uses toxiproxy's timeout toxic with timeout 0 on both streams rather
// than disabling the proxy, because a real partition is silent: packets
// vanish, nobody sends a FIN or RST, and each side finds out only when a
// read deadline, a handshake timeout or a keepalive fires. Disabling the
// proxy would refuse new connections and close open ones at once, which
// tests the easy path (an immediate, clean error) instead of the one that
// hurts in production (a connection that hangs). With the toxic:
//
//   - open connections stay open and everything written on them is
//     dropped;
//   - new connections are accepted by the proxy (and dialled through to
//     the To node), then nothing passes, so a TLS dial fails with
//     handshake-timeout, not "connection refused".
//
// Two differences from a real partition are worth knowing. The To node
// sees those new connections arrive (toxiproxy dials upstream on accept),
// and on Undo toxiproxy closes the connections that lived through the
// partition (the timeout toxic's Cleanup closes its streams), so the bridge
// reconnects rather than resuming on the old TCP connection.
type Partition struct {
	link topology.Link
}

func init() { Register("partition", newPartition) }

func newPartition(link topology.Link, p Params) (Fault, error) {
	if err := p.Check("partition"); err != nil {
		return nil, err
	}
	return &Partition{link: link}, nil
}

func (f *Partition) Name() string { return "partition " + f.link.String() }

func (f *Partition) Apply(ctx context.Context, t Target) (Undo, error) {
	p, err := t.Proxy(f.link)
	if err != nil {
		return nil, err
	}
	var ts []toxic
	for _, s := range streams("both") {
		ts = append(ts, toxic{
			Name:       toxicName("partition", s),
			Type:       "timeout",
			Stream:     s,
			Attributes: map[string]any{"timeout": 0}, // 0: drop forever, never close
		})
	}
	return addToxics(ctx, f.Name(), p, ts)
}
