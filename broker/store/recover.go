package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// Recovery is what Open found in the directory.
type Recovery struct {
	Messages  []Recovered // live messages (put, not acked), in append order, without their bodies
	Segments  int         // segment files replayed
	Records   int         // records replayed, in whole batches
	Truncated *Truncation // nil if the log ended cleanly
}

// Recovered is one live message as Open found it: its ID and where its put
// is. Open holds no bodies, so that a backlog larger than memory can be
// recovered: ReadRecovered reads the records back one at a time, when the
// caller can decide which bodies to keep.
type Recovered struct {
	ID  string
	Loc Location
}

// Truncation reports the torn tail that Open cut off the last segment: the
// batch being written when the process or the machine stopped. Nothing in
// it had been acknowledged, since Append returns only after the whole batch
// is on disk.
type Truncation struct {
	File   string
	Offset int64  // the file now ends here
	Reason string // what was found at the tail: "short record", "checksum mismatch", …
}

func (t *Truncation) String() string {
	return fmt.Sprintf("%s truncated at offset %d: %s", t.File, t.Offset, t.Reason)
}

// CorruptError is damage that a crash cannot explain: a bad record in a
// segment that is not the last, or one followed by records of a later
// batch, which were written only after the damaged one was synced. Open
// refuses to start rather than drop acknowledged messages in silence.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store: %s: corrupt at offset %d: %s; refusing to start without acknowledged messages: "+
		"move the file out of the directory to start without it, or truncate it to %d bytes to keep what comes before",
		e.File, e.Offset, e.Reason, e.Offset)
}

// replayBuffer is the read buffer of a segment during replay and of
// ReadRecovered: big enough that a segment is read in few calls, small
// enough not to matter beside the broker's memory limits.
const replayBuffer = 256 << 10

// replayer rebuilds the state and the list of live messages from the
// segments. It streams each segment through one buffer and keeps of every
// record only its ID and location, so its memory is the live set's, not
// the log's.
type replayer struct {
	st        *state
	msgs      []Recovered    // puts in append order; acked ones are zeroed
	idx       map[string]int // live ID → index in msgs
	records   int
	nextBatch uint64
	sync      bool
	br        *bufio.Reader
	payload   []byte // the frame being read; reused
}

// entry is one frame of the batch being read, held until its batch ends.
type entry struct {
	kind Kind
	id   string
	loc  Location
}

// segment replays one segment file. Frames are held back until the frame
// that ends their batch, so a batch is applied whole or not at all.
func (rp *replayer) segment(seg *segment, last bool) (*Truncation, error) {
	f, err := os.Open(seg.path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	size := fi.Size()
	if rp.br == nil {
		rp.br = bufio.NewReaderSize(f, replayBuffer)
	} else {
		rp.br.Reset(f)
	}
	hb := make([]byte, segHeaderSize)
	n, err := io.ReadFull(rp.br, hb)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("store: read %s: %w", seg.path, err)
	}
	h, err := decodeSegHeader(hb[:n])
	if err != nil {
		return nil, &CorruptError{File: seg.path, Offset: 0, Reason: err.Error()}
	}
	if h.Number != seg.num {
		return nil, &CorruptError{File: seg.path, Offset: 8, Reason: fmt.Sprintf("header says segment %s", segName(h.Number))}
	}
	seg.base = h.Base
	prev, prevLast := h.Base-1, true // the batch before this segment's first one is complete
	var pending []entry
	batchStart := int64(segHeaderSize)
	off := int64(segHeaderSize)
	for off < size {
		want := prev
		if prevLast {
			want = prev + 1
		}
		fh, e, reason, err := rp.next(seg, off, size)
		if err != nil {
			return nil, err
		}
		if reason == "" && fh.batch() != want {
			// A whole, checksummed frame out of sequence is not a torn
			// write: it is a file put together from pieces of others.
			return nil, &CorruptError{File: seg.path, Offset: off, Reason: fmt.Sprintf("batch %d where batch %d was due", fh.batch(), want)}
		}
		if reason != "" {
			if !last {
				return nil, &CorruptError{File: seg.path, Offset: off, Reason: reason + " in a segment that is not the last"}
			}
			tail := &window{f: f, file: seg.path, size: size}
			zero, err := tail.allZero(off)
			if err != nil {
				return nil, err
			}
			if zero {
				reason = reasonZero
			}
			if err := checkTail(tail, off, reason, want); err != nil {
				return nil, err
			}
			rp.nextBatch = want
			return rp.truncate(seg, batchStart, reason)
		}
		pending = append(pending, e)
		prev, prevLast = fh.batch(), fh.last()
		off += int64(fh.size())
		if fh.last() {
			rp.apply(pending, seg)
			pending = pending[:0]
			batchStart = off
		}
	}
	if len(pending) > 0 {
		// The file ends on a frame boundary inside a batch: the rest of
		// the batch never reached the disk.
		if !last {
			return nil, &CorruptError{File: seg.path, Offset: batchStart, Reason: reasonBatch + " in a segment that is not the last"}
		}
		rp.nextBatch = prev
		return rp.truncate(seg, batchStart, reasonBatch)
	}
	seg.size = size
	rp.nextBatch = prev + 1
	return nil, nil
}

