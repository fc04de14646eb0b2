package broker_test

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3/frame"
)

// wire is a raw STOMP connection for tests that need exact frames: what
// goes out is written as text, as given, and what comes back is parsed by
// go-stomp's frame reader, so the broker's codec is checked against one
// written independently of it.
type wire struct {
	t  *testing.T
	nc net.Conn
	r  *frame.Reader
}

// wireTimeout bounds every wait for a frame the broker owes.
const wireTimeout = 5 * time.Second

func dialWire(t *testing.T, addr string) *wire {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &wire{t: t, nc: nc, r: frame.NewReader(nc)}
}

// connectWire dials and sends CONNECT with the given header lines (e.g.
// "accept-version:1.2"), and returns the CONNECTED frame.
func connectWire(t *testing.T, addr string, headers ...string) (*wire, *frame.Frame) {
	t.Helper()
	w := dialWire(t, addr)
	w.send("CONNECT", headers...)
	return w, w.expect("CONNECTED")
}

// send writes one frame: command, header lines ("key:value", written as
// is, so escapes are the caller's) and an optional body after a "" entry.
func (w *wire) send(command string, lines ...string) {
	w.t.Helper()
	var sb strings.Builder
	sb.WriteString(command + "\n")
	body := ""
	for i, l := range lines {
		if l == "" {
			body = strings.Join(lines[i+1:], "")
			break
		}
		sb.WriteString(l + "\n")
	}
	sb.WriteString("\n" + body + "\x00")
	w.write(sb.String())
}

func (w *wire) write(s string) {
	w.t.Helper()
	w.nc.SetWriteDeadline(time.Now().Add(wireTimeout))
	if _, err := io.WriteString(w.nc, s); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// read returns the next frame (heart-beats skipped) or the error that
// ended the wait.
func (w *wire) read(within time.Duration) (*frame.Frame, error) {
	w.nc.SetReadDeadline(time.Now().Add(within))
	for {
		f, err := w.r.Read()
		if err != nil || f != nil {
			return f, err
		}
	}
}

// next returns the next frame, failing the test if none comes in time.
func (w *wire) next() *frame.Frame {
	w.t.Helper()
	f, err := w.read(wireTimeout)
	if err != nil {
		w.t.Fatalf("waiting for a frame: %v", err)
	}
	return f
}

// expect returns the next frame, which must be a command frame.
func (w *wire) expect(command string) *frame.Frame {
	w.t.Helper()
	f := w.next()
	if f.Command != command {
		w.t.Fatalf("got %s %v %q, want %s", f.Command, headerList(f), f.Body, command)
	}
	return f
}

// expectError returns the next frame, which must be an ERROR whose message
// header contains msg, and then the end of the connection.
func (w *wire) expectError(msg string) *frame.Frame {
	w.t.Helper()
	f := w.expect("ERROR")
	if got := f.Header.Get("message"); !strings.Contains(got, msg) {
		w.t.Fatalf("ERROR message %q does not contain %q", got, msg)
	}
	w.expectClosed()
	return f
}

// expectMessage returns the next frame, which must be a MESSAGE with body.
func (w *wire) expectMessage(body string) *frame.Frame {
	w.t.Helper()
	f := w.expect("MESSAGE")
	if string(f.Body) != body {
		w.t.Fatalf("MESSAGE body %q, want %q", f.Body, body)
	}
	return f
}

// expectReceipt returns once the broker has answered receipt id.
func (w *wire) expectReceipt(id string) {
	w.t.Helper()
	f := w.expect("RECEIPT")
	if got := f.Header.Get("receipt-id"); got != id {
		w.t.Fatalf("RECEIPT receipt-id %q, want %q", got, id)
	}
}

// quiet fails if a frame arrives within d. Absence is only ever checked
// after something that orders it (a receipt), so d is a margin, not a race.
func (w *wire) quiet(d time.Duration) {
	w.t.Helper()
	f, err := w.read(d)
	var ne net.Error
	switch {
	case err == nil:
		w.t.Fatalf("unexpected %s %v %q", f.Command, headerList(f), f.Body)
	case errors.As(err, &ne) && ne.Timeout():
	default:
		w.t.Fatalf("connection ended: %v", err)
	}
}

// expectClosed waits for the broker to close the connection.
func (w *wire) expectClosed() {
	w.t.Helper()
	f, err := w.read(wireTimeout)
	if err == nil {
		w.t.Fatalf("got %s %v after the connection should have ended", f.Command, headerList(f))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		w.t.Fatalf("the broker did not close the connection within %v", wireTimeout)
	}
}

// sync sends a frame asking for a receipt and waits for it: every frame
// sent before has then been handled.
func (w *wire) sync(id string) {
	w.t.Helper()
	w.send("SEND", "destination:/queue/brokerlab.test.sync", "receipt:"+id)
	w.expectReceipt(id)
}

func headerList(f *frame.Frame) []string {
	var hs []string
	for i := range f.Header.Len() {
		k, v := f.Header.GetAt(i)
		hs = append(hs, k+":"+v)
	}
	return hs
}
