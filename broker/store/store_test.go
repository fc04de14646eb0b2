package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

func put(id string) Record {
	return Record{
		Kind:    Put,
		ID:      id,
		Dest:    "/queue/orders",
		Headers: []Header{{"persistent", "true"}, {"x-id", id}, {"empty", ""}},
		Body:    []byte("body of " + id),
	}
}

func ack(id string) Record { return Record{Kind: Ack, ID: id} }

func open(t testing.TB, o Options) (*Store, *Recovery) {
	t.Helper()
	s, rec, err := Open(o)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, rec
}

func mustAppend(t testing.TB, s *Store, recs ...Record) {
	t.Helper()
	if err := s.Append(recs...); err != nil {
		t.Fatalf("Append: %v", err)
	}
}

func mustClose(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

func ids(recs []Recovered) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

// records reads back whole what Open recovered.
func records(t testing.TB, s *Store, rec *Recovery) []Record {
	t.Helper()
	var out []Record
	if err := s.ReadRecovered(rec.Messages, func(i int, r Record) error {
		if r.ID != rec.Messages[i].ID {
			t.Fatalf("ReadRecovered: record %d is %s, want %s", i, r.ID, rec.Messages[i].ID)
		}
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("ReadRecovered: %v", err)
	}
	return out
}

func segFiles(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+segSuffix))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(m)
	return m
}

func wantIDs(t testing.TB, got []Recovered, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if g := ids(got); !slices.Equal(g, want) {
		t.Fatalf("recovered %v, want %v", g, want)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, rec := open(t, Options{Dir: dir})
	if len(rec.Messages) != 0 || rec.Truncated != nil || rec.Segments != 0 {
		t.Fatalf("fresh store recovered %+v", rec)
	}
	big := put("big")
	big.Body = make([]byte, 100_000)
	for i := range big.Body {
		big.Body[i] = byte(i * 7)
	}
	nohdr := Record{Kind: Put, ID: "nohdr", Dest: "/topic/t"}
	want := []Record{put("m1"), big, nohdr, put("m2")}
	mustAppend(t, s, want[0])
	mustAppend(t, s, want[1], want[2])
	mustAppend(t, s, want[3])
	st := s.Stats()
	if st.Appends != 3 || st.Records != 4 || st.Batches != 3 || st.Fsyncs != 3 || st.Live != 4 || st.Segments != 1 {
		t.Fatalf("stats %+v", st)
	}
	mustClose(t, s)

	s, rec = open(t, Options{Dir: dir})
	defer mustClose(t, s)
	for i := range want {
		if want[i].Body == nil {
			want[i].Body = []byte{}
		}
	}
	if got := records(t, s, rec); !reflect.DeepEqual(got, want) {
		t.Fatalf("recovered\n%+v\nwant\n%+v", got, want)
	}
	if rec.Records != 4 || rec.Segments != 1 || rec.Truncated != nil {
		t.Fatalf("recovery %+v", rec)
	}
}

func TestAcksRemove(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir})
	mustAppend(t, s, put("a"), put("b"), put("c"))
	mustAppend(t, s, ack("b"))
	mustAppend(t, s, ack("nobody"))      // unknown: ignored, not written
	mustAppend(t, s, put("a"))           // live already: not written again
	mustAppend(t, s, put("d"), ack("d")) // put and ack in one batch
	if st := s.Stats(); st.Live != 2 || st.Records != 6 {
		t.Fatalf("stats %+v", st)
	}
	mustClose(t, s)

	s, rec := open(t, Options{Dir: dir})
	wantIDs(t, rec.Messages, "a", "c")
	// An ID acked may be put again, and comes back in its new place.
	mustAppend(t, s, put("b"), ack("a"))
	mustClose(t, s)
	s, rec = open(t, Options{Dir: dir})
	wantIDs(t, rec.Messages, "c", "b")
	mustClose(t, s)
}

func TestReopenAppendsAfter(t *testing.T) {
	dir := t.TempDir()
	var want []string
	for round := range 5 {
		s, rec := open(t, Options{Dir: dir})
		wantIDs(t, rec.Messages, want...)
		for i := range 3 {
			id := fmt.Sprintf("r%d-%d", round, i)
			mustAppend(t, s, put(id))
			want = append(want, id)
		}
		mustAppend(t, s, ack(want[0]))
		want = want[1:]
		mustClose(t, s)
	}
}

