package store

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// Each record is a put with a 1 KiB body and two headers, as the broker
// stores a small persistent message. Every Append is one record, so the
// fsyncs per record show how many callers each group commit served.
// Puts are never acked, so the log grows by about 1.1 KiB per op: bound
// the run, e.g. -benchtime=2s.
func BenchmarkAppendSync(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("appenders=%d", n), func(b *testing.B) { benchAppend(b, false, n) })
	}
}

func BenchmarkAppendNoSync(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("appenders=%d", n), func(b *testing.B) { benchAppend(b, true, n) })
	}
}

func benchAppend(b *testing.B, noSync bool, appenders int) {
	s, _ := open(b, Options{Dir: b.TempDir(), NoSync: noSync})
	body := make([]byte, 1024)
	headers := []Header{{"persistent", "true"}, {"content-type", "application/octet-stream"}}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for range appenders {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				r := Record{Kind: Put, ID: "ID:bench-" + strconv.FormatInt(i, 10), Dest: "/queue/bench", Headers: headers, Body: body}
				if err := s.Append(r); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	st := s.Stats()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(st.Fsyncs)/float64(max(st.Records, 1)), "fsyncs/record")
	b.ReportMetric(float64(st.Records)/float64(max(st.Batches, 1)), "records/batch")
	mustClose(b, s)
}

// BenchmarkRecover measures a restart: Open replays the log, then every
// live message is read back whole, as the broker does before it listens
// (open-only: the replay alone). The log holds n puts of body bytes, of
// which one in live is still live, the rest acked.
func BenchmarkRecover(b *testing.B) {
	for _, c := range []struct{ n, body, live int }{{100_000, 128, 1}, {100_000, 128, 10}, {2_000, 16 << 10, 1}} {
		for _, read := range []bool{true, false} {
			name := fmt.Sprintf("n=%d/body=%d/live=1in%d", c.n, c.body, c.live)
			if !read {
				name += "/open-only"
			}
			b.Run(name, func(b *testing.B) {
				dir := benchRecoverLog(b, c.n, c.body, c.live)
				b.ReportAllocs()
				for b.Loop() {
					s, rec, err := Open(Options{Dir: dir, NoSync: true})
					if err != nil {
						b.Fatal(err)
					}
					if read {
						var total int
						if err := s.ReadRecovered(rec.Messages, func(_ int, r Record) error { total += len(r.Body); return nil }); err != nil {
							b.Fatal(err)
						}
						if want := (c.n + c.live - 1) / c.live * c.body; total != want {
							b.Fatalf("%d body bytes, want %d", total, want)
						}
					}
					s.Close()
				}
				b.ReportMetric(float64(c.n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}

// benchRecoverLog writes n puts in appends of 1000, then acks all but one
// in live of them, and returns the directory.
func benchRecoverLog(b *testing.B, n, body, live int) string {
	dir := b.TempDir()
	s, _ := open(b, Options{Dir: dir, NoSync: true})
	headers := []Header{{"persistent", "true"}, {"content-type", "application/octet-stream"}}
	payload := make([]byte, body)
	var recs []Record
	flush := func() {
		if len(recs) > 0 {
			mustAppend(b, s, recs...)
			recs = recs[:0]
		}
	}
	for i := range n {
		recs = append(recs, Record{Kind: Put, ID: "ID:bench-" + strconv.Itoa(i), Dest: "/queue/bench", Headers: headers, Body: payload})
		if len(recs) == 1000 {
			flush()
		}
	}
	flush()
	for i := range n {
		if i%live != 0 {
			recs = append(recs, ack("ID:bench-"+strconv.Itoa(i)))
		}
		if len(recs) == 1000 {
			flush()
		}
	}
	flush()
	mustClose(b, s)
	return dir
}
