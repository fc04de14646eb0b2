package driver

import (
	"net"
	"strconv"
	"testing"
)

// Ports for port-0 listeners come from below the ephemeral range, where no
// outgoing connection can take them between resolution and bind.
func TestFreePortAvoidsEphemeralRange(t *testing.T) {
	lo := ephemeralLow()
	for range 20 {
		addr, err := freePort("127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
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
