package store

import (
	"fmt"
	"os"
)

// Recovery is what Open found in the directory.
type Recovery struct {
	Messages  []Record    // live messages (put, not acked), in append order
	Segments  int         // segment files replayed
	Records   int         // records replayed, in whole batches
	Truncated *Truncation // nil if the log ended cleanly
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

// replayer rebuilds the state and the live messages from the segments.
type replayer struct {
	st        *state
	msgs      []Record       // puts in append order; acked ones are zeroed
	idx       map[string]int // live ID → index in msgs
	records   int
	nextBatch uint64
	sync      bool
}

// segment replays one segment file. Frames are held back until the frame
// that ends their batch, so a batch is applied whole or not at all.
func (rp *replayer) segment(seg *segment, last bool) (*Truncation, error) {
	data, err := os.ReadFile(seg.path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	h, err := decodeSegHeader(data)
	if err != nil {
		return nil, &CorruptError{File: seg.path, Offset: 0, Reason: err.Error()}
	}
	if h.Number != seg.num {
		return nil, &CorruptError{File: seg.path, Offset: 8, Reason: fmt.Sprintf("header says segment %s", segName(h.Number))}
	}
	seg.base = h.Base
	prev, prevLast := h.Base-1, true // the batch before this segment's first one is complete
	var pending []frame
	batchStart := segHeaderSize
	off := segHeaderSize
	for off < len(data) {
		want := prev
		if prevLast {
			want = prev + 1
		}
		fr, reason := parseFrame(data[off:])
		if reason == "" && fr.batch != want {
			// A whole, checksummed frame out of sequence is not a torn
			// write: it is a file put together from pieces of others.
			return nil, &CorruptError{File: seg.path, Offset: int64(off), Reason: fmt.Sprintf("batch %d where batch %d was due", fr.batch, want)}
		}
		if reason != "" {
			if !last {
				return nil, &CorruptError{File: seg.path, Offset: int64(off), Reason: reason + " in a segment that is not the last"}
			}
			if allZero(data[off:]) {
				reason = reasonZero
			}
			if err := checkTail(seg.path, data, off, reason, want); err != nil {
				return nil, err
			}
			rp.nextBatch = want
			return rp.truncate(seg, batchStart, reason)
		}
		pending = append(pending, fr)
		prev, prevLast = fr.batch, fr.last
		off += fr.size
		if fr.last {
			rp.apply(pending, seg)
			pending = pending[:0]
			batchStart = off
		}
	}
	if len(pending) > 0 {
		// The file ends on a frame boundary inside a batch: the rest of
		// the batch never reached the disk.
		if !last {
			return nil, &CorruptError{File: seg.path, Offset: int64(batchStart), Reason: reasonBatch + " in a segment that is not the last"}
		}
		rp.nextBatch = prev
		return rp.truncate(seg, batchStart, reasonBatch)
	}
	seg.size = int64(len(data))
	rp.nextBatch = prev + 1
	return nil, nil
}

// checkTail decides whether the damage at off is a torn final batch. The
// committer writes a batch and syncs it before it writes the next, so a
// crash can leave any part of the last batch missing or garbled — even
// pages of it out of order — but cannot touch a batch before it. Every
// whole frame after off must therefore belong to batch want, the one off
// is in; a frame of any other batch means off was synced data, damaged
// since.
func checkTail(file string, data []byte, off int, reason string, want uint64) error {
	for p := off + 1; p < len(data); {
		fr, bad := parseFrame(data[p:])
		if bad != "" {
			p++
			continue
		}
		if fr.batch != want {
			return &CorruptError{File: file, Offset: int64(off), Reason: fmt.Sprintf("%s, followed by a valid record of batch %d at offset %d", reason, fr.batch, p)}
		}
		p += fr.size
	}
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// truncate cuts the last segment back to the end of its last whole batch.
func (rp *replayer) truncate(seg *segment, at int, reason string) (*Truncation, error) {
	f, err := os.OpenFile(seg.path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	err = f.Truncate(int64(at))
	if err == nil && rp.sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("store: truncate %s to %d: %w", seg.path, at, err)
	}
	seg.size = int64(at)
	return &Truncation{File: seg.path, Offset: int64(at), Reason: reason}, nil
}

// apply applies one whole batch, as the committer did when it wrote it.
func (rp *replayer) apply(batch []frame, seg *segment) {
	for i := range batch {
		r := &batch[i].rec
		rp.records++
		if !rp.st.wanted(r.Kind, r.ID) {
			continue
		}
		rp.st.apply(r.Kind, r.ID, seg)
		if r.Kind == Put {
			rp.idx[r.ID] = len(rp.msgs)
			rp.msgs = append(rp.msgs, *r)
		} else {
			i := rp.idx[r.ID]
			delete(rp.idx, r.ID)
			rp.msgs[i] = Record{} // let the body go now
		}
	}
}

// live returns the messages still live, in append order.
func (rp *replayer) live() []Record {
	out := make([]Record, 0, len(rp.idx))
	for _, m := range rp.msgs {
		if m.ID != "" {
			out = append(out, m)
		}
	}
	return out
}
