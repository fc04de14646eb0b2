package store

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
)

// Every put that AppendAt wrote reads back whole from its location, from
// concurrent appenders and across segment rolls; acks and repeated puts
// get no location.
func TestAppendAtRead(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir, SegmentSize: 4096, NoSync: true})
	defer mustClose(t, s)
	type written struct {
		rec Record
		loc Location
	}
	var mu sync.Mutex
	var all []written
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				a, b := put(fmt.Sprintf("g%d-%d-a", g, i)), put(fmt.Sprintf("g%d-%d-b", g, i))
				locs, err := s.AppendAt(a, b)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				all = append(all, written{a, locs[0]}, written{b, locs[1]})
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if n := len(segFiles(t, dir)); n < 3 {
		t.Fatalf("%d segments: the test wants puts spread over several", n)
	}
	for _, w := range all {
		got, err := s.Read(w.loc)
		if err != nil {
			t.Fatalf("Read(%+v) for %s: %v", w.loc, w.rec.ID, err)
		}
		if got.ID != w.rec.ID || string(got.Body) != string(w.rec.Body) || len(got.Headers) != len(w.rec.Headers) {
			t.Fatalf("Read(%+v) = %s %q, want %s %q", w.loc, got.ID, got.Body, w.rec.ID, w.rec.Body)
		}
	}
	locs, err := s.AppendAt(put(all[0].rec.ID), ack(all[1].rec.ID))
	if err != nil {
		t.Fatal(err)
	}
	if locs[0].Valid() || locs[1].Valid() {
		t.Errorf("a repeated put and an ack got locations %+v", locs)
	}
	if _, err := s.Read(Location{}); err == nil {
		t.Error("Read of the zero location succeeded")
	}
}

// A damaged record is not handed back as a message: Read checks the
// checksums and names the file and offset.
func TestReadDetectsDamage(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir, NoSync: true})
	defer mustClose(t, s)
	locs, err := s.AppendAt(put("m1"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(segFiles(t, dir)[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("X"), locs[0].Offset+frameHeaderSize+3)
	f.Close()
	if _, err := s.Read(locs[0]); err == nil || !strings.Contains(err.Error(), "checksum mismatch") || !strings.Contains(err.Error(), "offset") {
		t.Errorf("Read of a damaged record: %v", err)
	}
}
