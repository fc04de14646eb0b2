package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-stomp/stomp/v3"
)

// kill -9 of a real `brokerlab broker --data DIR` process, over and over
// while a producer sends persistent messages with receipts and a consumer
// acknowledges them one by one: every message the broker confirmed (its
// RECEIPT arrived) is delivered by some later process on the same DIR.
// Redelivery of a message whose ACK died with the process is allowed
// (at-least-once); loss is not.
func TestKillNineLosesNoPersistentMessage(t *testing.T) {
	cycles := 50
	if testing.Short() {
		cycles = 10
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("BROKERLAB_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (BROKERLAB_SEED replays)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	dir := t.TempDir()

	var mu sync.Mutex
	confirmed := map[string]bool{}
	received := map[string]int{}
	seq := 0
	for cycle := range cycles + 1 {
		b := start(t, fmt.Sprintf("broker %d", cycle), "broker", "--name", "crash", "--listen", "stomp://127.0.0.1:0", "--data", dir, "--admin", "")
		addr := b.readyLines(t, 1)[0].Listeners[0].Addr
		c, err := stomp.Dial("tcp", addr, stomp.ConnOpt.HeartBeat(0, 0), stomp.ConnOpt.Logger(quietLogger{}))
		if err != nil {
			t.Fatalf("cycle %d: %v", cycle, err)
		}
		sub, err := c.Subscribe("/queue/durable", stomp.AckClientIndividual, stomp.SubscribeOpt.Header("activemq.prefetchSize", "8"))
		if err != nil {
			t.Fatal(err)
		}
		consumed := make(chan struct{})
		go func() {
			defer close(consumed)
			for m := range sub.C {
				if m.Err != nil {
					return
				}
				mu.Lock()
				received[m.Header.Get("n")]++
				mu.Unlock()
				if c.Ack(m) != nil {
					return
				}
			}
		}()
		if cycle == cycles {
			// The last run only drains: wait until everything confirmed has arrived.
			deadline := time.Now().Add(20 * time.Second)
			for time.Now().Before(deadline) {
				mu.Lock()
				missing := 0
				for n := range confirmed {
					if received[n] == 0 {
						missing++
					}
				}
				mu.Unlock()
				if missing == 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			c.Disconnect()
			<-consumed
			b.terminate(t)
			break
		}
		// go-stomp does not wake a Send waiting for its RECEIPT when the
		// connection dies; it waits out the receipt timeout (30 s by default).
		p, err := stomp.Dial("tcp", addr, stomp.ConnOpt.HeartBeat(0, 0), stomp.ConnOpt.RcvReceiptTimeout(500*time.Millisecond), stomp.ConnOpt.Logger(quietLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		produced := make(chan struct{})
		go func() {
			defer close(produced)
			for {
				select {
				case <-stop:
					return
				default:
				}
				seq++
				n := strconv.Itoa(seq)
				if p.Send("/queue/durable", "text/plain", []byte("m"+n), stomp.SendOpt.Receipt,
					stomp.SendOpt.Header("persistent", "true"), stomp.SendOpt.Header("n", n)) != nil {
					return
				}
				mu.Lock()
				confirmed[n] = true
				mu.Unlock()
			}
		}()
		time.Sleep(time.Duration(5+rng.IntN(40)) * time.Millisecond)
		b.cmd.Process.Signal(syscall.SIGKILL)
		<-b.done
		close(stop)
		<-produced
		<-consumed
	}
	mu.Lock()
	defer mu.Unlock()
	var lost []string
	dups := 0
	for n := range confirmed {
		if received[n] == 0 {
			lost = append(lost, n)
		}
	}
	for _, k := range received {
		if k > 1 {
			dups++
		}
	}
	t.Logf("%d kill -9 cycles: %d messages confirmed, %d received, %d received more than once", cycles, len(confirmed), len(received), dups)
	if len(lost) > 0 {
		t.Fatalf("%d confirmed persistent messages were lost across kill -9, e.g. %v (seed %d)", len(lost), lost[:min(5, len(lost))], seed)
	}
	if len(confirmed) == 0 {
		t.Fatal("the producer never got a message confirmed; the test proved nothing")
	}
}

// quietLogger drops go-stomp's log lines: every kill makes it log the
// closed connection, which is the point of the test, not news.
type quietLogger struct{}

func (quietLogger) Debugf(string, ...any)   {}
func (quietLogger) Infof(string, ...any)    {}
func (quietLogger) Warningf(string, ...any) {}
func (quietLogger) Errorf(string, ...any)   {}
func (quietLogger) Debug(string)            {}
func (quietLogger) Info(string)             {}
func (quietLogger) Warning(string)          {}
func (quietLogger) Error(string)            {}
