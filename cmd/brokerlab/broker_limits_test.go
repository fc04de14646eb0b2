package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Each limit flag reaches the broker: a `brokerlab broker` child runs with
// a small value, and a client over loopback sees the broker apply it.
func TestBrokerLimitFlagsReachTheBroker(t *testing.T) {
	t.Run("max-connections", func(t *testing.T) {
		t.Parallel()
		b := startLimited(t, "--max-connections", "1")
		first := dialRaw(t, b.addr)
		first.connect(t, "")
		second := dialRaw(t, b.addr)
		f := second.frame(t)
		if f.command != "ERROR" || f.headers["message"] != "too many connections" || !strings.Contains(f.body, "at most 1 connections") {
			t.Fatalf("second connection got %+v, want ERROR \"too many connections\" naming the limit of 1", f)
		}
		second.waitClosed(t)
		b.waitStderr(t, "connection refused from 127.0.0.1:")
	})

	t.Run("handshake-timeout", func(t *testing.T) {
		t.Parallel()
		// A short timeout closes a connection that never sends CONNECT.
		short := startLimited(t, "--handshake-timeout", "300ms")
		dialRaw(t, short.addr).waitClosed(t)
		// A long one keeps it open past the broker's default of 5s: a
		// lower bound, which a loaded machine cannot make fail.
		long := startLimited(t, "--handshake-timeout", "1m")
		c := dialRaw(t, long.addr)
		c.nc.SetReadDeadline(time.Now().Add(6 * time.Second))
		if _, err := c.r.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("with --handshake-timeout 1m a silent connection ended within 6s: %v", err)
		}
	})

	t.Run("heart-beat", func(t *testing.T) {
		t.Parallel()
		b := startLimited(t, "--heart-beat", "250ms")
		f := dialRaw(t, b.addr).connect(t, "heart-beat:1,1\n")
		if got := f.headers["heart-beat"]; got != "250,250" {
			t.Fatalf("CONNECTED heart-beat %q, want 250,250", got)
		}
	})

	t.Run("prefetch", func(t *testing.T) {
		t.Parallel()
		b := startLimited(t, "--prefetch", "7")
		c := dialRaw(t, b.addr)
		c.connect(t, "")
		c.send(t, "SUBSCRIBE\nid:s\ndestination:/queue/p\nack:client\nreceipt:r\n\n\x00")
		c.expect(t, "RECEIPT")
		var st struct {
			Destinations []struct {
				Name      string `json:"name"`
				Consumers []struct {
					Window int `json:"window"`
				} `json:"consumers"`
			} `json:"destinations"`
		}
		b.stats(t, &st)
		if len(st.Destinations) != 1 || len(st.Destinations[0].Consumers) != 1 || st.Destinations[0].Consumers[0].Window != 7 {
			t.Fatalf("/stats: %+v, want one consumer on /queue/p with a window of 7", st)
		}
	})

	t.Run("max-redeliveries", func(t *testing.T) {
		t.Parallel()
		// With 1, the second NACK sends the message to the DLQ; with the
		// default 6 it would come back a third time.
		b := startLimited(t, "--max-redeliveries", "1")
		c := dialRaw(t, b.addr)
		c.connect(t, "")
		c.send(t, "SEND\ndestination:/queue/poison\nreceipt:s\n\npoison\x00")
		c.expect(t, "RECEIPT")
		c.send(t, "SUBSCRIBE\nid:s\ndestination:/queue/poison\nack:client-individual\n\n\x00")
		for range 2 {
			m := c.expect(t, "MESSAGE")
			c.send(t, "NACK\nid:"+m.headers["ack"]+"\n\n\x00")
		}
		c.send(t, "SUBSCRIBE\nid:dlq\ndestination:/queue/ActiveMQ.DLQ\n\n\x00")
		m := c.expect(t, "MESSAGE")
		if m.headers["subscription"] != "dlq" || m.body != "poison" || m.headers["original-destination"] != "/queue/poison" {
			t.Fatalf("after two NACKs got %+v, want the message on /queue/ActiveMQ.DLQ", m)
		}
	})

	t.Run("destination-memory-limit pauses", func(t *testing.T) {
		t.Parallel()
		b := startLimited(t, "--destination-memory-limit", "1KiB")
		c := dialRaw(t, b.addr)
		c.connect(t, "")
		body := strings.Repeat("x", 2048)
		c.send(t, "SEND\ndestination:/queue/full\n\n"+body+"\x00SEND\ndestination:/queue/full\nreceipt:r\n\n"+body+"\x00")
		b.waitStderr(t, "memory limit 1024 bytes reached; producer paused")
	})

	t.Run("send-fail-if-no-space", func(t *testing.T) {
		t.Parallel()
		b := startLimited(t, "--destination-memory-limit", "1KiB", "--send-fail-if-no-space")
		c := dialRaw(t, b.addr)
		c.connect(t, "")
		body := strings.Repeat("x", 2048)
		c.send(t, "SEND\ndestination:/queue/full\nreceipt:1\n\n"+body+"\x00")
		c.expect(t, "RECEIPT")
		c.send(t, "SEND\ndestination:/queue/full\nreceipt:2\n\n"+body+"\x00")
		f := c.expect(t, "ERROR")
		if f.headers["message"] != "destination memory limit reached" || f.headers["receipt-id"] != "2" || !strings.Contains(f.body, "1024 bytes") {
			t.Fatalf("got %+v, want ERROR \"destination memory limit reached\" for receipt 2, naming 1024 bytes", f)
		}
	})

	for _, c := range []struct {
		flag, value, frame, want string
	}{
		{"--max-body", "1KiB", "SEND\ndestination:/queue/a\n\n" + strings.Repeat("b", 2048) + "\x00", "frame body exceeds 1024 bytes"},
		{"--max-header-line", "64", "SEND\ndestination:/queue/a\nlong:" + strings.Repeat("h", 100) + "\n\n\x00", "exceeds 64 bytes"},
		{"--max-headers", "3", "SEND\ndestination:/queue/a\na:1\nb:2\nc:3\n\n\x00", "frame exceeds 3 headers"},
	} {
		t.Run(c.flag[2:], func(t *testing.T) {
			t.Parallel()
			b := startLimited(t, c.flag, c.value)
			conn := dialRaw(t, b.addr)
			conn.connect(t, "")
			conn.send(t, c.frame)
			if f := conn.expect(t, "ERROR"); !strings.Contains(f.headers["message"], c.want) {
				t.Fatalf("%s %s: ERROR %q, want %q", c.flag, c.value, f.headers["message"], c.want)
			}
			conn.waitClosed(t)
		})
	}
}

