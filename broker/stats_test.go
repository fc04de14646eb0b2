package broker_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// A broker with no bridges and no destinations lists both as [] in its
// stats JSON, never null, both from Stats and from the admin /stats.
func TestStatsEmptyListsAreArrays(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{AdminAddr: "127.0.0.1:0"})
	data, err := json.Marshal(b.Stats())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"bridges":[]`, `"destinations":[]`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("json.Marshal(Stats()) has no %s: %s", want, data)
		}
	}
	if bytes.Contains(data, []byte("null")) {
		t.Errorf("json.Marshal(Stats()) has a null: %s", data)
	}

	resp, err := http.Get("http://" + b.AdminAddr() + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("/stats: %v\n%s", err, body)
	}
	for _, key := range []string{"bridges", "destinations"} {
		if list, ok := doc[key].([]any); !ok || len(list) != 0 {
			t.Errorf("/stats %q = %#v, want []:\n%s", key, doc[key], body)
		}
	}
}

// The zero Stats marshals its lists as [] too, and the fields keep their
// names and tags; text is not HTML-escaped by the method itself.
func TestStatsMarshalJSON(t *testing.T) {
	data, err := json.Marshal(broker.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"node":"","connections":0,"bytes":0,"bridges":[],"destinations":[]}`; string(data) != want {
		t.Errorf("zero Stats = %s, want %s", data, want)
	}

	st := broker.Stats{Node: "hub", Bridges: []string{"a->hub (127.0.0.1:1)"},
		Destinations: []broker.DestinationStats{{Name: "/queue/a", Pending: 2}}}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(st); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `"a->hub (127.0.0.1:1)"`) {
		t.Errorf("an unescaping encoder got %s", buf.String())
	}
	var back broker.Stats
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Node != "hub" || len(back.Bridges) != 1 || back.Destinations[0].Pending != 2 {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}
