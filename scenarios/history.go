package scenarios

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/reports"
)

// Send is one message a probe sent; Err is set when the broker did not
// confirm it (no RECEIPT), so it is not counted as owed.
type Send struct {
	Producer string
	Seq      int
	Node     string
	Dest     string
	At       time.Time
	Err      error
}

// Delivery is one message a probe received.
type Delivery struct {
	Consumer    string
	Producer    string
	Seq         int
	Node        string
	Dest        string
	At          time.Time
	Redelivered bool
}

// History is everything the probes did. The checker judges only this and
// the event stream.
type History struct {
	mu         sync.Mutex
	sends      []Send
	deliveries []Delivery
}

func (h *History) addSend(s Send) {
	h.mu.Lock()
	h.sends = append(h.sends, s)
	h.mu.Unlock()
}

func (h *History) addDelivery(d Delivery) {
	h.mu.Lock()
	h.deliveries = append(h.deliveries, d)
	h.mu.Unlock()
}

type msgKey struct {
	producer string
	seq      int
}

// Verdict is the checker's reading of a History.
type Verdict struct {
	reports.Delivery
	LostKeys  []string // the first few, for the failure message
	DupKeys   []string
	OrderNote string // the first order violation seen
}

// Check compares what was confirmed sent with what was received: a
// confirmed message never received is lost, one received twice is a
// duplicate, and per producer and consumer the sequence must rise.
func (h *History) Check() Verdict {
	h.mu.Lock()
	defer h.mu.Unlock()
	var v Verdict
	owed := map[msgKey]bool{}
	for _, s := range h.sends {
		if s.Err == nil {
			owed[msgKey{s.Producer, s.Seq}] = true
			v.Sent++
		}
	}
	seen := map[msgKey]int{}
	copies := map[[2]any]int{} // per message, per copy owner
	last := map[[2]string]int{}
	for _, d := range h.deliveries {
		k := msgKey{d.Producer, d.Seq}
		seen[k]++
		v.Received++
		// On a topic every subscriber gets its own copy: a duplicate is a
		// second copy to the same subscriber. On a queue, any second copy.
		owner := ""
		if strings.HasPrefix(d.Dest, "/topic/") {
			owner = d.Consumer
		}
		copies[[2]any{k, owner}]++
		if copies[[2]any{k, owner}] > 1 {
			v.Duplicates++
			if len(v.DupKeys) < 5 {
				v.DupKeys = append(v.DupKeys, fmt.Sprintf("%s#%d", d.Producer, d.Seq))
			}
			continue
		}
		pc := [2]string{d.Producer, d.Consumer}
		if prev, ok := last[pc]; ok && d.Seq < prev {
			v.OutOfOrder++
			if v.OrderNote == "" {
				v.OrderNote = fmt.Sprintf("%s received %s#%d after #%d", d.Consumer, d.Producer, d.Seq, prev)
			}
		}
		last[pc] = max(last[pc], d.Seq)
	}
	var lost []msgKey
	for k := range owed {
		if seen[k] == 0 {
			lost = append(lost, k)
		}
	}
	sort.Slice(lost, func(i, j int) bool {
		if lost[i].producer != lost[j].producer {
			return lost[i].producer < lost[j].producer
		}
		return lost[i].seq < lost[j].seq
	})
	v.Lost = len(lost)
	for _, k := range lost[:min(5, len(lost))] {
		v.LostKeys = append(v.LostKeys, fmt.Sprintf("%s#%d", k.producer, k.seq))
	}
	return v
}
