package broker_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

// Heart-beats as the peer sees them on the wire. Timing is only ever
// bounded generously: a loaded machine fires timers late, never early.

// heartBeatsIn connects with the given heart-beat header, stays silent and
// counts the EOLs the broker sends during window after CONNECTED.
func heartBeatsIn(t *testing.T, addr, heartBeat string, window time.Duration) int {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	io.WriteString(nc, "CONNECT\naccept-version:1.2\nheart-beat:"+heartBeat+"\n\n\x00")
	var got []byte
	buf := make([]byte, 512)
	nc.SetReadDeadline(time.Now().Add(wireTimeout))
	for bytes.IndexByte(got, 0) < 0 {
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			t.Fatalf("no CONNECTED: %q, %v", got, err)
		}
	}
	if !bytes.HasPrefix(got, []byte("CONNECTED\n")) {
		t.Fatalf("got %q", got)
	}
	eols := bytes.Count(got[bytes.IndexByte(got, 0)+1:], []byte("\n"))
	end := time.Now().Add(window)
	for {
		nc.SetReadDeadline(end)
		n, err := nc.Read(buf)
		for _, c := range buf[:n] {
			if c != '\n' && c != '\r' {
				t.Fatalf("the broker sent %q, not a heart-beat", buf[:n])
			}
		}
		eols += bytes.Count(buf[:n], []byte("\n"))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return eols
		}
		if err != nil {
			t.Fatalf("connection ended after %d heart-beats: %v", eols, err)
		}
	}
}

// A client asking for heart-beats every 100ms gets them: about ten in a
// second; at least three even on a slow machine, none if they were off.
func TestBrokerSendsHeartBeats(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{HeartBeat: 50 * time.Millisecond})
	if n := heartBeatsIn(t, b.Addr(), "0,100", time.Second); n < 3 {
		t.Fatalf("%d heart-beats in 1s at a negotiated 100ms", n)
	}
	if n := heartBeatsIn(t, b.Addr(), "0,0", 300*time.Millisecond); n != 0 {
		t.Fatalf("%d heart-beats sent to a client that asked for none", n)
	}
}

// The broker sends at the longer of what the client wants and what it
// offers (the spec's max), whichever side is longer: every 300ms, never at
// the 50ms the other side named. In 1.2s that is about 4; at 50ms it would
// be about 24.
func TestHeartBeatSendIntervalIsTheLonger(t *testing.T) {
	for _, tt := range []struct {
		name   string
		offer  time.Duration
		client string
	}{
		{"broker offers longer", 300 * time.Millisecond, "0,50"},
		{"client wants longer", 50 * time.Millisecond, "0,300"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := brokertest.NewBroker(t, broker.Options{HeartBeat: tt.offer})
			if n := heartBeatsIn(t, b.Addr(), tt.client, 1200*time.Millisecond); n < 1 || n > 10 {
				t.Fatalf("%d heart-beats in 1.2s: want every 300ms (about 4)", n)
			}
		})
	}
}

// A peer that promised heart-beats every 100ms and then goes silent is
// closed once the tolerance (a few intervals) has passed; the handshake
// timeout is set far beyond the wait, so only the heart-beat rule can.
func TestSilentPeerIsClosed(t *testing.T) {
	b := brokertest.NewBroker(t, broker.Options{HeartBeat: 100 * time.Millisecond, HandshakeTimeout: time.Minute})
	w, _ := connectWire(t, b.Addr(), "accept-version:1.2", "heart-beat:100,0")
	start := time.Now()
	w.expectClosed()
	t.Logf("closed after %v of silence", time.Since(start).Round(time.Millisecond))
}
