package process

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker/tlsconf"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/topology"
	"github.com/brokerlab/brokerlab/topology/driver"
)

// A node's security block reaches its child broker (--security FILE, a file
// only we can read), so a process-driven hub refuses what an in-process
// one would.
func TestSecurityReachesTheChild(t *testing.T) {
	spec, err := topology.Example("sec-users")
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(spec, Options{Options: driver.Options{Files: map[string]tlsconf.Files{}}, Binary: drivertest.Brokerlab(t, false), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown(context.Background()) })
	args := n.Args("hub")
	if i := indexOf(args, "--security"); i < 0 || i+1 == len(args) {
		t.Fatalf("no --security in %v", args)
	} else if st, err := os.Stat(args[i+1]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("security file %s: %v %v", args[i+1], st.Mode(), err)
	}
	if err := n.Start("hub"); err != nil {
		t.Fatal(err)
	}
	addr := n.Addrs("hub")[0]
	if _, err := stomp.Dial("tcp", addr, stomp.ConnOpt.Login("bob", "not-bobs")); err == nil || !strings.Contains(err.Error(), "login failed: unknown login or wrong passcode (users, required)") {
		t.Fatalf("wrong password: %v", err)
	}
	c, err := stomp.Dial("tcp", addr, stomp.ConnOpt.Login("alice", "alice-Pa55"))
	if err != nil {
		t.Fatalf("alice (bcrypt): %v", err)
	}
	if err := c.Send("/queue/orders.eu", "text/plain", nil, stomp.SendOpt.Receipt); err != nil {
		t.Fatal(err)
	}
	c.Disconnect()
	c, err = stomp.Dial("tcp", addr, stomp.ConnOpt.Login("bob", "bob-Pa55"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Send("/queue/orders.eu", "text/plain", nil, stomp.SendOpt.Receipt); err == nil || !strings.Contains(err.Error(), "User bob is not authorized to write to: queue://orders.eu") {
		t.Fatalf("bob's send: %v", err)
	}
}

func indexOf(xs []string, s string) int {
	for i, x := range xs {
		if x == s {
			return i
		}
	}
	return -1
}
