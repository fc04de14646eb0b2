package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeLog appends groups of puts, one Append call per group, and returns
// the single segment's path and the file size after each call.
func writeLog(t *testing.T, dir string, groups ...[]string) (string, []int64) {
	t.Helper()
	s, _ := open(t, Options{Dir: dir})
	var ends []int64
	for _, g := range groups {
		var recs []Record
		for _, id := range g {
			recs = append(recs, put(id))
		}
		mustAppend(t, s, recs...)
		ends = append(ends, s.st.active().size)
	}
	mustClose(t, s)
	files := segFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("%d segments, want 1", len(files))
	}
	return files[0], ends
}

// copyCut copies a segment into a fresh directory, cut to n bytes.
func copyCut(t *testing.T, seg string, n int64) string {
	t.Helper()
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, filepath.Base(seg))
	if err := os.WriteFile(path, data[:n], 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func singles(ids ...string) [][]string {
	var g [][]string
	for _, id := range ids {
		g = append(g, []string{id})
	}
	return g
}

// Cutting the last segment at every byte of its last records must recover
// exactly the records whose Append had returned before that byte, report
// the cut, and leave a log that takes new appends and reopens cleanly.
func TestTruncateEveryOffset(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e", "f"}
	seg, ends := writeLog(t, t.TempDir(), singles(names...)...)
	for cut := ends[2]; cut <= ends[5]; cut++ {
		path := copyCut(t, seg, cut)
		dir := filepath.Dir(path)
		s, rec, err := Open(Options{Dir: dir, NoSync: true})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		whole, good := 0, int64(segHeaderSize)
		for i, e := range ends {
			if e <= cut {
				whole, good = i+1, e
			}
		}
		wantIDs(t, rec.Messages, names[:whole]...)
		if good == cut {
			if rec.Truncated != nil {
				t.Fatalf("cut at a record boundary %d: %+v", cut, rec.Truncated)
			}
		} else if want := (Truncation{File: path, Offset: good, Reason: reasonShort}); rec.Truncated == nil || *rec.Truncated != want {
			t.Fatalf("cut at %d: truncation %+v, want %+v", cut, rec.Truncated, want)
		}
		if fi, _ := os.Stat(path); fi.Size() != good {
			t.Fatalf("cut at %d: file is %d bytes, want %d", cut, fi.Size(), good)
		}
		mustAppend(t, s, put("z"))
		mustClose(t, s)
		s, rec = open(t, Options{Dir: dir, NoSync: true})
		wantIDs(t, rec.Messages, append(names[:whole:whole], "z")...)
		if rec.Truncated != nil {
			t.Fatalf("cut at %d: second open truncated %+v", cut, rec.Truncated)
		}
		mustClose(t, s)
	}
}

// One Append call is all or nothing: a cut anywhere inside it, even on a
// frame boundary, drops the whole call.
func TestTruncateInsideBatch(t *testing.T) {
	seg, ends := writeLog(t, t.TempDir(), []string{"a"}, []string{"b", "c", "d"})
	for cut := ends[0] + 1; cut < ends[1]; cut++ {
		path := copyCut(t, seg, cut)
		s, rec, err := Open(Options{Dir: filepath.Dir(path), NoSync: true})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		wantIDs(t, rec.Messages, "a")
		if rec.Truncated == nil || rec.Truncated.Offset != ends[0] {
			t.Fatalf("cut at %d: truncation %+v, want offset %d", cut, rec.Truncated, ends[0])
		}
		if r := rec.Truncated.Reason; r != reasonShort && r != reasonBatch {
			t.Fatalf("cut at %d: reason %q", cut, r)
		}
		mustClose(t, s)
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[off] ^= 0x40
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantCorrupt(t *testing.T, err error, file string, off int64) {
	t.Helper()
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Fatalf("Open: %v, want a CorruptError", err)
	}
	if ce.File != file || ce.Offset != off {
		t.Fatalf("CorruptError at %s:%d, want %s:%d", ce.File, ce.Offset, file, off)
	}
	msg := err.Error()
	for _, want := range []string{"store: ", file, fmt.Sprintf("offset %d", off), "move the file"} {
		if !strings.Contains(msg, want) {
			t.Fatalf("error %q does not say %q", msg, want)
		}
	}
}

// Damage followed by a record of a later batch is not a torn write: the
// later batch was written only after the damaged one was synced.
func TestCorruptMiddle(t *testing.T) {
	names := []string{"a", "b", "c", "d", "e"}
	seg, ends := writeLog(t, t.TempDir(), singles(names...)...)
	// Every byte of record c: header (length, checksum, mark) and payload.
	for off := ends[1]; off < ends[2]; off++ {
		path := copyCut(t, seg, ends[4])
		flip(t, path, off)
		_, _, err := Open(Options{Dir: filepath.Dir(path), NoSync: true})
		wantCorrupt(t, err, path, ends[1])
		if fi, _ := os.Stat(path); fi.Size() != ends[4] {
			t.Fatalf("flip at %d: the damaged file was changed to %d bytes", off, fi.Size())
		}
	}
}

// Inside the last batch, damage followed by whole records of the same
// batch is what a power cut can leave when pages of the batch reach the
// disk out of order: it is cut off, not an error.
func TestTornLastBatchOutOfOrder(t *testing.T) {
	seg, ends := writeLog(t, t.TempDir(), []string{"a"}, []string{"b"}, []string{"c", "d", "e"})
	path := copyCut(t, seg, ends[2])
	flip(t, path, ends[1]+frameHeaderSize+1) // in c's payload; d and e are whole
	s, rec, err := Open(Options{Dir: filepath.Dir(path), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer mustClose(t, s)
	wantIDs(t, rec.Messages, "a", "b")
	if want := (Truncation{File: path, Offset: ends[1], Reason: reasonChecksum}); rec.Truncated == nil || *rec.Truncated != want {
		t.Fatalf("truncation %+v, want %+v", rec.Truncated, want)
	}
}

func TestZeroFilledTail(t *testing.T) {
	seg, ends := writeLog(t, t.TempDir(), singles("a", "b")...)
	path := copyCut(t, seg, ends[1])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(make([]byte, 4096))
	f.Close()
	s, rec := open(t, Options{Dir: filepath.Dir(path), NoSync: true})
	defer mustClose(t, s)
	wantIDs(t, rec.Messages, "a", "b")
	if want := (Truncation{File: path, Offset: ends[1], Reason: reasonZero}); rec.Truncated == nil || *rec.Truncated != want {
		t.Fatalf("truncation %+v, want %+v", rec.Truncated, want)
	}
}

// A segment that is not the last was synced before the next one was
// created: any damage in it, even at its very end, is an error.
func TestCorruptEarlierSegment(t *testing.T) {
	for _, tail := range []bool{false, true} {
		dir := t.TempDir()
		o := Options{Dir: dir, SegmentSize: 1, NoSync: true}
		s, _ := open(t, o)
		mustAppend(t, s, put("a"), put("b"))
		mustAppend(t, s, put("c"))
		mustClose(t, s)
		files := segFiles(t, dir)
		first := files[0]
		fi, _ := os.Stat(first)
		off := int64(segHeaderSize)
		if tail {
			off = fi.Size() - 5
			if err := os.Truncate(first, fi.Size()-5); err != nil {
				t.Fatal(err)
			}
		} else {
			flip(t, first, segHeaderSize+frameHeaderSize)
		}
		_, _, err := Open(o)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != first || !strings.Contains(err.Error(), "not the last") {
			t.Fatalf("tail=%v: %v", tail, err)
		}
		if !tail && ce.Offset != off {
			t.Fatalf("offset %d, want %d", ce.Offset, off)
		}
	}
}

func TestBadSegmentHeader(t *testing.T) {
	seg, ends := writeLog(t, t.TempDir(), singles("a")...)
	for _, off := range []int64{0, 4, 8, 16} {
		path := copyCut(t, seg, ends[0])
		flip(t, path, off)
		_, _, err := Open(Options{Dir: filepath.Dir(path), NoSync: true})
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != path {
			t.Fatalf("flip at %d: %v", off, err)
		}
	}
	// A segment file too short for its header never starts empty either.
	path := copyCut(t, seg, 3)
	if _, _, err := Open(Options{Dir: filepath.Dir(path)}); err == nil {
		t.Fatal("Open accepted a 3-byte segment")
	}
}

func TestLeftoverTempRemoved(t *testing.T) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "0000000000000001"+tmpSuffix)
	if err := os.WriteFile(tmp, []byte("BLSG"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, rec := open(t, Options{Dir: dir})
	defer mustClose(t, s)
	if len(rec.Messages) != 0 {
		t.Fatal("messages from a temporary file")
	}
	if _, err := os.Stat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
}

// Past damage, recovery looks for whole frames at every offset. The header
// checksum keeps that linear: a random length is not believed, so random
// bytes never make it checksum megabytes per offset.
func TestGarbageTailIsLinear(t *testing.T) {
	seg, ends := writeLog(t, t.TempDir(), singles("a")...)
	path := copyCut(t, seg, ends[0])
	garbage := make([]byte, 4<<20)
	r := rand.New(rand.NewPCG(7, 7))
	for i := range garbage {
		garbage[i] = byte(r.Uint32())
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write(garbage)
	f.Close()
	start := time.Now()
	s, rec := open(t, Options{Dir: filepath.Dir(path), NoSync: true})
	defer mustClose(t, s)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("recovering past 4 MiB of garbage took %v", d)
	}
	wantIDs(t, rec.Messages, "a")
	if rec.Truncated == nil || rec.Truncated.Offset != ends[0] {
		t.Fatalf("truncation %+v, want offset %d", rec.Truncated, ends[0])
	}
}
