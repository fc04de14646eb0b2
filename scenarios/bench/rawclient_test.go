package bench

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rawFrom is a rawConn that reads from s.
func rawFrom(s string) *rawConn {
	return &rawConn{br: bufio.NewReaderSize(strings.NewReader(s), 256)}
}

func TestRawReadFrames(t *testing.T) {
	c := rawFrom("\n\r\nMESSAGE\r\nbench-ts:42\r\nbench-ts:7\r\ncontent-length:5\r\ndestination:/queue/a\r\n\r\nab\x00cd\x00" +
		"RECEIPT\nreceipt-id:9\n\n\x00" +
		"MESSAGE\nbench-ts:x\n\nno length\x00" +
		"ERROR\nmessage:bad thing\n\ndetails\x00")
	var f rawFrame
	if err := c.read(&f); err != nil {
		t.Fatal(err)
	}
	if f.command != "MESSAGE" || f.ts != 42 || string(f.body) != "ab\x00cd" {
		t.Errorf("first frame: %q ts %d body %q; want MESSAGE, the first bench-ts (42), a body with a NUL", f.command, f.ts, f.body)
	}
	if err := c.read(&f); err != nil || f.command != "RECEIPT" || f.receipt != "9" {
		t.Errorf("second frame: %q receipt %q, %v", f.command, f.receipt, err)
	}
	if err := c.read(&f); err != nil || f.ts != -1 || f.tsString != "x" || string(f.body) != "no length" {
		t.Errorf("third frame: ts %d (%q) body %q, %v", f.ts, f.tsString, f.body, err)
	}
	if err := c.read(&f); err != nil {
		t.Fatal(err)
	}
	var ef *errFrame
	if err := f.expect("MESSAGE"); !errors.As(err, &ef) || ef.message != "bad thing" || !strings.Contains(err.Error(), "details") {
		t.Errorf("ERROR frame: %v", err)
	}
}

func TestRawReadErrors(t *testing.T) {
	for name, in := range map[string]string{
		"no colon":        "MESSAGE\nbroken\n\n\x00",
		"bad length":      "MESSAGE\ncontent-length:-1\n\n\x00",
		"huge length":     "MESSAGE\ncontent-length:99999999999\n\n\x00",
		"no NUL":          "MESSAGE\ncontent-length:1\n\nab",
		"truncated":       "MESSAGE\ncontent-length:10\n\nab",
		"line too long":   "MESSAGE\n" + strings.Repeat("h", 300),
		"too many header": "MESSAGE\n" + strings.Repeat("a:b\n", rawMaxHeaders+2) + "\n\x00",
	} {
		c := &rawConn{br: bufio.NewReaderSize(strings.NewReader(in), 128)}
		if name == "too many header" {
			c.br = bufio.NewReader(strings.NewReader(in))
		}
		var f rawFrame
		if err := c.read(&f); err == nil {
			t.Errorf("%s: read %q without an error", name, f.command)
		}
	}
}

// What send writes is one well-formed SEND frame: our broker's codec is
// tested elsewhere; here the bytes are checked as text.
func TestRawSendFrame(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	c := &rawConn{raw: a, nc: a, bw: bufio.NewWriter(a)}
	go func() {
		f := newSendFrame("/queue/x:y", []byte("body"), true)
		c.send(f, timeAt(5), 3)
		c.flush()
	}()
	got := make([]byte, 200)
	n, _ := b.Read(got)
	want := "SEND\ndestination:/queue/x\\cy\ncontent-length:4\npersistent:true\nbench-ts:5\nreceipt:3\n\nbody\x00"
	if string(got[:n]) != want {
		t.Errorf("send wrote %q, want %q", got[:n], want)
	}
}

// The generator's parser reads what brokers send; no input makes it panic
// or run past its limits.
func FuzzRawRead(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/raw/*")
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("MESSAGE\nbench-ts:1\ncontent-length:2\n\nab\x00"))
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &rawConn{br: bufio.NewReaderSize(bytes.NewReader(in), 512)}
		var fr rawFrame
		for range 50 {
			if c.read(&fr) != nil {
				return
			}
			if len(fr.body) > rawMaxBody {
				t.Fatalf("body of %d bytes", len(fr.body))
			}
		}
	})
}

func timeAt(ns int64) time.Time { return time.Unix(0, ns) }
