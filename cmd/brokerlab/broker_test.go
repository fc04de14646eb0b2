package main

import (
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"
)

// Two `brokerlab broker` processes, a spoke bridging to a hub: a message
// sent on the hub reaches a consumer on the spoke over the spoke's duplex
// connection, and both stop cleanly on SIGTERM.
func TestBrokerProcessesBridge(t *testing.T) {
	hub := start(t, "hub", "broker", "--name", "hub", "--listen", "stomp://127.0.0.1:0")
	hubAddr := hub.readyLines(t, 1)[0].Listeners[0].Addr

	spoke := start(t, "spoke", "broker", "--name", "spoke", "--listen", "stomp://127.0.0.1:0",
		"--connect", "static://(tcp://"+hubAddr+")?duplex=true&name=spoke->hub&networkTTL=2&initialReconnectDelay=100")
	ready := spoke.readyLines(t, 1)[0]
	if ready.Node != "spoke" || !strings.HasPrefix(ready.Listeners[0].URI, "stomp://127.0.0.1:") {
		t.Fatalf("spoke ready line = %+v", ready)
	}

	consumer := dialSTOMP(t, ready.Listeners[0].Addr, nil)
	sub, err := consumer.Subscribe("/queue/cli.test", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	producer := dialSTOMP(t, hubAddr, nil)
	m := sendUntilReceived(t, producer, "/queue/cli.test", sub)
	if !strings.HasPrefix(string(m.Body), "hello ") {
		t.Errorf("received %q", m.Body)
	}
	consumer.Disconnect()
	producer.Disconnect()

	if code := spoke.terminate(t); code != 0 {
		t.Errorf("spoke exited with %d after SIGTERM, want 0", code)
	}
	if code := hub.terminate(t); code != 0 {
		t.Errorf("hub exited with %d after SIGTERM, want 0", code)
	}
	// The bridge's state changes are printed without --events.
	if !strings.Contains(spoke.stderr.String(), "bridge spoke->hub up") {
		t.Errorf("spoke's stderr does not report the bridge up:\n%s", spoke.stderr.String())
	}
}

func TestBrokerBadOptionsExit2(t *testing.T) {
	r := brokerlab(t, "broker", "--name", "bad name", "--listen", "stomp+ssl://127.0.0.1:0")
	if r.code != exitUsage {
		t.Fatalf("exit %d, want %d; stderr:\n%s", r.code, exitUsage, r.stderr)
	}
	for _, field := range []string{"Name", "TLS"} {
		if !strings.Contains(r.stderr, field) {
			t.Errorf("stderr does not name the field %s:\n%s", field, r.stderr)
		}
	}
	if r.stdout != "" {
		t.Errorf("nothing should be printed on stdout, got %q", r.stdout)
	}
}
