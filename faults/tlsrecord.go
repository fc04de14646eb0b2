package faults

import "github.com/Shopify/toxiproxy/v2/stream"

// Toxiproxy relays TLS as opaque bytes. The tls-* toxics (toxic_tls_*.go)
// read the TLS record layer in the stream instead, so that a fault can land
// at a precise point of the conversation: after the ClientHello, after the
// server's Certificate, on one application-data record. Only the record
// headers (RFC 8446 §5.1: type, legacy version, length) and the plaintext
// handshake headers before encryption starts are read; nothing is
// decrypted.
//
//	 chunk ─▶ recordSplitter ─▶ [record][record][incomplete…] ─▶ toxic decides per record
//	          (carries the incomplete tail to the next chunk)

// TLS record content types.
const (
	recordChangeCipherSpec = 20
	recordAlert            = 21
	recordHandshake        = 22
	recordApplicationData  = 23

	recordHeaderLen = 5
	// maxRecordLen is the largest record body a peer may send: 2^14 bytes
	// of plaintext plus 2048 of expansion (RFC 5246 §6.2.3).
	maxRecordLen = 1<<14 + 2048
)

// Handshake message types the toxics look for.
const (
	handshakeClientHello = 1
	handshakeServerHello = 2
	handshakeCertificate = 11
)

// segment is a piece of the stream: a whole record (header included), or
// raw bytes the splitter could not frame.
type segment struct {
	record bool
	typ    byte   // the record's content type
	data   []byte // owned by the segment
}

func (s segment) body() []byte { return s.data[recordHeaderLen:] }

// recordSplitter cuts a byte stream into TLS records. A toxic added to a
// link while connections are open joins their streams somewhere in the
// middle; the splitter then passes bytes through unframed until a chunk
// starts with a plausible record header (an idle TLS connection sends one
// record per write, so the next heart-beat realigns it). A header that
// turns out implausible loses the framing the same way, and never stalls
// the stream: what was held is passed on.
type recordSplitter struct {
	pending []byte
	aligned bool
}

func plausibleHeader(h []byte) bool {
	if len(h) < recordHeaderLen {
		return false
	}
	n := int(h[3])<<8 | int(h[4])
	return h[0] >= recordChangeCipherSpec && h[0] <= recordApplicationData &&
		h[1] == 3 && h[2] <= 4 && n > 0 && n <= maxRecordLen
}

// feed takes the next chunk and returns the segments now complete, in
// order. Bytes of an incomplete record are kept for the next call.
func (s *recordSplitter) feed(chunk []byte) []segment {
	if !s.aligned {
		if len(chunk) == 0 || chunk[0] < recordChangeCipherSpec || chunk[0] > recordApplicationData ||
			len(chunk) >= recordHeaderLen && !plausibleHeader(chunk) {
			return []segment{{data: clone(chunk)}}
		}
		s.aligned = true
	}
	s.pending = append(s.pending, chunk...)
	var out []segment
	for len(s.pending) >= recordHeaderLen {
		if !plausibleHeader(s.pending) {
			out = append(out, segment{data: s.pending})
			s.pending, s.aligned = nil, false
			return out
		}
		n := recordHeaderLen + (int(s.pending[3])<<8 | int(s.pending[4]))
		if len(s.pending) < n {
			break
		}
		out = append(out, segment{record: true, typ: s.pending[0], data: clone(s.pending[:n])})
		s.pending = s.pending[n:]
	}
	if len(s.pending) == 0 {
		s.pending = nil
	}
	return out
}

// flush returns what is held, for when the toxic is removed: bytes must
// never be lost by taking a fault away.
func (s *recordSplitter) flush() []byte {
	p := s.pending
	s.pending = nil
	return p
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

// handshakeReader follows the handshake messages inside plaintext
// handshake records, which may be split across records or share one.
type handshakeReader struct {
	buf []byte
}

// message is one complete handshake message, and where it ends in the
// record it completed in.
type message struct {
	typ byte
	end int // offset in the record body just after the message
}

// feed takes a handshake record's body and returns the messages it
// completes.
func (h *handshakeReader) feed(body []byte) []message {
	start := len(h.buf)
	h.buf = append(h.buf, body...)
	var out []message
	off := 0
	for len(h.buf)-off >= 4 {
		n := 4 + (int(h.buf[off+1])<<16 | int(h.buf[off+2])<<8 | int(h.buf[off+3]))
		if len(h.buf)-off < n {
			break
		}
		out = append(out, message{typ: h.buf[off], end: off + n - start})
		off += n
	}
	h.buf = h.buf[off:]
	return out
}

// emit writes b to the stub's output as one chunk, unless it is empty.
func emit(out chan<- *stream.StreamChunk, b []byte) {
	if len(b) > 0 {
		out <- &stream.StreamChunk{Data: b}
	}
}
