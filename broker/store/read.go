package store

import (
	"fmt"
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
