package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brokerlab/brokerlab/broker/store"
)

// writeDataDir fills DIR/store, as `brokerlab broker --data DIR` keeps
// it, with n puts in segments of segSize bytes, and returns where each went.
func writeDataDir(t *testing.T, dir string, segSize int64, n int) []store.Location {
	t.Helper()
	st, _, err := store.Open(store.Options{Dir: filepath.Join(dir, "store"), SegmentSize: segSize, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	var locs []store.Location
	for i := range n {
		l, err := st.AppendAt(store.Record{Kind: store.Put, ID: fmt.Sprintf("ID:m%d", i), Dest: "/queue/d",
			Headers: []store.Header{{Key: "persistent", Value: "true"}}, Body: []byte(strings.Repeat("x", 300))})
		if err != nil {
			t.Fatal(err)
		}
		locs = append(locs, l[0])
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return locs
}

// A data directory damaged where no crash could have damaged it stops
// `brokerlab broker` at start: exit 1, and one line on stderr that names
// the file and the offset and says what to do. It never starts empty.
func TestBrokerCorruptDataDirExits1(t *testing.T) {
	dir := t.TempDir()
	locs := writeDataDir(t, dir, 1024, 10)
	bad := locs[0] // in the first segment, which is not the last
	file := filepath.Join(dir, "store", fmt.Sprintf("%016x.seg", bad.Segment))
	f, err := os.OpenFile(file, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("#"), bad.Offset+40); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r := brokerlab(t, "broker", "--name", "c", "--listen", "stomp://127.0.0.1:0", "--data", dir, "--admin", "")
	want := fmt.Sprintf("brokerlab broker: broker c: store: %s: corrupt at offset %d: checksum mismatch in a segment that is not the last; "+
		"refusing to start without acknowledged messages: move the file out of the directory to start without it, "+
		"or truncate it to %d bytes to keep what comes before\n", file, bad.Offset, bad.Offset)
	if r.code != 1 || r.stderr != want || r.stdout != "" {
		t.Fatalf("exit %d\nstdout: %q\nstderr: %q\nwant exit 1 and stderr %q", r.code, r.stdout, r.stderr, want)
	}
}

// A torn tail is cut and the broker starts with what came before it; with
// --log json the cut is a WARN record naming the file and the offset.
func TestBrokerTornDataDirStarts(t *testing.T) {
	dir := t.TempDir()
	locs := writeDataDir(t, dir, 0, 3)
	file := filepath.Join(dir, "store", fmt.Sprintf("%016x.seg", locs[2].Segment))
	good := locs[2].Offset
	if err := os.Truncate(file, good+30); err != nil { // the last put, half written
		t.Fatal(err)
	}
	p := start(t, "torn", "broker", "--name", "c", "--listen", "stomp://127.0.0.1:0", "--data", dir, "--admin", "", "--log", "json")
	p.readyLines(t, 1)
	reason := fmt.Sprintf("cut a damaged tail at %s offset %d (short record); the records before it were recovered", file, good)
	for deadline := time.Now().Add(bound); ; time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(p.stderr.String(), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(l), &rec) == nil && rec["kind"] == "store" && rec["reason"] == reason {
				if rec["level"] != "WARN" {
					t.Fatalf("the cut tail logged at %v: %s", rec["level"], l)
				}
				if code := p.terminate(t); code != 0 {
					t.Fatalf("exit %d", code)
				}
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log record says %q:\n%s", reason, p.stderr.String())
		}
	}
}
