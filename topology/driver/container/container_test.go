package container

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
	"github.com/brokerlab/brokerlab/internal/drivertest"
	"github.com/brokerlab/brokerlab/internal/needs"
	"github.com/brokerlab/brokerlab/topology/driver"
)

// The tutorial network in three containers on a Docker network of its
// own: spokes dial the hub by its node name over mutual TLS (the name in
// its certificate), a go-stomp client on this machine delivers spoke ->
// hub -> spoke through the published ports, and a SIGKILLed hub container,
// started again, gets its bridges back by itself.
func TestHubAndSpokesInContainers(t *testing.T) {
	needs.Docker(t)
	spec, files := drivertest.Tutorial(t)
	rec := events.NewRecorder(nil)
	n, err := New(spec, Options{Options: driver.Options{Files: files, Events: rec}, Binary: drivertest.Brokerlab(t, true), BuildLog: testWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if err := n.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	if err := n.StartAll(); err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(n.Args("server-a"), " "); !strings.Contains(args, "ssl://hub:61613?serverName=hub") {
		t.Fatalf("server-a does not dial the hub by name: %s", args)
	}
	drivertest.AwaitBridge(t, rec, 0, "server-a->hub", 60*time.Second)
	drivertest.AwaitBridge(t, rec, 0, "server-b->hub", 60*time.Second)
	// The hub verified both spokes' certificates: events from inside the
	// containers, read through their admin endpoints.
	peers := map[string]bool{}
	for _, e := range rec.Events() {
		if e.Node == "hub" && e.Kind == events.TLSFailed {
			t.Fatalf("hub reported a TLS failure: %v", e)
		}
		if e.Node == "hub" && e.Kind == events.ConnAccepted {
			peers[e.Peer] = true
		}
	}
	if !peers["CN=server-a,O=brokerlab"] || !peers["CN=server-b,O=brokerlab"] {
		t.Fatalf("hub accepted connections from %v, want server-a and server-b by certificate", peers)
	}

	deliver := func(from, to, dest string) {
		t.Helper()
		a, err := drivertest.Conn(n.Addrs(from)[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		defer a.MustDisconnect()
		b, err := drivertest.Conn(n.Addrs(to)[0], nil)
		if err != nil {
			t.Fatal(err)
		}
		defer b.MustDisconnect()
		drivertest.Deliver(t, a, b, dest, 10, 60*time.Second)
	}
	deliver("server-a", "server-b", "/queue/orders")

	if st, ok := n.Stats("hub"); !ok || len(st.Bridges) != 2 {
		t.Fatalf("hub /stats: ok=%v %+v", ok, st)
	}

	mark := rec.Len()
	if err := n.Kill("hub"); err != nil {
		t.Fatal(err)
	}
	if st, err := n.Container("hub").State(context.Background()); err != nil || st.Running || st.ExitCode != 137 {
		t.Fatalf("after Kill the hub container: %+v, %v (want exited by SIGKILL, 137)", st, err)
	}
	if err := n.Start("hub"); err != nil {
		t.Fatal(err)
	}
	drivertest.AwaitBridge(t, rec, mark, "server-a->hub", 90*time.Second)
	drivertest.AwaitBridge(t, rec, mark, "server-b->hub", 90*time.Second)
	deliver("server-b", "server-a", "/queue/after-restart")
}

func TestDynamicBinaryRefused(t *testing.T) {
	if err := checkStatic(drivertest.Brokerlab(t, true)); err != nil {
		t.Fatalf("a CGO_ENABLED=0 build was refused: %v", err)
	}
	err := checkStatic("/bin/sh") // dynamically linked on every Debian
	if err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("/bin/sh: got %v, want a refusal saying how to build a static binary", err)
	}
	if err := checkStatic(os.Args[0] + ".missing"); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

func TestDialMustBeNil(t *testing.T) {
	spec, files := drivertest.Tutorial(t)
	_, err := New(spec, Options{Options: driver.Options{Files: files, Dial: driver.DirectDial}, Image: "x"})
	if err == nil || !strings.Contains(err.Error(), "Options.Dial") {
		t.Fatalf("got %v", err)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
