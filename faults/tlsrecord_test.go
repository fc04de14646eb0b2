package faults

import (
	"bytes"
	"testing"
)

func rec(typ byte, body ...byte) []byte {
	return append([]byte{typ, 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
}

func TestRecordSplitter(t *testing.T) {
	hello := rec(recordHandshake, 1, 0, 0, 2, 0xaa, 0xbb)
	app := rec(recordApplicationData, 1, 2, 3)
	stream := append(append([]byte{}, hello...), app...)

	// Fed a byte at a time, the records come out whole.
	var s recordSplitter
	var got []segment
	for _, b := range stream {
		got = append(got, s.feed([]byte{b})...)
	}
	if len(got) != 2 || !got[0].record || got[0].typ != recordHandshake || !bytes.Equal(got[1].data, app) {
		t.Fatalf("segments %+v", got)
	}

	// Joined mid-stream: passed through until a chunk starts a record.
	var mid recordSplitter
	if segs := mid.feed([]byte{2, 3, 0x17}); len(segs) != 1 || segs[0].record {
		t.Fatalf("mid-stream bytes framed: %+v", segs)
	}
	if segs := mid.feed(app); len(segs) != 1 || !segs[0].record {
		t.Fatalf("realigned chunk not framed: %+v", segs)
	}

	// An implausible header loses the framing without holding bytes.
	var bad recordSplitter
	segs := bad.feed(append(append([]byte{}, app...), 0x17, 9, 9, 9, 9, 9))
	if len(segs) != 2 || !segs[0].record || segs[1].record || bad.flush() != nil {
		t.Fatalf("bad header: %+v", segs)
	}
}

func TestHandshakeReader(t *testing.T) {
	var h handshakeReader
	// ServerHello (2 bytes body) and the start of a Certificate in one record…
	ms := h.feed([]byte{2, 0, 0, 2, 9, 9, 11, 0, 0, 3, 7})
	if len(ms) != 1 || ms[0].typ != handshakeServerHello || ms[0].end != 6 {
		t.Fatalf("first record: %+v", ms)
	}
	// …and its end in the next, followed by another message.
	ms = h.feed([]byte{7, 7, 14, 0, 0, 0})
	if len(ms) != 2 || ms[0].typ != handshakeCertificate || ms[0].end != 2 || ms[1].end != 6 {
		t.Fatalf("second record: %+v", ms)
	}
}

// No input is lost, changed or reordered by the splitter: what it returns,
// followed by what it still holds, is what it was fed.
func FuzzRecordSplitter(f *testing.F) {
	f.Add([]byte{22, 3, 1, 0, 2, 1, 2, 23, 3, 3, 0, 1, 9}, uint8(3))
	f.Add([]byte{1, 2, 3}, uint8(1))
	f.Add(rec(recordApplicationData, make([]byte, 300)...), uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, step uint8) {
		n := int(step)%64 + 1
		var s recordSplitter
		var out []byte
		for i := 0; i < len(data); i += n {
			for _, seg := range s.feed(data[i:min(i+n, len(data))]) {
				if seg.record && (len(seg.data) < recordHeaderLen || len(seg.data) != recordHeaderLen+(int(seg.data[3])<<8|int(seg.data[4]))) {
					t.Fatalf("record of %d bytes with header %v", len(seg.data), seg.data[:min(5, len(seg.data))])
				}
				out = append(out, seg.data...)
			}
		}
		out = append(out, s.flush()...)
		if !bytes.Equal(out, data) {
			t.Fatalf("got %x, fed %x", out, data)
		}
		var h handshakeReader
		for _, m := range h.feed(data) {
			if m.end < 0 || m.end > len(data) {
				t.Fatalf("message end %d outside %d bytes", m.end, len(data))
			}
		}
	})
}
