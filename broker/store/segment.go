package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

const (
	segSuffix = ".seg"
	tmpSuffix = ".seg.tmp"
	lockName  = "LOCK"
)

func segName(num uint64) string { return fmt.Sprintf("%016x%s", num, segSuffix) }

// segment is the bookkeeping for one segment file. A segment may be
// deleted when none of its puts is live and every older segment holding a
// put that one of its acks removed is gone already: otherwise replay would
// find that put without its ack and bring an acknowledged message back.
type segment struct {
	num  uint64
	path string
	base uint64 // first batch number, from the header
	size int64  // bytes in the file, header included
	live int    // puts in this segment not acked yet
	deps map[uint64]struct{}
}

// listSegments returns the segment files of dir in order, and removes the
// temporary files a crash during createSegment can leave behind: they were
// never renamed into place, so nothing in them was ever acknowledged.
func listSegments(dir string) ([]*segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var segs []*segment
	for _, e := range ents {
		name := e.Name()
		if strings.HasSuffix(name, tmpSuffix) {
			if err := os.Remove(filepath.Join(dir, name)); err != nil {
				return nil, fmt.Errorf("store: %w", err)
			}
			continue
		}
		if !strings.HasSuffix(name, segSuffix) {
			continue
		}
		hex := strings.TrimSuffix(name, segSuffix)
		num, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || len(hex) != 16 || num == 0 {
			return nil, fmt.Errorf("store: %s: not a segment name (want 16 hex digits%s); move it out of %s", name, segSuffix, dir)
		}
		segs = append(segs, &segment{num: num, path: filepath.Join(dir, name), deps: map[uint64]struct{}{}})
	}
	slices.SortFunc(segs, func(a, b *segment) int { return cmpUint(a.num, b.num) })
	return segs, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// createSegment makes a segment file that holds only its header and
// returns it open for appending. It writes a temporary file and renames it,
// so a crash leaves either no segment or a whole header, never a torn one.
func createSegment(dir string, num, base uint64, sync bool) (*os.File, *segment, error) {
	seg := &segment{num: num, path: filepath.Join(dir, segName(num)), base: base, size: segHeaderSize, deps: map[uint64]struct{}{}}
	tmp := strings.TrimSuffix(seg.path, segSuffix) + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("store: %w", err)
	}
	fail := func(err error) (*os.File, *segment, error) {
		f.Close()
		os.Remove(tmp)
		return nil, nil, fmt.Errorf("store: create %s: %w", seg.path, err)
	}
	if _, err := f.Write(segHeader{Number: num, Base: base}.encode()); err != nil {
		return fail(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			return fail(err)
		}
	}
	if err := os.Rename(tmp, seg.path); err != nil {
		return fail(err)
	}
	if sync {
		if err := syncDir(dir); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return f, seg, nil
}

// syncDir makes creations, renames and removals in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("store: sync directory %s: %w", dir, err)
	}
	return nil
}

// state is the live set: which segment holds each live message, and what
// each segment still holds. Replay and the committer change it through
// apply alone, so that what a restart rebuilds is what the writer had.
type state struct {
	segs  []*segment // in order; the last is the one being written
	byNum map[uint64]*segment
	live  map[string]uint64 // message ID → segment number
	gc    bool              // a segment may have become deletable
}

func newState() *state {
	return &state{byNum: map[uint64]*segment{}, live: map[string]uint64{}}
}

func (st *state) add(seg *segment) {
	st.segs = append(st.segs, seg)
	st.byNum[seg.num] = seg
	st.gc = true // the segment before it is no longer the active one
}

func (st *state) active() *segment { return st.segs[len(st.segs)-1] }

// wanted says whether r would change the live set. A put of an ID that is
// live already and an ack of an ID that is not are not written: the first
// is stored already, the second has nothing to remove, and leaving both out
// keeps every put in the log matched by at most one later ack.
func (st *state) wanted(kind Kind, id string) bool {
	_, ok := st.live[id]
	return ok == (kind == Ack)
}

// apply records that r was written to seg; r must be wanted.
func (st *state) apply(kind Kind, id string, seg *segment) {
	if kind == Put {
		st.live[id] = seg.num
		seg.live++
		return
	}
	num := st.live[id]
	delete(st.live, id)
	owner := st.byNum[num]
	owner.live--
	if owner != seg {
		seg.deps[num] = struct{}{}
	}
	if owner.live == 0 {
		st.gc = true
	}
}

// collect removes from the state, and returns, the segments that may be
// deleted: oldest first, so that a segment whose acks depend on an older
// one sees that one gone in the same pass. The active segment stays.
func (st *state) collect() []*segment {
	if !st.gc {
		return nil
	}
	st.gc = false
	var dead []*segment
	keep := st.segs[:0]
	for i, seg := range st.segs {
		if i < len(st.segs)-1 && seg.live == 0 && st.depsGone(seg) {
			delete(st.byNum, seg.num)
			dead = append(dead, seg)
			continue
		}
		keep = append(keep, seg)
	}
	clear(st.segs[len(keep):])
	st.segs = keep
	return dead
}

func (st *state) depsGone(seg *segment) bool {
	for n := range seg.deps {
		if _, ok := st.byNum[n]; ok {
			return false
		}
	}
	return true
}

// removeSegments deletes dead segment files in order, syncing the
// directory after each so that a power cut cannot keep a newer removal and
// lose an older one that it depended on. It stops at the first failure:
// removing a later segment while an earlier dead one is still on disk could
// bring that one's acknowledged messages back on replay.
func removeSegments(dir string, dead []*segment, sync bool) error {
	for _, seg := range dead {
		if err := os.Remove(seg.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: remove %s: %w", seg.path, err)
		}
		if sync {
			if err := syncDir(dir); err != nil {
				return err
			}
		}
	}
	return nil
}
