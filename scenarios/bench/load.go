package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// TimestampHeader carries a message's send time, in Unix nanoseconds, from
// the producer to the consumer, which records the difference in its
// histogram. Producers and consumers run in one process, on one clock.
const TimestampHeader = "bench-ts"

// Shape is one load: either a closed loop (Inflight > 0) of Producers
// producers and Consumers consumers on one queue with at most Inflight
// messages sent and not yet received, or Rate messages a second from one
// producer. Consumers subscribe with ack auto.
//
// A run warms up for Warmup (connections, the broker's queue, a JIT), then
// measures for Duration, or until Count messages have been received when
// Count > 0; then the producers stop and every message in flight is
// received before the connections close.
type Shape struct {
	Producers, Consumers int
	Inflight             int // closed loop; 0 for a fixed rate
	Rate                 int // msgs/s of a fixed-rate run; 0 for a closed loop
	Warmup, Duration     time.Duration
	Count                int
	// Persistent sends every message with persistent:true and a receipt
	// request; a message counts as sent once its RECEIPT says the broker
	// has stored it.
	Persistent bool
}

// Name is the shape's label in the table: "closed 2×2/1000" (producers ×
// consumers / in flight) or "rate 1000/s".
func (s Shape) Name() string {
	name := fmt.Sprintf("closed %d×%d/%d", s.Producers, s.Consumers, s.Inflight)
	if s.Rate > 0 {
		name = fmt.Sprintf("rate %d/s", s.Rate)
	}
	if s.Persistent {
		name += " persistent"
	}
	return name
}

func (s Shape) check() error {
	switch {
	case s.Consumers <= 0:
		return fmt.Errorf("%d consumers: want at least one", s.Consumers)
	case s.Rate < 0:
		return fmt.Errorf("rate %d: want a positive rate", s.Rate)
	case s.Rate == 0 && s.Producers <= 0:
		return fmt.Errorf("%d producers: want at least one", s.Producers)
	case s.Rate == 0 && s.Inflight <= 0:
		return fmt.Errorf("%d in flight: want at least one", s.Inflight)
	case s.Warmup < 0 || s.Duration < 0 || s.Count < 0:
		return errors.New("warm-up, duration and count must not be negative")
	case s.Duration == 0 && s.Count == 0:
		return errors.New("neither a duration nor a count: the run would not end")
	}
	return nil
}

// measurement is what one run observed inside its window.
type measurement struct {
	messages     int           // received in the window
	window       time.Duration // its length
	hist         *Histogram    // latencies of the messages received in it
	brokerCPU    time.Duration // -1: unknown
	generatorCPU time.Duration
	lag          time.Duration // fixed rate: how far the producer fell behind its schedule, at most
}

// Window phases, as consumers see them.
const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseDone
)

