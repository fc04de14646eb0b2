package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Kind says what a record does to the set of live messages.
type Kind uint8

const (
	Put Kind = 1 // a persistent message is stored
	Ack Kind = 2 // the message with this ID was consumed: drop it
)

func (k Kind) String() string {
	switch k {
	case Put:
		return "put"
	case Ack:
		return "ack"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Header is one message header, in the producer's order.
type Header struct {
	Key, Value string
}

// Record is one entry of the log. An Ack carries only its ID.
type Record struct {
	Kind    Kind
	ID      string
	Dest    string
	Headers []Header
	Body    []byte
}

// Layout constants. See doc.go for the picture.
const (
	segMagic        = "BLSG"
	segVersion      = 1
	segHeaderSize   = 24 // magic[4] version[1] reserved[3] number u64 base u64
	frameHeaderSize = 20 // length u32, mark u64, header crc u32, payload crc u32

	// MaxRecordSize bounds one record's payload. It is far above the
	// broker's own frame limits (16 MiB of body, 256 headers) so that any
	// frame the broker accepts can be stored, and far below what a corrupt
	// length field could claim, so recovery never allocates on its word.
	MaxRecordSize = 64 << 20

	minPayload = 2 // kind byte and an ID length of at least one byte

	// maxBatch keeps batch numbers clear of the mark's top bit, which
	// the shift in makeMark would lose. At a million batches a second it
	// lasts 146,000 years.
	maxBatch = 1<<62 - 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segHeader is the fixed start of every segment file. Number repeats the
// file name, so a file copied or renamed by hand is noticed; Base is the
// batch number of the first batch written into the segment, which lets
// recovery check that batch numbers run on without a gap inside it.
type segHeader struct {
	Number uint64
	Base   uint64
}

func (h segHeader) encode() []byte {
	b := make([]byte, segHeaderSize)
	copy(b, segMagic)
	b[4] = segVersion
	binary.LittleEndian.PutUint64(b[8:], h.Number)
	binary.LittleEndian.PutUint64(b[16:], h.Base)
	return b
}

func decodeSegHeader(b []byte) (segHeader, error) {
	if len(b) < segHeaderSize {
		return segHeader{}, fmt.Errorf("segment header is short (%d of %d bytes)", len(b), segHeaderSize)
	}
	if string(b[:4]) != segMagic {
		return segHeader{}, fmt.Errorf("not a segment: magic %q", b[:4])
	}
	if b[4] != segVersion {
		return segHeader{}, fmt.Errorf("segment format version %d, this build reads %d", b[4], segVersion)
	}
	h := segHeader{
		Number: binary.LittleEndian.Uint64(b[8:]),
		Base:   binary.LittleEndian.Uint64(b[16:]),
	}
	if h.Base == 0 || h.Base > maxBatch {
		return segHeader{}, fmt.Errorf("segment header has batch base %d, outside 1…%d", h.Base, uint64(maxBatch))
	}
	return h, nil
}

// appendPayload encodes r after dst:
//
//	kind u8 | uvarint len, ID | put only: uvarint len, dest | uvarint n,
//	n × (uvarint len, key | uvarint len, value) | body (the rest)
//
// The body takes the rest of the payload so it needs no length of its own.
func appendPayload(dst []byte, r *Record) []byte {
	dst = append(dst, byte(r.Kind))
	dst = appendString(dst, r.ID)
	if r.Kind != Put {
		return dst
	}
	dst = appendString(dst, r.Dest)
	dst = binary.AppendUvarint(dst, uint64(len(r.Headers)))
	for _, h := range r.Headers {
		dst = appendString(dst, h.Key)
		dst = appendString(dst, h.Value)
	}
	return append(dst, r.Body...)
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// payloadSize is len(appendPayload(nil, r)) without building it.
func payloadSize(r *Record) int {
	n := 1 + stringSize(r.ID)
	if r.Kind != Put {
		return n
	}
	n += stringSize(r.Dest) + uvarintSize(uint64(len(r.Headers)))
	for _, h := range r.Headers {
		n += stringSize(h.Key) + stringSize(h.Value)
	}
	return n + len(r.Body)
}

func stringSize(s string) int { return uvarintSize(uint64(len(s))) + len(s) }

func uvarintSize(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

var errPayload = errors.New("bad payload")

// decodePayload is the inverse of appendPayload. Every length is checked
// against what is left before it is used, and the record is copied out of p
// so the caller may reuse its buffer.
func decodePayload(p []byte) (Record, error) { return decode(p, true, nil) }

// decodeKey checks that p decodes exactly as decodePayload would, but
// copies out only the kind and the ID: replay needs no more of a record to
// know what is live, and so never holds a body.
func decodeKey(p []byte) (Kind, string, error) {
	r, err := decode(p, false, nil)
	return r.Kind, r.ID, err
}

// decode decodes p wholly (full) or only as far as kind and ID. Strings
// equal to like's, field for field, are like's rather than new copies:
// records read in a row mostly share a destination and header names and
// values, so a restart need not allocate them once per message.
func decode(p []byte, full bool, like *Record) (Record, error) {
	if like == nil {
		like = &Record{}
	}
	var r Record
	if len(p) < minPayload {
		return r, errPayload
	}
	r.Kind = Kind(p[0])
	if r.Kind != Put && r.Kind != Ack {
		return r, errPayload
	}
	d := decoder{b: p[1:]}
	r.ID = d.stringLike(like.ID)
	if d.bad || r.ID == "" {
		return r, errPayload
	}
	if r.Kind == Ack {
		if len(d.b) != 0 {
			return r, errPayload
		}
		return r, nil
	}
	if !full {
		d.skip()
		n := d.uvarint()
		if d.bad || n > uint64(len(d.b)/2) {
			return r, errPayload
		}
		for range n {
			d.skip()
			d.skip()
		}
		if d.bad {
			return r, errPayload
		}
		return r, nil
	}
	r.Dest = d.stringLike(like.Dest)
	n := d.uvarint()
	// Each header takes at least two bytes, so a count beyond half of
	// what is left is a lie: check before allocating for it.
	if d.bad || n > uint64(len(d.b)/2) {
		return r, errPayload
	}
	if n > 0 {
		r.Headers = make([]Header, n)
		for i := range r.Headers {
			var h Header
			if i < len(like.Headers) {
				h = like.Headers[i]
			}
			r.Headers[i] = Header{Key: d.stringLike(h.Key), Value: d.stringLike(h.Value)}
		}
	}
	if d.bad {
		return r, errPayload
	}
	r.Body = append([]byte{}, d.b...)
	return r, nil
}

type decoder struct {
	b   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.bad = true
		d.b = nil
		return 0
	}
	d.b = d.b[n:]
	return v
}

// skip passes over a string as string reads it, without copying it.
func (d *decoder) skip() {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		d.b = nil
		return
	}
	d.b = d.b[n:]
}

// stringLike reads a string, returning old instead of a copy when they
// are equal.
func (d *decoder) stringLike(old string) string {
	n := d.uvarint()
	if d.bad || n > uint64(len(d.b)) {
		d.bad = true
		d.b = nil
		return ""
	}
	s := old
	if string(d.b[:n]) != old {
		s = string(d.b[:n])
	}
	d.b = d.b[n:]
	return s
}

// A frame's mark holds its batch number shifted left by one; the low bit
// is set on the last frame of the batch. Recovery applies a batch only once
// it has seen that bit, so one Append call is all or nothing.
func makeMark(batch uint64, last bool) uint64 {
	m := batch << 1
	if last {
		m |= 1
	}
	return m
}

// headerCRC covers the length and the mark. It has a checksum of its own,
// apart from the payload's, so that a scan for whole frames past damage
// can reject a false start in constant time instead of checksumming as
// many bytes as a random length claims at every offset.
func headerCRC(b []byte) uint32 { return crc32.Checksum(b[:12], castagnoli) }

// putFrameHeader writes a frame header into b[:frameHeaderSize]. The
// payload's checksum is computed by the appender, in its own goroutine.
func putFrameHeader(b []byte, length uint32, mark uint64, payloadCRC uint32) {
	binary.LittleEndian.PutUint32(b[0:], length)
	binary.LittleEndian.PutUint64(b[4:], mark)
	binary.LittleEndian.PutUint32(b[12:], headerCRC(b))
	binary.LittleEndian.PutUint32(b[16:], payloadCRC)
}

// frame is one parsed, checksummed frame.
type frame struct {
	rec   Record
	batch uint64
	last  bool
	size  int // header and payload
}

// Reasons a frame is rejected. Truncation.Reason is one of these.
const (
	reasonShort    = "short record"
	reasonLength   = "bad length"
	reasonChecksum = "checksum mismatch"
	reasonPayload  = "bad payload"
	reasonZero     = "zero-filled tail"
	reasonBatch    = "incomplete batch"
)

// frameHead is a frame header whose checksum holds and whose length is
// plausible: what a reader may trust before it reads the payload.
type frameHead struct {
	length uint32
	mark   uint64
	pcrc   uint32
}

// parseHead checks the frame header at the start of b; avail is how many
// bytes of the file follow the header. The length is trusted only once the
// header checksum holds, and is then checked against MaxRecordSize and
// avail, so that a reader never allocates or reads on a damaged length's
// word.
func parseHead(b []byte, avail int64) (frameHead, string) {
	if len(b) < frameHeaderSize {
		return frameHead{}, reasonShort
	}
	if headerCRC(b) != binary.LittleEndian.Uint32(b[12:]) {
		return frameHead{}, reasonChecksum
	}
	h := frameHead{
		length: binary.LittleEndian.Uint32(b[0:]),
		mark:   binary.LittleEndian.Uint64(b[4:]),
		pcrc:   binary.LittleEndian.Uint32(b[16:]),
	}
	if h.length < minPayload || h.length > MaxRecordSize {
		return frameHead{}, reasonLength
	}
	if int64(h.length) > avail {
		return frameHead{}, reasonShort
	}
	return h, ""
}

// check verifies the payload that follows h: its checksum, then the batch
// number in the mark.
func (h frameHead) check(payload []byte) string {
	if crc32.Checksum(payload, castagnoli) != h.pcrc {
		return reasonChecksum
	}
	if h.mark>>1 == 0 || h.mark>>1 > maxBatch {
		return reasonPayload
	}
	return ""
}

func (h frameHead) batch() uint64 { return h.mark >> 1 }
func (h frameHead) last() bool    { return h.mark&1 == 1 }
func (h frameHead) size() int     { return frameHeaderSize + int(h.length) }

// parseFrame reads the frame at the start of b: header (parseHead), payload
// checksums (check), and a payload that must also decode.
func parseFrame(b []byte) (frame, string) {
	h, reason := parseHead(b, int64(len(b)-frameHeaderSize))
	if reason != "" {
		return frame{}, reason
	}
	payload := b[frameHeaderSize:h.size()]
	if reason := h.check(payload); reason != "" {
		return frame{}, reason
	}
	r, err := decodePayload(payload)
	if err != nil {
		return frame{}, reasonPayload
	}
	return frame{rec: r, batch: h.batch(), last: h.last(), size: h.size()}, ""
}
