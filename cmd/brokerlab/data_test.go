package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
)

// `brokerlab broker --data DIR`: a persistent message confirmed before the
// process is stopped is delivered by the next process on the same DIR; the
// ready line names the admin endpoint, which answers.
func TestBrokerDataDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := start(t, "first", "broker", "--name", "p", "--listen", "stomp://127.0.0.1:0", "--data", dir)
	ready := first.readyLines(t, 1)[0]
	if ready.Admin == "" {
		t.Fatalf("the ready line has no admin address: %+v", ready)
	}
	resp, err := http.Get("http://" + ready.Admin + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "ok\n" {
		t.Fatalf("/healthz: %q", body)
	}
	p := dialSTOMP(t, ready.Listeners[0].Addr, nil)
	if err := p.Send("/queue/kept", "text/plain", []byte("survives"), stomp.SendOpt.Receipt, stomp.SendOpt.Header("persistent", "true")); err != nil {
		t.Fatal(err)
	}
	if code := first.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	second := start(t, "second", "broker", "--name", "p", "--listen", "stomp://127.0.0.1:0", "--data", dir)
	c := dialSTOMP(t, second.readyLines(t, 1)[0].Listeners[0].Addr, nil)
	s, err := c.Subscribe("/queue/kept", stomp.AckAuto)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-s.C:
		if m.Err != nil || string(m.Body) != "survives" {
			t.Fatalf("after restart: %v %q", m.Err, m.Body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the persistent message did not come back after the restart")
	}
	second.terminate(t)
}

// `--log json` writes log/slog records; a bad --log value is a usage error.
func TestBrokerStructuredLog(t *testing.T) {
	p := start(t, "logged", "broker", "--name", "logged", "--listen", "stomp://127.0.0.1:0", "--admin", "", "--log", "json")
	p.readyLines(t, 1)
	if code := p.terminate(t); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := p.stderr.String(); !strings.Contains(got, `"kind":"listener-up"`) || !strings.Contains(got, `"level":"INFO"`) {
		t.Fatalf("stderr has no slog JSON records:\n%s", got)
	}
	if r := brokerlab(t, "broker", "--name", "x", "--listen", "stomp://127.0.0.1:0", "--log", "xml"); r.code != 2 || !strings.Contains(r.stderr, "use human, text or json") {
		t.Fatalf("--log xml: exit %d, stderr %q", r.code, r.stderr)
	}
}
