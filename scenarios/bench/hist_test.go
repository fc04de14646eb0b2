package bench

import (
	"math/rand/v2"
	"testing"
	"time"
)

func TestBenchHistogramSmallValuesAreExact(t *testing.T) {
	var h Histogram
	for v := 1; v <= 100; v++ {
		h.Record(time.Duration(v))
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{0, 1}, {1, 1}, {50, 50}, {90, 90}, {99, 99}, {99.9, 100}, {100, 100}} {
		if got := h.Percentile(tt.p); got != tt.want {
			t.Errorf("p%v = %v, want %v", tt.p, got, tt.want)
		}
	}
	if h.Count() != 100 || h.Min() != 1 || h.Max() != 100 || h.Mean() != 50 {
		t.Errorf("count %d, min %v, max %v, mean %v; want 100, 1, 100, 50", h.Count(), h.Min(), h.Max(), h.Mean())
	}
}

// On 1..1000000 ns each once, the p-th percentile is exactly p·10^4 ns;
// the histogram may report up to 1/128 more (the top of the value's bucket),
// never less.
func TestBenchHistogramPercentilesWithinPrecision(t *testing.T) {
	var h Histogram
	const n = 1_000_000
	for v := 1; v <= n; v++ {
		h.Record(time.Duration(v))
	}
	for _, p := range []float64{10, 50, 90, 99, 99.9, 99.99} {
		exact := time.Duration(p / 100 * n)
		got := h.Percentile(p)
		if got < exact || float64(got) > float64(exact)*(1+1.0/128) {
			t.Errorf("p%v = %v, want %v to %v", p, got, exact, time.Duration(float64(exact)*(1+1.0/128)))
		}
	}
	if h.Percentile(100) != n || h.Max() != n {
		t.Errorf("p100 %v, max %v, want %v", h.Percentile(100), h.Max(), time.Duration(n))
	}
	s := h.Summary()
	if s.Count != n || s.P50 != h.Percentile(50) || s.P999 != h.Percentile(99.9) || s.Max != n {
		t.Errorf("Summary = %+v", s)
	}
}

// A skewed distribution, as latencies are: 990 fast messages and 10 slow
// ones put p99 at the fast ones' edge and p99.9 among the slow ones.
func TestBenchHistogramTail(t *testing.T) {
	var h Histogram
	for range 990 {
		h.Record(100 * time.Microsecond)
	}
	for range 10 {
		h.Record(40 * time.Millisecond)
	}
	near := func(got, want time.Duration) bool { return got >= want && float64(got) <= float64(want)*(1+1.0/128) }
	if got := h.Percentile(99); !near(got, 100*time.Microsecond) {
		t.Errorf("p99 = %v, want 100µs", got)
	}
	if got := h.Percentile(99.9); got != 40*time.Millisecond {
		t.Errorf("p99.9 = %v, want 40ms (capped at the maximum)", got)
	}
	if got := h.Percentile(50); !near(got, 100*time.Microsecond) {
		t.Errorf("p50 = %v, want 100µs", got)
	}
}

func TestBenchHistogramBuckets(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1 << 40, 1<<63 + 12345, ^uint64(0)} {
		i := bucket(v)
		if i < prev || i >= numBuckets {
			t.Errorf("bucket(%d) = %d: out of order or range", v, i)
		}
		prev = i
	}
	for range 100000 {
		v := r.Uint64() >> r.IntN(64)
		lo, hi := bucketRange(bucket(v))
		if v < lo || v > hi {
			t.Fatalf("%d is not in its bucket [%d, %d]", v, lo, hi)
		}
		if width := hi - lo + 1; width > 1 && width > lo/64 {
			t.Fatalf("bucket [%d, %d] of %d is wider than 1/128 of its values", lo, hi, v)
		}
		if bucket(lo) != bucket(v) || bucket(hi) != bucket(v) {
			t.Fatalf("bucket edges of %d disagree", v)
		}
	}
}

func TestBenchHistogramMergeAndEdges(t *testing.T) {
	var a, b, all Histogram
	for v := range 5000 {
		d := time.Duration(v * v)
		all.Record(d)
		if v%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	if a.Count() != all.Count() || a.Min() != all.Min() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Errorf("merged: %d %v %v %v; want %d %v %v %v", a.Count(), a.Min(), a.Max(), a.Mean(), all.Count(), all.Min(), all.Max(), all.Mean())
	}
	for _, p := range []float64{50, 90, 99, 99.9} {
		if a.Percentile(p) != all.Percentile(p) {
			t.Errorf("merged p%v = %v, want %v", p, a.Percentile(p), all.Percentile(p))
		}
	}
	var empty Histogram
	a.Merge(&empty)
	if a.Count() != all.Count() {
		t.Error("merging an empty histogram changed the count")
	}
	if empty.Percentile(50) != 0 || empty.Mean() != 0 || empty.Summary().Count != 0 {
		t.Error("an empty histogram reports values")
	}
	empty.Record(-time.Second) // a clock stepped back: counts as 0
	if empty.Max() != 0 || empty.Count() != 1 {
		t.Errorf("negative latency recorded as max %v, count %d", empty.Max(), empty.Count())
	}
}