// next reads the frame at off from rp.br, which is there, and checks it as
// parseFrame does. A frame that cannot be read has a reason; err is only
// for the file failing to read.
func (rp *replayer) next(seg *segment, off, size int64) (frameHead, entry, string, error) {
	avail := size - off - frameHeaderSize
	if avail < 0 {
		return frameHead{}, entry{}, reasonShort, nil
	}
	hb, err := rp.br.Peek(frameHeaderSize)
	if err != nil {
		return frameHead{}, entry{}, "", fmt.Errorf("store: read %s at offset %d: %w", seg.path, off, err)
	}
	h, reason := parseHead(hb, avail)
	if reason != "" {
		return h, entry{}, reason, nil
	}
	rp.br.Discard(frameHeaderSize)
	if cap(rp.payload) < int(h.length) {
		rp.payload = make([]byte, h.length)
	}
	p := rp.payload[:h.length]
	if _, err := io.ReadFull(rp.br, p); err != nil {
		return h, entry{}, "", fmt.Errorf("store: read %s at offset %d: %w", seg.path, off, err)
	}
	if reason := h.check(p); reason != "" {
		return h, entry{}, reason, nil
	}
	kind, id, err := decodeKey(p)
	if err != nil {
		return h, entry{}, reasonPayload, nil
	}
	return h, entry{kind: kind, id: id, loc: Location{Segment: seg.num, Offset: off, Length: h.length}}, "", nil
}

// window reads the damaged tail of the last segment a piece at a time, so
// that looking past damage costs memory for a piece, not for the file.
type window struct {
	f     io.ReaderAt
	file  string
	size  int64
	buf   []byte
	start int64
	n     int
}

// at returns the k bytes of the file at p, fewer at its end. The slice is
// valid until the next call.
func (w *window) at(p int64, k int) ([]byte, error) {
	if rest := w.size - p; int64(k) > rest {
		k = int(max(rest, 0))
	}
	if w.n > 0 && p >= w.start && p+int64(k) <= w.start+int64(w.n) {
		return w.buf[p-w.start:][:k], nil
	}
	if w.buf == nil {
		w.buf = make([]byte, replayBuffer)
	}
	if k > len(w.buf) { // a whole frame bigger than the window
		b := make([]byte, k)
		if _, err := w.f.ReadAt(b, p); err != nil {
			return nil, fmt.Errorf("store: read %s at offset %d: %w", w.file, p, err)
		}
		return b, nil
	}
	n := int(min(int64(len(w.buf)), w.size-p))
	if _, err := w.f.ReadAt(w.buf[:n], p); err != nil {
		return nil, fmt.Errorf("store: read %s at offset %d: %w", w.file, p, err)
	}
	w.start, w.n = p, n
	return w.buf[:k], nil
}

// allZero says whether every byte from off to the end is zero: a tail the
// file system extended but never wrote.
func (w *window) allZero(off int64) (bool, error) {
	for p := off; p < w.size; {
		b, err := w.at(p, replayBuffer)
		if err != nil {
			return false, err
		}
		for _, c := range b {
			if c != 0 {
				return false, nil
			}
		}
		p += int64(len(b))
	}
	return true, nil
}

// checkTail decides whether the damage at off is a torn final batch. The
// committer writes a batch and syncs it before it writes the next, so a
// crash can leave any part of the last batch missing or garbled — even
// pages of it out of order — but cannot touch a batch before it. Every
// whole frame after off must therefore belong to batch want, the one off
// is in; a frame of any other batch means off was synced data, damaged
// since.
func checkTail(w *window, off int64, reason string, want uint64) error {
	for p := off + 1; p < w.size; {
		hb, err := w.at(p, frameHeaderSize)
		if err != nil {
			return err
		}
		// The header alone rejects almost every false start, before any
		// payload is read.
		h, bad := parseHead(hb, w.size-p-frameHeaderSize)
		if bad != "" {
			p++
			continue
		}
		b, err := w.at(p, h.size())
		if err != nil {
			return err
		}
		fr, bad := parseFrame(b)
		if bad != "" {
			p++
			continue
		}
		if fr.batch != want {
			return &CorruptError{File: w.file, Offset: off, Reason: fmt.Sprintf("%s, followed by a valid record of batch %d at offset %d", reason, fr.batch, p)}
		}
		p += int64(fr.size)
	}
	return nil
}

// truncate cuts the last segment back to the end of its last whole batch.
func (rp *replayer) truncate(seg *segment, at int64, reason string) (*Truncation, error) {
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	err = f.Truncate(at)
	if err == nil && rp.sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("store: truncate %s to %d: %w", seg.path, at, err)
	}
	seg.size = at
	return &Truncation{File: seg.path, Offset: at, Reason: reason}, nil
}

// apply applies one whole batch, as the committer did when it wrote it.
func (rp *replayer) apply(batch []entry, seg *segment) {
	for _, e := range batch {
		rp.records++
		if !rp.st.wanted(e.kind, e.id) {
			continue
		}
		rp.st.apply(e.kind, e.id, seg)
		if e.kind == Put {
			rp.idx[e.id] = len(rp.msgs)
			rp.msgs = append(rp.msgs, Recovered{ID: e.id, Loc: e.loc})
		} else {
			i := rp.idx[e.id]
			delete(rp.idx, e.id)
			rp.msgs[i] = Recovered{}
		}
	}
}

// live returns the messages still live, in append order.
func (rp *replayer) live() []Recovered {
	out := make([]Recovered, 0, len(rp.idx))
	for _, m := range rp.msgs {
		if m.ID != "" {
			out = append(out, m)
		}
	}
	return out
}