func TestAppendErrors(t *testing.T) {
	s, _ := open(t, Options{Dir: t.TempDir()})
	if err := s.Append(Record{Kind: Put}); err == nil || !strings.HasPrefix(err.Error(), "store: ") {
		t.Fatalf("empty ID: %v", err)
	}
	if err := s.Append(Record{Kind: 9, ID: "x"}); err == nil {
		t.Fatal("unknown kind accepted")
	}
	huge := put("huge")
	huge.Body = make([]byte, MaxRecordSize)
	if err := s.Append(huge); err == nil {
		t.Fatal("record over MaxRecordSize accepted")
	}
	if err := s.Append(); err != nil {
		t.Fatal(err)
	}
	mustClose(t, s)
	if err := s.Append(put("late")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
}

func TestDirLocked(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir})
	if _, _, err := Open(Options{Dir: dir}); err == nil || !strings.Contains(err.Error(), "locked") {
		t.Fatalf("second Open: %v", err)
	}
	mustClose(t, s)
	s, _ = open(t, Options{Dir: dir})
	mustClose(t, s)
}

// SegmentSize 1 puts every Append call in a segment of its own, which
// makes the deletion rules easy to drive one step at a time.
func TestSegmentRollAndDelete(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, SegmentSize: 1}
	s, _ := open(t, o)
	mustAppend(t, s, put("a"), put("b")) // seg 1
	mustAppend(t, s, ack("b"))           // seg 2: nothing live, but its ack removed b from seg 1
	mustAppend(t, s, put("c"))           // seg 3
	// Seg 2 must stay while seg 1 does: without it, b would come back.
	if got := len(segFiles(t, dir)); got != 3 {
		t.Fatalf("%d segments, want 3", got)
	}
	mustClose(t, s)

	s, rec := open(t, o)
	wantIDs(t, rec.Messages, "a", "c")
	mustAppend(t, s, ack("a")) // seg 3 → seg 4: seg 1 is dead, so seg 2 may go too
	mustAppend(t, s, put("d")) // seg 5
	files := segFiles(t, dir)
	if want := []string{segName(3), segName(5)}; len(files) != 2 || filepath.Base(files[0]) != want[0] || filepath.Base(files[1]) != want[1] {
		t.Fatalf("segments %v, want %v", files, want)
	}
	if st := s.Stats(); st.Segments != 2 || st.Live != 2 {
		t.Fatalf("stats %+v", st)
	}
	mustClose(t, s)

	s, rec = open(t, o)
	wantIDs(t, rec.Messages, "c", "d")
	mustClose(t, s)
}

func TestSegmentRollBySize(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, SegmentSize: 4096}
	s, _ := open(t, o)
	var live []string
	for i := range 200 {
		id := fmt.Sprintf("m%03d", i)
		r := put(id)
		r.Body = make([]byte, 300)
		mustAppend(t, s, r)
		live = append(live, id)
		if i%3 != 0 { // ack two of every three, the oldest first
			mustAppend(t, s, ack(live[0]))
			live = live[1:]
		}
	}
	for _, f := range segFiles(t, dir) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > o.SegmentSize {
			t.Errorf("%s is %d bytes, over SegmentSize %d", f, fi.Size(), o.SegmentSize)
		}
	}
	mid := len(segFiles(t, dir))
	// Acking everything leaves only the segment being written.
	for _, id := range live {
		mustAppend(t, s, ack(id))
	}
	mustAppend(t, s, put("last"))
	mustClose(t, s)
	s, rec := open(t, o)
	defer mustClose(t, s)
	wantIDs(t, rec.Messages, "last")
	if n := len(segFiles(t, dir)); n > 2 || mid < 5 {
		t.Fatalf("%d segments in the middle, %d at the end", mid, n)
	}
}

func TestConcurrentAppenders(t *testing.T) {
	dir := t.TempDir()
	s, _ := open(t, Options{Dir: dir, SegmentSize: 64 << 10})
	const writers, each = 16, 150
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				id := fmt.Sprintf("w%02d-%04d", w, i)
				if err := s.Append(put(id)); err != nil {
					errs <- err
					return
				}
				if i%2 == 1 { // ack the odd ones
					if err := s.Append(ack(id)); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.Stats()
	if st.Records != writers*each*3/2 {
		t.Fatalf("stats %+v", st)
	}
	if st.Fsyncs >= st.Records {
		t.Errorf("no group commit: %d fsyncs for %d records", st.Fsyncs, st.Records)
	}
	t.Logf("%d records in %d fsyncs", st.Records, st.Fsyncs)
	mustClose(t, s)

	s, rec := open(t, Options{Dir: dir})
	defer mustClose(t, s)
	if len(rec.Messages) != writers*each/2 {
		t.Fatalf("recovered %d, want %d", len(rec.Messages), writers*each/2)
	}
	next := map[string]int{}
	for _, m := range rec.Messages {
		var w, i int
		if _, err := fmt.Sscanf(m.ID, "w%d-%d", &w, &i); err != nil || i%2 != 0 {
			t.Fatalf("unexpected %q", m.ID)
		}
		k := fmt.Sprint(w)
		if i < next[k] {
			t.Fatalf("%q out of append order", m.ID)
		}
		next[k] = i + 1
	}
}
