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