// run drives one shape against t for one message size on queue dest, and
// gives up when ctx ends or after timeout.
func (t *Target) run(ctx context.Context, sh Shape, size int, dest string, timeout time.Duration) (_ measurement, err error) {
	if err := sh.check(); err != nil {
		return measurement{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	defer func() { err = ctxErr(ctx, err, timeout) }()

	producers := sh.Producers
	if sh.Rate > 0 {
		producers = 1
	}
	var conns []*rawConn
	var connsMu sync.Mutex
	closeAll := func() {
		connsMu.Lock()
		defer connsMu.Unlock()
		for _, c := range conns {
			c.close()
		}
	}
	defer closeAll()
	// The deadline closes the sockets: every blocked write and read then
	// ends with an error, so a stuck run stops by itself.
	stopAfter := context.AfterFunc(ctx, closeAll)
	defer stopAfter()
	for i := range sh.Consumers + producers {
		side := t
		if i < sh.Consumers {
			side = t.consumerSide()
		}
		c, err := side.dialRaw(ctx)
		if err != nil {
			return measurement{}, fmt.Errorf("connect %d of %d: %w", i+1, sh.Consumers+producers, err)
		}
		connsMu.Lock()
		conns = append(conns, c)
		connsMu.Unlock()
	}
	consumers, senders := conns[:sh.Consumers], conns[sh.Consumers:]
	for _, c := range consumers {
		if err := c.subscribe(dest); err != nil {
			return measurement{}, fmt.Errorf("subscribe: %w", err)
		}
	}

	var (
		phase     atomic.Int32
		sent      atomic.Int64
		received  atomic.Int64
		receipts  atomic.Int64
		inWindow  atomic.Int64
		final     atomic.Int64 // messages sent in all, once the producers have stopped; -1 before
		ending    atomic.Bool  // the connections are being closed on purpose
		errOnce   sync.Once
		failed    = make(chan struct{})
		failure   error
		counted   = make(chan struct{}) // Count messages received in the window
		countOnce sync.Once
		drained   = make(chan struct{}) // every message sent has been received (and receipted)
		drainOnce sync.Once
		arrived   = make(chan struct{}) // a first message has reached a consumer
		firstOnce sync.Once
		stopSend  = make(chan struct{})
		sem       chan struct{}
		lag       atomic.Int64
	)
	final.Store(-1)
	fail := func(err error) {
		if ending.Load() {
			return
		}
		errOnce.Do(func() { failure = err; close(failed) })
	}
	if sh.Rate == 0 {
		sem = make(chan struct{}, sh.Inflight)
	}
	checkDrained := func() {
		f := final.Load()
		if f >= 0 && received.Load() >= f && (!sh.Persistent || receipts.Load() >= f) {
			drainOnce.Do(func() { close(drained) })
		}
	}

	// Consumers: one histogram each, merged at the end.
	hists := make([]*Histogram, len(consumers))
	var cwg sync.WaitGroup
	for i, c := range consumers {
		hists[i] = &Histogram{}
		cwg.Add(1)
		go func(c *rawConn, h *Histogram) {
			defer cwg.Done()
			var f rawFrame
			for {
				if err := c.read(&f); err != nil {
					fail(fmt.Errorf("consumer: %w", err))
					return
				}
				now := time.Now()
				if f.command == "RECEIPT" && f.receipt == byeReceipt {
					return
				}
				if f.command != "MESSAGE" {
					if err := f.expect("MESSAGE"); err != nil {
						fail(fmt.Errorf("consumer: %w", err))
						return
					}
				}
				if f.ts < 0 {
					fail(fmt.Errorf("consumer: a message without a valid %s header (%q): is another client using %s?", TimestampHeader, f.tsString, dest))
					return
				}
				if len(f.body) != size {
					fail(fmt.Errorf("consumer: a message of %d bytes, sent %d", len(f.body), size))
					return
				}
				if sem != nil {
					<-sem
				}
				received.Add(1)
				firstOnce.Do(func() { close(arrived) })
				if phase.Load() == phaseMeasure {
					h.Record(now.Sub(time.Unix(0, f.ts)))
					if n := inWindow.Add(1); sh.Count > 0 && n >= int64(sh.Count) {
						countOnce.Do(func() { close(counted) })
					}
				}
				checkDrained()
			}
		}(c, hists[i])
	}

	// Producers, each with a reader for its RECEIPTs (persistent runs ask
	// for one per message: a persistent message counts once the broker has
	// said it has it) and for an ERROR, which would otherwise be lost.
	frame := newSendFrame(dest, bytes.Repeat([]byte("brokerlab"), size/9+1)[:size], sh.Persistent)
	for _, c := range senders {
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			var f rawFrame
			for {
				if err := c.read(&f); err != nil {
					fail(fmt.Errorf("producer: %w", err))
					return
				}
				if f.command == "RECEIPT" && f.receipt == byeReceipt {
					return
				}
				if err := f.expect("RECEIPT"); err != nil {
					fail(fmt.Errorf("producer: %w", err))
					return
				}
				receipts.Add(1)
				checkDrained()
			}
		}()
	}
	send := func(c *rawConn, ts time.Time) bool {
		var receipt int64
		n := sent.Add(1)
		if sh.Persistent {
			receipt = n
		}
		if err := c.send(frame, ts, receipt); err != nil {
			fail(fmt.Errorf("producer: send: %w", err))
			return false
		}
		return true
	}
	flush := func(c *rawConn) bool {
		if err := c.flush(); err != nil {
			fail(fmt.Errorf("producer: send: %w", err))
			return false
		}
		return true
	}
	// One message end to end before any load: across a bridge, the
	// producers' broker forwards only once it has learned of the
	// consumers on the far one, and until then the loop would fill up
	// and stall inside the measured window.
	if err := primePath(ctx, senders[0], sem, send, flush, arrived, failed, &failure); err != nil {
		return measurement{}, err
	}
	var pwg sync.WaitGroup
	for _, c := range senders {
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			if sh.Rate > 0 {
				paced(c, sh.Rate, stopSend, &lag, func(c *rawConn, ts time.Time) bool {
					return send(c, ts) && flush(c)
				})
				return
			}
			for {
				// Take room in the loop without waiting if there is some;
				// otherwise put what is buffered on the wire first, so
				// frames leave in batches under load and at once when the
				// loop is nearly empty.
				select {
				case sem <- struct{}{}:
				default:
					if !flush(c) {
						return
					}
					select {
					case sem <- struct{}{}:
					case <-stopSend:
						flush(c)
						return
					}
				}
				select {
				case <-stopSend:
					<-sem
					flush(c)
					return
				default:
				}
				if !send(c, time.Now()) {
					return
				}
			}
		}()
	}

	// The window: warm up, read the CPU clocks, measure, read them again.
	// On any failure the sockets are closed, which ends every goroutine
	// above.
	defer func() {
		if err != nil {
			ending.Store(true)
			closeAll()
			select {
			case <-stopSend:
			default:
				close(stopSend)
			}
		}
	}()
	// joined waits for wg, or for the run's end.
	joined := func(wg *sync.WaitGroup) error {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	wait := func(d time.Duration, until <-chan struct{}) error {
		var timer <-chan time.Time
		if d > 0 {
			t := time.NewTimer(d)
			defer t.Stop()
			timer = t.C
		}
		select {
		case <-timer:
		case <-until:
		case <-failed:
			return failure
		case <-ctx.Done():
			return ctx.Err()
		}
		return nil
	}
	if sh.Warmup > 0 {
		if err := wait(sh.Warmup, nil); err != nil {
			return measurement{}, err
		}
	}
	b0, g0, err := t.cpu()
	if err != nil {
		return measurement{}, err
	}
	start := time.Now()
	phase.Store(phaseMeasure)
	if sh.Count > 0 {
		err = wait(0, counted)
	} else {
		err = wait(sh.Duration, nil)
	}
	if err != nil {
		return measurement{}, err
	}
	phase.Store(phaseDone)
	window := time.Since(start)
	b1, g1, err := t.cpu()
	if err != nil {
		return measurement{}, err
	}

	// Drain: stop sending, receive whatever is still in flight.
	close(stopSend)
	if err := joined(&pwg); err != nil {
		return measurement{}, fmt.Errorf("stopping the producers: %w", err)
	}
	select {
	case <-failed:
		return measurement{}, failure
	default:
	}
	final.Store(sent.Load())
	checkDrained()
	if err := wait(0, drained); err != nil {
		return measurement{}, fmt.Errorf("draining %d messages still in flight (%d receipts outstanding): %w",
			sent.Load()-received.Load(), max(0, sent.Load()-receipts.Load()), err)
	}
	// Leave as a client should: DISCONNECT, and wait for its receipt, by
	// which the broker has let go of the subscriptions.
	ending.Store(true)
	for _, c := range conns {
		if err := c.disconnect(); err != nil {
			return measurement{}, fmt.Errorf("disconnect: %w", err)
		}
	}
	if err := joined(&cwg); err != nil {
		return measurement{}, fmt.Errorf("disconnecting: %w", err)
	}

	m := measurement{window: window, hist: &Histogram{},
		brokerCPU: -1, generatorCPU: g1 - g0, lag: time.Duration(lag.Load())}
	if b0 >= 0 {
		m.brokerCPU = b1 - b0
	}
	for _, h := range hists {
		m.hist.Merge(h)
	}
	// The messages of the window are those whose latency was recorded: a
	// consumer that saw the window open just before it closed may count
	// one more than a counter read at the close would.
	m.messages = int(m.hist.Count())
	return m, nil
}

// primePathTimeout bounds primePath's wait within a run's own deadline:
// demand crosses a healthy bridge in milliseconds.
const primePathTimeout = 30 * time.Second

// primePath sends one message from c (taking its place in the closed loop,
// sem, when there is one) and waits until a consumer has it (arrived), the
// run fails (failed, with *failure), the context ends or primePathTimeout
// passes. The message is received before any window opens, so it is never
// measured.
func primePath(ctx context.Context, c *rawConn, sem chan struct{}, send func(*rawConn, time.Time) bool,
	flush func(*rawConn) bool, arrived, failed <-chan struct{}, failure *error) error {
	if sem != nil {
		sem <- struct{}{} // empty: nothing else is sending yet
	}
	if !send(c, time.Now()) || !flush(c) {
		<-failed
		return *failure
	}
	timer := time.NewTimer(primePathTimeout)
	defer timer.Stop()
	select {
	case <-arrived:
		return nil
	case <-failed:
		return *failure
	case <-ctx.Done():
		return fmt.Errorf("waiting for a first message to reach a consumer: %w", ctx.Err())
	case <-timer.C:
		return fmt.Errorf("no message reached a consumer within %s of being sent: across a bridge, does the producers' broker forward to the consumers' (is the bridge up, and does demand reach it)?", primePathTimeout)
	}
}

// paced sends at rate msgs/s on a fixed schedule until stop is closed.
// Go's timers wake up to a millisecond late, so each message carries the
// time it was actually sent, not the time it was due (which would add the
// timer's lateness to every latency); a producer that falls behind catches
// up without skipping, and lag records how far behind it fell at worst.
func paced(c *rawConn, rate int, stop <-chan struct{}, lag *atomic.Int64, send func(*rawConn, time.Time) bool) {
	interval := time.Second / time.Duration(rate)
	next := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if d := time.Until(next); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-stop:
				return
			}
		} else {
			select {
			case <-stop:
				return
			default:
			}
		}
		now := time.Now()
		if late := int64(now.Sub(next)); late > lag.Load() {
			lag.Store(late)
		}
		if !send(c, now) {
			return
		}
		next = next.Add(interval)
	}
}

// cpu reads the broker's CPU time (-1 when its PID is unknown; across a
// bridge, both brokers' together) and this process's.
func (t *Target) cpu() (broker, self time.Duration, err error) {
	broker = -1
	for i, pid := range t.pids() {
		c, err := ProcCPU(pid)
		if err != nil {
			return 0, 0, err
		}
		if i == 0 {
			broker = 0
		}
		broker += c
	}
	self, err = SelfCPU()
	return broker, self, err
}

// ctxErr says "did not finish within 2m0s" rather than "use of closed
// network connection" when the deadline is what broke the run.
func ctxErr(ctx context.Context, err error, timeout time.Duration) error {
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("the run did not finish within %s (%w); last error: %v", timeout, context.DeadlineExceeded, err)
	}
	return err
}
