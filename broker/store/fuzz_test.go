package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzRecover writes arbitrary bytes as the only segment file, once as
// they are and once behind a valid segment header (so that mutations reach
// the frame parser instead of dying at the magic). Open must not panic;
// when it fails the error must be the package's; when it succeeds the log
// must take an append and reopen to the same messages plus that one, with
// nothing more cut off.
func FuzzRecover(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzOpen(t, data)
		fuzzOpen(t, append(segHeader{Number: 1, Base: 1}.encode(), data...))
	})
}

func fuzzOpen(t *testing.T, data []byte) {
	dir := t.TempDir()
	path := filepath.Join(dir, segName(1))
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Dir: dir, NoSync: true}
	s, rec, err := Open(o)
	if err != nil {
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.File != path || !strings.HasPrefix(err.Error(), "store: ") {
			t.Fatalf("Open: %v (%T), want a CorruptError naming %s", err, err, path)
		}
		return
	}
	if rec.Truncated != nil {
		fi, err := os.Stat(path)
		if err != nil || rec.Truncated.File != path || fi.Size() != rec.Truncated.Offset || rec.Truncated.Offset > int64(len(data)) {
			t.Fatalf("truncation %+v, file size %v", rec.Truncated, fi.Size())
		}
	}
	want := ids(rec.Messages)
	records(t, s, rec) // every message recovered reads back whole from where Open said it is
	if err := s.Append(put("fuzz-after")); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(want, "fuzz-after") {
		want = append(want, "fuzz-after")
	}
	mustClose(t, s)
	s, rec2, err := Open(o)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer mustClose(t, s)
	if rec2.Truncated != nil {
		t.Fatalf("reopen cut again: %+v", rec2.Truncated)
	}
	if got := ids(rec2.Messages); !slices.Equal(got, want) {
		t.Fatalf("reopen recovered %v, want %v", got, want)
	}
}

// fuzzSeeds builds segments with the store itself: clean, with acks, with
// a multi-record batch, torn, and with a flipped byte.
func fuzzSeeds(tb testing.TB) [][]byte {
	dir, err := os.MkdirTemp("", "store-fuzz-seeds")
	if err != nil {
		tb.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, _, err := Open(Options{Dir: dir, NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	var seeds [][]byte
	snap := func() []byte {
		b, err := os.ReadFile(filepath.Join(dir, segName(1)))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	seeds = append(seeds, snap()) // header only
	s.Append(put("a"))
	seeds = append(seeds, snap())
	s.Append(put("b"), put("c"), ack("a"))
	s.Append(Record{Kind: Put, ID: "d", Dest: "/topic/x", Body: []byte{0, 1, 2}})
	s.Append(ack("c"))
	full := snap()
	s.Close()
	seeds = append(seeds, full, full[:len(full)-3], full[:len(full)/2])
	flipped := slices.Clone(full)
	flipped[len(full)/3] ^= 1
	seeds = append(seeds, flipped, full[segHeaderSize:], []byte{}, []byte("BLSG"))
	return seeds
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzRecover from
// fuzzSeeds when BROKERLAB_STORE_WRITE_CORPUS=1.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("BROKERLAB_STORE_WRITE_CORPUS") != "1" {
		t.Skip("set BROKERLAB_STORE_WRITE_CORPUS=1 to rewrite the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRecover")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, seed := range fuzzSeeds(t) {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", seed)
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
