package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func bigPut(id string, size int) Record {
	r := put(id)
	r.Body = bytes.Repeat([]byte(id+"|"), size/(len(id)+1))
	return r
}

// Open keeps no bodies: recovering a log many times bigger than what its
// caller wants to hold allocates a small part of it, and the live messages
// come with their locations. (Reading every segment whole and every body
// into the Recovery allocated twice the log.)
func TestOpenHoldsNoBodies(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir, NoSync: true, SegmentSize: 8 << 20})
	const n, size = 1024, 32 << 10 // 32 MiB in four segments
	for i := range n {
		mustAppend(t, s, bigPut(fmt.Sprintf("m%04d", i), size))
	}
	mustClose(t, s)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s, rec := open(t, Options{Dir: dir, NoSync: true})
	runtime.ReadMemStats(&after)
	defer mustClose(t, s)
	if len(rec.Messages) != n {
		t.Fatalf("recovered %d, want %d", len(rec.Messages), n)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Open of %d MiB in %d segments allocated %d KiB", n*size>>20, rec.Segments, alloc>>10)
	if alloc > n*size/8 {
		t.Fatalf("Open allocated %d MiB to recover %d MiB: it holds bodies or whole segments", alloc>>20, n*size>>20)
	}
	for i, m := range rec.Messages {
		if !m.Loc.Valid() || m.ID != fmt.Sprintf("m%04d", i) {
			t.Fatalf("message %d: %+v", i, m)
		}
	}
}

// ReadRecovered hands back every live put whole, in append order, across
// segments and past long runs of acknowledged ones (read through or sought
// over), with the location Read would use.
func TestReadRecovered(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir, NoSync: true, SegmentSize: 1 << 20})
	var want []Record
	for i := range 600 {
		size := 100
		if i%50 == 7 {
			size = 200 << 10 // now and then one bigger than the read buffer
		}
		r := bigPut(fmt.Sprintf("r%03d", i), size)
		mustAppend(t, s, r)
		// Keep one in three, and nothing from 300 to 500: a gap of several
		// times the read buffer inside one segment and across segments.
		if i%3 == 0 && (i < 300 || i >= 500) {
			want = append(want, r)
		} else {
			mustAppend(t, s, ack(r.ID))
		}
	}
	mustClose(t, s)
	s, rec := open(t, Options{Dir: dir, NoSync: true})
	defer mustClose(t, s)
	if rec.Segments < 3 {
		t.Fatalf("%d segments; the test wants several", rec.Segments)
	}
	got := records(t, s, rec)
	if len(got) != len(want) {
		t.Fatalf("read back %d, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || !bytes.Equal(got[i].Body, want[i].Body) || got[i].Dest != want[i].Dest || len(got[i].Headers) != 3 {
			t.Fatalf("record %d: %s (%d bytes), want %s (%d bytes)", i, got[i].ID, len(got[i].Body), want[i].ID, len(want[i].Body))
		}
		r, err := s.Read(rec.Messages[i].Loc)
		if err != nil || r.ID != want[i].ID {
			t.Fatalf("Read(%+v): %v %s, want %s", rec.Messages[i].Loc, err, r.ID, want[i].ID)
		}
	}
	// fn's error stops the reading and comes back as it is.
	stop := errors.New("enough")
	calls := 0
	if err := s.ReadRecovered(rec.Messages, func(int, Record) error { calls++; return stop }); err != stop || calls != 1 {
		t.Fatalf("ReadRecovered returned %v after %d calls, want fn's error after 1", err, calls)
	}
}