// Bad limit values are usage errors (exit 2) naming the flag, the value
// and what to give instead, all of them at once.
func TestBrokerLimitFlagsInvalid(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--max-connections", "0"}, []string{"--max-connections 0: must be at least 1 (default 10000)"}},
		{[]string{"--prefetch", "-1"}, []string{"--prefetch -1: must be at least 1 (default 1000)"}},
		{[]string{"--max-headers", "0"}, []string{"--max-headers 0: must be at least 1 (default 256)"}},
		{[]string{"--handshake-timeout", "0s"}, []string{"--handshake-timeout 0s: must be positive"}},
		{[]string{"--heart-beat", "1500us"}, []string{"--heart-beat 1.5ms: must be a positive whole number of milliseconds"}},
		{[]string{"--heart-beat", "0s"}, []string{"--heart-beat 0s: must be a positive whole number of milliseconds"}},
		{[]string{"--max-redeliveries", "0"}, []string{"--max-redeliveries 0: the broker cannot dead-letter at the first NACK: use 1 or more (default 6), or -1"}},
		{[]string{"--max-headers", "1000000000", "--max-header-line", "1GiB", "--data", "d"}, []string{"--max-body 16MiB: with --data", "lower --max-body to at most 0, or the header limits"}},
		{[]string{"--max-redeliveries", "-2"}, []string{"--max-redeliveries -2: use 1 or more"}},
		{[]string{"--destination-memory-limit", "0"}, []string{"--destination-memory-limit 0: must be at least 1 byte"}},
		{[]string{"--destination-memory-limit", "64MB/s"}, []string{"invalid value \"64MB/s\" for flag -destination-memory-limit", "use KiB, MiB or GiB"}},
		{[]string{"--max-body", "-1"}, []string{"invalid value \"-1\" for flag -max-body", "is not a size"}},
		{[]string{"--max-body", "100MiB", "--data", "d"}, []string{"--max-body 100MiB: with --data a persistent frame must fit one store record (64MiB)", "lower --max-body to at most 59MiB"}},
		// Every bad flag is reported, not just the first.
		{[]string{"--max-connections", "0", "--prefetch", "0"}, []string{"--max-connections 0", "--prefetch 0"}},
	} {
		args := append([]string{"--name", "x", "--listen", "stomp://127.0.0.1:0"}, c.args...)
		var stdout, stderr bytes.Buffer
		if code := cmdBroker(args, &stdout, &stderr); code != exitUsage {
			t.Errorf("broker %v: exit %d, want %d; stderr:\n%s", c.args, code, exitUsage, &stderr)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(stderr.String(), w) {
				t.Errorf("broker %v: stderr lacks %q:\n%s", c.args, w, &stderr)
			}
		}
		if stdout.Len() > 0 {
			t.Errorf("broker %v: printed on stdout: %q", c.args, &stdout)
		}
	}
}

func TestByteSizeFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want byteSize
		str  string
	}{
		{"65536", 65536, "64KiB"}, {"1000", 1000, "1000"}, {"512KiB", 512 << 10, "512KiB"}, {"64MiB", 64 << 20, "64MiB"},
		{"64mb", 64 << 20, "64MiB"}, {"1 GiB", 1 << 30, "1GiB"}, {"2g", 2 << 30, "2GiB"}, {"10b", 10, "10"}, {"1536KiB", 1536 << 10, "1536KiB"},
	} {
		var b byteSize
		if err := b.Set(c.in); err != nil || b != c.want || b.String() != c.str {
			t.Errorf("Set(%q) = %d %q, %v; want %d %q", c.in, b, b.String(), err, c.want, c.str)
		}
	}
	for _, in := range []string{"", "MiB", "1.5MiB", "-1", "64TiB", "9223372036854775807GiB", "1e6"} {
		var b byteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, b)
		}
	}
}

// --help explains every limit with its default, and what happens to a
// damaged store.
func TestBrokerHelpExplainsLimitsAndStore(t *testing.T) {
	r := brokerlab(t, "broker", "--help")
	for _, w := range []string{
		"--max-connections (10,000)", "too many connections", "--handshake-timeout (5s): the connect timeout",
		"--destination-memory-limit (64MiB, per destination)", "is paused", "--send-fail-if-no-space", "destination memory limit",
		"--max-body (16MiB)", "--max-header-line (16KiB)", "--max-headers (256)", "--prefetch (1000)", "--max-redeliveries (6)", "--heart-beat (1s)",
		"torn tail", "the records before it\n    are recovered", "naming the file and the offset", "refuses to start", "exits 1",
		// The flags' own lines show the same defaults.
		"(default 10000)", "(default 5s)", "(default 64MiB)", "(default 16MiB)", "(default 16KiB)", "(default 256)", "(default 1000)", "(default 6)", "(default 1s)",
	} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("broker --help does not say %q", w)
		}
	}
	if t.Failed() {
		t.Logf("help:\n%s", r.stdout)
	}
}

// A torn tail (bytes of a batch never completed) is cut: the broker starts,
// delivers what came before and names the file and offset on stderr.
// Damage in the middle (a record whose checksum fails, followed by a valid
// later batch) makes it refuse to start, exit 1, naming file and offset.
func TestBrokerDamagedStore(t *testing.T) {
	t.Run("torn tail", func(t *testing.T) {
		dir := t.TempDir()
		seg := storeWithTwoMessages(t, dir)
		intact, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(seg, append(bytes.Clone(intact), "torn\x00\x01"...), 0o644); err != nil {
			t.Fatal(err)
		}
		b := start(t, "torn", "broker", "--name", "p", "--listen", "stomp://127.0.0.1:0", "--data", dir, "--admin", "")
		addr := b.readyLines(t, 1)[0].Listeners[0].Addr
		want := fmt.Sprintf("store: cut a damaged tail at %s offset %d", seg, len(intact))
		if !strings.Contains(b.stderr.String(), want) {
			t.Errorf("stderr does not report the cut tail (%q):\n%s", want, b.stderr.String())
		}
		if !strings.Contains(b.stderr.String(), "store: recovered 2 persistent messages") {
			t.Errorf("stderr does not report the two recovered messages:\n%s", b.stderr.String())
		}
		c := dialRaw(t, addr)
		c.connect(t, "")
		c.send(t, "SUBSCRIBE\nid:s\ndestination:/queue/kept\n\n\x00")
		for _, body := range []string{"first", "second"} {
			if m := c.expect(t, "MESSAGE"); m.body != body {
				t.Fatalf("recovered %q, want %q", m.body, body)
			}
		}
		if code := b.terminate(t); code != 0 {
			t.Fatalf("exit %d", code)
		}
	})

	t.Run("corrupt middle", func(t *testing.T) {
		dir := t.TempDir()
		seg := storeWithTwoMessages(t, dir)
		data, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		// Flip a byte of the first put, which the second's batch follows.
		i := bytes.Index(data, []byte("first"))
		if i < 0 {
			t.Fatalf("no put of \"first\" in %s", seg)
		}
		data[i] ^= 0xff
		if err := os.WriteFile(seg, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := brokerlab(t, "broker", "--name", "p", "--listen", "stomp://127.0.0.1:0", "--data", dir, "--admin", "")
		if r.code != exitFail {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, exitFail, r.stdout, r.stderr)
		}
		for _, w := range []string{seg + ": corrupt at offset ", "refusing to start", "truncate it to "} {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
			}
		}
		if r.stdout != "" {
			t.Errorf("a ready line was printed: %q", r.stdout)
		}
	})
}

