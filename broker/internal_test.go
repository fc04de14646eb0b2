package broker

import (
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/brokerlab/brokerlab/broker/stomp"
)

// TestDropBodyLetsTheFrameGo: a spooled message must not keep its body in
// memory through its header strings, which the Reader may have read into
// the same allocation as the body.
func TestDropBodyLetsTheFrameGo(t *testing.T) {
	const frame = "MESSAGE\ndestination:/queue/a\nmessage-id:ID:x-1\nsubscription:s\nbrokerlab-path:spoke\nk:v\ncontent-length:3\n\nabc\x00"
	r := stomp.NewReader(strings.NewReader(frame), stomp.DefaultLimits)
	f, err := r.ReadFrame()
	if err != nil {
		t.Fatal(err)
	}
	body := uintptr(unsafe.Pointer(&f.Body[0]))
	inBlock := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		return p < body && p > body-uintptr(len(frame))
	}
	m := newMessage(f)
	m.dest, m.path = f.Get("destination"), strings.Split(f.Get(hdrPath), pathSep)
	if !inBlock(m.dest) || !inBlock(m.headers[0].Value) {
		t.Fatal("the Reader no longer reads headers and body into one allocation: this test checks nothing")
	}
	d := &destination{name: strings.Clone("/queue/a")}
	m.dropBody(d)
	if m.body != nil || !m.spooled {
		t.Fatal("body kept")
	}
	strs := append([]string{m.dest}, m.path...)
	for _, h := range m.headers {
		strs = append(strs, h.Key, h.Value)
	}
	for _, s := range strs {
		if inBlock(s) {
			t.Errorf("%q still points into the frame's allocation", s)
		}
	}
	if len(m.headers) != 1 || m.headers[0] != (stomp.Header{Key: "k", Value: "v"}) || m.path[0] != "spoke" || m.dest != "/queue/a" {
		t.Errorf("copied wrongly: %v %v %q", m.headers, m.path, m.dest)
	}
}

func TestArrivedPath(t *testing.T) {
	for _, c := range []struct {
		header string
		want   []string
	}{
		{"", []string{"hub"}},
		{"spoke", []string{"spoke", "hub"}},
		{"a,b,c", []string{"a", "b", "c", "hub"}},
		{"a,,b", []string{"a", "", "b", "hub"}},
	} {
		got := arrivedPath(c.header, "hub")
		if !slices.Equal(got, c.want) || cap(got) != len(got) {
			t.Errorf("arrivedPath(%q) = %q (cap %d), want %q", c.header, got, cap(got), c.want)
		}
	}
}

func TestNewDeliveryOneAllocation(t *testing.T) {
	var d *delivery
	allocs := testing.AllocsPerRun(100, func() { d = newDelivery(nil, nil, 18446744073709551615) })
	if allocs != 1 || d.ackID != "18446744073709551615" {
		t.Errorf("%.0f allocations, ack id %q", allocs, d.ackID)
	}
	if e := newDelivery(nil, nil, 7); e.ackID != "7" || d.ackID != "18446744073709551615" {
		t.Errorf("ack ids %q and %q", e.ackID, d.ackID)
	}
}

// TestLocalMessageOneAllocation: a message sent here comes with its id in
// the same allocation, whatever the length of the broker's name.
func TestLocalMessageOneAllocation(t *testing.T) {
	f := stomp.New(stomp.SEND, "destination", "/queue/a", "k", "v")
	for _, name := range []string{"b", strings.Repeat("n", 80)} {
		b := &Broker{idPrefix: "ID:" + name, runID: "abc"}
		var m *message
		allocs := testing.AllocsPerRun(100, func() { m = b.newLocalMessage(f) })
		if want := "ID:" + name + "-abc-"; !strings.HasPrefix(m.id, want) || len(m.headers) != 1 {
			t.Fatalf("id %q, headers %v", m.id, m.headers)
		}
		if short := len(m.id) <= 48; (short && allocs != 1) || (!short && allocs != 2) {
			t.Errorf("id of %d bytes: %.0f allocations", len(m.id), allocs)
		}
		if a, b := b.newLocalMessage(f), b.newLocalMessage(f); a.id == b.id {
			t.Errorf("two messages share the id %q", a.id)
		}
	}
}
