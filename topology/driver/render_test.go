package driver

import (
	"net"
	"strconv"
	"testing"

	"github.com/brokerlab/brokerlab/topology"
)

// Ports for port-0 listeners come from below the ephemeral range, where no
// outgoing connection can take them between resolution and bind.
func TestFreePortAvoidsEphemeralRange(t *testing.T) {
	lo := ephemeralLow()
	for range 20 {
		held, err := freePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		addr := held.Addr().String()
		held.Close()
		_, p, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(p)
		if lo > 10000 && (port < 10000 || port >= lo) {
			t.Fatalf("port %d is not in [10000, %d)", port, lo)
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("the chosen port is not free: %v", err)
		}
		ln.Close()
	}
}

// Within one network no two listeners get the same port, however many.
func TestResolvePortsNeverRepeats(t *testing.T) {
	spec := topology.HubAndSpokes(topology.HubAndSpokesOptions{Spokes: 300})
	addrs, err := ResolvePorts(spec)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for node, as := range addrs {
		for _, a := range as {
			if other, dup := seen[a]; dup {
				t.Fatalf("%s and %s both got %s", other, node, a)
			}
			seen[a] = node
		}
	}
}
