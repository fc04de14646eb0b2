package process

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/topology/driver"
)

// Three brokerlab processes, mutual TLS between spokes and hub: bridges
// come up (seen through the admin event streams), a message crosses
// spoke -> hub -> spoke, and a SIGKILLed hub comes back on its ports with
// the spokes' bridges returning by themselves.
func TestHubAndSpokesAsProcesses(t *testing.T) {
	spec, files := drivertest.Tutorial(t)
	rec := events.NewRecorder(nil)
	dir := t.TempDir()
	n, err := New(spec, Options{Options: driver.Options{Files: files, Events: rec}, Binary: drivertest.Brokerlab(t, false), Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	if err := n.StartAll(); err != nil {
		t.Fatal(err)
	}
	for _, name := range n.Names() {
		if n.PID(name) == 0 || n.PID(name) == os.Getpid() {
			t.Fatalf("node %s has no process of its own", name)
		}
	}
	drivertest.AwaitBridge(t, rec, 0, "server-a->hub", 20*time.Second)
	drivertest.AwaitBridge(t, rec, 0, "server-b->hub", 20*time.Second)

	a, err := drivertest.Conn(n.Addrs("server-a")[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.MustDisconnect()
	b, err := drivertest.Conn(n.Addrs("server-b")[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.MustDisconnect()
	drivertest.Deliver(t, a, b, "/queue/orders", 20, 30*time.Second)

	st, ok := n.Stats("hub")
	if !ok || st.Node != "hub" || len(st.Bridges) != 2 {
		t.Fatalf("hub /stats: ok=%v %+v", ok, st)
	}

	hubPID := n.PID("hub")
	mark := rec.Len()
	if err := n.Kill("hub"); err != nil {
		t.Fatal(err)
	}
	if err := n.Start("hub"); err != nil {
		t.Fatal(err)
	}
	if n.PID("hub") == hubPID {
		t.Fatal("the restarted hub has the killed one's PID")
	}
	drivertest.AwaitBridge(t, rec, mark, "server-a->hub", 60*time.Second)
	drivertest.AwaitBridge(t, rec, mark, "server-b->hub", 60*time.Second)
	drivertest.Deliver(t, b, a, "/queue/after-restart", 5, 30*time.Second)
}

// A node that cannot start says why, with its stderr.
func TestStartFailureCarriesStderr(t *testing.T) {
	spec, files := drivertest.Tutorial(t)
	f := files["hub"]
	f.TrustFile = filepath.Join(t.TempDir(), "missing-trust.pem")
	files["hub"] = f
	n, err := New(spec, Options{Options: driver.Options{Files: files}, Binary: drivertest.Brokerlab(t, false), Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Shutdown(context.Background()) })
	err = n.Start("hub")
	if err == nil {
		t.Fatal("a hub with a missing truststore started")
	}
	if !strings.Contains(err.Error(), "missing-trust.pem") {
		t.Fatalf("error does not name the missing file: %v", err)
	}
}

func TestArgsCarryEveryRenderedField(t *testing.T) {
	spec, files := drivertest.Tutorial(t)
	n, err := New(spec, Options{Options: driver.Options{Files: files}, Binary: "/bin/true", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Join(n.Args("server-a"), " ")
	for _, want := range []string{"--name server-a", "--listen stomp://127.0.0.1:", "--connect static://(ssl://", "serverName=hub", "networkTTL=2", "--tls-cert " + files["server-a"].CertFile, "--data ", "--admin 127.0.0.1:0"} {
		if !strings.Contains(args, want) {
			t.Errorf("args lack %q: %s", want, args)
		}
	}
}