// A live record damaged after Open (a disk going bad under a running
// broker) is not handed back: ReadRecovered names the file and the offset.
func TestReadRecoveredDetectsDamage(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir, NoSync: true})
	mustAppend(t, s, put("a"), put("b"))
	mustClose(t, s)
	s, rec := open(t, Options{Dir: dir, NoSync: true})
	defer mustClose(t, s)
	b := rec.Messages[1].Loc
	path := filepath.Join(dir, segName(b.Segment))
	flip(t, path, b.Offset+frameHeaderSize+3)
	var seen []string
	err := s.ReadRecovered(rec.Messages, func(_ int, r Record) error { seen = append(seen, r.ID); return nil })
	wantCorrupt(t, err, path, b.Offset)
	if !strings.Contains(err.Error(), "checksum mismatch in a live record") {
		t.Fatalf("ReadRecovered of a damaged record: %v", err)
	}
	if len(seen) != 1 || seen[0] != "a" {
		t.Fatalf("handed back %v before the damage, want [a]", seen)
	}
}

// Past damage in the last segment, recovery reads the rest a window at a
// time: frames bigger than the window are still found whole, so a torn
// batch of big records is cut, and a big record of a later batch still
// proves the damage was not a crash's.
func TestTornTailOfBigFrames(t *testing.T) {
	const size = 600 << 10 // over twice the window
	write := func(groups ...[]string) (string, []int64) {
		dir := t.TempDir()
		s, _ := open(t, Options{Dir: dir, NoSync: true})
		var ends []int64
		for _, g := range groups {
			var recs []Record
			for _, id := range g {
				recs = append(recs, bigPut(id, size))
			}
			mustAppend(t, s, recs...)
			ends = append(ends, s.st.active().size)
		}
		mustClose(t, s)
		return segFiles(t, dir)[0], ends
	}

	path, ends := write([]string{"a"}, []string{"b", "c", "d"})
	flip(t, path, ends[0]+frameHeaderSize+5) // in b's payload; c and d are whole, of b's batch
	s, rec, err := Open(Options{Dir: filepath.Dir(path), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	wantIDs(t, rec.Messages, "a")
	if want := (Truncation{File: path, Offset: ends[0], Reason: reasonChecksum}); rec.Truncated == nil || *rec.Truncated != want {
		t.Fatalf("truncation %+v, want %+v", rec.Truncated, want)
	}
	mustClose(t, s)

	path, ends = write([]string{"a"}, []string{"b"}, []string{"c"})
	flip(t, path, ends[0]+frameHeaderSize+5) // in b; c is a later batch
	_, _, err = Open(Options{Dir: filepath.Dir(path), NoSync: true})
	wantCorrupt(t, err, path, ends[0])
	if !strings.Contains(err.Error(), fmt.Sprintf("followed by a valid record of batch 3 at offset %d", ends[1])) {
		t.Fatalf("error does not point at the later batch: %v", err)
	}
}

// A failed write makes the store refuse appends, says so through Err, and
// tells OnFail once. Here the next segment cannot be created: a directory
// sits where its temporary file would go.
func TestFailureIsStickyAndReported(t *testing.T) {
	dir := t.TempDir()
	var reported []error
	s, _ := open(t, Options{Dir: dir, NoSync: true, SegmentSize: 256, OnFail: func(err error) { reported = append(reported, err) }})
	if err := os.Mkdir(filepath.Join(dir, "0000000000000002"+tmpSuffix), 0o755); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, bigPut("fits", 100))
	if s.Err() != nil {
		t.Fatalf("Err before any failure: %v", s.Err())
	}
	err := s.Append(bigPut("rolls", 100))
	if err == nil || !strings.HasPrefix(err.Error(), "store: ") || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("Append that needed a new segment: %v", err)
	}
	if s.Err() != err {
		t.Fatalf("Err = %v, want the failure %v", s.Err(), err)
	}
	if err2 := s.Append(ack("fits")); err2 != err {
		t.Fatalf("Append after the failure: %v, want the same failure", err2)
	}
	if len(reported) != 1 || reported[0] != err {
		t.Fatalf("OnFail got %v, want the failure once", reported)
	}
	if cerr := s.Close(); cerr != err {
		t.Fatalf("Close: %v, want the failure", cerr)
	}
}
