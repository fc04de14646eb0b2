package broker_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/go-stomp/stomp/v3"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// The admin endpoint of a real broker answers with the broker's own state.
func TestAdminEndpoint(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{Name: "hub", AdminAddr: "127.0.0.1:0"})
	c := dial(t, b.Addr())
	c.Send("/queue/admin", "text/plain", []byte("x"), stomp.SendOpt.Receipt)
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + b.AdminAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	_, body := get("/stats")
	var st broker.Stats
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("/stats: %v\n%s", err, body)
	}
	if st.Node != "hub" || st.Connections != 1 || len(st.Destinations) == 0 || st.Destinations[0].Enqueued != 1 {
		t.Fatalf("/stats: %+v", st)
	}
	if _, body := get("/metrics"); !strings.Contains(body, `brokerlab_enqueued_total{destination="/queue/admin",node="hub"} 1`) {
		t.Fatalf("/metrics lacks the enqueued counter:\n%s", body)
	}
	if _, body := get("/events"); !strings.Contains(body, `"kind":"listener-up"`) || !strings.Contains(body, `"kind":"conn-accepted"`) {
		t.Fatalf("/events: %s", body)
	}
}
