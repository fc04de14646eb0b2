package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// rawConn is the load generator's STOMP client: hand-written for this one
// job, so that the generator costs less CPU per message than the broker it
// measures (go-stomp, which the scenario probes use, spends about 6 µs per
// message on channels and goroutine hand-offs; on two cores it, not the
// broker, set the pace). It shares no code with the broker's codec, so a
// bug in one is not hidden by the same bug in the other.
//
// A producer writes SEND frames into a 64 KiB buffer and flushes when it
// would otherwise wait (for room in the closed loop, or for its next
// scheduled send), so frames go out in batches under load and one by one
// when idle. A consumer reads MESSAGE frames with a minimal parser that
// looks only at the headers the bench needs.
type rawConn struct {
	raw net.Conn // the TCP connection, which close cuts
	nc  net.Conn // raw, or TLS over it

	wmu sync.Mutex
	bw  *bufio.Writer
	br  *bufio.Reader

	closeOnce sync.Once
}

// errFrame is an ERROR frame from the broker: its message header and body.
type errFrame struct{ message, body string }

func (e *errFrame) Error() string {
	if e.body != "" {
		return fmt.Sprintf("broker sent ERROR: %s: %s", e.message, e.body)
	}
	return "broker sent ERROR: " + e.message
}

// dialRaw connects and logs in. The STOMP version is 1.2, without
// heart-beats: their frames would be measured too, and every run has its
// own deadline.
func (t *Target) dialRaw(ctx context.Context) (*rawConn, error) {
	d := net.Dialer{Timeout: 10 * time.Second}
	raw, err := d.DialContext(ctx, "tcp", t.Addr)
	if err != nil {
		return nil, err
	}
	nc := raw
	if t.TLS != nil {
		tc := tls.Client(raw, t.TLS.Clone())
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			return nil, fmt.Errorf("tls handshake with %s: %w", t.Addr, err)
		}
		nc = tc
	}
	c := &rawConn{raw: raw, nc: nc,
		bw: bufio.NewWriterSize(nc, clientBuffer), br: bufio.NewReaderSize(nc, clientBuffer)}
	stop := context.AfterFunc(ctx, c.close)
	defer stop()

	host := t.Host
	if host == "" {
		host, _, _ = net.SplitHostPort(t.Addr)
	}
	// CONNECT headers are never escaped (STOMP 1.2 §"Value Encoding").
	frame := "CONNECT\naccept-version:1.2\nhost:" + host + "\nheart-beat:0,0\n"
	if t.Login != "" || t.Passcode != "" {
		frame += "login:" + t.Login + "\npasscode:" + t.Passcode + "\n"
	}
	c.bw.WriteString(frame + "\n\x00")
	if err := c.bw.Flush(); err != nil {
		c.close()
		return nil, err
	}
	var f rawFrame
	if err := c.read(&f); err != nil {
		c.close()
		return nil, fmt.Errorf("waiting for CONNECTED: %w", err)
	}
	if err := f.expect("CONNECTED"); err != nil {
		c.close()
		return nil, err
	}
	return c, nil
}

// close cuts the connection; every blocked read and write then ends.
func (c *rawConn) close() {
	c.closeOnce.Do(func() {
		c.raw.Close()
		if c.nc != c.raw {
			c.nc.Close()
		}
	})
}

// subscribe asks for dest with ack auto, then waits for a receipt, which
// proves the broker has the subscription in place before any load starts
// (a connection's frames are handled in order).
func (c *rawConn) subscribe(dest string) error {
	c.wmu.Lock()
	fmt.Fprintf(c.bw, "SUBSCRIBE\nid:0\ndestination:%s\nack:auto\nreceipt:sub\n\n\x00", escape12(dest))
	err := c.bw.Flush()
	c.wmu.Unlock()
	if err != nil {
		return err
	}
	var f rawFrame
	if err := c.read(&f); err != nil {
		return fmt.Errorf("waiting for the SUBSCRIBE receipt: %w", err)
	}
	return f.expect("RECEIPT")
}

// sendFrame is a SEND frame cut in two around its timestamp: everything
// but bench-ts (and, when persistent, the receipt id) is rendered once.
type sendFrame struct {
	head []byte // SEND, destination, content-length, persistent
	body []byte // the body and its NUL
}

func newSendFrame(dest string, body []byte, persistent bool) *sendFrame {
	var b bytes.Buffer
	fmt.Fprintf(&b, "SEND\ndestination:%s\ncontent-length:%d\n", escape12(dest), len(body))
	if persistent {
		b.WriteString("persistent:true\n")
	}
	return &sendFrame{head: b.Bytes(), body: append(bytes.Clone(body), 0)}
}

// send writes one SEND into the buffer; receipt > 0 asks for a RECEIPT
// with that id. Nothing reaches the socket before flush, or before the
// buffer fills.
func (c *rawConn) send(f *sendFrame, ts time.Time, receipt int64) error {
	var num [20]byte
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.bw.Write(f.head)
	c.bw.WriteString(TimestampHeader + ":")
	c.bw.Write(strconv.AppendInt(num[:0], ts.UnixNano(), 10))
	if receipt > 0 {
		c.bw.WriteString("\nreceipt:")
		c.bw.Write(strconv.AppendInt(num[:0], receipt, 10))
	}
	c.bw.WriteString("\n\n")
	_, err := c.bw.Write(f.body)
	return err
}

