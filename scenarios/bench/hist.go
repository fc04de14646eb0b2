package bench

import (
	"math"
	"math/bits"
	"time"

	"github.com/brokerlab/brokerlab/reports"
)

// Histogram records latencies in log-linear buckets, in the manner of
// HdrHistogram: values below 2^(subBits+1) ns are counted exactly, and
// every larger power of two is split into 2^subBits equal buckets, so a
// value is known to within 1/2^subBits (0.8%) of itself, from nanoseconds
// to hours, in a fixed 59 KiB and one array increment per Record.
//
// A Histogram is not safe for concurrent use: give each consumer its own
// and Merge them.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    float64 // for the mean; a float so it cannot overflow
	min    uint64
	max    uint64
}

const (
	subBits    = 7
	subCount   = 1 << subBits
	numBuckets = (64-subBits)*subCount + subCount // enough for every uint64
)

// bucket is the index of v's bucket.
func bucket(v uint64) int {
	if v < 2*subCount {
		return int(v) // exact
	}
	e := bits.Len64(v) - subBits - 1 // ≥ 1: how far v is shifted to keep subBits+1 bits
	m := v >> e                      // in [subCount, 2*subCount)
	return (e+1)*subCount + int(m-subCount)
}

// bucketRange is the smallest and the largest value that fall in bucket i.
func bucketRange(i int) (lo, hi uint64) {
	if i < 2*subCount {
		return uint64(i), uint64(i)
	}
	e := i/subCount - 1
	m := uint64(i%subCount + subCount)
	lo = m << e
	return lo, lo + (1 << e) - 1
}

// Record adds one latency; negative ones (a clock stepped back between
// send and receipt) count as 0.
func (h *Histogram) Record(d time.Duration) {
	v := uint64(max(d, 0))
	h.counts[bucket(v)]++
	if h.n == 0 || v < h.min {
		h.min = v
	}
	h.max = max(h.max, v)
	h.n++
	h.sum += float64(v)
}

// Merge adds o's counts to h.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of values recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest value recorded, exactly.
func (h *Histogram) Max() time.Duration { return time.Duration(h.max) }

// Min is the smallest value recorded, exactly.
func (h *Histogram) Min() time.Duration { return time.Duration(h.min) }

// Mean of the values recorded, exactly (up to float64 rounding).
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Percentile is the value at or below which p percent of the recorded
// values lie: the largest value of the bucket holding the ⌈p/100·n⌉-th
// smallest value, never more than Max and never less than Min. It is at
// most 0.8% above the exact order statistic. Percentile(100) is Max; an
// empty histogram gives 0.
func (h *Histogram) Percentile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	p = min(max(p, 0), 100)
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketRange(i)
			return time.Duration(min(max(hi, h.min), h.max))
		}
	}
	return time.Duration(h.max)
}

// Summary is what the reports print: the count, p50, p90, p99, p99.9 and
// the maximum.
func (h *Histogram) Summary() reports.Latency {
	return reports.Latency{
		Count: int64(h.n),
		P50:   h.Percentile(50),
		P90:   h.Percentile(90),
		P99:   h.Percentile(99),
		P999:  h.Percentile(99.9),
		Max:   h.Max(),
	}
}