// storeWithTwoMessages runs a broker on dir until two persistent messages
// are confirmed, one batch each, and returns the store's only segment.
func storeWithTwoMessages(t *testing.T, dir string) string {
	t.Helper()
	b := start(t, "writer", "broker", "--name", "p", "--listen", "stomp://127.0.0.1:0", "--data", dir, "--admin", "")
	c := dialRaw(t, b.readyLines(t, 1)[0].Listeners[0].Addr)
	c.connect(t, "")
	for _, body := range []string{"first", "second"} {
		c.send(t, "SEND\ndestination:/queue/kept\npersistent:true\nreceipt:"+body+"\n\n"+body+"\x00")
		c.expect(t, "RECEIPT")
	}
	if code := b.terminate(t); code != 0 {
		t.Fatalf("writer exited %d", code)
	}
	segs, err := filepath.Glob(filepath.Join(dir, "store", "*.seg"))
	if err != nil || len(segs) != 1 {
		t.Fatalf("want one segment in %s/store, found %v (%v)", dir, segs, err)
	}
	return segs[0]
}

// limited is a `brokerlab broker` child with limit flags.
type limited struct {
	*proc
	addr, admin string
}

func startLimited(t *testing.T, flags ...string) *limited {
	t.Helper()
	args := append([]string{"broker", "--name", "limits", "--listen", "stomp://127.0.0.1:0"}, flags...)
	p := start(t, strings.Join(flags, " "), args...)
	ready := p.readyLines(t, 1)[0]
	return &limited{proc: p, addr: ready.Listeners[0].Addr, admin: ready.Admin}
}

// waitStderr waits for text on the child's stderr.
func (b *limited) waitStderr(t *testing.T, text string) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for !strings.Contains(b.stderr.String(), text) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr has no %q within %s:\n%s", text, bound, b.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *limited) stats(t *testing.T, v any) {
	t.Helper()
	resp, err := http.Get("http://" + b.admin + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("/stats: %v", err)
	}
}

// rawConn speaks STOMP by hand, to see exactly which frame the broker
// sends (go-stomp turns an ERROR into a closed channel).
type rawConn struct {
	nc net.Conn
	r  *bufio.Reader
}

type rawFrame struct {
	command string
	headers map[string]string
	body    string
}

func dialRaw(t *testing.T, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, bound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{nc: nc, r: bufio.NewReader(nc)}
}

func (c *rawConn) send(t *testing.T, frames string) {
	t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(bound))
	if _, err := io.WriteString(c.nc, frames); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// connect sends CONNECT with extra header lines and returns CONNECTED.
func (c *rawConn) connect(t *testing.T, headers string) rawFrame {
	t.Helper()
	c.send(t, "CONNECT\naccept-version:1.2\nhost:x\n"+headers+"\n\x00")
	return c.expect(t, "CONNECTED")
}

// frame reads the next frame, skipping heart-beats; the headers are not
// unescaped, which the tests' values do not need.
func (c *rawConn) frame(t *testing.T) rawFrame {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(bound))
	for {
		b, err := c.r.Peek(1)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if b[0] != '\n' && b[0] != '\r' {
			break
		}
		c.r.ReadByte()
	}
	raw, err := c.r.ReadString(0)
	if err != nil {
		t.Fatalf("read frame: %v (so far %q)", err, raw)
	}
	head, body, _ := strings.Cut(strings.TrimSuffix(raw, "\x00"), "\n\n")
	lines := strings.Split(head, "\n")
	f := rawFrame{command: lines[0], headers: map[string]string{}, body: body}
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, ":")
		if _, seen := f.headers[k]; !seen { // the first occurrence counts
			f.headers[k] = v
		}
	}
	return f
}

func (c *rawConn) expect(t *testing.T, command string) rawFrame {
	t.Helper()
	f := c.frame(t)
	if f.command != command {
		t.Fatalf("got %s %v %q, want %s", f.command, f.headers, f.body, command)
	}
	return f
}

// waitClosed reads until the broker closes the connection.
func (c *rawConn) waitClosed(t *testing.T) {
	t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(bound))
	if _, err := io.Copy(io.Discard, c.r); err != nil {
		t.Fatalf("the broker did not close the connection within %s: %v", bound, err)
	}
}