func (c *rawConn) flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.bw.Flush()
}

// byeReceipt is the receipt id of DISCONNECT; whoever reads the
// connection stops at it.
const byeReceipt = "bye"

// disconnect sends DISCONNECT asking for a receipt; the connection's
// reader sees it and stops, and the run's end closes the socket.
func (c *rawConn) disconnect() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.bw.WriteString("DISCONNECT\nreceipt:" + byeReceipt + "\n\n\x00")
	return c.bw.Flush()
}

// rawFrame is one frame as read: the command, the two headers the bench
// looks at, the message header of an ERROR, and the body. The body slice
// is valid until the next read.
type rawFrame struct {
	command  string
	ts       int64 // bench-ts; -1 when absent or not a number
	receipt  string
	message  string // ERROR's message header
	body     []byte
	bodyBuf  []byte
	tsString string // bench-ts as sent, for an error message
}

func (f *rawFrame) expect(command string) error {
	switch f.command {
	case command:
		return nil
	case "ERROR":
		return &errFrame{message: f.message, body: string(f.body)}
	}
	return fmt.Errorf("broker sent %s, want %s", f.command, command)
}

// Frame limits of the generator's parser: a broker that sends more is
// broken, and the run says so rather than growing without bound.
const (
	rawMaxHeaders = 1000
	rawMaxBody    = 64 << 20
)

// errRawLine: a line must fit the read buffer (clientBuffer).
var errRawLine = errors.New("a header line longer than 64 KiB")

// read reads the next frame into f, skipping heart-beat EOLs. Only the
// headers the bench uses are decoded; a header's first occurrence wins,
// as STOMP 1.2 says.
func (c *rawConn) read(f *rawFrame) error {
	var line []byte
	var err error
	for {
		if line, err = c.readLine(); err != nil {
			return err
		}
		if len(line) > 0 {
			break
		}
	}
	f.command = commandName(line)
	f.ts, f.tsString, f.receipt, f.message = -1, "", "", ""
	length := -1
	seen := 0 // bit set of the headers already taken
	for n := 0; ; n++ {
		if n > rawMaxHeaders {
			return fmt.Errorf("a %s frame with more than %d headers", f.command, rawMaxHeaders)
		}
		if line, err = c.readLine(); err != nil {
			return err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			return fmt.Errorf("a %s frame header without a colon: %.40q", f.command, line)
		}
		switch {
		case seen&1 == 0 && string(name) == "content-length":
			seen |= 1
			v, err := strconv.Atoi(string(value))
			if err != nil || v < 0 || v > rawMaxBody {
				return fmt.Errorf("a %s frame with content-length %.20q", f.command, value)
			}
			length = v
		case seen&2 == 0 && string(name) == TimestampHeader:
			seen |= 2
			f.tsString = string(value)
			if v, err := strconv.ParseInt(string(value), 10, 64); err == nil {
				f.ts = v
			}
		case seen&4 == 0 && string(name) == "receipt-id":
			seen |= 4
			f.receipt = string(value)
		case seen&8 == 0 && string(name) == "message":
			seen |= 8
			f.message = string(value)
		}
	}
	if length >= 0 {
		if cap(f.bodyBuf) < length+1 {
			f.bodyBuf = make([]byte, length+1)
		}
		f.body = f.bodyBuf[:length+1]
		if _, err := io.ReadFull(c.br, f.body); err != nil {
			return err
		}
		if f.body[length] != 0 {
			return fmt.Errorf("a %s frame whose %d-byte body is not followed by NUL", f.command, length)
		}
		f.body = f.body[:length]
		return nil
	}
	body, err := c.br.ReadSlice(0)
	if errors.Is(err, bufio.ErrBufferFull) {
		// Longer than the buffer and without content-length: collect it.
		acc := append(f.bodyBuf[:0], body...)
		for errors.Is(err, bufio.ErrBufferFull) && len(acc) <= rawMaxBody {
			body, err = c.br.ReadSlice(0)
			acc = append(acc, body...)
		}
		f.bodyBuf = acc
		body = acc
	}
	if err != nil {
		return err
	}
	f.body = body[:len(body)-1]
	return nil
}

// readLine returns the next line without its EOL (LF or CRLF); the slice
// is valid until the next read.
func (c *rawConn) readLine() ([]byte, error) {
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return nil, errRawLine
	}
	if err != nil {
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// commandName interns the commands a broker sends, so reading a frame does
// not allocate its name.
func commandName(b []byte) string {
	for _, c := range [...]string{"MESSAGE", "RECEIPT", "ERROR", "CONNECTED"} {
		if string(b) == c {
			return c
		}
	}
	return string(b)
}

// escape12 escapes a header value as STOMP 1.2 asks, for frames other
// than CONNECT.
func escape12(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case ':':
			b = append(b, '\\', 'c')
		default:
			b = append(b, s[i])
		}
	}
	return string(b)
}
