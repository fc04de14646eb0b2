package store

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Location is where AppendAt wrote a put: a segment, the frame's offset in
// it and its payload's length. The zero Location is no location.
type Location struct {
	Segment uint64
	Offset  int64
	Length  uint32
}

// Valid says whether l points at a record.
func (l Location) Valid() bool { return l.Length > 0 }

// Read reads back the put at l, checking its checksums: the broker drops a
// stored message's body from memory when a destination is over its memory
// limit and reads it here when it is dispatched. A put stays readable
// while its message is live (its segment is not deleted before then); Read
// of an acknowledged message may fail.
func (s *Store) Read(l Location) (Record, error) {
	if !l.Valid() {
		return Record{}, fmt.Errorf("store: read: no location")
	}
	s.readMu.Lock()
	f := s.readers[l.Segment]
	if f == nil {
		var err error
		f, err = os.Open(filepath.Join(s.opts.Dir, segName(l.Segment)))
		if err != nil {
			s.readMu.Unlock()
			return Record{}, fmt.Errorf("store: read: %w", err)
		}
		if s.readers == nil {
			s.readers = map[uint64]*os.File{}
		}
		s.readers[l.Segment] = f
	}
	s.readMu.Unlock()
	// ReadAt is safe for concurrent use, and a file deleted meanwhile
	// stays readable through the open descriptor.
	buf := make([]byte, frameHeaderSize+int(l.Length))
	if _, err := f.ReadAt(buf, l.Offset); err != nil {
		return Record{}, fmt.Errorf("store: read %s at offset %d: %w", segName(l.Segment), l.Offset, err)
	}
	fr, reason := parseFrame(buf)
	if reason != "" {
		return Record{}, fmt.Errorf("store: read %s at offset %d: %s", segName(l.Segment), l.Offset, reason)
	}
	if fr.rec.Kind != Put {
		return Record{}, fmt.Errorf("store: read %s at offset %d: a %s record, not a put", segName(l.Segment), l.Offset, fr.rec.Kind)
	}
	return fr.rec, nil
}

// ReadRecovered reads back the puts of msgs, as Open's Recovery lists them,
// and calls fn with each in turn, in order, checking checksums as Read
// does; it stops at the first error, fn's included, and returns it. A
// record damaged since Open read it is a *CorruptError.
//
// It reads each segment front to back through one buffer, skipping what
// is no longer live, so that recovering a backlog costs one sequential
// read, and it holds one record at a time: the caller decides which bodies
// stay in memory (the broker keeps those its destinations' memory limits
// allow and reads the others again at delivery). A message acknowledged
// meanwhile may be gone from the disk: call it before acknowledging any.
func (s *Store) ReadRecovered(msgs []Recovered, fn func(i int, r Record) error) error {
	var (
		f    *os.File
		path string // of f
		cur  uint64 // segment f holds
		pos  int64  // offset in f that br reads next
		br   *bufio.Reader
		buf  []byte
		prev Record // the last record read, whose strings the next may share
	)
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for i, m := range msgs {
		l := m.Loc
		if !l.Valid() {
			return fmt.Errorf("store: read %s: no location", m.ID)
		}
		// A long stretch of acknowledged records is skipped with a seek
		// rather than read through.
		if f == nil || l.Segment != cur || l.Offset < pos || l.Offset-pos > replayBuffer {
			if f == nil || l.Segment != cur {
				if f != nil {
					f.Close()
				}
				path = filepath.Join(s.opts.Dir, segName(l.Segment))
				var err error
				if f, err = os.Open(path); err != nil {
					return fmt.Errorf("store: read %s: %w", m.ID, err)
				}
				cur = l.Segment
			}
			if _, err := f.Seek(l.Offset, io.SeekStart); err != nil {
				return fmt.Errorf("store: read %s at offset %d: %w", path, l.Offset, err)
			}
			if br == nil {
				br = bufio.NewReaderSize(f, replayBuffer)
			} else {
				br.Reset(f)
			}
			pos = l.Offset
		}
		if _, err := br.Discard(int(l.Offset - pos)); err != nil {
			return fmt.Errorf("store: read %s at offset %d: %w", path, l.Offset, err)
		}
		n := frameHeaderSize + int(l.Length)
		if cap(buf) < n {
			buf = make([]byte, n)
		}
		if _, err := io.ReadFull(br, buf[:n]); err != nil {
			return fmt.Errorf("store: read %s at offset %d: %w", path, l.Offset, err)
		}
		pos = l.Offset + int64(n)
		// parseFrame's checks, decoding with the strings of the record
		// before and the ID expected.
		h, reason := parseHead(buf[:n], int64(l.Length))
		if reason == "" {
			reason = h.check(buf[frameHeaderSize:n])
		}
		// Open read this record whole moments ago: damage now is the
		// disk's, and is reported as Open reports damage, with the fix.
		if reason != "" {
			return &CorruptError{File: path, Offset: l.Offset, Reason: reason + " in a live record, read whole at Open"}
		}
		like := Record{ID: m.ID, Dest: prev.Dest, Headers: prev.Headers}
		r, err := decode(buf[frameHeaderSize:n], true, &like)
		switch {
		case err != nil:
			return &CorruptError{File: path, Offset: l.Offset, Reason: reasonPayload + " in a live record, read whole at Open"}
		case r.Kind != Put || r.ID != m.ID:
			return &CorruptError{File: path, Offset: l.Offset, Reason: fmt.Sprintf("a %s of %q where Open found the put of %q", r.Kind, r.ID, m.ID)}
		}
		prev = r
		if err := fn(i, r); err != nil {
			return err
		}
	}
	return nil
}
